package e2e_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/opencph/opencph/cli"
	"github.com/opencph/opencph/controlplane/cptest"
)

// runCPH runs the cph command against srvURL and returns its exit code and output.
func runCPH(t *testing.T, srvURL string, args ...string) (int, string, string) {
	t.Helper()
	env := map[string]string{cli.EnvEndpoint: srvURL, cli.EnvDomain: cptest.Domain, cli.EnvUser: cptest.User,
		cli.EnvPassword: cptest.Password, cli.EnvProject: cptest.Project, cli.EnvCacheDir: t.TempDir()}
	var out, errOut bytes.Buffer
	code := cli.Main(context.Background(), args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

func TestCLIServerCommands(t *testing.T) {
	t.Parallel()
	srv, c := start(t, nil)
	all := servers(t, c)
	s1, s2 := all["sim-server-01"], all["sim-server-02"]
	if code, out, errOut := runCPH(t, srv.URL(), "servers", "restart", "--wait", "--interval", "50ms", s1.ID); code != 0 || !strings.Contains(out, s1.ID) {
		t.Errorf("restart: exit %d\n%s\n%s", code, out, errOut)
	}
	if code, _, _ := runCPH(t, srv.URL(), "servers", "rename", s2.ID, "renamed"); code != 0 || servers(t, c)["renamed"].ID != s2.ID {
		t.Errorf("rename: exit %d", code)
	}
	if code, _, errOut := runCPH(t, srv.URL(), "servers", "rename", s2.ID, "bad name"); code == 0 || !strings.Contains(errOut, "CPS.9007") {
		t.Errorf("bad rename: exit %d, %s", code, errOut)
	}
	if code, _, _ := runCPH(t, srv.URL(), "servers", "tags", "add", s1.ID, "env=prod"); code != 0 {
		t.Errorf("tags add: exit %d", code)
	}
	if code, out, _ := runCPH(t, srv.URL(), "servers", "tags", "list", s1.ID); code != 0 || !strings.Contains(out, "prod") {
		t.Errorf("tags list: exit %d, %s", code, out)
	}
	if code, out, _ := runCPH(t, srv.URL(), "models", "phones"); code != 0 || !strings.Contains(out, "rx2.cp.c6.d64.e2v1") {
		t.Errorf("models phones: exit %d, %s", code, out)
	}
	if code, out, _ := runCPH(t, srv.URL(), "encode-servers", "list"); code != 0 || !strings.Contains(out, s1.ID) {
		t.Errorf("encode-servers list: exit %d, %s", code, out)
	}
	if code, out, _ := runCPH(t, srv.URL(), "bandwidths", "list"); code != 0 || !strings.Contains(out, "sim-server-01-bandwidth") {
		t.Errorf("bandwidths list: exit %d, %s", code, out)
	}
	if code, _, errOut := runCPH(t, srv.URL(), "servers", "delete", "--wait", "--interval", "50ms", s2.ID); code != 0 {
		t.Errorf("delete: exit %d, %s", code, errOut)
	}
	if _, ok := servers(t, c)["renamed"]; ok {
		t.Error("deleted server still listed")
	}
}
