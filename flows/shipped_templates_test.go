package flows

import (
	"encoding/json"
	"io/fs"
	"strings"
	"testing"
)

// TestShippedTemplatesSayWhatTheyNeed checks every shipped template tells
// a marketer how it starts and which accounts its steps use, and that
// templates can be published together (no two share a webhook path).
func TestShippedTemplatesSayWhatTheyNeed(t *testing.T) {
	templates, err := Templates()
	if err != nil {
		t.Fatal(err)
	}
	files, _ := fs.Glob(TemplatesFS(), "*.json")
	if len(templates) != len(files) || len(templates) < 2 {
		t.Fatalf("%d templates from %d files", len(templates), len(files))
	}
	paths := map[string]string{}
	for _, tpl := range templates {
		if tpl.About == nil || strings.TrimSpace(tpl.About.Starts) == "" {
			t.Errorf("%s: no about/%s.json saying how it starts", tpl.ID, tpl.ID)
			continue
		}
		if tpl.Name == "" || len(tpl.Description) < 40 {
			t.Errorf("%s: needs a name and a description a marketer understands", tpl.ID)
		}
		nodes := map[string]Node{}
		for _, n := range tpl.Flow.Nodes {
			nodes[n.ID] = n
			if n.Type == "trigger.webhook" {
				var params struct {
					Path string `json:"path"`
				}
				if err := json.Unmarshal(n.Params, &params); err != nil {
					t.Fatalf("%s: %v", tpl.ID, err)
				}
				p := params.Path
				if other, dup := paths[p]; dup {
					t.Errorf("%s and %s both listen on /hooks/%s", other, tpl.ID, p)
				}
				paths[p] = tpl.ID
				if !strings.Contains(tpl.About.Starts, "/hooks/"+p) {
					t.Errorf("%s: about.starts does not name /hooks/%s", tpl.ID, p)
				}
			}
		}
		for _, c := range tpl.About.Credentials {
			if c.Kind == "" || c.Purpose == "" || len(c.Nodes) == 0 {
				t.Errorf("%s: credential %+v lacks a kind, purpose or steps", tpl.ID, c)
			}
			for _, id := range c.Nodes {
				if _, ok := nodes[id]; !ok {
					t.Errorf("%s: credential %s names step %q, which is not in the flow", tpl.ID, c.Kind, id)
				}
			}
		}
	}
}
