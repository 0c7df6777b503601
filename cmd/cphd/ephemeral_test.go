package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestEphemeralWithCurl starts the real cphd --ephemeral, reads its JSON
// line, and runs the committed curl quick start (examples/curl) with the
// environment file it wrote, as a CI job of another language would: log
// in, list phones, restart them, poll the jobs. SIGTERM then ends cphd
// cleanly and its temporary data dir is gone.
func TestEphemeralWithCurl(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real process")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("curl is not installed (CI installs it)")
		}
		t.Skip("curl is not installed")
	}
	script, err := filepath.Abs("../../examples/curl/quickstart.sh")
	if err != nil {
		t.Fatal(err)
	}
	tmp := t.TempDir()
	envFile := filepath.Join(t.TempDir(), "cph.env")
	cmd := exec.Command(os.Args[0], "--ephemeral", "--ephemeral-env-file", envFile,
		"--sim-servers", "1", "--sim-phones-per-server", "3", "--log-level", "warn")
	cmd.Env = append(withoutCPH(os.Environ()), "CPHD_RUN_MAIN=1", "TMPDIR="+tmp)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	started := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		io.Copy(io.Discard, r)
	}()
	var line string
	select {
	case line = <-lines:
	case <-time.After(30 * time.Second):
		t.Fatalf("no JSON line from cphd --ephemeral; stderr:\n%s", stderr.String())
	}
	t.Logf("cphd --ephemeral printed its JSON line %v after it was started", time.Since(started))
	var cred struct {
		Endpoint  string `json:"endpoint"`
		ProjectID string `json:"project_id"`
	}
	if err := json.Unmarshal([]byte(line), &cred); err != nil || cred.Endpoint == "" || cred.ProjectID == "" {
		t.Fatalf("JSON line %q: %v; stderr:\n%s", line, err, stderr.String())
	}

	out, code := runScript(t, envFile, script, nil)
	if code != 0 {
		t.Fatalf("quickstart.sh exited %d:\n%s", code, out)
	}
	for _, want := range []string{`(?m)^logged in as opencph/opencph$`, `(?m)^phones: 3$`,
		`(?m)^restart: request [0-9a-f]{32}, 3 jobs$`, `(?m)^jobs: 3 succeeded, 0 failed$`} {
		if !regexp.MustCompile(want).MatchString(out) {
			t.Errorf("quickstart.sh output lacks %s:\n%s", want, out)
		}
	}
	// A refused login is the script's exit status 2.
	if out, code := runScript(t, envFile, script, []string{"CPH_PASSWORD=not-the-password"}); code != 2 || !strings.Contains(out, "HTTP 401") {
		t.Errorf("quickstart.sh with a wrong password exited %d, want 2 and the 401:\n%s", code, out)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("cphd --ephemeral after SIGTERM: %v; stderr:\n%s", err, stderr.String())
	}
	if entries, _ := os.ReadDir(tmp); len(entries) != 0 {
		t.Errorf("the temporary dir still holds %v after cphd ended", entries)
	}
}

// runScript runs script with the variables of envFile (sourced by the
// shell) and extra ones, and returns its output and exit status.
func runScript(t *testing.T, envFile, script string, extra []string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	// The extra variables are applied after the file, so they win.
	sh := exec.CommandContext(ctx, "sh", "-c", `set -a; . "$1"; set +a; script=$2; shift 2; for kv in "$@"; do export "$kv"; done; exec sh "$script"`, "sh", envFile, script)
	sh.Args = append(sh.Args, extra...)
	sh.Env = withoutCPH(os.Environ())
	out, err := sh.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("run %s: %v", script, err)
	return "", -1
}

// withoutCPH is env without the variables of cphd and the CLI, so that the
// machine's own settings do not reach the processes under test.
func withoutCPH(env []string) []string {
	var out []string
	for _, kv := range env {
		if !strings.HasPrefix(kv, "CPH_") && !strings.HasPrefix(kv, "HUAWEICLOUD_SDK_") {
			out = append(out, kv)
		}
	}
	return out
}
