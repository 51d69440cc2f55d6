package engine

import (
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// receiptEventTypes are the events that report on a message sent to a
// contact rather than something the contact did; contact.last_activity_at
// leaves them out (opens, clicks, reads and replies count).
var receiptEventTypes = func() []string {
	var out []string
	for _, channel := range []string{"email", "sms", "whatsapp"} {
		for _, kind := range []string{"queued", "sent", "delivered", "failed", "undelivered", "bounced"} {
			out = append(out, channel+"."+kind)
		}
	}
	return append(out, "webhook.received")
}()

// addActivity fills the contact fields that cost queries (deals,
// last activity) into cs, only when cf's expressions read them.
func addActivity(db storage.Tx, cf *flows.Compiled, cs ...*flows.Contact) error {
	if cf == nil || !cf.UsesActivity() || len(cs) == 0 {
		return nil
	}
	ids := make([]string, 0, len(cs))
	for _, c := range cs {
		if c.ID != "" {
			ids = append(ids, c.ID)
		}
	}
	got, err := storage.ContactActivity(db, ids, receiptEventTypes)
	if err != nil {
		return err
	}
	for _, c := range cs {
		a := got[c.ID]
		c.DealsCount, c.OpenDeals, c.LastActivityAt = a.Deals, a.OpenDeals, a.LastAt
	}
	return nil
}
