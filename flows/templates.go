package flows

import (
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed templates/*.json
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
		out = append(out, Template{ID: f.ID, Name: f.Name, Description: f.Description, Flow: f})
	}
	return out, nil
}
