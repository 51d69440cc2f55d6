package server_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestAPIRefusesAFlowTooBigOnceStoredLikeTheCLI: a compact 15,000-step
// journey fits in a request, but not once stored; the API refuses it with
// the sentence the CLI prints, instead of storing what it cannot read back.
func TestAPIRefusesAFlowTooBigOnceStoredLikeTheCLI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var doc strings.Builder
	doc.WriteString(`{"id":"big","name":"Big","nodes":[{"id":"t","type":"trigger.manual"}`)
	for i := 1; i < 15000; i++ {
		fmt.Fprintf(&doc, `,{"id":"n%d","type":"flow.exit"}`, i)
	}
	doc.WriteString(`],"edges":[`)
	for i := 1; i < 15000; i++ {
		if i > 1 {
			doc.WriteByte(',')
		}
		fmt.Fprintf(&doc, `{"from":"t","to":"n%d"}`, i)
	}
	doc.WriteString(`]}`)
	for _, path := range []string{"/api/v1/flows", "/api/v1/flows/import", "/api/v1/flows/validate"} {
		res := b.api(t, "POST", path, doc.String())
		if res.status == http.StatusCreated || !strings.Contains(res.body, "once saved (15000 steps); the limit is 1048576 (1 MiB)") {
			t.Errorf("%s: %d %s", path, res.status, res.body[:min(len(res.body), 300)])
		}
	}
	b.api(t, "GET", "/api/v1/flows/big", "").must(t, http.StatusNotFound)
}
