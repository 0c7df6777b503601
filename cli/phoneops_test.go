package cli

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/cphtest"
)

// realEnv starts a stand-in control plane (package cphtest: one simulated
// server of three phones) and returns an environment for it and the ids
// of its phones, sorted by name.
func realEnv(t *testing.T) (map[string]string, []string) {
	t.Helper()
	srv := cphtest.New(t, cphtest.Options{})
	env := map[string]string{
		EnvEndpoint: srv.Endpoint, EnvDomain: srv.Domain, EnvUser: srv.User,
		EnvPassword: srv.Password, EnvProject: srv.Project, EnvCacheDir: t.TempDir(),
	}
	list, err := srv.Client().ListAllPhones(context.Background(), client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	sort.Slice(list.Phones, func(i, j int) bool { return list.Phones[i].Name < list.Phones[j].Name })
	var ids []string
	for _, p := range list.Phones {
		ids = append(ids, p.ID)
	}
	return env, ids
}

// mustRun runs the command and fails the test unless it exits 0.
func mustRun(t *testing.T, env map[string]string, args ...string) string {
	t.Helper()
	r := run(t, env, "", args...)
	if r.code != 0 {
		t.Fatalf("cph %s: exit %d\nstdout: %s\nstderr: %s", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

func TestPhoneOperationCommands(t *testing.T) {
	t.Parallel()
	env, ids := realEnv(t)
	id := ids[0]
	dir := t.TempDir()

	mustRun(t, env, "phones", "rename", id, "kiosk-1")
	if out := mustRun(t, env, "phones", "show", id); !strings.Contains(out, "kiosk-1") {
		t.Errorf("show after rename:\n%s", out)
	}
	if r := run(t, env, "", "phones", "rename", ids[1], "kiosk-1"); r.code != ExitAPI || !strings.Contains(r.stderr, "CPS.0026") {
		t.Errorf("rename to a taken name: exit %d, stderr %q", r.code, r.stderr)
	}

	mustRun(t, env, "phones", "property", id, "--property", `{"ro.install.auto":1}`, "--wait", "--interval", "20ms")
	if out := mustRun(t, env, "phones", "shell", id, "--", "getprop", "ro.install.auto"); out != "1\n" {
		t.Errorf("shell getprop = %q, want 1", out)
	}
	mustRun(t, env, "phones", "property", id, "--custom", "app.channel=beta", "--custom", "app.gone=x", "--wait", "--interval", "20ms")
	mustRun(t, env, "phones", "property", id, "--custom", "app.gone=", "--wait", "--interval", "20ms")
	if out := mustRun(t, env, "phones", "show", id); !strings.Contains(out, `{"app.channel":"beta"}`) {
		t.Errorf("show after --custom:\n%s", out)
	}
	if r := run(t, env, "", "phones", "property", id); r.code != ExitUsage {
		t.Errorf("property without --property or --custom: exit %d", r.code)
	}
	if r := run(t, env, "", "phones", "property", id, "--custom", "bad key=1"); r.code != ExitFailure || !strings.Contains(r.stderr, "CPS.9011") {
		t.Errorf("a bad custom key: exit %d, stderr %q", r.code, r.stderr)
	}
	mustRun(t, env, "phones", "reset", id, "--wait", "--interval", "20ms")
	if out := mustRun(t, env, "phones", "show", id); !strings.Contains(out, `{"app.channel":"beta"}`) || !strings.Contains(out, `"ro.install.auto":1`) {
		t.Errorf("show after a reset:\n%s", out)
	}
	mustRun(t, env, "phones", "reset", id, "--factory", "--wait", "--interval", "20ms")
	if out := mustRun(t, env, "phones", "show", id); strings.Contains(out, "app.channel") || strings.Contains(out, "ro.install.auto") {
		t.Errorf("show after a factory reset:\n%s", out)
	}
	if r := run(t, env, "", "phones", "restart", id, "--factory"); r.code != ExitUsage {
		t.Errorf("restart --factory: exit %d", r.code)
	}
	if out := mustRun(t, env, "phones", "shell", id, ids[1], "--", "echo", "hi"); out != "== "+id+" ==\nhi\n== "+ids[1]+" ==\nhi\n" {
		t.Errorf("shell on two phones = %q", out)
	}
	if r := run(t, env, "", "phones", "shell", id, "--", "foo"); r.code != ExitFailure || r.stdout != "/system/bin/sh: foo: not found\n" {
		t.Errorf("shell foo: exit %d, stdout %q", r.code, r.stdout)
	}

	var tb bytes.Buffer
	tw := tar.NewWriter(&tb)
	tw.WriteHeader(&tar.Header{Name: "data/hello.txt", Mode: 0o644, Size: 3, Typeflag: tar.TypeReg})
	tw.Write([]byte("hi\n"))
	tw.Close()
	tarFile := filepath.Join(dir, "data.tar")
	if err := os.WriteFile(tarFile, tb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	apkFile := filepath.Join(dir, "com.example.cli.apk")
	if err := os.WriteFile(apkFile, []byte("apk"), 0o644); err != nil {
		t.Fatal(err)
	}
	mustRun(t, env, "objects", "put", "cli-bucket", "data.tar", tarFile)
	mustRun(t, env, "objects", "put", "cli-bucket", "com.example.cli.apk", apkFile)
	if out := mustRun(t, env, "objects", "list", "cli-bucket"); !strings.Contains(out, "data.tar") || !strings.Contains(out, "com.example.cli.apk") {
		t.Errorf("objects list:\n%s", out)
	}
	if out := mustRun(t, env, "objects", "list"); !strings.Contains(out, "cli-bucket") {
		t.Errorf("buckets:\n%s", out)
	}
	if out := mustRun(t, env, "phones", "install", id, "--apk", "obs://cli-bucket/com.example.cli.apk", "--wait", "--interval", "20ms"); !strings.Contains(out, "Success") {
		t.Errorf("install output:\n%s", out)
	}
	mustRun(t, env, "phones", "push", id, "--tar", "obs://cli-bucket/data.tar", "--wait", "--interval", "20ms")
	if out := mustRun(t, env, "phones", "shell", id, "--", "cat", "/data/hello.txt"); out != "hi\n" {
		t.Errorf("pushed file = %q", out)
	}
	mustRun(t, env, "phones", "export", id, "--bucket", "cli-bucket", "--object", "exports/{phone_id}.tar", "--wait", "--interval", "20ms")
	mustRun(t, env, "phones", "uninstall", id, "--package", "com.example.cli", "--wait", "--interval", "20ms")
	if out := mustRun(t, env, "phones", "shell", id, "--", "pm", "list", "packages", "-3"); out != "" {
		t.Errorf("packages after uninstall = %q", out)
	}
	mustRun(t, env, "phones", "import", id, "--bucket", "cli-bucket", "--object", "exports/{phone_id}.tar", "--wait", "--interval", "20ms")
	if out := mustRun(t, env, "phones", "shell", id, "--", "pm", "list", "packages", "-3"); out != "package:com.example.cli\n" {
		t.Errorf("packages after import = %q", out)
	}
	if r := run(t, env, "", "phones", "export", id, ids[1], "--bucket", "b", "--object", "same.tar"); r.code != ExitUsage {
		t.Errorf("export of two phones to one object: exit %d, stderr %q", r.code, r.stderr)
	}
	if out := mustRun(t, env, "phones", "connect-info", id, "--client-type", "H5_PC"); !strings.Contains(out, "TICKET") || !strings.Contains(out, id) {
		t.Errorf("connect-info:\n%s", out)
	}
	mustRun(t, env, "phones", "traffic", id, "--type", "routing", "--wait", "--interval", "20ms")
	if out := mustRun(t, env, "phones", "show", id); !strings.Contains(out, "routing") {
		t.Errorf("show after traffic:\n%s", out)
	}
	got := filepath.Join(dir, "back.tar")
	mustRun(t, env, "objects", "get", "cli-bucket", "data.tar", got)
	if data, _ := os.ReadFile(got); !bytes.Equal(data, tb.Bytes()) {
		t.Error("downloaded object differs from the uploaded one")
	}
	mustRun(t, env, "objects", "delete", "cli-bucket", "data.tar")
}
