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
// transaction like the contact store: the round-robin counter is locked,
// read and written in the same transaction that records the step and the
// contact's new owner, so with several instances each turn goes to one
// lead, and a step that fails or crashes gives its turn back.

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
	if err := c.begin(false); err != nil {
		return 0, err
	}
	return storage.LockRoutingCounter(c.tx, c.counterKey(key), c.now)
}

func (c *txContacts) SetRoutingPosition(_ context.Context, key string, pos int64) error {
	if err := c.begin(false); err != nil {
		return err
	}
	return storage.SetRoutingCounter(c.tx, c.counterKey(key), pos, c.now)
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
	if err := c.begin(true); err != nil {
		return err
	}
	if err := c.testOnly(contactID); err != nil {
		return err
	}
	err := storage.SetContactOwner(c.tx, contactID, &userID, c.now)
	if errors.Is(err, storage.ErrNotFound) {
		return nodes.Permanentf("the contact %s no longer exists", contactID)
	}
	return err
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
