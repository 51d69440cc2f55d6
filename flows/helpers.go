package flows

import (
	"fmt"
	"reflect"
	"slices"
	"time"
)

// This file holds the helper functions every expression can call. They are
// methods on Env, so they read the env a program runs with and a compiled
// program stays safe to run concurrently with different envs. Users write
// the lower-case names (hasTag); a compile-time patch maps them to these
// methods (see helperNames). lower, upper and trim are expr builtins.

// helperNames maps the name users write to the Env method that implements it.
var helperNames = map[string]string{
	"hoursSince": "HoursSince",
	"daysSince":  "DaysSince",
	"hasTag":     "HasTag",
	"inList":     "InList",
	"coalesce":   "Coalesce",
}

// HoursSince returns the hours from t to the env's Now (never the wall
// clock). t is a time or an RFC 3339 text; a zero or missing time is an error.
func (e Env) HoursSince(t any) (float64, error) {
	at, err := asTime(t)
	if err != nil {
		return 0, fmt.Errorf("hoursSince: %w", err)
	}
	return e.Now.Sub(at).Hours(), nil
}

// DaysSince returns the days (of 24 hours) from t to the env's Now.
func (e Env) DaysSince(t any) (float64, error) {
	at, err := asTime(t)
	if err != nil {
		return 0, fmt.Errorf("daysSince: %w", err)
	}
	return e.Now.Sub(at).Hours() / 24, nil
}

// HasTag reports whether the contact has the tag.
func (e Env) HasTag(name string) bool { return slices.Contains(e.Contact.Tags, name) }

// InList reports whether the contact is on the list.
func (e Env) InList(name string) bool { return slices.Contains(e.Contact.Lists, name) }

// Coalesce returns the first of its arguments that is not empty (nil, "",
// a zero time, or an empty list or map), or nil.
func (e Env) Coalesce(a any, rest ...any) any {
	if !isEmptyValue(a) {
		return a
	}
	for _, v := range rest {
		if !isEmptyValue(v) {
			return v
		}
	}
	return nil
}

// asTime accepts a time.Time, a *time.Time or an RFC 3339 text.
func asTime(v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		if t.IsZero() {
			return t, fmt.Errorf("the time is not set")
		}
		return t, nil
	case *time.Time:
		if t == nil || t.IsZero() {
			return time.Time{}, fmt.Errorf("the time is not set")
		}
		return *t, nil
	case string:
		at, err := time.Parse(time.RFC3339, t)
		if err != nil {
			return time.Time{}, fmt.Errorf("%q is not a time like 2025-01-31T09:00:00Z", t)
		}
		return at, nil
	case nil:
		return time.Time{}, fmt.Errorf("the time is not set")
	}
	return time.Time{}, fmt.Errorf("a %T is not a time", v)
}

// isEmptyValue reports whether v counts as empty for coalesce and for
// required parameters.
func isEmptyValue(v any) bool {
	switch t := v.(type) {
	case nil:
		return true
	case string:
		return t == ""
	case time.Time:
		return t.IsZero()
	case []any:
		return len(t) == 0
	case map[string]any:
		return len(t) == 0
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Slice, reflect.Map:
		return rv.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
