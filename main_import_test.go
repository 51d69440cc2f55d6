package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func cliFlow(id, path string) string {
	return `{"id": "` + id + `", "name": "Flow ` + id + `", "nodes": [
	  {"id": "hook", "type": "trigger.webhook", "params": {"path": "` + path + `"}, "position": {"x": 0, "y": 0}},
	  {"id": "save", "type": "crm.upsert_contact", "params": {"email": "{{ trigger.email }}"}, "position": {"x": 0, "y": 100}}
	], "edges": [{"from": "hook", "to": "save"}]}`
}

func TestCLIImportDirectoryRefusesEverythingWhenOneFileIsInvalid(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	writeFile(t, filepath.Join(dir, "a-good.json"), cliFlow("good", "good"))
	writeFile(t, filepath.Join(dir, "b-bad.json"), `{"id": "bad", "name": "Bad", "nodes": [
	  {"id": "hook", "type": "trigger.webhook", "params": {"path": "bad"}, "position": {"x": 0, "y": 0}},
	  {"id": "later", "type": "wait.delay", "params": {"mode": "duration", "duration": "2 weeks-ish"}, "position": {"x": 0, "y": 0}},
	  {"id": "odd", "type": "crm.teleport", "position": {"x": 0, "y": 0}}
	], "edges": [{"from": "hook", "to": "later"}, {"from": "later", "to": "odd"}]}`)
	writeFile(t, filepath.Join(dir, "c-broken.json"), `{"id": "broken", "nodes": [}`)
	writeFile(t, filepath.Join(dir, "notes.txt"), "not a flow")

	out, code := runCLI(t, "import", "--db", db, "--publish", dir)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, out)
	}
	for _, want := range []string{
		"b-bad.json: 2 problem(s)", "[node later, param duration]", "[node odd]", `"crm.teleport", which does not exist`,
		"c-broken.json: decode flow: line 1", "nothing was imported",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "a-good.json") || strings.Contains(out, "notes.txt") {
		t.Errorf("output mentions a valid or non-JSON file:\n%s", out)
	}
	if out, code := runCLI(t, "export", "--db", db, "good"); code == 0 {
		t.Fatalf("the valid flow was imported although another file was invalid:\n%s", out)
	}
}

func TestCLIImportDryRunAndVersions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	dbPath := filepath.Join(t.TempDir(), "app.db")
	db := "sqlite://" + dbPath
	file := filepath.Join(dir, "f.json")
	writeFile(t, file, cliFlow("f", "hook-f"))

	out, code := runCLI(t, "import", "--db", db, "--publish", "--dry-run", file)
	if code != 0 || !strings.Contains(out, "f: would be created, would be published as version 1") || !strings.Contains(out, "nothing was written") {
		t.Fatalf("dry run: exit %d\n%s", code, out)
	}
	if _, err := os.Stat(dbPath); !os.IsNotExist(err) {
		t.Fatalf("a dry run created the database file (%v)", err)
	}

	out, code = runCLI(t, "import", "--db", db, "--publish", file)
	if code != 0 || !strings.Contains(out, "f: created, published as version 1") {
		t.Fatalf("import: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "import", "--db", db, "--publish", file)
	if code != 0 || !strings.Contains(out, "f: draft unchanged, published version 1 stays current") {
		t.Fatalf("re-import: exit %d\n%s", code, out)
	}
	writeFile(t, file, strings.Replace(cliFlow("f", "hook-f"), "Flow f", "Flow f, renamed", 1))
	out, code = runCLI(t, "import", "--db", db, "--publish", "--dry-run", file)
	if code != 0 || !strings.Contains(out, "f: draft would be replaced, would be published as version 2") {
		t.Fatalf("dry run of a change: exit %d\n%s", code, out)
	}
	out, code = runCLI(t, "import", "--db", db, "--publish", file)
	if code != 0 || !strings.Contains(out, "f: draft replaced, published as version 2") {
		t.Fatalf("import of a change: exit %d\n%s", code, out)
	}
	v1, code := runCLI(t, "export", "--db", db, "--version", "1", "f")
	if code != 0 || strings.Contains(v1, "renamed") {
		t.Fatalf("version 1 must stay as it was published (exit %d):\n%s", code, v1)
	}
	if out, code := runCLI(t, "export", "--db", db, "--version", "9", "f"); code == 0 || !strings.Contains(out, "no published version 9") {
		t.Fatalf("export of a missing version: exit %d\n%s", code, out)
	}
}

func TestCLIExportImportExportIsByteIdentical(t *testing.T) {
	t.Parallel()
	tmp := t.TempDir()
	db1 := "sqlite://" + filepath.Join(tmp, "one.db")
	db2 := "sqlite://" + filepath.Join(tmp, "two.db")
	if out, code := runCLI(t, "import", "--db", db1, "flows/templates"); code != 0 {
		t.Fatalf("import templates: exit %d\n%s", code, out)
	}
	exported := filepath.Join(tmp, "git")
	out, code := runCLI(t, "export", "--db", db1, "--dir", exported)
	if code != 0 {
		t.Fatalf("export --dir: exit %d\n%s", code, out)
	}
	files, _ := filepath.Glob(filepath.Join(exported, "*.json"))
	templates, _ := filepath.Glob("flows/templates/*.json")
	if len(files) != len(templates) {
		t.Fatalf("exported %d files, want %d (one per template)\n%s", len(files), len(templates), out)
	}
	if out, code := runCLI(t, "import", "--db", db2, "--publish", exported); code != 0 {
		t.Fatalf("import of the export: exit %d\n%s", code, out)
	}
	for _, f := range files {
		first, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		id := strings.TrimSuffix(filepath.Base(f), ".json")
		second, code := runCLI(t, "export", "--db", db2, id)
		if code != 0 || second != string(first) {
			t.Fatalf("%s: export -> import -> export differs (exit %d):\n%s\n---\n%s", id, code, first, second)
		}
		if !strings.HasSuffix(second, "}\n") || !strings.HasPrefix(second, "{\n  \"description\"") {
			t.Fatalf("%s: not the canonical form (sorted keys, trailing newline):\n%s", id, second)
		}
	}
}

func TestCLIImportWithMissingCredentialsKeepsADraftAndSaysWhatToAdd(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	db := "sqlite://" + filepath.Join(t.TempDir(), "app.db")
	doc, err := os.ReadFile(filepath.Join("flows", "templates", "welcome-no-open-sms.json"))
	if err != nil {
		t.Fatal(err)
	}
	// The team's copy names its SMTP account, which this server lacks.
	team := strings.Replace(string(doc), `"subject": "Welcome, {{ contact.first_name }}!",`,
		`"subject": "Welcome, {{ contact.first_name }}!", "credential": "smtp-team",`, 1)
	if team == string(doc) {
		t.Fatal("the welcome template changed: cannot name an account on its email step")
	}
	writeFile(t, filepath.Join(dir, "welcome.json"), team)

	out, code := runCLI(t, "import", "--db", db, "--publish", filepath.Join(dir, "welcome.json"))
	if code != 0 {
		t.Fatalf("exit %d, want 0 (imported as a draft)\n%s", code, out)
	}
	for _, want := range []string{
		"welcome-no-open-sms: created, kept as a draft until these accounts are added:",
		`[node welcome_email, param credential] The step "Send the welcome email" uses the account "smtp-team"`,
		`add a credential of kind "smtp"`,
		"sandbox: the messages of sms_reminder stay in the sandbox outbox",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "published as version") {
		t.Errorf("the flow was published although its account is missing:\n%s", out)
	}
	// The draft is there, as imported.
	if out, code := runCLI(t, "export", "--db", db, "welcome-no-open-sms"); code != 0 || !strings.Contains(out, `"credential": "smtp-team"`) {
		t.Fatalf("export (exit %d):\n%s", code, out)
	}
	// The shipped template, with no account chosen, publishes and uses the sandbox.
	out, code = runCLI(t, "import", "--db", db, "--publish", filepath.Join("flows", "templates", "welcome-no-open-sms.json"))
	if code != 0 || !strings.Contains(out, "published as version 1") || !strings.Contains(out, "sandbox: the messages of welcome_email, sms_reminder") {
		t.Fatalf("import of the shipped template (exit %d):\n%s", code, out)
	}
}
