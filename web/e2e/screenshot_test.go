package e2e

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/journeyhq/journey/flows"
)

// readmeScreenshot is the picture of the editor that README.md shows. The
// browser test below takes it; JOURNEY_UPDATE_SCREENSHOT=1 rewrites it.
var readmeScreenshot = filepath.Join("testdata", "editor.png")

// The screenshot is compared by size and sense, never pixel by pixel: fonts
// and anti-aliasing differ between machines.
func checkScreenshot(t *testing.T, data []byte) image.Image {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the screenshot is not a PNG: %v", err)
	}
	if b := img.Bounds(); b.Dx() != viewportW || b.Dy() != viewportH {
		t.Fatalf("the screenshot is %dx%d, want the %dx%d viewport", b.Dx(), b.Dy(), viewportW, viewportH)
	}
	// A blank or half-drawn page has few colours; the canvas with its
	// cards, palette and numbers has many.
	colours := map[[3]uint32]bool{}
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y += 4 {
		for x := b.Min.X; x < b.Max.X; x += 4 {
			r, g, bl, _ := img.At(x, y).RGBA()
			colours[[3]uint32{r >> 8, g >> 8, bl >> 8}] = true
		}
	}
	if len(colours) < 40 {
		t.Fatalf("the screenshot has %d colours: the editor was not drawn", len(colours))
	}
	return img
}

// The README shows the committed screenshot: it must be there and sound.
func TestReadmeShowsTheEditorScreenshot(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(readmeScreenshot)
	if err != nil {
		t.Fatalf("the README screenshot is missing (run the browser test with JOURNEY_UPDATE_SCREENSHOT=1): %v", err)
	}
	if len(data) < 20<<10 || len(data) > 2<<20 {
		t.Fatalf("the README screenshot is %d bytes, want between 20 KiB and 2 MiB", len(data))
	}
	checkScreenshot(t, data)
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(readme), "](web/e2e/testdata/editor.png)") {
		t.Fatal("README.md does not show web/e2e/testdata/editor.png")
	}
}

// The editor as a new user sees it once a journey runs: the chat lead
// template on the canvas, with today's numbers on each step.
func TestEditorScreenshot(t *testing.T) {
	a := startApp(t)
	b := newBrowser(t)
	b.signUp(a)

	doc, err := fs.ReadFile(flows.TemplatesFS(), "chat-lead-qualification.json")
	if err != nil {
		t.Fatal(err)
	}
	f, err := flows.Decode(doc)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), stepTimeout())
	defer cancel()
	if _, err := a.eng.Import(ctx, f, true); err != nil {
		t.Fatalf("import the template: %v", err)
	}
	for _, body := range []string{
		`{"email":"ana@example.com","name":"Ana Ruiz","company":"Acme","score":72,"transcript":"I would like a demo."}`,
		`{"email":"bo@example.com","name":"Bo Lind","score":20,"transcript":"Just looking."}`,
		`{"email":"cy@example.com","name":"Cy Park","score":35,"transcript":"Send me the pricing."}`,
	} {
		if st := post(t, a.url+"/hooks/chat-finished", body); st != http.StatusAccepted {
			t.Fatalf("webhook answered %d", st)
		}
	}
	b.do("open the journey", chromedp.Navigate(a.url+"/flows/chat-lead-qualification"))
	b.waitJS("the canvas", `!!document.querySelector('.react-flow__node[data-id="is_hot"]')`)
	b.choose("period", "1")
	b.waitJS("today's numbers", `(document.querySelector('[data-id="is_hot"] [data-testid=node-stats]')||{}).innerText?.includes('3 entered')`)
	b.waitJS("every run finished", `(document.querySelector('[data-id="nurture"] [data-testid=node-stats]')||{}).innerText?.includes('2 entered')`)

	shotCtx, shotCancel := context.WithTimeout(b.ctx, stepTimeout())
	defer shotCancel()
	// Let the canvas settle (fit-view animation, fonts) before the picture.
	if _, err := chromedp.Run(shotCtx, chromedp.Poll[bool](`document.fonts.status === 'loaded'`, chromedp.WithPollingTimeout(stepTimeout()))); err != nil {
		t.Fatalf("fonts: %v", err)
	}
	shot, err := chromedp.Run(shotCtx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	checkScreenshot(t, shot)
	if os.Getenv("JOURNEY_UPDATE_SCREENSHOT") == "1" {
		if err := os.WriteFile(readmeScreenshot, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s (%d bytes)", readmeScreenshot, len(shot))
	}
	if errs := b.consoleErrors(); len(errs) > 0 {
		t.Errorf("console errors: %v", errs)
	}
}
