package nodes_test

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
)

// chatParams maps a typical chat payload onto a contact.
var chatParams = map[string]any{
	"email": "{{ trigger.email }}", "phone": "{{ trigger.phone }}", "name": "{{ trigger.name }}",
	"first_name": "{{ trigger.first_name }}", "company": "{{ trigger.company }}",
	"time_zone": "{{ trigger.tz }}", "default_region": "ES",
	"fields": map[string]any{"plan": "trigger.plan"},
}

func TestUpsertContact(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		trigger  map[string]any
		existing *nodestest.Contact
		want     nodestest.Contact
		created  bool
		notes    int
	}{
		{
			name:    "tidies and creates",
			trigger: map[string]any{"email": "  Ana.Lopez@Example.COM ", "phone": "612 34 56 78", "name": "ana   LÓPEZ garcía", "company": " Acme  Corp ", "tz": "Europe/Madrid", "plan": "pro"},
			want: nodestest.Contact{Email: "ana.lopez@example.com", Phone: "+34612345678", FirstName: "Ana", LastName: "López García",
				Company: "Acme Corp", TimeZone: "Europe/Madrid", Fields: map[string]any{"plan": "pro"}},
			created: true,
		},
		{
			name:    "first name wins over the full name",
			trigger: map[string]any{"email": "x@example.com", "first_name": "mARÍA", "name": "Someone Else"},
			want:    nodestest.Contact{Email: "x@example.com", FirstName: "María"},
			created: true,
		},
		{
			name:    "a bad phone is dropped when there is an email",
			trigger: map[string]any{"email": "ana@example.com", "phone": "12"},
			want:    nodestest.Contact{Email: "ana@example.com"},
			created: true, notes: 1,
		},
		{
			name:    "an unknown time zone is dropped",
			trigger: map[string]any{"phone": "+34 612 345 678", "tz": "Mars/Olympus"},
			want:    nodestest.Contact{Phone: "+34612345678"},
			created: true, notes: 1,
		},
		{
			name:     "updates the contact with the same email",
			trigger:  map[string]any{"email": "ANA@example.com", "company": "New Co"},
			existing: &nodestest.Contact{Email: "ana@example.com", FirstName: "Ana", Company: "Old Co"},
			want:     nodestest.Contact{Email: "ana@example.com", FirstName: "Ana", Company: "New Co"},
		},
		{
			name:     "finds the contact by phone",
			trigger:  map[string]any{"phone": "0034612345678", "name": "Ana"},
			existing: &nodestest.Contact{Phone: "+34612345678", Email: "ana@example.com"},
			want:     nodestest.Contact{Phone: "+34612345678", Email: "ana@example.com", FirstName: "Ana"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			if tt.existing != nil {
				b.store.Add(*tt.existing)
			}
			b.env.Trigger = tt.trigger
			res, err := b.run(t, nodes.TypeUpsertContact, chatParams)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			got, ok := b.store.Contact(res.ContactID)
			if !ok {
				t.Fatalf("result contact %q is not in the store", res.ContactID)
			}
			tt.want.ID = got.ID
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("stored contact\n got %+v\nwant %+v", got, tt.want)
			}
			if res.Output["contact_id"] != got.ID || res.Output["created"] != tt.created {
				t.Fatalf("output = %v, want contact %s created %v", res.Output, got.ID, tt.created)
			}
			notes, _ := res.Output["notes"].([]string)
			if len(notes) != tt.notes {
				t.Fatalf("notes = %v, want %d", notes, tt.notes)
			}
			if n := len(b.store.Contacts()); n != 1 {
				t.Fatalf("store has %d contacts, want 1", n)
			}
		})
	}
}

func TestUpsertContactBadData(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		trigger map[string]any
		want    string
	}{
		{"invalid email", map[string]any{"email": "ana@", "phone": "+34612345678"}, "not a valid email"},
		{"invalid phone and no email", map[string]any{"phone": "12345"}, "not a valid phone"},
		{"nothing to find the contact by", map[string]any{"name": "Ana"}, "no email, phone or ID"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env.Trigger = tt.trigger
			_, err := b.run(t, nodes.TypeUpsertContact, chatParams)
			wantPermanent(t, err, tt.want)
			if n := len(b.store.Calls()); n != 0 {
				t.Fatalf("the store was called %d times", n)
			}
		})
	}
}

func TestUpsertContactIsIdempotent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Trigger = map[string]any{"email": "ana@example.com"}
	n := b.compile(t, nodes.TypeUpsertContact, map[string]any{"email": "{{ trigger.email }}"})
	first, err := b.runNode(t, n, "run1:n:1")
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	again, err := b.runNode(t, n, "run1:n:1")
	if err != nil {
		t.Fatalf("run again: %v", err)
	}
	if first.ContactID != again.ContactID || again.Output["created"] != true {
		t.Fatalf("a retried step must return the first result: %v then %v", first.Output, again.Output)
	}
	calls := b.store.Calls()
	if len(calls) != 2 || calls[0].Key != "run1:n:1" || !calls[1].Replayed {
		t.Fatalf("calls = %+v, want the second replayed with the step key", calls)
	}
}

func TestUpsertContactStoreErrorIsRetried(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Trigger = map[string]any{"email": "ana@example.com"}
	boom := errors.New("database is busy")
	b.store.FailNext("Upsert", boom)
	_, err := b.run(t, nodes.TypeUpsertContact, map[string]any{"email": "{{ trigger.email }}"})
	if !errors.Is(err, boom) || nodes.IsPermanent(err) {
		t.Fatalf("err = %v: want the store error, retryable", err)
	}
}

func TestUpsertContactNeedsAnIdentity(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantProblem(t, b.problems(t, nodes.TypeUpsertContact, map[string]any{"name": "{{ trigger.name }}"}), "email", "at least one of")
}

func TestCreateDeal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		params  map[string]any
		trigger map[string]any
		want    nodes.DealInput
	}{
		{
			name:   "defaults: contact's name, stage new, USD",
			params: map[string]any{},
			want:   nodes.DealInput{Title: "Ana López", Stage: "new", Currency: "USD"},
		},
		{
			name:    "amount from text with a thousands separator",
			params:  map[string]any{"title": "{{ contact.company }} deal", "value": "trigger.budget", "currency": "eur", "stage": "qualified", "owner": "maria"},
			trigger: map[string]any{"budget": "1,200.50"},
			want:    nodes.DealInput{Title: "Acme deal", Stage: "qualified", Value: 1200.5, Currency: "EUR", Owner: "maria"},
		},
		{
			name:   "a fixed amount",
			params: map[string]any{"value": "490"},
			want:   nodes.DealInput{Title: "Ana López", Stage: "new", Value: 490, Currency: "USD"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.withContact(nodestest.Contact{FirstName: "Ana", LastName: "López", Company: "Acme"})
			if tt.trigger != nil {
				b.env.Trigger = tt.trigger
			}
			res, err := b.run(t, nodes.TypeCreateDeal, tt.params)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			deals := b.store.Deals()
			tt.want.ContactID = id
			if len(deals) != 1 || deals[0].DealInput != tt.want {
				t.Fatalf("deals = %+v, want %+v", deals, tt.want)
			}
			if res.Output["deal_id"] != deals[0].ID {
				t.Fatalf("output %v does not carry the deal id", res.Output)
			}
		})
	}
}

func TestCreateDealErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.run(t, nodes.TypeCreateDeal, map[string]any{})
	wantPermanent(t, err, "no contact yet")
	if !errors.Is(err, nodes.ErrNoContact) {
		t.Fatalf("err = %v, want ErrNoContact", err)
	}

	b = setup(t)
	b.withContact(nodestest.Contact{Email: "ana@example.com"})
	b.env.Trigger = map[string]any{"budget": "lots"}
	_, err = b.run(t, nodes.TypeCreateDeal, map[string]any{"value": "trigger.budget"})
	wantPermanent(t, err, "not a number")

	wantProblem(t, b.problems(t, nodes.TypeCreateDeal, map[string]any{"currency": "dollars"}), "currency", "not a currency")
}

func TestCreateDealWithoutNamesUsesEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.withContact(nodestest.Contact{Email: "ana@example.com"})
	if _, err := b.run(t, nodes.TypeCreateDeal, map[string]any{}); err != nil {
		t.Fatalf("run: %v", err)
	}
	if got := b.store.Deals()[0].Title; got != "Deal for ana@example.com" {
		t.Fatalf("title = %q", got)
	}
}

func TestCreateTask(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.withContact(nodestest.Contact{FirstName: "Ana"})
	b.env.Trigger = map[string]any{"topic": "pricing"}
	res, err := b.run(t, nodes.TypeCreateTask, map[string]any{
		"title": "Call {{ contact.first_name }} back", "notes": "Asked about {{ trigger.topic }}", "owner": "maria", "due_in": "4h",
	})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	want := nodes.TaskInput{ContactID: id, Title: "Call Ana back", Notes: "Asked about pricing", Owner: "maria", DueAt: testNow.Add(4 * time.Hour)}
	tasks := b.store.Tasks()
	if len(tasks) != 1 || tasks[0].TaskInput != want {
		t.Fatalf("tasks = %+v, want %+v", tasks, want)
	}
	if res.Output["task_id"] != tasks[0].ID {
		t.Fatalf("output = %v", res.Output)
	}
}

func TestCreateTaskWithoutContactOrDueDate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	if _, err := b.run(t, nodes.TypeCreateTask, map[string]any{"title": "Review the week's leads"}); err != nil {
		t.Fatalf("run: %v", err)
	}
	task := b.store.Tasks()[0]
	if task.ContactID != "" || !task.DueAt.IsZero() {
		t.Fatalf("task = %+v, want no contact and no due date", task)
	}
}

func TestAddNote(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		trigger   map[string]any
		wantNotes int
	}{
		{"saves the transcript", map[string]any{"transcript": "Hi, I want a demo"}, 1},
		{"an empty note is skipped", map[string]any{"transcript": "  "}, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.withContact(nodestest.Contact{Email: "ana@example.com"})
			b.env.Trigger = tt.trigger
			res, err := b.run(t, nodes.TypeAddNote, map[string]any{"body": "{{ trigger.transcript }}"})
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			notes := b.store.Notes()
			if len(notes) != tt.wantNotes {
				t.Fatalf("notes = %+v, want %d", notes, tt.wantNotes)
			}
			if tt.wantNotes == 1 {
				want := nodes.NoteInput{ContactID: id, Body: "Hi, I want a demo", Source: "journey"}
				if notes[0].NoteInput != want {
					t.Fatalf("note = %+v, want %+v", notes[0].NoteInput, want)
				}
			} else if res.Output["skipped"] == nil {
				t.Fatalf("output %v should say the note was skipped", res.Output)
			}
		})
	}
}

func TestAddNoteNeedsContact(t *testing.T) {
	t.Parallel()
	b := setup(t)
	_, err := b.run(t, nodes.TypeAddNote, map[string]any{"body": "hello"})
	wantPermanent(t, err, "no contact yet")
}

func TestScore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		start  int
		points int
		want   int
	}{
		{"adds points", 10, 20, 30},
		{"subtracts points", 10, -15, -5},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			id := b.withContact(nodestest.Contact{Email: "ana@example.com", Score: tt.start})
			n := b.compile(t, nodes.TypeScore, map[string]any{"points": tt.points})
			for range 2 { // a retried step must not count twice
				res, err := b.runNode(t, n, "run1:n:1")
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				if res.Output["score"] != tt.want {
					t.Fatalf("output = %v, want score %d", res.Output, tt.want)
				}
			}
			if c, _ := b.store.Contact(id); c.Score != tt.want {
				t.Fatalf("stored score = %d, want %d", c.Score, tt.want)
			}
		})
	}
}

func TestScoreRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantProblem(t, b.problems(t, nodes.TypeScore, map[string]any{"points": 0}), "points", "changes nothing")
	wantProblem(t, b.problems(t, nodes.TypeScore, map[string]any{}), "points", "")
	wantProblem(t, b.problems(t, nodes.TypeScore, map[string]any{"points": 1.5}), "points", "")
}
