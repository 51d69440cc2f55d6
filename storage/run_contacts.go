package storage

import (
	"fmt"
	"strings"
)

// ContactLabel is what a list shows of a contact: a name, an email or a
// phone, whichever the contact has.
type ContactLabel struct {
	ID    string
	Name  string
	Email string
	Phone string
}

// ContactLabels returns the labels of the contacts with these ids, by id.
// An erased or unknown contact is simply absent.
func ContactLabels(db Tx, ids []string) (map[string]ContactLabel, error) {
	out := map[string]ContactLabel{}
	if len(ids) == 0 {
		return out, nil
	}
	var cs []Contact
	if err := db.db.Select("id, email, phone, first_name, last_name").Where("id IN ?", dedupe(ids)).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("contact labels: %w", err)
	}
	for _, c := range cs {
		l := ContactLabel{ID: c.ID, Name: strings.TrimSpace(c.FirstName + " " + c.LastName)}
		if c.Email != nil {
			l.Email = *c.Email
		}
		if c.Phone != nil {
			l.Phone = *c.Phone
		}
		out[c.ID] = l
	}
	return out, nil
}

// dedupe returns ids without repeats, in their first order.
func dedupe(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := ids[:0:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
