package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// Defaults of the operations settings.
const (
	defaultLogFormat = "json"
	defaultRetention = "30d"
)

// logFormatFlag adds --log-format to a command.
func logFormatFlag(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.LogFormat, "log-format", envOr("JOURNEY_LOG_FORMAT", defaultLogFormat),
		"log format: json (one object per line) or text [JOURNEY_LOG_FORMAT]")
}

// opsFlags adds the operations flags of serve.
func opsFlags(fs *flag.FlagSet, c *config) {
	fs.StringVar(&c.MetricsToken, "metrics-token", envOr("JOURNEY_METRICS_TOKEN", ""),
		"bearer token GET /metrics requires; empty: /metrics is public (prefer the variable: flags show in ps) [JOURNEY_METRICS_TOKEN]")
	fs.StringVar(&c.Retention, "retention", envOr("JOURNEY_RETENTION", defaultRetention),
		"how long finished runs and their steps are kept, like 30d or 12h; 0 keeps them forever [JOURNEY_RETENTION]")
}

// newLogger builds the process logger: JSON lines (the default, for log
// shippers) or slog's key=value text, on w.
func newLogger(level, format string, w io.Writer) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("bad --log-level %q: use debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "json", "":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("bad --log-format %q: use json or text", format)
}

// parseRetention reads --retention: a duration with units up to days
// ("30d", "36h"); "0" turns the sweeper off. Empty means the default.
func parseRetention(s string) (time.Duration, error) {
	if s == "" {
		s = defaultRetention
	}
	if s == "0" {
		return 0, nil
	}
	d, err := flows.ParseDuration(s)
	if err != nil || d < time.Hour {
		return 0, fmt.Errorf("bad --retention %q: use a duration of at least 1h like 30d, or 0 to keep runs forever", s)
	}
	return d, nil
}

// startSweeper starts the retention sweeper. With retention off it still
// runs: test runs and their test data go after a day.
func startSweeper(ctx context.Context, c config, store *storage.Store, logger *slog.Logger) (*engine.Sweeper, error) {
	retention, err := parseRetention(c.Retention)
	if err != nil {
		return nil, err
	}
	sw, err := engine.NewSweeper(engine.SweeperConfig{Store: store, Retention: retention, Logger: logger})
	if err != nil {
		return nil, err
	}
	sw.Start(ctx)
	return sw, nil
}

// analyticsRefreshEvery is how often the Results rollups are brought up to
// date in the background, so that their marks never pile up while nobody
// looks; a dashboard request counts itself only when the last count is
// more than twice as old (server.Config.ResultsMaxAge).
const analyticsRefreshEvery = 15 * time.Second

// analyticsRefreshPause is how long the background waits after a refresh
// that took took: analyticsRefreshEvery, or nine times took when that is
// longer. A refresh counts the marked days again from their rows, and on
// a day of a million runs that takes seconds of a CPU; the background
// then takes at most a tenth of one from the journeys, and the Results
// lag a little more (a dashboard request still counts when they are older
// than ResultsMaxAge).
func analyticsRefreshPause(took time.Duration) time.Duration {
	return max(analyticsRefreshEvery, 9*took)
}

// refreshAnalyticsLoop refreshes the rollups until ctx ends.
func refreshAnalyticsLoop(ctx context.Context, store *storage.Store, logger *slog.Logger) {
	for {
		began := time.Now()
		if err := store.RefreshAnalyticsInBackground(ctx); err != nil && ctx.Err() == nil {
			logger.Warn("update the results rollups", "error", err)
		}
		took := time.Since(began)
		wait := analyticsRefreshPause(took)
		if wait > analyticsRefreshEvery && ctx.Err() == nil {
			logger.Info("the results rollups took long to count; the next count waits longer", "took", took.Round(time.Millisecond).String(), "next_in", wait.Round(time.Second).String())
		}
		pause := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			pause.Stop()
			return
		case <-pause.C:
		}
	}
}
