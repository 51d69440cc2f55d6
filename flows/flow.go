// Package flows is the flow model: the JSON document a marketer builds in the
// editor and an ops engineer keeps in git, its strict decoding, its validation
// (every problem at once, each with a location and a plain sentence), the
// duration type and the typed expression environment.
//
// It imports nothing of ours: node types describe themselves to it through
// the Catalog interface.
package flows

import "encoding/json"

// Flow is one journey: a graph of nodes joined by edges, plus settings.
type Flow struct {
	// ID is a slug (lowercase letters, digits and dashes), unique per instance.
	ID string `json:"id"`
	// Name is what a marketer reads in lists.
	Name string `json:"name"`
	// Description says what the journey is for.
	Description string `json:"description,omitempty"`
	// Version is the published version number; 0 for a draft never published.
	Version int `json:"version,omitempty"`
	// Settings hold flow-wide policies.
	Settings Settings `json:"settings"`
	// Nodes are the steps of the journey.
	Nodes []Node `json:"nodes"`
	// Edges join an output port of one node to another node.
	Edges []Edge `json:"edges"`
}

// Settings are flow-wide policies.
type Settings struct {
	// Reentry says whether a contact may enter the flow again.
	Reentry Reentry `json:"reentry,omitempty"`
	// TimeZone is an IANA zone used when a contact has none (default UTC).
	TimeZone string `json:"time_zone,omitempty"`
	// Goal is an expr condition; once it is true the run exits as converted.
	Goal string `json:"goal,omitempty"`
	// GoalWindow is how long after entering the journey reaching the goal
	// counts as converting (e.g. "7d"); 0 means for as long as the run lasts.
	GoalWindow Duration `json:"goal_window,omitempty"`
	// Messaging holds the policies every message step of the flow obeys.
	Messaging *Messaging `json:"messaging,omitempty"`
	// MaxBodyBytes is the largest webhook request body the flow's webhook
	// trigger accepts (0: DefaultMaxBodyBytes; at most MaxMaxBodyBytes).
	MaxBodyBytes int `json:"max_body_bytes,omitempty"`
}

// Webhook body limits (Settings.MaxBodyBytes). A decoded body costs
// several times its size, so the default is well below the server's limit.
const (
	DefaultMaxBodyBytes = 256 << 10
	MaxMaxBodyBytes     = 1 << 20
)

// BodyLimit is the largest webhook body the flow accepts.
func (s Settings) BodyLimit() int {
	if s.MaxBodyBytes <= 0 {
		return DefaultMaxBodyBytes
	}
	return min(s.MaxBodyBytes, MaxMaxBodyBytes)
}

// Reentry policies.
const (
	ReentryAlways        = "always"
	ReentryOnce          = "once"
	ReentryOncePerPeriod = "once_per_period"
)

// Reentry controls how often one contact may start the flow.
type Reentry struct {
	// Policy is always (default), once, or once_per_period.
	Policy string `json:"policy,omitempty"`
	// Period applies to once_per_period, e.g. "30d".
	Period Duration `json:"period,omitempty"`
}

// Node is one step of a flow.
type Node struct {
	// ID is unique within the flow.
	ID string `json:"id"`
	// Type is a registered node type, e.g. "logic.if".
	Type string `json:"type"`
	// TypeVersion pins the parameter shape of Type; 0 means 1.
	TypeVersion int `json:"type_version,omitempty"`
	// Name is the label a marketer reads on the canvas.
	Name string `json:"name,omitempty"`
	// Params are the node's parameters, shaped by its type's declaration.
	Params json.RawMessage `json:"params,omitempty"`
	// Position is where the node sits on the canvas.
	Position Position `json:"position"`
}

// Version returns the node's type version, defaulting to 1.
func (n Node) Version() int {
	if n.TypeVersion <= 0 {
		return 1
	}
	return n.TypeVersion
}

// Position is a point on the editor canvas.
type Position struct {
	X float64 `json:"x"`
	Y float64 `json:"y"`
}

// DefaultPort is the output port of an edge that names none.
const DefaultPort = "out"

// Edge joins output Port of node From to node To.
type Edge struct {
	From string `json:"from"`
	// Port is an output port of From; empty means "out".
	Port string `json:"port,omitempty"`
	To   string `json:"to"`
}

// PortName returns the edge's port, defaulting to "out".
func (e Edge) PortName() string {
	if e.Port == "" {
		return DefaultPort
	}
	return e.Port
}

// Node returns the node with the given id, or nil.
func (f *Flow) Node(id string) *Node {
	for i := range f.Nodes {
		if f.Nodes[i].ID == id {
			return &f.Nodes[i]
		}
	}
	return nil
}
