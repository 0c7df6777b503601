package cphdcmd

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestHelpNamesEveryEnvironmentVariable checks that "cphd --help" names
// every environment variable cphd reads.
func TestHelpNamesEveryEnvironmentVariable(t *testing.T) {
	read := map[string]bool{}
	getenv := func(k string) string { read[k] = true; return "" }
	var help bytes.Buffer
	if _, _, err := parseConfig([]string{"--help"}, getenv, &help); !errors.Is(err, flag.ErrHelp) {
		t.Fatalf("--help: %v", err)
	}
	if len(read) < 10 {
		t.Fatalf("only %d variables read", len(read))
	}
	for name := range read {
		if !strings.Contains(help.String(), name) {
			t.Errorf("--help does not name %s", name)
		}
	}
	for _, want := range []string{"cphd admin COMMAND", "--enroll-token string", "Exit status:"} {
		if !strings.Contains(help.String(), want) {
			t.Errorf("--help lacks %q", want)
		}
	}
	if strings.Contains(help.String(), "  --agent-enroll-token") {
		t.Error("--help lists the deprecated --agent-enroll-token as a flag")
	}
	var admin bytes.Buffer
	if err := Run(context.Background(), []string{"admin", "--help"}, getenv, io.Discard, &admin); err != nil {
		t.Fatal(err)
	}
	for _, c := range adminCommands {
		if !strings.Contains(admin.String(), "  "+c.name+" ") {
			t.Errorf("admin --help lacks %s", c.name)
		}
	}
}

// TestEnrollTokenNames checks the names of the installation enrollment
// token: --enroll-token, --enroll-token-file and CPH_ENROLL_TOKEN like
// cph-agent's, and the old --agent-enroll-token and CPH_AGENT_ENROLL_TOKEN.
func TestEnrollTokenNames(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		env  map[string]string
		args []string
		want string
	}{
		{nil, nil, ""},
		{map[string]string{"CPH_ENROLL_TOKEN": "new-env"}, nil, "new-env"},
		{map[string]string{"CPH_AGENT_ENROLL_TOKEN": "old-env"}, nil, "old-env"},
		{map[string]string{"CPH_ENROLL_TOKEN": "new-env", "CPH_AGENT_ENROLL_TOKEN": "old-env"}, nil, "new-env"},
		{map[string]string{"CPH_ENROLL_TOKEN": "new-env"}, []string{"--enroll-token", "flag"}, "flag"},
		{map[string]string{"CPH_ENROLL_TOKEN": "new-env"}, []string{"--agent-enroll-token", "old-flag"}, "old-flag"},
		{map[string]string{"CPH_ENROLL_TOKEN": "new-env"}, []string{"--enroll-token-file", file}, "from-file"},
		{map[string]string{"CPH_ENROLL_TOKEN_FILE": file}, nil, "from-file"},
	} {
		cfg, _, err := parseConfig(tc.args, func(k string) string { return tc.env[k] }, io.Discard)
		if err != nil || cfg.AgentEnrollToken != tc.want {
			t.Errorf("env %v, args %q: token %q, %v; want %q", tc.env, tc.args, cfg.AgentEnrollToken, err, tc.want)
		}
	}
	// A project's token as the installation token would open every project.
	_, _, err := parseConfig(nil, func(k string) string { return map[string]string{"CPH_ENROLL_TOKEN": "cphe_0123"}[k] }, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "like a project's enrollment token") {
		t.Errorf("project token as installation token: %v", err)
	}
}

func TestAdminDidYouMean(t *testing.T) {
	err := Run(context.Background(), []string{"admin", "create-acount"}, func(string) string { return "" }, io.Discard, io.Discard)
	if err == nil || err.Error() != `admin: unknown command "create-acount"; did you mean create-account?` {
		t.Errorf("err = %v", err)
	}
}
