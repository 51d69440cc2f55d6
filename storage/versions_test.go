package storage_test

import (
	"testing"
	"time"

	"github.com/journeyhq/journey/storage"
)

// TestVersionHistory lists a flow's published versions newest first,
// without its test snapshots, and maps each published flow to the
// definition of its current version, on both databases.
func TestVersionHistory(t *testing.T) {
	t.Parallel()
	eachStore(t, func(t *testing.T, s *storage.Store) {
		t0 := time.Date(2026, 5, 1, 9, 0, 0, 0, time.UTC)
		err := s.Write(t.Context(), func(tx storage.Tx) error {
			for _, f := range []storage.Flow{
				{ID: "welcome", Name: "Welcome", Draft: "{}", Status: storage.FlowActive, Version: 2, CreatedAt: t0, UpdatedAt: t0},
				{ID: "draft-only", Name: "Draft", Draft: "{}", Status: storage.FlowDraft, CreatedAt: t0, UpdatedAt: t0},
			} {
				if err := storage.CreateFlow(tx, &f); err != nil {
					return err
				}
			}
			for _, v := range []storage.FlowVersion{
				{FlowID: "welcome", Version: -1, Definition: "test", PublishedAt: t0},
				{FlowID: "welcome", Version: 1, Definition: "one", PublishedAt: t0.Add(time.Hour)},
				{FlowID: "welcome", Version: 2, Definition: "two", PublishedAt: t0.Add(2 * time.Hour)},
				{FlowID: "draft-only", Version: -1, Definition: "test", PublishedAt: t0},
			} {
				if err := storage.InsertVersion(tx, &v); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		vs, err := storage.ListVersions(s.Reader(), "welcome")
		if err != nil {
			t.Fatal(err)
		}
		if len(vs) != 2 || vs[0].Version != 2 || vs[1].Version != 1 || vs[1].Definition != "one" {
			t.Fatalf("versions = %+v, want 2 then 1", vs)
		}
		if !vs[0].PublishedAt.Equal(t0.Add(2 * time.Hour)) {
			t.Errorf("published at = %v", vs[0].PublishedAt)
		}
		none, err := storage.ListVersions(s.Reader(), "draft-only")
		if err != nil || len(none) != 0 {
			t.Fatalf("a never published flow lists %d versions (%v)", len(none), err)
		}
		cur, err := storage.CurrentDefinitions(s.Reader())
		if err != nil {
			t.Fatal(err)
		}
		if len(cur) != 1 || cur["welcome"] != "two" {
			t.Fatalf("current definitions = %v, want welcome: two", cur)
		}
	})
}
