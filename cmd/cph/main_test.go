package main

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// TestMain runs the command itself when the test binary is started by
// runMain.
func TestMain(m *testing.M) {
	if os.Getenv("CPH_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// runMain runs the command in a child process and returns its exit code
// and output.
func runMain(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "CPH_TEST_RUN_MAIN=1", "CPH_CACHE_DIR="+t.TempDir(), "CPH_DOMAIN=", "CPH_PASSWORD=")
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatal(err)
	}
	return cmd.ProcessState.ExitCode(), out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	if code, out, _ := runMain(t, "--help"); code != 0 || !strings.Contains(out, "cph phones list") {
		t.Errorf("--help: exit %d, stdout %q", code, out)
	}
	if code, _, errOut := runMain(t, "no-such-command"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: exit %d, stderr %q", code, errOut)
	}
	// Standard input is not a terminal: login fails without reading it.
	if code, _, errOut := runMain(t, "login", "--domain", "acme"); code != 2 || !strings.Contains(errOut, "no password") {
		t.Errorf("login without password: exit %d, stderr %q", code, errOut)
	}
}
