package engine_test

import (
	"errors"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// Two editors open revision 1; the first save wins, the second is refused
// with who saved and the current revision, and so is a publish of what the
// second editor saw. Without a revision (the CLI), the last write wins.
func TestStaleRevisionIsRefused(t *testing.T) {
	eachOf(t, databases, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		doc := func(name string) *flows.Flow {
			f, err := flows.Decode([]byte(delayFlow))
			if err != nil {
				t.Fatal(err)
			}
			f.Name = name
			return f
		}
		rev := func(n int) *int { return &n }
		_, r1, err := b.eng.SaveDraft(b.ctx, doc("first"), engine.DraftOptions{Create: true, By: "ana@example.com"})
		if err != nil || r1 != 1 {
			t.Fatalf("create: revision %d, %v", r1, err)
		}
		_, r2, err := b.eng.SaveDraft(b.ctx, doc("tab A"), engine.DraftOptions{IfRevision: rev(1), By: "ana@example.com"})
		if err != nil || r2 != 2 {
			t.Fatalf("tab A: revision %d, %v", r2, err)
		}
		_, _, err = b.eng.SaveDraft(b.ctx, doc("tab B"), engine.DraftOptions{IfRevision: rev(1), By: "bo@example.com"})
		var rc *engine.RevisionConflict
		if !errors.As(err, &rc) || !errors.Is(err, engine.ErrConflict) {
			t.Fatalf("tab B saved over a newer draft: %v", err)
		}
		if rc.Revision != 2 || rc.By != "ana@example.com" || rc.At.IsZero() {
			t.Errorf("conflict %+v, want revision 2 by ana", rc)
		}
		if sf, _, _ := b.eng.Draft("delay"); sf.Name != "tab A" || sf.Revision != 2 {
			t.Errorf("stored %q at revision %d, want tab A's at 2", sf.Name, sf.Revision)
		}
		if _, err := b.eng.PublishRevision(b.ctx, "delay", rev(1)); !errors.As(err, &rc) {
			t.Errorf("publish of a stale revision: %v", err)
		}
		if v, err := b.eng.PublishRevision(b.ctx, "delay", rev(2)); err != nil || v != 1 {
			t.Errorf("publish of the current revision: version %d, %v", v, err)
		}
		// Publishing changes no draft: the revision stays.
		if _, r, err := b.eng.SaveDraft(b.ctx, doc("tab A again"), engine.DraftOptions{IfRevision: rev(2)}); err != nil || r != 3 {
			t.Errorf("save after publish: revision %d, %v", r, err)
		}
		if _, r, err := b.eng.SaveDraft(b.ctx, doc("the CLI"), engine.DraftOptions{}); err != nil || r != 4 {
			t.Errorf("save without a revision: revision %d, %v", r, err)
		}
	})
}

// A test of a journey that starts from a contact's event runs against a
// test contact made from the sample (never a real one), so its steps have
// someone to act on.
func TestEventJourneyTestMakesATestContact(t *testing.T) {
	eachOf(t, databases, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		f, err := flows.Decode([]byte(delayFlow))
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := b.eng.SaveDraft(b.ctx, f, engine.DraftOptions{Create: true}); err != nil {
			t.Fatal(err)
		}
		runID, err := b.eng.TestRun(b.ctx, "delay", map[string]any{"email": "Tess@Example.com", "name": "Tess Tester", "phone": "+14155550100"})
		if err != nil {
			t.Fatal(err)
		}
		run, err := storage.GetRun(b.store.Reader(), runID)
		if err != nil || run.ContactID == nil {
			t.Fatalf("the test run has no contact: %+v, %v", run, err)
		}
		c, err := storage.GetContact(b.store.Reader(), *run.ContactID)
		if err != nil {
			t.Fatal(err)
		}
		if !c.Test || c.Email == nil || *c.Email != "tess@example.com" || c.FirstName != "Tess" || c.LastName != "Tester" || c.Phone == nil {
			t.Errorf("test contact %+v, want a test contact made from the sample", c)
		}
		if real, _ := storage.ContactIDByEmail(b.store.Reader(), "tess@example.com", false); real != "" {
			t.Errorf("a real contact was made: %s", real)
		}
	})
}
