package storage

import (
	"testing"
	"time"
)

func TestOpenWritesReportsTheOldestOpenTransaction(t *testing.T) {
	at := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	o := openWrites{now: func() time.Time { return at }}
	if o.oldest() != 0 {
		t.Fatal("no transaction open, but busy")
	}
	first := o.begin()
	at = at.Add(time.Second)
	second := o.begin()
	at = at.Add(time.Second)
	if got := o.oldest(); got != 2*time.Second {
		t.Fatalf("two transactions open: busy for %s, want 2s", got)
	}
	o.end(first)
	if got := o.oldest(); got != time.Second {
		t.Fatalf("the second open: busy for %s, want 1s", got)
	}
	o.end(second)
	if o.oldest() != 0 {
		t.Fatal("every transaction ended, but still busy")
	}
}
