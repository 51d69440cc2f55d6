package storage

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm/clause"
)

// RoutingCounter is the round-robin position of one "Assign owner" step:
// how many leads it has handed out. The step reads it locked and writes it
// back in its own transaction, so several instances never give two leads
// the same turn.
type RoutingCounter struct {
	Key       string    `gorm:"primaryKey;size:200"`
	Position  int64     `gorm:"not null;default:0"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (RoutingCounter) TableName() string { return "routing_counters" }

// RoutingProfile is what a user is as a salesperson. Every field is
// replaced as a whole by SetUserRouting.
type RoutingProfile struct {
	Name      string
	AwayUntil *time.Time
	TimeZone  string
	WorkDays  []string
	WorkStart string
	WorkEnd   string
	// OwnerIDs maps a credential id to the user's owner id there.
	OwnerIDs map[string]string
	SlackID  string
}

// Routing returns u's salesperson profile.
func (u *User) Routing() RoutingProfile {
	p := RoutingProfile{
		Name: u.Name, AwayUntil: u.AwayUntil, TimeZone: u.TimeZone,
		WorkStart: u.WorkStart, WorkEnd: u.WorkEnd, SlackID: u.SlackID, OwnerIDs: map[string]string{},
	}
	if u.WorkDays != "" {
		p.WorkDays = strings.Split(u.WorkDays, ",")
	}
	if u.OwnerIDs != "" {
		_ = json.Unmarshal([]byte(u.OwnerIDs), &p.OwnerIDs)
	}
	return p
}

// SetUserRouting replaces the salesperson profile of the user with this
// id (checked by the caller) and returns the user as changed; a missing
// user is ErrNotFound.
func SetUserRouting(tx Tx, id string, p RoutingProfile) (*User, error) {
	ids := p.OwnerIDs
	if ids == nil {
		ids = map[string]string{}
	}
	b, err := json.Marshal(ids)
	if err != nil {
		return nil, fmt.Errorf("set user routing: %w", err)
	}
	var away any
	if p.AwayUntil != nil {
		away = p.AwayUntil.UTC()
	}
	res := tx.db.Model(&User{}).Where("id = ?", id).Updates(map[string]any{
		"name": p.Name, "away_until": away, "time_zone": p.TimeZone, "work_days": strings.Join(p.WorkDays, ","),
		"work_start": p.WorkStart, "work_end": p.WorkEnd, "owner_ids": string(b), "slack_id": p.SlackID,
	})
	if res.Error != nil {
		return nil, fmt.Errorf("set user routing: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return nil, fmt.Errorf("set user routing: %w", ErrNotFound)
	}
	return GetUser(tx, id)
}

// GetUser returns the user with this id; a missing one is ErrNotFound.
func GetUser(db Tx, id string) (*User, error) {
	var u User
	if err := db.db.Where("id = ?", id).Take(&u).Error; err != nil {
		return nil, fmt.Errorf("get user: %w", mapErr(err))
	}
	return &u, nil
}

// UsersByEmail returns the users with these (lower-case) emails, in no
// particular order; unknown emails are missing.
func UsersByEmail(db Tx, emails []string) ([]User, error) {
	var us []User
	if len(emails) == 0 {
		return us, nil
	}
	if err := db.db.Where("email IN ?", emails).Find(&us).Error; err != nil {
		return nil, fmt.Errorf("users by email: %w", err)
	}
	return us, nil
}

// LockRoutingCounter returns the position of the counter key, creating it
// at 0, and on PostgreSQL locks its row until the transaction ends: a
// second instance routing through the same step waits here and then reads
// the position this transaction wrote. (SQLite has one writer.)
func LockRoutingCounter(tx Tx, key string, now time.Time) (int64, error) {
	q := "SELECT position FROM routing_counters WHERE key = ?" + tx.dl.lockRows()
	var pos []int64
	if err := tx.db.Raw(q, key).Scan(&pos).Error; err != nil {
		return 0, fmt.Errorf("lock routing counter: %w", err)
	}
	if len(pos) == 1 {
		return pos[0], nil
	}
	// The first turn: create the row (another instance may create it
	// first; this insert then waits for it and adds nothing), then lock it.
	err := tx.db.Clauses(clause.OnConflict{DoNothing: true}).Create(&RoutingCounter{Key: key, UpdatedAt: now.UTC()}).Error
	if err != nil {
		return 0, fmt.Errorf("create routing counter: %w", err)
	}
	if err := tx.db.Raw(q, key).Scan(&pos).Error; err != nil || len(pos) != 1 {
		return 0, fmt.Errorf("lock routing counter: %w (%d rows)", err, len(pos))
	}
	return pos[0], nil
}

// SetRoutingCounter writes the position of the counter key (locked by
// LockRoutingCounter in the same transaction).
func SetRoutingCounter(tx Tx, key string, pos int64, now time.Time) error {
	err := tx.db.Model(&RoutingCounter{}).Where("key = ?", key).Updates(map[string]any{"position": pos, "updated_at": now.UTC()}).Error
	if err != nil {
		return fmt.Errorf("set routing counter: %w", err)
	}
	return nil
}

// OpenDealsByOwner counts the open deals (stage neither won nor lost) of
// real contacts in the built-in pipeline whose owner is one of owners
// (compared lower-case), keyed by lower-case owner.
func OpenDealsByOwner(db Tx, owners []string) (map[string]int, error) {
	out := make(map[string]int, len(owners))
	if len(owners) == 0 {
		return out, nil
	}
	lower := make([]string, len(owners))
	for i, o := range owners {
		lower[i] = strings.ToLower(o)
	}
	var rows []struct {
		Owner string
		N     int
	}
	err := db.db.Model(&Deal{}).Select("LOWER(owner) AS owner, COUNT(*) AS n").
		Where("LOWER(owner) IN ? AND stage NOT IN ? AND test = ?", lower, ClosedDealStages, false).
		Group("LOWER(owner)").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("open deals by owner: %w", err)
	}
	for _, r := range rows {
		out[r.Owner] = r.N
	}
	return out, nil
}

// SetContactOwner makes the user ownerID (nil: nobody) the owner of the
// contact; a missing contact is ErrNotFound.
func SetContactOwner(tx Tx, contactID string, ownerID *string, now time.Time) error {
	res := tx.db.Model(&Contact{}).Where("id = ?", contactID).Updates(map[string]any{"owner_id": ownerID, "updated_at": now.UTC()})
	if res.Error != nil {
		return fmt.Errorf("set contact owner: %w", res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("set contact owner: %w", ErrNotFound)
	}
	return nil
}

// releaseOwnedContacts leaves the contacts of a removed user without an
// owner.
func releaseOwnedContacts(tx Tx, userID string) error {
	if err := tx.db.Model(&Contact{}).Where("owner_id = ?", userID).Update("owner_id", nil).Error; err != nil {
		return fmt.Errorf("release the user's contacts: %w", err)
	}
	return nil
}
