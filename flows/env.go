package flows

import "time"

// Env is the typed environment every expression and template sees.
// Field names are the snake_case names users write: contact.first_name,
// event.data.plan, trigger.email, vars.count, run.id, now.
type Env struct {
	Contact Contact        `expr:"contact"`
	Event   Event          `expr:"event"`
	Trigger map[string]any `expr:"trigger"`
	Vars    map[string]any `expr:"vars"`
	Run     RunInfo        `expr:"run"`
	Now     time.Time      `expr:"now"`
	// Owner is the salesperson who owns the contact (set by the "Assign
	// owner" step); empty fields when nobody does.
	Owner Owner `expr:"owner"`
	// notSet, when set, collects the missing values an evaluation read.
	notSet *notSetLog
	// budget, when set, counts what an evaluation has used (budget.go).
	budget *evalBudget
}

// Contact is the contact a run is about, as expressions see it.
type Contact struct {
	ID         string          `expr:"id"`
	ExternalID string          `expr:"external_id"`
	Email      string          `expr:"email"`
	Phone      string          `expr:"phone"`
	FirstName  string          `expr:"first_name"`
	LastName   string          `expr:"last_name"`
	Company    string          `expr:"company"`
	Score      int             `expr:"score"`
	TimeZone   string          `expr:"time_zone"`
	Tags       []string        `expr:"tags"`
	Lists      []string        `expr:"lists"`
	Fields     map[string]any  `expr:"fields"`
	Consent    map[string]bool `expr:"consent"`
	CreatedAt  time.Time       `expr:"created_at"`
	// DealsCount, OpenDeals and LastActivityAt describe what the contact
	// did. They cost queries, so the engine fills them only for flows
	// whose expressions use them (Compiled.UsesActivity).
	//
	// DealsCount counts the contact's deals; OpenDeals those not won or
	// lost.
	DealsCount int `expr:"deals_count"`
	OpenDeals  int `expr:"open_deals"`
	// LastActivityAt is when the contact last did something: its latest
	// event other than a delivery receipt of a message sent to it (zero
	// when there is none).
	LastActivityAt time.Time `expr:"last_activity_at"`
}

// ActivityFields are the contact fields filled only on demand.
var ActivityFields = []string{"deals_count", "open_deals", "last_activity_at"}

// Event is the event that triggered or resumed the run, if any.
type Event struct {
	ID   string         `expr:"id"`
	Type string         `expr:"type"`
	Data map[string]any `expr:"data"`
	At   time.Time      `expr:"at"`
}

// RunInfo describes the current run.
type RunInfo struct {
	ID        string    `expr:"id"`
	FlowID    string    `expr:"flow_id"`
	Version   int       `expr:"version"`
	StartedAt time.Time `expr:"started_at"`
}

// Owner is the contact's owner, a user of this app, as expressions see it:
// {{ owner.name }}, owner.email.
type Owner struct {
	ID    string `expr:"id"`
	Name  string `expr:"name"`
	Email string `expr:"email"`
	// Mention @-mentions the owner in a Slack message ("<@U0123ABCD>")
	// when their Slack member id is known, else it is their name.
	Mention string `expr:"mention"`
	// IDs maps a CRM credential id to the owner's id in that account.
	IDs map[string]string `expr:"ids"`
}
