package flows

// This file holds the vocabulary in which node types declare themselves.
// The nodes package fills it in once per type; validation, the editor's
// forms (GET /api/v1/node-types) and the node reference all read it.

// Category groups node types in the palette.
type Category string

// Categories, in palette order.
const (
	CategoryTrigger     Category = "trigger"
	CategoryLogic       Category = "logic"
	CategoryTiming      Category = "timing"
	CategoryCRM         Category = "crm"
	CategoryList        Category = "list"
	CategoryMessage     Category = "message"
	CategoryIntegration Category = "integration"
)

// ParamKind is the shape of one parameter.
type ParamKind string

// Parameter kinds.
const (
	KindString     ParamKind = "string"     // plain text, no expressions
	KindTemplate   ParamKind = "template"   // text with {{ expr }} parts
	KindExpression ParamKind = "expression" // an expr program (see ParamSpec.Returns)
	KindNumber     ParamKind = "number"
	KindInteger    ParamKind = "integer"
	KindBoolean    ParamKind = "boolean"
	KindEnum       ParamKind = "enum"        // one of ParamSpec.Enum
	KindDuration   ParamKind = "duration"    // "90s", "48h", "3d"
	KindDateTime   ParamKind = "datetime"    // RFC 3339, or a template producing one
	KindTimeOfDay  ParamKind = "time_of_day" // "09:30"
	KindWeekdays   ParamKind = "weekdays"    // ["mon","tue",...]
	KindCron       ParamKind = "cron"        // 5-field cron
	KindTimeZone   ParamKind = "time_zone"   // IANA name
	KindStringList ParamKind = "string_list"
	KindList       ParamKind = "list"       // array of objects whose fields are ParamSpec.Fields
	KindMap        ParamKind = "map"        // object of name -> expression (e.g. field mapping)
	KindCredential ParamKind = "credential" // id of a stored credential
)

// Expression result types, for KindExpression and KindMap.
const (
	ReturnsBool = "bool"
	ReturnsAny  = "any"
)

// ParamSpec declares one parameter of a node type.
type ParamSpec struct {
	// Name is the JSON key in the node's params.
	Name string `json:"name"`
	// Label is the form label a marketer reads.
	Label string `json:"label"`
	// Description is a one-sentence help text.
	Description string `json:"description,omitempty"`
	// Kind is the parameter's shape.
	Kind ParamKind `json:"kind"`
	// Returns is the result type of an expression (bool or any).
	Returns string `json:"returns,omitempty"`
	// Required means the node cannot run without it.
	Required bool `json:"required,omitempty"`
	// Enum lists the allowed values of KindEnum.
	Enum []string `json:"enum,omitempty"`
	// EnumLabels are the plain names the editor shows for some Enum
	// values ("bot_framework" → "Microsoft Bot Framework"); a value
	// without one shows as written, underscores as spaces.
	EnumLabels map[string]string `json:"enum_labels,omitempty"`
	// Default is used when the parameter is absent.
	Default any `json:"default,omitempty"`
	// Example is shown as a placeholder and used in the reference.
	Example any `json:"example,omitempty"`
	// Min and Max bound numbers (when non-nil).
	Min *float64 `json:"min,omitempty"`
	Max *float64 `json:"max,omitempty"`
	// Fields describe each item of a KindList parameter.
	Fields []ParamSpec `json:"fields,omitempty"`
	// ShowIf makes the parameter relevant only when another parameter has
	// one of the listed values (e.g. {"mode": ["duration"]}); required is
	// enforced only then.
	ShowIf map[string][]string `json:"show_if,omitempty"`
	// Secret values are never logged or returned.
	Secret bool `json:"secret,omitempty"`
	// CredentialKind is the kind of credential a KindCredential param
	// accepts (e.g. "smtp").
	CredentialKind string `json:"credential_kind,omitempty"`
	// Options names a dynamic choice source served by
	// GET /api/v1/node-types/:type/options/:param (e.g. "lists").
	Options string `json:"options,omitempty"`
	// WithoutAccount says what a KindCredential param left empty does:
	// WithoutAccountSandbox, WithoutAccountBuiltin or WithoutAccountNone.
	// Empty: the step needs the account.
	WithoutAccount string `json:"without_account,omitempty"`
}

// What a step does without its account (ParamSpec.WithoutAccount).
const (
	// WithoutAccountSandbox keeps what the step sends in the sandbox
	// outbox: nothing is sent.
	WithoutAccountSandbox = "sandbox"
	// WithoutAccountBuiltin writes to the built-in contact store.
	WithoutAccountBuiltin = "builtin"
	// WithoutAccountNone calls without credentials.
	WithoutAccountNone = "none"
)

// PortSpec declares one output port.
type PortSpec struct {
	Name  string `json:"name"`
	Label string `json:"label"`
}

// Example is a sample use of a node type, validated by tests.
type Example struct {
	Title  string         `json:"title"`
	Params map[string]any `json:"params"`
}

// Rule checks relations between parameters that one ParamSpec cannot; it
// returns problems with Param set (NodeID is filled in by the validator).
type Rule func(params map[string]any) []Problem

// TypeSpec is the one declaration of a node type.
type TypeSpec struct {
	// Type is the stable, namespaced id, e.g. "wait.delay". Never renamed.
	Type string `json:"type"`
	// Version is the parameter-shape version (1 for the first).
	Version int `json:"version"`
	// Aliases are former ids that still resolve to this type.
	Aliases []string `json:"aliases,omitempty"`
	// Category groups the type in the palette.
	Category Category `json:"category"`
	// Title is the plain-language name ("Wait for a while").
	Title string `json:"title"`
	// Description says in a sentence or two what the node does.
	Description string `json:"description"`
	// Outputs are the fixed output ports.
	Outputs []PortSpec `json:"outputs"`
	// DynamicPorts names a KindList param whose items' "name" fields are
	// extra output ports (switch cases, split branches).
	DynamicPorts string `json:"dynamic_ports,omitempty"`
	// Params declare the parameters.
	Params []ParamSpec `json:"params"`
	// Examples show typical parameter sets.
	Examples []Example `json:"examples,omitempty"`
	// Credential names the credential kind the node can use, if any.
	Credential string `json:"credential,omitempty"`
	// Trigger types start runs and have no input.
	Trigger bool `json:"trigger,omitempty"`
	// Waits means a run can pause at this node; a cycle through one is allowed.
	Waits bool `json:"waits,omitempty"`
	// Rules are cross-parameter checks.
	Rules []Rule `json:"-"`
	// Contact, when set, says how a step with these (valid) params uses
	// the run's contact: where a trigger's contact comes from, which
	// fields a step saves or needs (see contactfields.go).
	Contact func(params map[string]any) ContactUse `json:"-"`
}

// Param returns the declaration of the named parameter, or nil.
func (s *TypeSpec) Param(name string) *ParamSpec {
	for i := range s.Params {
		if s.Params[i].Name == name {
			return &s.Params[i]
		}
	}
	return nil
}

// Catalog resolves node types for validation and compilation.
type Catalog interface {
	// Spec returns the declaration of typ (or an alias of it) at version.
	Spec(typ string, version int) (*TypeSpec, bool)
}
