package flows

import (
	"bytes"
	"encoding/json"
	"fmt"
)

// Canonical encodes f as the stable form kept in git: object keys sorted at
// every level (params too), two-space indent, characters such as < and &
// left as they are, and one trailing newline. Decoding the output and
// encoding it again gives the same bytes, so exported flows diff cleanly
// and round-trip byte for byte.
func Canonical(f *Flow) ([]byte, error) {
	raw, err := json.Marshal(f)
	if err != nil {
		return nil, fmt.Errorf("encode flow %s: %w", f.ID, err)
	}
	return CanonicalJSON(raw)
}

// CanonicalJSON re-encodes one JSON value in the canonical form of
// Canonical. Numbers keep their text ("1e3" stays "1e3").
func CanonicalJSON(data []byte) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil { // Encode ends with a newline
		return nil, fmt.Errorf("canonical json: %w", err)
	}
	return buf.Bytes(), nil
}
