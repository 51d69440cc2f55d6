package engine

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// A test run's step that is somehow handed a real contact (its run's
// contact is always a test one) refuses to change it, for good.
func TestATestStepNeverChangesARealContact(t *testing.T) {
	store, err := storage.Open(context.Background(), "sqlite://"+filepath.Join(t.TempDir(), "c.db"), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	now := time.Now()
	var real string
	err = store.Write(t.Context(), func(tx storage.Tx) (err error) {
		real, _, err = storage.UpsertContact(tx, "", storage.ContactInput{Email: "ana@example.com"}, now)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for name, change := range map[string]func(c *txContacts) error{
		"score":  func(c *txContacts) error { _, err := c.AddScore(t.Context(), "", real, 5); return err },
		"list":   func(c *txContacts) error { return c.AddToList(t.Context(), "", real, "nurture") },
		"unlist": func(c *txContacts) error { return c.RemoveFromList(t.Context(), "", real, "nurture") },
		"tag":    func(c *txContacts) error { return c.Tag(t.Context(), "", real, []string{"tested"}, nil) },
		"deal": func(c *txContacts) error {
			_, err := c.CreateDeal(t.Context(), "r:d:1", nodes.DealInput{ContactID: real, Title: "T", Stage: "new"})
			return err
		},
	} {
		err := store.Write(t.Context(), func(tx storage.Tx) error {
			return change(&txContacts{tx: tx, now: now, test: true})
		})
		if err == nil {
			t.Errorf("%s: a test step changed the real contact", name)
		}
	}
	c, err := storage.GetContact(store.Reader(), real)
	if err != nil || c.Score != 0 || len(c.Tags) != 0 || len(c.Lists) != 0 {
		t.Fatalf("real contact = %+v, %v; want it untouched", c, err)
	}
}
