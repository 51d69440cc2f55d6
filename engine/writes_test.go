package engine_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// ownWritesRegistry has test.own_writes: in one step it creates a contact
// from the trigger's email, tags it, scores it twice, creates a deal and
// records a message twice under the same keys, and fails at the end for
// emails starting with "fail". Each answer must take the step's own
// earlier requests into account, though nothing is written until the step
// is recorded.
func ownWritesRegistry() *nodes.Registry {
	reg := nodes.Builtin()
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.own_writes", Category: flows.CategoryIntegration, Title: "Own writes",
			Description: "Writes several things in one step.", Outputs: []flows.PortSpec{{Name: "out", Label: "Done"}, {Name: "failed", Label: "Failed"}}},
		Handler: nodes.HandlerFunc(func(ctx context.Context, in *nodes.Input) (nodes.Result, error) {
			email, _ := in.Env.Trigger["email"].(string)
			ref, err := in.Contacts.Upsert(ctx, in.Key, nodes.ContactInput{Email: email, FirstName: "Own"})
			if err != nil {
				return nodes.Result{}, err
			}
			if !ref.Created {
				return nodes.Result{}, nodes.Permanentf("the contact %s should be new", email)
			}
			if err := in.Contacts.Tag(ctx, in.Key, ref.ID, []string{"own"}, nil); err != nil {
				return nodes.Result{}, fmt.Errorf("tag the new contact: %w", err)
			}
			first, err := in.Contacts.AddScore(ctx, in.Key, ref.ID, 5)
			if err != nil {
				return nodes.Result{}, err
			}
			second, err := in.Contacts.AddScore(ctx, in.Key, ref.ID, 7)
			if err != nil {
				return nodes.Result{}, err
			}
			deal, err := in.Contacts.CreateDeal(ctx, in.Key, nodes.DealInput{ContactID: ref.ID, Title: "Own"})
			if err != nil {
				return nodes.Result{}, err
			}
			again, err := in.Contacts.CreateDeal(ctx, in.Key, nodes.DealInput{ContactID: ref.ID, Title: "Own"})
			if err != nil {
				return nodes.Result{}, err
			}
			d := nodes.Draft{Key: in.Key, Channel: nodes.ChannelEmail, Provider: nodes.ProviderSandbox, Status: nodes.StatusSandboxed,
				To: email, Text: "own", ContactID: ref.ID, RunID: in.RunID, NodeID: in.Node.Node.ID, FlowID: in.Env.Run.FlowID}
			m1, err := in.Channels.Record(ctx, d)
			if err != nil {
				return nodes.Result{}, err
			}
			m2, err := in.Channels.Record(ctx, d)
			if err != nil {
				return nodes.Result{}, err
			}
			if strings.HasPrefix(email, "fail") {
				return nodes.Result{}, nodes.Permanentf("failed after writing")
			}
			if strings.HasPrefix(email, "retry") && in.Attempt == 1 {
				return nodes.Result{}, errors.New("failed after writing; try again")
			}
			return nodes.Result{ContactID: ref.ID, Output: map[string]any{"scores": []int{first, second},
				"same_deal": deal == again, "same_message": m1.ID == m2.ID}}, nil
		}),
	})
	return reg
}

func TestStepAnswersFromItsOwnWrites(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{reg: ownWritesRegistry(), db: db, channels: true})
		b.publish(t, `{
  "id": "own", "name": "Own writes",
  "nodes": [
    {"id": "start", "type": "trigger.webhook", "params": {"path": "own"}, "position": {"x":0,"y":0}},
    {"id": "own", "type": "test.own_writes", "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "own"}]
}`)
		ok := b.hook(t, "own", map[string]any{"email": "ok@example.com"})
		failed := b.hook(t, "own", map[string]any{"email": "fail@example.com"})
		// The first attempt wrote nothing; the second (which looks its
		// keys up: its visit ran before) writes everything once.
		retried := b.hook(t, "own", map[string]any{"email": "retry@example.com"})
		b.drain(t)
		b.clock.Advance(time.Minute)
		b.drain(t)
		if r := b.run(t, retried[0]); r.Status != storage.RunCompleted {
			t.Fatalf("retried run: %s (%s), want completed", r.Status, r.Error)
		}
		if r := b.run(t, ok[0]); r.Status != storage.RunCompleted {
			t.Fatalf("run: %s (%s), want completed", r.Status, r.Error)
		}
		steps, err := storage.RunSteps(b.store.Reader(), ok[0])
		if err != nil {
			t.Fatal(err)
		}
		var out string
		for _, s := range steps {
			if s.NodeID == "own" {
				out = s.Output
			}
		}
		if want := `{"same_deal":true,"same_message":true,"scores":[5,12]}`; out != want {
			t.Fatalf("output %s, want %s", out, want)
		}
		if r := b.run(t, failed[0]); r.Status != storage.RunFailed {
			t.Fatalf("failing run: %s, want failed", r.Status)
		}
		// The failed step wrote nothing: its contact does not exist.
		if n := b.count(t, &storage.Contact{}, ""); n != 2 {
			t.Fatalf("contacts = %d, want 2", n)
		}
		if n := b.count(t, &storage.Contact{}, "score = ?", 12); n != 2 {
			t.Fatal("a new contact's score is not 12")
		}
		for model, want := range map[any]int64{&storage.ContactTag{}: 2, &storage.Deal{}: 2, &storage.Message{}: 2} {
			if n := b.count(t, model, ""); n != want {
				t.Fatalf("%T rows = %d, want %d", model, n, want)
			}
		}
	})
}

// A job that fails for a reason other than its step (here a kind no
// version knows) rolls back only itself: the other jobs of its batch
// commit, and it is released to be retried later, with the error.
func TestBadJobDoesNotHoldUpItsBatch(t *testing.T) {
	t.Parallel()
	eachOf(t, databases, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		b.publish(t, `{
  "id": "tagger", "name": "Tagger",
  "nodes": [
    {"id": "start", "type": "trigger.webhook", "params": {"path": "tag"}, "position": {"x":0,"y":0}},
    {"id": "who", "type": "crm.upsert_contact", "params": {"email": "{{trigger.email}}"}, "position": {"x":0,"y":0}},
    {"id": "tag", "type": "contact.tag", "params": {"add": ["done"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "start", "to": "who"}, {"from": "who", "to": "tag"}]
}`)
		var runs []string
		for i := range 5 {
			runs = append(runs, b.hook(t, "tag", map[string]any{"email": fmt.Sprintf("p%d@example.com", i)})...)
		}
		if err := b.store.Write(b.ctx, func(tx storage.Tx) error {
			return storagetest.Update(tx, &storage.Job{}, "kind", "bogus", "run_id = ?", runs[2])
		}); err != nil {
			t.Fatal(err)
		}
		b.drain(t)
		for i, id := range runs {
			r := b.run(t, id)
			if i == 2 {
				if r.Status == storage.RunCompleted {
					t.Fatal("the run of the bad job completed")
				}
				continue
			}
			if r.Status != storage.RunCompleted {
				t.Fatalf("run %d: %s (%s), want completed", i, r.Status, r.Error)
			}
		}
		if n := b.count(t, &storage.ContactTag{}, "tag = ?", "done"); n != 4 {
			t.Fatalf("done tags = %d, want 4", n)
		}
		if n := b.count(t, &storage.Job{}, "run_id = ? AND attempts = 1 AND last_error LIKE ?", runs[2], "%unknown job kind%"); n != 1 {
			t.Fatalf("the bad job was not released with its error (%d)", n)
		}
	})
}
