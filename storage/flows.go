package storage

import (
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// notFound maps gorm's not-found to ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return ErrNotFound
	}
	return err
}

// GetFlow returns the flow with id.
func GetFlow(db Tx, id string) (*Flow, error) {
	var f Flow
	if err := db.db.Where("id = ?", id).Take(&f).Error; err != nil {
		return nil, fmt.Errorf("get flow %s: %w", id, notFound(err))
	}
	return &f, nil
}

// ListFlows returns every flow, most recently edited first.
func ListFlows(db Tx) ([]Flow, error) {
	var fs []Flow
	if err := db.db.Order("updated_at DESC, id").Find(&fs).Error; err != nil {
		return nil, fmt.Errorf("list flows: %w", err)
	}
	return fs, nil
}

// CreateFlow inserts f; ErrDuplicate when the id is taken.
func CreateFlow(tx Tx, f *Flow) error {
	if err := tx.db.Create(f).Error; err != nil {
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return fmt.Errorf("create flow %s: %w", f.ID, ErrDuplicate)
		}
		return fmt.Errorf("create flow %s: %w", f.ID, err)
	}
	return nil
}

// SaveFlow writes every column of f.
func SaveFlow(tx Tx, f *Flow) error {
	if err := tx.db.Save(f).Error; err != nil {
		return fmt.Errorf("save flow %s: %w", f.ID, err)
	}
	return nil
}

// DeleteFlow removes the flow and its trigger index. Published versions
// stay: finished runs still point at them.
func DeleteFlow(tx Tx, id string) error {
	res := tx.db.Where("id = ?", id).Delete(&Flow{})
	if res.Error != nil {
		return fmt.Errorf("delete flow %s: %w", id, res.Error)
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("delete flow %s: %w", id, ErrNotFound)
	}
	if err := tx.db.Where("flow_id = ?", id).Delete(&Trigger{}).Error; err != nil {
		return fmt.Errorf("delete triggers of %s: %w", id, err)
	}
	// The draft's saved history goes with it (a journey made later under
	// the same id starts its own).
	if err := tx.db.Where("flow_id = ?", id).Delete(&FlowSave{}).Error; err != nil {
		return fmt.Errorf("delete draft saves of %s: %w", id, err)
	}
	return nil
}

// InsertVersion stores an immutable flow version.
func InsertVersion(tx Tx, v *FlowVersion) error {
	if err := tx.db.Create(v).Error; err != nil {
		return fmt.Errorf("insert version %s v%d: %w", v.FlowID, v.Version, err)
	}
	return nil
}

// GetVersion returns one published (or test) version.
func GetVersion(db Tx, flowID string, version int) (*FlowVersion, error) {
	var v FlowVersion
	if err := db.db.Where("flow_id = ? AND version = ?", flowID, version).Take(&v).Error; err != nil {
		return nil, fmt.Errorf("get version %s v%d: %w", flowID, version, notFound(err))
	}
	return &v, nil
}

// MinVersion returns the lowest version number stored for a flow (0 when
// none); test snapshots use negative numbers below it.
func MinVersion(db Tx, flowID string) (int, error) {
	var n *int
	if err := db.db.Model(&FlowVersion{}).Where("flow_id = ?", flowID).Select("MIN(version)").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("min version of %s: %w", flowID, err)
	}
	if n == nil {
		return 0, nil
	}
	return *n, nil
}

// ReplaceTriggers swaps the trigger index of a flow.
func ReplaceTriggers(tx Tx, flowID string, ts []Trigger) error {
	if err := tx.db.Where("flow_id = ?", flowID).Delete(&Trigger{}).Error; err != nil {
		return fmt.Errorf("clear triggers of %s: %w", flowID, err)
	}
	if len(ts) == 0 {
		return nil
	}
	if err := tx.db.Create(&ts).Error; err != nil {
		return fmt.Errorf("index triggers of %s: %w", flowID, err)
	}
	return nil
}

// MatchTriggers returns the triggers of active flows with kind and key,
// for their current published version.
func MatchTriggers(db Tx, kind, key string) ([]Trigger, error) {
	// Hand-written: every webhook and event asks.
	rows, err := rawOf(db).query(`SELECT triggers.id, triggers.flow_id, triggers.version, triggers.node_id, triggers.kind, triggers.key
FROM triggers JOIN flows ON flows.id = triggers.flow_id AND flows.version = triggers.version
WHERE triggers.kind = ? AND triggers.key = ? AND flows.status = ? ORDER BY triggers.flow_id, triggers.node_id`, kind, key, FlowActive)
	if err != nil {
		return nil, fmt.Errorf("match %s triggers for %q: %w", kind, key, err)
	}
	defer rows.Close()
	var ts []Trigger
	for rows.Next() {
		var t Trigger
		if err := rows.Scan(&t.ID, &t.FlowID, &t.Version, &t.NodeID, &t.Kind, &t.Key); err != nil {
			return nil, fmt.Errorf("match %s triggers for %q: %w", kind, key, err)
		}
		ts = append(ts, t)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("match %s triggers for %q: %w", kind, key, err)
	}
	return ts, nil
}

// TriggersOfKind returns every active trigger of a kind (e.g. schedules).
func TriggersOfKind(db Tx, kind string) ([]Trigger, error) {
	var ts []Trigger
	err := db.db.Table("triggers").
		Select("triggers.*").
		Joins("JOIN flows ON flows.id = triggers.flow_id AND flows.version = triggers.version").
		Where("triggers.kind = ? AND flows.status = ?", kind, FlowActive).
		Order("triggers.flow_id, triggers.node_id").
		Scan(&ts).Error
	if err != nil {
		return nil, fmt.Errorf("list %s triggers: %w", kind, err)
	}
	return ts, nil
}

// HookPathTaken reports which other active flow already listens on a
// webhook path ("" when free).
func HookPathTaken(db Tx, path, exceptFlow string) (string, error) {
	var t Trigger
	err := db.db.Table("triggers").Select("triggers.*").
		Joins("JOIN flows ON flows.id = triggers.flow_id AND flows.version = triggers.version").
		Where("triggers.kind = ? AND triggers.key = ? AND triggers.flow_id <> ? AND flows.status = ?", "webhook", path, exceptFlow, FlowActive).
		Limit(1).Scan(&t).Error
	if err != nil {
		return "", fmt.Errorf("check hook path %q: %w", path, err)
	}
	return t.FlowID, nil
}

// FlowRunCounts returns per-flow run counts by status since a time.
func FlowRunCounts(db Tx, since time.Time) (map[string]map[string]int64, error) {
	type row struct {
		FlowID string
		Status string
		N      int64
	}
	var rows []row
	err := db.db.Model(&Run{}).Select("flow_id, status, COUNT(*) AS n").
		Where("started_at >= ? AND test = ?", since.UTC(), false).
		Group("flow_id, status").Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("count runs: %w", err)
	}
	out := map[string]map[string]int64{}
	for _, r := range rows {
		if out[r.FlowID] == nil {
			out[r.FlowID] = map[string]int64{}
		}
		out[r.FlowID][r.Status] = r.N
	}
	return out, nil
}

// ListVersions returns the published versions of a flow, newest first
// (test snapshots, stored under negative numbers, are left out).
func ListVersions(db Tx, flowID string) ([]FlowVersion, error) {
	var vs []FlowVersion
	if err := db.db.Where("flow_id = ? AND version > 0", flowID).Order("version DESC").Find(&vs).Error; err != nil {
		return nil, fmt.Errorf("list versions of %s: %w", flowID, err)
	}
	return vs, nil
}

// CurrentDefinitions maps each published flow's id to the definition of
// its latest version, for comparing drafts with what is live.
func CurrentDefinitions(db Tx) (map[string]string, error) {
	type row struct {
		FlowID     string
		Definition string
	}
	var rows []row
	err := db.db.Table("flow_versions").Select("flow_versions.flow_id, flow_versions.definition").
		Joins("JOIN flows ON flows.id = flow_versions.flow_id AND flows.version = flow_versions.version").
		Scan(&rows).Error
	if err != nil {
		return nil, fmt.Errorf("current definitions: %w", err)
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.FlowID] = r.Definition
	}
	return out, nil
}
