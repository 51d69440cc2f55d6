package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"unicode/utf8"
)

// MaxDocumentSize is the largest flow document Decode accepts.
const MaxDocumentSize = 1 << 20

// DecodeError says where and why a flow document could not be read.
// Line and Column are 1-based (Column counts characters); both are 0 when
// the problem has no position, such as a document that is too large.
type DecodeError struct {
	Line    int
	Column  int
	Message string
}

func (e *DecodeError) Error() string {
	if e.Line == 0 {
		return e.Message
	}
	return fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
}

// Problem returns the error as a Problem with code "bad_json".
func (e *DecodeError) Problem() Problem {
	return Problem{Code: CodeBadJSON, Message: e.Message, Line: e.Line, Column: e.Column}
}

// Decode parses a flow document strictly: unknown fields and trailing data
// are errors, reported with line and column as a *DecodeError.
func Decode(data []byte) (*Flow, error) {
	f, derr := decode(data)
	if derr == nil {
		derr = checkStoredSize(f)
	}
	if derr != nil {
		return nil, fmt.Errorf("decode flow: %w", derr)
	}
	return f, nil
}

// checkStoredSize refuses a flow whose canonical form (the form stored and
// exported: indented) is over MaxDocumentSize: a compact file could pass
// here and be stored, yet never be read back by the API, the editor or
// export. One limit, one sentence, for the CLI and the API.
func checkStoredSize(f *Flow) *DecodeError {
	canon, err := Canonical(f)
	if err != nil || len(canon) <= MaxDocumentSize {
		return nil
	}
	return &DecodeError{Message: fmt.Sprintf("The journey takes %d bytes once saved (%d steps); the limit is %d (1 MiB). Split it into smaller journeys.",
		len(canon), len(f.Nodes), MaxDocumentSize)}
}

func decode(data []byte) (*Flow, *DecodeError) {
	if len(data) > MaxDocumentSize {
		return nil, &DecodeError{Message: fmt.Sprintf("The document is %d bytes; the limit is %d (1 MiB).", len(data), MaxDocumentSize)}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &DecodeError{Line: 1, Column: 1, Message: "The document is empty; a flow is a JSON object like {\"id\": ..., \"nodes\": [...]}."}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f Flow
	if err := dec.Decode(&f); err != nil {
		return nil, describeDecodeError(data, err)
	}
	// Anything but white space after the object is an error.
	end := int(dec.InputOffset())
	if rest := skipSpace(data, end); rest < len(data) {
		return nil, at(data, rest, "There is more after the end of the flow object; a document holds exactly one flow.")
	}
	return &f, nil
}

// describeDecodeError turns an encoding/json error into a DecodeError with
// a position and a plain sentence.
func describeDecodeError(data []byte, err error) *DecodeError {
	var syn *json.SyntaxError
	if errors.As(err, &syn) {
		off := int(syn.Offset)
		// The offset is just past the offending byte; point at it.
		if off > 0 {
			off--
		}
		return at(data, off, "The document is not valid JSON: "+syn.Error()+".")
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return at(data, len(data), "The document ends too early; a closing bracket or quote is missing.")
	}
	// Walk the document ourselves to find where the first unknown field or
	// mistyped value is and name it with its full path.
	if d := locateShapeError(data); d != nil {
		return d
	}
	var typ *json.UnmarshalTypeError
	if errors.As(err, &typ) {
		return at(data, int(typ.Offset), fmt.Sprintf("The field %q must be %s, not %s.", typ.Field, jsonKindOfType(typ.Type), article(typ.Value)))
	}
	return &DecodeError{Line: 1, Column: 1, Message: "The document cannot be read: " + err.Error() + "."}
}

// at builds a DecodeError at a byte offset of data.
func at(data []byte, offset int, msg string) *DecodeError {
	line, col := lineColumn(data, offset)
	return &DecodeError{Line: line, Column: col, Message: msg}
}

// lineColumn converts a byte offset into a 1-based line and a 1-based
// column counted in characters.
func lineColumn(data []byte, offset int) (line, col int) {
	if offset > len(data) {
		offset = len(data)
	}
	if offset < 0 {
		offset = 0
	}
	line = 1
	start := 0
	for i := 0; i < offset; i++ {
		if data[i] == '\n' {
			line++
			start = i + 1
		}
	}
	return line, utf8.RuneCount(data[start:offset]) + 1
}

// skipSpace returns the offset of the first non-space byte at or after i.
func skipSpace(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// article names a JSON value kind with its article ("a string").
func article(kind string) string {
	switch kind {
	case "object", "array":
		return "an " + kind
	case "null":
		return "null"
	case "":
		return "something else"
	}
	if len(kind) > 6 && kind[:6] == "number" {
		return "a number"
	}
	return "a " + kind
}
