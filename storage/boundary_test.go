package storage_test

import (
	osexec "os/exec"
	"strings"
	"testing"
)

// TestOnlyStorageImportsGORM: GORM and SQL live in storage/ alone (DESIGN
// "One storage boundary"). Every other package of the module, its tests
// included, reaches the database through storage's functions, and the
// test helpers of storagetest stay out of the code that ships.
func TestOnlyStorageImportsGORM(t *testing.T) {
	t.Parallel()
	if _, err := osexec.LookPath("go"); err != nil {
		t.Skip("the go command is not installed")
	}
	out, err := osexec.Command("go", "list", "-f", "{{.ImportPath}}", ".").Output()
	if err != nil {
		t.Fatalf("go list .: %v", err)
	}
	self := strings.TrimSpace(string(out)) // .../storage
	root, err := osexec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
	if err != nil {
		t.Fatalf("go list -m: %v", err)
	}
	cmd := osexec.Command("go", "list", "-e", "-f",
		`{{.ImportPath}}|{{join .Imports " "}}|{{join .TestImports " "}}|{{join .XTestImports " "}}`, "./...")
	cmd.Dir = strings.TrimSpace(string(root))
	out, err = cmd.Output()
	if err != nil {
		t.Fatalf("go list ./...: %v", err)
	}
	checked := 0
	for line := range strings.Lines(string(out)) {
		f := strings.Split(strings.TrimSpace(line), "|")
		if len(f) != 4 {
			t.Fatalf("go list printed %q", line)
		}
		pkg := f[0]
		if pkg == self || strings.HasPrefix(pkg, self+"/") {
			continue
		}
		checked++
		for i, kind := range []string{"imports", "its tests import", "its external tests import"} {
			for imp := range strings.FieldsSeq(f[1+i]) {
				if strings.HasPrefix(imp, "gorm.io/") {
					t.Errorf("%s %s %s: only storage may use GORM (use or add a function of package storage, or a helper in storage/storagetest for tests)", pkg, kind, imp)
				}
				if i == 0 && imp == self+"/storagetest" {
					t.Errorf("%s imports %s: test helpers stay out of the code that ships", pkg, imp)
				}
			}
		}
	}
	if checked == 0 {
		t.Fatal("go list found no package outside storage")
	}
}
