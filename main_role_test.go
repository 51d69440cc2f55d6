package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestServeRefusesRolesThatCannotWork(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown role", []string{"--role", "cron"}, `bad --role "cron"`},
		{"web on SQLite", []string{"--role", "web", "--db", "sqlite://" + t.TempDir() + "/app.db"}, "needs a PostgreSQL database"},
		{"worker on SQLite", []string{"--role", "worker", "--db", "sqlite://" + t.TempDir() + "/app.db"}, "needs a PostgreSQL database"},
		{"lease too short", []string{"--lease", "10ms", "--db", "sqlite://" + t.TempDir() + "/app.db"}, "bad --lease"},
		{"no vendor calls", []string{"--vendor-concurrency", "0", "--db", "sqlite://" + t.TempDir() + "/app.db"}, "bad --vendor-concurrency 0"},
		{"negative backlog", []string{"--max-backlog", "-1", "--db", "sqlite://" + t.TempDir() + "/app.db"}, "bad --max-backlog -1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, errOut bytes.Buffer
			code := run(append([]string{"serve", "--addr", "127.0.0.1:0"}, tc.args...), &out, &errOut)
			if code != 2 || !strings.Contains(errOut.String(), tc.want) {
				t.Fatalf("exit %d, stderr %q; want exit 2 mentioning %q", code, errOut.String(), tc.want)
			}
		})
	}
}
