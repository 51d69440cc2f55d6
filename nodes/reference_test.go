package nodes_test

import (
	"bytes"
	"flag"
	"os"
	"testing"

	"github.com/journeyhq/journey/nodes"
	_ "github.com/journeyhq/journey/nodes/connectors/all" // the vendors the reference lists
)

var update = flag.Bool("update", false, "rewrite golden files (REFERENCE.md)")

// referencePath is the committed node reference.
const referencePath = "REFERENCE.md"

func TestReferenceIsUpToDate(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	if err := nodes.WriteReference(&buf, nodes.Builtin()); err != nil {
		t.Fatalf("WriteReference: %v", err)
	}
	if *update {
		if err := os.WriteFile(referencePath, buf.Bytes(), 0o644); err != nil {
			t.Fatalf("write %s: %v", referencePath, err)
		}
		return
	}
	want, err := os.ReadFile(referencePath)
	if err != nil {
		t.Fatalf("read %s: %v (run go test ./nodes -run TestReferenceIsUpToDate -update)", referencePath, err)
	}
	if !bytes.Equal(buf.Bytes(), want) {
		t.Fatalf("%s is stale: run go test ./nodes -run TestReferenceIsUpToDate -update", referencePath)
	}
}

func TestReferenceIsDeterministic(t *testing.T) {
	t.Parallel()
	var a, b bytes.Buffer
	if err := nodes.WriteReference(&a, nodes.Builtin()); err != nil {
		t.Fatalf("WriteReference: %v", err)
	}
	if err := nodes.WriteReference(&b, nodes.Builtin()); err != nil {
		t.Fatalf("WriteReference: %v", err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatalf("two renderings differ")
	}
}
