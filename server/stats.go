package server

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/storage"
)

// nodeStats are the numbers the editor shows on a node card.
type nodeStats struct {
	// Entered counts contacts (runs) that reached the node.
	Entered int64 `json:"entered"`
	// Waiting counts runs waiting at the node now.
	Waiting int64 `json:"waiting"`
	// Ports counts the runs that went on down each path.
	Ports map[string]int64 `json:"ports"`
	// Failed counts runs whose step here failed after every retry.
	Failed int64 `json:"failed"`
	// Converted counts runs through this node that reached the goal.
	Converted int64 `json:"converted"`
}

// flowStats is GET /flows/:id/stats.
type flowStats struct {
	FlowID    string                `json:"flow_id"`
	Since     time.Time             `json:"since"`
	Nodes     map[string]*nodeStats `json:"nodes"`
	Converted int64                 `json:"converted"`
	Waiting   int64                 `json:"waiting"`
	// Entries counts the runs started in the period: the funnel's 100%.
	Entries int64 `json:"entries"`
	// ConversionRate is Converted/Entries, 0 to 1 (0 without entries).
	ConversionRate float64 `json:"conversion_rate"`
	// MedianSecondsToConvert is the median time from entry to goal of the
	// converted runs, in seconds (null when none converted).
	MedianSecondsToConvert *float64 `json:"median_seconds_to_convert"`
}

// defaultStatsPeriod is the period of GET /flows/:id/stats without ?since=.
const defaultStatsPeriod = 24 * time.Hour

// flowStatsHandler serves per-node numbers of a flow's live runs (test
// runs excluded) started since ?since= (a time back from now such as 24h
// or 7d, or an RFC 3339 date; default the last 24h).
func (s *Server) flowStatsHandler(c *fiber.Ctx) error {
	id := param(c, "id")
	since, err := s.sinceQuery(c, defaultStatsPeriod)
	if err != nil {
		return err
	}
	db := s.store.Reader()
	if _, err := storage.GetFlow(db, id); err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	if err := s.refreshAnalytics(c); err != nil {
		return err
	}
	raw, err := storage.NodeStats(db, id, since)
	if err != nil {
		return err
	}
	totals, err := storage.FlowTotals(db, id, since)
	if err != nil {
		return err
	}
	out := buildFlowStats(id, since.UTC(), raw)
	out.Entries = totals.Entries
	if totals.Entries > 0 {
		out.ConversionRate = float64(totals.Converted) / float64(totals.Entries)
	}
	if totals.Converted > 0 {
		secs := totals.MedianToConvert.Seconds()
		out.MedianSecondsToConvert = &secs
	}
	return c.JSON(out)
}

// Ports of the wait nodes whose resumption leaves no step of its own.
const (
	typeDelay     = "wait.delay"
	typeEventWait = "wait.event"
)

// buildFlowStats turns the raw counts into per-node numbers. A wait that
// resumed records no step of its own, so its paths are inferred: runs that
// waited there, less those still waiting (and, for event waits, less the
// timeouts, which are recorded).
func buildFlowStats(id string, since time.Time, raw *storage.FlowNodeStats) *flowStats {
	out := &flowStats{FlowID: id, Since: since, Nodes: map[string]*nodeStats{},
		Converted: raw.ConvertedTotal, Waiting: raw.WaitingTotal}
	node := func(nid string) *nodeStats {
		n := out.Nodes[nid]
		if n == nil {
			n = &nodeStats{Ports: map[string]int64{}}
			out.Nodes[nid] = n
		}
		return n
	}
	for _, c := range raw.Entered {
		node(c.NodeID).Entered = c.N
	}
	for _, c := range raw.Failed {
		node(c.NodeID).Failed = c.N
	}
	for _, c := range raw.Converted {
		node(c.NodeID).Converted = c.N
	}
	for _, c := range raw.Waiting {
		node(c.NodeID).Waiting = c.N
	}
	waited := map[string]int64{}
	timedOut := map[string]int64{}
	types := map[string]string{}
	for _, st := range raw.Steps {
		if st.NodeType != "" {
			types[st.NodeID] = st.NodeType
		}
		switch st.Status {
		case "completed", "failed":
			if st.Port != "" {
				node(st.NodeID).Ports[st.Port] += st.N
			}
		case "timed_out":
			timedOut[st.NodeID] += st.N
			node(st.NodeID).Ports[st.Port] += st.N
		case "waiting":
			waited[st.NodeID] += st.N
		}
	}
	for nid, n := range waited {
		resumed := n - node(nid).Waiting
		switch types[nid] {
		case typeDelay:
			if resumed > 0 {
				node(nid).Ports["out"] += resumed
			}
		case typeEventWait:
			// Runs resumed since arrivals were recorded are counted already.
			if resumed -= timedOut[nid] + node(nid).Ports["event"]; resumed > 0 {
				node(nid).Ports["event"] += resumed
			}
		}
	}
	return out
}

// sinceQuery reads ?since=: a time back from now ("24h", "7d", "2w"), or a
// date and time in RFC 3339. Without it, the answer is now less dflt (the
// zero time when dflt is 0).
func (s *Server) sinceQuery(c *fiber.Ctx, dflt time.Duration) (time.Time, error) {
	v := c.Query("since")
	if v == "" {
		if dflt == 0 {
			return time.Time{}, nil
		}
		return s.now().Add(-dflt), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	if d, err := flows.ParseDuration(v); err == nil && d > 0 {
		return s.now().Add(-d), nil
	}
	return time.Time{}, badRequest("since must be a time back from now such as 24h or 7d, or a date and time like 2026-11-30T09:00:00Z.")
}
