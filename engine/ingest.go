package engine

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// Errors callers map to HTTP statuses.
var (
	// ErrNoHook: no active flow listens on the webhook path (404).
	ErrNoHook = errors.New("no active journey listens on this webhook path")
	// ErrBadSignature: the webhook's HMAC signature is missing or wrong (401).
	ErrBadSignature = errors.New("the webhook signature is missing or does not match")
)

// InputError is bad input from a caller (400), in plain words.
type InputError struct{ Message string }

func (e *InputError) Error() string { return e.Message }

// startRequest describes a run to start.
type startRequest struct {
	cf        *flows.Compiled
	node      string
	contactID string
	trigger   map[string]any
	event     *flows.Event
	test      bool
	// choices are a test run's (see TestChoice).
	choices TestChoices
	// inline runs the new run's first steps at once, in tx (runInline),
	// instead of leaving them to a job; ctx is the steps' context then.
	inline bool
	ctx    context.Context
	// triggerJSON is trigger encoded, when the caller has it already.
	triggerJSON string
	// committed, when set, collects the metrics to report and the wake-up
	// of the workers for after the commit; without it the metrics are
	// reported at once and the caller wakes the workers.
	committed *onCommit
}

// startRun creates a run and its first job in tx, honouring the flow's
// re-entry policy. It returns "" when the policy kept the contact out.
func (e *Engine) startRun(tx storage.Tx, req startRequest) (string, error) {
	now := e.clock.Now()
	f := req.cf.Flow
	if req.contactID != "" && !req.test {
		policy := f.Settings.Reentry.Policy
		if policy == flows.ReentryOnce || policy == flows.ReentryOncePerPeriod {
			last, err := storage.LastRunStart(tx, f.ID, req.contactID)
			if err != nil {
				return "", err
			}
			if !last.IsZero() && (policy == flows.ReentryOnce ||
				now.Sub(last) < time.Duration(f.Settings.Reentry.Period)) {
				return "", nil
			}
		}
	}
	if req.triggerJSON == "" {
		req.triggerJSON = mustJSON(orEmpty(req.trigger))
	}
	run := &storage.Run{
		ID: storage.NewID(), FlowID: f.ID, Version: f.Version, Status: storage.RunRunning,
		Trigger: req.triggerJSON, Vars: "{}", Visits: "{}", Tokens: 1,
		Test: req.test, StartedAt: now, UpdatedAt: now,
	}
	if req.contactID != "" {
		id := req.contactID
		run.ContactID = &id
	}
	if req.event != nil {
		run.Event = mustJSON(req.event)
	}
	if len(req.choices) > 0 {
		run.TestChoices = mustJSON(req.choices)
	}
	req.committed.add(func() { e.cfg.Metrics.RunStarted(f.ID) })
	if req.inline {
		return run.ID, e.runInline(tx, run, req)
	}
	if err := storage.InsertRun(tx, run); err != nil {
		return "", err
	}
	id := run.ID
	if req.committed != nil {
		req.committed.add(e.madeDue)
	}
	_, err := storage.InsertJob(tx, &storage.Job{RunID: &id, NodeID: req.node, Kind: storage.JobStep, DueAt: now, CreatedAt: now})
	return run.ID, err
}

// runInline runs a new run from its trigger node until it waits, ends or
// reaches a node that calls a vendor, in the transaction that accepts the
// trigger, and only then writes the run, as it stands: one insert instead
// of a job to write, claim and delete, the run to read back and update,
// and a second transaction. Durability is the same: the steps commit with
// the request, or not at all and the caller gets the error. A failing
// step writes nothing, and is recorded like any step; an error here (the
// database's) ends the fast way: the request runs again the old way
// (writeOptimistic), leaving the run to a job.
//
// req.trigger is the run's trigger as decoding run.Trigger would give it.
func (e *Engine) runInline(tx storage.Tx, run *storage.Run, req startRequest) error {
	st, err := e.newRunStateWith(req.ctx, tx, run, req.cf, req.trigger)
	if err != nil {
		return err
	}
	st.committed = req.committed
	run.Tokens = 0 // the trigger's token is spent on this call, as a job's would be
	if err := st.execute(req.node, 1, 0, nil, nil); err != nil {
		return err
	}
	if st.dueNow && req.committed != nil {
		req.committed.add(e.madeDue)
	}
	return st.saveNew()
}

func orEmpty(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

// HookRequest is an incoming POST /hooks/:path.
type HookRequest struct {
	Path    string
	Body    []byte
	Headers map[string]string
	Query   map[string]string
	// IdempotencyKey (the Idempotency-Key header) makes a resent webhook
	// start its runs once.
	IdempotencyKey string
	// Verify checks the request's signature against the server-side secret
	// a trigger names; nil means no secret is configured anywhere.
	Verify func(secretName string) bool
	// VerifyToken checks that the request's header (see
	// nodes.WebhookPresetTokens) holds the named secret itself, for
	// platforms that send a verification token instead of a signature.
	VerifyToken func(secretName, header string) bool
}

// HookResult lists the runs a webhook started.
type HookResult struct {
	Runs      []string `json:"runs"`
	Duplicate bool     `json:"duplicate,omitempty"`
}

// IngestWebhook starts a run in every active flow listening on the path,
// in one transaction shared with concurrent requests; with InlineStart the
// runs' first steps run in it too (on the batch's goroutine, not the
// caller's).
func (e *Engine) IngestWebhook(ctx context.Context, req HookRequest) (HookResult, error) {
	var res HookResult
	ts, err := e.hooks.match(e.store.Reader(), req.Path)
	if err != nil {
		return res, err
	}
	if len(ts) == 0 {
		return res, ErrNoHook
	}
	if err := e.checkBacklog(); err != nil {
		return res, err
	}
	if err := e.checkBodySize(ts, len(req.Body)); err != nil {
		return res, err
	}
	body, err := parseHookBody(req.Body)
	if err != nil {
		return res, err
	}
	// Everything that reads no row is done before the shared transaction,
	// off the single writer; bad input is refused before it can fail one.
	starts := make([]hookStart, 0, len(ts))
	for _, t := range ts {
		hs, err := e.prepareHook(t, body, req)
		if err != nil {
			return res, err
		}
		starts = append(starts, hs)
	}
	inline := e.cfg.InlineStart
	var committed onCommit
	var emails []string
	for _, hs := range starts {
		if email := payloadEmail(hs.trigger); email != "" {
			emails = append(emails, email)
		}
	}
	err = e.ingest.writeOptimistic(ctx, func(tx storage.Tx, again bool) error {
		res = HookResult{}
		committed.reset()
		if req.IdempotencyKey != "" {
			key := hookIdempotencyKey(req, starts)
			ok, err := storage.InsertEvent(tx, &storage.Event{ID: storage.NewID(), Type: "webhook.received",
				Data: "{}", Source: "hook:" + req.Path, At: e.clock.Now(), DedupKey: &key, ReceivedAt: e.clock.Now()})
			if err != nil {
				return err
			}
			if !ok {
				res.Duplicate = true
				return nil
			}
		}
		for _, hs := range starts {
			contactID := e.knownContact(tx, hs.trigger, false)
			id, err := e.startRun(tx, startRequest{cf: hs.cf, node: hs.node, contactID: contactID, trigger: hs.trigger,
				triggerJSON: hs.triggerJSON, inline: inline && !again, ctx: context.WithoutCancel(ctx),
				committed: &committed})
			if err != nil {
				return err
			}
			if id != "" {
				res.Runs = append(res.Runs, id)
			}
		}
		return nil
	}, emails...)
	if err == nil {
		committed.run()
	}
	return res, err
}

// BodyTooLargeError is a webhook body over a listening journey's
// max_body_bytes setting.
type BodyTooLargeError struct {
	Journey     string
	Size, Limit int
}

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("The request body is %d bytes; the journey %q accepts webhook bodies of at most %d bytes "+
		"(its setting max_body_bytes, which can be raised to 1 MiB).", e.Size, e.Journey, e.Limit)
}

// checkBodySize refuses a body larger than a listening flow accepts,
// before it is decoded.
func (e *Engine) checkBodySize(ts []storage.Trigger, size int) error {
	for _, t := range ts {
		cf, err := e.compiled(e.store.Reader(), t.FlowID, t.Version)
		if err != nil {
			return err
		}
		if limit := cf.Flow.Settings.BodyLimit(); size > limit {
			return &BodyTooLargeError{Journey: cmp.Or(cf.Flow.Name, cf.Flow.ID), Size: size, Limit: limit}
		}
	}
	return nil
}

// hookIdempotencyKey scopes an Idempotency-Key to its webhook path and to
// the secrets its signature was verified with: a key sent to one path (or
// unsigned) never makes a request to another path (or a signed one) a
// duplicate. The parts are hashed with lengths, so "a:b"+"c" and "a"+"b:c"
// differ, and the stored key has a fixed size.
func hookIdempotencyKey(req HookRequest, starts []hookStart) string {
	h := sha256.New()
	part := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		h.Write(n[:])
		h.Write([]byte(s))
	}
	part(req.Path)
	part(req.IdempotencyKey)
	for _, hs := range starts {
		part(hs.secret)
	}
	return "hook:" + hex.EncodeToString(h.Sum(nil))
}

// hookStart is a run a webhook starts, prepared outside the transaction.
type hookStart struct {
	cf          *flows.Compiled
	node        string
	trigger     map[string]any // as decoding triggerJSON gives it
	triggerJSON string
	secret      string // the secret name the request's signature was verified with
}

// prepareHook checks the request against trigger t and builds its payload.
func (e *Engine) prepareHook(t storage.Trigger, body any, req HookRequest) (hookStart, error) {
	cf, err := e.compiled(e.store.Reader(), t.FlowID, t.Version)
	if err != nil {
		return hookStart{}, err
	}
	cn := cf.Nodes[t.NodeID]
	var p nodes.WebhookParams
	if err := cn.Decode(&p); err != nil {
		return hookStart{}, err
	}
	if p.SecretEnv != "" && !verified(p, req) {
		return hookStart{}, ErrBadSignature
	}
	hs, err := e.hookPayload(cn, p, body, req)
	hs.cf, hs.secret = cf, p.SecretEnv
	return hs, err
}

// verified reports whether the request is signed with the trigger's
// secret, or, for a preset whose platform sends a verification token,
// carries the secret in that header.
func verified(p nodes.WebhookParams, req HookRequest) bool {
	if req.Verify != nil && req.Verify(p.SecretEnv) {
		return true
	}
	header := nodes.WebhookPresetTokens[p.Preset]
	return header != "" && req.VerifyToken != nil && req.VerifyToken(p.SecretEnv, header)
}

// parseHookBody reads a webhook's raw body as JSON (nil when empty).
func parseHookBody(raw []byte) (any, error) {
	var body any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &body); err != nil {
			return nil, &InputError{Message: "The request body is not valid JSON: " + err.Error()}
		}
	}
	return body, nil
}

// hookPayload builds the trigger payload that webhook trigger cn (params
// p) makes of a request: its preset, its field mapping, and the JSON round
// trip the run's steps read it through. Real requests and tests of a
// webhook journey both come through here, so a test behaves as a request.
func (e *Engine) hookPayload(cn *flows.CompiledNode, p nodes.WebhookParams, body any, req HookRequest) (hookStart, error) {
	src := body
	if p.Preset != "" {
		preset, ok := e.reg.WebhookPreset(p.Preset)
		if !ok {
			return hookStart{}, &InputError{Message: fmt.Sprintf("The chat platform preset %q is not available in this build.", p.Preset)}
		}
		data, err := preset(req.Body)
		if err != nil {
			return hookStart{}, &InputError{Message: fmt.Sprintf("The request is not a %s webhook: %v", p.Preset, err)}
		}
		src = data
	}
	payload, err := mapWebhook(cn, p, src, req, e.clock.Now())
	if err != nil {
		return hookStart{}, &InputError{Message: err.Error()}
	}
	payload = orEmpty(payload)
	stripped := dropNULs(payload)
	hs := hookStart{node: cn.Node.ID, trigger: payload}
	if _, isObject := body.(map[string]any); isObject && len(p.Mapping) == 0 && p.Preset == "" && !stripped && utf8.Valid(req.Body) {
		// The payload is the body as sent: store its text rather than
		// encoding the decoded copy again (a 1 MiB body stays 1 MiB).
		hs.triggerJSON = string(req.Body)
	} else {
		hs.triggerJSON = mustJSON(payload)
	}
	if len(p.Mapping) > 0 || p.Preset != "" {
		// Mapped values (numbers, times) read back from the run's JSON as
		// JSON types: the steps see them so on every path.
		hs.trigger = map[string]any{}
		if err := json.Unmarshal([]byte(hs.triggerJSON), &hs.trigger); err != nil {
			return hookStart{}, fmt.Errorf("trigger payload: %w", err)
		}
	}
	return hs, nil
}

// dropNULs removes NUL characters from every text and key of v, a decoded
// JSON value, in place (PostgreSQL text cannot hold them). It reports
// whether there were any.
func dropNULs(v any) bool {
	found := false
	switch t := v.(type) {
	case map[string]any:
		var renamed []string
		for k, x := range t {
			if s, ok := x.(string); ok {
				if strings.IndexByte(s, 0) >= 0 {
					t[k], found = strings.ReplaceAll(s, "\x00", ""), true
				}
			} else if dropNULs(x) {
				found = true
			}
			if strings.IndexByte(k, 0) >= 0 {
				renamed = append(renamed, k)
			}
		}
		for _, k := range renamed {
			t[strings.ReplaceAll(k, "\x00", "")] = t[k]
			delete(t, k)
			found = true
		}
	case []any:
		for i, x := range t {
			if s, ok := x.(string); ok {
				if strings.IndexByte(s, 0) >= 0 {
					t[i], found = strings.ReplaceAll(s, "\x00", ""), true
				}
			} else if dropNULs(x) {
				found = true
			}
		}
	}
	return found
}

// mapWebhook turns a request into the trigger payload: the JSON body (or
// a preset's result), or the trigger's field mapping evaluated over body,
// headers and query (with a preset, on top of the preset's result).
func mapWebhook(cn *flows.CompiledNode, p nodes.WebhookParams, body any, req HookRequest, now time.Time) (map[string]any, error) {
	if len(p.Mapping) == 0 {
		if m, ok := body.(map[string]any); ok {
			return m, nil
		}
		return map[string]any{"body": body}, nil
	}
	headers := map[string]any{}
	for k, v := range req.Headers {
		headers[strings.ToLower(k)] = v
	}
	query := map[string]any{}
	for k, v := range req.Query {
		query[k] = v
	}
	env := &flows.Env{Now: now, Vars: map[string]any{},
		Trigger: map[string]any{"body": body, "headers": headers, "query": query}}
	out := map[string]any{}
	if base, ok := body.(map[string]any); ok && p.Preset != "" {
		for k, v := range base {
			out[k] = v
		}
	}
	for field := range p.Mapping {
		v, err := cn.Eval("mapping."+field, env)
		if err != nil {
			return nil, fmt.Errorf("the field mapping %q could not be applied to this request: %v", field, err)
		}
		out[field] = v
	}
	return out, nil
}

// knownContact finds an existing contact by the payload's email, so that
// re-entry policies and contact fields apply from the first step: a real
// contact, or for a test a test contact.
func (e *Engine) knownContact(tx storage.Tx, payload map[string]any, test bool) string {
	email := payloadEmail(payload)
	if email == "" {
		return ""
	}
	id, _ := storage.ContactIDByEmail(tx, email, test)
	return id
}

// payloadEmail is the email knownContact looks up.
func payloadEmail(payload map[string]any) string {
	email, _ := payload["email"].(string)
	return strings.ToLower(strings.TrimSpace(email))
}

// EventInput is an incoming contact event (POST /api/v1/events).
type EventInput struct {
	// ID, when given, deduplicates: the same id is stored once.
	ID         string
	Type       string
	Contact    storage.ContactRef
	Data       map[string]any
	OccurredAt time.Time
	Source     string
}

// EventResult says what an event did.
type EventResult struct {
	EventID   string   `json:"event_id"`
	ContactID string   `json:"contact_id"`
	Duplicate bool     `json:"duplicate"`
	Resumed   []string `json:"resumed_runs"`
	Started   []string `json:"started_runs"`
}

var eventTypeRE = regexp.MustCompile(`^[a-z][a-z0-9_]*(\.[a-z0-9_]+)*$`)

// IngestEvent stores an event once and, in the same transaction, resumes
// the runs waiting for it and starts the flows it triggers.
func (e *Engine) IngestEvent(ctx context.Context, in EventInput) (EventResult, error) {
	var res EventResult
	// Bad input is refused before it can fail a shared transaction.
	in, now, err := e.prepareEvent(in)
	if err != nil {
		return res, err
	}
	err = e.ingest.write(ctx, func(tx storage.Tx) error {
		var err error
		res, err = e.ingestEvent(ctx, tx, in, now)
		return err
	})
	if err == nil && len(res.Resumed)+len(res.Started) > 0 {
		e.Wake()
	}
	return res, err
}

// EventWriter stores a contact event as IngestEvent does, inside the
// transaction IngestEventsWith opened.
type EventWriter func(in EventInput) (EventResult, error)

// IngestEventsWith runs fn in a transaction shared with other concurrent
// requests, as IngestEvent's are: fn writes what it needs with tx and
// stores contact events with ingest, and everything commits together or
// not at all. fn may be called again, in a new transaction, when another
// request of a shared transaction fails: it must start over each time.
func (e *Engine) IngestEventsWith(ctx context.Context, fn func(tx storage.Tx, ingest EventWriter) error) error {
	wake := false
	err := e.ingest.write(ctx, func(tx storage.Tx) error {
		wake = false
		return fn(tx, func(in EventInput) (EventResult, error) {
			in, now, err := e.prepareEvent(in)
			if err != nil {
				return EventResult{}, err
			}
			res, err := e.ingestEvent(ctx, tx, in, now)
			if err == nil && len(res.Resumed)+len(res.Started) > 0 {
				wake = true
			}
			return res, err
		})
	})
	if err == nil && wake {
		e.Wake()
	}
	return err
}

// prepareEvent checks an event and fills in its defaults; now is when it
// was received.
func (e *Engine) prepareEvent(in EventInput) (_ EventInput, now time.Time, _ error) {
	if !eventTypeRE.MatchString(in.Type) || len(in.Type) > 100 {
		return in, now, &InputError{Message: fmt.Sprintf("The event type %q is not valid: use lowercase words separated by dots, like \"email.opened\".", in.Type)}
	}
	if in.Contact.ID == "" && in.Contact.Email == "" && in.Contact.Phone == "" && in.Contact.ExternalID == "" {
		return in, now, &InputError{Message: "The event needs a contact: give contact.email, contact.phone, contact.id or contact.external_id."}
	}
	in.Contact.Email = strings.ToLower(strings.TrimSpace(in.Contact.Email))
	now = e.clock.Now()
	if in.OccurredAt.IsZero() {
		in.OccurredAt = now
	}
	in.OccurredAt = in.OccurredAt.UTC()
	if in.Data == nil {
		in.Data = map[string]any{}
	}
	return in, now, nil
}

// ingestEvent stores a prepared event in tx once, resumes the runs waiting
// for it and starts the flows it triggers.
func (e *Engine) ingestEvent(ctx context.Context, tx storage.Tx, in EventInput, now time.Time) (EventResult, error) {
	var res EventResult
	var contactID string
	// test is set for a test contact's event (a contact named by email,
	// phone or external id is always a real one).
	var test bool
	if in.Contact.ID != "" {
		var err error
		test, err = storage.ContactIsTest(tx, in.Contact.ID)
		if errors.Is(err, storage.ErrNotFound) {
			return res, &InputError{Message: fmt.Sprintf("There is no contact with id %q.", in.Contact.ID)}
		}
		if err != nil {
			return res, err
		}
		contactID = in.Contact.ID
	} else {
		id, _, err := storage.EnsureContact(tx, in.Contact, now)
		if err != nil {
			return res, err
		}
		contactID = id
	}
	res.ContactID = contactID
	ev := &storage.Event{ID: storage.NewID(), ContactID: &contactID, Type: in.Type, Data: mustJSON(in.Data),
		Source: in.Source, At: in.OccurredAt, ReceivedAt: now}
	if in.ID != "" {
		key := "event:" + in.ID
		ev.DedupKey = &key
	}
	inserted, err := storage.InsertEvent(tx, ev)
	if err != nil {
		return res, err
	}
	if !inserted {
		prev, err := storage.EventByDedupKey(tx, *ev.DedupKey)
		if err != nil {
			return res, err
		}
		res.EventID, res.Duplicate = prev.ID, true
		return res, nil
	}
	res.EventID = ev.ID
	fev := flows.Event{ID: ev.ID, Type: in.Type, Data: in.Data, At: in.OccurredAt}
	if res.Resumed, err = e.resumeWaits(ctx, tx, contactID, fev); err != nil {
		return res, err
	}
	if test {
		// A test contact's event only moves its test runs on: it starts
		// no published journey.
		return res, nil
	}
	if res.Started, err = e.startEventFlows(tx, contactID, fev); err != nil {
		return res, err
	}
	return res, e.scheduleAbsences(tx, contactID, fev)
}

// resumeWaits turns each matching wait's timeout job into a resume job
// that carries the event. Waits are taken before jobs, as the timeout
// path does, so the two never deadlock.
func (e *Engine) resumeWaits(ctx context.Context, tx storage.Tx, contactID string, ev flows.Event) ([]string, error) {
	ws, err := storage.WaitsFor(tx, contactID, ev.Type)
	if err != nil {
		return nil, err
	}
	var resumed []string
	for _, w := range ws {
		if w.MatchParam != "" {
			run, err := storage.GetRun(tx, w.RunID)
			if err != nil {
				return nil, err
			}
			cf, err := e.compiled(tx, run.FlowID, run.Version)
			if err != nil {
				continue // the run will fail visibly when its timeout fires
			}
			st, err := e.newRunState(ctx, tx, run, cf)
			if err == nil {
				err = st.freshContact()
			}
			if err != nil {
				return nil, err
			}
			st.env.Event = ev
			ok, err := cf.Nodes[w.NodeID].Bool(w.MatchParam, &st.env)
			if err != nil || !ok {
				continue
			}
		}
		taken, err := storage.TakeWaitGroup(tx, &w)
		if err != nil {
			return nil, err
		}
		if !taken {
			continue
		}
		payload := resumePayload{Event: &ev}
		if w.EventPort == reenterPort {
			// Keep the node's state that the timeout job carries.
			jp, err := storage.JobPayload(tx, w.TimeoutJobID)
			if err != nil {
				return nil, fmt.Errorf("resume run %s: %w", w.RunID, err)
			}
			_ = json.Unmarshal([]byte(jp), &payload)
			payload.Event = &ev
		}
		err = storage.ResumeJobAt(tx, w.TimeoutJobID, storage.JobResume, w.EventPort, mustJSON(payload), e.clock.Now())
		if err != nil {
			return nil, fmt.Errorf("resume run %s: %w", w.RunID, err)
		}
		resumed = append(resumed, w.RunID)
	}
	return resumed, nil
}

func (e *Engine) startEventFlows(tx storage.Tx, contactID string, ev flows.Event) ([]string, error) {
	ts, err := storage.MatchTriggers(tx, "event", ev.Type)
	if err != nil {
		return nil, err
	}
	var started []string
	for _, t := range ts {
		cf, err := e.compiled(tx, t.FlowID, t.Version)
		if err != nil {
			return nil, err
		}
		cn := cf.Nodes[t.NodeID]
		env := flows.Env{Now: e.clock.Now(), Event: ev, Vars: map[string]any{}, Trigger: ev.Data}
		if c, err := storage.GetContact(tx, contactID); err == nil {
			env.Contact = envContact(c)
			if err := addActivity(tx, cf, &env.Contact); err != nil {
				return nil, err
			}
		}
		if filter, _ := cn.Params["filter"].(string); strings.TrimSpace(filter) != "" {
			if ok, err := cn.Bool("filter", &env); err != nil || !ok {
				continue
			}
		}
		id, err := e.startRun(tx, startRequest{cf: cf, node: t.NodeID, contactID: contactID, trigger: ev.Data, event: &ev})
		if err != nil {
			return nil, err
		}
		if id != "" {
			started = append(started, id)
		}
	}
	return started, nil
}

// absencePayload is the payload of an absence check job.
type absencePayload struct {
	FlowID    string      `json:"flow_id"`
	Version   int         `json:"version"`
	ContactID string      `json:"contact_id"`
	Missing   string      `json:"missing_event"`
	Event     flows.Event `json:"event"`
}

// scheduleAbsences starts the clock of every absence trigger whose first
// event this is: a job checks, when the time is up, that the second event
// did not follow.
func (e *Engine) scheduleAbsences(tx storage.Tx, contactID string, ev flows.Event) error {
	ts, err := storage.MatchTriggers(tx, "absence", ev.Type)
	if err != nil {
		return err
	}
	for _, t := range ts {
		cf, err := e.compiled(tx, t.FlowID, t.Version)
		if err != nil {
			return err
		}
		var p nodes.AbsenceParams
		if err := cf.Nodes[t.NodeID].Decode(&p); err != nil {
			return err
		}
		key := fmt.Sprintf("absence:%s:%s:%s", t.FlowID, t.NodeID, ev.ID)
		_, err = storage.InsertJob(tx, &storage.Job{NodeID: t.NodeID, Kind: storage.JobAbsence,
			Payload: mustJSON(absencePayload{FlowID: t.FlowID, Version: t.Version, ContactID: contactID, Missing: p.Missing, Event: ev}),
			DueAt:   ev.At.Add(time.Duration(p.Within)), DedupKey: &key, CreatedAt: e.clock.Now()})
		if err != nil {
			return err
		}
	}
	return nil
}

// fireAbsence starts the run if the awaited second event never came.
func (e *Engine) fireAbsence(_ context.Context, tx storage.Tx, j *storage.Job) error {
	var p absencePayload
	if err := json.Unmarshal([]byte(j.Payload), &p); err != nil {
		return fmt.Errorf("absence payload: %w", err)
	}
	f, err := storage.GetFlow(tx, p.FlowID)
	if errors.Is(err, storage.ErrNotFound) || (err == nil && f.Status != storage.FlowActive) {
		return nil // the flow was deleted or paused meanwhile
	}
	if err != nil {
		return err
	}
	followed, err := storage.EventAfter(tx, p.ContactID, p.Missing, p.Event.At)
	if err != nil || followed {
		return err
	}
	cf, err := e.compiled(tx, p.FlowID, p.Version)
	if err != nil {
		return err
	}
	_, err = e.startRun(tx, startRequest{cf: cf, node: j.NodeID, contactID: p.ContactID, trigger: p.Event.Data, event: &p.Event})
	return err
}
