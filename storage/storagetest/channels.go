package storagetest

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/internal/gormdb"
)

// ExerciseChannels runs the conformance suite of the messages and
// credentials tables.
func ExerciseChannels(t *testing.T, open OpenFunc) {
	t.Helper()
	setup := func(t *testing.T) *testBundle {
		t.Helper()
		return &testBundle{ctx: t.Context(), store: open(t)}
	}
	write := func(t *testing.T, b *testBundle, fn func(tx storage.Tx) error) {
		t.Helper()
		if err := b.store.Write(b.ctx, fn); err != nil {
			t.Fatalf("write: %v", err)
		}
	}

	t.Run("MessageKeyIsUnique", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var first, second *storage.Message
		var inserted bool
		write(t, b, func(tx storage.Tx) error {
			var err error
			first, inserted, err = storage.InsertMessage(tx, &storage.Message{IdemKey: "run:n:1", Channel: "sms", Provider: "sandbox",
				Status: storage.MessageQueued, To: "+34600111222", CreatedAt: t0, UpdatedAt: t0})
			return err
		})
		if !inserted {
			t.Fatal("the first insert was not inserted")
		}
		write(t, b, func(tx storage.Tx) error {
			var err error
			second, inserted, err = storage.InsertMessage(tx, &storage.Message{IdemKey: "run:n:1", Channel: "sms", Provider: "sandbox",
				Status: storage.MessageSent, CreatedAt: t0, UpdatedAt: t0})
			return err
		})
		if inserted || second.ID != first.ID || second.Status != storage.MessageQueued {
			t.Fatalf("second insert: inserted %v, %+v; want the first row back", inserted, second)
		}
		var n int64
		gormdb.Of(b.store.Reader()).Model(&storage.Message{}).Count(&n)
		if n != 1 {
			t.Fatalf("%d messages, want 1", n)
		}
	})

	t.Run("UpdateMessageAppendsHistory", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		var m *storage.Message
		write(t, b, func(tx storage.Tx) error {
			var err error
			m, _, err = storage.InsertMessage(tx, &storage.Message{IdemKey: "k", Channel: "email", Provider: "smtp",
				Status: storage.MessageQueued, CreatedAt: t0, UpdatedAt: t0})
			return err
		})
		write(t, b, func(tx storage.Tx) error {
			_, err := storage.UpdateMessage(tx, m.ID, storage.MessageChange{Status: storage.MessageSent, ProviderID: "<abc@x>",
				SentAt: t0, Event: &storage.MessageEvent{Type: "sent", At: t0}}, t0)
			if err != nil {
				return err
			}
			_, err = storage.UpdateMessage(tx, m.ID, storage.MessageChange{Status: storage.MessageOpened,
				Event: &storage.MessageEvent{Type: "opened", At: t0.Add(time.Hour)}}, t0.Add(time.Hour))
			return err
		})
		ref, err := storage.MessageRefByProviderID(b.store.Reader(), "<abc@x>")
		if err != nil {
			t.Fatal(err)
		}
		got, err := storage.GetMessage(b.store.Reader(), ref.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != storage.MessageOpened || got.SentAt == nil || !strings.Contains(got.Events, `"type":"sent"`) ||
			!strings.Contains(got.Events, `"type":"opened"`) {
			t.Fatalf("message = %+v", got)
		}
	})

	t.Run("ReceiptLookupAndHistory", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		contact := mustUpsert(t, b, "", storage.ContactInput{Phone: "+34600111333"})
		pid := "SM0001"
		var m *storage.Message
		write(t, b, func(tx storage.Tx) error {
			var err error
			m, _, err = storage.InsertMessage(tx, &storage.Message{IdemKey: "k", Channel: "sms", Provider: "twilio",
				Status: storage.MessageSent, ProviderID: &pid, ContactID: &contact, FlowID: "orders",
				Events: `[{"type":"sent","at":"2026-03-02T09:00:00Z"}]`, CreatedAt: t0, UpdatedAt: t0})
			return err
		})
		byPID, err := storage.MessageRefByProviderID(b.store.Reader(), pid)
		if err != nil {
			t.Fatal(err)
		}
		byID, err := storage.MessageRefByID(b.store.Reader(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := storage.MessageRef{ID: m.ID, Channel: "sms", Provider: "twilio", FlowID: "orders", ContactID: &contact}
		for _, got := range []*storage.MessageRef{byPID, byID} {
			if got.ID != want.ID || got.Channel != want.Channel || got.Provider != want.Provider || got.FlowID != want.FlowID ||
				got.ContactID == nil || *got.ContactID != contact {
				t.Fatalf("message ref = %+v, want %+v", got, want)
			}
		}
		if _, err := storage.MessageRefByProviderID(b.store.Reader(), "SM-unknown"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("unknown provider id: %v, want ErrNotFound", err)
		}
		if _, err := storage.MessageRefByID(b.store.Reader(), "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("unknown id: %v, want ErrNotFound", err)
		}
		later := t0.Add(time.Minute)
		history := `[{"type":"sent","at":"2026-03-02T09:00:00Z"},{"type":"delivered","at":"2026-03-02T09:01:00Z"}]`
		write(t, b, func(tx storage.Tx) error {
			status, events, err := storage.MessageHistory(tx, m.ID)
			if err != nil {
				return err
			}
			if status != storage.MessageSent || events != m.Events {
				t.Errorf("history = %s %s, want the stored one", status, events)
			}
			return storage.SetMessageHistory(tx, m.ID, storage.MessageDelivered, history, later)
		})
		got, err := storage.GetMessage(b.store.Reader(), m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Status != storage.MessageDelivered || got.Events != history || !got.UpdatedAt.Equal(later) || got.BodyText != m.BodyText {
			t.Fatalf("after SetMessageHistory: %+v", got)
		}
		err = b.store.Write(b.ctx, func(tx storage.Tx) error {
			return storage.SetMessageHistory(tx, "nope", storage.MessageDelivered, "[]", later)
		})
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("history of an unknown message: %v, want ErrNotFound", err)
		}
		if _, _, err := storage.MessageHistory(b.store.Reader(), "nope"); !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("history of an unknown message: %v, want ErrNotFound", err)
		}
	})

	t.Run("ListAndRecentSends", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		contact := mustUpsert(t, b, "", storage.ContactInput{Email: "m@example.com"})
		write(t, b, func(tx storage.Tx) error {
			for i, st := range []string{storage.MessageSent, storage.MessageSkipped, storage.MessageSandboxed, storage.MessageDelivered} {
				at := t0.Add(time.Duration(i) * time.Hour)
				c := contact
				if _, _, err := storage.InsertMessage(tx, &storage.Message{IdemKey: "k" + string(rune('a'+i)), Channel: "sms",
					Provider: "sandbox", Status: st, ContactID: &c, RunID: "r1", CreatedAt: at, UpdatedAt: at}); err != nil {
					return err
				}
			}
			return nil
		})
		ms, total, err := storage.ListMessages(b.store.Reader(), storage.MessageQuery{ContactID: contact, Status: storage.MessageSkipped})
		if err != nil || total != 1 || len(ms) != 1 {
			t.Fatalf("list skipped: %d of %d, %v", len(ms), total, err)
		}
		ms, total, _ = storage.ListMessages(b.store.Reader(), storage.MessageQuery{RunID: "r1", Channel: "sms", Limit: 2})
		if total != 4 || len(ms) != 2 || !ms[0].CreatedAt.After(ms[1].CreatedAt) {
			t.Fatalf("list page: %d of %d, want 2 of 4 newest first", len(ms), total)
		}
		ts, err := storage.RecentSends(b.store.Reader(), contact, "sms", t0.Add(30*time.Minute), 10)
		if err != nil || len(ts) != 2 || !ts[0].Equal(t0.Add(2*time.Hour)) {
			t.Fatalf("recent sends = %v, %v; want the sandboxed and delivered ones, oldest first", ts, err)
		}
		write(t, b, func(tx storage.Tx) error { return storage.EraseContact(tx, contact) })
		if _, total, _ := storage.ListMessages(b.store.Reader(), storage.MessageQuery{RunID: "r1"}); total != 0 {
			t.Fatalf("%d messages of an erased contact are left", total)
		}
	})

	t.Run("SetConsent", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		id := mustUpsert(t, b, "", storage.ContactInput{Email: "c@example.com"})
		write(t, b, func(tx storage.Tx) error {
			if err := storage.SetConsent(tx, id, "email", true, t0); err != nil {
				return err
			}
			return storage.SetConsent(tx, id, "sms", false, t0)
		})
		c, _ := storage.GetContact(b.store.Reader(), id)
		if c.Consent != `{"email":true,"sms":false}` {
			t.Fatalf("consent = %s", c.Consent)
		}
		err := b.store.Write(b.ctx, func(tx storage.Tx) error { return storage.SetConsent(tx, "nobody", "email", false, t0) })
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("consent of a missing contact: %v, want ErrNotFound", err)
		}
	})

	t.Run("Credentials", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		c := &storage.Credential{Name: "Main SMTP", Kind: "smtp", Fields: `{"host":"smtp.example.com"}`, Secrets: "sealed",
			CreatedAt: t0, UpdatedAt: t0}
		write(t, b, func(tx storage.Tx) error { return storage.InsertCredential(tx, c) })
		c.Name, c.UpdatedAt = "Renamed", t0.Add(time.Hour)
		write(t, b, func(tx storage.Tx) error { return storage.SaveCredential(tx, c) })
		got, err := storage.GetCredential(b.store.Reader(), c.ID)
		if err != nil || got.Name != "Renamed" || got.Secrets != "sealed" {
			t.Fatalf("credential = %+v, %v", got, err)
		}
		list, _ := storage.ListCredentials(b.store.Reader())
		if len(list) != 1 {
			t.Fatalf("%d credentials, want 1", len(list))
		}
		write(t, b, func(tx storage.Tx) error { return storage.DeleteCredential(tx, c.ID) })
		err = b.store.Write(b.ctx, func(tx storage.Tx) error { return storage.DeleteCredential(tx, c.ID) })
		if !errors.Is(err, storage.ErrNotFound) {
			t.Fatalf("second delete: %v, want ErrNotFound", err)
		}
	})

	t.Run("TakeWaitGroupTakesEverySibling", func(t *testing.T) {
		t.Parallel()
		b := setup(t)
		ws := []*storage.Wait{
			{RunID: "r", NodeID: "n", Visit: 1, ContactID: "c", EventType: "sms.delivered", ExpiresAt: t0, EventPort: "@reenter", TimeoutJobID: 7, CreatedAt: t0},
			{RunID: "r", NodeID: "n", Visit: 1, ContactID: "c", EventType: "sms.failed", ExpiresAt: t0, EventPort: "@reenter", TimeoutJobID: 7, CreatedAt: t0},
		}
		write(t, b, func(tx storage.Tx) error {
			for _, w := range ws {
				if err := storage.InsertWait(tx, w); err != nil {
					return err
				}
			}
			return nil
		})
		var first, second bool
		write(t, b, func(tx storage.Tx) error {
			var err error
			if first, err = storage.TakeWaitGroup(tx, ws[1]); err != nil {
				return err
			}
			second, err = storage.TakeWaitGroup(tx, ws[0])
			return err
		})
		var n int64
		gormdb.Of(b.store.Reader()).Model(&storage.Wait{}).Count(&n)
		if !first || second || n != 0 {
			t.Fatalf("first %v, second %v, %d waits left; want true, false, 0", first, second, n)
		}
	})
}
