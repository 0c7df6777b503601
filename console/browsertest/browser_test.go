package browsertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
)

// Viewport of every tab (and of the screenshots).
const (
	viewWidth  = 1280
	viewHeight = 800
)

// stepTimeout bounds one step of a test in the browser (a navigation, a
// click, a script).
const stepTimeout = 20 * time.Second

// screenshotsEnv names the directory the tests write their screenshots
// of the console's pages to; unset, they write none.
const screenshotsEnv = "CPH_CONSOLE_SCREENSHOTS"

// browser is the one Chromium the package's tests share (each test in a
// browser context of its own: cookies are not shared).
var browser struct {
	once   sync.Once
	path   string
	ctx    context.Context
	cancel context.CancelFunc
	err    error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if browser.cancel != nil {
		browser.cancel()
	}
	os.Exit(code)
}

// chromiumPath returns the path of a Chromium on PATH, or "".
func chromiumPath() string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

// sharedBrowser returns the context of the shared browser, starting it on
// first use. Without Chromium the test is skipped, or fails under
// CI=true.
func sharedBrowser(t testing.TB) context.Context {
	t.Helper()
	browser.once.Do(func() {
		browser.path = chromiumPath()
		if browser.path == "" {
			return
		}
		opts := append(chromedp.DefaultExecAllocatorOptions[:],
			chromedp.ExecPath(browser.path),
			chromedp.Headless,
			chromedp.NoSandbox, // tests may run as root, where Chromium's sandbox refuses to start
			chromedp.DisableGPU,
			chromedp.WindowSize(viewWidth, viewHeight),
		)
		alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
		ctx, cancelCtx := chromedp.NewContext(alloc)
		browser.ctx = ctx
		browser.cancel = func() { cancelCtx(); cancelAlloc() }
		// The first run starts the browser; its context (without a
		// deadline) is the browser's life.
		browser.err = chromedp.Do(ctx)
	})
	if browser.path == "" {
		if os.Getenv("CI") == "true" {
			t.Fatal("the console's browser tests need Chromium under CI=true: none of chromium, chromium-browser, google-chrome is on PATH (install Debian's chromium: apt-get install chromium)")
		}
		t.Skip("no Chromium on PATH (chromium, chromium-browser, google-chrome): the console's browser tests are skipped")
	}
	if browser.err != nil {
		t.Fatalf("start %s: %v", browser.path, browser.err)
	}
	return browser.ctx
}

// tab is a browser tab of one test, in a browser context of its own,
// on the console of one control plane.
type tab struct {
	t    *testing.T
	ctx  context.Context
	base string // the control plane's URL
}

// startConsole starts a control plane for a browser test (see
// cptest.Start), once it is known that the test has a browser.
func startConsole(t *testing.T, mutate func(*controlplane.Config)) *controlplane.Server {
	t.Helper()
	sharedBrowser(t)
	return cptest.Start(t, mutate)
}

// newTab opens a tab on srv's console.
func newTab(t *testing.T, srv *controlplane.Server) *tab {
	t.Helper()
	ctx, cancel := chromedp.NewContext(sharedBrowser(t), chromedp.WithNewBrowserContext())
	t.Cleanup(cancel)
	// The first run opens the tab; its context is the tab's life.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(viewWidth, viewHeight)); err != nil {
		t.Fatalf("open a browser tab: %v", err)
	}
	return &tab{t: t, ctx: ctx, base: srv.URL()}
}

// do runs browser steps, failing the test on an error.
func (b *tab) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v\npage: %s", what, err, b.pageText())
	}
}

// submit runs a step that submits a form or follows a link, and waits
// for the page it loads.
func (b *tab) submit(what string, step chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	var err error
	for range 5 {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		_, err = chromedp.RunResponse(ctx, step)
		cancel()
		if !staleNode(err) {
			break
		}
	}
	if err != nil {
		b.t.Fatalf("%s: %v\npage: %s", what, err, b.pageText())
	}
}

// staleNode reports whether err says that an element found for a step
// was gone when the step acted on it: a live update replaced it in
// between. The step can be taken again on the new element.
func staleNode(err error) bool {
	return err != nil && (strings.Contains(err.Error(), "Could not find node with given id") ||
		strings.Contains(err.Error(), "No node with given id") || strings.Contains(err.Error(), "Node is detached"))
}

// click clicks the element of the CSS selector on a page whose live parts
// may be replaced at any time, until the script done is true.
func (b *tab) click(what, css, done string) {
	b.t.Helper()
	var last error
	ok := poll.Wait(b.t, stepTimeout, func() bool {
		if v, err := tryEval[bool](b, done); err == nil && v {
			return true
		}
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		defer cancel()
		last = chromedp.Do(ctx, chromedp.Click(chromedp.CSS(css)))
		if last != nil && !staleNode(last) {
			b.t.Fatalf("%s: %v\npage: %s", what, last, b.pageText())
		}
		v, err := tryEval[bool](b, done)
		return err == nil && v
	})
	if !ok {
		b.t.Fatalf("%s: not done after clicking %s (last error: %v)\npage: %s", what, css, last, b.pageText())
	}
}

// open loads the console page at path (such as "/console/phones").
func (b *tab) open(path string) {
	b.t.Helper()
	b.do("open "+path, chromedp.Navigate(b.base+path))
}

// eval evaluates a script in the page and decodes its value.
func eval[T any](b *tab, js string) T {
	b.t.Helper()
	v, err := tryEval[T](b, js)
	if err != nil {
		b.t.Fatalf("evaluate %s: %v\npage: %s", js, err, b.pageText())
	}
	return v
}

func tryEval[T any](b *tab, js string) (T, error) {
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	return chromedp.Run(ctx, chromedp.Evaluate[T](js, chromedp.EvalAwaitPromise))
}

// waitFor polls the page until the script js is true (a script that fails,
// as while a page loads, counts as false), and fails the test naming what
// it waited for and showing the page otherwise.
func (b *tab) waitFor(what, js string) {
	b.t.Helper()
	b.waitWithin(poll.DefaultTimeout, what, js)
}

func (b *tab) waitWithin(timeout time.Duration, what, js string) {
	b.t.Helper()
	var last error
	ok := poll.Wait(b.t, timeout, func() bool {
		v, err := tryEval[bool](b, js)
		last = err
		return err == nil && v
	})
	if !ok {
		b.t.Fatalf("timed out after %s waiting for %s (%s; last error: %v)\npage: %s", timeout, what, js, last, b.pageText())
	}
}

// text returns the trimmed text of the first element matching the CSS
// selector, or "" if there is none.
func (b *tab) text(css string) string {
	b.t.Helper()
	return eval[string](b, fmt.Sprintf(`(document.querySelector(%q)?.textContent ?? "").trim()`, css))
}

// count returns how many elements match the CSS selector.
func (b *tab) count(css string) int {
	b.t.Helper()
	return eval[int](b, fmt.Sprintf(`document.querySelectorAll(%q).length`, css))
}

// path returns the path and query of the page's address.
func (b *tab) path() string {
	b.t.Helper()
	return eval[string](b, `location.pathname + location.search`)
}

// pageText is the text of the page's main part, for failure messages.
func (b *tab) pageText() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](`location.href + "\n" + (document.body?.innerText ?? "")`))
	if err != nil {
		return "(unreadable: " + err.Error() + ")"
	}
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 3000 {
		s = s[:3000] + "…"
	}
	return s
}

// login logs in through the login form and waits for the page it lands on.
func (b *tab) login(account, user, password, project string) {
	b.t.Helper()
	b.open("/console/login")
	b.do("fill in the login form",
		chromedp.SetValue(chromedp.CSS(`input[name=account]`), account),
		chromedp.SetValue(chromedp.CSS(`input[name=user]`), user),
		chromedp.SetValue(chromedp.CSS(`input[name=password]`), password),
		chromedp.SetValue(chromedp.CSS(`input[name=project]`), project),
	)
	b.submit("log in", chromedp.Click(chromedp.CSS(`form[action="/console/login"] button[type=submit]`)))
}

// loginAdmin logs in as the control plane's bootstrap user.
func (b *tab) loginAdmin() {
	b.t.Helper()
	b.login(cptest.Domain, cptest.User, cptest.Password, cptest.Project)
	if p := b.path(); strings.HasPrefix(p, "/console/login") {
		b.t.Fatalf("the bootstrap user's login failed: %s", b.pageText())
	}
}

// acceptDialogs answers every confirm() of the tab with OK, from now on;
// the function it returns tells the messages of the dialogs so far.
func (b *tab) acceptDialogs() func() []string {
	var mu sync.Mutex
	var seen []string
	dialogs := chromedp.Events(b.ctx, page.JavascriptDialogOpening)
	go func() {
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			mu.Lock()
			seen = append(seen, ev.Message)
			mu.Unlock()
			ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
			_, err := chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			cancel()
			if err != nil && b.ctx.Err() == nil {
				b.t.Errorf("accept a dialog: %v", err)
			}
		}
	}()
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// cookieHeader returns the Cookie header the tab's browser sends to the
// console (the session cookie is HttpOnly: the page's scripts cannot read
// it, the DevTools protocol can).
func (b *tab) cookieHeader() string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{b.base + "/console/"}})
	if err != nil {
		b.t.Fatalf("read the browser's cookies: %v", err)
	}
	var parts []string
	for _, c := range res.Cookies {
		parts = append(parts, c.Name+"="+c.Value)
	}
	return strings.Join(parts, "; ")
}

// screenshot writes a screenshot of the viewport to NAME.png in the
// directory CPH_CONSOLE_SCREENSHOTS names, if it is set.
func (b *tab) screenshot(name string) {
	b.t.Helper()
	dir := os.Getenv(screenshotsEnv)
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		root, err := moduleRoot()
		if err != nil {
			b.t.Fatal(err)
		}
		dir = filepath.Join(root, dir)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	// Let the page settle: no live update in flight, fonts laid out.
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("wrote %s", file)
}

// moduleRoot returns the directory of the go.mod above the working
// directory.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// adminContext returns a context whose caller is the control plane's
// bootstrap user, for the services.
func adminContext(t testing.TB, srv *controlplane.Server) context.Context {
	t.Helper()
	return callerContext(t, srv, cptest.Domain, cptest.User, cptest.Password, cptest.Project)
}

// callerContext logs in through the services and returns a context with
// that caller.
func callerContext(t testing.TB, srv *controlplane.Server, domain, user, password, project string) context.Context {
	t.Helper()
	ctx := context.Background()
	s := srv.Services()
	token, _, err := s.Login(ctx, cph.PasswordLogin{DomainName: domain, UserName: user, Password: password, ProjectName: project})
	if err != nil {
		t.Fatalf("log in %s/%s: %v", domain, user, err)
	}
	p, err := s.Authenticate(ctx, token)
	if err != nil {
		t.Fatalf("authenticate %s/%s: %v", domain, user, err)
	}
	return cph.NewCallerContext(ctx, p)
}

// listPhones returns a page of the project's phones, as the services list
// them.
func listPhones(t testing.TB, ctx context.Context, srv *controlplane.Server, f cph.PhoneFilter) *cph.PhonePage {
	t.Helper()
	pg, err := srv.Services().ListPhones(ctx, f)
	if err != nil {
		t.Fatalf("list phones: %v", err)
	}
	return pg
}
