package flows

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestDecode(t *testing.T) {
	t.Parallel()
	t.Run("reads a complete flow", func(t *testing.T) {
		t.Parallel()
		f, err := Decode([]byte(`{
			"id": "welcome", "name": "Welcome", "version": 3,
			"settings": {"reentry": {"policy": "once_per_period", "period": "30d"}, "time_zone": "Europe/Paris"},
			"nodes": [{"id": "a", "type": "trigger.event", "params": {"event_type": "x"}, "position": {"x": 1, "y": 2}}],
			"edges": [{"from": "a", "to": "b"}]
		}`))
		if err != nil {
			t.Fatal(err)
		}
		if f.ID != "welcome" || f.Version != 3 || len(f.Nodes) != 1 || len(f.Edges) != 1 {
			t.Fatalf("decoded %+v", f)
		}
		if time.Duration(f.Settings.Reentry.Period) != 30*Day {
			t.Fatalf("period = %v", f.Settings.Reentry.Period)
		}
		if string(f.Nodes[0].Params) != `{"event_type": "x"}` {
			t.Fatalf("params kept as %s", f.Nodes[0].Params)
		}
	})
	t.Run("round-trips through Encode", func(t *testing.T) {
		t.Parallel()
		in := &Flow{ID: "a", Name: "A", Settings: Settings{Reentry: Reentry{Policy: ReentryOnce, Period: Duration(Day)}},
			Nodes: []Node{{ID: "n", Type: "t", Params: mustJSON(map[string]any{"k": "v"})}}}
		data, err := Encode(in)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Decode(data)
		if err != nil {
			t.Fatalf("Decode(Encode(f)): %v\n%s", err, data)
		}
		again, _ := Encode(out)
		if !bytes.Equal(data, again) {
			t.Fatalf("encode is not stable:\n%s\n%s", data, again)
		}
	})
}

func TestDecodeErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		in        string
		line, col int
		message   string
	}{
		{"empty document", "  ", 1, 1, "empty"},
		{"syntax error", "{\n  \"id\": \"x\",\n}", 3, 1, "not valid JSON"},
		{"truncated document", `{"id": "x"`, 1, 11, "ends too early"},
		{"unknown top-level field", "{\n  \"idd\": \"x\"}", 2, 3, `"idd" is not known; did you mean "id"?`},
		{"unknown nested field", `{"nodes": [{}, {"id": "a", "typo": 1}]}`, 1, 28, `"typo" is not known in "nodes[1]"`},
		{"unknown field after a multibyte character", `{"name": "été", "x": 1}`, 1, 17, `"x" is not known`},
		{"wrong type with index", `{"edges": [{"from": 1}]}`, 1, 21, `"edges[0].from" must be a string, not a number`},
		{"fraction for an integer", `{"version": 1.5}`, 1, 13, `"version" must be a whole number`},
		{"bad duration", `{"settings": {"reentry": {"period": "3y"}}}`, 1, 37, `"3y" is not one`},
		{"trailing data", `{} {}`, 1, 4, "more after the end"},
		{"not an object", `"flow"`, 1, 1, "must be an object, not a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Decode([]byte(tt.in))
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("Decode error = %v, want a *DecodeError", err)
			}
			if de.Line != tt.line || de.Column != tt.col || !strings.Contains(de.Message, tt.message) {
				t.Fatalf("got %d:%d %q, want %d:%d containing %q", de.Line, de.Column, de.Message, tt.line, tt.col, tt.message)
			}
		})
	}
	t.Run("refuses documents over 1 MiB", func(t *testing.T) {
		t.Parallel()
		big := append([]byte(`{"description": "`), bytes.Repeat([]byte("a"), MaxDocumentSize)...)
		big = append(big, `"}`...)
		_, err := Decode(big)
		var de *DecodeError
		if !errors.As(err, &de) || !strings.Contains(de.Message, "1 MiB") {
			t.Fatalf("Decode(big) = %v", err)
		}
	})
}

// bigFlowJSON is a compact journey of n steps (a trigger and n-1 exits):
// 15,000 of them fit in 1 MiB as written, not once stored indented.
func bigFlowJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"id":"big","name":"Big","nodes":[{"id":"t","type":"trigger.manual"}`)
	for i := 1; i < n; i++ {
		fmt.Fprintf(&b, `,{"id":"n%d","type":"flow.exit"}`, i)
	}
	b.WriteString(`],"edges":[`)
	for i := 1; i < n; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"from":"t","to":"n%d"}`, i)
	}
	b.WriteString(`]}`)
	return []byte(b.String())
}

// TestDecodeRefusesAFlowTooBigOnceStored: the limit applies to the stored
// (canonical) form, so what the CLI accepts the API can read back.
func TestDecodeRefusesAFlowTooBigOnceStored(t *testing.T) {
	t.Parallel()
	data := bigFlowJSON(15000)
	if len(data) > MaxDocumentSize {
		t.Fatalf("the test document is %d bytes: it should fit as written", len(data))
	}
	_, err := Decode(data)
	var de *DecodeError
	if !errors.As(err, &de) || !strings.Contains(de.Message, "once saved (15000 steps); the limit is 1048576 (1 MiB)") {
		t.Fatalf("15,000 steps: %v, want the stored-size refusal", err)
	}
	if _, err := Decode(bigFlowJSON(2000)); err != nil {
		t.Fatalf("2,000 steps: %v", err)
	}
}
