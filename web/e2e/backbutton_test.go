package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The browser's Back button on a canvas with unsaved changes asks first;
// answering "stay" keeps the canvas and its changes.
func TestBackButtonAsksAboutUnsavedChanges(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)
	b.clickText("Start from a template")
	b.clickLabel("Use this template: Chat lead qualification")
	b.waitJS("the template on the canvas", `document.querySelectorAll('.react-flow__node').length === 8`)
	editor := eval[string](b, `location.pathname`)

	b.fill("palette-search", "score")
	b.do("focus the step", chromedp.Focus(chromedp.CSS(`.palette-item[data-type="crm.score"]`)))
	b.do("press Enter", chromedp.KeyEvent(kb.Enter))
	b.waitJS("unsaved changes", `document.body.innerText.includes('Unsaved changes')`)

	// The native dialog is answered by the page itself: first "stay".
	eval[bool](b, `(window.__asked = [], window.confirm = (m) => { window.__asked.push(m); return false }, true)`)
	eval[bool](b, `(history.back(), true)`)
	b.waitJS("the question", `window.__asked.length === 1 && window.__asked[0].includes('not saved')`)
	b.waitJS("still on the canvas with the new step", fmt.Sprintf(`document.querySelectorAll('.react-flow__node').length === 9 && location.pathname === %q`, editor))

	// Then "leave".
	eval[bool](b, `(window.confirm = (m) => { window.__asked.push(m); return true }, true)`)
	eval[bool](b, `(history.back(), true)`)
	b.waitJS("the second question", `window.__asked.length === 2`)
	b.waitJS("the canvas is left", fmt.Sprintf(`!document.querySelector('.react-flow') && location.pathname !== %q`, editor))
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
