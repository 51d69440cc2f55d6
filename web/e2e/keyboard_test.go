package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// Editing without dragging: a step is added from the palette by keyboard,
// connected from the side panel, copied and pasted, and undo takes the
// paste back.
func TestEditWithTheKeyboard(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.clickText("Start from a template")
	b.clickLabel("Use this template: Chat lead qualification")
	b.waitJS("the template on the canvas", `document.querySelectorAll('.react-flow__node').length === 8`)

	// Add a step from the palette with the keyboard.
	b.fill("palette-search", "score")
	b.do("focus the step", chromedp.Focus(chromedp.CSS(`.palette-item[data-type="crm.score"]`)))
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	b.waitJS("the new step", `!!document.querySelector('.react-flow__node[data-id="score"]')`)
	b.fillParam("Points", "10")
	b.waitJS("the card sentence", `document.querySelector('[data-id="score"]').innerText.includes('Add 10 to the lead score')`)

	// Connect "Add to the nurture list" to it from the side panel.
	b.click(`.react-flow__node[data-id="nurture"]`)
	b.waitJS("the nurture form", `!!document.getElementById('next-nurture-out')`)
	b.choose("next-nurture-out", "score")
	b.waitJS("the connection", `document.querySelectorAll('.react-flow__edge').length === 8`)

	// Copy and paste the selected step.
	b.click(`.react-flow__node[data-id="score"]`)
	b.do("copy", chromedp.KeyEvent("c", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.do("paste", chromedp.KeyEvent("v", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitJS("the copy", `!!document.querySelector('.react-flow__node[data-id="score_2"]')`)
	b.waitJS("the copy says what it does", `document.querySelector('.react-flow__node[data-id="score_2"]').innerText.includes('Add 10 to the lead score')`)
	b.do("undo", chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitJS("the copy is gone", `!document.querySelector('.react-flow__node[data-id="score_2"]')`)
	b.do("redo", chromedp.KeyEvent("z", chromedp.KeyModifiers(chromedp.ModifierCtrl, chromedp.ModifierShift)))
	b.waitJS("the copy is back", `!!document.querySelector('.react-flow__node[data-id="score_2"]')`)

	// Save and reload: nothing is lost.
	b.do("save", chromedp.KeyEvent("s", chromedp.KeyModifiers(chromedp.ModifierCtrl)))
	b.waitJS("saved", `document.body.innerText.includes('Saved')`)
	b.do("reload", chromedp.Reload())
	b.waitJS("the saved steps", `document.querySelectorAll('.react-flow__node').length === 10 && document.querySelectorAll('.react-flow__edge').length === 8`)
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
