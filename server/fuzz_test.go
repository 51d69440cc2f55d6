package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/channels"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/server"
	"github.com/journeyhq/journey/storage"
	"github.com/journeyhq/journey/storage/storagetest"
)

// mappedHookFlow maps a request's body, headers and query into the trigger
// payload with expressions, then saves the contact and tags it.
const mappedHookFlow = `{
  "id": "mapped", "name": "Mapped webhook",
  "nodes": [
    {"id": "hook", "type": "trigger.webhook", "params": {"path": "mapped", "mapping": {
      "email": "trigger.body?.contact?.email ?? trigger.query?.email",
      "name": "trigger.body?.name",
      "source": "trigger.headers['x-source']"}}, "position": {"x":0,"y":0}},
    {"id": "save", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}", "first_name": "{{ trigger.name }}"}, "position": {"x":0,"y":0}},
    {"id": "tag", "type": "contact.tag", "params": {"add": ["{{ trigger.source }}"]}, "position": {"x":0,"y":0}}
  ],
  "edges": [{"from": "hook", "to": "save"}, {"from": "save", "to": "tag"}]
}`

// fuzzBundle is one server on a SQLite file, shared by every input of a
// fuzz target (a fresh database per input would be far too slow).
type fuzzBundle struct {
	eng   *engine.Engine
	store *storage.Store
	srv   *server.Server
	token string
}

func newFuzzBundle(f *testing.F) *fuzzBundle {
	f.Helper()
	ctx := context.Background()
	logger := slog.New(slog.DiscardHandler)
	store, err := storage.Open(ctx, "sqlite://"+filepath.Join(f.TempDir(), "fuzz.db"), logger)
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = store.Close() })
	ch, err := channels.New(channels.Config{Store: store, SecretKey: bytes.Repeat([]byte{5}, storage.SecretKeySize),
		PublicURL: "https://journeys.example.com", Logger: logger})
	if err != nil {
		f.Fatal(err)
	}
	eng, err := engine.New(engine.Config{Store: store, Registry: nodes.Builtin(), Logger: logger, Channels: ch})
	if err != nil {
		f.Fatal(err)
	}
	b := &fuzzBundle{eng: eng, store: store, srv: server.New(server.Config{Engine: eng, Store: store, Logger: logger,
		Version: "fuzz", Channels: ch, HookSecrets: map[string]string{"CHATBOT": hookSecret},
		// The fuzzer is one client sending thousands of webhooks: no
		// intake limits (intake_test.go tests those).
		HookRate: -1, HookConcurrency: -1})}
	tmpl, err := os.ReadFile(filepath.Join("..", "flows", "templates", "chat-lead-qualification.json"))
	if err != nil {
		f.Fatal(err)
	}
	for _, doc := range [][]byte{tmpl, []byte(mappedHookFlow)} {
		fl, err := flows.Decode(doc)
		if err != nil {
			f.Fatal(err)
		}
		if _, err := eng.Import(ctx, fl, true); err != nil {
			f.Fatalf("import %s: %v", fl.ID, err)
		}
	}
	err = store.Write(ctx, func(tx storage.Tx) error {
		b.token, _, err = storage.CreateAPIToken(tx, "fuzz", time.Now())
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	return b
}

// do sends a request through the app and checks the answer's shape: never
// a 5xx, and an error always in the documented JSON form.
func (b *fuzzBundle) do(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := b.srv.App().Test(req, -1)
	if err != nil {
		t.Fatalf("request: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 {
		t.Fatalf("%s %s answered %d: %s", req.Method, req.URL, resp.StatusCode, body)
	}
	if resp.StatusCode >= 400 {
		var e struct {
			Error struct {
				Code    string `json:"code"`
				Message string `json:"message"`
			} `json:"error"`
		}
		if json.Unmarshal(body, &e) != nil || e.Error.Code == "" || e.Error.Message == "" {
			t.Fatalf("%s %s answered %d without the error shape: %s", req.Method, req.URL, resp.StatusCode, body)
		}
	}
	return resp.StatusCode, body
}

// drain runs what the input started and fails on a step that crashed (a
// handler panic the engine recovered).
func (b *fuzzBundle) drain(t *testing.T) {
	t.Helper()
	if _, err := b.eng.Drain(context.Background()); err != nil {
		t.Fatalf("drain: %v", err)
	}
	var crashed []storage.Step
	if err := storagetest.Find(b.store.Reader(), &crashed, storagetest.Query{Where: "error LIKE ?", Args: []any{"%the step crashed%"}, Limit: 1}); err != nil {
		t.Fatal(err)
	}
	if len(crashed) > 0 {
		t.Fatalf("a step crashed: %s (input %s)", crashed[0].Error, crashed[0].Input)
	}
}

// FuzzWebhook posts arbitrary bodies, query strings and idempotency keys to
// the two webhook shapes (the body as the payload, and a field mapping over
// body, headers and query), then runs the journeys they start.
func FuzzWebhook(f *testing.F) {
	f.Add(uint8(0), []byte(`{"email":"ana@example.com","name":"Ana","score":90,"transcript":"hi"}`), "", "", "chat")
	f.Add(uint8(1), []byte(`{"contact":{"email":"bo@example.com"},"name":"Bo"}`), "email=q@example.com", "k1", "web")
	f.Add(uint8(1), []byte(`{"contact":null,"name":[1,2]}`), "email=%zz", "", "")
	f.Add(uint8(0), []byte(`[1,2,3]`), "", "dup", "")
	f.Add(uint8(0), []byte(`{"email":"not an email","score":"high"}`), "", "", "")
	f.Add(uint8(1), []byte(`nul`), "", "", "")
	f.Add(uint8(2), []byte(``), "a=b", "", "")
	b := newFuzzBundle(f)
	paths := []string{"chat-finished", "mapped", "nobody-listens"}
	f.Fuzz(func(t *testing.T, which uint8, body []byte, query, key, source string) {
		u := "/hooks/" + paths[int(which)%len(paths)]
		if q, err := url.ParseQuery(query); err == nil && len(q) > 0 {
			u += "?" + q.Encode()
		}
		req := httptest.NewRequest(http.MethodPost, u, bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		if key = headerSafe(key); key != "" {
			req.Header.Set("Idempotency-Key", key)
		}
		if source = headerSafe(source); source != "" {
			req.Header.Set("X-Source", source)
		}
		status, out := b.do(t, req)
		switch status {
		case http.StatusAccepted:
			var res struct {
				Runs []string `json:"runs"`
			}
			if err := json.Unmarshal(out, &res); err != nil || res.Runs == nil {
				t.Fatalf("202 without a runs list: %s", out)
			}
			b.drain(t)
		case http.StatusBadRequest, http.StatusNotFound, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("unexpected status %d: %s", status, out)
		}
	})
}

// FuzzEventsAPI posts arbitrary bodies to POST /api/v1/events and runs the
// journeys an accepted event resumes or starts.
func FuzzEventsAPI(f *testing.F) {
	f.Add([]byte(`{"type":"chat.finished","contact":{"email":"ana@example.com"},"data":{"score":3}}`))
	f.Add([]byte(`{"type":"email.opened","contact":{"phone":"+34600000000"},"id":"e1","occurred_at":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"type":"","contact":{}}`))
	f.Add([]byte(`{"type":"x","contact":{"id":"nope"},"occurred_at":"yesterday"}`))
	f.Add([]byte(`{"type":"x","contact":{"external_id":"crm-1"},"data":[1]}`))
	f.Add([]byte(`[]`))
	b := newFuzzBundle(f)
	f.Fuzz(func(t *testing.T, body []byte) {
		req := httptest.NewRequest(http.MethodPost, "/api/v1/events", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+b.token)
		status, out := b.do(t, req)
		switch status {
		case http.StatusAccepted:
			b.drain(t)
		case http.StatusBadRequest, http.StatusNotFound, http.StatusConflict, http.StatusUnprocessableEntity, http.StatusRequestEntityTooLarge:
		default:
			t.Fatalf("unexpected status %d: %s", status, out)
		}
	})
}

// headerSafe keeps a fuzzed string usable as a header value (net/http
// refuses control characters before our code would see them).
func headerSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r > 0x7e {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}
