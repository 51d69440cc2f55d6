package engine

import (
	"context"
	"testing"
)

// The calls of one batch arrive together and start at once: none counts
// as queued (and so none is read back before it starts) while a vendor
// slot is free. A call that finds every slot taken is queued, and when
// the loop has to wait for a slot, so is every call behind it.
func TestOnlyCallsThatWaitForASlotAreQueued(t *testing.T) {
	t.Parallel()
	d := &dispatcher{e: &Engine{vendorSlots: make(chan struct{}, 2)}}
	first, second := &dispatched{}, &dispatched{}
	d.submit(first)
	d.submit(second)
	if first.queued || second.queued {
		t.Fatalf("a batch's calls with slots free: queued %v and %v, want neither", first.queued, second.queued)
	}

	d.e.vendorSlots <- struct{}{}
	d.e.vendorSlots <- struct{}{}
	third := &dispatched{}
	d.submit(third)
	if !third.queued {
		t.Fatal("a call submitted with every slot taken is not queued")
	}

	// The loop takes the first call and waits for a slot (here it gives
	// up at once): the calls behind it waited too.
	d.calls = d.calls[1:]
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if d.takeSlot(ctx, first) {
		t.Fatal("takeSlot got a slot with every slot taken")
	}
	if !first.queued || !second.queued {
		t.Fatalf("after waiting for a slot: first queued %v, second %v, want both", first.queued, second.queued)
	}
}
