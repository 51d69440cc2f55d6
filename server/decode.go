package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"
)

// jsonProblem locates a problem in a request body.
type jsonProblem struct {
	Code    string `json:"code"`
	Message string `json:"message"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
}

// decodeJSON decodes the request body into v strictly: unknown fields,
// wrong types and trailing data are 400 errors that say where.
func decodeJSON(c *fiber.Ctx, v any) error {
	return decodeStrict(c.Body(), v)
}

func decodeStrict(body []byte, v any) error {
	if len(bytes.TrimSpace(body)) == 0 {
		return badRequest("The request body is empty; send a JSON object.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(body, err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return bodyError(body, int(dec.InputOffset()), "There is more after the JSON value; send exactly one JSON object.")
	}
	return nil
}

// jsonError turns an encoding/json error into a located 400.
func jsonError(body []byte, err error) error {
	var (
		syntax *json.SyntaxError
		typ    *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syntax):
		return bodyError(body, int(syntax.Offset), "The request body is not valid JSON: "+syntax.Error()+".")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return bodyError(body, int(typ.Offset), "The request body must be a JSON object.")
		}
		return bodyError(body, int(typ.Offset), "The field \""+field+"\" must be "+article(typ.Type.Kind().String())+", not "+typ.Value+".")
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return bodyError(body, len(body), "The request body ends too early; the JSON is incomplete.")
	}
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "json: unknown field "); ok {
		return badRequest("The request body has the unknown field %s.", name)
	}
	return badRequest("The request body could not be read: %s.", msg)
}

// bodyError is a 400 located at a byte offset of the body.
func bodyError(body []byte, offset int, msg string) error {
	line, col := lineColumn(body, offset)
	return &apiError{Status: 400, Code: codeBadRequest, Message: msg,
		Details: []jsonProblem{{Code: "bad_json", Message: msg, Line: line, Column: col}}}
}

// lineColumn converts a byte offset to a 1-based line and column
// (columns count characters).
func lineColumn(data []byte, offset int) (line, col int) {
	offset = min(max(offset, 0), len(data))
	before := data[:offset]
	line = bytes.Count(before, []byte{'\n'}) + 1
	start := bytes.LastIndexByte(before, '\n') + 1
	return line, utf8.RuneCount(before[start:]) + 1
}

func article(kind string) string {
	switch kind {
	case "map", "struct":
		return "an object"
	case "slice", "array":
		return "a list"
	case "string":
		return "a text"
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "uint", "uint64", "float64", "float32":
		return "a number"
	}
	return "a " + kind
}

// param returns a path parameter, unescaped and copied (it may outlive the
// handler).
func param(c *fiber.Ctx, name string) string {
	raw := c.Params(name)
	if v, err := url.PathUnescape(raw); err == nil {
		return strings.Clone(v)
	}
	return strings.Clone(raw)
}

// query returns a query parameter, copied.
func query(c *fiber.Ctx, name string) string {
	return strings.Clone(c.Query(name))
}

// page reads limit and offset from the query (limit 1..1000, default 50).
func page(c *fiber.Ctx) (limit, offset int, err error) {
	limit, offset = 50, 0
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return 0, 0, badRequest("limit must be a whole number from 1 to 1000.")
		}
		limit = n
	}
	if v := c.Query("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return 0, 0, badRequest("offset must be a whole number, 0 or more.")
		}
		offset = n
	}
	return limit, offset, nil
}

// rawJSON returns a stored JSON document as raw JSON for a response: empty
// text becomes null, and text that is not JSON becomes a JSON string.
func rawJSON(s string) json.RawMessage {
	if strings.TrimSpace(s) == "" {
		return json.RawMessage("null")
	}
	if json.Valid([]byte(s)) {
		return json.RawMessage(s)
	}
	b, _ := json.Marshal(s)
	return b
}
