package flows

import (
	"strings"
	"testing"
)

func TestCanonicalSortsKeysAndIsAFixedPoint(t *testing.T) {
	t.Parallel()
	doc := `{"name":"N","id":"a","nodes":[{"type":"x.y","id":"n","params":{"z":1e3,"a":"<b> & {{ c }}","m":{"y":1,"b":2}},"position":{"y":2.5,"x":-1}}],"edges":[],"settings":{}}`
	f, err := Decode([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	out, err := Canonical(f)
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "edges": [],
  "id": "a",
  "name": "N",
  "nodes": [
    {
      "id": "n",
      "params": {
        "a": "<b> & {{ c }}",
        "m": {
          "b": 2,
          "y": 1
        },
        "z": 1e3
      },
      "position": {
        "x": -1,
        "y": 2.5
      },
      "type": "x.y"
    }
  ],
  "settings": {
    "reentry": {}
  }
}
`
	if string(out) != want {
		t.Fatalf("canonical form:\n%s\nwant:\n%s", out, want)
	}
	again, err := Decode(out)
	if err != nil {
		t.Fatal(err)
	}
	out2, err := Canonical(again)
	if err != nil {
		t.Fatal(err)
	}
	if string(out2) != string(out) {
		t.Fatalf("second encoding differs:\n%s", out2)
	}
	if !strings.HasSuffix(string(out), "}\n") || strings.HasSuffix(string(out), "\n\n") {
		t.Fatalf("want exactly one trailing newline")
	}
}
