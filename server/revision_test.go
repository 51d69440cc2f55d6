package server_test

import (
	"net/http"
	"strings"
	"testing"
)

// A save or publish based on an old revision of the draft answers 409 with
// the current revision, who saved it and when; the stored draft is the
// other save's. Clients that send no revision keep last-write-wins.
func TestSaveAndPublishRefuseAStaleRevision(t *testing.T) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			staleRevisionIsRefused(t, setup(t, func(o *setupOptions) { o.postgres = db == "postgres" }))
		})
	}
}

func staleRevisionIsRefused(t *testing.T, b *testBundle) {
	b.api(t, "POST", "/api/v1/flows", helloFlow).must(t, http.StatusCreated)
	got := b.api(t, "GET", "/api/v1/flows/hello", "").must(t, http.StatusOK)
	if etag := got.header.Get("ETag"); etag != `"1"` || !strings.Contains(got.body, `"revision":1`) {
		t.Fatalf("a new flow: ETag %q, body %s", etag, got.body)
	}
	tabA := strings.Replace(helloFlow, `"name":"Hello"`, `"name":"Hello from A"`, 1)
	tabB := strings.Replace(helloFlow, `"name":"Hello"`, `"name":"Hello from B"`, 1)
	saved := b.api(t, "PUT", "/api/v1/flows/hello", tabA, "If-Match", `"1"`).must(t, http.StatusOK)
	if !strings.Contains(saved.body, `"revision":2`) {
		t.Errorf("save answer lacks the new revision: %s", saved.body)
	}
	stale := b.api(t, "PUT", "/api/v1/flows/hello", tabB, "If-Match", `"1"`).must(t, http.StatusConflict)
	for _, want := range []string{`"code":"revision_conflict"`, `"revision":2`, `"updated_at"`, "saved this journey", "after you opened it"} {
		if !strings.Contains(stale.body, want) {
			t.Errorf("409 lacks %s: %s", want, stale.body)
		}
	}
	if now := b.api(t, "GET", "/api/v1/flows/hello", "").must(t, http.StatusOK); !strings.Contains(now.body, "Hello from A") {
		t.Errorf("the stale save changed the draft: %s", now.body)
	}
	b.api(t, "POST", "/api/v1/flows/hello/publish", "", "If-Match", "1").must(t, http.StatusConflict)
	b.api(t, "POST", "/api/v1/flows/hello/publish", `{"revision":1}`).must(t, http.StatusConflict)
	b.api(t, "PUT", "/api/v1/flows/hello", tabB, "If-Match", "two").must(t, http.StatusBadRequest)
	b.api(t, "POST", "/api/v1/flows/hello/publish", `{"revision":2}`).must(t, http.StatusOK)
	// Without a revision the last write wins, as the CLI import does.
	b.api(t, "PUT", "/api/v1/flows/hello", tabB).must(t, http.StatusOK)
	if now := b.api(t, "GET", "/api/v1/flows/hello", "").must(t, http.StatusOK); !strings.Contains(now.body, "Hello from B") || !strings.Contains(now.body, `"revision":3`) {
		t.Errorf("a save without revision did not go through: %s", now.body)
	}
}
