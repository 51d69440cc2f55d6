// Package nodestest holds test doubles for the interfaces of package nodes,
// for the tests of nodes and of the engine.
package nodestest

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
)

// Contact is a contact as the fake store keeps it.
type Contact struct {
	ID         string
	Email      string
	Phone      string
	FirstName  string
	LastName   string
	Company    string
	ExternalID string
	TimeZone   string
	Score      int
	Tags       []string
	Lists      []string
	Fields     map[string]any
}

// Deal is a created deal.
type Deal struct {
	ID string
	nodes.DealInput
}

// Task is a created task.
type Task struct {
	ID string
	nodes.TaskInput
}

// Note is an added note.
type Note struct {
	ID string
	nodes.NoteInput
}

// Call records one call to the fake. Replayed is true when the key had
// already been used, so the call changed nothing.
type Call struct {
	Method   string
	Key      string
	Args     any
	Replayed bool
	Err      error
}

// Contacts is a recording in-memory nodes.Contacts. Like the real store,
// it honours idempotency keys: a second call with a key already used by
// that method changes nothing and returns the first result. Failures can
// be injected with FailNext. It is safe for concurrent use; the zero value
// is not ready, use NewContacts.
type Contacts struct {
	mu       sync.Mutex
	next     int
	contacts []*Contact
	deals    []Deal
	tasks    []Task
	notes    []Note
	done     map[string]any // method + key -> first result
	calls    []Call
	fail     map[string][]error
}

// NewContacts returns an empty fake store.
func NewContacts() *Contacts {
	return &Contacts{done: map[string]any{}, fail: map[string][]error{}}
}

// Add stores c as an existing contact (an empty ID gets one) and returns
// its id.
func (f *Contacts) Add(c Contact) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c.ID == "" {
		c.ID = f.newID("c")
	}
	f.contacts = append(f.contacts, &c)
	return c.ID
}

// FailNext makes the next call of method ("Upsert", "CreateDeal", ...)
// return err, before any change. Several calls queue several failures.
func (f *Contacts) FailNext(method string, err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = append(f.fail[method], err)
}

// Calls returns every call so far, in order.
func (f *Contacts) Calls() []Call {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Contact returns a copy of the contact with id.
func (f *Contacts) Contact(id string) (Contact, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c := f.byID(id); c != nil {
		return clone(c), true
	}
	return Contact{}, false
}

// Contacts returns copies of every contact, in creation order.
func (f *Contacts) Contacts() []Contact {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Contact, len(f.contacts))
	for i, c := range f.contacts {
		out[i] = clone(c)
	}
	return out
}

// Deals returns every deal created.
func (f *Contacts) Deals() []Deal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.deals)
}

// Tasks returns every task created.
func (f *Contacts) Tasks() []Task {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.tasks)
}

// Notes returns every note added.
func (f *Contacts) Notes() []Note {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.notes)
}

// Env returns the contact with id as expressions see it.
func (f *Contacts) Env(id string) flows.Contact {
	c, ok := f.Contact(id)
	if !ok {
		return flows.Contact{}
	}
	return flows.Contact{
		ID: c.ID, ExternalID: c.ExternalID, Email: c.Email, Phone: c.Phone,
		FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Score: c.Score,
		TimeZone: c.TimeZone, Tags: c.Tags, Lists: c.Lists, Fields: c.Fields,
	}
}

// Upsert implements nodes.Contacts: it finds the contact by email, then
// phone, then external id, and fills in the non-empty fields.
func (f *Contacts) Upsert(_ context.Context, key string, in nodes.ContactInput) (nodes.ContactRef, error) {
	var ref nodes.ContactRef
	err := f.do("Upsert", key, in, &ref, func() (any, error) {
		c := f.find(in)
		created := c == nil
		if created {
			c = &Contact{ID: f.newID("c")}
			f.contacts = append(f.contacts, c)
		}
		set := func(dst *string, v string) {
			if v != "" {
				*dst = v
			}
		}
		set(&c.Email, in.Email)
		set(&c.Phone, in.Phone)
		set(&c.FirstName, in.FirstName)
		set(&c.LastName, in.LastName)
		set(&c.Company, in.Company)
		set(&c.ExternalID, in.ExternalID)
		set(&c.TimeZone, in.TimeZone)
		if len(in.Fields) > 0 {
			if c.Fields == nil {
				c.Fields = map[string]any{}
			}
			maps.Copy(c.Fields, in.Fields)
		}
		return nodes.ContactRef{ID: c.ID, Created: created}, nil
	})
	return ref, err
}

// CreateDeal implements nodes.Contacts.
func (f *Contacts) CreateDeal(_ context.Context, key string, in nodes.DealInput) (string, error) {
	var id string
	err := f.do("CreateDeal", key, in, &id, func() (any, error) {
		if f.byID(in.ContactID) == nil {
			return nil, fmt.Errorf("no contact %q", in.ContactID)
		}
		d := Deal{ID: f.newID("d"), DealInput: in}
		f.deals = append(f.deals, d)
		return d.ID, nil
	})
	return id, err
}

// CreateTask implements nodes.Contacts.
func (f *Contacts) CreateTask(_ context.Context, key string, in nodes.TaskInput) (string, error) {
	var id string
	err := f.do("CreateTask", key, in, &id, func() (any, error) {
		if in.ContactID != "" && f.byID(in.ContactID) == nil {
			return nil, fmt.Errorf("no contact %q", in.ContactID)
		}
		t := Task{ID: f.newID("t"), TaskInput: in}
		f.tasks = append(f.tasks, t)
		return t.ID, nil
	})
	return id, err
}

// AddNote implements nodes.Contacts.
func (f *Contacts) AddNote(_ context.Context, key string, in nodes.NoteInput) (string, error) {
	var id string
	err := f.do("AddNote", key, in, &id, func() (any, error) {
		if f.byID(in.ContactID) == nil {
			return nil, fmt.Errorf("no contact %q", in.ContactID)
		}
		n := Note{ID: f.newID("n"), NoteInput: in}
		f.notes = append(f.notes, n)
		return n.ID, nil
	})
	return id, err
}

// AddScore implements nodes.Contacts.
func (f *Contacts) AddScore(_ context.Context, key, contactID string, delta int) (int, error) {
	var score int
	err := f.do("AddScore", key, []any{contactID, delta}, &score, func() (any, error) {
		c := f.byID(contactID)
		if c == nil {
			return nil, fmt.Errorf("no contact %q", contactID)
		}
		c.Score += delta
		return c.Score, nil
	})
	return score, err
}

// AddToList implements nodes.Contacts.
func (f *Contacts) AddToList(_ context.Context, key, contactID, list string) error {
	var none struct{}
	return f.do("AddToList", key, []string{contactID, list}, &none, func() (any, error) {
		c := f.byID(contactID)
		if c == nil {
			return nil, fmt.Errorf("no contact %q", contactID)
		}
		if !slices.Contains(c.Lists, list) {
			c.Lists = append(c.Lists, list)
		}
		return struct{}{}, nil
	})
}

// RemoveFromList implements nodes.Contacts.
func (f *Contacts) RemoveFromList(_ context.Context, key, contactID, list string) error {
	var none struct{}
	return f.do("RemoveFromList", key, []string{contactID, list}, &none, func() (any, error) {
		c := f.byID(contactID)
		if c == nil {
			return nil, fmt.Errorf("no contact %q", contactID)
		}
		c.Lists = slices.DeleteFunc(c.Lists, func(l string) bool { return l == list })
		return struct{}{}, nil
	})
}

// Tag implements nodes.Contacts.
func (f *Contacts) Tag(_ context.Context, key, contactID string, add, remove []string) error {
	var none struct{}
	return f.do("Tag", key, [][]string{{contactID}, add, remove}, &none, func() (any, error) {
		c := f.byID(contactID)
		if c == nil {
			return nil, fmt.Errorf("no contact %q", contactID)
		}
		for _, t := range add {
			if !slices.Contains(c.Tags, t) {
				c.Tags = append(c.Tags, t)
			}
		}
		c.Tags = slices.DeleteFunc(c.Tags, func(t string) bool { return slices.Contains(remove, t) })
		return struct{}{}, nil
	})
}

// do runs apply once per (method, key), records the call, and stores the
// first result into out (a pointer to the result's type).
func (f *Contacts) do(method, key string, args, out any, apply func() (any, error)) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	call := Call{Method: method, Key: key, Args: args}
	if q := f.fail[method]; len(q) > 0 {
		call.Err, f.fail[method] = q[0], q[1:]
		f.calls = append(f.calls, call)
		return call.Err
	}
	doneKey := method + "\x00" + key
	res, replayed := f.done[doneKey]
	if !replayed {
		var err error
		res, err = apply()
		if err != nil {
			call.Err = err
			f.calls = append(f.calls, call)
			return err
		}
		f.done[doneKey] = res
	}
	call.Replayed = replayed
	f.calls = append(f.calls, call)
	setResult(out, res)
	return nil
}

// setResult stores res into out.
func setResult(out, res any) {
	switch p := out.(type) {
	case *nodes.ContactRef:
		*p = res.(nodes.ContactRef)
	case *string:
		*p = res.(string)
	case *int:
		*p = res.(int)
	}
}

// find returns the contact matching in by email, phone or external id.
func (f *Contacts) find(in nodes.ContactInput) *Contact {
	match := func(get func(*Contact) string, v string) *Contact {
		if v == "" {
			return nil
		}
		for _, c := range f.contacts {
			if strings.EqualFold(get(c), v) {
				return c
			}
		}
		return nil
	}
	if c := match(func(c *Contact) string { return c.Email }, in.Email); c != nil {
		return c
	}
	if c := match(func(c *Contact) string { return c.Phone }, in.Phone); c != nil {
		return c
	}
	return match(func(c *Contact) string { return c.ExternalID }, in.ExternalID)
}

// byID returns the stored contact with id, or nil.
func (f *Contacts) byID(id string) *Contact {
	for _, c := range f.contacts {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// NewID returns the id the store gives its next record, with prefix (c1,
// d2, ...), for a caller that decides a record's id before it writes the
// record (PutDeal, PutTask, PutNote, Add).
func (f *Contacts) NewID(prefix string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.newID(prefix)
}

// PutDeal stores d as created, with its id.
func (f *Contacts) PutDeal(d Deal) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.deals = append(f.deals, d)
}

// PutTask stores t as created, with its id.
func (f *Contacts) PutTask(t Task) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tasks = append(f.tasks, t)
}

// PutNote stores n as added, with its id.
func (f *Contacts) PutNote(n Note) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.notes = append(f.notes, n)
}

// newID returns a new id with prefix (c1, d2, ...).
func (f *Contacts) newID(prefix string) string {
	f.next++
	return fmt.Sprintf("%s%d", prefix, f.next)
}

// clone deep-copies a contact.
func clone(c *Contact) Contact {
	out := *c
	out.Tags = slices.Clone(c.Tags)
	out.Lists = slices.Clone(c.Lists)
	out.Fields = maps.Clone(c.Fields)
	return out
}

// Interface guards.
var _ nodes.Contacts = (*Contacts)(nil)
