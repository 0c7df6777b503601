package compat_test

import (
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
)

// TestInstallUninstallApk installs an APK from the object store and
// uninstalls it, checking the phone's packages with a shell command.
func TestInstallUninstallApk(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	id := *phones(t, c, "")[0].PhoneId
	e.putObject(t, "apps", "android/demo.apk", apk(t, "com.example.demo"))

	in, err := c.InstallApk(&model.InstallApkRequest{Body: &model.InstallApkRequestBody{
		Command: "install", Content: "-t -r obs://apps/android/demo.apk", PhoneIds: &[]string{id}}})
	ok(t, "InstallApk", err)
	phoneJob(t, "InstallApk", in.Jobs)
	jobs := waitJobs(t, c, in.RequestId)
	succeeded(t, "install", jobs)
	if !strings.Contains(str(jobs[0].ExecuteMsg), "Success") {
		t.Errorf("install output = %q", str(jobs[0].ExecuteMsg))
	}
	if got := output(t, c, id, "pm list packages -3"); got != "package:com.example.demo\n" {
		t.Errorf("user packages after install = %q", got)
	}

	un, err := c.UninstallApk(&model.UninstallApkRequest{Body: &model.UninstallApkRequestBody{
		Command: "uninstall", Content: "com.example.demo", PhoneIds: &[]string{id}}})
	ok(t, "UninstallApk", err)
	phoneJob(t, "UninstallApk", un.Jobs)
	succeeded(t, "uninstall", waitJobs(t, c, un.RequestId))
	if got := output(t, c, id, "pm list packages -3"); got != "" {
		t.Errorf("user packages after uninstall = %q", got)
	}

	// Failed jobs: the package is gone, the object is missing.
	un, err = c.UninstallApk(&model.UninstallApkRequest{Body: &model.UninstallApkRequestBody{
		Command: "uninstall", Content: "com.example.demo", PhoneIds: &[]string{id}}})
	ok(t, "UninstallApk of a missing package", err)
	j := failedWith(t, "uninstall of a missing package", waitJobs(t, c, un.RequestId), "CPS.9004")
	if !strings.HasPrefix(str(j.ExecuteMsg), "Failure [") {
		t.Errorf("uninstall output = %q", str(j.ExecuteMsg))
	}
	in, err = c.InstallApk(&model.InstallApkRequest{Body: &model.InstallApkRequestBody{
		Command: "install", Content: "obs://apps/missing.apk", PhoneIds: &[]string{id}}})
	ok(t, "InstallApk of a missing object", err)
	failedWith(t, "install of a missing object", waitJobs(t, c, in.RequestId), "CPS.9202")

	// Whole-request refusals.
	_, err = c.InstallApk(&model.InstallApkRequest{Body: &model.InstallApkRequestBody{
		Command: "install", Content: "/sdcard/app.apk", PhoneIds: &[]string{id}}})
	wantError(t, "InstallApk without an obs url", err, 400, "CPS.0118")
	_, err = c.InstallApk(&model.InstallApkRequest{Body: &model.InstallApkRequestBody{
		Command: "setup", Content: "obs://apps/android/demo.apk", PhoneIds: &[]string{id}}})
	wantError(t, "InstallApk unknown command", err, 400, "CPS.0117")
	_, err = c.UninstallApk(&model.UninstallApkRequest{Body: &model.UninstallApkRequestBody{
		Command: "uninstall", Content: "not-a-package", PhoneIds: &[]string{id}}})
	wantError(t, "UninstallApk bad package name", err, 400, "CPS.0118")
	_, err = c.UninstallApk(&model.UninstallApkRequest{Body: &model.UninstallApkRequestBody{Command: "uninstall", Content: "com.example.demo"}})
	wantError(t, "UninstallApk without targets", err, 400, "CPS.0009")
}

// TestPushFileAndShell pushes files into a phone and runs shell commands,
// on phones and on every phone of a server.
func TestPushFileAndShell(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	id := *all[0].PhoneId
	e.putObject(t, "files", "data.tar", tarball(t, map[string]string{"data/local/tmp/hello.txt": "hello from obs\n"}))

	p, err := c.PushFile(&model.PushFileRequest{Body: &model.PushFileRequestBody{Command: "push", Content: "obs://files/data.tar", PhoneIds: &[]string{id}}})
	ok(t, "PushFile", err)
	phoneJob(t, "PushFile", p.Jobs)
	succeeded(t, "push", waitJobs(t, c, p.RequestId))
	if got := output(t, c, id, "cat /data/local/tmp/hello.txt"); got != "hello from obs\n" {
		t.Errorf("pushed file = %q", got)
	}
	p, err = c.PushFile(&model.PushFileRequest{Body: &model.PushFileRequestBody{Command: "push", Content: "obs://no-such-bucket/x.tar", PhoneIds: &[]string{id}}})
	ok(t, "PushFile from a missing bucket", err)
	failedWith(t, "push from a missing bucket", waitJobs(t, c, p.RequestId), "CPS.9201")
	_, err = c.PushFile(&model.PushFileRequest{Body: &model.PushFileRequestBody{Command: "push", Content: "obs://files/data.zip", PhoneIds: &[]string{id}}})
	wantError(t, "PushFile of a non-tar", err, 400, "CPS.0118")

	// RunShellCommand: output in execute_msg, on success and on failure.
	if got := output(t, c, id, "echo hi"); got != "hi\n" {
		t.Errorf("echo hi = %q", got)
	}
	j := shell(t, c, id, "foo --bar")
	if num(j.Status) != -1 || str(j.ErrorCode) != "CPS.9004" || str(j.ExecuteMsg) != "/system/bin/sh: foo: not found\n" {
		t.Errorf("unknown command: %s", jobString(j))
	}
	serverID := *all[3].ServerId
	r, err := c.RunShellCommand(&model.RunShellCommandRequest{Body: &model.RunShellCommandRequestBody{
		Command: "shell", Content: "getprop ro.product.brand", ServerIds: &[]string{serverID, unknown}}})
	ok(t, "RunShellCommand on servers", err)
	if r.Jobs == nil || len(*r.Jobs) != 4 {
		t.Fatalf("RunShellCommand server_ids = %s", dump(r))
	}
	// The refusal of an unknown server names the server; the SDK's PhoneJob
	// has no server_id field, so it shows only the code.
	if last := (*r.Jobs)[3]; str(last.ErrorCode) != "CPS.0097" || last.JobId != nil {
		t.Errorf("unknown server entry = %s", dump(last))
	}
	jobs := waitJobs(t, c, r.RequestId)
	succeeded(t, "shell on a server", jobs)
	if len(jobs) != 3 {
		t.Fatalf("%d jobs for a server of 3 phones", len(jobs))
	}
	for _, j := range jobs {
		if str(j.ExecuteMsg) != "OpenCPH\n" || !strings.Contains(dump(all[3:]), str(j.PhoneId)) {
			t.Errorf("job on a server's phone: %s", jobString(j))
		}
	}

	_, err = c.RunShellCommand(&model.RunShellCommandRequest{Body: &model.RunShellCommandRequestBody{Command: "shell", Content: "ls"}})
	wantError(t, "RunShellCommand without targets", err, 400, "CPS.0009")
	_, err = c.RunShellCommand(&model.RunShellCommandRequest{Body: &model.RunShellCommandRequestBody{
		Command: "shell", Content: "ls; rm -r /data", PhoneIds: &[]string{id}}})
	wantError(t, "RunShellCommand metacharacter", err, 400, "CPS.0118")
	big := make([]string, 101)
	for i := range big {
		big[i] = unknown
	}
	_, err = c.RunShellCommand(&model.RunShellCommandRequest{Body: &model.RunShellCommandRequestBody{
		Command: "shell", Content: "ls", ServerIds: &big}})
	wantError(t, "RunShellCommand 101 servers", err, 400, "CPS.9010")
}

// TestRunSyncCommand runs shell commands synchronously: the output comes
// in the answer.
func TestRunSyncCommand(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := phones(t, c, "")
	a, b := *all[0].PhoneId, *all[4].PhoneId
	r, err := c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{
		Command: "shell", Content: "echo hi", PhoneIds: &[]string{a, b, unknown}}})
	ok(t, "RunSyncCommand", err)
	if r.RequestId == nil || r.Jobs == nil || len(*r.Jobs) != 3 {
		t.Fatalf("RunSyncCommand = %s", dump(r))
	}
	for i, want := range []string{a, b} {
		if j := (*r.Jobs)[i]; str(j.PhoneId) != want || num(j.Status) != 2 || str(j.ExecuteMsg) != "hi\n" || j.JobId == nil {
			t.Errorf("sync job %d = %s", i, dump(j))
		}
	}
	if j := (*r.Jobs)[2]; str(j.PhoneId) != unknown || num(j.Status) != -1 || str(j.ErrorCode) != "CPS.0005" || j.JobId != nil {
		t.Errorf("unknown phone = %s", dump(j))
	}
	// The jobs are ordinary jobs.
	if j := waitJob(t, c, (*r.Jobs)[0].JobId); num(j.Status) != 2 || str(j.ExecuteMsg) != "hi\n" || str(j.PhoneId) != a {
		t.Errorf("ShowJob of a sync job = %s", dump(j))
	}
	l, err := c.ListJobs(&model.ListJobsRequest{RequestId: r.RequestId})
	ok(t, "ListJobs of a sync request", err)
	if l.Jobs == nil || len(*l.Jobs) != 2 {
		t.Errorf("ListJobs of a sync request = %s", dump(l))
	}
	// A failing command: status -1 with the shell's message.
	r, err = c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{
		Command: "shell", Content: "foo", PhoneIds: &[]string{a}}})
	ok(t, "RunSyncCommand failing", err)
	if j := (*r.Jobs)[0]; num(j.Status) != -1 || str(j.ErrorCode) != "CPS.9004" || str(j.ExecuteMsg) != "/system/bin/sh: foo: not found\n" {
		t.Errorf("failing sync job = %s", dump(j))
	}

	sixteen := make([]string, 16)
	for i := range sixteen {
		sixteen[i] = *all[i%6].PhoneId
	}
	_, err = c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{Command: "shell", Content: "ls", PhoneIds: &sixteen}})
	wantError(t, "RunSyncCommand 16 phones", err, 400, "CPS.9010")
	_, err = c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{
		Command: "install", Content: "obs://a/b.apk", PhoneIds: &[]string{a}}})
	wantError(t, "RunSyncCommand install", err, 400, "CPS.0117")
	_, err = c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{
		Command: "shell", Content: "ls > /data/x", PhoneIds: &[]string{a}}})
	wantError(t, "RunSyncCommand bad content", err, 400, "CPS.0118")

	// Six accepted calls per user and minute: two were made, four more
	// pass, the seventh is refused.
	for i := range 4 {
		_, err := c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{
			Command: "shell", Content: "id", PhoneIds: &[]string{a}}})
		ok(t, "RunSyncCommand call "+itoa(int32(i+3)), err)
	}
	_, err = c.RunSyncCommand(&model.RunSyncCommandRequest{Body: &model.RunSyncCommandRequestBody{
		Command: "shell", Content: "id", PhoneIds: &[]string{a}}})
	wantError(t, "RunSyncCommand seventh call in a minute", err, 429, "CPS.9009")
}
