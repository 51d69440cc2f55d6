package engine

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// EventNever is TestChoice.Event for "the awaited event never happens".
const EventNever = "never"

// DeliveryNotDelivered is TestChoice.Delivery for "pretend the message was
// not delivered".
const DeliveryNotDelivered = "not_delivered"

// TestChoice is what the tester decides happens at one step of a test run,
// in place of what the journey would decide. Exactly one field is set.
type TestChoice struct {
	// Port makes the step take this output: "yes"/"no" of a condition, a
	// switch case or "default", an A/B path, a message's "failed".
	Port string `json:"port,omitempty"`
	// EventAfter, at a wait for an event, makes the event happen this long
	// after the wait started; at or past the wait's timeout the wait times
	// out instead.
	EventAfter *flows.Duration `json:"event_after,omitempty"`
	// Event "never", at a wait for an event: it never comes (timeout path).
	Event string `json:"event,omitempty"`
	// Skip, at a delay: the time passes at once.
	Skip bool `json:"skip,omitempty"`
	// Delivery "not_delivered", at a message step: the message was not
	// delivered. The step takes its "failed" path when that leads
	// somewhere; otherwise the provider's failure event (sms.undelivered,
	// email.bounced, ...) reaches the waits for it further on.
	Delivery string `json:"delivery,omitempty"`
}

// TestChoices are a test run's choices by node id.
type TestChoices map[string]TestChoice

// check refuses choices that do not fit the journey, in plain words.
func (cs TestChoices) check(cf *flows.Compiled) error {
	ids := make([]string, 0, len(cs))
	for id := range cs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		cn := cf.Nodes[id]
		if cn == nil {
			return &InputError{Message: fmt.Sprintf("The test chooses what happens at the step %q, but the journey has no such step.", id)}
		}
		if msg := cs[id].problem(cn); msg != "" {
			return &InputError{Message: fmt.Sprintf("At the step %q: %s", nodeName(cn), msg)}
		}
	}
	return nil
}

// problem says why c does not fit node cn ("" when it does).
func (c TestChoice) problem(cn *flows.CompiledNode) string {
	set := 0
	for _, on := range []bool{c.Port != "", c.EventAfter != nil, c.Event != "", c.Skip, c.Delivery != ""} {
		if on {
			set++
		}
	}
	typ := cn.Node.Type
	switch {
	case set == 0:
		return "choose one thing that happens there."
	case set > 1:
		return "choose only one thing that happens there."
	case c.Port != "" && !slices.Contains(cn.Ports(), c.Port):
		return fmt.Sprintf("the step has no path %q; its paths are %s.", c.Port, strings.Join(cn.Ports(), ", "))
	case (c.EventAfter != nil || c.Event != "") && typ != nodes.TypeWaitEvent:
		return "only a wait for an event can be told when the event happens."
	case c.Event != "" && c.Event != EventNever:
		return fmt.Sprintf("the event can be %q or happen after a time (event_after), not %q.", EventNever, c.Event)
	case c.EventAfter != nil && *c.EventAfter < 0:
		return "the event cannot happen before the wait starts."
	case c.Skip && typ != nodes.TypeDelay:
		return "only a delay can be skipped."
	case c.Delivery != "" && cn.Spec.Category != flows.CategoryMessage:
		return "only a message step can be told its message was not delivered."
	case c.Delivery != "" && c.Delivery != DeliveryNotDelivered:
		return fmt.Sprintf("the delivery can only be %q.", DeliveryNotDelivered)
	}
	return ""
}

// expand turns "not delivered" at message steps into what the engine
// does: the step's "failed" path when it leads somewhere, else the
// provider's failure event at the waits for it that follow the step (a
// wait with its own choice keeps it).
func (cs TestChoices) expand(cf *flows.Compiled) TestChoices {
	out := make(TestChoices, len(cs))
	for id, c := range cs {
		out[id] = c
	}
	for id, c := range cs {
		if c.Delivery == "" {
			continue
		}
		cn := cf.Nodes[id]
		waits := failureWaitsAfter(cf, cn)
		if len(cn.Next[nodes.PortFailed]) > 0 || len(waits) == 0 {
			out[id] = TestChoice{Port: nodes.PortFailed, Delivery: c.Delivery}
			continue
		}
		delete(out, id) // the step runs as it would
		now := flows.Duration(0)
		for _, w := range waits {
			if _, own := cs[w]; !own {
				out[w] = TestChoice{EventAfter: &now}
			}
		}
	}
	return out
}

// failureWaitsAfter lists the wait.event steps reachable from message step
// cn that wait for a delivery failure of one of its channels.
func failureWaitsAfter(cf *flows.Compiled, cn *flows.CompiledNode) []string {
	channels := messageChannels(cn)
	var out []string
	seen := map[string]bool{cn.Node.ID: true}
	queue := []string{cn.Node.ID}
	for len(queue) > 0 {
		n := cf.Nodes[queue[0]]
		queue = queue[1:]
		for _, port := range n.Ports() {
			for _, next := range n.Next[port] {
				if seen[next] {
					continue
				}
				seen[next] = true
				queue = append(queue, next)
				if isFailureWait(cf.Nodes[next], channels) {
					out = append(out, next)
				}
			}
		}
	}
	slices.Sort(out)
	return out
}

// messageChannels lists the channels a message step sends on.
func messageChannels(cn *flows.CompiledNode) []string {
	switch cn.Node.Type {
	case nodes.TypeEmail:
		return []string{nodes.ChannelEmail}
	case nodes.TypeSMS:
		return []string{nodes.ChannelSMS}
	case nodes.TypeWhatsApp:
		return []string{nodes.ChannelWhatsApp}
	}
	var p nodes.SendParams
	if cn.Decode(&p) == nil {
		return p.Channels
	}
	return nil
}

// failureEvents are the kinds of provider event that say a message was
// not delivered (sms.undelivered, email.bounced, whatsapp.failed...).
var failureEvents = []string{"failed", "undelivered", "bounced"}

func isFailureWait(cn *flows.CompiledNode, channels []string) bool {
	if cn == nil || cn.Node.Type != nodes.TypeWaitEvent {
		return false
	}
	var p nodes.WaitEventParams
	if cn.Decode(&p) != nil {
		return false
	}
	channel, kind, ok := strings.Cut(p.EventType, ".")
	return ok && slices.Contains(channels, channel) && slices.Contains(failureEvents, kind)
}

// choose applies the tester's choice c to what step cn decided (res, err):
// the one place where a test run's choice overrides a step. It returns
// the result to go on with and, for an event that happens during a wait,
// that simulated event.
func (s *runState) choose(cn *flows.CompiledNode, c TestChoice, res nodes.Result, err error) (nodes.Result, *flows.Event, error) {
	out := make(map[string]any, len(res.Output)+2)
	for k, v := range res.Output {
		out[k] = v
	}
	if err != nil {
		out["journey_error"] = err.Error()
	}
	switch {
	case c.Port != "":
		out["chosen_by_tester"] = fmt.Sprintf("The tester chose the %q path.", c.Port)
		if c.Delivery != "" {
			out["chosen_by_tester"] = "The tester pretended the message was not delivered."
		}
		return nodes.Result{Port: c.Port, Output: out, Vars: res.Vars, ContactID: res.ContactID}, nil, nil
	case err != nil || res.Wait == nil:
		return res, nil, err // the step did not wait: nothing to choose
	}
	w := *res.Wait
	res.Output, res.Wait = out, &w
	out["simulated_until"] = w.Until
	switch {
	case c.Skip:
		out["chosen_by_tester"] = "The tester skipped the wait."
	case c.Event == EventNever:
		out["chosen_by_tester"] = "The tester chose that the event never happens."
	case c.EventAfter != nil && s.env.Now.Add(time.Duration(*c.EventAfter)).Before(w.Until):
		at := s.env.Now.Add(time.Duration(*c.EventAfter))
		out["chosen_by_tester"] = fmt.Sprintf("The tester chose that the event happens after %s.", *c.EventAfter)
		out["simulated_until"] = at
		w.Until = s.env.Now
		return res, &flows.Event{ID: "simulated:" + cn.Node.ID, Type: w.Event, Data: map[string]any{}, At: at}, nil
	case c.EventAfter != nil:
		out["chosen_by_tester"] = fmt.Sprintf("The tester chose that the event happens after %s, once the wait is over.", *c.EventAfter)
	}
	w.Until = s.env.Now // the wait ends at once, on its timeout path
	return res, nil, nil
}

// nodeName is the step's name, or its id when it has none.
func nodeName(cn *flows.CompiledNode) string {
	if cn.Node.Name != "" {
		return cn.Node.Name
	}
	return cn.Node.ID
}

// simulatedResume is the job that resumes wait w with a simulated event,
// as an arriving event turns a wait's timeout job into a resume job
// (resumeWaits). Only wait.event takes event choices, and it never
// re-enters (Wait.Reenter).
func simulatedResume(node string, w *nodes.Wait, ev *flows.Event) storage.Job {
	port := w.EventPort
	if port == "" {
		port = nodes.PortEvent
	}
	return storage.Job{Kind: storage.JobResume, NodeID: node, Port: port, DueAt: w.Until, Payload: mustJSON(resumePayload{Event: ev})}
}

// testPayload is the trigger payload of a test run: for a webhook
// trigger, what a real request with in.Body would give (everything but
// the signature check); else in.Body as the sample payload.
func (e *Engine) testPayload(trigger *flows.CompiledNode, in TestInput) (hookStart, error) {
	if trigger.Node.Type != nodes.TypeWebhookTrigger {
		payload := map[string]any{}
		if len(bytes.TrimSpace(in.Body)) > 0 {
			if err := json.Unmarshal(in.Body, &payload); err != nil {
				return hookStart{}, &InputError{Message: "The sample data must be a JSON object, like {\"email\": \"ada@example.com\"}."}
			}
		}
		return hookStart{trigger: payload}, nil
	}
	var p nodes.WebhookParams
	if err := trigger.Decode(&p); err != nil {
		return hookStart{}, err
	}
	body, err := parseHookBody(in.Body)
	if err != nil {
		return hookStart{}, err
	}
	return e.hookPayload(trigger, p, body, HookRequest{Path: p.Path, Body: in.Body, Headers: in.Headers, Query: in.Query})
}
