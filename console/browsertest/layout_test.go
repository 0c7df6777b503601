package browsertest

import (
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestKeyboardAndPhoneWidth checks that the phone list can be used with
// the keyboard alone (Tab to a phone's box, Space to select it) and that
// at a phone's width the pages fit the screen: no page scrolls sideways,
// and the phone list keeps its names and statuses.
func TestKeyboardAndPhoneWidth(t *testing.T) {
	srv := startConsole(t, nil)
	b := newTab(t, srv)
	b.loginAdmin()
	b.open("/console/phones")

	// Focus the first phone's box as Tab does, from the select-all box.
	b.do("focus the select-all box", chromedp.Focus(chromedp.CSS(`[data-select-all]`)))
	b.do("tab to the first phone", chromedp.KeyEvent(kb.Tab))
	if name := eval[string](b, `document.activeElement.name`); name != "phone" {
		t.Fatalf("Tab from the select-all box focused %q, want the first phone's box", name)
	}
	b.do("select it with Space", chromedp.KeyEvent(" "))
	b.waitFor("one phone selected", `document.querySelector('[data-selected-count]').textContent === '1'`)
	if n := b.count(`input[name=phone]:checked`); n != 1 {
		t.Errorf("%d boxes checked after Space, want 1", n)
	}

	for _, w := range []struct {
		name          string
		width, height int64
	}{{"1280x800", 1280, 800}, {"phone", 390, 844}} {
		b.do("set the viewport to "+w.name, chromedp.EmulateViewport(w.width, w.height))
		for _, path := range []string{"/console/", "/console/phones", "/console/jobs", "/console/servers"} {
			b.open(path)
			if over := eval[bool](b, `document.documentElement.scrollWidth > window.innerWidth + 1`); over {
				t.Errorf("%s at %s scrolls sideways: %v px wide in a %v px window", path, w.name,
					eval[float64](b, `document.documentElement.scrollWidth`), eval[float64](b, `window.innerWidth`))
			}
		}
		b.open("/console/phones")
		if w.name == "phone" {
			b.screenshot("phones-narrow")
		}
		for _, css := range []string{`table.phones tbody tr td:nth-child(2) a`, `table.phones tbody tr .status`} {
			if !eval[bool](b, `(() => { const e = document.querySelector('`+css+`'); const r = e.getBoundingClientRect(); return r.width > 0 && r.right <= window.innerWidth; })()`) {
				t.Errorf("at %s, %s is not on the screen", w.name, css)
			}
		}
	}
}
