package nodes

import (
	"fmt"
	"slices"
	"sort"

	"github.com/journeyhq/journey/flows"
)

// Registry holds node types by id and version. Build one with NewRegistry
// and Register (or Builtin for every type of this package); there is no
// global registry.
type Registry struct {
	types   map[string]map[int]*Type // id -> version -> type
	aliases map[string]string        // former id -> id
	presets map[string]WebhookPreset
}

// WebhookPreset turns a chat platform's raw webhook body into trigger
// data (contact fields, transcript, channel). An error means the body is
// not that platform's payload.
type WebhookPreset func(raw []byte) (map[string]any, error)

// SetWebhookPresets gives the registry the parsers of trigger.webhook's
// presets. It panics on a name WebhookPresets does not declare.
func (r *Registry) SetWebhookPresets(presets map[string]WebhookPreset) {
	for name := range presets {
		if !slices.Contains(WebhookPresets, name) {
			panic(fmt.Sprintf("nodes: webhook preset %q is not declared in WebhookPresets", name))
		}
	}
	r.presets = presets
}

// WebhookPreset returns the parser of a trigger.webhook preset.
func (r *Registry) WebhookPreset(name string) (WebhookPreset, bool) {
	p, ok := r.presets[name]
	return p, ok
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry {
	return &Registry{types: map[string]map[int]*Type{}, aliases: map[string]string{}}
}

// Register adds t. It panics on a programmer error: an empty or duplicate
// id/version, a missing handler, or an alias that clashes.
func (r *Registry) Register(t *Type) {
	id := t.Spec.Type
	if id == "" || t.Handler == nil {
		panic(fmt.Sprintf("nodes: register %q: empty type id or nil handler", id))
	}
	if t.Spec.Version <= 0 {
		t.Spec.Version = 1
	}
	if r.types[id] == nil {
		r.types[id] = map[int]*Type{}
	}
	if _, dup := r.types[id][t.Spec.Version]; dup {
		panic(fmt.Sprintf("nodes: node type %s v%d registered twice", id, t.Spec.Version))
	}
	r.types[id][t.Spec.Version] = t
	for _, a := range t.Spec.Aliases {
		if prev, ok := r.aliases[a]; (ok && prev != id) || r.types[a] != nil {
			panic(fmt.Sprintf("nodes: alias %s of %s clashes", a, id))
		}
		r.aliases[a] = id
	}
}

// Lookup returns the type registered as typ (or an alias of it) at version
// (0 means 1).
func (r *Registry) Lookup(typ string, version int) (*Type, bool) {
	if version <= 0 {
		version = 1
	}
	if real, ok := r.aliases[typ]; ok {
		typ = real
	}
	t, ok := r.types[typ][version]
	return t, ok
}

// Spec implements flows.Catalog.
func (r *Registry) Spec(typ string, version int) (*flows.TypeSpec, bool) {
	t, ok := r.Lookup(typ, version)
	if !ok {
		return nil, false
	}
	return &t.Spec, true
}

// Latest returns the highest version of typ.
func (r *Registry) Latest(typ string) (*Type, bool) {
	if real, ok := r.aliases[typ]; ok {
		typ = real
	}
	var best *Type
	for _, t := range r.types[typ] {
		if best == nil || t.Spec.Version > best.Spec.Version {
			best = t
		}
	}
	return best, best != nil
}

// All returns every registered type version, sorted by category order, then id,
// then version.
func (r *Registry) All() []*Type {
	var out []*Type
	for _, vs := range r.types {
		for _, t := range vs {
			out = append(out, t)
		}
	}
	order := map[flows.Category]int{}
	for i, c := range []flows.Category{flows.CategoryTrigger, flows.CategoryLogic, flows.CategoryTiming,
		flows.CategoryCRM, flows.CategoryList, flows.CategoryMessage, flows.CategoryIntegration} {
		order[c] = i
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i].Spec, out[j].Spec
		if order[a.Category] != order[b.Category] {
			return order[a.Category] < order[b.Category]
		}
		if a.Type != b.Type {
			return a.Type < b.Type
		}
		return a.Version < b.Version
	})
	return out
}

// Interface guards.
var _ flows.Catalog = (*Registry)(nil)
