// Package browsertest drives the web console (package console) with a
// real headless Chromium through the DevTools protocol (chromedp): each
// test starts a control plane in-process over loopback with a simulated
// fleet, logs in through the login form and acts as a user would.
//
// The package has only tests. They need Chromium (Debian's chromium, or
// chromium-browser or google-chrome on PATH): without it they are
// skipped, except under CI=true, where they fail.
//
// With CPH_CONSOLE_SCREENSHOTS set to a directory (relative paths are
// taken from the module's root, e.g. docs/console), the tests write
// screenshots of the main pages there, at 1280×800.
package browsertest
