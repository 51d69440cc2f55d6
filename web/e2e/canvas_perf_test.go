package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// bigFlow is a valid journey of n steps: a trigger, then a chain of score
// changes and short waits, laid out in a grid.
func bigFlow(n int) string {
	type node struct {
		ID       string         `json:"id"`
		Type     string         `json:"type"`
		Params   map[string]any `json:"params,omitempty"`
		Position map[string]int `json:"position"`
	}
	type edge struct {
		From string `json:"from"`
		To   string `json:"to"`
	}
	nodes := []node{{ID: "start", Type: "trigger.manual", Position: map[string]int{"x": 0, "y": 0}}}
	var edges []edge
	for i := 1; i < n; i++ {
		id := fmt.Sprintf("s%03d", i)
		nd := node{ID: id, Type: "crm.score", Params: map[string]any{"points": i}, Position: map[string]int{"x": (i % 10) * 260, "y": (i / 10) * 140}}
		if i%5 == 0 {
			nd = node{ID: id, Type: "wait.delay", Params: map[string]any{"duration": "1d"}, Position: nd.Position}
		}
		nodes = append(nodes, nd)
		edges = append(edges, edge{From: nodes[i-1].ID, To: id})
	}
	data, _ := json.Marshal(map[string]any{"id": "big", "name": "Two hundred steps", "settings": map[string]any{}, "nodes": nodes, "edges": edges})
	return string(data)
}

// The canvas with 200 steps: it opens, pans, drags a step and selects one.
// The times are logged for the report (a shared CI machine is too noisy to
// assert them); the test asserts that each gesture did what it should.
func TestCanvasWith200Steps(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	status := eval[int](b, fmt.Sprintf(`fetch('/api/v1/flows', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: %q}).then(r => r.status)`, bigFlow(200)))
	if status != 201 {
		t.Fatalf("create the 200-step flow: status %d", status)
	}

	start := time.Now()
	b.do("open the big journey", chromedp.Navigate(a.url+"/flows/big"))
	b.waitJS("the steps", `document.querySelectorAll('.react-flow__node').length > 10`)
	t.Logf("200 steps: canvas shown %v after navigation", time.Since(start).Round(time.Millisecond))
	// Count long tasks (main thread busy > 50 ms) during the gestures.
	b.do("watch long tasks", chromedp.Evaluate[chromedp.Void](`window.__long = []; new PerformanceObserver(l => window.__long.push(...l.getEntries().map(e => Math.round(e.duration)))).observe({type: 'longtask'})`))
	// Frame intervals during each gesture tell how smooth it felt.
	startFrames := chromedp.Evaluate[chromedp.Void](`window.__frames = []; window.__rec = true; (function f(t) { if (!window.__rec) return; window.__frames.push(t); requestAnimationFrame(f) })(performance.now())`)
	frames := func(what string) {
		iv := eval[[]float64](b, `(() => { window.__rec = false; const f = window.__frames; const d = []; for (let i = 1; i < f.length; i++) d.push(f[i] - f[i-1]); return d.sort((a, b) => a - b) })()`)
		if len(iv) == 0 {
			return
		}
		t.Logf("200 steps: %s: %d frames, median frame %.0f ms, worst %.0f ms", what, len(iv)+1, iv[len(iv)/2], iv[len(iv)-1])
	}

	transform := `document.querySelector('.react-flow__viewport').style.transform`
	before := eval[string](b, transform)
	b.do("record frames", startFrames)
	start = time.Now()
	b.do("pan", chromedp.DragAndDropXY(600, 700, 400, 450, 20))
	b.waitJS("the view moved", fmt.Sprintf(`%s !== %q`, transform, before))
	t.Logf("200 steps: pan of 20 moves took %v", time.Since(start).Round(time.Millisecond))
	frames("pan")

	sel := `.react-flow__node:not(.selected)`
	id := eval[string](b, fmt.Sprintf(`(() => { const ns = [...document.querySelectorAll(%q)].filter(n => { const r = n.getBoundingClientRect(); return r.x > 260 && r.y > 120 && r.right < 900 && r.bottom < 760 }); return ns[0].dataset.id })()`, sel))
	node := fmt.Sprintf(`.react-flow__node[data-id=%q]`, id)
	posBefore := eval[string](b, fmt.Sprintf(`document.querySelector(%q).style.transform`, node))
	x, y := b.center(node)
	b.do("record frames", startFrames)
	start = time.Now()
	b.do("drag a step", chromedp.DragAndDropXY(x, y, x+60, y+40, 20))
	b.waitJS("the step moved", fmt.Sprintf(`document.querySelector(%q).style.transform !== %q`, node, posBefore))
	t.Logf("200 steps: drag of 20 moves took %v", time.Since(start).Round(time.Millisecond))
	frames("drag")
	b.waitJS("the move can be undone", `[...document.querySelectorAll('button')].find(e => e.textContent === 'Undo' && !e.disabled) !== undefined`)

	other := eval[string](b, fmt.Sprintf(`[...document.querySelectorAll(%q)].find(n => n.dataset.id !== %q && n.getBoundingClientRect().x > 260 && n.getBoundingClientRect().right < 900 && n.getBoundingClientRect().y > 120 && n.getBoundingClientRect().bottom < 760).dataset.id`, sel, id))
	start = time.Now()
	b.click(fmt.Sprintf(`.react-flow__node[data-id=%q]`, other))
	b.waitJS("its form", fmt.Sprintf(`document.querySelector('aside[aria-label="Step settings"]')?.innerText.includes(%q)`, other))
	t.Logf("200 steps: select and show the form took %v", time.Since(start).Round(time.Millisecond))
	// Insert a step between two steps in view (everything after it moves
	// down), five times; the editor marks the picker's opening and the
	// step's adding (performance.measure "picker-open" and "add-step",
	// each ending at the next frame).
	inView := `[...document.querySelectorAll('.edge-tools .add-step')].find(e => { const r = e.getBoundingClientRect(), c = document.querySelector('.canvas').getBoundingClientRect(); return r.left > c.left + 20 && r.right < c.right - 200 && r.top > c.top + 20 && r.bottom < c.bottom - 200 })`
	var opens, inserts []float64
	for i := 0; i < 5; i++ {
		b.do("clear marks", chromedp.Evaluate[chromedp.Void](`performance.clearMeasures()`))
		b.waitJS("a connection in view", "!!"+inView)
		x, y := b.centerOf(inView)
		b.do("open the picker", chromedp.MouseClickXY(x, y))
		b.waitJS("the picker", `!!document.querySelector('.step-picker')`)
		before := eval[int](b, `document.querySelectorAll('.react-flow__node').length`)
		b.click(`.step-picker .step-choice[data-type="crm.score"]`)
		b.waitJS("the new step", fmt.Sprintf(`document.querySelectorAll('.react-flow__node').length === %d`, before+1))
		b.waitJS("both measured", `performance.getEntriesByName('add-step').length === 1 && performance.getEntriesByName('picker-open').length === 1`)
		ms := eval[[]float64](b, `[performance.getEntriesByName('picker-open')[0].duration, performance.getEntriesByName('add-step')[0].duration]`)
		opens, inserts = append(opens, math.Round(ms[0])), append(inserts, math.Round(ms[1]))
	}
	slices.Sort(opens)
	slices.Sort(inserts)
	t.Logf("200 steps: open the step picker %v ms (median %.0f), insert a step %v ms (median %.0f)", opens, opens[2], inserts, inserts[2])
	long := eval[[]int](b, `window.__long`)
	t.Logf("200 steps: long tasks during pan, drag and select: %v", long)
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
