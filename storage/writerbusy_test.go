package storage

import "testing"

func TestOpenWritesReportsTheOldestOpenTransaction(t *testing.T) {
	var o openWrites
	if o.oldest() != 0 {
		t.Fatal("no transaction open, but busy")
	}
	first := o.begin()
	second := o.begin()
	if o.oldest() <= 0 {
		t.Fatal("two transactions open, but not busy")
	}
	o.end(first)
	if o.oldest() <= 0 {
		t.Fatal("one transaction open, but not busy")
	}
	o.end(second)
	if o.oldest() != 0 {
		t.Fatal("every transaction ended, but still busy")
	}
}
