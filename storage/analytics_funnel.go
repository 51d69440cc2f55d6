package storage

import (
	"fmt"
	"sort"
	"time"
)

// funnel is a journey's per-node numbers for some runs (see FlowNodeStats),
// counted from the raw rows of part of a day or read from the rollups of
// whole days, and added up.
type funnel struct {
	steps map[NodeStepCount]int64 // N unset
	runs  map[string]*nodeRuns
	paths map[SplitPathCount]*[2]int64 // Entered and Converted unset
}

type nodeRuns struct{ entered, failed, converted int64 }

func newFunnel() *funnel {
	return &funnel{steps: map[NodeStepCount]int64{}, runs: map[string]*nodeRuns{}, paths: map[SplitPathCount]*[2]int64{}}
}

func (f *funnel) node(id string) *nodeRuns {
	if f.runs[id] == nil {
		f.runs[id] = &nodeRuns{}
	}
	return f.runs[id]
}

func (f *funnel) path(nodeType, nodeID, port string) *[2]int64 {
	k := SplitPathCount{NodeID: nodeType + "\x00" + nodeID, Port: port}
	if f.paths[k] == nil {
		f.paths[k] = &[2]int64{}
	}
	return f.paths[k]
}

// eachFunnel counts the steps of the runs of af's period per journey, from
// the raw rows: each journey's funnel goes to fn.
func eachFunnel(r rawDB, af AnalyticsFilter, get func(flow string) *funnel) error {
	where, args := runsWhere(af)
	from := ` FROM steps s JOIN runs r ON r.id = s.run_id WHERE ` + where
	rows, err := r.query(`SELECT r.flow_id, s.node_id, s.node_type, s.status, s.port, COUNT(*)`+from+`
		GROUP BY r.flow_id, s.node_id, s.node_type, s.status, s.port`, args...)
	if err != nil {
		return fmt.Errorf("count steps: %w", err)
	}
	err = scanEach(rows, func() error {
		var flow string
		var k NodeStepCount
		var n int64
		if err := rows.Scan(&flow, &k.NodeID, &k.NodeType, &k.Status, &k.Port, &n); err != nil {
			return err
		}
		get(flow).steps[k] += n
		return nil
	})
	if err != nil {
		return fmt.Errorf("count steps: %w", err)
	}
	rows, err = r.query(`SELECT r.flow_id, s.node_id,
		COUNT(DISTINCT CASE WHEN s.status <> 'timed_out' THEN s.run_id END),
		COUNT(DISTINCT CASE WHEN s.status = 'failed' THEN s.run_id END),
		COUNT(DISTINCT CASE WHEN r.outcome = '`+OutcomeConverted+`' THEN s.run_id END)`+from+`
		GROUP BY r.flow_id, s.node_id`, args...)
	if err != nil {
		return fmt.Errorf("count runs per step: %w", err)
	}
	err = scanEach(rows, func() error {
		var flow, node string
		var n nodeRuns
		if err := rows.Scan(&flow, &node, &n.entered, &n.failed, &n.converted); err != nil {
			return err
		}
		acc := get(flow).node(node)
		acc.entered += n.entered
		acc.failed += n.failed
		acc.converted += n.converted
		return nil
	})
	if err != nil {
		return fmt.Errorf("count runs per step: %w", err)
	}
	rows, err = r.query(`SELECT r.flow_id, s.node_type, s.node_id, s.port, COUNT(DISTINCT s.run_id),
		COUNT(DISTINCT CASE WHEN r.outcome = '`+OutcomeConverted+`' THEN s.run_id END)`+from+` AND s.status = 'completed' AND s.port <> ''
		GROUP BY r.flow_id, s.node_type, s.node_id, s.port`, args...)
	if err != nil {
		return fmt.Errorf("count paths: %w", err)
	}
	return scanEach(rows, func() error {
		var flow, typ, node, port string
		var entered, converted int64
		if err := rows.Scan(&flow, &typ, &node, &port, &entered, &converted); err != nil {
			return fmt.Errorf("count paths: %w", err)
		}
		p := get(flow).path(typ, node, port)
		p[0] += entered
		p[1] += converted
		return nil
	})
}

// writeFunnel writes a journey's funnel of day d (its old rows are gone).
func writeFunnel(r rawDB, flow, d string, f *funnel) error {
	for k, n := range f.steps {
		if _, err := r.exec(`INSERT INTO analytics_node_steps (flow_id, day, node_id, node_type, status, port, steps) VALUES (?,?,?,?,?,?,?)`,
			flow, d, k.NodeID, k.NodeType, k.Status, k.Port, n); err != nil {
			return fmt.Errorf("write funnel of %s: %w", d, err)
		}
	}
	for node, n := range f.runs {
		if _, err := r.exec(`INSERT INTO analytics_node_runs (flow_id, day, node_id, entered, failed, converted) VALUES (?,?,?,?,?,?)`,
			flow, d, node, n.entered, n.failed, n.converted); err != nil {
			return fmt.Errorf("write funnel of %s: %w", d, err)
		}
	}
	for k, p := range f.paths {
		typ, node := splitPathKey(k.NodeID)
		if _, err := r.exec(`INSERT INTO analytics_paths (flow_id, day, node_type, node_id, port, entered, converted) VALUES (?,?,?,?,?,?,?)`,
			flow, d, typ, node, k.Port, p[0], p[1]); err != nil {
			return fmt.Errorf("write funnel of %s: %w", d, err)
		}
	}
	return nil
}

func splitPathKey(k string) (nodeType, nodeID string) {
	for i := range len(k) {
		if k[i] == 0 {
			return k[:i], k[i+1:]
		}
	}
	return "", k
}

// readFunnel adds the rollups of flowID's days from d1 on to f.
func readFunnel(r rawDB, flowID, d1 string, f *funnel) error {
	rows, err := r.query(`SELECT node_id, node_type, status, port, SUM(steps) FROM analytics_node_steps
		WHERE flow_id = ? AND day >= ? GROUP BY node_id, node_type, status, port`, flowID, d1)
	if err != nil {
		return fmt.Errorf("count steps: %w", err)
	}
	err = scanEach(rows, func() error {
		var k NodeStepCount
		var n int64
		if err := rows.Scan(&k.NodeID, &k.NodeType, &k.Status, &k.Port, &n); err != nil {
			return err
		}
		f.steps[k] += n
		return nil
	})
	if err != nil {
		return fmt.Errorf("count steps: %w", err)
	}
	rows, err = r.query(`SELECT node_id, SUM(entered), SUM(failed), SUM(converted) FROM analytics_node_runs
		WHERE flow_id = ? AND day >= ? GROUP BY node_id`, flowID, d1)
	if err != nil {
		return fmt.Errorf("count runs per step: %w", err)
	}
	err = scanEach(rows, func() error {
		var node string
		var n nodeRuns
		if err := rows.Scan(&node, &n.entered, &n.failed, &n.converted); err != nil {
			return err
		}
		acc := f.node(node)
		acc.entered += n.entered
		acc.failed += n.failed
		acc.converted += n.converted
		return nil
	})
	if err != nil {
		return fmt.Errorf("count runs per step: %w", err)
	}
	rows, err = r.query(`SELECT node_type, node_id, port, SUM(entered), SUM(converted) FROM analytics_paths
		WHERE flow_id = ? AND day >= ? GROUP BY node_type, node_id, port`, flowID, d1)
	if err != nil {
		return fmt.Errorf("count paths: %w", err)
	}
	return scanEach(rows, func() error {
		var typ, node, port string
		var entered, converted int64
		if err := rows.Scan(&typ, &node, &port, &entered, &converted); err != nil {
			return fmt.Errorf("count paths: %w", err)
		}
		p := f.path(typ, node, port)
		p[0] += entered
		p[1] += converted
		return nil
	})
}

// sinceSplit cuts "since" into a part of a day counted from the raw rows,
// [since, the next midnight), and whole days read from the rollups, from
// that midnight on (empty raw part when since is a midnight).
func sinceSplit(flowID string, since time.Time) (raw AnalyticsFilter, fromDay string, hasRaw bool) {
	since = since.UTC()
	next := since.Truncate(24 * time.Hour)
	if next.Before(since) {
		next = next.Add(24 * time.Hour)
	}
	return AnalyticsFilter{FlowID: flowID, Since: since, Until: next}, dayOf(next), next.After(since)
}

// flowFunnel adds up flowID's funnel of the runs started at or after since.
func flowFunnel(r rawDB, flowID string, since time.Time) (*funnel, error) {
	f := newFunnel()
	part, fromDay, hasRaw := sinceSplit(flowID, since)
	if hasRaw {
		err := eachFunnel(r, part, func(flow string) *funnel { return f })
		if err != nil {
			return nil, err
		}
	}
	return f, readFunnel(r, flowID, fromDay, f)
}

// NodeStats reads the per-node numbers of a flow's runs started at or
// after since: whole days from the rollups (call Store.RefreshAnalytics
// first), the part of a day before them from the raw rows. The runs
// waiting now are read live.
func NodeStats(db Tx, flowID string, since time.Time) (*FlowNodeStats, error) {
	r := rawOf(db)
	f, err := flowFunnel(r, flowID, since)
	if err != nil {
		return nil, err
	}
	var s FlowNodeStats
	for k, n := range f.steps {
		k.N = n
		s.Steps = append(s.Steps, k)
	}
	sort.Slice(s.Steps, func(i, j int) bool {
		a, b := s.Steps[i], s.Steps[j]
		return a.NodeID+"\x00"+a.Status+"\x00"+a.Port < b.NodeID+"\x00"+b.Status+"\x00"+b.Port
	})
	for node, n := range f.runs {
		if n.entered > 0 {
			s.Entered = append(s.Entered, NodeCount{node, n.entered})
		}
		if n.failed > 0 {
			s.Failed = append(s.Failed, NodeCount{node, n.failed})
		}
		if n.converted > 0 {
			s.Converted = append(s.Converted, NodeCount{node, n.converted})
		}
	}
	for _, l := range [][]NodeCount{s.Entered, s.Failed, s.Converted} {
		sort.Slice(l, func(i, j int) bool { return l[i].NodeID < l[j].NodeID })
	}
	totals, err := flowEntries(r, flowID, since)
	if err != nil {
		return nil, err
	}
	s.ConvertedTotal = totals.conversions
	// Literal 'waiting', so that the partial index idx_runs_waiting
	// serves both (a parameter would not match its condition).
	since = since.UTC()
	rows, err := r.query(`SELECT j.node_id, COUNT(DISTINCT j.run_id) FROM runs r JOIN jobs j ON j.run_id = r.id
		WHERE r.status = 'waiting' AND r.flow_id = ? AND r.started_at >= ? AND r.test = ? AND j.kind IN (?, ?)
		GROUP BY j.node_id`, flowID, since, false, JobResume, JobTimeout)
	if err != nil {
		return nil, fmt.Errorf("count waiting: %w", err)
	}
	err = scanEach(rows, func() error {
		var c NodeCount
		if err := rows.Scan(&c.NodeID, &c.N); err != nil {
			return err
		}
		s.Waiting = append(s.Waiting, c)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("count waiting: %w", err)
	}
	if err := r.queryRow(`SELECT COUNT(*) FROM runs r WHERE r.status = 'waiting' AND r.flow_id = ? AND r.started_at >= ? AND r.test = ?`,
		flowID, since, false).Scan(&s.WaitingTotal); err != nil {
		return nil, fmt.Errorf("count waiting runs: %w", err)
	}
	return &s, nil
}

// flowEntries counts flowID's runs started at or after since, and those
// that converted: whole days from the rollups, the rest from the runs.
func flowEntries(r rawDB, flowID string, since time.Time) (struct{ entries, conversions int64 }, error) {
	var t struct{ entries, conversions int64 }
	part, fromDay, hasRaw := sinceSplit(flowID, since)
	if hasRaw {
		where, args := runsWhere(part)
		if err := r.queryRow(`SELECT COUNT(*), COALESCE(SUM(CASE WHEN r.outcome = 'converted' THEN 1 ELSE 0 END), 0) FROM runs r WHERE `+where, args...).
			Scan(&t.entries, &t.conversions); err != nil {
			return t, fmt.Errorf("count entries: %w", err)
		}
	}
	var e, c int64
	if err := r.queryRow(`SELECT COALESCE(SUM(entries), 0), COALESCE(SUM(conversions), 0) FROM analytics_days WHERE flow_id = ? AND day >= ?`,
		flowID, fromDay).Scan(&e, &c); err != nil {
		return t, fmt.Errorf("count entries: %w", err)
	}
	t.entries += e
	t.conversions += c
	return t, nil
}

// SplitCounts counts, per A/B split step (node type nodeType) and path,
// the live runs of a flow started at or after since, and those of them
// that converted (whole days from the rollups). Test runs are never
// counted.
func SplitCounts(db Tx, flowID, nodeType string, since time.Time) ([]SplitPathCount, error) {
	f, err := flowFunnel(rawOf(db), flowID, since)
	if err != nil {
		return nil, err
	}
	var out []SplitPathCount
	for k, p := range f.paths {
		typ, node := splitPathKey(k.NodeID)
		if typ != nodeType {
			continue
		}
		out = append(out, SplitPathCount{NodeID: node, Port: k.Port, Entered: p[0], Converted: p[1]})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].NodeID != out[j].NodeID {
			return out[i].NodeID < out[j].NodeID
		}
		return out[i].Port < out[j].Port
	})
	return out, nil
}

// FlowTotals reads a flow's entries, conversions and median time to
// convert (in whole seconds) for the live runs started at or after since.
func FlowTotals(db Tx, flowID string, since time.Time) (JourneyTotals, error) {
	r := rawOf(db)
	var t JourneyTotals
	e, err := flowEntries(r, flowID, since)
	if err != nil {
		return t, err
	}
	t.Entries = e.entries
	part, fromDay, hasRaw := sinceSplit(flowID, since)
	var ds []time.Duration
	if hasRaw {
		if err := eachConversionTime(r, part, func(_ string, d time.Duration) { ds = append(ds, d) }); err != nil {
			return t, err
		}
	}
	rolled, err := rolledDurations(r, flowID, durationConvert, fromDay, "9999-12-31")
	if err != nil {
		return t, err
	}
	ds = append(ds, rolled...)
	t.Converted = int64(len(ds))
	t.MedianToConvert = median(ds)
	return t, nil
}
