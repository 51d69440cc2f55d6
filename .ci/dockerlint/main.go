// Command dockerlint checks the Dockerfile without a Docker engine: it runs
// BuildKit's own lint rules (the ones "docker build --check" runs) with an
// offline image resolver, then this project's rules for the image (pinned
// base images, cgo build, non-root user, /data volume, health check).
// Usage: go run . ../../Dockerfile
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"

	"github.com/moby/buildkit/client/llb"
	"github.com/moby/buildkit/client/llb/sourceresolver"
	"github.com/moby/buildkit/frontend/dockerfile/dockerfile2llb"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/opencontainers/go-digest"
)

// offlineResolver answers every base image with a minimal Linux config,
// so linting needs no registry.
type offlineResolver struct{}

func (offlineResolver) ResolveImageConfig(_ context.Context, ref string, _ sourceresolver.Opt) (string, digest.Digest, []byte, error) {
	cfg, err := json.Marshal(map[string]any{
		"architecture": runtime.GOARCH, "os": "linux",
		"config": map[string]any{"Env": []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}},
	})
	if err != nil {
		return "", "", nil, err
	}
	return ref, digest.FromBytes(cfg), cfg, nil
}

func main() {
	path := "Dockerfile"
	if len(os.Args) > 1 {
		path = os.Args[1]
	}
	problems, err := check(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, "dockerlint:", err)
		os.Exit(2)
	}
	for _, p := range problems {
		fmt.Println(p)
	}
	if len(problems) > 0 {
		fmt.Printf("%s: %d problem(s)\n", path, len(problems))
		os.Exit(1)
	}
	fmt.Printf("%s: BuildKit lint rules and project rules pass\n", path)
}

func check(path string) ([]string, error) {
	dt, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	problems, err := buildkitLint(path, dt)
	if err != nil {
		return nil, err
	}
	rules, err := projectRules(path, dt)
	if err != nil {
		return nil, err
	}
	return append(problems, rules...), nil
}

// buildkitLint runs BuildKit's Dockerfile lint rules.
func buildkitLint(path string, dt []byte) ([]string, error) {
	st := llb.Local("dockerfile")
	def, err := st.Marshal(context.Background())
	if err != nil {
		return nil, err
	}
	src := llb.NewSourceMap(&st, filepath.Base(path), "Dockerfile", dt)
	src.Definition = def
	res, err := dockerfile2llb.DockerfileLint(context.Background(), dt, dockerfile2llb.ConvertOpt{
		SourceMap: src, MetaResolver: offlineResolver{},
	})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, w := range res.Warnings {
		line := 0
		if w.Location != nil && len(w.Location.Ranges) > 0 {
			line = int(w.Location.Ranges[0].Start.Line)
		}
		out = append(out, fmt.Sprintf("%s:%d: BuildKit %s: %s", path, line, w.RuleName, w.Detail))
	}
	if res.Error != nil {
		out = append(out, fmt.Sprintf("%s: BuildKit cannot build it: %s", path, res.Error.Message))
	}
	return out, nil
}

// instruction is one Dockerfile instruction with its stage.
type instruction struct {
	stage int
	cmd   string // lower case: from, run, env...
	text  string // the original text, continuations joined
	line  int
}

var (
	pinnedTag = regexp.MustCompile(`^[^:@\s]+(:[A-Za-z0-9_.${}-]+|@sha256:[0-9a-f]{64})$`)
	fromArg   = regexp.MustCompile(`\$\{?([A-Z_]+)`)
)

// projectRules are this project's requirements for its image.
func projectRules(path string, dt []byte) ([]string, error) {
	res, err := parser.Parse(bytes.NewReader(dt))
	if err != nil {
		return nil, err
	}
	var ins []instruction
	stage := -1
	args := map[string]string{}
	for _, n := range res.AST.Children {
		cmd := strings.ToLower(n.Value)
		if cmd == "from" {
			stage++
		}
		if cmd == "arg" && stage < 0 && n.Next != nil {
			if k, v, ok := strings.Cut(n.Next.Value, "="); ok {
				args[k] = v
			}
		}
		ins = append(ins, instruction{stage: stage, cmd: cmd, text: n.Original, line: n.StartLine})
	}
	var out []string
	bad := func(line int, format string, a ...any) {
		at := path
		if line > 0 {
			at = fmt.Sprintf("%s:%d", path, line)
		}
		out = append(out, at+": "+fmt.Sprintf(format, a...))
	}
	last := stage
	var final []instruction
	seen := map[string]bool{}
	for _, in := range ins {
		if in.stage == last {
			final = append(final, in)
			seen[in.cmd] = true
		}
		if in.cmd == "from" {
			fields := strings.Fields(in.text)
			image := ""
			for _, f := range fields[1:] {
				if !strings.HasPrefix(f, "--") {
					image = f
					break
				}
			}
			expanded := fromArg.ReplaceAllStringFunc(image, func(m string) string {
				name := strings.TrimLeft(m, "${")
				return args[name]
			})
			expanded = strings.ReplaceAll(expanded, "}", "")
			if !pinnedTag.MatchString(expanded) || strings.HasSuffix(expanded, ":latest") {
				bad(in.line, "base image %q (%s) must carry a pinned tag, never :latest or none", image, expanded)
			}
		}
	}
	all := strings.ToLower(string(dt))
	for _, want := range []struct{ text, why string }{
		{"cgo_enabled=1", "the Go build needs CGO_ENABLED=1 (SQLite is mattn/go-sqlite3)"},
		{"-trimpath", "the Go build uses -trimpath"},
		{"-x main.version=", "the Go build sets main.version with -ldflags"},
		{"npm ci", "the editor stage installs with npm ci"},
	} {
		if !strings.Contains(all, want.text) {
			bad(0, "%s", want.why)
		}
	}
	finalText := ""
	for _, in := range final {
		finalText += strings.ToLower(in.text) + "\n"
	}
	for _, req := range []struct{ cmd, why string }{
		{"user", "the runtime stage runs as a non-root USER"},
		{"healthcheck", "the runtime stage has a HEALTHCHECK"},
	} {
		if !seen[req.cmd] {
			bad(0, "%s", req.why)
		}
	}
	for _, in := range final {
		lower := strings.ToLower(in.text)
		switch in.cmd {
		case "user":
			u := strings.TrimSpace(strings.TrimPrefix(lower, "user"))
			if u == "root" || u == "0" || strings.HasPrefix(u, "0:") || strings.HasPrefix(u, "root:") {
				bad(in.line, "the runtime user must not be root")
			}
		case "healthcheck":
			if !strings.Contains(lower, "/healthz") && !strings.Contains(lower, "healthcheck\"") && !strings.Contains(lower, " healthcheck") {
				bad(in.line, "HEALTHCHECK must check /healthz (journey healthcheck does)")
			}
		}
	}
	for _, want := range []struct{ text, why string }{
		{"expose 8080", "EXPOSE 8080"},
		{`volume ["/data"]`, `VOLUME ["/data"]`},
		{"journey_db=sqlite:///data/app.db", "ENV JOURNEY_DB=sqlite:///data/app.db"},
		{"journey_addr=0.0.0.0:8080", "ENV JOURNEY_ADDR=0.0.0.0:8080"},
	} {
		if !strings.Contains(finalText, want.text) {
			bad(0, "the runtime stage needs %s", want.why)
		}
	}
	ignore, err := os.ReadFile(filepath.Join(filepath.Dir(path), ".dockerignore"))
	if err != nil {
		bad(0, ".dockerignore is missing next to the Dockerfile")
	} else {
		for _, want := range []string{".git", "node_modules", "*.db"} {
			if !strings.Contains(string(ignore), want) {
				bad(0, ".dockerignore should leave out %s", want)
			}
		}
	}
	return out, nil
}
