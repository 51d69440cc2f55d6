package flows

import (
	"encoding/json"
	"strings"
	"testing"
)

// diffBase is a small journey: an event trigger, a two-day wait, an email.
const diffBase = `{"id":"j","name":"Welcome","settings":{"reentry":{"policy":"once"}},
 "nodes":[
  {"id":"start","type":"trigger.event","params":{"event_type":"signed_up"},"position":{"x":0,"y":0}},
  {"id":"wait","type":"wait.delay","name":"Wait 2 days","params":{"duration":"2d"},"position":{"x":0,"y":100}},
  {"id":"mail","type":"message.email","name":"Welcome email","params":{"subject":"Hi","body":"Hello"},"position":{"x":0,"y":200}}],
 "edges":[{"from":"start","to":"wait"},{"from":"wait","to":"mail"}]}`

func mustDecode(t *testing.T, doc string) *Flow {
	t.Helper()
	f, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// edit returns the base journey changed by fn.
func edit(t *testing.T, fn func(f *Flow)) *Flow {
	t.Helper()
	f := mustDecode(t, diffBase)
	fn(f)
	return f
}

func labels(refs []StepRef) string {
	var out []string
	for _, r := range refs {
		out = append(out, r.Label)
	}
	return strings.Join(out, ",")
}

func TestDiff(t *testing.T) {
	t.Parallel()
	cat := testCatalog()
	tests := []struct {
		name     string
		change   func(f *Flow)
		added    string
		removed  string
		changed  string
		moved    string
		settings string
		summary  string
	}{
		{name: "nothing", change: func(*Flow) {}, summary: "No changes."},
		{name: "moved only", change: func(f *Flow) { f.Nodes[1].Position.X = 300 },
			moved: "Wait 2 days", summary: "Moved steps on the canvas; nothing else changed."},
		{name: "param changed", change: func(f *Flow) { f.Nodes[1].Params = json.RawMessage(`{"duration":"3d"}`) },
			changed: "Wait 2 days", summary: "Changed “Wait 2 days”."},
		{name: "param key order is not a change", change: func(f *Flow) {
			f.Nodes[2].Params = json.RawMessage(`{"body":"Hello","subject":"Hi"}`)
		}, summary: "No changes."},
		{name: "step added after the email", change: func(f *Flow) {
			f.Nodes = append(f.Nodes, Node{ID: "sms", Type: "message.sms", Name: "Send SMS", Params: json.RawMessage(`{}`)})
			f.Edges = append(f.Edges, Edge{From: "mail", Port: "failed", To: "sms"})
		}, added: "Send SMS", changed: "Welcome email", summary: "Added “Send SMS”, changed “Welcome email”."},
		{name: "step removed and rewired", change: func(f *Flow) {
			f.Nodes = f.Nodes[:2]
			f.Edges = f.Edges[:1]
		}, removed: "Welcome email", changed: "Wait 2 days", summary: "Removed “Welcome email”, changed “Wait 2 days”."},
		{name: "unnamed step takes its type's title", change: func(f *Flow) {
			f.Nodes[0].Params = json.RawMessage(`{"event_type":"ordered"}`)
		}, changed: "When an event happens", summary: "Changed “When an event happens”."},
		{name: "renamed step", change: func(f *Flow) { f.Nodes[1].Name = "Wait a bit" },
			changed: "Wait a bit", summary: "Changed “Wait a bit”."},
		{name: "journey settings", change: func(f *Flow) {
			f.Name = "Welcome series"
			f.Settings.Reentry.Policy = ReentryAlways
			f.Settings.TimeZone = "Europe/Paris"
		}, settings: "name,reentry.policy,time_zone", summary: "Changed the journey’s settings."},
		{name: "one quiet-hours field is one change", change: func(f *Flow) {
			f.Settings.Messaging = &Messaging{QuietHours: &QuietHours{From: "21:00", To: "08:00", Channels: []string{"sms"}}}
		}, settings: "messaging.quiet_hours.channels,messaging.quiet_hours.from,messaging.quiet_hours.to", summary: "Changed the journey’s settings."},
		{name: "many added", change: func(f *Flow) {
			for _, id := range []string{"a", "b", "c", "d", "e"} {
				f.Nodes = append(f.Nodes, Node{ID: id, Type: "wait.delay", Name: "Step " + id})
			}
		}, added: "Step a,Step b,Step c,Step d,Step e", summary: "Added “Step a”, “Step b”, “Step c” and 2 more."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			d := DiffWith(mustDecode(t, diffBase), edit(t, tt.change), cat)
			var changed []StepRef
			for _, c := range d.Changed {
				changed = append(changed, c.StepRef)
			}
			var settings []string
			for _, c := range d.Settings {
				settings = append(settings, c.Key)
			}
			got := []string{labels(d.Added), labels(d.Removed), labels(changed), labels(d.Moved), strings.Join(settings, ","), d.Summary()}
			want := []string{tt.added, tt.removed, tt.changed, tt.moved, tt.settings, tt.summary}
			for i, what := range []string{"added", "removed", "changed", "moved", "settings", "summary"} {
				if got[i] != want[i] {
					t.Errorf("%s = %q, want %q", what, got[i], want[i])
				}
			}
		})
	}
}

func TestDiffChangeShowsBeforeAndAfter(t *testing.T) {
	t.Parallel()
	a := mustDecode(t, diffBase)
	b := edit(t, func(f *Flow) {
		f.Nodes[1].Params = json.RawMessage(`{"duration":"3d","mode":"duration"}`)
		f.Nodes = append(f.Nodes, Node{ID: "slack", Type: "notify.slack", Name: "Tell sales"})
		f.Edges[1] = Edge{From: "wait", To: "slack"}
	})
	d := DiffWith(a, b, testCatalog())
	if len(d.Changed) != 1 || d.Changed[0].ID != "wait" {
		t.Fatalf("changed = %+v, want only the wait", d.Changed)
	}
	got := map[string]string{}
	for _, c := range d.Changed[0].Changes {
		got[c.Kind+":"+c.Key] = c.Label + "|" + string(c.Before) + "|" + string(c.After)
	}
	want := map[string]string{
		"param:duration": `Wait for|"2d"|"3d"`,
		"param:mode":     `Wait||"duration"`,
		"next:out":       `Next|["Welcome email"]|["Tell sales"]`,
	}
	if len(got) != len(want) {
		t.Errorf("changes = %v, want %v", got, want)
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s = %q, want %q", k, got[k], w)
		}
	}
}

func TestDiffHidesSecretValues(t *testing.T) {
	t.Parallel()
	cat := testCatalog()
	cat["http.request"] = &TypeSpec{Type: "http.request", Version: 1, Title: "Call a web address",
		Params: []ParamSpec{{Name: "token", Label: "Token", Kind: KindString, Secret: true}}}
	a := &Flow{ID: "j", Nodes: []Node{{ID: "h", Type: "http.request", Params: json.RawMessage(`{"token":"old-secret"}`)}}}
	b := &Flow{ID: "j", Nodes: []Node{{ID: "h", Type: "http.request", Params: json.RawMessage(`{"token":"new-secret"}`)}}}
	d := DiffWith(a, b, cat)
	out, _ := json.Marshal(d)
	if strings.Contains(string(out), "secret\"") || !strings.Contains(string(out), "(hidden)") {
		t.Fatalf("diff shows a secret: %s", out)
	}
	if len(d.Changed) != 1 {
		t.Fatalf("a changed secret is still a change: %+v", d.Changed)
	}
}

func TestDiffWithoutCatalogUsesIDs(t *testing.T) {
	t.Parallel()
	a := &Flow{ID: "j"}
	b := &Flow{ID: "j", Nodes: []Node{{ID: "send-1", Type: "message.sms"}}}
	d := Diff(a, b)
	if got := d.Summary(); got != "Added “send-1”." {
		t.Fatalf("summary = %q", got)
	}
	back := Diff(b, a)
	if got := back.Summary(); got != "Removed “send-1”." {
		t.Fatalf("summary = %q", got)
	}
}

func TestDiffSettingsByField(t *testing.T) {
	t.Parallel()
	a := &Flow{ID: "j", Settings: Settings{Messaging: &Messaging{QuietHours: &QuietHours{From: "21:00", To: "08:00"}}}}
	b := &Flow{ID: "j", Settings: Settings{Messaging: &Messaging{QuietHours: &QuietHours{From: "22:00", To: "08:00"}}}}
	d := Diff(a, b)
	if len(d.Settings) != 1 {
		t.Fatalf("settings = %+v, want one change", d.Settings)
	}
	if c := d.Settings[0]; c.Key != "messaging.quiet_hours.from" || string(c.Before) != `"21:00"` || string(c.After) != `"22:00"` {
		t.Fatalf("change = %+v", c)
	}
}
