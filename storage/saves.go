package storage

import (
	"fmt"
	"time"
)

// FlowSave is one save of a flow's draft, kept so that the history lists
// draft saves as well as published versions.
type FlowSave struct {
	FlowID     string    `gorm:"primaryKey;size:100"`
	Revision   int       `gorm:"primaryKey"`
	Definition string    `gorm:"type:text;not null"`
	SavedAt    time.Time `gorm:"not null"`
	SavedBy    string    `gorm:"size:200;not null;default:''"`
}

func (FlowSave) TableName() string { return "flow_saves" }

// KeptSaves is how many draft saves of a flow the history keeps.
const KeptSaves = 50

// RecordFlowSave keeps a save of a draft and forgets saves older than the
// last KeptSaves of that flow.
func RecordFlowSave(tx Tx, s *FlowSave) error {
	s.SavedAt = s.SavedAt.UTC()
	if err := tx.db.Create(s).Error; err != nil {
		return fmt.Errorf("record draft save of %s: %w", s.FlowID, err)
	}
	err := tx.db.Where("flow_id = ? AND revision <= ?", s.FlowID, s.Revision-KeptSaves).Delete(&FlowSave{}).Error
	if err != nil {
		return fmt.Errorf("forget old draft saves of %s: %w", s.FlowID, err)
	}
	return nil
}

// ListFlowSaves returns the kept saves of a flow's draft, newest first.
func ListFlowSaves(db Tx, flowID string) ([]FlowSave, error) {
	var out []FlowSave
	if err := db.db.Where("flow_id = ?", flowID).Order("revision DESC").Find(&out).Error; err != nil {
		return nil, fmt.Errorf("list draft saves of %s: %w", flowID, err)
	}
	return out, nil
}

// GetFlowSave returns one kept save of a flow's draft.
func GetFlowSave(db Tx, flowID string, revision int) (*FlowSave, error) {
	var s FlowSave
	if err := db.db.Where("flow_id = ? AND revision = ?", flowID, revision).Take(&s).Error; err != nil {
		return nil, notFound(err)
	}
	return &s, nil
}
