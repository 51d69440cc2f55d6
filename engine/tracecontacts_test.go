package engine

import (
	"context"
	"fmt"
	"strings"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
	"github.com/journeyhq/journey/storage"
)

// traceContacts is the tracer's txContacts: it answers a step from the
// in-memory store (and from what the step asked for before) and records
// each change as a write, which the tracer's apply performs in memory.
type traceContacts struct {
	f       *nodestest.Contacts
	writes  []write
	created []string
}

// put records a write whose do changes the in-memory store.
func (c *traceContacts) put(w write, do func(ctx context.Context) error) {
	w.do = func(storage.Tx) error { return do(context.Background()) }
	c.writes = append(c.writes, w)
}

func (c *traceContacts) exists(id string) error {
	for _, cr := range c.created {
		if cr == id {
			return nil
		}
	}
	if _, ok := c.f.Contact(id); !ok {
		return fmt.Errorf("no contact %q", id)
	}
	return nil
}

func (c *traceContacts) Upsert(_ context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	match := func(get func(nodestest.Contact) string, v string) string {
		if v == "" {
			return ""
		}
		for _, ct := range c.f.Contacts() {
			if strings.EqualFold(get(ct), v) {
				return ct.ID
			}
		}
		return ""
	}
	id := match(func(ct nodestest.Contact) string { return ct.Email }, in.Email)
	if id == "" {
		id = match(func(ct nodestest.Contact) string { return ct.Phone }, in.Phone)
	}
	if id == "" {
		id = match(func(ct nodestest.Contact) string { return ct.ExternalID }, in.ExternalID)
	}
	if id != "" {
		c.put(write{kind: writeUpsert, contactID: id, upsert: &storage.ContactUpsert{ID: id}}, func(ctx context.Context) error {
			_, err := c.f.Upsert(ctx, "", in)
			return err
		})
		return nodes.ContactRef{ID: id}, nil
	}
	id = c.f.NewID("c")
	c.created = append(c.created, id)
	c.put(write{kind: writeUpsert, contactID: id, upsert: &storage.ContactUpsert{ID: id, New: &storage.Contact{ID: id}}},
		func(ctx context.Context) error {
			c.f.Add(nodestest.Contact{ID: id, Email: in.Email})
			_, err := c.f.Upsert(ctx, "", in)
			return err
		})
	return nodes.ContactRef{ID: id, Created: true}, nil
}

func (c *traceContacts) CreateDeal(_ context.Context, key string, in nodes.DealInput) (string, error) {
	if err := c.exists(in.ContactID); err != nil {
		return "", err
	}
	d := nodestest.Deal{ID: c.f.NewID("d"), DealInput: in}
	c.put(write{kind: writeDeal, key: key, contactID: in.ContactID, deal: &storage.Deal{ID: d.ID, Title: in.Title}},
		func(context.Context) error { c.f.PutDeal(d); return nil })
	return d.ID, nil
}

func (c *traceContacts) CreateTask(_ context.Context, key string, in nodes.TaskInput) (string, error) {
	if in.ContactID != "" {
		if err := c.exists(in.ContactID); err != nil {
			return "", err
		}
	}
	t := nodestest.Task{ID: c.f.NewID("t"), TaskInput: in}
	c.put(write{kind: writeTask, key: key, contactID: in.ContactID, task: &storage.Task{ID: t.ID, Title: in.Title}},
		func(context.Context) error { c.f.PutTask(t); return nil })
	return t.ID, nil
}

func (c *traceContacts) AddNote(_ context.Context, key string, in nodes.NoteInput) (string, error) {
	if err := c.exists(in.ContactID); err != nil {
		return "", err
	}
	n := nodestest.Note{ID: c.f.NewID("n"), NoteInput: in}
	c.put(write{kind: writeNote, key: key, contactID: in.ContactID, note: &storage.Note{ID: n.ID}},
		func(context.Context) error { c.f.PutNote(n); return nil })
	return n.ID, nil
}

func (c *traceContacts) AddScore(_ context.Context, key, contactID string, delta int) (int, error) {
	if err := c.exists(contactID); err != nil {
		return 0, err
	}
	ct, _ := c.f.Contact(contactID)
	score := ct.Score
	for _, w := range c.writes {
		if w.kind == writeScore && w.contactID == contactID {
			score += w.delta
		}
	}
	c.put(write{kind: writeScore, contactID: contactID, delta: delta}, func(ctx context.Context) error {
		_, err := c.f.AddScore(ctx, "", contactID, delta)
		return err
	})
	return score + delta, nil
}

func (c *traceContacts) AddToList(_ context.Context, key, contactID, list string) error {
	if err := c.exists(contactID); err != nil {
		return err
	}
	c.put(write{kind: writeListAdd, contactID: contactID, name: list}, func(ctx context.Context) error {
		return c.f.AddToList(ctx, "", contactID, list)
	})
	return nil
}

func (c *traceContacts) RemoveFromList(_ context.Context, key, contactID, list string) error {
	if err := c.exists(contactID); err != nil {
		return err
	}
	c.put(write{kind: writeListRemove, contactID: contactID, name: list}, func(ctx context.Context) error {
		return c.f.RemoveFromList(ctx, "", contactID, list)
	})
	return nil
}

func (c *traceContacts) Tag(_ context.Context, key, contactID string, add, remove []string) error {
	if err := c.exists(contactID); err != nil {
		return err
	}
	c.put(write{kind: writeTag, contactID: contactID, add: add, remove: remove}, func(ctx context.Context) error {
		return c.f.Tag(ctx, "", contactID, add, remove)
	})
	return nil
}

// Interface guards.
var _ nodes.Contacts = (*traceContacts)(nil)
