package engine

import (
	"fmt"
	"sync"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// compiledCache holds one compiled program set per flow version: versions
// are immutable, so an entry never goes stale and expressions are never
// compiled per run.
type compiledCache struct {
	m sync.Map // flowVersion -> *flows.Compiled
}

// flowVersion keys the cache without formatting a string on every look-up
// (each webhook and vendor result looks its flow up).
type flowVersion struct {
	flowID  string
	version int
}

// compiled returns the compiled flow version, loading it through db.
func (e *Engine) compiled(db storage.Tx, flowID string, version int) (*flows.Compiled, error) {
	key := flowVersion{flowID, version}
	if c, ok := e.cache.m.Load(key); ok {
		return c.(*flows.Compiled), nil
	}
	v, err := storage.GetVersion(db, flowID, version)
	if err != nil {
		return nil, err
	}
	f, err := flows.Decode([]byte(v.Definition))
	if err != nil {
		return nil, fmt.Errorf("decode %s v%d: %w", flowID, version, err)
	}
	c, problems := flows.Compile(f, e.reg)
	if len(problems) > 0 {
		return nil, fmt.Errorf("compile %s v%d: %w", flowID, version, &flows.ProblemsError{Problems: problems})
	}
	e.cache.m.Store(key, c)
	return c, nil
}
