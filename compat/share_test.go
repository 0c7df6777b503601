package compat_test

import (
	"context"
	"testing"

	cphsdk "github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1"
	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
)

// listShared lists a shared-storage directory of a server through
// ListShareFiles and returns the job's output.
func listShared(t *testing.T, c *cphsdk.CphClient, serverID, path string) string {
	t.Helper()
	r, err := c.ListShareFiles(&model.ListShareFilesRequest{ServerIds: serverID, Path: path})
	ok(t, "ListShareFiles", err)
	serverJob(t, "ListShareFiles", r.Jobs)
	jobs := waitJobs(t, c, r.RequestId)
	succeeded(t, "list shared files", jobs)
	if str(jobs[0].ServerId) != serverID {
		t.Errorf("list job of server %s, want %s", str(jobs[0].ServerId), serverID)
	}
	if jobs[0].ExecuteMsg == nil {
		return ""
	}
	return *jobs[0].ExecuteMsg
}

// TestShareFiles pushes a tar into a server's shared storage, lists it and
// deletes part of it.
func TestShareFiles(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	// The built-in servers' flavor has no shared storage; rx2 has.
	id := createServer(t, c, "shared")
	plain := *servers(t, c)["sim-server-01"].ServerId
	e.putObject(t, "media", "share/files.tar", tarball(t, map[string]string{
		"data/media/a.mp4": "aa", "data/app/b.txt": "b", "data/app/c.txt": "c", "cache/x.bin": "x"}))

	p, err := c.PushShareFiles(&model.PushShareFilesRequest{Body: &model.PushShareFilesRequestBody{
		BucketName: "media", ObjectPath: "share/files.tar", ServerIds: []string{id, plain}}})
	ok(t, "PushShareFiles", err)
	if p.RequestId == nil || p.Jobs == nil || len(*p.Jobs) != 2 || (*p.Jobs)[0].JobId == nil || str((*p.Jobs)[0].ServerId) != id {
		t.Fatalf("PushShareFiles = %s", dump(p))
	}
	refusedServer(t, "push to a server without shared storage", (*p.Jobs)[1], plain, "CPS.9008")
	succeeded(t, "push shared files", waitJobs(t, c, p.RequestId))
	if got := listShared(t, c, id, "/data"); got != "/data/app/b.txt\n/data/app/c.txt\n/data/media/a.mp4" {
		t.Errorf("shared /data = %q", got)
	}
	r, err := c.ListShareFiles(&model.ListShareFilesRequest{ServerIds: id, Path: "/data", Offset: ptr(int32(1)), Limit: ptr(int32(1))})
	ok(t, "ListShareFiles page", err)
	if jobs := waitJobs(t, c, r.RequestId); str(jobs[0].ExecuteMsg) != "/data/app/c.txt" {
		t.Errorf("shared /data offset 1 limit 1 = %q", str(jobs[0].ExecuteMsg))
	}

	// Several servers in one comma-separated server_ids.
	r, err = c.ListShareFiles(&model.ListShareFilesRequest{ServerIds: id + "," + plain, Path: "/data"})
	ok(t, "ListShareFiles of two servers", err)
	if r.Jobs == nil || len(*r.Jobs) != 2 || (*r.Jobs)[0].JobId == nil {
		t.Fatalf("ListShareFiles of two servers = %s", dump(r))
	}
	refusedServer(t, "list a server without shared storage", (*r.Jobs)[1], plain, "CPS.9008")

	d, err := c.DeleteShareFiles(&model.DeleteShareFilesRequest{Body: &model.DeleteShareFilesRequestBody{
		ServerIds: []string{id}, FilePaths: []string{"/data/app", "/nope"}}})
	ok(t, "DeleteShareFiles", err)
	serverJob(t, "DeleteShareFiles", d.Jobs)
	succeeded(t, "delete shared files", waitJobs(t, c, d.RequestId))
	if got := listShared(t, c, id, "/data"); got != "/data/media/a.mp4" {
		t.Errorf("shared /data after the delete = %q", got)
	}

	// A missing object fails the job.
	p, err = c.PushShareFiles(&model.PushShareFilesRequest{Body: &model.PushShareFilesRequestBody{
		BucketName: "media", ObjectPath: "share/missing.tar", ServerIds: []string{id}}})
	ok(t, "PushShareFiles of a missing object", err)
	failedWith(t, "push of a missing object", waitJobs(t, c, p.RequestId), "CPS.9202")

	_, err = c.PushShareFiles(&model.PushShareFilesRequest{Body: &model.PushShareFilesRequestBody{
		BucketName: "Bad_Bucket", ObjectPath: "a.tar", ServerIds: []string{id}}})
	wantError(t, "PushShareFiles bad bucket name", err, 400, "CPS.9011")
	_, err = c.PushShareFiles(&model.PushShareFilesRequest{Body: &model.PushShareFilesRequestBody{
		BucketName: "media", ObjectPath: "a.zip", ServerIds: []string{id}}})
	wantError(t, "PushShareFiles non-tar object", err, 400, "CPS.9011")
	_, err = c.DeleteShareFiles(&model.DeleteShareFilesRequest{Body: &model.DeleteShareFilesRequestBody{ServerIds: []string{id}, FilePaths: []string{}}})
	wantError(t, "DeleteShareFiles without paths", err, 400, "CPS.0014")
	_, err = c.DeleteShareFiles(&model.DeleteShareFilesRequest{Body: &model.DeleteShareFilesRequestBody{ServerIds: []string{id}, FilePaths: []string{"/data/../etc"}}})
	wantError(t, "DeleteShareFiles bad path", err, 400, "CPS.9011")
	_, err = c.ListShareFiles(&model.ListShareFilesRequest{ServerIds: id, Path: "/"})
	wantError(t, "ListShareFiles path /", err, 400, "CPS.9011")
	_, err = c.ListShareFiles(&model.ListShareFilesRequest{ServerIds: id, Path: "/data", Limit: ptr(int32(51))})
	wantError(t, "ListShareFiles limit 51", err, 400, "CPS.0002")
}

// TestShareApps pushes an app into the shared app area with
// pre-installation and removes it again.
func TestShareApps(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	id := createServer(t, c, "apps")
	e.putObject(t, "media", "apps/game.tar", tarball(t, map[string]string{"com.example.game/base.apk": "apk"}))

	p, err := c.PushShareApps(&model.PushShareAppsRequest{Body: &model.PushShareAppsRequestBody{
		PackageName: "com.example.game", PreInstallApp: ptr(int32(1)), BucketName: "media", ObjectPath: "apps/game.tar", ServerIds: []string{id, unknown}}})
	ok(t, "PushShareApps", err)
	if p.RequestId == nil || p.Jobs == nil || len(*p.Jobs) != 2 || (*p.Jobs)[0].JobId == nil {
		t.Fatalf("PushShareApps = %s", dump(p))
	}
	refusedServer(t, "push an app to an unknown server", (*p.Jobs)[1], unknown, "CPS.0016")
	succeeded(t, "push shared app", waitJobs(t, c, p.RequestId))
	// Pre-installed on the server's running phones.
	ph := *phones(t, c, id)[0].PhoneId
	if got := output(t, c, ph, "pm list packages com.example.game"); got != "package:com.example.game\n" {
		t.Errorf("packages after the pre-installing push = %q", got)
	}

	d, err := c.DeleteShareApps(&model.DeleteShareAppsRequest{Body: &model.DeleteShareAppsRequestBody{
		PackageName: "com.example.game", ServerIds: []string{id}}})
	ok(t, "DeleteShareApps", err)
	serverJob(t, "DeleteShareApps", d.Jobs)
	succeeded(t, "delete shared app", waitJobs(t, c, d.RequestId))
	// The shared app area is not visible through the API: ask the runtime.
	if apps, err := e.srv.SimDriver(id).SharedApps(context.Background()); err != nil || len(apps) != 0 {
		t.Errorf("shared apps after the delete = %v, %v", apps, err)
	}

	p, err = c.PushShareApps(&model.PushShareAppsRequest{Body: &model.PushShareAppsRequestBody{
		PackageName: "com.example.game", BucketName: "nobucket", ObjectPath: "apps/game.tar", ServerIds: []string{id}}})
	ok(t, "PushShareApps from a missing bucket", err)
	failedWith(t, "push an app from a missing bucket", waitJobs(t, c, p.RequestId), "CPS.9201")

	_, err = c.PushShareApps(&model.PushShareAppsRequest{Body: &model.PushShareAppsRequestBody{
		PackageName: "1bad", BucketName: "media", ObjectPath: "apps/game.tar", ServerIds: []string{id}}})
	wantError(t, "PushShareApps bad package name", err, 400, "CPS.0173")
	_, err = c.DeleteShareApps(&model.DeleteShareAppsRequest{Body: &model.DeleteShareAppsRequestBody{PackageName: "nodots", ServerIds: []string{id}}})
	wantError(t, "DeleteShareApps bad package name", err, 400, "CPS.0173")
	_, err = c.DeleteShareApps(&model.DeleteShareAppsRequest{Body: &model.DeleteShareAppsRequestBody{PackageName: "com.example.game", ServerIds: []string{}}})
	wantError(t, "DeleteShareApps without servers", err, 400, "CPS.9011")
}
