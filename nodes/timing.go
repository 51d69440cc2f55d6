package nodes

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/journeyhq/journey/flows"
)

// Timing node type ids.
const (
	TypeDelay     = "wait.delay"
	TypeWaitEvent = "wait.event"
)

// Timing param names.
const (
	paramMode     = "mode"
	paramDuration = "duration"
	paramUntil    = "until"
	paramDays     = "days"
	paramFrom     = "from"
	paramTo       = "to"
	paramMatch    = "match"
	paramTimeout  = "timeout"
)

// Delay modes.
const (
	DelayDuration = "duration"
	DelayUntil    = "until"
	DelayWindow   = "window"
)

// Ports of wait.event.
const (
	PortEvent   = "event"
	PortTimeout = "timeout"
)

// DelayParams are wait.delay's params.
type DelayParams struct {
	// Mode is duration, until or window ("mode").
	Mode string `json:"mode"`
	// Duration is how long to wait in duration mode ("duration").
	Duration flows.Duration `json:"duration,omitempty"`
	// Until is the instant to wait for in until mode, as RFC 3339 or a
	// template producing it ("until").
	Until string `json:"until,omitempty"`
	// Days are the allowed weekdays in window mode ("days").
	Days []string `json:"days,omitempty"`
	// From and To bound the window's time of day ("from", "to").
	From ClockTime `json:"from"`
	To   ClockTime `json:"to"`
}

func delayNode() *Type {
	showIf := func(m string) map[string][]string { return map[string][]string{paramMode: {m}} }
	return define(flows.TypeSpec{
		Type:     TypeDelay,
		Category: flows.CategoryTiming,
		Title:    "Wait",
		Description: "Pauses the journey for this contact: for a while (e.g. 2 days), until a date and time, " +
			"or until a time window such as weekdays 9:00–17:00 in the contact's time zone.",
		Waits:   true,
		Outputs: outPorts(),
		Params: []flows.ParamSpec{
			{
				Name: paramMode, Label: "Wait", Kind: flows.KindEnum, Enum: []string{DelayDuration, DelayUntil, DelayWindow},
				Default:     DelayDuration,
				Description: "duration waits for a set time; until waits for a date and time; window waits until the contact's local time is inside the chosen hours.",
			},
			{
				Name: paramDuration, Label: "For", Kind: flows.KindDuration, Required: true, ShowIf: showIf(DelayDuration),
				Description: "How long to wait, e.g. 30m, 2h, 3d.", Example: "2d",
			},
			{
				Name: paramUntil, Label: "Until", Kind: flows.KindDateTime, Required: true, ShowIf: showIf(DelayUntil),
				Description: "The date and time to wait for, like 2026-12-01T09:00:00+01:00, or a template giving one. A moment already past continues at once.",
				Example:     "{{ trigger.appointment_at }}",
			},
			{
				Name: paramDays, Label: "On days", Kind: flows.KindWeekdays, ShowIf: showIf(DelayWindow),
				Enum:        weekdayEnum(),
				Default:     weekdayEnum(),
				Description: "The days on which the window is open.", Example: []string{"mon", "tue", "wed", "thu", "fri"},
			},
			{
				Name: paramFrom, Label: "From", Kind: flows.KindTimeOfDay, ShowIf: showIf(DelayWindow), Default: "09:00",
				Description: "When the window opens, in the contact's time zone (the flow's when the contact has none).",
			},
			{
				Name: paramTo, Label: "To", Kind: flows.KindTimeOfDay, ShowIf: showIf(DelayWindow), Default: "17:00",
				Description: "When the window closes. A time before From makes a window across midnight, e.g. 22:00 to 06:00.",
			},
		},
		Rules: []flows.Rule{delayWindowRule},
		Examples: []flows.Example{
			{Title: "Wait two days", Params: map[string]any{paramMode: DelayDuration, paramDuration: "2d"}},
			{Title: "Wait until the appointment", Params: map[string]any{paramMode: DelayUntil, paramUntil: "{{ trigger.appointment_at }}"}},
			{Title: "Wait for office hours", Params: map[string]any{
				paramMode: DelayWindow, paramDays: []any{"mon", "tue", "wed", "thu", "fri"}, paramFrom: "09:00", paramTo: "17:00",
			}},
		},
	}, runDelay)
}

// weekdayEnum lists the weekday values, Monday first.
func weekdayEnum() []string { return []string{"mon", "tue", "wed", "thu", "fri", "sat", "sun"} }

// delayWindowRule checks the window settings when mode is window.
func delayWindowRule(params map[string]any) []flows.Problem {
	if paramString(params, paramMode) != DelayWindow {
		return nil
	}
	var probs []flows.Problem
	// An empty list of days gets the default (every day) from flows.
	list, _ := params[paramDays].([]any)
	for _, d := range list {
		s, _ := d.(string)
		if _, err := ParseWeekday(s); err != nil {
			probs = append(probs, problem(codeInvalidParam, paramDays, "%q is not a day of the week: use mon, tue, wed, thu, fri, sat or sun.", s))
		}
	}
	for _, name := range []string{paramFrom, paramTo} {
		if _, set := params[name]; !set {
			continue
		}
		if _, err := ParseClockTime(paramString(params, name)); err != nil {
			probs = append(probs, problem(codeInvalidParam, name, "%q is not a time of day: write it like 09:30.", paramString(params, name)))
		}
	}
	return probs
}

func runDelay(_ context.Context, in *Input, p *DelayParams) (Result, error) {
	now := in.Now()
	switch p.Mode {
	case DelayDuration, "":
		d := time.Duration(p.Duration)
		if d <= 0 {
			return Result{Port: PortOut, Output: map[string]any{"waited": false}}, nil
		}
		until := now.Add(d)
		return Result{Wait: &Wait{Until: until, Port: PortOut}, Output: map[string]any{"until": until}}, nil
	case DelayUntil:
		src, err := in.Node.Render(paramUntil, in.Env)
		if err != nil {
			return Result{}, exprFailed(in, paramUntil, err)
		}
		until, err := ParseDateTime(src, in.ContactLocation())
		if err != nil {
			return Result{}, Permanentf("%q: %w", label(in, paramUntil), err)
		}
		if !until.After(now) {
			return Result{Port: PortOut, Output: map[string]any{
				"until": until, "waited": false, "note": "that moment had already passed, so the journey went on at once",
			}}, nil
		}
		return Result{Wait: &Wait{Until: until, Port: PortOut}, Output: map[string]any{"until": until}}, nil
	case DelayWindow:
		days := make([]time.Weekday, 0, len(p.Days))
		for _, s := range p.Days {
			d, err := ParseWeekday(s)
			if err != nil {
				return Result{}, Permanentf("%q: %w", label(in, paramDays), err)
			}
			days = append(days, d)
		}
		loc := in.ContactLocation()
		next := NextInWindow(now, loc, days, p.From, p.To)
		if !next.After(now) {
			return Result{Port: PortOut, Output: map[string]any{"waited": false, "time_zone": loc.String()}}, nil
		}
		return Result{Wait: &Wait{Until: next, Port: PortOut}, Output: map[string]any{"until": next, "time_zone": loc.String()}}, nil
	}
	return Result{}, Permanentf("unknown way of waiting %q: use duration, until or window", p.Mode)
}

// dateTimeLayouts are accepted by ParseDateTime after RFC 3339; they have
// no zone and are read in the given location.
var dateTimeLayouts = []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"}

// ParseDateTime reads an instant: RFC 3339 (with a zone), or a date and
// time without zone such as "2026-12-01 09:00", read in loc.
func ParseDateTime(s string, loc *time.Location) (time.Time, error) {
	s = strings.TrimSpace(s)
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t, nil
	}
	for _, layout := range dateTimeLayouts {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, nil
		}
	}
	if s == "" {
		return time.Time{}, errEmptyDateTime
	}
	return time.Time{}, &dateTimeError{value: s}
}

// errEmptyDateTime is returned for an empty date and time.
var errEmptyDateTime = errors.New("the date and time is empty")

// dateTimeError reports text that is not a date and time.
type dateTimeError struct{ value string }

func (e *dateTimeError) Error() string {
	return "\"" + e.value + "\" is not a date and time like 2026-12-01T09:00:00+01:00"
}

// WaitEventParams are wait.event's params.
type WaitEventParams struct {
	// EventType is the awaited event type ("event_type").
	EventType string `json:"event_type"`
	// Match is an optional condition on the candidate event ("match").
	Match string `json:"match,omitempty"`
	// Timeout is how long to wait before giving up ("timeout").
	Timeout flows.Duration `json:"timeout"`
}

func waitEventNode() *Type {
	return define(flows.TypeSpec{
		Type:     TypeWaitEvent,
		Category: flows.CategoryTiming,
		Title:    "Wait for something to happen",
		Description: "Pauses the journey until the contact does something (opens an email, clicks a link, sends a form), " +
			"then takes the Happened path; if it does not happen in time, takes the Timed out path.",
		Waits:   true,
		Outputs: []flows.PortSpec{{Name: PortEvent, Label: "Happened"}, {Name: PortTimeout, Label: "Timed out"}},
		Params: []flows.ParamSpec{
			{
				Name: paramEventType, Label: "Event", Kind: flows.KindString, Required: true, Options: "event_types",
				Description: "The type of event to wait for, e.g. email.opened.", Example: "email.opened",
			},
			{
				Name: paramMatch, Label: "Only when", Kind: flows.KindExpression, Returns: flows.ReturnsBool,
				Description: "A condition on the event and the contact; leave empty to accept any event of that type for this contact.",
				Example:     `event.data.campaign == "welcome"`,
			},
			{
				Name: paramTimeout, Label: "Give up after", Kind: flows.KindDuration, Required: true,
				Description: "How long to wait before taking the Timed out path.", Example: "48h",
			},
		},
		Examples: []flows.Example{
			{Title: "Welcome email opened within 2 days", Params: map[string]any{
				paramEventType: "email.opened", paramMatch: `event.data.campaign == "welcome"`, paramTimeout: "48h",
			}},
			{Title: "Any link clicked within a week", Params: map[string]any{paramEventType: "email.clicked", paramTimeout: "7d"}},
		},
	}, runWaitEvent)
}

func runWaitEvent(_ context.Context, in *Input, p *WaitEventParams) (Result, error) {
	until := in.Now().Add(time.Duration(p.Timeout))
	match := ""
	if strings.TrimSpace(p.Match) != "" {
		match = paramMatch
	}
	return Result{
		Wait: &Wait{Until: until, Port: PortTimeout, Event: p.EventType, EventPort: PortEvent, MatchParam: match},
		Output: map[string]any{
			"waiting_for": p.EventType, "until": until,
		},
	}, nil
}
