package main

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/journeyhq/journey/engine"
	"github.com/journeyhq/journey/engine/demo"
	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// cmdDemo serves a demo instance: a throwaway (or marked demo) database,
// the shipped templates published, an admin, and sample traffic.
func cmdDemo(args []string, stdout, stderr io.Writer) error {
	var c config
	fs := newFlags("demo", stderr)
	fs.StringVar(&c.Addr, "addr", envOr("JOURNEY_ADDR", "127.0.0.1:8080"), "listen address [JOURNEY_ADDR]")
	fs.StringVar(&c.DB, "db", envOr("JOURNEY_DEMO_DB", ""), "demo database (default: a throwaway one in a temporary directory, removed at exit); a database holding data that is not a demo is refused [JOURNEY_DEMO_DB]")
	fs.StringVar(&c.LogLevel, "log-level", envOr("JOURNEY_LOG_LEVEL", "warn"), "log level: debug, info, warn, error [JOURNEY_LOG_LEVEL]")
	logFormatFlag(fs, &c)
	email := fs.String("email", envOr("JOURNEY_DEMO_EMAIL", "admin@example.com"), "email of the demo admin [JOURNEY_DEMO_EMAIL]")
	password := fs.String("password", envOr("JOURNEY_PASSWORD", ""), "password of the demo admin (default: a random one, printed) [JOURNEY_PASSWORD]")
	intervalText := fs.String("interval", envOr("JOURNEY_DEMO_INTERVAL", "2s"), "average pause between sample chats and events, at least 200ms [JOURNEY_DEMO_INTERVAL]")
	dnsResolverFlag(fs, &c)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("demo: unexpected argument %q", fs.Arg(0))
	}
	interval, err := time.ParseDuration(*intervalText)
	if err != nil || interval < demo.MinInterval {
		return fmt.Errorf("demo: --interval %q must be a duration of at least 200ms, like 2s", *intervalText)
	}
	givenPassword := *password != ""
	if !givenPassword {
		*password = randomPassword()
	}
	logger, err := newLogger(c.LogLevel, c.LogFormat, stderr)
	if err != nil {
		return err
	}
	throwaway := ""
	if c.DB == "" {
		dir, err := os.MkdirTemp("", "journey-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		throwaway = dir
		c.DB = "sqlite://" + filepath.Join(dir, "app.db")
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, eng, ch, err := open(ctx, c, logger)
	if err != nil {
		return err
	}
	defer store.Close()
	if err := markDemo(ctx, store, c.DB); err != nil {
		return err
	}
	published, err := publishTemplates(ctx, eng)
	if err != nil {
		return err
	}
	if err := demoAdmin(ctx, store, *email, *password); err != nil {
		return err
	}

	fmt.Fprintf(stdout, "journey demo is running on http://%s\n", c.Addr)
	if givenPassword {
		fmt.Fprintf(stdout, "  sign in as %s with the password you gave\n", *email)
	} else {
		fmt.Fprintf(stdout, "  sign in as %s with the password %s\n", *email, *password)
	}
	if throwaway != "" {
		fmt.Fprintf(stdout, "  database: %s (throwaway: removed when the demo stops)\n", redactDSN(c.DB))
	} else {
		fmt.Fprintf(stdout, "  database: %s (a demo database; keep it to continue later)\n", redactDSN(c.DB))
	}
	fmt.Fprintf(stdout, "  templates published: %d; sample traffic: a chat or an event every ~%s on /hooks/%s\n", published, interval, demo.ChatHookPath)
	fmt.Fprintln(stdout, "  messages stay in the sandbox; nothing leaves this machine. Press Ctrl-C to stop.")

	trafficDone := make(chan struct{})
	tctx, stopTraffic := context.WithCancel(ctx)
	go func() {
		defer close(trafficDone)
		demo.NewTraffic(eng, interval, uint64(time.Now().UnixNano()), logger).Run(tctx)
	}()
	err = serveUntilDone(ctx, c, store, eng, ch, logger)
	stopTraffic()
	<-trafficDone
	fmt.Fprintln(stdout, "journey demo stopped")
	return err
}

// markDemo marks a fresh database as a demo one and refuses a database
// that holds data without the mark: the demo imports templates, resets
// the admin's password and feeds sample traffic, which must never land in
// real data.
func markDemo(ctx context.Context, store *storage.Store, dsn string) error {
	_, err := storage.GetSetting(store.Reader(), storage.SettingDemo)
	if err == nil {
		return nil
	}
	if !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	held, err := storage.HoldsData(store.Reader())
	if err != nil {
		return err
	}
	if held {
		return fmt.Errorf("demo: the database %s holds data and is not a demo database; the demo only runs on a fresh or demo database (leave out --db for a throwaway one)", redactDSN(dsn))
	}
	return store.Write(ctx, func(tx storage.Tx) error {
		return storage.PutSetting(tx, storage.SettingDemo, "created by journey demo "+version, time.Now())
	})
}

// publishTemplates imports and publishes every shipped template (unchanged
// ones stay as they are when a demo database is reused).
func publishTemplates(ctx context.Context, eng *engine.Engine) (int, error) {
	templates, err := flows.Templates()
	if err != nil {
		return 0, err
	}
	fs := make([]*flows.Flow, len(templates))
	for i := range templates {
		fs[i] = templates[i].Flow
	}
	if _, err := eng.ImportAll(ctx, fs, engine.ImportOptions{Publish: true}); err != nil {
		return 0, fmt.Errorf("demo: publish the templates: %w", err)
	}
	return len(fs), nil
}

// demoAdmin creates the admin, or sets its password when it exists.
func demoAdmin(ctx context.Context, store *storage.Store, email, password string) error {
	return store.Write(ctx, func(tx storage.Tx) error {
		_, err := storage.CreateUser(tx, email, password, time.Now())
		if errors.Is(err, storage.ErrDuplicate) {
			err = storage.SetPassword(tx, email, password)
		}
		if err != nil {
			return fmt.Errorf("demo: admin %s: %w", email, err)
		}
		return nil
	})
}

// randomPassword returns 16 random URL-safe characters.
func randomPassword() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return base64.RawURLEncoding.EncodeToString(b)
}
