package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"
)

// SQLite in WAL mode appends every commit to the -wal file; a checkpoint
// copies those pages back into the database file and syncs it. By default
// the committing connection does that every 1,000 pages, inside a
// transaction that webhooks and the engine wait for. Here a separate
// connection does it every checkpointInterval (PASSIVE: it never blocks
// the writer or readers), and the writer checkpoints itself only if the
// WAL still reaches writerCheckpointPages (64 MiB), as a safety bound.
//
// Often and small: a checkpoint's syncs still stall the writer's WAL
// appends for a while (measured on ext4), and the stall grows with the
// checkpoint. At 16 webhook clients the p99 latency was 30-35 ms with a
// checkpoint every 2 s, 17-19 ms every 200 ms and 11-12 ms every 5-20 ms
// on one machine; on another, with webhooks' runs started inline, 11.8-14.9
// ms every 50 ms, 10.6-11.7 every 20 ms, 8.5-9.5 every 10 ms, 9.0-9.2
// every 5 ms and 9.7-10.1 every 2 ms, where checkpointing itself starts to
// cost throughput (3 runs each, 8 s, interleaved). With nothing new in the
// WAL a checkpoint writes and syncs nothing (an idle server under strace:
// no pwrite or fsync in 3 s).
const (
	checkpointInterval    = 10 * time.Millisecond
	writerCheckpointPages = 16384
)

type checkpointer struct {
	db     *sql.DB
	cancel context.CancelFunc
	done   chan struct{}
}

func startCheckpointer(path string, logger *slog.Logger) (*checkpointer, error) {
	// Its own read-write connection; no _txlock, it never writes rows.
	dsn := sqliteDSN(path, false)
	dsn = dsn[:len(dsn)-len("&mode=ro")]
	db, err := sql.Open(cachedSQLiteDriver, dsn)
	if err != nil {
		return nil, fmt.Errorf("sqlite checkpointer: %w", err)
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, cancel: cancel, done: make(chan struct{})}
	go c.loop(ctx, logger)
	return c, nil
}

func (c *checkpointer) loop(ctx context.Context, logger *slog.Logger) {
	defer close(c.done)
	t := time.NewTicker(checkpointInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := c.db.ExecContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)"); err != nil && ctx.Err() == nil {
			logger.Warn("sqlite checkpoint failed; the writer will checkpoint instead", "error", err)
		}
	}
}

// stop ends the loop and truncates the WAL, so a stopped instance leaves
// a compact database file.
func (c *checkpointer) stop() error {
	c.cancel()
	<-c.done
	_, err := c.db.Exec("PRAGMA wal_checkpoint(TRUNCATE)")
	if cerr := c.db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("sqlite final checkpoint: %w", err)
	}
	return nil
}
