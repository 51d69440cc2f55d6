package storage

import "gorm.io/gorm"

// Rows created through GORM (imports, tools, tests) mark their analytics
// days like the hand-written inserts of the hot path do.

// AfterCreate marks the run's start day.
func (r *Run) AfterCreate(tx *gorm.DB) error { return markRun(txOf(tx), r) }

// AfterCreate marks the start day of the step's run (and for an A/B path
// the days of the run's messages after it).
func (s *Step) AfterCreate(tx *gorm.DB) error {
	if err := markSplitStep(rawOf(txOf(tx)), s); err != nil {
		return err
	}
	return markRunDay(rawOf(txOf(tx)), s.RunID)
}

// AfterCreate marks the message's day and its run's.
func (m *Message) AfterCreate(tx *gorm.DB) error { return markMessage(txOf(tx), m, false) }

// AfterCreate marks the day of a chat.
func (e *Event) AfterCreate(tx *gorm.DB) error {
	if e.Type != "chat.started" || e.Test {
		return nil
	}
	return markDay(rawOf(txOf(tx)), e.At)
}

// AfterCreate marks the deal's day.
func (d *Deal) AfterCreate(tx *gorm.DB) error {
	if d.Test {
		return nil
	}
	return markDay(rawOf(txOf(tx)), d.CreatedAt)
}

// AfterCreate marks the start day of the run of a task created done.
func (t *Task) AfterCreate(tx *gorm.DB) error {
	if !t.Done || t.RunID == nil {
		return nil
	}
	return markRunDay(rawOf(txOf(tx)), *t.RunID)
}
