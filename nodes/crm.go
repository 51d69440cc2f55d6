package nodes

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
)

// CRM node type ids.
const (
	TypeUpsertContact = "crm.upsert_contact"
	TypeCreateDeal    = "crm.create_deal"
	TypeCreateTask    = "crm.create_task"
	TypeAddNote       = "crm.add_note"
	TypeScore         = "crm.score"
)

// CRM param names.
const (
	paramEmail         = "email"
	paramPhone         = "phone"
	paramFirstName     = "first_name"
	paramLastName      = "last_name"
	paramName          = "name"
	paramCompany       = "company"
	paramExternalID    = "external_id"
	paramFields        = "fields"
	paramSaveAs        = "save_as"
	paramCampaign      = "salesforce_campaign"
	paramDefaultRegion = "default_region"
	paramTitle         = "title"
	paramStage         = "stage"
	paramValue         = "value"
	paramCurrency      = "currency"
	paramOwner         = "owner"
	paramNotes         = "notes"
	paramDueIn         = "due_in"
	paramBody          = "body"
	paramSource        = "source"
	paramPoints        = "points"
)

// UpsertContactParams are crm.upsert_contact's params. The text fields are
// templates, rendered per run.
type UpsertContactParams struct {
	// Email is the contact's email address ("email").
	Email string `json:"email,omitempty"`
	// Phone is the contact's phone number, any common format ("phone").
	Phone string `json:"phone,omitempty"`
	// FirstName is the given name ("first_name").
	FirstName string `json:"first_name,omitempty"`
	// LastName is the family name ("last_name").
	LastName string `json:"last_name,omitempty"`
	// Name is the full name, split when first and last are empty ("name").
	Name string `json:"name,omitempty"`
	// Company is the contact's company ("company").
	Company string `json:"company,omitempty"`
	// ExternalID is the contact's id in another system ("external_id").
	ExternalID string `json:"external_id,omitempty"`
	// TimeZone is an IANA time zone ("time_zone").
	TimeZone string `json:"time_zone,omitempty"`
	// Fields maps custom field names to expressions ("fields").
	Fields map[string]string `json:"fields,omitempty"`
	// DefaultRegion is the country for phone numbers without a country
	// code ("default_region").
	DefaultRegion string `json:"default_region,omitempty"`
	// Target is "builtin" or a CRM credential id ("target").
	Target string `json:"target,omitempty"`
	// SaveAs is "contact" or "lead" ("save_as").
	SaveAs string `json:"save_as,omitempty"`
	// Campaign is a Salesforce campaign id to add the person to
	// ("salesforce_campaign"); other targets ignore it.
	Campaign string `json:"salesforce_campaign,omitempty"`
}

// contactTemplates are the template params of crm.upsert_contact, in order.
var contactTemplates = []string{paramEmail, paramPhone, paramFirstName, paramLastName, paramName, paramCompany, paramExternalID, paramTimeZone}

func upsertContactNode() *Type {
	text := func(name, label, desc string, example any) flows.ParamSpec {
		return flows.ParamSpec{Name: name, Label: label, Kind: flows.KindTemplate, Description: desc, Example: example}
	}
	return remoteWhenTarget(define(flows.TypeSpec{
		Type:     TypeUpsertContact,
		Contact:  upsertContactUse,
		Category: flows.CategoryCRM,
		Title:    "Create or update contact",
		Description: "Saves the person as a contact: finds them by email, then by phone, and updates them, or creates them. " +
			"Emails are lower-cased, phone numbers put in international form and names tidied. Later steps act on this contact.",
		Outputs: outPorts(),
		Params: []flows.ParamSpec{
			text(paramEmail, "Email", "The contact's email address.", "{{ trigger.email }}"),
			text(paramPhone, "Phone", "The contact's phone number, in any common format.", "{{ trigger.phone }}"),
			text(paramFirstName, "First name", "The contact's first name.", "{{ trigger.first_name }}"),
			text(paramLastName, "Last name", "The contact's last name.", "{{ trigger.last_name }}"),
			text(paramName, "Full name", "The full name, used to fill first and last name when those are empty.", "{{ trigger.name }}"),
			text(paramCompany, "Company", "The company the contact works for.", "{{ trigger.company }}"),
			text(paramExternalID, "ID in another system", "The contact's id in the system that sent the data, e.g. the chatbot's visitor id.", "{{ trigger.user_id }}"),
			text(paramTimeZone, "Time zone", "The contact's time zone, like Europe/Madrid, used for time windows.", "{{ trigger.time_zone }}"),
			{
				Name: paramFields, Label: "Custom fields", Kind: flows.KindMap, Returns: flows.ReturnsAny,
				Description: "Extra fields to save on the contact, each with how to work it out; a field that comes out empty keeps its old value.",
				Example:     map[string]any{"plan": "trigger.plan"},
			},
			{
				Name: paramDefaultRegion, Label: "Default country for phones", Kind: flows.KindString, Default: "US",
				Description: "Two-letter country code used for phone numbers written without a country code.",
				Example:     "ES",
			},
			targetParam("the contact", ProvidesContacts),
			{
				Name: paramSaveAs, Label: "Save as", Kind: flows.KindEnum, Default: RecordContact, Enum: []string{RecordContact, RecordLead},
				Description: "In CRMs that keep leads apart from contacts (a lead until qualified, a contact after), which one to create or update. " +
					"This app's contacts, HubSpot and Pipedrive keep everyone as a contact.",
				Example: RecordLead,
			},
			{
				Name: paramCampaign, Label: "Salesforce campaign", Kind: flows.KindString,
				Description: "Optional, only used when saving to Salesforce: the id of a campaign (it starts with 701) to add the lead or contact to. " +
					"Someone already in the campaign stays as they are.",
				Example: "7015e000000Cmp1AAC",
			},
		},
		Rules: []flows.Rule{upsertIdentityRule, vendorEmailRule},
		Examples: []flows.Example{
			{Title: "Save the lead from a chat", Params: map[string]any{
				paramEmail: "{{ trigger.email }}", paramPhone: "{{ trigger.phone }}", paramName: "{{ trigger.name }}",
				paramDefaultRegion: "ES",
			}},
			{Title: "Save a form submission with a custom field", Params: map[string]any{
				paramEmail: "{{ trigger.email }}", paramFirstName: "{{ trigger.first_name }}", paramLastName: "{{ trigger.last_name }}",
				paramCompany: "{{ trigger.company }}", paramFields: map[string]any{"plan": "trigger.plan"},
			}},
		},
	}, runUpsertContact))
}

// upsertIdentityRule requires something to find the contact by.
func upsertIdentityRule(params map[string]any) []flows.Problem {
	for _, name := range []string{paramEmail, paramPhone, paramExternalID} {
		if paramString(params, name) != "" {
			return nil
		}
	}
	return []flows.Problem{problem(codeMissingParam, paramEmail,
		"Fill in at least one of Email, Phone or ID in another system, so the contact can be found or created.")}
}

func runUpsertContact(ctx context.Context, in *Input, p *UpsertContactParams) (Result, error) {
	if !isVendorTarget(p.Target) && in.Contacts == nil {
		return Result{}, Permanent(errNoStore)
	}
	ci, notes, err := contactInputFrom(in, p)
	if err != nil {
		return Result{}, err
	}
	out := map[string]any{}
	if len(notes) > 0 {
		out["notes"] = notes
	}
	if isVendorTarget(p.Target) {
		ci.SaveAs = cmpOr(p.SaveAs, RecordContact)
		ci.Campaign = strings.TrimSpace(p.Campaign)
		return upsertVendorContact(ctx, in, p.Target, ci, out)
	}
	// An earlier "Check the email address" step of this run checked this
	// address: the contact keeps the result (unless the step maps those
	// fields itself).
	for k, v := range emailCheckFor(in.Env, ci.Email) {
		if _, set := ci.Fields[k]; set {
			continue
		}
		if ci.Fields == nil {
			ci.Fields = map[string]any{}
		}
		ci.Fields[k] = v
	}
	ref, err := in.Contacts.Upsert(ctx, in.Key, ci)
	if err != nil {
		return Result{}, stepFailed("save the contact", err)
	}
	out["contact_id"] = ref.ID
	out["created"] = ref.Created
	return Result{Port: PortOut, ContactID: ref.ID, Output: out}, nil
}

// contactInputFrom renders and tidies the contact of an upsert step. Notes
// say which values were left out and why.
func contactInputFrom(in *Input, p *UpsertContactParams) (ContactInput, []string, error) {
	vals := map[string]string{}
	for _, name := range contactTemplates {
		v, err := in.Node.Render(name, in.Env)
		if err != nil {
			return ContactInput{}, nil, exprFailed(in, name, err)
		}
		vals[name] = strings.TrimSpace(v)
	}
	var notes []string

	email, err := TidyEmail(vals[paramEmail])
	if err != nil {
		return ContactInput{}, nil, Permanentf("the email %w", err)
	}
	phone, err := TidyPhone(vals[paramPhone], p.DefaultRegion)
	if err != nil {
		if email == "" {
			return ContactInput{}, nil, Permanentf("the phone number %w", err)
		}
		notes = append(notes, fmt.Sprintf("the phone number %q was left out: it is not a valid phone number", vals[paramPhone]))
		phone = ""
	}
	if email == "" && phone == "" && vals[paramExternalID] == "" {
		return ContactInput{}, nil, Permanentf("there is no email, phone or ID to find or create the contact by")
	}

	first, last := vals[paramFirstName], vals[paramLastName]
	if first == "" && last == "" {
		first, last = SplitFullName(vals[paramName])
	}
	tz := vals[paramTimeZone]
	if tz != "" {
		if _, err := time.LoadLocation(tz); err != nil || strings.EqualFold(tz, "local") {
			notes = append(notes, fmt.Sprintf("the time zone %q was left out: it is not a known time zone", tz))
			tz = ""
		}
	}
	var fields map[string]any
	if len(p.Fields) > 0 {
		for _, name := range slices.Sorted(maps.Keys(p.Fields)) {
			path := paramFields + "." + name
			v, err := in.Node.Eval(path, in.Env)
			if err != nil {
				return ContactInput{}, nil, exprFailed(in, path, err)
			}
			if v == nil {
				continue // nothing to save: keep what the contact has
			}
			if fields == nil {
				fields = map[string]any{}
			}
			fields[name] = v
		}
	}
	return ContactInput{
		Email:      email,
		Phone:      phone,
		FirstName:  TidyName(first),
		LastName:   TidyName(last),
		Company:    strings.Join(strings.Fields(vals[paramCompany]), " "),
		ExternalID: vals[paramExternalID],
		TimeZone:   tz,
		Fields:     fields,
	}, notes, nil
}

// CreateDealParams are crm.create_deal's params.
type CreateDealParams struct {
	// Title is a template naming the deal ("title").
	Title string `json:"title"`
	// Stage is the pipeline stage ("stage").
	Stage string `json:"stage"`
	// Value is an expression giving the deal's amount ("value").
	Value string `json:"value,omitempty"`
	// Currency is an ISO 4217 code ("currency").
	Currency string `json:"currency"`
	// Owner is the salesperson who owns the deal ("owner").
	Owner string `json:"owner,omitempty"`
	// Target is "builtin" or a CRM credential id ("target").
	Target string `json:"target,omitempty"`
}

func createDealNode() *Type {
	return remoteWhenTarget(define(flows.TypeSpec{
		Type:        TypeCreateDeal,
		Contact:     vendorEmailUse,
		Category:    flows.CategoryCRM,
		Title:       "Create deal",
		Description: "Opens a deal for the contact in the sales pipeline, with a stage, an amount and an owner.",
		Outputs:     outPorts(),
		Params: []flows.ParamSpec{
			{
				// Not Required: the default always gives a value (and flows
				// reports a required param left out even when it has one).
				Name: paramTitle, Label: "Deal name", Kind: flows.KindTemplate,
				Default:     "{{ contact.first_name }} {{ contact.last_name }}",
				Description: "What the deal is called in the pipeline; the contact's name when left empty.", Example: "{{ contact.company }} – {{ trigger.plan }} plan",
			},
			{
				Name: paramStage, Label: "Stage", Kind: flows.KindString, Default: "new", Options: "deal_stages",
				Description: "The pipeline stage the deal starts in.", Example: "qualified",
			},
			{
				Name: paramValue, Label: "Amount", Kind: flows.KindExpression, Returns: flows.ReturnsAny,
				Description: "The deal's amount as a number, or how to work it out, e.g. trigger.budget.", Example: "trigger.budget",
			},
			{
				Name: paramCurrency, Label: "Currency", Kind: flows.KindString, Default: "USD",
				Description: "Three-letter currency code of the amount.", Example: "EUR",
			},
			{
				Name: paramOwner, Label: "Owner", Kind: flows.KindString, Options: "owners",
				Description: "The salesperson who owns the deal; empty gives it to the contact's owner (see Assign owner), or leaves it unassigned. In another CRM, the owner's user id there (empty uses the one set on the contact owner's user for that account).", Example: "maria@example.com",
			},
			targetParam("the deal", ProvidesCRM),
		},
		Rules: []flows.Rule{currencyRule},
		Examples: []flows.Example{
			{Title: "Deal for a hot lead", Params: map[string]any{paramStage: "qualified", paramValue: "trigger.budget", paramCurrency: "EUR"}},
			{Title: "Named deal with a fixed amount", Params: map[string]any{
				paramTitle: "{{ contact.company }} – starter plan", paramValue: "490", paramOwner: "maria@example.com",
			}},
		},
	}, runCreateDeal))
}

// currencyRule checks that a currency is a three-letter code.
func currencyRule(params map[string]any) []flows.Problem {
	c := paramString(params, paramCurrency)
	if c == "" || isCurrency(c) {
		return nil
	}
	return []flows.Problem{problem(codeInvalidParam, paramCurrency, "%q is not a currency code: use three letters like USD or EUR.", c)}
}

// isCurrency reports whether c looks like an ISO 4217 code.
func isCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for _, r := range c {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return true
}

func runCreateDeal(ctx context.Context, in *Input, p *CreateDealParams) (Result, error) {
	crm, cid, vars, err := crmFor(ctx, in, p.Target, true)
	if err != nil {
		return Result{}, err
	}
	title, err := in.Node.Render(paramTitle, in.Env)
	if err != nil {
		return Result{}, exprFailed(in, paramTitle, err)
	}
	title = strings.Join(strings.Fields(title), " ")
	if title == "" {
		title = "Deal for " + cmpOr(in.Env.Contact.Email, in.Env.Contact.Phone, "new contact")
	}
	var value float64
	if strings.TrimSpace(p.Value) != "" {
		v, err := in.Node.Eval(paramValue, in.Env)
		if err != nil {
			return Result{}, exprFailed(in, paramValue, err)
		}
		value, err = toAmount(v)
		if err != nil {
			return Result{}, Permanentf("%q: %w", label(in, paramValue), err)
		}
	}
	currency := strings.ToUpper(strings.TrimSpace(p.Currency))
	if currency == "" {
		currency = "USD"
	}
	if !isCurrency(currency) {
		return Result{}, Permanentf("%q is not a currency code like USD or EUR", p.Currency)
	}
	stage := cmpOr(strings.TrimSpace(p.Stage), "new")
	owner := cmpOr(strings.TrimSpace(p.Owner), defaultOwner(in, p.Target))
	id, err := crm.CreateDeal(ctx, in.Key, DealInput{
		ContactID: cid, Title: title, Stage: stage, Value: value, Currency: currency, Owner: owner,
	})
	if err != nil {
		return Result{}, stepFailed("create the deal", err)
	}
	out := map[string]any{"deal_id": id, "title": title, "stage": stage, "value": value, "currency": currency}
	if owner != "" {
		out["owner"] = owner
	}
	return Result{Port: PortOut, Vars: vars, Output: savedTo(out, p.Target)}, nil
}

// errNotAmount is returned for a deal amount that is not a number.
var errNotAmount = errors.New("the amount is not a number")

// toAmount reads an expression result as an amount: numbers, and text such
// as "1,200.50" or "$300" (nil is zero).
func toAmount(v any) (float64, error) {
	var f float64
	switch x := v.(type) {
	case nil:
		return 0, nil
	case float64:
		f = x
	case float32:
		f = float64(x)
	case int:
		f = float64(x)
	case int64:
		f = float64(x)
	case int32:
		f = float64(x)
	case uint:
		f = float64(x)
	case uint64:
		f = float64(x)
	case json.Number:
		n, err := x.Float64()
		if err != nil {
			return 0, fmt.Errorf("%w: %q", errNotAmount, x)
		}
		f = n
	case string:
		s := strings.TrimSpace(x)
		s = strings.TrimLeft(s, "$€£¥ ")
		s = strings.ReplaceAll(s, ",", "")
		if s == "" {
			return 0, nil
		}
		n, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, fmt.Errorf("%w: %q", errNotAmount, x)
		}
		f = n
	default:
		return 0, fmt.Errorf("%w: %v", errNotAmount, v)
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf("%w: %v", errNotAmount, v)
	}
	return f, nil
}

// cmpOr returns the first non-empty string.
func cmpOr(vals ...string) string {
	for _, v := range vals {
		if v != "" {
			return v
		}
	}
	return ""
}

// CreateTaskParams are crm.create_task's params.
type CreateTaskParams struct {
	// Title is a template naming the task ("title").
	Title string `json:"title"`
	// Notes is a template with details ("notes").
	Notes string `json:"notes,omitempty"`
	// Owner is who should do the task ("owner").
	Owner string `json:"owner,omitempty"`
	// DueIn is how long from now the task is due ("due_in").
	DueIn flows.Duration `json:"due_in,omitempty"`
	// Target is "builtin" or a CRM credential id ("target").
	Target string `json:"target,omitempty"`
}

func createTaskNode() *Type {
	return remoteWhenTarget(define(flows.TypeSpec{
		Type:        TypeCreateTask,
		Category:    flows.CategoryCRM,
		Title:       "Create task",
		Description: "Creates a to-do for your team about this contact, e.g. 'Call Ana back', with an owner and a due time.",
		Outputs:     outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramTitle, Label: "Task", Kind: flows.KindTemplate, Required: true,
				Description: "What needs doing.", Example: "Call {{ contact.first_name }} back",
			},
			{
				Name: paramNotes, Label: "Notes", Kind: flows.KindTemplate,
				Description: "Details for whoever does the task.", Example: "Asked about: {{ trigger.topic }}",
			},
			{
				Name: paramOwner, Label: "Owner", Kind: flows.KindString, Options: "owners",
				Description: "Who should do it; empty gives it to the contact's owner (see Assign owner), or leaves it unassigned. In another CRM, the owner's user id there (empty uses the one set on the contact owner's user for that account).", Example: "maria@example.com",
			},
			{
				Name: paramDueIn, Label: "Due in", Kind: flows.KindDuration,
				Description: "How long from now the task is due, e.g. 4h or 1d; empty means no due date (due now in HubSpot, which needs one).", Example: "1d",
			},
			targetParam("the task (an activity in Pipedrive)", ProvidesCRM),
		},
		Examples: []flows.Example{
			{Title: "Call back within a day", Params: map[string]any{
				paramTitle: "Call {{ contact.first_name }} back", paramOwner: "maria@example.com", paramDueIn: "1d",
			}},
		},
	}, runCreateTask))
}

func runCreateTask(ctx context.Context, in *Input, p *CreateTaskParams) (Result, error) {
	// A task may be about the run's contact or stand alone.
	crm, cid, vars, err := crmFor(ctx, in, p.Target, false)
	if err != nil {
		return Result{}, err
	}
	title, err := in.Node.Render(paramTitle, in.Env)
	if err != nil {
		return Result{}, exprFailed(in, paramTitle, err)
	}
	title = strings.TrimSpace(title)
	if title == "" {
		return Result{}, Permanentf("the task has no text for this contact: %q came out empty", label(in, paramTitle))
	}
	notes := ""
	if strings.TrimSpace(p.Notes) != "" {
		if notes, err = in.Node.Render(paramNotes, in.Env); err != nil {
			return Result{}, exprFailed(in, paramNotes, err)
		}
	}
	var due time.Time
	if p.DueIn > 0 {
		due = in.Now().Add(time.Duration(p.DueIn))
	}
	owner := cmpOr(strings.TrimSpace(p.Owner), defaultOwner(in, p.Target))
	id, err := crm.CreateTask(ctx, in.Key, TaskInput{
		ContactID: cid, Title: title, Notes: strings.TrimSpace(notes), Owner: owner, DueAt: due,
	})
	if err != nil {
		return Result{}, stepFailed("create the task", err)
	}
	out := map[string]any{"task_id": id, "title": title}
	if owner != "" {
		out["owner"] = owner
	}
	if !due.IsZero() {
		out["due_at"] = due
	}
	return Result{Port: PortOut, Vars: vars, Output: savedTo(out, p.Target)}, nil
}

// AddNoteParams are crm.add_note's params.
type AddNoteParams struct {
	// Body is a template with the note's text ("body").
	Body string `json:"body"`
	// Source says where the note came from ("source").
	Source string `json:"source"`
	// Target is "builtin" or a CRM credential id ("target").
	Target string `json:"target,omitempty"`
}

func addNoteNode() *Type {
	return remoteWhenTarget(define(flows.TypeSpec{
		Type:        TypeAddNote,
		Contact:     vendorEmailUse,
		Category:    flows.CategoryCRM,
		Title:       "Add note",
		Description: "Adds a note to the contact's timeline, such as the transcript of the chat that just finished.",
		Outputs:     outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramBody, Label: "Note", Kind: flows.KindTemplate, Required: true,
				Description: "The note's text; a note that comes out empty is skipped.", Example: "{{ trigger.transcript }}",
			},
			{
				Name: paramSource, Label: "Source", Kind: flows.KindString, Default: "journey",
				Description: "Where the note came from, shown next to it (e.g. chatbot).", Example: "chatbot",
			},
			targetParam("the note", ProvidesCRM),
		},
		Examples: []flows.Example{
			{Title: "Save the chat transcript", Params: map[string]any{paramBody: "{{ trigger.transcript }}", paramSource: "chatbot"}},
		},
	}, runAddNote))
}

func runAddNote(ctx context.Context, in *Input, p *AddNoteParams) (Result, error) {
	body, err := in.Node.Render(paramBody, in.Env)
	if err != nil {
		return Result{}, exprFailed(in, paramBody, err)
	}
	body = strings.TrimSpace(body)
	if body == "" {
		return Result{Port: PortOut, Output: map[string]any{"skipped": "the note came out empty, so nothing was added"}}, nil
	}
	crm, cid, vars, err := crmFor(ctx, in, p.Target, true)
	if err != nil {
		return Result{}, err
	}
	source := cmpOr(strings.TrimSpace(p.Source), "journey")
	id, err := crm.AddNote(ctx, in.Key, NoteInput{ContactID: cid, Body: body, Source: source})
	if err != nil {
		return Result{}, stepFailed("add the note", err)
	}
	return Result{Port: PortOut, Vars: vars, Output: savedTo(map[string]any{"note_id": id}, p.Target)}, nil
}

// ScoreParams are crm.score's params.
type ScoreParams struct {
	// Points to add; negative to subtract ("points").
	Points int `json:"points"`
	// Reason is shown on the run ("reason").
	Reason string `json:"reason,omitempty"`
}

func scoreNode() *Type {
	return define(flows.TypeSpec{
		Type:        TypeScore,
		Category:    flows.CategoryCRM,
		Title:       "Change lead score",
		Description: "Adds points to the contact's lead score, or takes them away with a negative number.",
		Outputs:     outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramPoints, Label: "Points", Kind: flows.KindInteger, Required: true,
				Description: "How many points to add; use a negative number to subtract.", Example: 10,
			},
			{
				Name: paramReason, Label: "Reason", Kind: flows.KindString,
				Description: "Why the score changes, shown on the run.", Example: "asked for pricing",
			},
		},
		Rules: []flows.Rule{scorePointsRule},
		Examples: []flows.Example{
			{Title: "Asked for pricing", Params: map[string]any{paramPoints: 20, paramReason: "asked for pricing"}},
			{Title: "Unsubscribed", Params: map[string]any{paramPoints: -50}},
		},
	}, runScore)
}

// scorePointsRule rejects a change of zero points.
func scorePointsRule(params map[string]any) []flows.Problem {
	if n, ok := paramNumber(params, paramPoints); ok && n == 0 {
		return []flows.Problem{problem(codeInvalidParam, paramPoints, "Adding 0 points changes nothing: use a positive or negative number.")}
	}
	return nil
}

func runScore(ctx context.Context, in *Input, p *ScoreParams) (Result, error) {
	cid, err := contactID(in)
	if err != nil {
		return Result{}, err
	}
	score, err := in.Contacts.AddScore(ctx, in.Key, cid, p.Points)
	if err != nil {
		return Result{}, stepFailed("change the lead score", err)
	}
	out := map[string]any{"score": score, "points": p.Points}
	if p.Reason != "" {
		out["reason"] = p.Reason
	}
	return Result{Port: PortOut, Output: out}, nil
}
