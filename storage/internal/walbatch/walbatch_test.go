package walbatch

import (
	"bufio"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	_ "github.com/mattn/go-sqlite3"
)

// open opens path with the settings of the product's SQLite writer, through
// this VFS, and creates the table rows.
func open(t *testing.T, path string) *sql.DB {
	t.Helper()
	if err := Register(); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000&_journal_mode=WAL&_synchronous=NORMAL"+
		"&_auto_vacuum=incremental&_txlock=immediate&vfs="+Name)
	if err != nil {
		t.Fatal(err)
	}
	db.SetMaxOpenConns(1)
	t.Cleanup(func() { db.Close() })
	if _, err := db.Exec(`CREATE TABLE IF NOT EXISTS rows (id INTEGER PRIMARY KEY, body TEXT NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	return db
}

// openPlain opens path with SQLite's default VFS, as the product's readers
// and checkpointer do.
func openPlain(t *testing.T, path, mode string) *sql.DB {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000&_journal_mode=WAL"+mode)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// bodyOf is row id's body: 1 KiB that differs from row to row.
func bodyOf(id int) string { return strings.Repeat(strconv.Itoa(id)+" ", 1024)[:1024] }

// insert commits n rows of about 1 KiB from id on.
func insert(t *testing.T, db *sql.DB, id, n int) {
	t.Helper()
	tx, err := db.Begin()
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := tx.Exec(`INSERT INTO rows (id, body) VALUES (?, ?)`, id+i, bodyOf(id+i)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func integrityOK(t *testing.T, db *sql.DB) {
	t.Helper()
	var res string
	if err := db.QueryRow(`PRAGMA integrity_check`).Scan(&res); err != nil || res != "ok" {
		t.Fatalf("integrity_check: %q, %v", res, err)
	}
}

// SQLite writes a frame as two writes (header, page): a commit of a dozen
// pages was two dozen system calls. Through the VFS it is one.
func TestACommitReachesTheWALInOneWrite(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "a.db"))
	insert(t, db, 0, 1)
	before := walWrites()
	insert(t, db, 1000, 12) // 12 KiB of rows: a few pages and their indexes
	if n := walWrites() - before; n != 1 {
		t.Fatalf("a commit of a few pages took %d writes to the WAL, want 1", n)
	}
	// A commit larger than the buffer (about 31 frames) takes a write per
	// buffer's worth, not one per page.
	before = walWrites()
	insert(t, db, 2000, 120)
	if n := walWrites() - before; n < 2 || n > 8 {
		t.Fatalf("a commit of about 40 pages took %d writes to the WAL, want 2-8", n)
	}
}

// Every commit is in the file before the writer's call returns and before
// another connection can see it: readers on the default VFS see each
// commit whole, and checkpoints through the VFS (which read the WAL in
// chunks) copy complete ones, unchanged.
func TestOtherConnectionsSeeEveryCommitWhole(t *testing.T) {
	path := filepath.Join(t.TempDir(), "a.db")
	db := open(t, path)
	reader := openPlain(t, path, "&mode=ro")
	checkpointer := openPlain(t, path, "&vfs="+Name)
	chunkReads := walChunkReads()
	id := 0
	for round := range 300 {
		n := 1 + round%60 // some commits overflow the buffer
		insert(t, db, id, n)
		id += n
		var count, max int
		if err := reader.QueryRow(`SELECT COUNT(*), COALESCE(MAX(id), -1) FROM rows`).Scan(&count, &max); err != nil {
			t.Fatal(err)
		}
		if count != id || max != id-1 {
			t.Fatalf("after commit %d a reader sees %d rows up to id %d, want %d up to %d", round, count, max, id, id-1)
		}
		if round%7 == 0 {
			if _, err := checkpointer.Exec(`PRAGMA wal_checkpoint(PASSIVE)`); err != nil {
				t.Fatal(err)
			}
		}
	}
	integrityOK(t, reader)
	if _, err := checkpointer.Exec(`PRAGMA wal_checkpoint(TRUNCATE)`); err != nil {
		t.Fatal(err)
	}
	integrityOK(t, checkpointer)
	if walChunkReads() == chunkReads {
		t.Fatal("the checkpoints read no frame from a chunk")
	}
	// Every page now comes from the database file, copied there from
	// frames the checkpoints read in chunks.
	rows, err := reader.Query(`SELECT id, body FROM rows ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var id int
		var body string
		if err := rows.Scan(&id, &body); err != nil {
			t.Fatal(err)
		}
		if id != n || body != bodyOf(id) {
			t.Fatalf("row %d: id %d, body %.20q..., want %.20q...", n, id, body, bodyOf(n))
		}
		n++
	}
	if err := rows.Err(); err != nil || n != id {
		t.Fatalf("read %d rows (%v), want %d", n, err, id)
	}
}

// rowsOf is how many rows the killed writer commits from id on: 1 to 37,
// so that some commits overflow the buffer.
func rowsOf(id int) int { return 1 + (id/100)%37 }

// A commit that returned survives the process being killed right after:
// its frames were handed to the kernel before the call returned.
func TestCommitsSurviveTheProcessBeingKilled(t *testing.T) {
	if path := os.Getenv("WALBATCH_WRITER_DB"); path != "" {
		// The child: commit until killed, printing each commit's first id
		// once the commit returned.
		db := open(t, path)
		for id := 0; ; id += 100 {
			insert(t, db, id, rowsOf(id))
			fmt.Println(id)
		}
	}
	path := filepath.Join(t.TempDir(), "a.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCommitsSurviveTheProcessBeingKilled$")
	cmd.Env = append(os.Environ(), "WALBATCH_WRITER_DB="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var committed []int
	lines := bufio.NewScanner(out)
	for len(committed) < 300 && lines.Scan() {
		if id, err := strconv.Atoi(lines.Text()); err == nil {
			committed = append(committed, id)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = cmd.Wait()
	if len(committed) < 300 {
		t.Fatalf("the writer stopped after %d commits", len(committed))
	}
	db := openPlain(t, path, "")
	for _, id := range committed {
		var n int
		if err := db.QueryRow(`SELECT COUNT(*) FROM rows WHERE id >= ? AND id < ?`, id, id+100).Scan(&n); err != nil {
			t.Fatal(err)
		}
		if n != rowsOf(id) {
			t.Fatalf("commit %d: %d rows after the kill, want %d", id, n, rowsOf(id))
		}
	}
	integrityOK(t, db)
}
