package engine

import (
	"fmt"
	"time"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// PublishedVersion is one published version of a flow with what changed
// since the version before it.
type PublishedVersion struct {
	Version     int
	PublishedAt time.Time
	Flow        *flows.Flow
	// Changes compares with the previous version (nil for version 1).
	Changes *flows.FlowDiff
}

// Versions returns the published versions of flowID, newest first, each
// compared with the one before.
func (e *Engine) Versions(flowID string) ([]PublishedVersion, error) {
	db := e.store.Reader()
	if _, err := storage.GetFlow(db, flowID); err != nil {
		return nil, err
	}
	stored, err := storage.ListVersions(db, flowID)
	if err != nil {
		return nil, err
	}
	out := make([]PublishedVersion, len(stored))
	for i, v := range stored {
		f, err := flows.Decode([]byte(v.Definition))
		if err != nil {
			return nil, fmt.Errorf("stored version %s v%d: %w", flowID, v.Version, err)
		}
		out[i] = PublishedVersion{Version: v.Version, PublishedAt: v.PublishedAt, Flow: f}
	}
	for i := range out {
		// Newest first: the previous version is the next one in the list.
		if i+1 < len(out) {
			d := flows.DiffWith(out[i+1].Flow, out[i].Flow, e.reg)
			out[i].Changes = &d
		}
	}
	return out, nil
}

// Version returns one published version of flowID.
func (e *Engine) Version(flowID string, n int) (*flows.Flow, time.Time, error) {
	if n < 1 {
		return nil, time.Time{}, fmt.Errorf("version %d of %s: %w", n, flowID, storage.ErrNotFound)
	}
	v, err := storage.GetVersion(e.store.Reader(), flowID, n)
	if err != nil {
		return nil, time.Time{}, err
	}
	f, err := flows.Decode([]byte(v.Definition))
	if err != nil {
		return nil, time.Time{}, fmt.Errorf("stored version %s v%d: %w", flowID, n, err)
	}
	return f, v.PublishedAt, nil
}

// Diff compares two documents with step titles and parameter labels from
// the node-type registry.
func (e *Engine) Diff(a, b *flows.Flow) flows.FlowDiff { return flows.DiffWith(a, b, e.reg) }

// UnpublishedChanges maps each published flow whose draft differs from
// its live version to true.
func (e *Engine) UnpublishedChanges(fs []storage.Flow) (map[string]bool, error) {
	live, err := storage.CurrentDefinitions(e.store.Reader())
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for i := range fs {
		if def, ok := live[fs[i].ID]; ok && !sameDocument(withoutVersion(def), []byte(fs[i].Draft)) {
			out[fs[i].ID] = true
		}
	}
	return out, nil
}

// unpublished reports whether the draft of sf differs from its live
// version (false when it was never published).
func (e *Engine) unpublished(db storage.Tx, sf *storage.Flow) (bool, error) {
	if sf.Version < 1 {
		return false, nil
	}
	v, err := storage.GetVersion(db, sf.ID, sf.Version)
	if err != nil {
		return false, err
	}
	return !sameDocument(withoutVersion(v.Definition), []byte(sf.Draft)), nil
}

// Unpublished reports whether the stored draft of flowID differs from its
// live version.
func (e *Engine) Unpublished(sf *storage.Flow) (bool, error) {
	return e.unpublished(e.store.Reader(), sf)
}
