package engine

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/nodes/nodestest"
	"github.com/journeyhq/journey/storage"
)

// Golden traces: a run driven by the decision functions of advance.go
// alone, with in-memory contacts and channels, no database and a clock
// that jumps to the next due job or event. Each testdata/traces file is an
// input script, a "----------" line, and the trace: every decision the
// run made, as data. `go test ./engine -run TestTraces -update` rewrites
// the traces (and creates the missing files of node types and templates).
//
// Script lines (# starts a comment):
//
//	type TYPE              run the node type's first example after a webhook trigger
//	template ID            run a shipped template
//	start RFC3339          the clock at the start (default 2026-12-01T09:00:00Z)
//	trigger {JSON}         the trigger's payload (a template's example by default)
//	contact {JSON}         the run starts with this contact (nodestest.Contact's Go field names)
//	vendor NODE ok PORT {JSON}   what the next vendor call of NODE returns
//	vendor NODE error TEXT       ... or that it failed (retried)
//	vendor NODE permanent TEXT   ... or that it failed for good
//	event +DURATION TYPE {JSON}  the run's contact does TYPE at start+DURATION
var updateTraces = flag.Bool("update", false, "rewrite the golden traces in testdata/traces")

const traceSeparator = "----------"

var traceStart = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)

// traceLimit bounds a trace: decisions after it are not made.
const traceLimit = 200

func TestTraces(t *testing.T) {
	reg := nodes.Builtin()
	ensureTraceFiles(t, reg)
	files, err := filepath.Glob(filepath.Join("testdata", "traces", "*", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden traces in testdata/traces")
	}
	for _, file := range files {
		name := strings.TrimSuffix(strings.TrimPrefix(file, filepath.Join("testdata", "traces")+string(filepath.Separator)), ".golden")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := bytes.Cut(data, []byte("\n"+traceSeparator+"\n"))
			if !ok {
				t.Fatalf("%s: no %q line after the script", file, traceSeparator)
			}
			sc, err := parseTraceScript(string(input))
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			got, err := runTrace(reg, sc)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			if *updateTraces {
				out := append(append(bytes.TrimRight(input, "\n"), "\n"+traceSeparator+"\n"...), got...)
				if err := os.WriteFile(file, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != string(want) {
				t.Errorf("%s: the trace differs (run with -update to accept)\n--- got\n%s--- want\n%s", file, got, want)
			}
		})
	}
}

// ensureTraceFiles checks that every node type and every shipped template
// has a trace; with -update it writes a default script for those missing.
func ensureTraceFiles(t *testing.T, reg *nodes.Registry) {
	t.Helper()
	want := map[string]string{}
	for _, typ := range reg.All() {
		script := "type " + typ.Spec.Type + "\ntrigger " + traceSample + "\ncontact " + traceContact + "\n"
		if typ.Spec.Waits {
			script += "# the contact acts an hour later\nevent +1h email.opened {}\n"
		}
		want[filepath.Join("types", typ.Spec.Type)] = script
	}
	tpls, err := flows.Templates()
	if err != nil {
		t.Fatal(err)
	}
	for _, tpl := range tpls {
		payload := "{}"
		if tpl.About != nil && tpl.About.Example != nil {
			payload = mustJSON(tpl.About.Example)
		}
		want[filepath.Join("templates", tpl.ID)] = "template " + tpl.ID + "\ntrigger " + payload + "\n"
	}
	var missing []string
	for name, script := range want {
		file := filepath.Join("testdata", "traces", name+".golden")
		if _, err := os.Stat(file); err == nil {
			continue
		}
		if !*updateTraces {
			missing = append(missing, name)
			continue
		}
		if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(file, []byte(script+traceSeparator+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("no golden trace for %s (run with -update to create them)", strings.Join(missing, ", "))
	}
}

// traceContact is the default contact of a node type's trace.
const traceContact = `{"Email":"ada@example.com","FirstName":"Ada","LastName":"Lovelace","Score":72}`

// traceSample is the default trigger payload: a chat lead.
const traceSample = `{"email":"ada@example.com","first_name":"Ada","last_name":"Lovelace","phone":"+34600111222","company":"Analytical Engines","score":72,"message":"I'd like a demo"}`

type traceScript struct {
	typ, template string
	start         time.Time
	trigger       map[string]any
	contact       *nodestest.Contact
	vendor        map[string][]vendorReply
	events        []traceEvent
}

type vendorReply struct {
	port   string
	output map[string]any
	err    error
}

type traceEvent struct {
	at   time.Time
	typ  string
	data map[string]any
}

func parseTraceScript(src string) (*traceScript, error) {
	sc := &traceScript{start: traceStart, trigger: map[string]any{}, vendor: map[string][]vendorReply{}}
	s := bufio.NewScanner(strings.NewReader(src))
	for n := 1; s.Scan(); n++ {
		line := strings.TrimSpace(s.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		var err error
		switch word {
		case "type":
			sc.typ = rest
		case "template":
			sc.template = rest
		case "start":
			sc.start, err = time.Parse(time.RFC3339, rest)
		case "trigger":
			err = json.Unmarshal([]byte(rest), &sc.trigger)
		case "contact":
			sc.contact = &nodestest.Contact{}
			err = json.Unmarshal([]byte(rest), sc.contact)
		case "vendor":
			f := strings.SplitN(rest, " ", 3)
			if len(f) < 3 {
				return nil, fmt.Errorf("line %d: want vendor NODE ok|error|permanent ...", n)
			}
			var r vendorReply
			switch f[1] {
			case "ok":
				port, out, _ := strings.Cut(f[2], " ")
				r.port = port
				if out != "" {
					err = json.Unmarshal([]byte(out), &r.output)
				}
			case "error":
				r.err = fmt.Errorf("%s", f[2])
			case "permanent":
				r.err = nodes.Permanentf("%s", f[2])
			default:
				return nil, fmt.Errorf("line %d: vendor replies ok, error or permanent, not %q", n, f[1])
			}
			sc.vendor[f[0]] = append(sc.vendor[f[0]], r)
		case "event":
			f := strings.SplitN(rest, " ", 3)
			if len(f) < 2 {
				return nil, fmt.Errorf("line %d: want event +DURATION TYPE {JSON}", n)
			}
			d, perr := time.ParseDuration(strings.TrimPrefix(f[0], "+"))
			if perr != nil {
				return nil, fmt.Errorf("line %d: %v", n, perr)
			}
			ev := traceEvent{typ: f[1], data: map[string]any{}}
			if len(f) == 3 {
				err = json.Unmarshal([]byte(f[2]), &ev.data)
			}
			sc.events = append(sc.events, ev)
			sc.events[len(sc.events)-1].at = sc.start.Add(d)
		default:
			return nil, fmt.Errorf("line %d: unknown word %q", n, word)
		}
		if err != nil {
			return nil, fmt.Errorf("line %d: %v", n, err)
		}
	}
	return sc, s.Err()
}

// traceFlow is the flow a script runs.
func traceFlow(reg *nodes.Registry, sc *traceScript) (*flows.Flow, error) {
	if sc.template != "" {
		tpls, err := flows.Templates()
		if err != nil {
			return nil, err
		}
		for _, tpl := range tpls {
			if tpl.ID == sc.template {
				return tpl.Flow, nil
			}
		}
		return nil, fmt.Errorf("no template %q", sc.template)
	}
	typ, ok := reg.Latest(sc.typ)
	if !ok {
		return nil, fmt.Errorf("no node type %q", sc.typ)
	}
	params := map[string]any{}
	if len(typ.Spec.Examples) > 0 {
		params = typ.Spec.Examples[0].Params
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	f := &flows.Flow{ID: "trace", Name: "Trace of " + sc.typ, Version: 1}
	if typ.Spec.Trigger {
		f.Nodes = []flows.Node{{ID: "trigger", Type: sc.typ, Params: raw}}
		return f, nil
	}
	f.Nodes = []flows.Node{
		{ID: "trigger", Type: nodes.TypeWebhookTrigger, Params: json.RawMessage(`{"path":"trace"}`)},
		{ID: "step", Name: typ.Spec.Title, Type: sc.typ, Params: raw},
	}
	f.Edges = []flows.Edge{{From: "trigger", To: "step"}}
	return f, nil
}

// tracer is a run advanced in memory. Its loop mirrors runState's (drain,
// handleJob); its apply mirrors runState.apply, writing to memory.
type tracer struct {
	d        decider
	cf       *flows.Compiled
	reg      *nodes.Registry
	sc       *traceScript
	env      flows.Env
	visits   map[string]int
	contacts *nodestest.Contacts
	channels *nodestest.Channels
	contact  string
	jobs     []traceJob
	waits    []storage.Wait
	nextJob  int64
	ended    *runEnd
	out      strings.Builder
	count    int
}

type traceJob struct {
	id int64
	storage.Job
}

func runTrace(reg *nodes.Registry, sc *traceScript) (string, error) {
	f, err := traceFlow(reg, sc)
	if err != nil {
		return "", err
	}
	cf, problems := flows.Compile(f, reg)
	if cf == nil {
		return "", fmt.Errorf("the flow does not compile: %v", problems)
	}
	tr := &tracer{cf: cf, reg: reg, sc: sc, visits: map[string]int{},
		contacts: nodestest.NewContacts(), channels: nodestest.NewChannels(func() time.Time { return sc.start })}
	tr.d = decider{cf: cf, lookup: reg.Lookup, maxAttempts: 3, retryAt: func(attempt int, after time.Duration) time.Time {
		return tr.env.Now.Add(max(time.Minute<<(attempt-1), after))
	}}
	tr.env = flows.Env{Now: sc.start, Trigger: sc.trigger, Vars: map[string]any{},
		Run: flows.RunInfo{ID: "run1", FlowID: f.ID, Version: f.Version, StartedAt: sc.start}}
	var trigger *flows.CompiledNode
	for _, id := range sortedNodeIDs(cf) {
		if cn := cf.Nodes[id]; cn.Spec.Trigger {
			trigger = cn
			break
		}
	}
	if trigger == nil {
		return "", fmt.Errorf("the flow has no trigger")
	}
	if sc.contact != nil {
		tr.contact = tr.contacts.Add(*sc.contact)
	} else if !strings.HasPrefix(trigger.Node.Type, "trigger.webhook") {
		// Runs started by a contact's event or a schedule are about a
		// contact: the event's, when the payload names one.
		c := nodestest.Contact{Email: "ada@example.com", FirstName: "Ada"}
		if named, ok := sc.trigger["contact"].(map[string]any); ok {
			c.Email, _ = named["email"].(string)
			c.Phone, _ = named["phone"].(string)
		}
		tr.contact = tr.contacts.Add(c)
	}
	if !strings.HasPrefix(trigger.Node.Type, "trigger.webhook") {
		tr.env.Event = flows.Event{ID: "ev0", Type: "trigger", Data: sc.trigger, At: sc.start}
	}
	tr.refreshContact()
	tr.logf("start at %s: %s", trigger.Node.ID, trigger.Node.Type)
	tr.drain([]pending{{node: trigger.Node.ID, attempt: 1}})
	tr.settle()
	for tr.ended == nil && tr.count < traceLimit {
		if !tr.nextBatch() {
			break
		}
		tr.settle()
	}
	return tr.out.String(), nil
}

func sortedNodeIDs(cf *flows.Compiled) []string {
	ids := make([]string, 0, len(cf.Nodes))
	for id := range cf.Nodes {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}

func (tr *tracer) logf(format string, args ...any) {
	fmt.Fprintf(&tr.out, "%s "+format+"\n", append([]any{tr.offset(tr.env.Now)}, args...)...)
}

func (tr *tracer) offset(at time.Time) string { return "+" + at.Sub(tr.sc.start).String() }

func (tr *tracer) refreshContact() {
	if tr.contact == "" {
		tr.env.Contact = flows.Contact{}
		return
	}
	tr.env.Contact = tr.contacts.Env(tr.contact)
}

func (tr *tracer) facts() runFacts {
	return runFacts{env: &tr.env, visits: tr.visits, hasContact: tr.contact != ""}
}

func (tr *tracer) drain(q []pending) {
	for len(q) > 0 && tr.ended == nil && tr.count < traceLimit {
		p := q[0]
		q = q[1:]
		tr.count++
		pl, visit, run := tr.d.reach(tr.facts(), p)
		if !run {
			q = append(q, tr.apply(pl)...)
			continue
		}
		r := tr.runNode(p, visit)
		r.newVisit = p.visit == 0
		q = append(q, tr.apply(tr.d.afterStep(tr.facts(), r))...)
	}
}

// runNode runs the node's handler with in-memory contacts and channels; a
// vendor call's result is the script's next reply for the node.
func (tr *tracer) runNode(p pending, visit int) stepResult {
	cn := tr.cf.Nodes[p.node]
	typ, _ := tr.reg.Lookup(cn.Node.Type, cn.Node.Version())
	r := stepResult{node: cn, visit: visit, attempt: p.attempt, resume: p.resume, remote: typ.RemoteFor(cn), started: tr.env.Now}
	contacts := &traceContacts{f: tr.contacts}
	if p.pre != nil {
		r.res, r.err = p.pre.res, p.pre.err
	} else {
		in := &nodes.Input{Node: cn, Env: &tr.env, RunID: "run1", Visit: visit, Attempt: p.attempt,
			Key: fmt.Sprintf("run1:%s:%d", cn.Node.ID, visit), Location: tr.cf.Location,
			Contacts: contacts, Channels: tr.channels, Settings: &tr.cf.Flow.Settings, Resume: p.resume}
		func() {
			defer func() {
				if v := recover(); v != nil {
					r.err = nodes.Permanentf("the step crashed: %v", v)
				}
			}()
			r.res, r.err = typ.Handler.Run(context.Background(), in)
		}()
	}
	if r.err == nil {
		r.output = mustJSON(r.res.Output)
		if r.res.OutputIsTrigger {
			r.output = "(the trigger)"
		}
		r.writes = contacts.writes
	}
	return r
}

// apply performs a plan in memory and writes it to the trace.
func (tr *tracer) apply(pl plan) []pending {
	if v := pl.visit; v.n != 0 {
		tr.visits[v.node] = v.n
	}
	if st := pl.step; st.NodeID != "" {
		line := fmt.Sprintf("step %s %s", st.NodeID, st.Status)
		if st.Port != "" {
			line += " → " + st.Port
		}
		if st.Attempt > 1 {
			line += fmt.Sprintf(" (attempt %d)", st.Attempt)
		}
		tr.logf("%s", line)
		if st.Error != "" {
			tr.logf("  error: %s", st.Error)
		}
		if st.Output != "" && st.Output != "null" && st.Output != "{}" {
			tr.logf("  output %s", st.Output)
		}
	}
	for i := range pl.writes {
		w := &pl.writes[i]
		tr.logf("  write %s", w)
		if err := w.do(storage.Tx{}); err != nil {
			tr.logf("  write failed: %v", err)
		}
	}
	if pl.contactID != "" && pl.contactID != tr.contact {
		tr.contact = pl.contactID
		tr.logf("  contact %s", pl.contactID)
	}
	if len(pl.vars) > 0 {
		tr.logf("  vars %s", mustJSON(pl.vars))
		for k, v := range pl.vars {
			tr.env.Vars[k] = v
		}
	}
	tr.refreshContact()
	if pl.job.Kind != "" {
		tr.addJob(pl.job)
	}
	if w := pl.wait; w != nil {
		id := tr.addJob(w.timeout)
		var types []string
		for _, wt := range w.waits {
			wt.TimeoutJobID = id
			tr.waits = append(tr.waits, wt)
			types = append(types, wt.EventType)
		}
		tr.logf("  wait at %s for %s (then %s)", w.waits[0].NodeID, strings.Join(types, " or "), w.waits[0].EventPort)
	}
	if e := pl.end; e != nil {
		tr.ended = e
		return nil
	}
	if len(pl.next) > 0 {
		var ids []string
		for _, p := range pl.next {
			ids = append(ids, p.node)
		}
		tr.logf("  next %s", strings.Join(ids, ", "))
	}
	return pl.next
}

func (tr *tracer) addJob(j storage.Job) int64 {
	tr.nextJob++
	tr.jobs = append(tr.jobs, traceJob{id: tr.nextJob, Job: j})
	line := fmt.Sprintf("  job %s %s", j.Kind, j.NodeID)
	if j.Port != "" {
		line += " → " + j.Port
	}
	line += " due " + tr.offset(j.DueAt)
	if j.Payload != "" {
		line += " " + j.Payload
	}
	tr.logf("%s", line)
	return tr.nextJob
}

// settle reports the run's status once nothing more runs now.
func (tr *tracer) settle() {
	switch e := tr.ended; {
	case e == nil && len(tr.jobs) == 0:
		tr.ended = &runEnd{status: storage.RunCompleted, outcome: nodes.OutcomeExited}
		tr.logf("run completed: nothing left to do")
	case e == nil:
		tr.logf("run waiting")
	case e.status == storage.RunFailed:
		tr.logf("run failed: %s", e.error)
	default:
		tr.logf("run completed: %s", e.outcome)
	}
}

// nextBatch moves the clock to the next due job or scripted event and
// handles it; false when nothing is left.
func (tr *tracer) nextBatch() bool {
	sort.SliceStable(tr.jobs, func(i, j int) bool { return tr.jobs[i].DueAt.Before(tr.jobs[j].DueAt) })
	var ev *traceEvent
	if len(tr.sc.events) > 0 {
		ev = &tr.sc.events[0]
	}
	if len(tr.jobs) == 0 && ev == nil {
		return false
	}
	if ev != nil && (len(tr.jobs) == 0 || !tr.jobs[0].DueAt.Before(ev.at)) {
		tr.sc.events = tr.sc.events[1:]
		if ev.at.After(tr.env.Now) {
			tr.env.Now = ev.at
		}
		tr.event(*ev)
		return true
	}
	j := tr.jobs[0]
	tr.jobs = tr.jobs[1:]
	if j.DueAt.After(tr.env.Now) {
		tr.env.Now = j.DueAt
	}
	tr.job(j)
	return true
}

// event ends the run's waits for the event's type, as resumeWaits does:
// their timeout job becomes a resume job through the event's port.
func (tr *tracer) event(ev traceEvent) {
	i := slices.IndexFunc(tr.waits, func(w storage.Wait) bool { return w.EventType == ev.typ })
	if i < 0 {
		tr.logf("event %s: no step waits for it", ev.typ)
		return
	}
	w := tr.waits[i]
	tr.waits = slices.DeleteFunc(tr.waits, func(x storage.Wait) bool { return x.TimeoutJobID == w.TimeoutJobID })
	k := slices.IndexFunc(tr.jobs, func(j traceJob) bool { return j.id == w.TimeoutJobID })
	if k < 0 {
		return
	}
	fe := &flows.Event{ID: "ev-" + ev.typ, Type: ev.typ, Data: ev.data, At: ev.at}
	tj := &tr.jobs[k]
	tj.Kind, tj.DueAt, tj.Port = storage.JobResume, ev.at, w.EventPort
	if w.EventPort == reenterPort {
		var p resumePayload
		_ = json.Unmarshal([]byte(tj.Payload), &p)
		p.Event = fe
		tj.Payload = mustJSON(p)
	} else {
		tj.Payload = mustJSON(resumePayload{Event: fe})
	}
	tr.logf("event %s ends the wait at %s", ev.typ, w.NodeID)
}

// job handles a due job as handleJob does.
func (tr *tracer) job(j traceJob) {
	tr.logf("job %s %s", j.Kind, j.NodeID)
	switch j.Kind {
	case storage.JobStep:
		var p stepPayload
		_ = json.Unmarshal([]byte(j.Payload), &p)
		var pre *remoteResult
		if p.Remote {
			pre = tr.vendorCall(j.NodeID)
		}
		tr.drain([]pending{{node: j.NodeID, attempt: j.Attempts + 1, visit: p.Visit, pre: pre, resume: p.Resume}})
	case storage.JobResume:
		var p resumePayload
		_ = json.Unmarshal([]byte(j.Payload), &p)
		if j.Port == reenterPort {
			tr.drain([]pending{{node: j.NodeID, attempt: 1, visit: p.Visit, resume: &nodes.Resume{Event: p.Event, State: p.State}}})
			return
		}
		if p.Event != nil {
			tr.env.Event = *p.Event
		}
		tr.drain(tr.apply(tr.d.resumed(j.NodeID, j.Port, p.Event)))
	case storage.JobTimeout:
		tr.waits = slices.DeleteFunc(tr.waits, func(w storage.Wait) bool { return w.TimeoutJobID == j.id })
		if j.Port == reenterPort {
			var p resumePayload
			_ = json.Unmarshal([]byte(j.Payload), &p)
			tr.drain([]pending{{node: j.NodeID, attempt: 1, visit: p.Visit, resume: &nodes.Resume{TimedOut: true, State: p.State}}})
			return
		}
		tr.drain(tr.apply(tr.d.timedOut(j.NodeID, j.Port)))
	}
}

// vendorCall is the script's next reply for node (by default: success
// through the node's default port, with no output).
func (tr *tracer) vendorCall(node string) *remoteResult {
	r := &remoteResult{started: tr.env.Now}
	replies := tr.sc.vendor[node]
	if len(replies) == 0 {
		tr.logf("  vendor call %s: ok", node)
		return r
	}
	reply := replies[0]
	tr.sc.vendor[node] = replies[1:]
	if reply.err != nil {
		tr.logf("  vendor call %s: %v", node, reply.err)
		r.err = reply.err
		return r
	}
	tr.logf("  vendor call %s: ok → %s", node, reply.port)
	r.res = nodes.Result{Port: reply.port, Output: reply.output}
	return r
}
