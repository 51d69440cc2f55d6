package flows

import (
	"testing"
	"time"
)

// TestGoalWindow: within the window the goal converts; after it, the goal
// no longer counts; a window without a goal, or below zero, is a problem.
func TestGoalWindow(t *testing.T) {
	t.Parallel()
	f := &Flow{ID: "w", Name: "W", Settings: Settings{Goal: "contact.score >= 100", GoalWindow: Duration(7 * Day)},
		Nodes: []Node{{ID: "start", Type: "trigger.event", Params: mustJSON(map[string]any{"event_type": "chat.finished"})}}}
	c, problems := Compile(f, testCatalog())
	if len(problems) > 0 {
		t.Fatalf("Compile: %v", problems)
	}
	start := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	env := func(after time.Duration) *Env {
		return &Env{Contact: Contact{Score: 150}, Run: RunInfo{StartedAt: start}, Now: start.Add(after)}
	}
	for _, tc := range []struct {
		after time.Duration
		want  bool
	}{{time.Hour, true}, {7 * Day, true}, {7*Day + time.Second, false}} {
		if got, err := c.Goal(env(tc.after)); err != nil || got != tc.want {
			t.Errorf("goal %s after entering: %v, %v; want %v", tc.after, got, err, tc.want)
		}
	}
	f.Settings.GoalWindow = 0
	if c, _ := Compile(f, testCatalog()); c == nil {
		t.Fatal("no window: does not compile")
	} else if got, _ := c.Goal(env(365 * Day)); !got {
		t.Error("without a window the goal should count a year later")
	}

	for _, s := range []Settings{{GoalWindow: Duration(Day)}, {Goal: "true", GoalWindow: Duration(-time.Hour)}} {
		f.Settings = s
		_, problems := Compile(f, testCatalog())
		if len(problems) != 1 || problems[0].Code != CodeBadGoalWindow || problems[0].Param != "settings.goal_window" {
			t.Errorf("settings %+v: problems %v, want one bad_goal_window", s, problems)
		}
	}
}

// TestGoalWindowDecodes reads "goal_window" from a document and writes it back.
func TestGoalWindowDecodes(t *testing.T) {
	t.Parallel()
	f, err := Decode([]byte(`{"id":"w","name":"W","settings":{"goal":"true","goal_window":"7d"},"nodes":[],"edges":[]}`))
	if err != nil {
		t.Fatal(err)
	}
	if time.Duration(f.Settings.GoalWindow) != 7*Day {
		t.Fatalf("goal_window = %v", f.Settings.GoalWindow)
	}
}
