package storage

import "time"

// The GORM models. JSON documents are stored as text so that SQLite and
// PostgreSQL share one schema. Every time is UTC. Table names are explicit
// so that a renamed Go type never renames a table. The tables themselves
// are made by the SQL files of migrations/: a new or changed field needs a
// migration (TestModelsMatchSchema fails without one).

// Flow is the editable (draft) flow and its status.
type Flow struct {
	ID          string `gorm:"primaryKey;size:100"`
	Name        string `gorm:"size:200;not null"`
	Description string `gorm:"type:text"`
	// Draft is the flow JSON being edited.
	Draft string `gorm:"type:text;not null"`
	// Status is draft (never published), active or paused.
	Status string `gorm:"size:16;not null;index"`
	// Version is the latest published version (0 = never published).
	Version int `gorm:"not null;default:0"`
	// Revision counts the saves of the draft. A save that names an older
	// revision is refused, so two people editing one journey never
	// overwrite each other's work without a word.
	Revision int `gorm:"not null;default:0"`
	// UpdatedBy names who saved the draft last (an email or a token's name).
	UpdatedBy string    `gorm:"size:200;not null;default:''"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (Flow) TableName() string { return "flows" }

// Flow statuses.
const (
	FlowDraft  = "draft"
	FlowActive = "active"
	FlowPaused = "paused"
)

// FlowVersion is an immutable published version.
type FlowVersion struct {
	FlowID      string    `gorm:"primaryKey;size:100"`
	Version     int       `gorm:"primaryKey"`
	Definition  string    `gorm:"type:text;not null"`
	PublishedAt time.Time `gorm:"not null"`
}

func (FlowVersion) TableName() string { return "flow_versions" }

// Trigger indexes the trigger nodes of active flow versions, so that an
// incoming webhook or event finds its flows with one indexed query.
type Trigger struct {
	ID      int64  `gorm:"primaryKey;autoIncrement"`
	FlowID  string `gorm:"size:100;not null;index"`
	Version int    `gorm:"not null"`
	NodeID  string `gorm:"size:100;not null"`
	// Kind is webhook, event, absence, schedule or manual.
	Kind string `gorm:"size:16;not null;index:idx_trigger_match,priority:1"`
	// Key is the hook path (webhook), the event type (event), the first
	// event type (absence) or empty.
	Key string `gorm:"size:200;not null;index:idx_trigger_match,priority:2"`
}

func (Trigger) TableName() string { return "triggers" }

// Run statuses.
const (
	RunRunning   = "running"
	RunWaiting   = "waiting"
	RunCompleted = "completed"
	RunFailed    = "failed"
	RunCancelled = "cancelled"
)

// Run is one contact's (or one trigger's) pass through a flow version.
type Run struct {
	ID        string  `gorm:"primaryKey;size:36"`
	FlowID    string  `gorm:"size:100;not null;index:idx_run_flow_contact,priority:1;index:idx_runs_contact_started,priority:4"`
	Version   int     `gorm:"not null"`
	ContactID *string `gorm:"size:36;index:idx_run_flow_contact,priority:2;index:idx_runs_contact_started,priority:1"`
	Status    string  `gorm:"size:16;not null;index"`
	// Outcome is set when a run ends early: exited or converted.
	Outcome string `gorm:"size:16"`
	// Trigger is the payload that started the run (JSON).
	Trigger string `gorm:"type:text"`
	// Event is the event that started the run, if any (JSON of flows.Event).
	Event string `gorm:"type:text"`
	// Vars are the run's variables (JSON object).
	Vars string `gorm:"type:text"`
	// Visits counts each node's executions (JSON object node id -> n),
	// the "visit" of the run:node:visit idempotency key.
	Visits string `gorm:"type:text"`
	// Tokens counts outstanding jobs and waits; the run ends at zero.
	Tokens int `gorm:"not null;default:0"`
	// Test marks runs started from the editor's test button.
	Test bool `gorm:"not null;default:false;index:idx_runs_contact_started,priority:3"`
	// TestChoices is what the tester chose happens at the steps of a test
	// run (JSON object node id -> choice; empty for real runs).
	TestChoices string    `gorm:"type:text"`
	Error       string    `gorm:"type:text"`
	StartedAt   time.Time `gorm:"not null;index:idx_run_flow_contact,priority:3;index:idx_runs_contact_started,priority:2"`
	UpdatedAt   time.Time `gorm:"not null"`
	EndedAt     *time.Time
	// Revision counts the run's writes: SaveRun writes the revision it
	// read, or reports ErrConflict.
	Revision int64 `gorm:"not null;default:0"`

	// stored is the contact_id the row holds at Revision, when this
	// process wrote or read it (see SaveRun).
	stored storedContact
}

func (Run) TableName() string { return "runs" }

// storedContact is a run's contact_id as its row holds it; known is false
// for a run read without it (GetRuns, ListRuns: SaveRun writes the column).
type storedContact struct {
	known bool
	id    string
	null  bool
}

// noteStored records r's contact as its row now holds it.
func (r *Run) noteStored() {
	r.stored = storedContact{known: true, null: r.ContactID == nil}
	if r.ContactID != nil {
		r.stored.id = *r.ContactID
	}
}

// contactStored reports whether r's row already holds r's contact.
func (r *Run) contactStored() bool {
	if !r.stored.known || (r.ContactID == nil) != r.stored.null {
		return false
	}
	return r.ContactID == nil || *r.ContactID == r.stored.id
}

// Step is one execution (attempt) of a node in a run.
type Step struct {
	ID       int64  `gorm:"primaryKey;autoIncrement"`
	RunID    string `gorm:"size:36;not null;index"`
	NodeID   string `gorm:"size:100;not null"`
	NodeType string `gorm:"size:100;not null"`
	Visit    int    `gorm:"not null"`
	Attempt  int    `gorm:"not null"`
	// Status is completed, waiting, retrying, failed or skipped.
	Status     string    `gorm:"size:16;not null"`
	Port       string    `gorm:"size:100"`
	Input      string    `gorm:"type:text"`
	Output     string    `gorm:"type:text"`
	Error      string    `gorm:"type:text"`
	StartedAt  time.Time `gorm:"not null"`
	FinishedAt time.Time `gorm:"not null"`
}

func (Step) TableName() string { return "steps" }

// Job kinds.
const (
	JobStep     = "step"     // run NodeID of RunID
	JobResume   = "resume"   // continue RunID after NodeID through Port
	JobTimeout  = "timeout"  // an event wait at NodeID timed out
	JobAbsence  = "absence"  // check an absence trigger (no run yet)
	JobSchedule = "schedule" // fire a schedule trigger tick (no run yet)
)

// Job is a unit of due work. Delays and timeouts are jobs with a future
// DueAt: they cost a row, not memory.
type Job struct {
	ID     int64   `gorm:"primaryKey;autoIncrement"`
	RunID  *string `gorm:"size:36;index"`
	NodeID string  `gorm:"size:100;not null"`
	Kind   string  `gorm:"size:16;not null"`
	// Port to follow on resume.
	Port string `gorm:"size:100"`
	// Payload carries kind-specific data (JSON): the resuming event,
	// the absence or schedule details.
	Payload  string    `gorm:"type:text"`
	DueAt    time.Time `gorm:"not null;index:idx_job_due"`
	Attempts int       `gorm:"not null;default:0"`
	// LeaseOwner and LeaseUntil mark a claimed job; an expired lease is
	// claimed again.
	LeaseOwner string `gorm:"size:64"`
	LeaseUntil *time.Time
	// DedupKey, when set, is unique: a second insert is a no-op.
	DedupKey *string `gorm:"size:200;uniqueIndex"`
	// LastError is the previous attempt's error.
	LastError string    `gorm:"type:text"`
	CreatedAt time.Time `gorm:"not null"`
}

func (Job) TableName() string { return "jobs" }

// Wait is a run paused until an event of EventType for ContactID arrives.
type Wait struct {
	ID        int64     `gorm:"primaryKey;autoIncrement"`
	RunID     string    `gorm:"size:36;not null;index"`
	NodeID    string    `gorm:"size:100;not null"`
	Visit     int       `gorm:"not null"`
	ContactID string    `gorm:"size:36;not null;index:idx_wait_match,priority:1"`
	EventType string    `gorm:"size:100;not null;index:idx_wait_match,priority:2"`
	ExpiresAt time.Time `gorm:"not null"`
	// EventPort is followed when the event arrives; MatchParam names the
	// node's boolean expression the event must satisfy ("" = any).
	EventPort  string `gorm:"size:100;not null"`
	MatchParam string `gorm:"size:100"`
	// TimeoutJobID is the job that fires the timeout.
	TimeoutJobID int64
	CreatedAt    time.Time `gorm:"not null"`
}

func (Wait) TableName() string { return "waits" }

// Event is something that happened to a contact.
type Event struct {
	ID        string    `gorm:"primaryKey;size:36"`
	ContactID *string   `gorm:"size:36;index:idx_event_contact,priority:1"`
	Type      string    `gorm:"size:100;not null;index:idx_event_contact,priority:2"`
	Data      string    `gorm:"type:text"`
	Source    string    `gorm:"size:100"`
	At        time.Time `gorm:"not null;index:idx_event_contact,priority:3"`
	// DedupKey is unique: the same event sent twice is stored once.
	DedupKey *string `gorm:"size:200;uniqueIndex"`
	// Test marks test data (see testdata.go).
	Test       bool      `gorm:"not null;default:false"`
	ReceivedAt time.Time `gorm:"not null"`
}

func (Event) TableName() string { return "events" }

// Contact is a person in the built-in contact store.
type Contact struct {
	ID string `gorm:"primaryKey;size:36"`
	// Email, Phone and ExternalID are unique among real contacts and,
	// apart, among test contacts: a test with a customer's email gets its
	// own test contact.
	Email      *string `gorm:"size:320;uniqueIndex:idx_contacts_email_test,priority:1"`
	Phone      *string `gorm:"size:32;uniqueIndex:idx_contacts_phone_test,priority:1"`
	ExternalID *string `gorm:"size:200;uniqueIndex:idx_contacts_external_id_test,priority:1"`
	FirstName  string  `gorm:"size:200"`
	LastName   string  `gorm:"size:200"`
	Company    string  `gorm:"size:200"`
	Score      int     `gorm:"not null;default:0"`
	TimeZone   string  `gorm:"size:64"`
	// Fields are custom fields (JSON object).
	Fields string `gorm:"type:text"`
	// Consent per channel (JSON object of channel -> bool).
	Consent string `gorm:"type:text"`
	// OwnerID is the user who owns the contact (the "Assign owner" step
	// sets it); nil when nobody does.
	OwnerID *string `gorm:"size:36;index"`
	// Test marks a contact that only test runs see (see testdata.go).
	Test      bool      `gorm:"not null;default:false;uniqueIndex:idx_contacts_email_test,priority:2;uniqueIndex:idx_contacts_phone_test,priority:2;uniqueIndex:idx_contacts_external_id_test,priority:2"`
	CreatedAt time.Time `gorm:"not null"`
	UpdatedAt time.Time `gorm:"not null"`
}

func (Contact) TableName() string { return "contacts" }

// ContactTag is one tag on a contact.
type ContactTag struct {
	ContactID string `gorm:"primaryKey;size:36"`
	Tag       string `gorm:"primaryKey;size:100"`
	// Test marks test data (see testdata.go).
	Test      bool      `gorm:"not null;default:false"`
	CreatedAt time.Time `gorm:"not null"`
}

func (ContactTag) TableName() string { return "contact_tags" }

// List is a named list of contacts.
type List struct {
	ID        string    `gorm:"primaryKey;size:36"`
	Name      string    `gorm:"size:200;not null;uniqueIndex"`
	CreatedAt time.Time `gorm:"not null"`
}

func (List) TableName() string { return "lists" }

// ListMember is a contact on a list.
type ListMember struct {
	ListID    string `gorm:"primaryKey;size:36"`
	ContactID string `gorm:"primaryKey;size:36;index"`
	// Test marks test data (see testdata.go).
	Test    bool      `gorm:"not null;default:false"`
	AddedAt time.Time `gorm:"not null"`
}

func (ListMember) TableName() string { return "list_members" }

// Deal is a sales opportunity.
type Deal struct {
	ID        string  `gorm:"primaryKey;size:36"`
	ContactID string  `gorm:"size:36;not null;index"`
	Title     string  `gorm:"size:300;not null"`
	Stage     string  `gorm:"size:100;not null"`
	Value     float64 `gorm:"not null;default:0"`
	Currency  string  `gorm:"size:3"`
	Owner     string  `gorm:"size:200"`
	// IdemKey is the run:node:visit key of the step that created it.
	IdemKey *string `gorm:"size:200;uniqueIndex"`
	// Test marks test data (see testdata.go).
	Test      bool      `gorm:"not null;default:false"`
	CreatedAt time.Time `gorm:"not null"`
}

func (Deal) TableName() string { return "deals" }

// Task is a to-do for a person (e.g. "call back within 1 hour").
type Task struct {
	ID        string `gorm:"primaryKey;size:36"`
	ContactID string `gorm:"size:36;index"`
	Title     string `gorm:"size:300;not null"`
	Notes     string `gorm:"type:text"`
	Owner     string `gorm:"size:200"`
	DueAt     *time.Time
	Done      bool `gorm:"not null;default:false"`
	// CompletedAt is when the task was checked off (nil while open, and
	// for tasks done before completion times were recorded).
	CompletedAt *time.Time
	// RunID is the run whose step created the task (nil for others): the
	// first of its tasks checked off counts as the run's first contact.
	RunID   *string `gorm:"size:36;index"`
	IdemKey *string `gorm:"size:200;uniqueIndex"`
	// Test marks test data (see testdata.go).
	Test      bool      `gorm:"not null;default:false"`
	CreatedAt time.Time `gorm:"not null"`
}

func (Task) TableName() string { return "tasks" }

// Note is text attached to a contact, such as a chat transcript.
type Note struct {
	ID        string  `gorm:"primaryKey;size:36"`
	ContactID string  `gorm:"size:36;not null;index"`
	Body      string  `gorm:"type:text;not null"`
	Source    string  `gorm:"size:100"`
	IdemKey   *string `gorm:"size:200;uniqueIndex"`
	// Test marks test data (see testdata.go).
	Test      bool      `gorm:"not null;default:false"`
	CreatedAt time.Time `gorm:"not null"`
}

func (Note) TableName() string { return "notes" }

// Effect records an idempotent change that leaves no row of its own
// (score changes, list and tag operations): its key is unique, so the
// second application is detected and skipped.
type Effect struct {
	Key       string    `gorm:"primaryKey;size:200"`
	Result    string    `gorm:"type:text"`
	CreatedAt time.Time `gorm:"not null"`
}

func (Effect) TableName() string { return "effects" }

// User can sign in to the editor.
type User struct {
	ID           string    `gorm:"primaryKey;size:36"`
	Email        string    `gorm:"size:320;not null;uniqueIndex"`
	PasswordHash string    `gorm:"size:200;not null"`
	Role         string    `gorm:"size:16;not null;default:admin"`
	CreatedAt    time.Time `gorm:"not null"`
	// The user as a salesperson the "Assign owner" step may route leads
	// to (see routing.go). Name is shown to marketers and in templates
	// ({{ owner.name }}); empty shows the email.
	Name string `gorm:"size:200"`
	// AwayUntil, while in the future, keeps the user out of routing.
	AwayUntil *time.Time
	// TimeZone (IANA) is where WorkDays, WorkStart and WorkEnd are read;
	// empty means the flow's time zone.
	TimeZone string `gorm:"size:64"`
	// WorkDays are comma-separated weekdays ("mon,tue,wed,thu,fri");
	// empty means every day.
	WorkDays string `gorm:"size:64"`
	// WorkStart and WorkEnd ("09:00", "17:00") bound the working hours;
	// both empty means all day.
	WorkStart string `gorm:"size:5"`
	WorkEnd   string `gorm:"size:5"`
	// OwnerIDs is a JSON object: credential id -> the user's owner id in
	// that CRM account (a HubSpot owner id, a Pipedrive user id).
	OwnerIDs string `gorm:"type:text"`
	// SlackID is the user's Slack member id, for mentions (U0123ABCD).
	SlackID string `gorm:"size:40"`
}

func (User) TableName() string { return "users" }

// Session is a signed-in browser; only the token's SHA-256 is stored.
type Session struct {
	TokenHash string    `gorm:"primaryKey;size:64"`
	UserID    string    `gorm:"size:36;not null;index"`
	ExpiresAt time.Time `gorm:"not null"`
	CreatedAt time.Time `gorm:"not null"`
}

func (Session) TableName() string { return "sessions" }

// APIToken authenticates scripts; only the token's SHA-256 is stored.
type APIToken struct {
	ID         string `gorm:"primaryKey;size:36"`
	Name       string `gorm:"size:200;not null"`
	TokenHash  string `gorm:"size:64;not null;uniqueIndex"`
	Role       string `gorm:"size:16;not null;default:admin"`
	LastUsedAt *time.Time
	CreatedAt  time.Time `gorm:"not null"`
}

func (APIToken) TableName() string { return "api_tokens" }
