package storage

import (
	"fmt"
)

// ContactEventsOfTypes returns a contact's events of the given types,
// newest first (at most limit).
func ContactEventsOfTypes(db Tx, contactID string, types []string, limit int) ([]Event, error) {
	var es []Event
	err := db.db.Where("contact_id = ? AND type IN ?", contactID, types).Order("at DESC, id").Limit(limit).Find(&es).Error
	if err != nil {
		return nil, fmt.Errorf("events of %s: %w", contactID, err)
	}
	return es, nil
}

// LatestEventsOfTypes returns the newest events of the given types of
// real contacts (not test data), newest first (at most limit).
func LatestEventsOfTypes(db Tx, types []string, limit int) ([]Event, error) {
	var es []Event
	err := db.db.Where("type IN ? AND test = ? AND contact_id IS NOT NULL", types, false).Order("at DESC, id").Limit(limit).Find(&es).Error
	if err != nil {
		return nil, fmt.Errorf("latest %v events: %w", types, err)
	}
	return es, nil
}

// ContactMessagesOn returns a contact's messages on the given channels,
// newest first (at most limit).
func ContactMessagesOn(db Tx, contactID string, channels []string, limit int) ([]Message, error) {
	var ms []Message
	err := db.db.Where("contact_id = ? AND channel IN ?", contactID, channels).Order("created_at DESC, id").Limit(limit).Find(&ms).Error
	if err != nil {
		return nil, fmt.Errorf("messages of %s: %w", contactID, err)
	}
	return ms, nil
}
