package server_test

import (
	"encoding/json"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/journeyhq/journey/server"
)

// openAPIDoc is the part of the OpenAPI document the tests read.
type openAPIDoc struct {
	OpenAPI    string                                `json:"openapi"`
	Security   []map[string][]string                 `json:"security"`
	Paths      map[string]map[string]json.RawMessage `json:"paths"`
	Components struct {
		SecuritySchemes map[string]json.RawMessage `json:"securitySchemes"`
	} `json:"components"`
}

type openAPIOperation struct {
	Security   *[]map[string][]string `json:"security"`
	Parameters []struct {
		Name string `json:"name"`
		In   string `json:"in"`
	} `json:"parameters"`
	Responses map[string]json.RawMessage `json:"responses"`
}

var httpMethods = map[string]bool{"get": true, "put": true, "post": true, "delete": true, "patch": true, "head": true, "options": true}

func loadOpenAPI(t *testing.T) (openAPIDoc, map[string]any) {
	t.Helper()
	var doc openAPIDoc
	if err := json.Unmarshal(server.OpenAPI(), &doc); err != nil {
		t.Fatalf("server/openapi.json is not valid JSON: %v", err)
	}
	var raw map[string]any
	_ = json.Unmarshal(server.OpenAPI(), &raw)
	return doc, raw
}

var fiberParam = regexp.MustCompile(`:([A-Za-z0-9_]+)\??`)

// openAPIPath turns a Fiber route path into an OpenAPI path template:
// :id becomes {id} and the wildcard * becomes {path}.
func openAPIPath(p string) string {
	p = fiberParam.ReplaceAllString(p, "{$1}")
	return strings.ReplaceAll(p, "*", "{path}")
}

// TestOpenAPIDescribesEveryRoute walks the Fiber route table: a route the
// server serves must be in server/openapi.json, and the document must not
// list a route the server does not serve. Only the editor's catch-all
// (GET /*) is left out.
func TestOpenAPIDescribesEveryRoute(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc, _ := loadOpenAPI(t)
	served := map[string]bool{}
	for _, r := range b.srv.App().GetRoutes(true) {
		if r.Method == http.MethodHead || r.Method == http.MethodConnect || r.Method == http.MethodTrace || r.Method == http.MethodOptions {
			continue
		}
		if r.Path == "/*" || r.Path == "/" {
			continue // the editor (single-page app), not an API
		}
		served[strings.ToLower(r.Method)+" "+openAPIPath(r.Path)] = true
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			if httpMethods[method] {
				documented[method+" "+path] = true
			}
		}
	}
	var problems []string
	for k := range served {
		if !documented[k] {
			method, path, _ := strings.Cut(k, " ")
			problems = append(problems, "the server serves "+strings.ToUpper(method)+" "+path+
				" but server/openapi.json does not describe it: add paths[\""+path+"\"]."+method)
		}
	}
	for k := range documented {
		if !served[k] {
			method, path, _ := strings.Cut(k, " ")
			problems = append(problems, "server/openapi.json describes "+strings.ToUpper(method)+" "+path+
				", which the server does not serve: remove it or register the route")
		}
	}
	sort.Strings(problems)
	for _, p := range problems {
		t.Error(p)
	}
	if len(served) < 30 {
		t.Fatalf("only %d routes found; the route walk is broken", len(served))
	}
}

// TestOpenAPIDocumentIsConsistent checks what a validator would: version,
// every $ref resolves, path parameters are declared, every operation has
// responses, and only declared security schemes are used.
func TestOpenAPIDocumentIsConsistent(t *testing.T) {
	t.Parallel()
	doc, raw := loadOpenAPI(t)
	if doc.OpenAPI != "3.1.0" {
		t.Fatalf("openapi = %q, want 3.1.0", doc.OpenAPI)
	}
	for _, req := range doc.Security {
		for name := range req {
			if doc.Components.SecuritySchemes[name] == nil {
				t.Errorf("security scheme %q is not declared", name)
			}
		}
	}
	for _, want := range []string{"cookieAuth", "bearerAuth"} {
		if doc.Components.SecuritySchemes[want] == nil {
			t.Errorf("security scheme %s is missing", want)
		}
	}
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch v := v.(type) {
		case map[string]any:
			if ref, ok := v["$ref"].(string); ok {
				if !resolves(raw, ref) {
					t.Errorf("%s: $ref %q does not resolve", at, ref)
				}
			}
			for k, x := range v {
				walk(at+"/"+k, x)
			}
		case []any:
			for _, x := range v {
				walk(at, x)
			}
		}
	}
	walk("#", raw)

	templateParam := regexp.MustCompile(`\{([^}]+)\}`)
	for path, ops := range doc.Paths {
		for method, body := range ops {
			if !httpMethods[method] {
				continue
			}
			var op openAPIOperation
			if err := json.Unmarshal(body, &op); err != nil {
				t.Fatalf("%s %s: %v", method, path, err)
			}
			if len(op.Responses) == 0 {
				t.Errorf("%s %s has no responses", method, path)
			}
			declared := map[string]bool{}
			for _, p := range op.Parameters {
				if p.In == "path" {
					declared[p.Name] = true
				}
			}
			for _, m := range templateParam.FindAllStringSubmatch(path, -1) {
				if !declared[m[1]] {
					t.Errorf("%s %s: path parameter {%s} is not declared", method, path, m[1])
				}
				delete(declared, m[1])
			}
			for name := range declared {
				t.Errorf("%s %s declares path parameter %q that the path lacks", method, path, name)
			}
		}
	}
}

// resolves reports whether a local JSON pointer like
// #/components/schemas/Flow names something in doc.
func resolves(doc map[string]any, ref string) bool {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return false
	}
	var cur any = doc
	for _, part := range strings.Split(rest, "/") {
		m, ok := cur.(map[string]any)
		if !ok {
			return false
		}
		if cur, ok = m[part]; !ok {
			return false
		}
	}
	return true
}

// TestOpenAPISecurityMatchesTheServer sends every documented operation
// without credentials: an operation marked public must not answer 401 for
// lack of them, and every other one must.
func TestOpenAPISecurityMatchesTheServer(t *testing.T) {
	t.Parallel()
	b := setup(t)
	doc, _ := loadOpenAPI(t)
	templateParam := regexp.MustCompile(`\{[^}]+\}`)
	for path, ops := range doc.Paths {
		for method, body := range ops {
			if !httpMethods[method] {
				continue
			}
			var op openAPIOperation
			if err := json.Unmarshal(body, &op); err != nil {
				t.Fatal(err)
			}
			public := op.Security != nil && len(*op.Security) == 0
			url := templateParam.ReplaceAllString(path, "x")
			res := b.request(t, strings.ToUpper(method), url, "")
			switch {
			case public && res.status == http.StatusUnauthorized:
				t.Errorf("%s %s is documented as public but answers 401: %s", strings.ToUpper(method), path, res.body)
			case !public && res.status != http.StatusUnauthorized:
				t.Errorf("%s %s is documented as needing credentials but answers %d without them", strings.ToUpper(method), path, res.status)
			}
		}
	}
}

func TestOpenAPIIsServedPublicly(t *testing.T) {
	t.Parallel()
	b := setup(t)
	res := b.request(t, "GET", "/api/v1/openapi.json", "")
	if res.status != http.StatusOK || res.body != string(server.OpenAPI()) {
		t.Fatalf("GET /api/v1/openapi.json: %d, %d bytes", res.status, len(res.body))
	}
	if ct := res.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("content type %q", ct)
	}
}
