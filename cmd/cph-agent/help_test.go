package main

import (
	"bytes"
	"errors"
	"flag"
	"strings"
	"testing"
)

// TestHelpNamesEveryEnvironmentVariable checks that "cph-agent --help"
// names every environment variable the agent reads, and its exit codes.
func TestHelpNamesEveryEnvironmentVariable(t *testing.T) {
	read := map[string]bool{}
	getenv := func(k string) string { read[k] = true; return "" }
	var help bytes.Buffer
	if _, err := parseConfig([]string{"--help"}, getenv, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	// CPH_ENROLL_TOKEN is read after the flags, when no other source gave
	// a token.
	read["CPH_ENROLL_TOKEN"] = true
	if len(read) < 8 {
		t.Fatalf("only %d variables read", len(read))
	}
	for name := range read {
		if !strings.Contains(help.String(), "["+name+"]") && !strings.Contains(help.String(), "else "+name) {
			t.Errorf("--help does not name %s", name)
		}
	}
	for _, want := range []string{"Exit status:", "  3  the control plane says this server was deleted", "--enroll-token-file string"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
}
