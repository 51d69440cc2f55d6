package storage

import (
	"fmt"
	"slices"
	"strings"
)

// ReadContactIDsAhead reads the ids of the real contacts with these emails
// (lower case) with one query, for the ContactIDByEmail calls that follow
// in tx: a group commit's webhooks each look their contact up, and each
// lookup was a round trip of its own. The answers serve until a statement
// of tx may change contacts; outside a Store.Write it reads nothing.
func ReadContactIDsAhead(tx Tx, emails []string) error {
	p := holdingOf(tx)
	if p == nil || len(emails) == 0 {
		return nil
	}
	emails = slices.Compact(slices.Sorted(slices.Values(emails)))
	ids := make(map[string]string, len(emails))
	for chunk := range slices.Chunk(emails, 500) {
		rows, err := rawOf(tx).query(`SELECT email, id FROM contacts WHERE email IN (`+placeholders(len(chunk))+
			`) AND test = ?`, append(anys(chunk), false)...)
		if err != nil {
			return fmt.Errorf("contacts by email: %w", err)
		}
		for rows.Next() {
			var email, id string
			if err := rows.Scan(&email, &id); err != nil {
				rows.Close()
				return fmt.Errorf("contacts by email: %w", err)
			}
			if _, seen := ids[email]; !seen { // as ContactIDByEmail's LIMIT 1
				ids[email] = id
			}
		}
		if err := rows.Close(); err != nil {
			return fmt.Errorf("contacts by email: %w", err)
		}
		if err := rows.Err(); err != nil {
			return fmt.Errorf("contacts by email: %w", err)
		}
	}
	for _, e := range emails {
		if _, found := ids[e]; !found {
			ids[e] = "" // none: answered too
		}
	}
	p.contactIDs = ids
	return nil
}

// readAhead returns the id ReadContactIDsAhead read for email ("" for
// none); ok is false when it has no answer for it.
func readAhead(db Tx, email string, test bool) (id string, ok bool) {
	p := holdingOf(db)
	if p == nil || test || p.contactIDs == nil {
		return "", false
	}
	id, ok = p.contactIDs[email]
	return id, ok
}

// mayChangeContacts reports whether query may write the contacts table:
// it names the table and is not a plain SELECT.
func mayChangeContacts(query string) bool {
	return strings.Contains(query, "contacts") && !hasPrefixFold(strings.TrimLeft(query, " \t\n"), "SELECT")
}
