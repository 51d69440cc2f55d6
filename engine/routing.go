package engine

import (
	"context"
	"errors"
	"fmt"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// The team store of the "Assign owner" step, bound to the step's
// transaction like the contact store: the round-robin counter is locked
// and read while the step runs, and its new position is written with the
// contact's new owner when the step is recorded, in the same transaction,
// so with several instances each turn goes to one lead, and a step that
// fails or crashes gives its turn back. (Locking a counter that does not
// exist yet creates it at 0, as if it did not exist: that row may stay
// after a failed step, and changes nothing.)

func (c *txContacts) Team(_ context.Context, emails []string) ([]nodes.Salesperson, error) {
	us, err := storage.UsersByEmail(c.tx, emails)
	if err != nil {
		return nil, err
	}
	out := make([]nodes.Salesperson, len(us))
	for i := range us {
		out[i] = salesperson(&us[i])
	}
	return out, nil
}

// salesperson is a user as lead routing sees them.
func salesperson(u *storage.User) nodes.Salesperson {
	p := u.Routing()
	s := nodes.Salesperson{
		ID: u.ID, Email: u.Email, Name: p.Name, TimeZone: p.TimeZone, WorkDays: p.WorkDays,
		WorkStart: p.WorkStart, WorkEnd: p.WorkEnd, OwnerIDs: p.OwnerIDs, SlackID: p.SlackID,
	}
	if p.AwayUntil != nil {
		s.AwayUntil = *p.AwayUntil
	}
	return s
}

func (c *txContacts) RoutingPosition(_ context.Context, key string) (int64, error) {
	key = c.counterKey(key)
	for i := len(c.writes) - 1; i >= 0; i-- {
		if w := c.writes[i]; w.kind == writeRouting && w.name == key {
			return w.pos, nil // the step moved it already
		}
	}
	return storage.LockRoutingCounter(c.tx, key, c.now)
}

func (c *txContacts) SetRoutingPosition(_ context.Context, key string, pos int64) error {
	c.change(write{kind: writeRouting, name: c.counterKey(key), pos: pos}, false)
	return nil
}

// counterKey keeps test runs' turns apart from real ones: testing a
// journey does not change whose turn the next real lead is.
func (c *txContacts) counterKey(key string) string {
	if c.test {
		return "test:" + key
	}
	return key
}

func (c *txContacts) OpenDeals(_ context.Context, emails []string) (map[string]int, error) {
	return storage.OpenDealsByOwner(c.tx, emails)
}

func (c *txContacts) SetOwner(_ context.Context, contactID, userID string) error {
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	err := c.exists(contactID)
	if errors.Is(err, storage.ErrNotFound) {
		return nodes.Permanentf("the contact %s no longer exists", contactID)
	}
	if err != nil {
		return err
	}
	c.change(write{kind: writeOwner, contactID: contactID, name: userID}, true)
	return nil
}

// envOwner reads the contact's owner for the expressions (owner.name);
// empty when nobody owns the contact or the user was removed.
func envOwner(db storage.Tx, ownerID *string) (flows.Owner, error) {
	if ownerID == nil || *ownerID == "" {
		return flows.Owner{}, nil
	}
	u, err := storage.GetUser(db, *ownerID)
	if errors.Is(err, storage.ErrNotFound) {
		return flows.Owner{}, nil
	}
	if err != nil {
		return flows.Owner{}, fmt.Errorf("read the contact's owner: %w", err)
	}
	p := salesperson(u)
	o := flows.Owner{ID: u.ID, Name: p.DisplayName(), Email: u.Email, IDs: p.OwnerIDs, Mention: p.DisplayName()}
	if p.SlackID != "" {
		o.Mention = "<@" + p.SlackID + ">"
	}
	return o, nil
}

// Interface guards.
var _ nodes.Router = (*txContacts)(nil)
