package server_test

import (
	"net/http"
	"strings"
	"testing"
)

func TestImportAPIDryRunVersionsAndCanonicalExport(t *testing.T) {
	t.Parallel()
	b := setup(t)

	// A dry run reports and stores nothing.
	res := b.api(t, "POST", "/api/v1/flows/import?dry_run=true&publish=true", helloFlow).must(t, http.StatusOK)
	for _, want := range []string{`"dry_run":true`, `"created":true`, `"published":true`, `"version":1`} {
		if !strings.Contains(res.body, want) {
			t.Fatalf("dry run answer lacks %s: %s", want, res.body)
		}
	}
	b.api(t, "GET", "/api/v1/flows/hello", "").must(t, http.StatusNotFound)

	// The real import creates and publishes version 1.
	res = b.api(t, "POST", "/api/v1/flows/import", `{"flow":`+helloFlow+`,"publish":true}`).must(t, http.StatusCreated)
	if !strings.Contains(res.body, `"version":1`) || !strings.Contains(res.body, `"created":true`) {
		t.Fatalf("import: %s", res.body)
	}

	// The export, imported again, changes nothing and adds no version.
	exported := b.api(t, "GET", "/api/v1/flows/hello/export", "").must(t, http.StatusOK).body
	if !strings.HasSuffix(exported, "}\n") || strings.HasSuffix(exported, "\n\n") || !strings.HasPrefix(exported, "{\n  \"edges\"") {
		t.Fatalf("export is not canonical (sorted keys, one trailing newline):\n%q", exported)
	}
	res = b.api(t, "POST", "/api/v1/flows/import?publish=true", exported).must(t, http.StatusOK)
	for _, want := range []string{`"created":false`, `"draft_changed":false`, `"published":false`, `"version":1`} {
		if !strings.Contains(res.body, want) {
			t.Fatalf("re-import of the export lacks %s: %s", want, res.body)
		}
	}
	if again := b.api(t, "GET", "/api/v1/flows/hello/export", "").body; again != exported {
		t.Fatalf("export -> import -> export differs:\n%s\n---\n%s", exported, again)
	}

	// A changed document becomes version 2.
	changed := strings.Replace(helloFlow, `"list":"greeted"`, `"list":"welcomed"`, 1)
	res = b.api(t, "POST", "/api/v1/flows/import?publish=true", changed).must(t, http.StatusOK)
	if !strings.Contains(res.body, `"version":2`) || !strings.Contains(res.body, `"draft_changed":true`) {
		t.Fatalf("import of a change: %s", res.body)
	}

	// A newer type_version than the server knows is refused, naming the node.
	newer := strings.Replace(helloFlow, `"type":"list.add"`, `"type":"list.add","type_version":9`, 1)
	res = b.api(t, "POST", "/api/v1/flows/import", newer).must(t, http.StatusUnprocessableEntity)
	for _, want := range []string{`"code":"unknown_version"`, `"node_id":"greet"`, "update the server"} {
		if !strings.Contains(res.body, want) {
			t.Fatalf("refusal lacks %s: %s", want, res.body)
		}
	}
}
