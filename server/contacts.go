package server

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/storage"
)

// contactView is a contact as the API shows it.
type contactView struct {
	ID         string          `json:"id"`
	Email      *string         `json:"email"`
	Phone      *string         `json:"phone"`
	ExternalID *string         `json:"external_id"`
	FirstName  string          `json:"first_name"`
	LastName   string          `json:"last_name"`
	Company    string          `json:"company"`
	Score      int             `json:"score"`
	TimeZone   string          `json:"time_zone"`
	Fields     json.RawMessage `json:"fields"`
	Consent    json.RawMessage `json:"consent"`
	Tags       []string        `json:"tags,omitempty"`
	Lists      []string        `json:"lists,omitempty"`
	// Owner is the salesperson who owns the contact (the "Assign owner"
	// step sets it); absent when nobody does.
	Owner *ownerView `json:"owner,omitempty"`
	// Test marks a test contact (only test runs use it).
	Test      bool      `json:"test,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	ownerID   *string
}

// ownerView is a contact's owner: a user of this app.
type ownerView struct {
	ID    string `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// withOwners fills in the owners of contacts (one read of the users, a
// small table).
func withOwners(db storage.Tx, cs []contactView) error {
	need := false
	for i := range cs {
		need = need || cs[i].ownerID != nil
	}
	if !need {
		return nil
	}
	us, err := storage.ListUsers(db)
	if err != nil {
		return err
	}
	byID := make(map[string]*storage.User, len(us))
	for i := range us {
		byID[us[i].ID] = &us[i]
	}
	for i := range cs {
		if cs[i].ownerID == nil {
			continue
		}
		if u := byID[*cs[i].ownerID]; u != nil {
			name := u.Name
			if name == "" {
				name = u.Email
			}
			cs[i].Owner = &ownerView{ID: u.ID, Name: name, Email: u.Email}
		}
	}
	return nil
}

func newContactView(c *storage.Contact, tags, lists []string) contactView {
	return contactView{ID: c.ID, Email: c.Email, Phone: c.Phone, ExternalID: c.ExternalID,
		FirstName: c.FirstName, LastName: c.LastName, Company: c.Company, Score: c.Score, TimeZone: c.TimeZone,
		Fields: objectJSON(c.Fields), Consent: objectJSON(c.Consent), Tags: tags, Lists: lists, Test: c.Test,
		CreatedAt: c.CreatedAt, UpdatedAt: c.UpdatedAt, ownerID: c.OwnerID}
}

// objectJSON is a stored JSON object, or {} when empty.
func objectJSON(s string) json.RawMessage {
	if s == "" {
		return json.RawMessage("{}")
	}
	return rawJSON(s)
}

func orNoStrings(v []string) []string {
	if v == nil {
		return []string{}
	}
	return v
}

func newContactViewOf(v *storage.ContactView) contactView {
	return newContactView(&v.Contact, orNoStrings(v.Tags), orNoStrings(v.Lists))
}

// dealView, taskView, noteView and eventView are the contact store's
// records as the API shows them (never their idempotency keys).
type dealView struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contact_id"`
	Title     string    `json:"title"`
	Stage     string    `json:"stage"`
	Value     float64   `json:"value"`
	Currency  string    `json:"currency"`
	Owner     string    `json:"owner"`
	CreatedAt time.Time `json:"created_at"`
}

type taskView struct {
	ID        string     `json:"id"`
	ContactID string     `json:"contact_id"`
	Title     string     `json:"title"`
	Notes     string     `json:"notes"`
	Owner     string     `json:"owner"`
	DueAt     *time.Time `json:"due_at"`
	Done      bool       `json:"done"`
	// CompletedAt is when it was checked off (null while open).
	CompletedAt *time.Time `json:"completed_at"`
	CreatedAt   time.Time  `json:"created_at"`
}

type noteView struct {
	ID        string    `json:"id"`
	ContactID string    `json:"contact_id"`
	Body      string    `json:"body"`
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

type eventView struct {
	ID         string          `json:"id"`
	ContactID  *string         `json:"contact_id"`
	Type       string          `json:"type"`
	Data       json.RawMessage `json:"data"`
	Source     string          `json:"source"`
	At         time.Time       `json:"at"`
	ReceivedAt time.Time       `json:"received_at"`
}

func dealViews(ds []storage.Deal) []dealView {
	out := make([]dealView, len(ds))
	for i, d := range ds {
		out[i] = dealView{ID: d.ID, ContactID: d.ContactID, Title: d.Title, Stage: d.Stage, Value: d.Value,
			Currency: d.Currency, Owner: d.Owner, CreatedAt: d.CreatedAt}
	}
	return out
}

func taskViews(ts []storage.Task) []taskView {
	out := make([]taskView, len(ts))
	for i, t := range ts {
		out[i] = taskView{ID: t.ID, ContactID: t.ContactID, Title: t.Title, Notes: t.Notes, Owner: t.Owner,
			DueAt: t.DueAt, Done: t.Done, CompletedAt: t.CompletedAt, CreatedAt: t.CreatedAt}
	}
	return out
}

func noteViews(ns []storage.Note) []noteView {
	out := make([]noteView, len(ns))
	for i, n := range ns {
		out[i] = noteView{ID: n.ID, ContactID: n.ContactID, Body: n.Body, Source: n.Source, CreatedAt: n.CreatedAt}
	}
	return out
}

func eventViews(es []storage.Event) []eventView {
	out := make([]eventView, len(es))
	for i, e := range es {
		out[i] = eventView{ID: e.ID, ContactID: e.ContactID, Type: e.Type, Data: rawJSON(e.Data), Source: e.Source,
			At: e.At, ReceivedAt: e.ReceivedAt}
	}
	return out
}

// timelineEntry is one item of a contact's timeline: an event or a run.
type timelineEntry struct {
	Kind  string      `json:"kind"`
	At    time.Time   `json:"at"`
	Event *eventView  `json:"event,omitempty"`
	Run   *runSummary `json:"run,omitempty"`
}

// contactProfile is GET /contacts/:id.
type contactProfile struct {
	Contact  contactView     `json:"contact"`
	Deals    []dealView      `json:"deals"`
	Tasks    []taskView      `json:"tasks"`
	Notes    []noteView      `json:"notes"`
	Timeline []timelineEntry `json:"timeline"`
}

// timelineLimit bounds the events and the runs of a profile's timeline.
const timelineLimit = 100

// listContacts lists contacts: ?search=&list=&tag=&limit=&offset=.
func (s *Server) listContacts(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	cs, total, err := storage.ListContacts(s.store.Reader(), storage.ContactQuery{
		Search: query(c, "search"), List: query(c, "list"), Tag: query(c, "tag"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]contactView, len(cs))
	for i := range cs {
		out[i] = newContactViewOf(&cs[i])
	}
	if err := withOwners(s.store.Reader(), out); err != nil {
		return err
	}
	return c.JSON(fiber.Map{"contacts": out, "total": total})
}

// getContact returns a contact's profile: details, deals, tasks, notes and
// a timeline of events and runs, newest first.
func (s *Server) getContact(c *fiber.Ctx) error {
	id := param(c, "id")
	db := s.store.Reader()
	cv, err := storage.GetContact(db, id)
	if err != nil {
		return orNotFound(err, "There is no contact with id %q.", id)
	}
	p := contactProfile{Contact: newContactViewOf(cv)}
	one := []contactView{p.Contact}
	if err := withOwners(db, one); err != nil {
		return err
	}
	p.Contact = one[0]
	deals, err := storage.ContactDeals(db, id)
	if err != nil {
		return err
	}
	tasks, err := storage.ContactTasks(db, id)
	if err != nil {
		return err
	}
	notes, err := storage.ContactNotes(db, id)
	if err != nil {
		return err
	}
	events, err := storage.ContactEvents(db, id, timelineLimit)
	if err != nil {
		return err
	}
	runs, _, err := storage.ListRuns(db, storage.RunQuery{ContactID: id, Limit: timelineLimit})
	if err != nil {
		return err
	}
	p.Deals, p.Tasks, p.Notes = dealViews(deals), taskViews(tasks), noteViews(notes)
	p.Timeline = timeline(eventViews(events), runs)
	return c.JSON(p)
}

// timeline merges events and runs, newest first.
func timeline(events []eventView, runs []storage.Run) []timelineEntry {
	out := make([]timelineEntry, 0, len(events)+len(runs))
	for i := range events {
		out = append(out, timelineEntry{Kind: "event", At: events[i].At, Event: &events[i]})
	}
	for i := range runs {
		r := newRunSummary(&runs[i])
		out = append(out, timelineEntry{Kind: "run", At: r.StartedAt, Run: &r})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.After(out[j].At) })
	return out
}

// eraseContact forgets a contact (the right to erasure): its rows go, its
// runs and steps lose their personal data (live runs are cancelled), and
// its email and phone go on the suppression list (see privacy.go).
func (s *Server) eraseContact(c *fiber.Ctx) error {
	id := param(c, "id")
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		if err := storage.EraseContactAt(tx, id, s.now()); err != nil {
			return err
		}
		// The id only: the entry must not keep what was erased.
		return s.auditTx(tx, c, storage.AuditErase, storage.AuditContact, id, "erased the contact's personal data")
	})
	if err != nil {
		return orNotFound(err, "There is no contact with id %q.", id)
	}
	return c.SendStatus(http.StatusNoContent)
}

// contactExport is everything stored about a contact.
type contactExport struct {
	ExportedAt time.Time   `json:"exported_at"`
	Contact    contactView `json:"contact"`
	Deals      []dealView  `json:"deals"`
	Tasks      []taskView  `json:"tasks"`
	Notes      []noteView  `json:"notes"`
	Events     []eventView `json:"events"`
	// Runs carry their trigger, event, variables and steps.
	Runs     []runDetail   `json:"runs"`
	Messages []messageView `json:"messages"`
}

// exportLimit bounds the events and runs of an export.
const exportLimit = 100_000

// exportContact downloads everything about a contact as JSON (data
// portability).
func (s *Server) exportContact(c *fiber.Ctx) error {
	id := param(c, "id")
	db := s.store.Reader()
	cv, err := storage.GetContact(db, id)
	if err != nil {
		return orNotFound(err, "There is no contact with id %q.", id)
	}
	deals, err := storage.ContactDeals(db, id)
	if err != nil {
		return err
	}
	tasks, err := storage.ContactTasks(db, id)
	if err != nil {
		return err
	}
	notes, err := storage.ContactNotes(db, id)
	if err != nil {
		return err
	}
	events, err := storage.ContactEvents(db, id, exportLimit)
	if err != nil {
		return err
	}
	runs, err := s.exportRuns(id)
	if err != nil {
		return err
	}
	messages, err := exportMessages(db, id)
	if err != nil {
		return err
	}
	out := contactExport{ExportedAt: s.now(), Contact: newContactViewOf(cv), Deals: dealViews(deals),
		Tasks: taskViews(tasks), Notes: noteViews(notes), Events: eventViews(events), Runs: runs, Messages: messages}
	data, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="contact-`+id+`.json"`)
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSONCharsetUTF8)
	return c.Send(append(data, '\n'))
}

// listDeals lists deals: ?contact=&stage=&limit=&offset=.
func (s *Server) listDeals(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	ds, total, err := storage.ListDeals(s.store.Reader(), storage.DealQuery{
		ContactID: query(c, "contact"), Stage: query(c, "stage"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"deals": dealViews(ds), "total": total})
}

// listTasks lists tasks: ?contact=&owner=&done=&limit=&offset=.
func (s *Server) listTasks(c *fiber.Ctx) error {
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	q := storage.TaskQuery{ContactID: query(c, "contact"), Owner: query(c, "owner"), Limit: limit, Offset: offset}
	if v := c.Query("done"); v != "" {
		done, err := strconv.ParseBool(v)
		if err != nil {
			return badRequest("done must be true or false.")
		}
		q.Done = &done
	}
	ts, total, err := storage.ListTasks(s.store.Reader(), q)
	if err != nil {
		return err
	}
	return c.JSON(fiber.Map{"tasks": taskViews(ts), "total": total})
}

// setTaskDone checks a task off or opens it again: PATCH /tasks/:id with
// {"done": true|false}. Checking off records when (a task already done
// keeps its time); the first task a run created that is checked off
// counts as that run's first contact on the Results screen.
func (s *Server) setTaskDone(c *fiber.Ctx) error {
	id := param(c, "id")
	var in struct {
		Done *bool `json:"done"`
	}
	if err := decodeJSON(c, &in); err != nil {
		return err
	}
	if in.Done == nil {
		return badRequest(`Say whether the task is done: {"done": true} checks it off, {"done": false} opens it again.`)
	}
	var t *storage.Task
	err := s.store.Write(c.UserContext(), func(tx storage.Tx) error {
		var err error
		t, err = storage.SetTaskDone(tx, id, *in.Done, s.now())
		return err
	})
	if err != nil {
		return orNotFound(err, "There is no task with id %q.", id)
	}
	return c.JSON(fiber.Map{"task": taskViews([]storage.Task{*t})[0]})
}

// listView is a list with its number of members.
type listView struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Members   int64     `json:"members"`
	CreatedAt time.Time `json:"created_at"`
}

// listLists lists every list with its member count.
func (s *Server) listLists(c *fiber.Ctx) error {
	ls, err := storage.ListLists(s.store.Reader())
	if err != nil {
		return err
	}
	out := make([]listView, len(ls))
	for i, l := range ls {
		out[i] = listView{ID: l.ID, Name: l.Name, Members: l.Members, CreatedAt: l.CreatedAt}
	}
	return c.JSON(fiber.Map{"lists": out})
}

// listMembers lists a list's contacts, most recently added first.
func (s *Server) listMembers(c *fiber.Ctx) error {
	name := param(c, "name")
	limit, offset, err := page(c)
	if err != nil {
		return err
	}
	cs, total, err := storage.ListMembers(s.store.Reader(), name, limit, offset)
	if err != nil {
		return orNotFound(err, "There is no list named %q.", name)
	}
	out := make([]contactView, len(cs))
	for i := range cs {
		out[i] = newContactView(&cs[i], nil, nil)
	}
	return c.JSON(fiber.Map{"list": name, "members": out, "total": total})
}
