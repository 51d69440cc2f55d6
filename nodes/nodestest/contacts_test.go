package nodestest_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
)

func TestUpsertDedupesAndMerges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := nodestest.NewContacts()
	a, err := f.Upsert(ctx, "k1", nodes.ContactInput{Email: "ana@example.com", FirstName: "Ana", Fields: map[string]any{"plan": "free"}})
	if err != nil || !a.Created {
		t.Fatalf("first upsert = %+v, %v; want created", a, err)
	}
	b, err := f.Upsert(ctx, "k2", nodes.ContactInput{Email: "ANA@example.com", Phone: "+34612345678", Fields: map[string]any{"seats": 3}})
	if err != nil || b.Created || b.ID != a.ID {
		t.Fatalf("second upsert = %+v, %v; want the same contact updated", b, err)
	}
	c, err := f.Upsert(ctx, "k3", nodes.ContactInput{Phone: "+34612345678", LastName: "López"})
	if err != nil || c.ID != a.ID {
		t.Fatalf("upsert by phone = %+v, %v; want the same contact", c, err)
	}
	got, _ := f.Contact(a.ID)
	if got.FirstName != "Ana" || got.LastName != "López" || got.Fields["plan"] != "free" || got.Fields["seats"] != 3 {
		t.Fatalf("contact = %+v: empty fields must not overwrite and custom fields must merge", got)
	}
}

func TestIdempotencyKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := nodestest.NewContacts()
	id := f.Add(nodestest.Contact{Email: "ana@example.com"})
	for range 3 {
		if score, err := f.AddScore(ctx, "run:n:1", id, 10); err != nil || score != 10 {
			t.Fatalf("AddScore = %d, %v; want 10 every time", score, err)
		}
		if _, err := f.CreateDeal(ctx, "run:d:1", nodes.DealInput{ContactID: id, Title: "Deal"}); err != nil {
			t.Fatalf("CreateDeal: %v", err)
		}
	}
	if score, _ := f.AddScore(ctx, "run:n:2", id, 5); score != 15 {
		t.Fatalf("a new visit must count again: score %d, want 15", score)
	}
	if n := len(f.Deals()); n != 1 {
		t.Fatalf("%d deals, want 1", n)
	}
	replayed := 0
	for _, c := range f.Calls() {
		if c.Replayed {
			replayed++
		}
	}
	if replayed != 4 {
		t.Fatalf("%d calls replayed, want 4", replayed)
	}
}

func TestFailNext(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := nodestest.NewContacts()
	id := f.Add(nodestest.Contact{Email: "ana@example.com"})
	boom := errors.New("boom")
	f.FailNext("AddToList", boom)
	if err := f.AddToList(ctx, "k", id, "vip"); !errors.Is(err, boom) {
		t.Fatalf("err = %v, want the injected error", err)
	}
	if err := f.AddToList(ctx, "k", id, "vip"); err != nil {
		t.Fatalf("retry after a failure: %v", err)
	}
	if c, _ := f.Contact(id); len(c.Lists) != 1 {
		t.Fatalf("lists = %v", c.Lists)
	}
}

func TestUnknownContactIsAnError(t *testing.T) {
	t.Parallel()
	f := nodestest.NewContacts()
	if err := f.Tag(context.Background(), "k", "nobody", []string{"x"}, nil); err == nil {
		t.Fatalf("tagging an unknown contact succeeded")
	}
}

func TestConcurrentSameKey(t *testing.T) {
	t.Parallel()
	f := nodestest.NewContacts()
	var wg sync.WaitGroup
	ids := make([]string, 20)
	for i := range ids {
		wg.Go(func() {
			ref, err := f.Upsert(context.Background(), "same", nodes.ContactInput{Email: fmt.Sprintf("u%d@example.com", i)})
			if err != nil {
				t.Errorf("upsert: %v", err)
			}
			ids[i] = ref.ID
		})
	}
	wg.Wait()
	for _, id := range ids {
		if id != ids[0] {
			t.Fatalf("the same key gave different contacts: %v", ids)
		}
	}
	if n := len(f.Contacts()); n != 1 {
		t.Fatalf("%d contacts, want 1", n)
	}
}
