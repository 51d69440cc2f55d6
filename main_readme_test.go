package main

import (
	"bytes"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// commandsWithFlags are the commands whose flags the README documents.
var commandsWithFlags = []string{"serve", "import", "export", "validate", "token create", "user create", "user password", "demo", "healthcheck"}

// configRow is one flag (or environment-only setting) as documented.
type configRow struct{ flag, env, def string }

var (
	helpLine = regexp.MustCompile(`^  --(\S+)\t(.*) \(default "(.*)"\)$`)
	envInUse = regexp.MustCompile(`\[(JOURNEY_[A-Z0-9_]+)\]`)
)

// TestREADMEConfigurationTableMatchesTheFlags compares the README's
// configuration table with what every command's --help prints: each flag,
// its environment variable, its default and the commands that take it.
func TestREADMEConfigurationTableMatchesTheFlags(t *testing.T) {
	for _, kv := range os.Environ() { // defaults, not this machine's settings
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "JOURNEY_") {
			t.Setenv(k, "")
		}
	}
	actual := map[configRow][]string{}
	for _, cmd := range commandsWithFlags {
		var out, errOut bytes.Buffer
		if code := run(append(strings.Fields(cmd), "--help"), &out, &errOut); code != 0 {
			t.Fatalf("%s --help: exit %d\n%s", cmd, code, errOut.String())
		}
		for _, line := range strings.Split(errOut.String(), "\n") {
			m := helpLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			row := configRow{flag: "--" + m[1], def: m[3]}
			if e := envInUse.FindStringSubmatch(m[2]); e != nil {
				row.env = e[1]
			}
			actual[row] = append(actual[row], cmd)
		}
	}
	if len(actual) < 10 {
		t.Fatalf("found only %d flags in --help output; the parsing is broken", len(actual))
	}

	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "\n## Configuration\n")
	if !ok {
		t.Fatal(`README.md has no "## Configuration" section`)
	}
	section, _, _ = strings.Cut(section, "\n## ")
	documented := map[configRow][]string{}
	for _, line := range strings.Split(section, "\n") {
		if !strings.HasPrefix(line, "| ") || strings.HasPrefix(line, "| flag ") {
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		if len(cells) != 5 {
			t.Fatalf("README configuration row has %d cells, want 5: %s", len(cells), line)
		}
		clean := func(s string) string { return strings.Trim(strings.TrimSpace(s), "`") }
		row := configRow{flag: clean(cells[0]), env: clean(cells[1]), def: clean(cells[2])}
		if row.flag == "" {
			if !strings.HasPrefix(row.env, "JOURNEY_") {
				t.Errorf("README row without a flag must name a JOURNEY_ variable: %s", line)
			}
			continue // environment-only settings (webhook secrets)
		}
		var cmds []string
		for _, c := range strings.Split(cells[3], ",") {
			cmds = append(cmds, strings.TrimSpace(c))
		}
		documented[row] = cmds
	}

	for row, cmds := range actual {
		doc, ok := documented[row]
		if !ok {
			t.Errorf("README configuration table lacks | `%s` | `%s` | `%s` | %s | (from --help)", row.flag, row.env, row.def, strings.Join(cmds, ", "))
			continue
		}
		sort.Strings(cmds)
		sort.Strings(doc)
		if strings.Join(cmds, ",") != strings.Join(doc, ",") {
			t.Errorf("README says %s (%s) is taken by %v; the commands that define it are %v", row.flag, row.env, doc, cmds)
		}
	}
	for row := range documented {
		if _, ok := actual[row]; !ok {
			t.Errorf("README documents %s with variable %q and default %q, which no command defines", row.flag, row.env, row.def)
		}
	}
}

// TestREADMEKeepsItsTwoCommands guards the first two commands a reader runs.
func TestREADMEKeepsItsTwoCommands(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	quick, _, _ := strings.Cut(string(readme), "## Try the demo")
	for _, want := range []string{"```sh\ngo run . serve\n```", "```sh\ngo test -race ./...\n```"} {
		if !strings.Contains(quick, want) {
			t.Errorf("README's quick start lacks %q", want)
		}
	}
}
