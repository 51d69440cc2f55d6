package flows

import (
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed templates/*.json templates/about/*.json
var templates embed.FS

// TemplatesFS returns the shipped flow templates (templates/*.json).
func TemplatesFS() fs.FS {
	sub, err := fs.Sub(templates, "templates")
	if err != nil {
		panic(err) // the embedded folder always exists
	}
	return sub
}

// Template is a shipped flow template.
type Template struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Flow        *Flow  `json:"definition"`
	// About says what the template expects; nil when it ships no about file.
	About *TemplateAbout `json:"about,omitempty"`
}

// TemplateAbout is what a marketer needs to know before publishing a
// template: how it starts, the data it expects, the contact events it
// reacts to and the accounts it sends with. It lives beside the flow in
// templates/about/<id>.json so the flow document itself stays unchanged.
type TemplateAbout struct {
	// Starts says in a sentence how a contact enters the journey.
	Starts string `json:"starts"`
	// Example is a sample payload (webhook body or event data).
	Example map[string]any `json:"example,omitempty"`
	// Events are the contact events the journey waits for or reacts to.
	Events []string `json:"events,omitempty"`
	// Credentials are the accounts to choose to really send; none are
	// needed in the sandbox outbox.
	Credentials []TemplateCredential `json:"credentials,omitempty"`
}

// TemplateCredential names an account a step of the template can use.
type TemplateCredential struct {
	// Kind is the credential kind, e.g. smtp, twilio or whatsapp.
	Kind string `json:"kind"`
	// Nodes are the steps that take this account.
	Nodes []string `json:"nodes"`
	// Purpose says what the account is for.
	Purpose string `json:"purpose"`
}

// Templates decodes every shipped template, sorted by id.
func Templates() ([]Template, error) {
	fsys := TemplatesFS()
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []Template
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		f, err := Decode(data)
		if err != nil {
			return nil, fmt.Errorf("template %s: %w", strings.TrimSuffix(name, ".json"), err)
		}
		about, err := ReadTemplateAbout(fsys, f.ID)
		if err != nil {
			return nil, err
		}
		out = append(out, Template{ID: f.ID, Name: f.Name, Description: f.Description, Flow: f, About: about})
	}
	return out, nil
}

// ReadTemplateAbout reads about/<id>.json from a templates folder; nil
// when there is none.
func ReadTemplateAbout(fsys fs.FS, id string) (*TemplateAbout, error) {
	data, err := fs.ReadFile(fsys, "about/"+id+".json")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var about TemplateAbout
	if err := json.Unmarshal(data, &about); err != nil {
		return nil, fmt.Errorf("template %s: about: %w", id, err)
	}
	return &about, nil
}
