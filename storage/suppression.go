package storage

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// UnsubscribedGroupsField is the custom field holding the email provider's
// unsubscribe groups (SendGrid's suppression groups) a contact left, as a
// sorted list of group ids. Leaving a group is not leaving all email: the
// contact's email consent is untouched. Being a custom field, it shows in
// the contact's profile and conditions can read it
// ("10" in contact.fields.email_unsubscribed_groups).
const UnsubscribedGroupsField = "email_unsubscribed_groups"

// SetUnsubscribedGroup adds group to the contact's unsubscribed groups
// (unsubscribed) or removes it (resubscribed).
func SetUnsubscribedGroup(tx Tx, contactID, group string, unsubscribed bool, now time.Time) error {
	var c Contact
	if err := tx.db.Select("id", "fields").Where("id = ?", contactID).Take(&c).Error; err != nil {
		return fmt.Errorf("contact %s: %w", contactID, notFound(err))
	}
	fields := map[string]any{}
	if c.Fields != "" {
		if err := json.Unmarshal([]byte(c.Fields), &fields); err != nil {
			return fmt.Errorf("contact %s fields: %w", contactID, err)
		}
	}
	var groups []string
	if list, ok := fields[UnsubscribedGroupsField].([]any); ok {
		for _, g := range list {
			if s, ok := g.(string); ok && s != group {
				groups = append(groups, s)
			}
		}
	}
	if unsubscribed {
		groups = append(groups, group)
	}
	slices.Sort(groups)
	if groups == nil {
		groups = []string{}
	}
	merged, err := mergeFields(c.Fields, map[string]any{UnsubscribedGroupsField: groups})
	if err != nil {
		return err
	}
	err = tx.db.Model(&Contact{}).Where("id = ?", contactID).
		Updates(map[string]any{"fields": merged, "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("set unsubscribe groups of %s: %w", contactID, err)
	}
	return nil
}
