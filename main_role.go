package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/storage"
)

// Roles of serve. Several instances on one PostgreSQL database may split
// the work: web instances take webhooks, the API and the editor; worker
// instances claim jobs (steps, delays, timeouts, schedule ticks).
const (
	roleAll    = "all"
	roleWeb    = "web"
	roleWorker = "worker"
)

// scaleFlags adds the settings that matter when instances share a database.
func scaleFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.Role, "role", envOr("JOURNEY_ROLE", roleAll),
		"what this instance runs: all (HTTP and workers), web (HTTP only: webhooks, API, editor) or worker (jobs and schedules, plus /healthz) [JOURNEY_ROLE]")
	lease := 2 * time.Minute
	if v := envOr("JOURNEY_LEASE", ""); v != "" {
		if d, err := time.ParseDuration(v); err == nil {
			lease = d
		}
	}
	fs.DurationVar(&c.Lease, "lease", lease,
		"how long a claimed job belongs to an instance; after a crash another instance takes the job over once it expires [JOURNEY_LEASE]")
	fs.IntVar(&c.VendorConcurrency, "vendor-concurrency", envInt("JOURNEY_VENDOR_CONCURRENCY", engine.DefaultVendorConcurrency),
		"how many vendor calls (http.request, CRM, SMS, Slack... steps) this instance makes at once; the vendor steps of a claimed batch are called side by side up to this many [JOURNEY_VENDOR_CONCURRENCY]")
}

// validateRole refuses a role or lease that cannot work.
func (c *config) validateRole() error {
	switch c.Role {
	case roleAll, "":
	case roleWeb, roleWorker:
		if !isPostgres(c.DB) {
			return fmt.Errorf("--role %s needs a PostgreSQL database shared with other instances (--db postgres://...); "+
				"a SQLite database is used by one instance, which runs --role all", c.Role)
		}
	default:
		return fmt.Errorf("bad --role %q: use all, web or worker", c.Role)
	}
	if v := envOr("JOURNEY_LEASE", ""); v != "" {
		if _, err := time.ParseDuration(v); err != nil {
			return fmt.Errorf("bad JOURNEY_LEASE %q: use a duration such as 2m or 30s", v)
		}
	}
	if c.VendorConcurrency < 1 {
		return fmt.Errorf("bad --vendor-concurrency %d: use at least 1", c.VendorConcurrency)
	}
	if c.Lease < time.Second {
		return fmt.Errorf("bad --lease %s: use at least 1s (a step that outlives its lease may be taken over)", c.Lease)
	}
	return nil
}

func isPostgres(dsn string) bool {
	for _, p := range []string{"postgres://", "postgresql://"} {
		if len(dsn) >= len(p) && dsn[:len(p)] == p {
			return true
		}
	}
	return false
}

// serveWorker runs the engine's workers and answers GET /healthz on the
// listen address (for orchestrators), until ctx ends.
func serveWorker(ctx context.Context, c config, store *storage.Store, eng *engine.Engine, logger *slog.Logger) error {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		hctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		w.Header().Set("Content-Type", "application/json")
		if err := store.Ping(hctx); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]string{
				"code": "unavailable", "message": "The database does not answer."}})
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]string{"status": "ok", "version": version, "role": roleWorker})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ln, err := net.Listen("tcp", c.Addr)
	if err != nil {
		return err
	}
	eng.Start(ctx)
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	logger.Info("journey worker is running", "addr", "http://"+c.Addr, "db", redactDSN(c.DB), "version", version, "role", roleWorker)
	var serveErr error
	select {
	case serveErr = <-errc:
	case <-ctx.Done():
		logger.Info("shutting down")
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	_ = srv.Shutdown(sctx)
	if err := eng.Stop(sctx); err != nil {
		return err
	}
	if errors.Is(serveErr, http.ErrServerClosed) {
		return nil
	}
	return serveErr
}
