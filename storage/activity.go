package storage

import (
	"fmt"
	"time"
)

// Activity is what a contact did, for the expressions that ask
// (contact.deals_count, contact.open_deals, contact.last_activity_at).
type Activity struct {
	// Deals counts the contact's deals; OpenDeals those whose stage is
	// neither won nor lost.
	Deals     int
	OpenDeals int
	// LastAt is the time of the contact's latest event whose type is not
	// one of the excluded ones (zero when there is none).
	LastAt time.Time
}

// ClosedDealStages are the stages of a deal that is no longer open.
var ClosedDealStages = []string{"won", "lost"}

// ContactActivity returns the activity of each of ids (contacts without
// deals or events are missing from the map), in two grouped queries.
// Events of the types in notActivity (delivery receipts, say) are left
// out of LastAt.
func ContactActivity(db Tx, ids []string, notActivity []string) (map[string]Activity, error) {
	out := make(map[string]Activity, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var deals []struct {
		ContactID string
		Total     int
		Open      int
	}
	err := db.db.Model(&Deal{}).
		Select("contact_id, COUNT(*) AS total, SUM(CASE WHEN stage IN ? THEN 0 ELSE 1 END) AS open", ClosedDealStages).
		Where("contact_id IN ?", ids).Group("contact_id").Scan(&deals).Error
	if err != nil {
		return nil, fmt.Errorf("contact deals: %w", err)
	}
	for _, d := range deals {
		out[d.ContactID] = Activity{Deals: d.Total, OpenDeals: d.Open}
	}
	q := db.db.Model(&Event{}).Select("contact_id, MAX(at)").Where("contact_id IN ?", ids)
	if len(notActivity) > 0 {
		q = q.Where("type NOT IN ?", notActivity)
	}
	rows, err := q.Group("contact_id").Rows()
	if err != nil {
		return nil, fmt.Errorf("contact last activity: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var last any
		if err := rows.Scan(&id, &last); err != nil {
			return nil, fmt.Errorf("contact last activity: %w", err)
		}
		at, err := aggregateTime(last)
		if err != nil {
			return nil, fmt.Errorf("contact last activity: %w", err)
		}
		a := out[id]
		a.LastAt = at
		out[id] = a
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("contact last activity: %w", err)
	}
	return out, nil
}

// aggregateTime reads a MAX() of a time column: PostgreSQL gives a time,
// SQLite the stored text (an aggregate has no declared column type).
func aggregateTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case nil:
		return time.Time{}, nil
	case time.Time:
		return t.UTC(), nil
	case []byte:
		return parseStoredTime(string(t))
	case string:
		return parseStoredTime(t)
	}
	return time.Time{}, fmt.Errorf("unexpected time value %T", v)
}

// storedTimeLayouts are the text forms mattn/go-sqlite3 writes times in.
var storedTimeLayouts = []string{
	"2006-01-02 15:04:05.999999999-07:00",
	"2006-01-02T15:04:05.999999999-07:00",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02T15:04:05.999999999",
	time.RFC3339Nano,
}

func parseStoredTime(s string) (time.Time, error) {
	for _, layout := range storedTimeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("unreadable time %q", s)
}

// ContactsAfter returns up to limit real contacts whose id sorts after afterID,
// by id, with their tags and lists: a keyset page for walking every
// contact in bounded batches.
func ContactsAfter(db Tx, afterID string, limit int) ([]ContactView, error) {
	var cs []Contact
	if err := db.db.Where("id > ? AND test = ?", afterID, false).Order("id").Limit(limit).Find(&cs).Error; err != nil {
		return nil, fmt.Errorf("contacts after %q: %w", afterID, err)
	}
	views, err := withTagsAndLists(db, cs)
	if err != nil {
		return nil, fmt.Errorf("contacts after %q: %w", afterID, err)
	}
	return views, nil
}
