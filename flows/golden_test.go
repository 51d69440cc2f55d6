package flows

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the expected part of testdata golden files")

const goldenSeparator = "----------"

// TestValidateGolden runs every flows/testdata/validate/*.golden file: the
// input flow, a "----------" line, then the expected problems one per line
// (or, for a valid flow, "valid" and where each port leads).
func TestValidateGolden(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob(filepath.Join("testdata", "validate", "*.golden"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("no golden files found")
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".golden")
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			input, want, ok := splitGolden(data)
			if !ok {
				t.Fatalf("%s: no %q line between input and expected output", file, goldenSeparator)
			}
			got := goldenOutput(input)
			if *update {
				out := append(append(bytes.Clone(input), goldenSeparator+"\n"...), got...)
				if err := os.WriteFile(file, out, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			if got != want {
				t.Errorf("%s: output differs (run with -update to accept)\n--- got\n%s--- want\n%s", file, got, want)
			}
		})
	}
}

// splitGolden splits a golden file at its separator line.
func splitGolden(data []byte) (input []byte, want string, ok bool) {
	sep := []byte("\n" + goldenSeparator + "\n")
	i := bytes.Index(data, sep)
	if i < 0 {
		return nil, "", false
	}
	return data[:i+1], string(data[i+len(sep):]), true
}

// goldenOutput decodes and compiles input and describes the result.
func goldenOutput(input []byte) string {
	var b strings.Builder
	f, err := Decode(input)
	if err != nil {
		var de *DecodeError
		if !errors.As(err, &de) {
			return "unexpected error: " + err.Error() + "\n"
		}
		b.WriteString(de.Problem().String() + "\n")
		return b.String()
	}
	c, problems := Compile(f, testCatalog())
	if len(problems) > 0 {
		for _, p := range problems {
			b.WriteString(p.String() + "\n")
		}
		return b.String()
	}
	b.WriteString("valid\n")
	for _, n := range f.Nodes {
		cn := c.Nodes[n.ID]
		ports := make([]string, 0, len(cn.Next))
		for p := range cn.Next {
			ports = append(ports, p)
		}
		slices.Sort(ports)
		for _, p := range ports {
			fmt.Fprintf(&b, "next node=%s port=%s -> %s\n", n.ID, p, strings.Join(cn.Next[p], ", "))
		}
	}
	return b.String()
}
