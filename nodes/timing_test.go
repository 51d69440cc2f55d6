package nodes_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/journeyhq/journey/nodes"
)

func TestDelay(t *testing.T) {
	t.Parallel()
	// testNow is Tuesday 2026-11-24 10:00 UTC (11:00 in Madrid, 05:00 in New York).
	tests := []struct {
		name        string
		params      map[string]any
		contactZone string
		trigger     map[string]any
		wantUntil   time.Time // zero: continue at once
	}{
		{
			name:      "duration waits that long",
			params:    map[string]any{"mode": "duration", "duration": "2d"},
			wantUntil: testNow.Add(48 * time.Hour),
		},
		{
			name:      "duration is the default mode",
			params:    map[string]any{"duration": "90m"},
			wantUntil: testNow.Add(90 * time.Minute),
		},
		{
			name:      "until a future instant",
			params:    map[string]any{"mode": "until", "until": "2026-12-01T09:00:00+01:00"},
			wantUntil: time.Date(2026, 12, 1, 8, 0, 0, 0, time.UTC),
		},
		{
			name:      "until from a template",
			params:    map[string]any{"mode": "until", "until": "{{ trigger.appointment_at }}"},
			trigger:   map[string]any{"appointment_at": "2026-11-25T15:30:00Z"},
			wantUntil: time.Date(2026, 11, 25, 15, 30, 0, 0, time.UTC),
		},
		{
			name:        "until without a zone is read in the contact's zone",
			params:      map[string]any{"mode": "until", "until": "{{ trigger.at }}"},
			trigger:     map[string]any{"at": "2026-11-25 09:00"},
			contactZone: "America/New_York",
			wantUntil:   time.Date(2026, 11, 25, 14, 0, 0, 0, time.UTC),
		},
		{
			name:   "until a date already past continues at once",
			params: map[string]any{"mode": "until", "until": "2026-11-01T09:00:00Z"},
		},
		{
			name:   "window already open continues at once (flow zone Madrid, 11:00)",
			params: map[string]any{"mode": "window", "days": []any{"mon", "tue"}, "from": "09:00", "to": "17:00"},
		},
		{
			name:        "window in the contact's zone (New York, 05:00) waits for 09:00 there",
			params:      map[string]any{"mode": "window", "from": "09:00", "to": "17:00"},
			contactZone: "America/New_York",
			wantUntil:   time.Date(2026, 11, 24, 14, 0, 0, 0, time.UTC),
		},
		{
			name:   "an empty list of days means every day",
			params: map[string]any{"mode": "window", "days": []any{}, "from": "11:00", "to": "11:30"},
		},
		{
			name:      "window on another day waits for it (flow zone)",
			params:    map[string]any{"mode": "window", "days": []any{"thu"}},
			wantUntil: time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC),
		},
		{
			name:        "a contact zone that does not exist falls back to the flow's",
			params:      map[string]any{"mode": "window", "days": []any{"thu"}},
			contactZone: "Mars/Olympus",
			wantUntil:   time.Date(2026, 11, 26, 8, 0, 0, 0, time.UTC),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			b.env.Contact.TimeZone = tt.contactZone
			if tt.trigger != nil {
				b.env.Trigger = tt.trigger
			}
			res, err := b.run(t, nodes.TypeDelay, tt.params)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			if tt.wantUntil.IsZero() {
				if res.Wait != nil || res.Port != nodes.PortOut {
					t.Fatalf("want to continue at once on out, got port %q wait %+v", res.Port, res.Wait)
				}
				return
			}
			if res.Wait == nil {
				t.Fatalf("no wait, output %v; want until %s", res.Output, tt.wantUntil)
			}
			if !res.Wait.Until.Equal(tt.wantUntil) || res.Wait.Port != nodes.PortOut || res.Wait.Event != "" {
				t.Fatalf("wait = %+v, want until %s on out", res.Wait, tt.wantUntil)
			}
		})
	}
}

func TestDelayPastUntilSaysSo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res, err := b.run(t, nodes.TypeDelay, map[string]any{"mode": "until", "until": "2026-11-01T09:00:00Z"})
	if err != nil {
		t.Fatalf("run: %v", err)
	}
	if res.Output["waited"] != false || res.Output["note"] == nil {
		t.Fatalf("output %v should say the moment had passed", res.Output)
	}
}

func TestDelayBadRenderedDateIsPermanent(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.env.Trigger = map[string]any{"at": "next tuesday"}
	_, err := b.run(t, nodes.TypeDelay, map[string]any{"mode": "until", "until": "{{ trigger.at }}"})
	wantPermanent(t, err, "not a date and time")
}

func TestDelayValidation(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		params map[string]any
		param  string
	}{
		{"duration needed in duration mode", map[string]any{"mode": "duration"}, "duration"},
		{"until needed in until mode", map[string]any{"mode": "until"}, "until"},
		{"bad duration", map[string]any{"duration": "soon"}, "duration"},
		{"bad day", map[string]any{"mode": "window", "days": []any{"funday"}}, "days"},
		{"bad time", map[string]any{"mode": "window", "from": "9am"}, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			wantProblem(t, b.problems(t, nodes.TypeDelay, tt.params), tt.param, "")
		})
	}
	b := setup(t)
	if probs := b.problems(t, nodes.TypeDelay, map[string]any{"mode": "until", "until": "2026-12-01T09:00:00Z"}); len(probs) > 0 {
		t.Fatalf("until mode without a duration should be valid: %+v", probs)
	}
}

func TestWaitEvent(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		params    map[string]any
		wantMatch string
	}{
		{"with a match condition", map[string]any{"event_type": "email.opened", "match": `event.data.campaign == "welcome"`, "timeout": "48h"}, "match"},
		{"any event of the type", map[string]any{"event_type": "email.opened", "timeout": "48h"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			res, err := b.run(t, nodes.TypeWaitEvent, tt.params)
			if err != nil {
				t.Fatalf("run: %v", err)
			}
			want := nodes.Wait{
				Until: testNow.Add(48 * time.Hour), Port: nodes.PortTimeout,
				Event: "email.opened", EventPort: nodes.PortEvent, MatchParam: tt.wantMatch,
			}
			if res.Wait == nil || !reflect.DeepEqual(*res.Wait, want) {
				t.Fatalf("wait = %+v, want %+v", res.Wait, want)
			}
		})
	}
}

func TestWaitEventNeedsTimeout(t *testing.T) {
	t.Parallel()
	b := setup(t)
	wantProblem(t, b.problems(t, nodes.TypeWaitEvent, map[string]any{"event_type": "email.opened"}), "timeout", "")
}
