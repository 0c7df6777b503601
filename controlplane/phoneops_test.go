package controlplane_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/sqlstore"
)

func TestRenamePhone(t *testing.T) {
	t.Parallel()
	srv, c, ctx := startWithClient(t)
	phones := fleet(t, c)
	id := phones[0].ID

	if err := c.RenamePhone(ctx, id, "front_desk-1"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	d, err := c.ShowPhone(ctx, id)
	if err != nil || d.Name != "front_desk-1" {
		t.Fatalf("after rename: name %q, %v", d.Name, err)
	}
	if err := c.RenamePhone(ctx, id, "前台手机"); err != nil {
		t.Errorf("rename to a Chinese name: %v", err)
	}
	for _, bad := range []string{"", "with space", "semi;colon", strings.Repeat("a", 61), "dot.name"} {
		wantAPIError(t, "rename to "+bad, c.RenamePhone(ctx, id, bad), 400, cph.CodePhoneNameInvalid)
	}
	wantAPIError(t, "rename to another phone's name", c.RenamePhone(ctx, phones[1].ID, "前台手机"), 400, cph.CodePhoneNameConflict)
	if d, _ := c.ShowPhone(ctx, phones[1].ID); d.Name != phones[1].Name {
		t.Errorf("refused rename changed the name to %q", d.Name)
	}
	wantAPIError(t, "unknown phone", c.RenamePhone(ctx, "0123456789abcdef0123456789abcdef", "x"), 404, cph.CodePhoneNotFound)
	wantAPIError(t, "malformed phone id", c.RenamePhone(ctx, "not_an_id", "x"), 400, cph.CodeInvalidPhoneID)

	token, projectID := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + projectID + "/cloud-phone/phones/"
	if r := do(t, "PUT", api+id, token, `{}`); r.status != 400 || r.body["error_code"] != cph.CodePhoneNameInvalid {
		t.Errorf("rename without phone_name: %d %s", r.status, r.raw)
	}
	if r := do(t, "PUT", api+id, token, `{"phone_name": 5}`); r.status != 400 || r.body["error_code"] != cph.CodeBadRequest {
		t.Errorf("rename with a number: %d %s", r.status, r.raw)
	}
}

func TestUpdatePropertyAppliesAtRestart(t *testing.T) {
	t.Parallel()
	_, c, ctx := startWithClient(t)
	phones := fleet(t, c)
	running, stopped := phones[0].ID, phones[1].ID
	mustSucceed(t, waitOne(t, c, must(c.StopPhones(ctx, []string{stopped}))))

	res, err := c.UpdatePhoneProperties(ctx, []cph.PhoneRef{
		{PhoneID: running, Property: `{"com.cph.mainkeys":1,"ro.install.auto":1,"sys.prop.writephonenum":"13900000001"}`},
		{PhoneID: stopped, Property: `{"persist.sys.locale":"zh-CN"}`},
		{PhoneID: phones[2].ID, Property: `{"no.such.key":1}`},
		{PhoneID: phones[3].ID, Property: `{"com.cph.mainkeys":7}`},
		{PhoneID: phones[4].ID, Property: `not json`},
		{PhoneID: phones[5].ID},
		{PhoneID: "0123456789abcdef0123456789abcdef", Property: `{"ro.install.auto":1}`},
		{PhoneID: "bad id", Property: `{"ro.install.auto":1}`},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []string{"", "", cph.CodeInvalidParameter, cph.CodeInvalidParameter, cph.CodeInvalidParameter, cph.CodeInvalidParameter, cph.CodePhoneNotFound, cph.CodeInvalidPhoneID}
	if len(res.Jobs) != len(wantCodes) {
		t.Fatalf("answer has %d entries, want %d: %+v", len(res.Jobs), len(wantCodes), res.Jobs)
	}
	for i, j := range res.Jobs {
		if j.ErrorCode != wantCodes[i] || (wantCodes[i] == "") != (j.JobID != "") {
			t.Errorf("entry %d = %+v, want error code %q", i, j, wantCodes[i])
		}
	}
	for _, j := range waitJobs(t, c, res.RequestID) {
		mustSucceed(t, j)
	}

	var props map[string]any
	d, _ := c.ShowPhone(ctx, running)
	if err := json.Unmarshal([]byte(d.Property), &props); err != nil {
		t.Fatalf("detail property %q: %v", d.Property, err)
	}
	if props["com.cph.mainkeys"] != 1.0 || props["ro.install.auto"] != 1.0 || props["sys.prop.writephonenum"] != "13900000001" {
		t.Errorf("detail property = %s", d.Property)
	}
	if d.Status != cph.PhoneRunning {
		t.Errorf("property update changed the status to %d", d.Status)
	}
	// ro.install.auto applies at once, the other keys at the next boot.
	if got := shell(t, c, running, "getprop ro.install.auto"); got != "1\n" {
		t.Errorf("getprop ro.install.auto before restart = %q, want 1", got)
	}
	if got := shell(t, c, running, "getprop com.cph.mainkeys"); got != "0\n" {
		t.Errorf("getprop com.cph.mainkeys before restart = %q, want the old 0", got)
	}
	mustSucceed(t, waitOne(t, c, must(c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: running}}}))))
	if got := shell(t, c, running, "getprop com.cph.mainkeys"); got != "1\n" {
		t.Errorf("getprop com.cph.mainkeys after restart = %q, want 1", got)
	}
	if got := shell(t, c, running, "getprop sys.prop.writephonenum"); got != "13900000001\n" {
		t.Errorf("getprop sys.prop.writephonenum after restart = %q", got)
	}
	// The stopped phone takes its update when it is started.
	mustSucceed(t, waitOne(t, c, must(c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: stopped}}}))))
	if got := shell(t, c, stopped, "getprop persist.sys.locale"); got != "zh-CN\n" {
		t.Errorf("getprop persist.sys.locale of the started phone = %q, want zh-CN", got)
	}
	if d, _ := c.ShowPhone(ctx, stopped); !strings.Contains(d.Property, `"persist.sys.locale":"zh-CN"`) {
		t.Errorf("detail property of the started phone = %s", d.Property)
	}
	_, err = c.UpdatePhoneProperties(ctx, nil)
	wantAPIError(t, "no phones", err, 400, cph.CodeEmptyPhoneList)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func TestShellCommands(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	c := newClient(t, srv)
	id := fleet(t, c)[0].ID

	for cmd, want := range map[string]string{
		"echo hi":                          "hi\n",
		"getprop ro.build.version.release": "11\n",
		"whoami":                           "shell\n",
		"cat /system/etc/hosts":            "127.0.0.1 localhost\n::1 ip6-localhost\n",
		"pm list packages settings":        "package:com.android.providers.settings\npackage:com.android.settings\n",
		"pm list packages -3":              "",
	} {
		if got := shell(t, c, id, cmd); got != want {
			t.Errorf("%s: output %q, want %q", cmd, got, want)
		}
	}
	if got := shell(t, c, id, "uname -a"); !strings.HasPrefix(got, "Linux ") {
		t.Errorf("uname -a = %q", got)
	}
	if got := shell(t, c, id, "getprop"); !strings.Contains(got, "[ro.build.version.release]: [11]\n") {
		t.Errorf("getprop lists %q", got)
	}
	shell(t, c, id, "setprop persist.demo.flag on")
	if got := shell(t, c, id, "getprop persist.demo.flag"); got != "on\n" {
		t.Errorf("getprop after setprop = %q", got)
	}
	shell(t, c, id, "mkdir -p /data/local/tmp/scratch")
	shell(t, c, id, "touch /data/local/tmp/scratch/a.txt")
	if got := shell(t, c, id, "ls /data/local/tmp/scratch"); got != "a.txt\n" {
		t.Errorf("ls after mkdir and touch = %q", got)
	}
	shell(t, c, id, "rm -r /data/local/tmp/scratch")

	// A command that fails ends its job with -1 and keeps the output.
	j := command(t, c, id, cph.CommandShell, "foo --bar")
	if j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodeJobFailed || str(j.ExecuteMsg) != "/system/bin/sh: foo: not found\n" {
		t.Errorf("unknown command: status %d, code %s, output %q", j.Status, str(j.ErrorCode), str(j.ExecuteMsg))
	}
	j = command(t, c, id, cph.CommandShell, "ls /data/local/tmp/scratch")
	if j.Status != cph.JobFailed || !strings.Contains(str(j.ExecuteMsg), "No such file or directory") {
		t.Errorf("ls of a removed directory: status %d, output %q", j.Status, str(j.ExecuteMsg))
	}
}

func TestInstallUninstallPush(t *testing.T) {
	t.Parallel()
	_, c, ctx := startWithClient(t)
	id := fleet(t, c)[0].ID

	if err := c.PutObject(ctx, "apps", "android/demo.apk", apk(t, "com.example.demo", "2.1")); err != nil {
		t.Fatal(err)
	}
	if err := c.PutObject(ctx, "apps", "com.acme.notes.apk", []byte("not a zip")); err != nil {
		t.Fatal(err)
	}
	if err := c.PutObject(ctx, "apps", "files/data.tar", archivetest.FileMap(map[string]string{
		"data/local/tmp/hello.txt": "hello from obs\n", "data/local/tmp/big.txt": strings.Repeat("0123456789", 300),
	})); err != nil {
		t.Fatal(err)
	}
	objs, err := c.ListObjects(ctx, "apps", "")
	if err != nil || len(objs) != 3 {
		t.Fatalf("ListObjects = %+v, %v", objs, err)
	}

	j := command(t, c, id, cph.CommandInstall, "-t -r obs://apps/android/demo.apk")
	mustSucceed(t, j)
	if got := shell(t, c, id, "pm list packages -3"); got != "package:com.example.demo\n" {
		t.Errorf("user packages after install = %q", got)
	}
	if got := shell(t, c, id, "pm path com.example.demo"); got != "package:/data/app/com.example.demo/base.apk\n" {
		t.Errorf("pm path = %q", got)
	}
	// Without a readable manifest the file name names the package.
	mustSucceed(t, command(t, c, id, cph.CommandInstall, "obs://apps/com.acme.notes.apk"))
	if got := shell(t, c, id, "pm list packages -3"); got != "package:com.acme.notes\npackage:com.example.demo\n" {
		t.Errorf("user packages after the second install = %q", got)
	}

	mustSucceed(t, command(t, c, id, cph.CommandUninstall, "com.example.demo"))
	if got := shell(t, c, id, "pm list packages -3"); got != "package:com.acme.notes\n" {
		t.Errorf("user packages after uninstall = %q", got)
	}
	j = command(t, c, id, cph.CommandUninstall, "com.example.demo")
	if j.Status != cph.JobFailed || !strings.HasPrefix(str(j.ExecuteMsg), "Failure [") {
		t.Errorf("uninstall of a missing package: status %d, output %q", j.Status, str(j.ExecuteMsg))
	}
	j = command(t, c, id, cph.CommandUninstall, "com.android.settings")
	if j.Status != cph.JobFailed {
		t.Errorf("uninstall of a system package: status %d", j.Status)
	}

	mustSucceed(t, command(t, c, id, cph.CommandPush, "obs://apps/files/data.tar"))
	if got := shell(t, c, id, "cat /data/local/tmp/hello.txt"); got != "hello from obs\n" {
		t.Errorf("pushed file = %q", got)
	}
	// Output is cut at 1024 bytes.
	if got := shell(t, c, id, "cat /data/local/tmp/big.txt"); got != strings.Repeat("0123456789", 300)[:1024] {
		t.Errorf("output of a 3000-byte cat is %d bytes, want the first 1024", len(got))
	}

	// Missing buckets and objects fail the job with their own codes.
	for content, code := range map[string]string{
		"obs://no-such-bucket/a.apk": cph.CodeNoSuchBucket,
		"obs://apps/missing.apk":     cph.CodeNoSuchObject,
	} {
		j := command(t, c, id, cph.CommandInstall, content)
		if j.Status != cph.JobFailed || str(j.ErrorCode) != code {
			t.Errorf("install %s: status %d, code %s, want -1 %s", content, j.Status, str(j.ErrorCode), code)
		}
	}
	j = command(t, c, id, cph.CommandPush, "obs://no-such-bucket/x.tar")
	if j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodeNoSuchBucket {
		t.Errorf("push from a missing bucket: status %d, code %s", j.Status, str(j.ErrorCode))
	}

	// install-multiple installs the splits of one application.
	if err := c.PutObject(ctx, "apps", "split/base.apk", apk(t, "com.example.split", "1.0")); err != nil {
		t.Fatal(err)
	}
	if err := c.PutObject(ctx, "apps", "split/config.apk", apk(t, "com.example.split", "1.0")); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, command(t, c, id, cph.CommandInstallMultiple, "obs://apps/split/base.apk obs://apps/split/config.apk"))
	if got := shell(t, c, id, "pm path com.example.split"); got != "package:/data/app/com.example.split/base.apk\npackage:/data/app/com.example.split/split_1.apk\n" {
		t.Errorf("pm path of a split application = %q", got)
	}
	j = command(t, c, id, cph.CommandInstallMultiple, "obs://apps/split/base.apk obs://apps/android/demo.apk")
	if j.Status != cph.JobFailed {
		t.Errorf("install-multiple of two applications: status %d", j.Status)
	}
}

func TestExportResetImport(t *testing.T) {
	t.Parallel()
	_, c, ctx := startWithClient(t)
	phones := fleet(t, c)
	id := phones[0].ID

	if err := c.PutObject(ctx, "backup", "apps/demo.apk", apk(t, "com.example.demo", "3.0")); err != nil {
		t.Fatal(err)
	}
	if err := c.PutObject(ctx, "backup", "files.tar", archivetest.FileMap(map[string]string{
		"data/local/tmp/notes.txt": "remember me\n", "data/local/tmp/skip.log": "noise\n", "cache/c.bin": "cache\n",
	})); err != nil {
		t.Fatal(err)
	}
	mustSucceed(t, command(t, c, id, cph.CommandInstall, "obs://backup/apps/demo.apk"))
	mustSucceed(t, command(t, c, id, cph.CommandPush, "obs://backup/files.tar"))
	shell(t, c, id, "setprop persist.demo.mode kiosk")

	res, err := c.ExportPhoneData(ctx, []cph.StorageInfo{
		{PhoneID: id, IncludeFiles: []string{"/data"}, ExcludeFiles: []string{"/data/local/tmp/skip*"}, BucketName: "backup", ObjectPath: "exports/phone0.tar"},
		{PhoneID: phones[1].ID, IncludeFiles: []string{"/system"}, BucketName: "backup", ObjectPath: "x.tar"},
		{PhoneID: phones[2].ID, IncludeFiles: []string{"/data/a*b"}, BucketName: "backup", ObjectPath: "x.tar"},
		{PhoneID: phones[3].ID, IncludeFiles: []string{"/data"}, BucketName: "Bad_Bucket", ObjectPath: "x.tar"},
		{PhoneID: phones[4].ID, IncludeFiles: []string{"/data"}, BucketName: "no-such-bucket", ObjectPath: "x.tar"},
		{PhoneID: phones[5].ID, BucketName: "backup", ObjectPath: "x.tar"},
	})
	if err != nil {
		t.Fatal(err)
	}
	wantCodes := []string{"", cph.CodeInvalidParameter, cph.CodeInvalidParameter, cph.CodeInvalidParameter, "", cph.CodeInvalidParameter}
	for i, j := range res.Jobs {
		if j.ErrorCode != wantCodes[i] {
			t.Errorf("export entry %d = %+v, want code %q", i, j, wantCodes[i])
		}
	}
	for _, j := range waitJobs(t, c, res.RequestID) {
		switch j.PhoneID {
		case id:
			mustSucceed(t, j)
		case phones[4].ID:
			if j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodeNoSuchBucket {
				t.Errorf("export to a missing bucket: status %d, code %s", j.Status, str(j.ErrorCode))
			}
		}
	}
	if objs, err := c.ListObjects(ctx, "backup", "exports/"); err != nil || len(objs) != 1 || objs[0].Size == 0 {
		t.Fatalf("exported objects = %+v, %v", objs, err)
	}

	mustSucceed(t, waitOne(t, c, must(c.ResetPhones(ctx, client.ResetPhonesRequest{
		Phones: []cph.PhoneRef{{PhoneID: id, Property: `{"sys.prop.writewifissid":"lab-wifi"}`}},
	}))))
	if got := shell(t, c, id, "getprop sys.prop.writewifissid"); got != "lab-wifi\n" {
		t.Errorf("property given with the reset = %q, want lab-wifi", got)
	}
	if got := shell(t, c, id, "pm list packages -3"); got != "" {
		t.Errorf("user packages after reset = %q, want none", got)
	}
	if j := command(t, c, id, cph.CommandShell, "cat /data/local/tmp/notes.txt"); j.Status != cph.JobFailed {
		t.Errorf("file survived the reset: %q", str(j.ExecuteMsg))
	}
	if got := shell(t, c, id, "getprop persist.demo.mode"); got != "\n" {
		t.Errorf("property after reset = %q, want none", got)
	}

	res, err = c.ImportPhoneData(ctx, []cph.RestoreInfo{
		{PhoneID: id, BucketName: "backup", ObjectPath: "exports/phone0.tar"},
		{PhoneID: phones[1].ID, BucketName: "backup", ObjectPath: "exports/missing.tar"},
		{PhoneID: phones[2].ID, BucketName: "backup", ObjectPath: "files.tar"},
		{PhoneID: phones[3].ID, BucketName: "backup", ObjectPath: "../x.tar"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.Jobs[3].ErrorCode != cph.CodeInvalidParameter {
		t.Errorf("import with a bad object_path: %+v", res.Jobs[3])
	}
	for _, j := range waitJobs(t, c, res.RequestID) {
		switch j.PhoneID {
		case id:
			mustSucceed(t, j)
		case phones[1].ID:
			if j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodeNoSuchObject {
				t.Errorf("import of a missing object: status %d, code %s", j.Status, str(j.ErrorCode))
			}
		case phones[2].ID:
			if j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodeJobFailed {
				t.Errorf("import of a tar that is not an export: status %d, code %s", j.Status, str(j.ErrorCode))
			}
		}
	}
	if got := shell(t, c, id, "cat /data/local/tmp/notes.txt"); got != "remember me\n" {
		t.Errorf("restored file = %q", got)
	}
	if j := command(t, c, id, cph.CommandShell, "cat /data/local/tmp/skip.log"); j.Status != cph.JobFailed {
		t.Errorf("excluded file was restored: %q", str(j.ExecuteMsg))
	}
	if got := shell(t, c, id, "pm list packages -3"); got != "package:com.example.demo\n" {
		t.Errorf("restored packages = %q", got)
	}
	if got := shell(t, c, id, "getprop persist.demo.mode"); got != "kiosk\n" {
		t.Errorf("restored property = %q", got)
	}
	_, err = c.ExportPhoneData(ctx, nil)
	wantAPIError(t, "export without phones", err, 400, cph.CodeEmptyPhoneList)
	_, err = c.ImportPhoneData(ctx, nil)
	wantAPIError(t, "import without phones", err, 400, cph.CodeEmptyPhoneList)
}

func TestCommandValidation(t *testing.T) {
	t.Parallel()
	_, c, ctx := startWithClient(t)
	phones := fleet(t, c)
	id := phones[0].ID
	one := []string{id}

	for _, tc := range []struct {
		name string
		cmd  client.Command
		code string
	}{
		{"unknown command", client.Command{Command: "reboot", Content: "now", PhoneIDs: one}, cph.CodeInvalidCommand},
		{"empty command", client.Command{Content: "ls", PhoneIDs: one}, cph.CodeInvalidCommand},
		{"empty content", client.Command{Command: "shell", PhoneIDs: one}, cph.CodeInvalidContent},
		{"shell metacharacter", client.Command{Command: "shell", Content: "ls; rm -r /data", PhoneIDs: one}, cph.CodeInvalidContent},
		{"redirection", client.Command{Command: "shell", Content: "getprop > x", PhoneIDs: one}, cph.CodeInvalidContent},
		{"control character", client.Command{Command: "shell", Content: "ls\n/data", PhoneIDs: one}, cph.CodeInvalidContent},
		{"content too long", client.Command{Command: "shell", Content: "echo " + strings.Repeat("a", 2044), PhoneIDs: one}, cph.CodeInvalidContent},
		{"uninstall with a pipe", client.Command{Command: "uninstall", Content: "com.example.app | x", PhoneIDs: one}, cph.CodeInvalidContent},
		{"install without obs url", client.Command{Command: "install", Content: "/sdcard/app.apk", PhoneIDs: one}, cph.CodeInvalidContent},
		{"install of a non-apk", client.Command{Command: "install", Content: "obs://apps/app.zip", PhoneIDs: one}, cph.CodeInvalidContent},
		{"install-multiple over 50", client.Command{Command: "install-multiple", Content: strings.Repeat("obs://apps/a.apk ", 51), PhoneIDs: one}, cph.CodeInvalidContent},
		{"push of a non-tar", client.Command{Command: "push", Content: "obs://apps/data.zip", PhoneIDs: one}, cph.CodeInvalidContent},
		{"push of two objects", client.Command{Command: "push", Content: "obs://apps/a.tar obs://apps/b.tar", PhoneIDs: one}, cph.CodeInvalidContent},
		{"uninstall of a bad name", client.Command{Command: "uninstall", Content: "not-a-package", PhoneIDs: one}, cph.CodeInvalidContent},
		{"no targets", client.Command{Command: "shell", Content: "ls"}, cph.CodeEmptyPhoneList},
	} {
		_, err := c.RunCommand(ctx, tc.cmd)
		wantAPIError(t, tc.name, err, 400, tc.code)
	}
	// install-multiple takes up to 8100 bytes.
	long := strings.TrimSpace(strings.Repeat("obs://apps/"+strings.Repeat("a", 140)+".apk ", 50))
	if res, err := c.RunCommand(ctx, client.Command{Command: "install-multiple", Content: long, PhoneIDs: one}); err != nil || res.Jobs[0].JobID == "" {
		t.Errorf("install-multiple of %d bytes: %v", len(long), err)
	}

	// Per-item refusals, and server_ids expanded to their phones.
	res, err := c.RunCommand(ctx, client.Command{Command: "shell", Content: "echo x",
		PhoneIDs: []string{id, "0123456789abcdef0123456789abcdef", "bad id", id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 3 || res.Jobs[0].JobID == "" || res.Jobs[1].ErrorCode != cph.CodePhoneNotFound || res.Jobs[2].ErrorCode != cph.CodeInvalidPhoneID {
		t.Errorf("per-item answer = %+v", res.Jobs)
	}
	res, err = c.RunCommand(ctx, client.Command{Command: "shell", Content: "getprop ro.product.brand",
		ServerIDs: []string{phones[3].ServerID, "0123456789abcdef0123456789abcdef"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 4 || res.Jobs[3].ServerID != "0123456789abcdef0123456789abcdef" || res.Jobs[3].ErrorCode != cph.CodeCommandServerInvalid {
		t.Fatalf("server_ids answer = %+v", res.Jobs)
	}
	jobs := waitJobs(t, c, res.RequestID)
	if len(jobs) != 3 {
		t.Fatalf("server_ids made %d jobs, want 3", len(jobs))
	}
	for _, j := range jobs {
		mustSucceed(t, j)
		if j.PhoneID == id || str(j.ExecuteMsg) != "OpenCPH\n" {
			t.Errorf("job %+v ran on the wrong phone or said %q", j.PhoneID, str(j.ExecuteMsg))
		}
	}
}

func TestSyncCommand(t *testing.T) {
	t.Parallel()
	_, c, ctx := startWithClient(t)
	phones := fleet(t, c)

	res, err := c.RunSyncCommand(ctx, client.Command{Content: "echo hi", PhoneIDs: []string{phones[0].ID, phones[4].ID, "0123456789abcdef0123456789abcdef"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 3 {
		t.Fatalf("answer = %+v", res.Jobs)
	}
	for _, j := range res.Jobs[:2] {
		if j.Status != cph.JobSucceeded || str(j.ExecuteMsg) != "hi\n" || j.JobID == "" {
			t.Errorf("sync job = %+v (output %q), want finished with hi", j, str(j.ExecuteMsg))
		}
	}
	if j := res.Jobs[2]; j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodePhoneNotFound {
		t.Errorf("unknown phone: %+v", j)
	}
	if j, err := c.ShowJob(ctx, res.Jobs[0].JobID); err != nil || j.Status != cph.JobSucceeded || str(j.ExecuteMsg) != "hi\n" {
		t.Errorf("ShowJob of a sync job = %+v, %v", j, err)
	}
	res, err = c.RunSyncCommand(ctx, client.Command{Content: "foo", ServerIDs: []string{phones[0].ServerID}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Jobs) != 3 {
		t.Fatalf("server_ids answer = %+v", res.Jobs)
	}
	for _, j := range res.Jobs {
		if j.Status != cph.JobFailed || str(j.ExecuteMsg) != "/system/bin/sh: foo: not found\n" {
			t.Errorf("failing sync job = %+v, output %q", j, str(j.ExecuteMsg))
		}
	}

	sixteen := make([]string, 16)
	for i := range sixteen {
		sixteen[i] = phones[i%6].ID
	}
	_, err = c.RunSyncCommand(ctx, client.Command{Content: "ls", PhoneIDs: sixteen})
	wantAPIError(t, "16 phones", err, 400, cph.CodeTooManyItems)
	_, err = c.RunSyncCommand(ctx, client.Command{Command: "install", Content: "obs://a/b.apk", PhoneIDs: sixteen[:1]})
	wantAPIError(t, "install", err, 400, cph.CodeInvalidCommand)
	_, err = c.RunSyncCommand(ctx, client.Command{Content: "ls > /data/x", PhoneIDs: sixteen[:1]})
	wantAPIError(t, "bad content", err, 400, cph.CodeInvalidContent)

	// Six calls a minute: two were made above, four more pass, the next is refused.
	for i := range 4 {
		if _, err := c.RunSyncCommand(ctx, client.Command{Content: "id", PhoneIDs: sixteen[:1]}); err != nil {
			t.Fatalf("call %d: %v", i+3, err)
		}
	}
	_, err = c.RunSyncCommand(ctx, client.Command{Content: "id", PhoneIDs: sixteen[:1]})
	wantAPIError(t, "seventh call in a minute", err, http.StatusTooManyRequests, cph.CodeTooManyRequests)
}

func TestBusyPhonesAreRefusedPerItem(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(cfg *controlplane.Config) { cfg.SimBootTime = 3 * time.Second })
	c := newClient(t, srv)
	ctx := testCtx(t)
	phones := fleet(t, c)
	busy, idle := phones[0].ID, phones[1].ID
	if r := must(c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: busy}}})); r.Jobs[0].JobID == "" {
		t.Fatalf("restart refused: %+v", r.Jobs)
	}
	res, err := c.RunCommand(ctx, client.Command{Command: "shell", Content: "id", PhoneIDs: []string{busy, idle}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Jobs[0].ErrorCode != cph.CodeStatusNotAllowed || res.Jobs[1].JobID == "" {
		t.Errorf("command on a restarting phone: %+v", res.Jobs)
	}
	sres, err := c.RunSyncCommand(ctx, client.Command{Content: "id", PhoneIDs: []string{busy}})
	if err != nil || sres.Jobs[0].Status != cph.JobFailed || str(sres.Jobs[0].ErrorCode) != cph.CodeStatusNotAllowed {
		t.Errorf("sync command on a restarting phone: %+v, %v", sres, err)
	}
	for name, call := range map[string]func() (*client.BatchResult, error){
		"property": func() (*client.BatchResult, error) {
			return c.UpdatePhoneProperties(ctx, []cph.PhoneRef{{PhoneID: busy, Property: `{"ro.install.auto":1}`}})
		},
		"export": func() (*client.BatchResult, error) {
			return c.ExportPhoneData(ctx, []cph.StorageInfo{{PhoneID: busy, IncludeFiles: []string{"/data"}, BucketName: "any-bucket", ObjectPath: "x.tar"}})
		},
		"import": func() (*client.BatchResult, error) {
			return c.ImportPhoneData(ctx, []cph.RestoreInfo{{PhoneID: busy, BucketName: "any-bucket", ObjectPath: "x.tar"}})
		},
		"volume": func() (*client.BatchResult, error) {
			return c.ExpandPhoneVolumes(ctx, []cph.PhoneDataVolumeSize{{PhoneID: busy, NewSize: 1000}})
		},
		"traffic": func() (*client.BatchResult, error) { return c.ImportTraffic(ctx, "routing", []string{busy}) },
	} {
		res, err := call()
		if err != nil || res.Jobs[0].ErrorCode != cph.CodeStatusNotAllowed {
			t.Errorf("%s on a restarting phone: %+v, %v", name, res, err)
		}
	}
	ci, err := c.ConnectInfos(ctx, "ANDROID", []string{busy})
	if err != nil || len(ci.Errors) != 1 || ci.Errors[0].ErrorCode != cph.CodePhoneNotAvailable {
		t.Errorf("connect info of a restarting phone: %+v, %v", ci, err)
	}
}

func TestConnectInfos(t *testing.T) {
	t.Parallel()
	_, c, ctx := startWithClient(t)
	phones := fleet(t, c)
	mustSucceed(t, waitOne(t, c, must(c.StopPhones(ctx, []string{phones[2].ID}))))

	ci, err := c.ConnectInfos(ctx, "H5_PC", []string{phones[0].ID, phones[4].ID, phones[2].ID, "0123456789abcdef0123456789abcdef", "bad id", phones[0].ID})
	if err != nil {
		t.Fatal(err)
	}
	if len(ci.ConnectInfos) != 2 || len(ci.Errors) != 3 {
		t.Fatalf("answer = %+v", ci)
	}
	for i, want := range []string{cph.CodePhoneNotAvailable, cph.CodePhoneNotFound, cph.CodeInvalidPhoneID} {
		if ci.Errors[i].ErrorCode != want {
			t.Errorf("error %d = %+v, want %s", i, ci.Errors[i], want)
		}
	}
	for i, info := range ci.ConnectInfos {
		d, err := c.ShowPhone(ctx, info.PhoneID)
		if err != nil {
			t.Fatal(err)
		}
		a := info.AccessInfo
		if a.AccessPort != d.AccessInfos[0].AccessPort || a.IntranetIP != d.AccessInfos[0].ServerIP || a.AccessIP != d.AccessInfos[0].PublicIP {
			t.Errorf("connect info %d = %+v, detail access = %+v", i, a, d.AccessInfos[0])
		}
		if a.SessionID == "" || a.Timestamp == "" || strings.Count(a.Ticket, ".") != 1 {
			t.Errorf("connect info %d has session %q, timestamp %q, ticket %q", i, a.SessionID, a.Timestamp, a.Ticket)
		}
	}
	if ci.ConnectInfos[0].AccessInfo.SessionID == ci.ConnectInfos[1].AccessInfo.SessionID {
		t.Error("two phones got the same session")
	}
	_, err = c.ConnectInfos(ctx, "ANDROID", nil)
	wantAPIError(t, "no phones", err, 400, cph.CodeEmptyPhoneList)
	_, err = c.ConnectInfos(ctx, "ANDROID", strings.Split(strings.Repeat("a,", 11), ",")[:11])
	wantAPIError(t, "11 phones", err, 400, cph.CodeTooManyItems)
	_, err = c.ConnectInfos(ctx, "SYMBIAN", []string{phones[0].ID})
	wantAPIError(t, "bad client type", err, 400, cph.CodeInvalidParameter)
}

func TestExpandVolumeAndTraffic(t *testing.T) {
	t.Parallel()
	_, c, ctx := startWithClient(t)
	phones := fleet(t, c)
	before, _ := c.ShowPhone(ctx, phones[0].ID)
	size := before.DataVolume.VolumeSize

	res, err := c.ExpandPhoneVolumes(ctx, []cph.PhoneDataVolumeSize{
		{PhoneID: phones[0].ID, NewSize: size + 64},
		{PhoneID: phones[1].ID, NewSize: size - 1},
		{PhoneID: phones[2].ID, NewSize: 40000},
		{PhoneID: phones[3].ID, NewSize: 0},
	})
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"", cph.CodeInvalidParameter, cph.CodeInvalidParameter, cph.CodeInvalidParameter} {
		if res.Jobs[i].ErrorCode != want {
			t.Errorf("volume entry %d = %+v, want %q", i, res.Jobs[i], want)
		}
	}
	for _, j := range waitJobs(t, c, res.RequestID) {
		mustSucceed(t, j)
	}
	if d, _ := c.ShowPhone(ctx, phones[0].ID); d.DataVolume.VolumeSize != size+64 {
		t.Errorf("volume size after expansion = %d, want %d", d.DataVolume.VolumeSize, size+64)
	}
	if d, _ := c.ShowPhone(ctx, phones[1].ID); d.DataVolume.VolumeSize != size {
		t.Errorf("refused expansion changed the size to %d", d.DataVolume.VolumeSize)
	}

	tres, err := c.ImportTraffic(ctx, cph.TrafficRouting, []string{phones[0].ID, "bad id"})
	if err != nil {
		t.Fatal(err)
	}
	if tres.Jobs[1].ErrorCode != cph.CodeInvalidPhoneID {
		t.Errorf("traffic entry for a bad id = %+v", tres.Jobs[1])
	}
	mustSucceed(t, waitJobs(t, c, tres.RequestID)[0])
	if d, _ := c.ShowPhone(ctx, phones[0].ID); d.TrafficType != cph.TrafficRouting {
		t.Errorf("traffic type = %q, want routing", d.TrafficType)
	}
	_, err = c.ImportTraffic(ctx, "satellite", []string{phones[0].ID})
	wantAPIError(t, "bad traffic type", err, 400, cph.CodeInvalidParameter)
	_, err = c.ImportTraffic(ctx, cph.TrafficDirect, nil)
	wantAPIError(t, "no phones", err, 400, cph.CodeEmptyPhoneList)
	_, err = c.ImportTraffic(ctx, cph.TrafficDirect, make([]string, 101))
	wantAPIError(t, "101 phones", err, 400, cph.CodeTooManyItems)
	_, err = c.ExpandPhoneVolumes(ctx, nil)
	wantAPIError(t, "expand without phones", err, 400, cph.CodeEmptyPhoneList)
}

func TestBuckets(t *testing.T) {
	t.Parallel()
	_, c, ctx := startWithClient(t)
	if err := c.PutObject(ctx, "media", "a/b.txt", []byte("hello")); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateBucket(ctx, "empty-bucket"); err != nil {
		t.Fatal(err)
	}
	if err := c.CreateBucket(ctx, "empty-bucket"); err != nil {
		t.Errorf("creating an own bucket again: %v", err)
	}
	bs, err := c.ListBuckets(ctx)
	if err != nil || len(bs) != 2 || bs[0].Name != "empty-bucket" || bs[1].Name != "media" {
		t.Errorf("ListBuckets = %+v, %v", bs, err)
	}
	if data, err := c.GetObject(ctx, "media", "a/b.txt"); err != nil || string(data) != "hello" {
		t.Errorf("GetObject = %q, %v", data, err)
	}
	_, err = c.GetObject(ctx, "media", "a/none.txt")
	wantAPIError(t, "missing object", err, 404, cph.CodeNoSuchObject)
	_, err = c.ListObjects(ctx, "nobody-has-it", "")
	wantAPIError(t, "missing bucket", err, 404, cph.CodeNoSuchBucket)
	wantAPIError(t, "bad bucket name", c.PutObject(ctx, "UPPER", "k", []byte("x")), 400, cph.CodeInvalidParameter)
	if err := c.DeleteObject(ctx, "media", "a/b.txt"); err != nil {
		t.Fatal(err)
	}
	if objs, err := c.ListObjects(ctx, "media", ""); err != nil || len(objs) != 0 {
		t.Errorf("objects after delete = %+v, %v", objs, err)
	}
}

func TestBucketsBelongToOneProject(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	ctx := testCtx(t)
	owner := newClient(t, srv)
	if err := owner.PutObject(ctx, "private", "app.apk", []byte("x")); err != nil {
		t.Fatal(err)
	}
	d, err := srv.DB().DomainByName(ctx, cptest.Domain)
	if err != nil {
		t.Fatal(err)
	}
	err = srv.DB().Tx(ctx, func(tx *sqlstore.Tx) error {
		return tx.CreateProject(ctx, &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: "cn-south-1", Enabled: true})
	})
	if err != nil {
		t.Fatal(err)
	}
	other, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, Password: cptest.Password, Project: "cn-south-1", HTTPClient: cptest.HTTPClient(t)})
	if err != nil {
		t.Fatal(err)
	}
	if bs, err := other.ListBuckets(ctx); err != nil || len(bs) != 0 {
		t.Errorf("other project's buckets = %+v, %v; want none", bs, err)
	}
	_, err = other.ListObjects(ctx, "private", "")
	wantAPIError(t, "list another project's bucket", err, 404, cph.CodeNoSuchBucket)
	_, err = other.GetObject(ctx, "private", "app.apk")
	wantAPIError(t, "get from another project's bucket", err, 404, cph.CodeNoSuchBucket)
	wantAPIError(t, "put into another project's bucket", other.PutObject(ctx, "private", "evil.apk", []byte("y")), 403, cph.CodeForbidden)
	wantAPIError(t, "create another project's bucket", other.CreateBucket(ctx, "private"), 403, cph.CodeForbidden)
	if objs, _ := owner.ListObjects(ctx, "private", ""); len(objs) != 1 {
		t.Errorf("owner's objects = %+v, want only app.apk", objs)
	}
	// A phone operation naming another project's bucket is refused for
	// that phone.
	res, err := other.ImportPhoneData(ctx, []cph.RestoreInfo{{PhoneID: cph.NewID(), BucketName: "private", ObjectPath: "app.apk"}})
	if err != nil || res.Jobs[0].ErrorCode != cph.CodeNoSuchBucket {
		t.Errorf("import from another project's bucket: %+v, %v", res, err)
	}
}
