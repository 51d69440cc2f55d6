package server

import (
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/journeyhq/journey/flows"
	"github.com/journeyhq/journey/nodes"
	"github.com/journeyhq/journey/storage"
)

// variantResult is one path of an A/B split with its numbers.
type variantResult struct {
	Name   string `json:"name"`
	Weight int    `json:"weight"`
	// Entries counts contacts (runs) sent down this path.
	Entries int64 `json:"entries"`
	// Conversions counts those that reached the journey's goal.
	Conversions int64 `json:"conversions"`
	// ConversionRate is Conversions/Entries, 0 to 1 (0 without entries).
	ConversionRate float64 `json:"conversion_rate"`
	// Uplift is the relative change of the rate against the control
	// (0.25 = converts 25% better); null for the control itself or when
	// the control has no conversions.
	Uplift *float64 `json:"uplift"`
	// Z and Confidence compare this path with the control (zero for it).
	Z          float64 `json:"z"`
	Confidence float64 `json:"confidence"`
	// EnoughData says whether this path and the control meet the minimum
	// sample of the test.
	EnoughData bool `json:"enough_data"`
}

// experimentResult is one A/B split step of a journey.
type experimentResult struct {
	NodeID string `json:"node_id"`
	Name   string `json:"name"`
	// Variants are the split's paths in the draft's order; the first is
	// the control.
	Variants []variantResult `json:"variants"`
	// Winner names the path that converts better with at least 95%
	// confidence, or is empty.
	Winner string `json:"winner"`
	// Confidence is the confidence of the verdict's comparison, 0 to 1.
	Confidence float64 `json:"confidence"`
	// MinSamplePerPath is how many contacts each path needs at the
	// control's conversion rate before the test can tell (0 when unknown).
	MinSamplePerPath int64 `json:"min_sample_per_path"`
	// Verdict says it in a sentence.
	Verdict string `json:"verdict"`
}

// experimentsResponse is GET /flows/:id/experiments.
type experimentsResponse struct {
	FlowID      string             `json:"flow_id"`
	Since       time.Time          `json:"since"`
	Experiments []experimentResult `json:"experiments"`
}

// flowExperimentsHandler serves the results of every A/B split in the
// journey's draft over the live runs started since ?since= (default all
// time: an experiment is judged on everyone it has seen).
func (s *Server) flowExperimentsHandler(c *fiber.Ctx) error {
	id := param(c, "id")
	since, err := s.sinceQuery(c, 0)
	if err != nil {
		return err
	}
	db := s.store.Reader()
	f, err := storage.GetFlow(db, id)
	if err != nil {
		return orNotFound(err, "There is no journey with id %q.", id)
	}
	doc, err := flows.Decode([]byte(f.Draft))
	if err != nil {
		return fmt.Errorf("decode draft of %s: %w", id, err)
	}
	if err := s.refreshAnalytics(c); err != nil {
		return err
	}
	counts, err := storage.SplitCounts(db, id, nodes.TypeSplit, since)
	if err != nil {
		return err
	}
	return c.JSON(experimentsResponse{FlowID: id, Since: since.UTC(), Experiments: buildExperiments(doc, counts)})
}

// buildExperiments pairs each split of the draft with its counts. Paths
// that have numbers but are no longer in the draft are listed last with
// weight 0, so no contact goes missing from the panel.
func buildExperiments(doc *flows.Flow, counts []storage.SplitPathCount) []experimentResult {
	byNode := map[string]map[string]storage.SplitPathCount{}
	for _, c := range counts {
		if byNode[c.NodeID] == nil {
			byNode[c.NodeID] = map[string]storage.SplitPathCount{}
		}
		byNode[c.NodeID][c.Port] = c
	}
	out := []experimentResult{}
	for _, n := range doc.Nodes {
		if n.Type != nodes.TypeSplit {
			continue
		}
		var p nodes.SplitParams
		_ = json.Unmarshal(n.Params, &p) // a draft may be half-edited; an unreadable split shows no paths
		seen := map[string]bool{}
		var vs []variantResult
		for _, b := range p.Branches {
			c := byNode[n.ID][b.Name]
			seen[b.Name] = true
			vs = append(vs, variantResult{Name: b.Name, Weight: b.Weight, Entries: c.Entered, Conversions: c.Converted})
		}
		for _, c := range counts {
			if c.NodeID == n.ID && !seen[c.Port] {
				vs = append(vs, variantResult{Name: c.Port, Entries: c.Entered, Conversions: c.Converted})
			}
		}
		name := n.Name
		if name == "" {
			name = n.ID
		}
		out = append(out, judge(n.ID, name, vs))
	}
	return out
}

// judge computes each path's rate, uplift and test against the control
// (the first path) and the verdict.
func judge(nodeID, name string, vs []variantResult) experimentResult {
	e := experimentResult{NodeID: nodeID, Name: name, Variants: vs}
	if vs == nil {
		e.Variants = []variantResult{}
	}
	for i := range vs {
		if vs[i].Entries > 0 {
			vs[i].ConversionRate = float64(vs[i].Conversions) / float64(vs[i].Entries)
		}
	}
	if len(vs) < 2 {
		e.Verdict = "Not enough data yet."
		return e
	}
	ctl := &vs[0]
	e.MinSamplePerPath = minSamplePerPath(ctl.ConversionRate)
	allEnough := true
	for i := 1; i < len(vs); i++ {
		v := &vs[i]
		if ctl.ConversionRate > 0 {
			u := (v.ConversionRate - ctl.ConversionRate) / ctl.ConversionRate
			v.Uplift = &u
		}
		t := twoProportionZ(ctl.Conversions, ctl.Entries, v.Conversions, v.Entries)
		v.Z, v.Confidence, v.EnoughData = t.Z, t.Confidence, t.Enough
		allEnough = allEnough && t.Enough
	}
	ctl.EnoughData = enoughSample(ctl.Conversions, ctl.Entries)

	// The leader is the best converting path; it wins when it beats the
	// control (or, for the control, its closest challenger) with enough
	// data and at least 95% confidence.
	best := 0
	for i := range vs {
		if vs[i].ConversionRate > vs[best].ConversionRate {
			best = i
		}
	}
	var conf float64
	var enough bool
	if best > 0 {
		conf, enough = vs[best].Confidence, vs[best].EnoughData
	} else {
		second := 1
		for i := 2; i < len(vs); i++ {
			if vs[i].ConversionRate > vs[second].ConversionRate {
				second = i
			}
		}
		conf, enough = vs[second].Confidence, vs[second].EnoughData
	}
	e.Confidence = conf
	switch {
	case !allEnough || !enough:
		if e.MinSamplePerPath > 0 {
			e.Verdict = fmt.Sprintf("Not enough data yet: each path needs about %d contacts and at least %d conversions.", e.MinSamplePerPath, minConversions)
		} else {
			e.Verdict = fmt.Sprintf("Not enough data yet: each path needs at least %d conversions.", minConversions)
		}
	case conf >= winConfidence:
		e.Winner = vs[best].Name
		e.Verdict = fmt.Sprintf("Path %s converts better, %d%% confidence.", vs[best].Name, percentDown(conf))
	default:
		e.Verdict = fmt.Sprintf("No clear winner yet: path %s is ahead with %d%% confidence (a winner needs 95%%).", vs[best].Name, percentDown(conf))
	}
	return e
}

// percentDown shows a confidence as a whole percentage, rounded down so
// that 94.9% is never shown as the 95% a win needs.
func percentDown(conf float64) int {
	return int(math.Floor(conf*100 + 1e-9))
}
