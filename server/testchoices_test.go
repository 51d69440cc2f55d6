package server_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

// choicesFlow has a step of every kind a tester can decide for: a
// condition, a switch, an A/B split, a delay, waits for events and
// messages with and without a "failed" path.
const choicesFlow = `{"id":"choices","name":"Choices","settings":{"reentry":{"policy":"always"}},"nodes":[
	{"id":"start","type":"trigger.manual","name":"Start"},
	{"id":"save","type":"crm.upsert_contact","name":"Save","params":{"email":"{{ trigger.email }}","phone":"+14155550100"}},
	{"id":"check","type":"logic.if","name":"Lead score is at least 50","params":{"condition":"trigger.score >= 50"}},
	{"id":"route","type":"logic.switch","name":"Route","params":{"cases":[{"name":"big","when":"trigger.score > 90"}]}},
	{"id":"ab","type":"logic.split","name":"Try two emails","params":{"branches":[{"name":"a","weight":50},{"name":"b","weight":50}]}},
	{"id":"big","type":"data.set","name":"Big","params":{"values":{"path":"'big'"}}},
	{"id":"small","type":"data.set","name":"Small","params":{"values":{"path":"'small'"}}},
	{"id":"pause","type":"wait.delay","name":"Wait a day","params":{"duration":"1d"}},
	{"id":"email","type":"message.email","name":"Welcome email","params":{"subject":"Hi","body":"Welcome!"}},
	{"id":"wait_open","type":"wait.event","name":"Opened within 48 hours","params":{"event_type":"email.opened","timeout":"48h"}},
	{"id":"opened","type":"data.set","name":"Opened","params":{"values":{"path":"'opened'"}}},
	{"id":"sms","type":"message.sms","name":"SMS reminder","params":{"body":"Did you see our email?"}},
	{"id":"wait_sms","type":"wait.event","name":"SMS not delivered","params":{"event_type":"sms.undelivered","timeout":"1h"}},
	{"id":"whatsapp","type":"message.whatsapp","name":"WhatsApp","params":{"body":"Hi on WhatsApp"}},
	{"id":"sms_fine","type":"data.set","name":"SMS fine","params":{"values":{"path":"'sms fine'"}}},
	{"id":"a","type":"data.set","name":"Variant A","params":{"values":{"variant":"'a'"}}},
	{"id":"b_email","type":"message.email","name":"Variant B email","params":{"subject":"B","body":"B"}},
	{"id":"b_failed","type":"data.set","name":"B not sent","params":{"values":{"variant":"'b failed'"}}}],
	"edges":[{"from":"start","to":"save"},{"from":"save","to":"check"},
	{"from":"check","port":"yes","to":"route"},{"from":"check","port":"no","to":"ab"},
	{"from":"route","port":"big","to":"big"},{"from":"route","port":"default","to":"small"},
	{"from":"small","to":"pause"},{"from":"pause","to":"email"},
	{"from":"email","port":"sent","to":"wait_open"},
	{"from":"wait_open","port":"event","to":"opened"},{"from":"wait_open","port":"timeout","to":"sms"},
	{"from":"sms","port":"sent","to":"wait_sms"},
	{"from":"wait_sms","port":"event","to":"whatsapp"},{"from":"wait_sms","port":"timeout","to":"sms_fine"},
	{"from":"ab","port":"a","to":"a"},{"from":"ab","port":"b","to":"b_email"},
	{"from":"b_email","port":"failed","to":"b_failed"}]}`

// testedStep is a step of a test run's answer.
type testedStep struct {
	NodeID string `json:"node_id"`
	Status string
	Port   string
	Output map[string]any
}

// testWithChoices tests choicesFlow with payload and choices and returns
// the run's steps once nothing is due any more.
func testWithChoices(t *testing.T, payload, choices string) (status string, steps []testedStep) {
	t.Helper()
	b := setup(t, quickTest)
	b.api(t, "POST", "/api/v1/flows", choicesFlow).must(t, http.StatusCreated)
	var run struct{ ID string }
	b.api(t, "POST", "/api/v1/flows/choices/test", `{"body":`+payload+`,"choices":`+choices+`}`).must(t, http.StatusOK).json(t, &run)
	b.drain(t)
	var done struct {
		Status string
		Steps  []testedStep
	}
	b.api(t, "GET", "/api/v1/runs/"+run.ID, "").must(t, http.StatusOK).json(t, &done)
	return done.Status, done.Steps
}

// path lists "node:port" for each step.
func path(steps []testedStep) string {
	out := make([]string, len(steps))
	for i, s := range steps {
		out[i] = s.NodeID + ":" + s.Port
	}
	return strings.Join(out, " ")
}

func stepOf(t *testing.T, steps []testedStep, node string) testedStep {
	t.Helper()
	for _, s := range steps {
		if s.NodeID == node {
			return s
		}
	}
	t.Fatalf("no step %q in %s", node, path(steps))
	return testedStep{}
}

// TestTestChoicesDecideTheSteps: at each decision step the tester's choice
// replaces the journey's decision, the step says so, and the rest of the
// path follows from it.
func TestTestChoicesDecideTheSteps(t *testing.T) {
	t.Parallel()
	hot := `{"email":"ada@example.com","score":95}`
	cases := []struct {
		name, payload, choices string
		wantStatus, wantPath   string
		// chosen is a step whose output must say the tester chose.
		chosen string
	}{
		{name: "the journey decides: big lead", payload: hot, choices: `{}`,
			wantStatus: "completed", wantPath: "start:out save:out check:yes route:big big:out"},
		{name: "take no at the condition, then variant a", payload: hot, choices: `{"check":{"port":"no"},"ab":{"port":"a"}}`,
			wantStatus: "completed", wantPath: "start:out save:out check:no ab:a a:out", chosen: "check"},
		{name: "variant b whose email is not delivered", payload: hot,
			choices:    `{"check":{"port":"no"},"ab":{"port":"b"},"b_email":{"delivery":"not_delivered"}}`,
			wantStatus: "completed", wantPath: "start:out save:out check:no ab:b b_email:failed b_failed:out", chosen: "b_email"},
		{name: "switch default, delay skipped, the email is never opened, the SMS is not delivered", payload: hot,
			choices:    `{"route":{"port":"default"},"pause":{"skip":true},"wait_open":{"event":"never"},"sms":{"delivery":"not_delivered"}}`,
			wantStatus: "completed",
			wantPath: "start:out save:out check:yes route:default small:out pause:out email:sent wait_open: " +
				"wait_open:timeout sms:sent wait_sms: wait_sms:event whatsapp:sent",
			chosen: "wait_open"},
		{name: "the email is opened after 3 hours", payload: hot,
			choices:    `{"route":{"port":"default"},"pause":{"skip":true},"wait_open":{"event_after":"3h"}}`,
			wantStatus: "completed",
			wantPath:   "start:out save:out check:yes route:default small:out pause:out email:sent wait_open: wait_open:event opened:out",
			chosen:     "wait_open"},
		{name: "the email is opened after 50 hours: too late", payload: hot,
			choices:    `{"route":{"port":"default"},"pause":{"skip":true},"wait_open":{"event_after":"50h"},"wait_sms":{"event":"never"}}`,
			wantStatus: "completed",
			wantPath: "start:out save:out check:yes route:default small:out pause:out email:sent wait_open: " +
				"wait_open:timeout sms:sent wait_sms: wait_sms:timeout sms_fine:out",
			chosen: "wait_open"},
		{name: "choices at conditions that would fail", payload: `{"email":"ada@example.com"}`,
			choices:    `{"check":{"port":"yes"},"route":{"port":"default"}}`,
			wantStatus: "waiting", wantPath: "start:out save:out check:yes route:default small:out pause:out", chosen: "check"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			status, steps := testWithChoices(t, c.payload, c.choices)
			got := path(steps)
			if got != c.wantPath {
				t.Fatalf("path\n got %s\nwant %s", got, c.wantPath)
			}
			if status != c.wantStatus {
				t.Errorf("status %s, want %s", status, c.wantStatus)
			}
			if c.chosen != "" {
				if _, ok := stepOf(t, steps, c.chosen).Output["chosen_by_tester"].(string); !ok {
					t.Errorf("the step %s does not say the tester chose: %+v", c.chosen, stepOf(t, steps, c.chosen).Output)
				}
			}
		})
	}
}

// TestTestChoicesSimulateTheClock: a skipped wait says when it would have
// ended, so the panel can show the simulated time.
func TestTestChoicesSimulateTheClock(t *testing.T) {
	t.Parallel()
	before := time.Now()
	_, steps := testWithChoices(t, `{"email":"ada@example.com","score":10}`,
		`{"check":{"port":"yes"},"route":{"port":"default"},"pause":{"skip":true},"wait_open":{"event_after":"3h"}}`)
	for node, want := range map[string]time.Duration{"pause": 24 * time.Hour, "wait_open": 3 * time.Hour} {
		raw, _ := stepOf(t, steps, node).Output["simulated_until"].(string)
		until, err := time.Parse(time.RFC3339Nano, raw)
		if err != nil {
			t.Fatalf("%s: simulated_until %q: %v", node, raw, err)
		}
		if until.Before(before.Add(want)) || until.After(time.Now().Add(want)) {
			t.Errorf("%s: simulated_until %v, want about %v after the test", node, until, want)
		}
	}
}

// TestTestChoicesThatDoNotFit are refused in plain words, naming the step.
func TestTestChoicesThatDoNotFit(t *testing.T) {
	t.Parallel()
	b := setup(t, quickTest)
	b.api(t, "POST", "/api/v1/flows", choicesFlow).must(t, http.StatusCreated)
	for choices, want := range map[string]string{
		`{"nope":{"port":"yes"}}`:                   `the journey has no such step`,
		`{"check":{"port":"maybe"}}`:                `At the step \"Lead score is at least 50\": the step has no path \"maybe\"; its paths are yes, no.`,
		`{"check":{"skip":true}}`:                   `only a delay can be skipped`,
		`{"pause":{"event":"never"}}`:               `only a wait for an event`,
		`{"wait_open":{"event":"soon"}}`:            `not \"soon\"`,
		`{"wait_open":{"event_after":"3 parsecs"}}`: `parsecs`,
		`{"check":{}}`:                              `choose one thing`,
		`{"email":{"port":"sent","skip":true}}`:     `choose only one thing`,
		`{"check":{"delivery":"not_delivered"}}`:    `only a message step`,
		`{"check":{"colour":"red"}}`:                `colour`,
	} {
		res := b.api(t, "POST", "/api/v1/flows/choices/test", `{"body":{"email":"a@example.com"},"choices":`+choices+`}`)
		if res.status != http.StatusBadRequest || !strings.Contains(res.body, want) {
			t.Errorf("choices %s: %d %s, want 400 with %q", choices, res.status, res.body, want)
		}
	}
}

// TestOldTestRequestsStillWork: a bare sample payload is still the
// sample, and real runs never carry choices.
func TestOldTestRequestsStillWork(t *testing.T) {
	t.Parallel()
	b := setup(t, quickTest)
	b.api(t, "POST", "/api/v1/flows", choicesFlow).must(t, http.StatusCreated)
	var run struct {
		ID      string
		Trigger map[string]any
	}
	b.api(t, "POST", "/api/v1/flows/choices/test", `{"email":"old@example.com","score":95}`).must(t, http.StatusOK).json(t, &run)
	if run.Trigger["email"] != "old@example.com" {
		t.Fatalf("the bare sample should be the payload: %+v", run.Trigger)
	}
	b.drain(t)
	var done struct{ Steps []testedStep }
	b.api(t, "GET", "/api/v1/runs/"+run.ID, "").must(t, http.StatusOK).json(t, &done)
	if got := path(done.Steps); got != "start:out save:out check:yes route:big big:out" {
		t.Fatalf("path %s", got)
	}
}
