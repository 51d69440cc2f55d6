package engine_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeyhq/journey/engine"
)

// bigBodies are 1 MiB webhook bodies of the chat template: one long
// transcript, and the same size as many small fields (the costlier shape
// to decode).
func bigBodies() map[string][]byte {
	long, _ := json.Marshal(map[string]any{"email": "big@example.com", "name": "ana", "score": 10,
		"transcript": strings.Repeat("Hello, I would like a demo. ", (1<<20)/28-10)})
	items := make([]map[string]any, 0, 1<<14)
	for i := range cap(items) {
		items = append(items, map[string]any{"i": i, "text": "hello there"})
	}
	many, _ := json.Marshal(map[string]any{"email": "big@example.com", "name": "ana", "score": 10,
		"messages": items})
	for len(many) > 1<<20 {
		items = items[:len(items)-len(items)/10]
		many, _ = json.Marshal(map[string]any{"email": "big@example.com", "name": "ana", "score": 10, "messages": items})
	}
	return map[string][]byte{"transcript": long, "fields": many}
}

// BenchmarkBigWebhook measures the memory one 1 MiB webhook costs through
// the chat template (ingestion with its inline steps): B/op is what the
// intake allocates per request, the figure a flood multiplies.
//
//	go test ./engine -run '^$' -bench BigWebhook -benchmem
func BenchmarkBigWebhook(b *testing.B) {
	data, err := os.ReadFile(filepath.Join("..", "flows", "templates", "chat-lead-qualification.json"))
	if err != nil {
		b.Fatal(err)
	}
	// The template, allowed bodies of up to 1 MiB (its default is 256 KB).
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		b.Fatal(err)
	}
	settings, _ := doc["settings"].(map[string]any)
	if settings == nil {
		settings = map[string]any{}
	}
	settings["max_body_bytes"] = 1 << 20
	doc["settings"] = settings
	data, _ = json.Marshal(doc)
	for name, body := range bigBodies() {
		b.Run(name, func(b *testing.B) {
			eng, _, _ := benchEngine(b, data, true)
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for i := 0; b.Loop(); i++ {
				if _, err := eng.IngestWebhook(context.Background(), engine.HookRequest{Path: "chat-finished", Body: body,
					IdempotencyKey: fmt.Sprint(i)}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
