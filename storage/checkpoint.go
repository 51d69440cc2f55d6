package storage

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"time"

	"github.com/journeyhq/journey/storage/internal/walbatch"
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
// checkpoint, so the tail latency of webhooks falls as the interval
// shrinks, until checkpointing itself starts to cost throughput (the
// measured intervals are in the README's Benchmarks). With nothing new in
// the WAL a checkpoint writes and syncs nothing, so an idle server does
// no I/O.
const (
	checkpointInterval    = 10 * time.Millisecond
	writerCheckpointPages = 16384
)

type checkpointer struct {
	db     *sql.DB
	cancel context.CancelFunc
	done   chan struct{}
}

// checkpointerDSN is the checkpointer's own read-write connection (no
// _txlock, it never writes rows), through the walbatch VFS, which reads
// the WAL 64 KiB at a time instead of a read per frame copied.
func checkpointerDSN(path string) string {
	dsn := sqliteDSN(path, false)
	return dsn[:len(dsn)-len("&mode=ro")] + "&vfs=" + walbatch.Name
}

func startCheckpointer(path string, logger *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open(cachedSQLiteDriver, checkpointerDSN(path))
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
