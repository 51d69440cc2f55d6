package flows

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// This file finds the first unknown field or mistyped value of a flow
// document, with its position and full path (nodes[2].position.x).
// encoding/json reports unknown fields without a position and type errors
// without array indexes, so after it fails we walk the document token by
// token next to the Go types it decodes into.

var (
	rawMessageType  = reflect.TypeFor[json.RawMessage]()
	unmarshalerType = reflect.TypeFor[json.Unmarshaler]()
)

// shapeWalker walks data and the Flow type together.
type shapeWalker struct {
	data []byte
	dec  *json.Decoder
}

// locateShapeError returns the first shape error of data, or nil.
func locateShapeError(data []byte) *DecodeError {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	w := &shapeWalker{data: data, dec: dec}
	derr, _ := w.value(reflect.TypeFor[Flow](), "")
	return derr
}

// start returns the offset of the next value or key: after white space and
// the ':' or ',' the decoder has not consumed yet.
func (w *shapeWalker) start() int {
	i := int(w.dec.InputOffset())
	for i < len(w.data) {
		switch w.data[i] {
		case ' ', '\t', '\n', '\r', ':', ',':
			i++
		default:
			return i
		}
	}
	return i
}

// value checks the next value against t. A nil DecodeError with a non-nil
// error means the document is broken in a way the walk cannot describe.
func (w *shapeWalker) value(t reflect.Type, path string) (*DecodeError, error) {
	begin := w.start()
	tok, err := w.dec.Token()
	if err != nil {
		return nil, err
	}
	if tok == nil { // null is accepted everywhere, as encoding/json does
		return nil, nil
	}
	if t == rawMessageType || t.Kind() == reflect.Interface {
		return nil, w.skip(tok)
	}
	if reflect.PointerTo(t).Implements(unmarshalerType) {
		if err := w.skip(tok); err != nil {
			return nil, err
		}
		raw := w.data[begin:w.dec.InputOffset()]
		u := reflect.New(t).Interface().(json.Unmarshaler)
		if err := u.UnmarshalJSON(raw); err != nil {
			return at(w.data, begin, unmarshalMessage(path, err)), nil
		}
		return nil, nil
	}
	want := kindOfType(t)
	if got := kindOfToken(tok); got != want {
		return w.mismatch(begin, path, want, got), nil
	}
	switch t.Kind() {
	case reflect.Struct:
		return w.object(t, path)
	case reflect.Map:
		return w.mapValue(t, path)
	case reflect.Slice, reflect.Array:
		return w.array(t, path)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		n, _ := tok.(json.Number)
		if _, err := strconv.ParseInt(n.String(), 10, 64); err != nil {
			return at(w.data, begin, fmt.Sprintf("The field %q must be a whole number, not %s.", display(path), n)), nil
		}
	}
	return nil, nil
}

func (w *shapeWalker) mismatch(begin int, path, want, got string) *DecodeError {
	if path == "" {
		return at(w.data, begin, fmt.Sprintf("The document must be %s, not %s.", article(want), article(got)))
	}
	return at(w.data, begin, fmt.Sprintf("The field %q must be %s, not %s.", display(path), article(want), article(got)))
}

// object checks the members of a JSON object against struct type t.
func (w *shapeWalker) object(t reflect.Type, path string) (*DecodeError, error) {
	for w.dec.More() {
		begin := w.start()
		tok, err := w.dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		field, ok := fieldByJSONName(t, key)
		if !ok {
			msg := fmt.Sprintf("The field %q is not known", key)
			if path != "" {
				msg += " in " + strconv.Quote(display(path))
			}
			if s := suggest(key, jsonNames(t)); s != "" {
				msg += fmt.Sprintf("; did you mean %q?", s)
			} else {
				msg += "."
			}
			return at(w.data, begin, msg), nil
		}
		if derr, err := w.value(field.Type, join(path, jsonName(field))); derr != nil || err != nil {
			return derr, err
		}
	}
	_, err := w.dec.Token() // '}'
	return nil, err
}

func (w *shapeWalker) mapValue(t reflect.Type, path string) (*DecodeError, error) {
	for w.dec.More() {
		tok, err := w.dec.Token()
		if err != nil {
			return nil, err
		}
		key, _ := tok.(string)
		if derr, err := w.value(t.Elem(), join(path, key)); derr != nil || err != nil {
			return derr, err
		}
	}
	_, err := w.dec.Token()
	return nil, err
}

func (w *shapeWalker) array(t reflect.Type, path string) (*DecodeError, error) {
	for i := 0; w.dec.More(); i++ {
		if derr, err := w.value(t.Elem(), fmt.Sprintf("%s[%d]", path, i)); derr != nil || err != nil {
			return derr, err
		}
	}
	_, err := w.dec.Token()
	return nil, err
}

// skip consumes the rest of a value whose first token is tok.
func (w *shapeWalker) skip(tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || d == '}' || d == ']' {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := w.dec.Token()
		if err != nil {
			return err
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// unmarshalMessage explains a value a custom unmarshaler refused.
func unmarshalMessage(path string, err error) string {
	var de *DurationError
	if errors.As(err, &de) {
		return fmt.Sprintf("The field %q needs a duration like \"30d\" or \"48h\"; %s is not one (%s).", display(path), quoteValue(de.Input), de.Reason)
	}
	return fmt.Sprintf("The field %q has a value that cannot be used: %v.", display(path), err)
}

// fieldByJSONName finds the struct field decoded from key, matching the
// way encoding/json does (exact, then case-insensitive).
func fieldByJSONName(t reflect.Type, key string) (reflect.StructField, bool) {
	var fold reflect.StructField
	found := false
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name := jsonName(f)
		if name == "-" || !f.IsExported() {
			continue
		}
		if name == key {
			return f, true
		}
		if !found && strings.EqualFold(name, key) {
			fold, found = f, true
		}
	}
	return fold, found
}

// jsonName is the JSON key of a struct field.
func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if name, _, _ := strings.Cut(tag, ","); name != "" {
		return name
	}
	return f.Name
}

func jsonNames(t reflect.Type) []string {
	var names []string
	for i := 0; i < t.NumField(); i++ {
		if n := jsonName(t.Field(i)); n != "-" && t.Field(i).IsExported() {
			names = append(names, n)
		}
	}
	return names
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// display returns path for a message ("the document" for the root).
func display(path string) string {
	if path == "" {
		return "(document)"
	}
	return path
}

// kindOfType names the JSON kind a Go type decodes from.
func kindOfType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.String:
		return "string"
	case reflect.Bool:
		return "boolean"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Pointer:
		return kindOfType(t.Elem())
	}
	return "value"
}

// jsonKindOfType is kindOfType with an article, for messages.
func jsonKindOfType(t reflect.Type) string {
	if t == nil {
		return "a different kind of value"
	}
	return article(kindOfType(t))
}

// kindOfToken names the JSON kind of the first token of a value.
func kindOfToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "object"
		}
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number, float64:
		return "number"
	}
	return "null"
}
