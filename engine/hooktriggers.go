package engine

import (
	"sync"
	"time"

	"github.com/journeyhq/journey/storage"
)

// hookTriggers remembers which published journeys listen on each webhook
// path, so that a webhook does not ask the database each time (a read on
// every webhook, of what changes only when journeys do). A change this
// instance makes to its journeys (publish, pause, delete, import, a
// draft) forgets everything at once; a change made by another instance or
// process is seen within hookTriggersTTL. A path nothing listens on is
// not remembered: a journey published anywhere answers its first webhook.
type hookTriggers struct {
	mu sync.Mutex
	// gen counts the forgets: a read that began before one is not kept.
	gen    uint64
	byPath map[string]hookEntry
}

type hookEntry struct {
	ts []storage.Trigger
	at time.Time
}

// hookTriggersTTL bounds how long a journey changed on another instance
// keeps answering here as it was.
const hookTriggersTTL = time.Second

// maxHookPaths bounds the map; only listened-on paths are kept, and there
// are as many as published journeys with a webhook trigger.
const maxHookPaths = 4096

// match returns the active webhook triggers on path. The slice is shared:
// callers only read it.
func (h *hookTriggers) match(db storage.Tx, path string) ([]storage.Trigger, error) {
	h.mu.Lock()
	if e, ok := h.byPath[path]; ok && time.Since(e.at) < hookTriggersTTL {
		h.mu.Unlock()
		return e.ts, nil
	}
	gen := h.gen
	h.mu.Unlock()
	began := time.Now()
	ts, err := storage.MatchTriggers(db, "webhook", path)
	if err != nil || len(ts) == 0 {
		return ts, err
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.gen == gen {
		if h.byPath == nil || len(h.byPath) >= maxHookPaths {
			h.byPath = map[string]hookEntry{}
		}
		h.byPath[path] = hookEntry{ts: ts, at: began}
	}
	return ts, nil
}

// forget drops what match remembered; called after a write of journeys
// commits.
func (h *hookTriggers) forget() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.gen++
	clear(h.byPath)
}
