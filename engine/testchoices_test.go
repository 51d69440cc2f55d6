package engine

import (
	"reflect"
	"testing"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
)

// compileDoc compiles a flow document against the built-in node types.
func compileDoc(t *testing.T, doc string) *flows.Compiled {
	t.Helper()
	f, err := flows.Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	cf, problems := flows.Compile(f, nodes.Builtin())
	if len(problems) > 0 {
		t.Fatalf("problems: %+v", problems)
	}
	return cf
}

// TestNotDeliveredBecomesAPathOrAnEvent: "not delivered" at a message
// step takes its "failed" path when that leads somewhere; otherwise the
// waits for the channel's failure events that follow get the event at
// once, unless the tester decided for them.
func TestNotDeliveredBecomesAPathOrAnEvent(t *testing.T) {
	t.Parallel()
	cf := compileDoc(t, `{"id":"x","name":"X","nodes":[
		{"id":"start","type":"trigger.manual"},
		{"id":"sms","type":"message.sms","params":{"body":"Hi"}},
		{"id":"undelivered","type":"wait.event","params":{"event_type":"sms.undelivered","timeout":"1h"}},
		{"id":"opened","type":"wait.event","params":{"event_type":"email.opened","timeout":"1h"}},
		{"id":"email","type":"message.email","params":{"subject":"Hi","body":"Hi"}},
		{"id":"fallback","type":"data.set","params":{"values":{"x":"1"}}}],
		"edges":[{"from":"start","to":"sms"},{"from":"sms","port":"sent","to":"undelivered"},
		{"from":"undelivered","port":"timeout","to":"opened"},{"from":"opened","port":"timeout","to":"email"},
		{"from":"email","port":"failed","to":"fallback"}]}`)
	now := flows.Duration(0)
	later := flows.Duration(7200e9)
	for name, c := range map[string]struct{ in, want TestChoices }{
		"the failed path": {
			in:   TestChoices{"email": {Delivery: DeliveryNotDelivered}},
			want: TestChoices{"email": {Port: nodes.PortFailed, Delivery: DeliveryNotDelivered}},
		},
		"the failure event at the wait for it": {
			in:   TestChoices{"sms": {Delivery: DeliveryNotDelivered}},
			want: TestChoices{"undelivered": {EventAfter: &now}},
		},
		"a wait's own choice wins": {
			in:   TestChoices{"sms": {Delivery: DeliveryNotDelivered}, "undelivered": {EventAfter: &later}},
			want: TestChoices{"undelivered": {EventAfter: &later}},
		},
	} {
		if err := c.in.check(cf); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := c.in.expand(cf); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v, want %+v", name, got, c.want)
		}
	}
}
