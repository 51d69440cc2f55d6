package engine_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

func hookFlow(id, path, listName string) string {
	return `{"id": "` + id + `", "name": "Flow ` + id + `", "nodes": [
	  {"id": "hook", "type": "trigger.webhook", "params": {"path": "` + path + `"}, "position": {"x": 0, "y": 0}},
	  {"id": "save", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}, "position": {"x": 0, "y": 100}},
	  {"id": "add", "type": "list.add", "params": {"list": "` + listName + `"}, "position": {"x": 0, "y": 200}}
	], "edges": [{"from": "hook", "to": "save"}, {"from": "save", "to": "add"}]}`
}

func decodeFlow(t *testing.T, doc string) *flows.Flow {
	t.Helper()
	f, err := flows.Decode([]byte(doc))
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return f
}

func (b *testBundle) importAll(t *testing.T, opt engine.ImportOptions, docs ...string) ([]engine.ImportResult, error) {
	t.Helper()
	var fs []*flows.Flow
	for _, d := range docs {
		fs = append(fs, decodeFlow(t, d))
	}
	return b.eng.ImportAll(b.ctx, fs, opt)
}

func TestImportExistingIDAddsAVersionAndKeepsOldOnes(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		b := setup(t, setupOpts{db: db})
		res, err := b.importAll(t, engine.ImportOptions{Publish: true}, hookFlow("a", "in-a", "one"))
		if err != nil || !res[0].Created || !res[0].Published || res[0].Version != 1 {
			t.Fatalf("first import: %+v, %v", res, err)
		}
		v1, err := storage.GetVersion(b.store.Reader(), "a", 1)
		if err != nil {
			t.Fatal(err)
		}

		// The same document again: nothing changes, no new version.
		res, err = b.importAll(t, engine.ImportOptions{Publish: true}, hookFlow("a", "in-a", "one"))
		if err != nil || res[0].Created || res[0].DraftChanged || res[0].Published || res[0].Version != 1 {
			t.Fatalf("re-import of the same document: %+v, %v", res, err)
		}
		if n := b.count(t, &storage.FlowVersion{}, "flow_id = ?", "a"); n != 1 {
			t.Fatalf("versions after an unchanged re-import = %d, want 1", n)
		}

		// A changed document becomes version 2; version 1 is untouched.
		res, err = b.importAll(t, engine.ImportOptions{Publish: true}, hookFlow("a", "in-a", "two"))
		if err != nil || res[0].Created || !res[0].DraftChanged || !res[0].Published || res[0].Version != 2 {
			t.Fatalf("import of a changed document: %+v, %v", res, err)
		}
		again, err := storage.GetVersion(b.store.Reader(), "a", 1)
		if err != nil || again.Definition != v1.Definition {
			t.Fatalf("version 1 changed after importing version 2 (%v)", err)
		}
		if got := res[0].Summary(); got != "draft replaced, published as version 2" {
			t.Fatalf("summary %q", got)
		}

		// Without --publish only the draft changes; version 2 stays live.
		res, err = b.importAll(t, engine.ImportOptions{}, hookFlow("a", "in-a", "three"))
		if err != nil || !res[0].DraftChanged || res[0].Published || res[0].Version != 2 {
			t.Fatalf("draft-only import: %+v, %v", res, err)
		}
		sf, _ := storage.GetFlow(b.store.Reader(), "a")
		if sf.Version != 2 || sf.Status != storage.FlowActive || !strings.Contains(sf.Draft, "three") {
			t.Fatalf("flow after draft import: version %d status %s", sf.Version, sf.Status)
		}
	})
}

func TestImportIsAllOrNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// The second flow's webhook path is taken by the first one: the whole
	// import is refused and neither flow is stored.
	_, err := b.importAll(t, engine.ImportOptions{Publish: true},
		hookFlow("first", "same-path", "x"), hookFlow("second", "same-path", "y"))
	var fe *engine.FlowProblemsError
	if !errors.As(err, &fe) || fe.FlowID != "second" || len(fe.Problems) != 1 || fe.Problems[0].Code != "hook_path_taken" {
		t.Fatalf("err = %v (%+v), want the second flow's hook_path_taken problem", err, fe)
	}
	var pe *flows.ProblemsError
	if !errors.As(err, &pe) {
		t.Fatalf("a FlowProblemsError must unwrap to a *flows.ProblemsError")
	}
	if n := b.count(t, &storage.Flow{}, "1 = 1"); n != 0 {
		t.Fatalf("%d flows stored after a refused import, want 0", n)
	}

	// One invalid flow among valid ones: nothing is stored either.
	_, err = b.importAll(t, engine.ImportOptions{}, hookFlow("ok", "p1", "x"), `{"id": "bad", "name": "Bad", "nodes": [], "edges": []}`)
	if !errors.As(err, &fe) || fe.FlowID != "bad" {
		t.Fatalf("err = %v, want the invalid flow's problems", err)
	}
	if n := b.count(t, &storage.Flow{}, "1 = 1"); n != 0 {
		t.Fatalf("%d flows stored after a refused import, want 0", n)
	}

	// Two documents with one id are refused.
	_, err = b.importAll(t, engine.ImportOptions{}, hookFlow("twice", "p1", "x"), hookFlow("twice", "p2", "y"))
	var ie *engine.InputError
	if !errors.As(err, &ie) || !strings.Contains(ie.Message, "twice") {
		t.Fatalf("err = %v, want an InputError naming the id", err)
	}
}

func TestImportDryRunWritesNothing(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res, err := b.importAll(t, engine.ImportOptions{Publish: true, DryRun: true}, hookFlow("a", "p", "x"))
	if err != nil || !res[0].Created || !res[0].Published || res[0].Version != 1 || !res[0].DryRun {
		t.Fatalf("dry run: %+v, %v", res, err)
	}
	if got := res[0].Summary(); got != "would be created, would be published as version 1" {
		t.Fatalf("summary %q", got)
	}
	for _, m := range []any{&storage.Flow{}, &storage.FlowVersion{}, &storage.Trigger{}} {
		if n := b.count(t, m, "1 = 1"); n != 0 {
			t.Fatalf("%T: %d rows after a dry run, want 0", m, n)
		}
	}
	// The dry run left no compiled version behind: a real import of a
	// different document as version 1 runs that document.
	if _, err := b.importAll(t, engine.ImportOptions{Publish: true}, hookFlow("a", "p", "real")); err != nil {
		t.Fatal(err)
	}
	if _, err := b.eng.IngestWebhook(b.ctx, engine.HookRequest{Path: "p", Body: []byte(`{"email": "a@example.com"}`)}); err != nil {
		t.Fatal(err)
	}
	b.drain(t)
	if n := b.count(t, &storage.ListMember{}, "1 = 1"); n != 1 {
		t.Fatalf("list members = %d, want 1", n)
	}
	var l storage.List
	if err := storagetest.Take(b.store.Reader(), &l, storagetest.Query{}); err != nil || l.Name != "real" {
		t.Fatalf("the run used list %q (%v), want the imported document's list \"real\"", l.Name, err)
	}
}

func TestImportRefusesUnknownTypesAndNewerVersions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []struct{ name, node, code, want string }{
		{"unknown type", `{"id": "x", "type": "crm.teleport", "position": {"x": 0, "y": 0}}`,
			"unknown_type", `has the type "crm.teleport", which does not exist`},
		{"newer type version", `{"id": "x", "type": "list.add", "type_version": 7, "params": {"list": "l"}, "position": {"x": 0, "y": 0}}`,
			"unknown_version", "uses version 7 of"},
	} {
		doc := `{"id": "f", "name": "F", "nodes": [
		  {"id": "hook", "type": "trigger.webhook", "params": {"path": "p"}, "position": {"x": 0, "y": 0}}, ` + c.node + `
		], "edges": [{"from": "hook", "to": "x"}]}`
		_, err := b.importAll(t, engine.ImportOptions{Publish: true}, doc)
		var fe *engine.FlowProblemsError
		if !errors.As(err, &fe) {
			t.Fatalf("%s: err = %v, want problems", c.name, err)
		}
		found := false
		for _, p := range fe.Problems {
			if p.Code == c.code && p.NodeID == "x" && strings.Contains(p.Message, c.want) {
				found = true
			}
		}
		if !found {
			t.Fatalf("%s: problems %+v lack %s %q on node x", c.name, fe.Problems, c.code, c.want)
		}
	}
	if n := b.count(t, &storage.Flow{}, "1 = 1"); n != 0 {
		t.Fatalf("%d flows stored, want 0", n)
	}
}

func TestEveryTemplateRoundTripsByteForByte(t *testing.T) {
	t.Parallel()
	templates, err := flows.Templates()
	if err != nil || len(templates) == 0 {
		t.Fatalf("templates: %d, %v", len(templates), err)
	}
	for _, tpl := range templates {
		t.Run(tpl.ID, func(t *testing.T) {
			t.Parallel()
			b := setup(t)
			res, err := b.eng.ImportAll(b.ctx, []*flows.Flow{tpl.Flow}, engine.ImportOptions{Publish: true})
			if err != nil {
				t.Fatalf("import: %v", err)
			}
			// A template written for a vendor names its account by the
			// kind ("target": "salesforce"), a placeholder "Use this
			// template" replaces: it imports as a draft needing exactly
			// those accounts, and publishes once they are chosen.
			placeholders := templatePlaceholders(tpl)
			if len(res[0].NeedsCredentials) != len(placeholders) {
				t.Fatalf("needs accounts %+v; the template's placeholders are %v", res[0].NeedsCredentials, placeholders)
			}
			for _, p := range res[0].NeedsCredentials {
				if !placeholders[p.NodeID] || !strings.Contains(p.Message, "needs your ") {
					t.Fatalf("needs %+v, not one of the placeholders %v with a plain message", p, placeholders)
				}
			}
			first, err := b.eng.Export(tpl.ID)
			if err != nil {
				t.Fatal(err)
			}
			// Into a fresh database, and back out.
			b2 := setup(t)
			res, err = b2.eng.ImportAll(b2.ctx, []*flows.Flow{decodeFlow(t, string(first))}, engine.ImportOptions{Publish: true})
			if err != nil {
				t.Fatalf("re-import of the export: %v", err)
			}
			second, err := b2.eng.Export(tpl.ID)
			if err != nil {
				t.Fatal(err)
			}
			if string(first) != string(second) {
				t.Fatalf("export -> import -> export differs:\n%s\n---\n%s", first, second)
			}
			if len(placeholders) == 0 {
				published, err := b2.eng.ExportVersion(tpl.ID, res[0].Version)
				if err != nil || string(published) != string(first) {
					t.Fatalf("the published version exports differently (%v):\n%s", err, published)
				}
			} else if res[0].Version != 0 {
				t.Fatalf("a template with placeholder accounts was published: %+v", res[0])
			}
			// The export is the flow: same nodes and edges as the template.
			back := decodeFlow(t, string(first))
			if len(back.Nodes) != len(tpl.Flow.Nodes) || len(back.Edges) != len(tpl.Flow.Edges) {
				t.Fatalf("export has %d nodes / %d edges, template %d / %d", len(back.Nodes), len(back.Edges), len(tpl.Flow.Nodes), len(tpl.Flow.Edges))
			}
			if strings.Contains(string(first), `"version"`) || strings.Contains(string(first), "_at\"") {
				t.Fatalf("export carries a version or a timestamp:\n%s", first)
			}
		})
	}
}

func TestExportLeavesOutSecretParameters(t *testing.T) {
	t.Parallel()
	reg := nodes.Builtin()
	reg.Register(&nodes.Type{
		Spec: flows.TypeSpec{Type: "test.secret_call", Category: flows.CategoryIntegration, Title: "Call with a key",
			Description: "Test type with a secret parameter.", Outputs: []flows.PortSpec{{Name: "out", Label: "Next"}},
			Params: []flows.ParamSpec{
				{Name: "url", Label: "URL", Kind: flows.KindString, Required: true},
				{Name: "api_key", Label: "API key", Kind: flows.KindString, Secret: true},
			}},
		Handler: nodes.HandlerFunc(func(context.Context, *nodes.Input) (nodes.Result, error) { return nodes.Result{}, nil }),
	})
	b := setup(t, setupOpts{reg: reg})
	doc := `{"id": "s", "name": "S", "nodes": [
	  {"id": "hook", "type": "trigger.webhook", "params": {"path": "p"}, "position": {"x": 0, "y": 0}},
	  {"id": "call", "type": "test.secret_call", "params": {"url": "https://example.com", "api_key": "sk_live_123"}, "position": {"x": 0, "y": 0}}
	], "edges": [{"from": "hook", "to": "call"}]}`
	if _, err := b.importAll(t, engine.ImportOptions{}, doc); err != nil {
		t.Fatal(err)
	}
	out, err := b.eng.Export("s")
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "sk_live_123") || strings.Contains(string(out), "api_key") {
		t.Fatalf("export carries the secret:\n%s", out)
	}
	if !strings.Contains(string(out), "https://example.com") {
		t.Fatalf("export lost the other parameters:\n%s", out)
	}
}

// templatePlaceholders are the steps of a template whose account is a
// vendor kind named in its about file (a placeholder to be replaced by
// the id of the user's account of that kind).
func templatePlaceholders(tpl flows.Template) map[string]bool {
	out := map[string]bool{}
	if tpl.About == nil {
		return out
	}
	kinds := map[string]bool{}
	for _, c := range tpl.About.Credentials {
		kinds[c.Kind] = true
	}
	for _, n := range tpl.Flow.Nodes {
		var params map[string]any
		_ = json.Unmarshal(n.Params, &params)
		for _, v := range params {
			if s, ok := v.(string); ok && kinds[s] {
				out[n.ID] = true
			}
		}
	}
	return out
}
