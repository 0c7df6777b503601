package e2e_test

import (
	"context"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/client"
)

func TestPushShareFilesAndApps(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, c := start(t, nil)
	id := createNormalServer(t, c, "shared")
	if err := c.CreateBucket(ctx, "media"); err != nil {
		t.Fatal(err)
	}
	put := func(key string, data []byte) {
		t.Helper()
		if err := c.PutObject(ctx, "media", key, data); err != nil {
			t.Fatal(err)
		}
	}
	put("share/files.tar", archivetest.FileMap(map[string]string{"data/media/a.mp4": "aa", "cache/b.bin": "b"}))
	put("share/bad.tar", archivetest.FileMap(map[string]string{"etc/passwd": "x"}))
	put("apps/game.tar", archivetest.FileMap(map[string]string{"com.example.game/base.apk": "apk"}))

	run := func(jobID string) *cph.Job { return waitJob(t, c, jobID) }

	res, err := c.PushShareFiles(ctx, "media", "share/files.tar", []string{id})
	if err != nil {
		t.Fatal(err)
	}
	if j := run(res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Fatalf("push job = %+v", j)
	}
	files, _ := srv.SimDriver(id).SharedFiles(ctx, "/")
	if strings.Join(files, ",") != "/cache/b.bin,/data/media/a.mp4" {
		t.Errorf("shared files = %v", files)
	}
	for _, tc := range []struct{ bucket, key, code, msg string }{
		{"media", "share/missing.tar", cph.CodeNoSuchObject, "does not exist"},
		{"nobucket", "share/files.tar", cph.CodeNoSuchBucket, "bucket"},
		{"media", "share/bad.tar", cph.CodeJobFailed, "outside /data and /cache"},
	} {
		res, err := c.PushShareFiles(ctx, tc.bucket, tc.key, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		j := run(res.Jobs[0].JobID)
		if j.Status != cph.JobFailed || j.ErrorCode == nil || *j.ErrorCode != tc.code || !strings.Contains(*j.ErrorMsg, tc.msg) {
			t.Errorf("push %s/%s: job = %+v (%s)", tc.bucket, tc.key, j, deref(j.ErrorMsg))
		}
	}
	if files, _ := srv.SimDriver(id).SharedFiles(ctx, "/"); len(files) != 2 {
		t.Errorf("failed pushes changed the shared storage: %v", files)
	}

	res, err = c.PushShareApps(ctx, client.PushShareAppsParams{PackageName: "com.example.game", BucketName: "media", ObjectPath: "apps/game.tar", PreInstall: true, ServerIDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	if j := run(res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Fatalf("push app job = %+v", j)
	}
	drv := srv.SimDriver(id)
	if apps, _ := drv.SharedApps(ctx); len(apps) != 1 || apps[0] != "com.example.game" {
		t.Errorf("shared apps = %v", apps)
	}
	phone := phonesOf(t, c, id)[0]
	pkgs, _ := drv.Packages(ctx, phone.ID)
	found := false
	for _, p := range pkgs {
		found = found || p.Name == "com.example.game"
	}
	if !found {
		t.Errorf("pre-installed app missing on phone %s", phone.Name)
	}
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
