package main

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEnrollTokenSources checks where the enrollment token comes from:
// --enroll-token, else --enroll-token-file (trimmed), else CPH_ENROLL_TOKEN.
func TestEnrollTokenSources(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("  from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"CPH_ENROLL_TOKEN": "from-env"}
	getenv := func(k string) string { return env[k] }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "from-env"},
		{[]string{"--enroll-token-file", file}, "from-file"},
		{[]string{"--enroll-token-file", file, "--enroll-token", "from-flag"}, "from-flag"},
	} {
		c, err := parseConfig(tc.args, getenv, io.Discard)
		if err != nil || c.enrollToken != tc.want {
			t.Errorf("%v: token %q, %v; want %q", tc.args, c.enrollToken, err, tc.want)
		}
	}
	env["CPH_ENROLL_TOKEN_FILE"] = file
	if c, err := parseConfig(nil, getenv, io.Discard); err != nil || c.enrollToken != "from-file" {
		t.Errorf("CPH_ENROLL_TOKEN_FILE: %q, %v", c.enrollToken, err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := parseConfig([]string{"--enroll-token-file", empty}, getenv, io.Discard); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty token file: %v", err)
	}
	if _, err := parseConfig([]string{"--enroll-token-file", filepath.Join(t.TempDir(), "missing")}, getenv, io.Discard); err == nil {
		t.Error("missing token file accepted")
	}
}
