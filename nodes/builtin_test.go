package nodes

import (
	"encoding/json"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/journeyhq/journey/flows"
)

var (
	typeIDPattern    = regexp.MustCompile(`^[a-z]+(\.[a-z0-9_]+)+$`)
	snakeCasePattern = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
)

// exampleFlow is a one-trigger flow holding a node of typ with params; a
// trigger example is the flow's only node.
func exampleFlow(t *testing.T, spec *flows.TypeSpec, params map[string]any) *flows.Flow {
	t.Helper()
	raw, err := json.Marshal(params)
	if err != nil {
		t.Fatalf("encode params: %v", err)
	}
	f := &flows.Flow{ID: "example", Name: "Example"}
	if spec.Trigger {
		f.Nodes = []flows.Node{{ID: "n", Type: spec.Type, TypeVersion: spec.Version, Params: raw}}
		return f
	}
	f.Nodes = []flows.Node{
		{ID: "start", Type: TypeManualTrigger},
		{ID: "n", Type: spec.Type, TypeVersion: spec.Version, Params: raw},
	}
	f.Edges = []flows.Edge{{From: "start", To: "n"}}
	return f
}

func TestBuiltinDeclarations(t *testing.T) {
	t.Parallel()
	reg := Builtin()
	all := reg.All()
	if len(all) < 20 {
		t.Fatalf("Builtin has %d types, want at least 20", len(all))
	}
	for _, typ := range all {
		spec := &typ.Spec
		t.Run(spec.Type, func(t *testing.T) {
			t.Parallel()
			if !typeIDPattern.MatchString(spec.Type) {
				t.Fatalf("type id %q does not look like namespace.name", spec.Type)
			}
			if spec.Title == "" || spec.Description == "" || spec.Category == "" {
				t.Fatalf("title %q, description %q, category %q: all are needed", spec.Title, spec.Description, spec.Category)
			}
			if !strings.HasSuffix(spec.Description, ".") {
				t.Fatalf("description %q should be full sentences", spec.Description)
			}
			// An account a step can do without says what it does instead:
			// imports and test runs of flows lacking the account rely on it.
			for _, p := range spec.Params {
				if p.Kind == flows.KindCredential && !p.Required && p.WithoutAccount == "" {
					t.Errorf("param %q: an optional account needs WithoutAccount (what the step does without it)", p.Name)
				}
			}
			if len(spec.Examples) == 0 {
				t.Fatalf("no example")
			}
			if len(spec.Outputs) == 0 && spec.DynamicPorts == "" && spec.Type != TypeExit {
				t.Fatalf("no output port")
			}
			for _, p := range spec.Outputs {
				if p.Name == "" || p.Label == "" {
					t.Fatalf("port %+v needs a name and a label", p)
				}
			}
			if spec.DynamicPorts != "" {
				if p := spec.Param(spec.DynamicPorts); p == nil || p.Kind != flows.KindList {
					t.Fatalf("dynamic ports %q is not a list param", spec.DynamicPorts)
				}
			}
			checkParams(t, spec.Params, "")
			if _, err := json.Marshal(spec); err != nil {
				t.Fatalf("spec does not encode as JSON: %v", err)
			}
			for _, ex := range spec.Examples {
				if ex.Title == "" {
					t.Fatalf("an example has no title")
				}
				if _, probs := flows.Compile(exampleFlow(t, spec, ex.Params), reg); len(probs) > 0 {
					t.Fatalf("example %q is invalid: %+v", ex.Title, probs)
				}
			}
		})
	}
}

// checkParams checks the declarations of params (and list fields).
func checkParams(t *testing.T, params []flows.ParamSpec, prefix string) {
	t.Helper()
	seen := map[string]bool{}
	for _, p := range params {
		name := prefix + p.Name
		if !snakeCasePattern.MatchString(p.Name) {
			t.Fatalf("param %q is not snake_case", name)
		}
		if seen[p.Name] {
			t.Fatalf("param %q declared twice", name)
		}
		seen[p.Name] = true
		if p.Label == "" || p.Kind == "" {
			t.Fatalf("param %q needs a label and a kind", name)
		}
		if prefix == "" && p.Description == "" {
			t.Fatalf("param %q needs a description", name)
		}
		if p.Kind == flows.KindEnum && (len(p.Enum) == 0 || (p.Default != nil && !slices.Contains(p.Enum, p.Default.(string)))) {
			t.Fatalf("enum param %q: values %v, default %v", name, p.Enum, p.Default)
		}
		if (p.Kind == flows.KindExpression || p.Kind == flows.KindMap) && p.Returns == "" {
			t.Fatalf("expression param %q must say what it returns", name)
		}
		for other := range p.ShowIf {
			if !slices.ContainsFunc(params, func(q flows.ParamSpec) bool { return q.Name == other }) {
				t.Fatalf("param %q shows only if unknown param %q", name, other)
			}
		}
		if p.Kind == flows.KindList {
			if len(p.Fields) == 0 {
				t.Fatalf("list param %q declares no fields", name)
			}
			checkParams(t, p.Fields, name+"[].")
		}
	}
}

// TestParamsStructsMatchDeclarations compares each handler's params struct
// with the declared params, in both directions.
func TestParamsStructsMatchDeclarations(t *testing.T) {
	t.Parallel()
	for _, typ := range Builtin().All() {
		if typ.params == nil {
			t.Fatalf("%s was not built with define", typ.Spec.Type)
		}
		compareFields(t, typ.Spec.Type, typ.params, typ.Spec.Params)
	}
}

// compareFields checks that the JSON keys of struct st are exactly the
// names of params, recursing into list items.
func compareFields(t *testing.T, where string, st reflect.Type, params []flows.ParamSpec) {
	t.Helper()
	keys := map[string]reflect.Type{}
	for f := range st.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			t.Fatalf("%s: field %s has no JSON name", where, f.Name)
		}
		keys[name] = f.Type
	}
	for _, p := range params {
		ft, ok := keys[p.Name]
		if !ok {
			t.Fatalf("%s: param %q has no field in %s", where, p.Name, st)
		}
		delete(keys, p.Name)
		if p.Kind == flows.KindList {
			if ft.Kind() != reflect.Slice || ft.Elem().Kind() != reflect.Struct {
				t.Fatalf("%s: list param %q decodes into %s, want a slice of structs", where, p.Name, ft)
			}
			compareFields(t, where+"."+p.Name, ft.Elem(), p.Fields)
		}
	}
	for k := range keys {
		t.Fatalf("%s: field %q of %s is not a declared param", where, k, st)
	}
}

func TestBuiltinIsFresh(t *testing.T) {
	t.Parallel()
	a, b := Builtin(), Builtin()
	ta, _ := a.Lookup(TypeIf, 1)
	tb, _ := b.Lookup(TypeIf, 1)
	if ta == tb {
		t.Fatalf("Builtin returned shared types; each call must build its own")
	}
}

// TestTriggerParamsAreDeclared checks that the trigger params structs the
// engine uses match the trigger declarations.
func TestTriggerParamsAreDeclared(t *testing.T) {
	t.Parallel()
	reg := Builtin()
	for typ, st := range map[string]reflect.Type{
		TypeWebhookTrigger:  reflect.TypeFor[WebhookParams](),
		TypeEventTrigger:    reflect.TypeFor[EventParams](),
		TypeAbsenceTrigger:  reflect.TypeFor[AbsenceParams](),
		TypeScheduleTrigger: reflect.TypeFor[ScheduleParams](),
	} {
		tt, ok := reg.Lookup(typ, 1)
		if !ok || !tt.Spec.Trigger {
			t.Fatalf("%s is not registered as a trigger", typ)
		}
		compareFields(t, typ, st, tt.Spec.Params)
	}
}

func TestSpecJSONHasNoNulls(t *testing.T) {
	t.Parallel()
	reg := Builtin()
	for _, id := range []string{TypeManualTrigger, TypeExit, TypeSplit} {
		typ, _ := reg.Lookup(id, 1)
		b, err := json.Marshal(typ.Spec)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if strings.Contains(string(b), "null") {
			t.Fatalf("%s encodes with null: %s", id, b)
		}
	}
}

func TestBuiltinHasEveryType(t *testing.T) {
	t.Parallel()
	want := []string{
		TypeWebhookTrigger, TypeEventTrigger, TypeAbsenceTrigger, TypeScheduleTrigger, TypeManualTrigger,
		TypeIf, TypeSwitch, TypeSplit, TypeSet, TypeExit, TypeDelay, TypeWaitEvent,
		TypeUpsertContact, TypeVerifyEmail, TypeCreateDeal, TypeCreateTask, TypeAddNote, TypeScore, TypeAssignOwner,
		TypeAddToList, TypeRemoveFromList, TypeTag,
		TypeTrackEvent,
		TypeEmail, TypeSMS, TypeWhatsApp, TypeSend,
		TypeHTTPRequest, TypeSlack,
	}
	var got []string
	for _, typ := range Builtin().All() {
		got = append(got, typ.Spec.Type)
	}
	slices.Sort(want)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("Builtin types = %v, want %v", got, want)
	}
	for _, id := range []string{TypeDelay, TypeWaitEvent} {
		if typ, _ := Builtin().Lookup(id, 1); !typ.Spec.Waits {
			t.Fatalf("%s must be declared as waiting", id)
		}
	}
}
