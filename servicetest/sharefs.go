package servicetest

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/apk/apktest"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/sqlstore"
)

// What StartEnv's deployment declares: a shared file system whose host
// directory has the sub-directory /assets (holding readme.txt), and the
// capacity of two availability zones of the bootstrap project's region.
const (
	ShareFilesystemID = "sfs-test"
	// LimitedZone holds at most LimitedServers servers of the flavor
	// physical.rx2.xlarge; SoldOutZone holds none.
	LimitedZone    = "cn-north-4b"
	LimitedServers = 2
	SoldOutZone    = "cn-north-4c"
	limitedModel   = "physical.rx2.xlarge"
)

// deploymentConfig returns what StartEnv adds to the control plane's
// configuration: the shared file system and the zone capacities.
func deploymentConfig(t *testing.T) func(*controlplane.Config) {
	t.Helper()
	host := t.TempDir()
	if err := os.MkdirAll(filepath.Join(host, "assets", "maps"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(host, "assets", "readme.txt"), []byte("shared"), 0o644); err != nil {
		t.Fatal(err)
	}
	return func(c *controlplane.Config) {
		c.ShareFilesystems = []cph.ShareFilesystem{{ID: ShareFilesystemID, HostPath: host}}
		c.Engine.ZoneCapacity = []cph.ZoneCapacity{
			{Zone: LimitedZone, ServerModel: limitedModel, Servers: LimitedServers},
			{Zone: SoldOutZone, ServerModel: limitedModel, Servers: 0},
		}
	}
}

// jobOf returns the job of id as the caller sees it once it is final.
func jobOf(t *testing.T, c Caller, id string) *cph.Job {
	t.Helper()
	var j *cph.Job
	waitUntil(t, "job "+id+" to end", 30*time.Second, func() bool {
		var err error
		if j, err = c.S.ShowJob(c.Ctx, id); err != nil {
			t.Fatalf("show job %s: %v", id, err)
		}
		return j.Status.Final()
	})
	return j
}

// wantJob fails unless the job ended with the code want ("" = success)
// and, for a success, the execute_msg msg (if not empty).
func wantJob(t *testing.T, what string, c Caller, jobID, want, msg string) {
	t.Helper()
	if jobID == "" {
		t.Errorf("%s: no job", what)
		return
	}
	j := jobOf(t, c, jobID)
	switch {
	case want == "" && j.Status != cph.JobSucceeded:
		t.Errorf("%s: job %+v (%s), want a success", what, j, deref(j.ErrorMsg))
	case want == "" && msg != "" && deref(j.ExecuteMsg) != msg:
		t.Errorf("%s: execute_msg %q, want %q", what, deref(j.ExecuteMsg), msg)
	case want != "" && (j.Status != cph.JobFailed || deref(j.ErrorCode) != want):
		t.Errorf("%s: job status %d code %q (%s), want failed with %s", what, j.Status, deref(j.ErrorCode), deref(j.ErrorMsg), want)
	}
}

// shellOfServer runs a shell command on the first phone of a simulated
// server, through the runtime.
func shellOfServer(t *testing.T, env *Env, serverID, cmd string) string {
	t.Helper()
	ctx := context.Background()
	drv := env.ControlPlane.SimDriver(serverID)
	if drv == nil {
		t.Fatalf("no simulated driver for server %s", serverID)
	}
	phones, err := drv.Phones(ctx)
	if err != nil || len(phones) == 0 {
		t.Fatalf("phones of server %s: %v, %d", serverID, err, len(phones))
	}
	res, err := drv.Shell(ctx, phones[0].ID, cmd)
	if err != nil {
		t.Fatalf("shell %q: %v", cmd, err)
	}
	return res.Output
}

func testShareFilesystems(t *testing.T, env *Env) {
	a, ro, other := env.Admin, env.ReadOnly, env.Other
	all, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: cph.MaxServerPage})
	if err != nil || len(all.Servers) < 2 {
		t.Fatalf("servers: %v", err)
	}
	first, second := all.Servers[0].ID, all.Servers[1].ID
	attach := func(c Caller, path string, ids ...string) *cph.ServerJobs {
		t.Helper()
		res, err := c.S.AttachShareFilesystem(c.Ctx, cph.ShareFilesystemParams{Type: cph.ShareFilesystemTypeSFSTurbo, ID: ShareFilesystemID, ServerIDs: ids, Path: path})
		if err != nil {
			t.Fatalf("attach to %v: %v", ids, err)
		}
		return res
	}
	detach := func(c Caller, ids ...string) *cph.ServerJobs {
		t.Helper()
		res, err := c.S.DetachShareFilesystem(c.Ctx, cph.ShareFilesystemParams{Type: cph.ShareFilesystemTypeSFSTurbo, ID: ShareFilesystemID, ServerIDs: ids})
		if err != nil {
			t.Fatalf("detach from %v: %v", ids, err)
		}
		return res
	}
	mounts := func(id string) []cph.ShareFilesystemMount {
		t.Helper()
		m, err := a.S.ListShareFilesystemMounts(a.Ctx, id)
		if err != nil {
			t.Fatalf("mounts of %s: %v", id, err)
		}
		return m
	}
	mountPoint := cph.DefaultShareFilesystemMountRoot + "/" + ShareFilesystemID

	t.Run("attach, re-attach, detach", func(t *testing.T) {
		unknown := cph.NewID()
		res := attach(a, "/assets", first, unknown, first, "not-an-id")
		if res.RequestID == "" || len(res.Jobs) != 3 {
			t.Fatalf("attach = %+v, want one job per distinct server", res)
		}
		for i, want := range []string{first, unknown, "not-an-id"} {
			if res.Jobs[i].ServerID != want || res.Jobs[i].JobID == "" {
				t.Errorf("job %d = %+v, want a job of %s", i, res.Jobs[i], want)
			}
		}
		wantJob(t, "attach", a, res.Jobs[0].JobID, "", "mounted "+ShareFilesystemID+":/assets")
		wantJob(t, "attach to an unknown server", a, res.Jobs[1].JobID, cph.CodeInvalidServerID, "")
		wantJob(t, "attach to a malformed server", a, res.Jobs[2].JobID, cph.CodeInvalidServerID, "")
		if l, err := a.S.ListJobs(a.Ctx, cph.JobFilter{RequestIDs: []string{res.RequestID}, Limit: 10}); err != nil || len(l) != 3 {
			t.Errorf("jobs of the request: %v, %+v", err, l)
		} else if l[0].ServerID == "" || l[0].PhoneID != "" {
			t.Errorf("an attach job is a server job: %+v", l[0])
		}
		m := mounts(first)
		if len(m) != 1 || m[0].ID != ShareFilesystemID || m[0].Path != "/assets" || m[0].State != "mounted" || m[0].MountPoint != mountPoint || m[0].Type != cph.ShareFilesystemTypeSFSTurbo {
			t.Errorf("mounts = %+v", m)
		}
		if out := shellOfServer(t, env, first, "ls "+mountPoint); out != "maps\nreadme.txt\n" {
			t.Errorf("ls %s on a phone = %q", mountPoint, out)
		}
		if m, err := ro.S.ListShareFilesystemMounts(ro.Ctx, first); err != nil || len(m) != 1 {
			t.Errorf("a read-only user lists the mounts: %v, %+v", err, m)
		}

		// The same path again: a success that changes nothing.
		wantJob(t, "re-attach", a, attach(a, "/assets", first).Jobs[0].JobID, "", "mounted "+ShareFilesystemID+":/assets")
		// Another path: refused in the job.
		re := attach(a, "", first)
		wantJob(t, "attach with another path", a, re.Jobs[0].JobID, cph.CodeOperationNotAllowed, "")
		if re.Jobs[0].ErrorCode != cph.CodeOperationNotAllowed {
			t.Errorf("the entry of a job failed at once: %+v", re.Jobs[0])
		}
		if m := mounts(first); len(m) != 1 || m[0].Path != "/assets" {
			t.Errorf("mounts after a refused attach = %+v", m)
		}

		d := detach(a, first)
		wantJob(t, "detach", a, d.Jobs[0].JobID, "", "unmounted "+ShareFilesystemID)
		if m := mounts(first); len(m) != 0 {
			t.Errorf("mounts after the detach = %+v", m)
		}
		if out := shellOfServer(t, env, first, "ls "+mountPoint); !strings.Contains(out, "No such file") {
			t.Errorf("ls %s after the detach = %q", mountPoint, out)
		}
		wantJob(t, "detach of a file system not mounted", a, detach(a, first).Jobs[0].JobID, "", "unmounted "+ShareFilesystemID)

		// The root, then a sub-directory that does not exist.
		wantJob(t, "attach the root", a, attach(a, "/", second).Jobs[0].JobID, "", "mounted "+ShareFilesystemID+":/")
		if out := shellOfServer(t, env, second, "ls "+mountPoint); out != "assets\n" {
			t.Errorf("ls of the mounted root = %q", out)
		}
		wantJob(t, "detach the root", a, detach(a, second).Jobs[0].JobID, "", "")
		wantJob(t, "attach a missing sub-directory", a, attach(a, "/no/such/dir", second).Jobs[0].JobID, cph.CodeJobFailed, "")
		if m := mounts(second); len(m) != 0 {
			t.Errorf("a failed mount is recorded: %+v", m)
		}
	})

	t.Run("concurrent attaches with different paths", func(t *testing.T) {
		paths := []string{"/assets", "/", "/assets/maps", "/assets"}
		results := make([]*cph.ServerJobs, len(paths))
		var wg sync.WaitGroup
		for i, p := range paths {
			wg.Go(func() { results[i] = attach(a, p, second) })
		}
		wg.Wait()
		var mounted []string
		for i, res := range results {
			j := jobOf(t, a, res.Jobs[0].JobID)
			switch {
			case j.Status == cph.JobSucceeded:
				mounted = append(mounted, paths[i])
			case deref(j.ErrorCode) != cph.CodeOperationNotAllowed && deref(j.ErrorCode) != cph.CodeStatusNotAllowed:
				t.Errorf("attach %s: job %+v (%s)", paths[i], j, deref(j.ErrorMsg))
			}
		}
		m := mounts(second)
		if len(mounted) == 0 || len(m) != 1 {
			t.Fatalf("mounted %v, mounts %+v", mounted, m)
		}
		want := m[0].Path
		if want == "" {
			want = "/"
		}
		for _, p := range mounted {
			if p != want {
				t.Errorf("attaches with the paths %v succeeded; the mount has %q", mounted, want)
			}
		}
		dres := make([]*cph.ServerJobs, 3)
		for i := range dres {
			wg.Go(func() { dres[i] = detach(a, second) })
		}
		wg.Wait()
		unmounted := 0
		for _, res := range dres {
			j := jobOf(t, a, res.Jobs[0].JobID)
			switch {
			case j.Status == cph.JobSucceeded:
				unmounted++
			case deref(j.ErrorCode) != cph.CodeStatusNotAllowed:
				t.Errorf("concurrent detach: job %+v (%s)", j, deref(j.ErrorMsg))
			}
		}
		if m := mounts(second); unmounted == 0 || len(m) != 0 {
			t.Errorf("after concurrent detaches (%d succeeded): mounts %+v", unmounted, m)
		}
	})

	t.Run("servers of another project and servers not normal", func(t *testing.T) {
		res := attach(other, "/assets", first)
		wantJob(t, "another project attaches", other, res.Jobs[0].JobID, cph.CodeInvalidServerID, "")
		wantJob(t, "another project detaches", other, detach(other, first).Jobs[0].JobID, cph.CodeInvalidServerID, "")
		if m := mounts(first); len(m) != 0 {
			t.Errorf("another project's attach mounted: %+v", m)
		}
		wantCode(t, "another project lists the mounts", second2(other.S.ListShareFilesystemMounts(other.Ctx, first)), cph.CodeInvalidServerID)

		setStatus := func(st cph.ServerStatus) {
			t.Helper()
			if err := env.ControlPlane.DB().Tx(context.Background(), func(tx *sqlstore.Tx) error {
				_, err := tx.SetServerStatus(context.Background(), second, nil, st)
				return err
			}); err != nil {
				t.Fatal(err)
			}
		}
		setStatus(cph.ServerFrozen)
		defer setStatus(cph.ServerNormal)
		wantJob(t, "attach to a frozen server", a, attach(a, "/assets", second).Jobs[0].JobID, cph.CodeStatusNotAllowed, "")
		wantJob(t, "detach from a frozen server", a, detach(a, second).Jobs[0].JobID, cph.CodeStatusNotAllowed, "")
	})

	t.Run("refused requests", func(t *testing.T) {
		ok := cph.ShareFilesystemParams{Type: cph.ShareFilesystemTypeSFSTurbo, ID: ShareFilesystemID, ServerIDs: []string{first}}
		with := func(f func(*cph.ShareFilesystemParams)) cph.ShareFilesystemParams {
			p := ok
			f(&p)
			return p
		}
		var many, dup []string
		for range cph.MaxShareFilesystemServers + 1 {
			many = append(many, cph.NewID())
		}
		for range cph.MaxShareFilesystemServers + 5 {
			dup = append(dup, first)
		}
		cases := []refusal[cph.ShareFilesystemParams]{
			{"no type", with(func(p *cph.ShareFilesystemParams) { p.Type = "" }), cph.CodeInvalidParameter},
			{"type nfs", with(func(p *cph.ShareFilesystemParams) { p.Type = "nfs" }), cph.CodeInvalidParameter},
			{"no id", with(func(p *cph.ShareFilesystemParams) { p.ID = "" }), cph.CodeInvalidParameter},
			{"id of 65 bytes", with(func(p *cph.ShareFilesystemParams) { p.ID = strings.Repeat("f", 65) }), cph.CodeInvalidParameter},
			{"no servers", with(func(p *cph.ShareFilesystemParams) { p.ServerIDs = nil }), cph.CodeInvalidParameter},
			{"21 servers", with(func(p *cph.ShareFilesystemParams) { p.ServerIDs = many }), cph.CodeTooManyItems},
			{"relative path", with(func(p *cph.ShareFilesystemParams) { p.Path = "assets" }), cph.CodeInvalidParameter},
			{"path with ..", with(func(p *cph.ShareFilesystemParams) { p.Path = "/assets/../x" }), cph.CodeInvalidParameter},
			{"path with //", with(func(p *cph.ShareFilesystemParams) { p.Path = "/assets//x" }), cph.CodeInvalidParameter},
			{"path with a space", with(func(p *cph.ShareFilesystemParams) { p.Path = "/my assets" }), cph.CodeInvalidParameter},
			{"unknown file system", with(func(p *cph.ShareFilesystemParams) { p.ID = "no-such-fs" }), cph.CodeShareFilesystemNotFound},
		}
		refusals(t, a.Ctx, a.S.AttachShareFilesystem, cases)
		for _, c := range cases {
			if c.name == "relative path" || strings.HasPrefix(c.name, "path with") {
				continue // detach has no path
			}
			_, err := a.S.DetachShareFilesystem(a.Ctx, c.p)
			wantCode(t, "detach: "+c.name, err, c.want)
		}
		_, err := a.S.AttachShareFilesystem(a.Ctx, with(func(p *cph.ShareFilesystemParams) { p.ID = "no-such-fs" }))
		if e, ok := errors.AsType[*cph.Error](err); !ok || e.Status != http.StatusNotFound {
			t.Errorf("unknown file system: %v, want a 404", err)
		}
		// Duplicates are merged before the limit counts.
		res, err := a.S.AttachShareFilesystem(a.Ctx, with(func(p *cph.ShareFilesystemParams) { p.ServerIDs = dup; p.Path = "/assets" }))
		if err != nil || len(res.Jobs) != 1 {
			t.Fatalf("25 copies of one server: %v, %+v", err, res)
		}
		wantJob(t, "attach by copies", a, res.Jobs[0].JobID, "", "")
		wantJob(t, "detach by copies", a, detach(a, dup...).Jobs[0].JobID, "", "")
		wantCode(t, "read-only attach", second2(ro.S.AttachShareFilesystem(ro.Ctx, ok)), cph.CodeForbidden)
		wantCode(t, "read-only detach", second2(ro.S.DetachShareFilesystem(ro.Ctx, ok)), cph.CodeForbidden)
		wantCode(t, "mounts of an unknown server", second2(a.S.ListShareFilesystemMounts(a.Ctx, cph.NewID())), cph.CodeInvalidServerID)
	})
}

// appTar is an application tar of PushShareApps whose base APK has the
// package name and version.
func appTar(t *testing.T, pkg, version string) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for name, body := range map[string][]byte{pkg + "/base.apk": apktest.APK(pkg, version), pkg + "/split_config.apk": apktest.APK(pkg, "0.0.0-split")} {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func testShareAppsSnapshot(t *testing.T, env *Env) {
	a, ro, other := env.Admin, env.ReadOnly, env.Other
	order, err := a.S.CreateServers(a.Ctx, newServersParams("apps", 1))
	if err != nil {
		t.Fatal(err)
	}
	id := order.ServerIDs[0]
	waitUntil(t, "the new server to be normal", 30*time.Second, func() bool {
		d, err := a.S.ShowServer(a.Ctx, id)
		return err == nil && d.Status == cph.ServerNormal
	})
	if err := a.S.CreateBucket(a.Ctx, "apps-bucket"); err != nil {
		t.Fatal(err)
	}
	push := func(pkg, version string) {
		t.Helper()
		key := "apps/" + pkg + ".tar"
		if _, err := a.S.PutObject(a.Ctx, "apps-bucket", key, bytes.NewReader(appTar(t, pkg, version))); err != nil {
			t.Fatal(err)
		}
		res, err := a.S.PushShareApps(a.Ctx, cph.PushShareAppsParams{PackageName: pkg, BucketName: "apps-bucket", ObjectPath: key, ServerIDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		wantJob(t, "push "+pkg, a, res.Jobs[0].JobID, "", "")
	}
	snapshot := func(c Caller, f cph.ShareAppsFilter) *cph.ShareAppsSnapshot {
		t.Helper()
		if f.ServerID == "" {
			f.ServerID = id
		}
		s, err := c.S.ListShareAppsSnapshot(c.Ctx, f)
		if err != nil {
			t.Fatalf("snapshot %+v: %v", f, err)
		}
		return s
	}
	if s := snapshot(a, cph.ShareAppsFilter{}); len(s.Apps) != 0 || s.NextMarker != "" {
		t.Errorf("snapshot before any push = %+v", s)
	}
	push("com.example.notes", "1.0.7")
	push("com.example.arcade", "3.2.1")
	push("com.example.zeta", "not a version")
	push("com.example.9lives", "1.0") // no letter after a '.': not collected
	push("com.example.gone", "2.0")
	del, err := a.S.DeleteShareApps(a.Ctx, cph.DeleteShareAppsParams{PackageName: "com.example.gone", ServerIDs: []string{id}})
	if err != nil {
		t.Fatal(err)
	}
	wantJob(t, "delete com.example.gone", a, del.Jobs[0].JobID, "", "")
	push("com.example.arcade", "3.3.0") // a push replaces the package

	t.Run("paging to the end", func(t *testing.T) {
		before := time.Now().Add(-2 * time.Second)
		s := snapshot(a, cph.ShareAppsFilter{Page: cph.MarkerPage{Limit: 2}})
		if s.CollectTime.Before(before) || s.CollectTime.After(time.Now().Add(2*time.Second)) {
			t.Errorf("collect_time %v is not now", s.CollectTime)
		}
		want := []cph.ShareApp{{PackageName: "com.example.arcade", Versions: []string{"3.3.0"}}, {PackageName: "com.example.notes", Versions: []string{"1.0.7"}}}
		if !slices.EqualFunc(s.Apps, want, func(x, y cph.ShareApp) bool {
			return x.PackageName == y.PackageName && slices.Equal(x.Versions, y.Versions)
		}) || s.NextMarker != "com.example.notes" {
			t.Errorf("first page = %+v", s)
		}
		s = snapshot(a, cph.ShareAppsFilter{Page: cph.MarkerPage{Marker: s.NextMarker, Limit: 2}})
		if len(s.Apps) != 1 || s.Apps[0].PackageName != "com.example.zeta" || len(s.Apps[0].Versions) != 0 || s.NextMarker != "" {
			t.Errorf("last page = %+v", s)
		}
		if s := snapshot(ro, cph.ShareAppsFilter{}); len(s.Apps) != 3 {
			t.Errorf("a read-only user's snapshot = %+v", s)
		}
		if s := snapshot(a, cph.ShareAppsFilter{PackageName: "com.example.notes"}); len(s.Apps) != 1 || s.Apps[0].PackageName != "com.example.notes" {
			t.Errorf("filtered snapshot = %+v", s)
		}
		if s := snapshot(a, cph.ShareAppsFilter{PackageName: "com.example.note"}); len(s.Apps) != 0 {
			t.Errorf("the filter is exact: %+v", s)
		}
		if s := snapshot(a, cph.ShareAppsFilter{ServerID: env.mustFirstServer(t)}); len(s.Apps) != 0 {
			t.Errorf("a server without shared apps: %+v", s)
		}
	})

	t.Run("refusals", func(t *testing.T) {
		for _, c := range []refusal[cph.ShareAppsFilter]{
			{"unknown server", cph.ShareAppsFilter{ServerID: cph.NewID()}, cph.CodeInvalidServerID},
			{"malformed server", cph.ShareAppsFilter{ServerID: "x"}, cph.CodeInvalidServerID},
			{"bad package name", cph.ShareAppsFilter{ServerID: id, PackageName: "1com.example"}, cph.CodeInvalidParameter},
			{"package name without a dot", cph.ShareAppsFilter{ServerID: id, PackageName: "example"}, cph.CodeInvalidParameter},
			{"unknown marker", cph.ShareAppsFilter{ServerID: id, Page: cph.MarkerPage{Marker: "com.example.none"}}, cph.CodeInvalidParameter},
			{"limit 501", cph.ShareAppsFilter{ServerID: id, Page: cph.MarkerPage{Limit: 501}}, cph.CodeInvalidPaging},
			{"limit -1", cph.ShareAppsFilter{ServerID: id, Page: cph.MarkerPage{Limit: -1}}, cph.CodeInvalidPaging},
		} {
			_, err := a.S.ListShareAppsSnapshot(a.Ctx, c.p)
			wantCode(t, c.name, err, c.want)
		}
		_, err := other.S.ListShareAppsSnapshot(other.Ctx, cph.ShareAppsFilter{ServerID: id})
		wantCode(t, "another project", err, cph.CodeInvalidServerID)
		if e, ok := errors.AsType[*cph.Error](err); !ok || e.Status != http.StatusNotFound {
			t.Errorf("another project: %v, want a 404", err)
		}
	})

	t.Run("deleting the server deletes its mounts and shared apps", func(t *testing.T) {
		res, err := a.S.AttachShareFilesystem(a.Ctx, cph.ShareFilesystemParams{Type: cph.ShareFilesystemTypeSFSTurbo, ID: ShareFilesystemID, ServerIDs: []string{id}})
		if err != nil {
			t.Fatal(err)
		}
		wantJob(t, "attach", a, res.Jobs[0].JobID, "", "")
		del, err := a.S.DeleteServers(a.Ctx, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		wantJob(t, "delete the server", a, del.JobID, "", "")
		ctx := context.Background()
		if m, err := env.ControlPlane.DB().ShareMounts(ctx, env.ProjectID, id); err != nil || len(m) != 0 {
			t.Errorf("mounts of the deleted server: %v, %+v", err, m)
		}
		if apps, err := env.ControlPlane.DB().ShareApps(ctx, id); err != nil || len(apps) != 0 {
			t.Errorf("shared apps of the deleted server: %v, %+v", err, apps)
		}
	})
}

// mustFirstServer returns a built-in server of the Admin's project.
func (env *Env) mustFirstServer(t *testing.T) string {
	t.Helper()
	l, err := env.Admin.S.ListServers(env.Admin.Ctx, cph.ServerFilter{Limit: cph.MaxServerPage})
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range l.Servers {
		if d, err := env.Admin.S.ShowServer(env.Admin.Ctx, s.ID); err == nil && d.ShareVolumeInfo == nil {
			return s.ID
		}
	}
	t.Fatal("no server without shared storage")
	return ""
}

func testServerModelOfferings(t *testing.T, env *Env) {
	a, ro, other := env.Admin, env.ReadOnly, env.Other
	list := func(c Caller, p cph.MarkerPage) *cph.ServerModelOfferings {
		t.Helper()
		o, err := c.S.ListServerModelOfferings(c.Ctx, p)
		if err != nil {
			t.Fatalf("offerings %+v: %v", p, err)
		}
		return o
	}
	var models []string
	for _, m := range cph.ServerModels() {
		models = append(models, m.ServerModelName)
	}
	slices.Sort(models)
	zones := []string{"cn-north-4a", LimitedZone, SoldOutZone}
	status := func(o *cph.ServerModelOfferings, zone, model string) string {
		for _, m := range o.Models {
			if m.AvailableZone == zone && m.ModelName == model {
				return m.SellStatus
			}
		}
		return ""
	}

	t.Run("rows, order and paging", func(t *testing.T) {
		full := list(a, cph.MarkerPage{})
		if full.Count != len(zones)*len(models) || len(full.Models) != full.Count || full.NextMarker != "" {
			t.Fatalf("offerings = %+v, want %d rows on one page", full, len(zones)*len(models))
		}
		i := 0
		for _, z := range zones {
			for _, m := range models {
				got := full.Models[i]
				want := cph.SellAvailable
				if z == SoldOutZone && m == limitedModel {
					want = cph.SellOut
				}
				if got.AvailableZone != z || got.ModelName != m || got.SellStatus != want {
					t.Errorf("row %d = %+v, want %s %s %s", i, got, z, m, want)
				}
				i++
			}
		}
		var paged []cph.ServerModelOffering
		marker := ""
		for range full.Count {
			o := list(a, cph.MarkerPage{Marker: marker, Limit: 5})
			if o.Count != full.Count || len(o.Models) > 5 {
				t.Fatalf("page after %q = %+v", marker, o)
			}
			paged = append(paged, o.Models...)
			if marker = o.NextMarker; marker == "" {
				break
			}
		}
		if !slices.Equal(paged, full.Models) {
			t.Errorf("pages = %+v, want %+v", paged, full.Models)
		}
		if o := list(ro, cph.MarkerPage{Limit: 1}); o.Count != full.Count || len(o.Models) != 1 || o.NextMarker == "" {
			t.Errorf("a read-only user's first row = %+v", o)
		}
		if o := list(other, cph.MarkerPage{}); o.Count != len(models) || o.Models[0].AvailableZone != "cn-east-3a" {
			t.Errorf("another region's offerings = %+v", o)
		}
		for _, c := range []refusal[cph.MarkerPage]{
			{"unknown marker", cph.MarkerPage{Marker: "bm8tc3VjaA"}, cph.CodeInvalidParameter},
			{"garbage marker", cph.MarkerPage{Marker: "%%%"}, cph.CodeInvalidParameter},
			{"limit 1001", cph.MarkerPage{Limit: 1001}, cph.CodeInvalidPaging},
			{"limit -1", cph.MarkerPage{Limit: -1}, cph.CodeInvalidPaging},
		} {
			_, err := a.S.ListServerModelOfferings(a.Ctx, c.p)
			wantCode(t, c.name, err, c.want)
		}
	})

	t.Run("sold out", func(t *testing.T) {
		p := newServersParams("soldout", 1)
		p.AZ = SoldOutZone
		wantCode(t, "create in a sold-out zone", second2(a.S.CreateServers(a.Ctx, p)), cph.CodeOperationNotAllowed)
		bare := cph.CreateBareServersParams{Name: "bare", ServerModel: limitedModel, Count: 1, Order: p.Order, SubnetIDs: p.SubnetIDs,
			PublicIP: true, Bandwidth: p.Bandwidth, AZ: SoldOutZone, KeypairName: "kp1"}
		wantCode(t, "create a bare server in a sold-out zone", second2(a.S.CreateBareServers(a.Ctx, bare)), cph.CodeOperationNotAllowed)
	})

	t.Run("capacity holds under concurrent creations", func(t *testing.T) {
		if s := status(list(a, cph.MarkerPage{}), LimitedZone, limitedModel); s != cph.SellAvailable {
			t.Fatalf("%s before any server: %q", LimitedZone, s)
		}
		const tries = 6
		var wg sync.WaitGroup
		errs := make([]error, tries)
		for i := range tries {
			wg.Go(func() {
				p := newServersParams("cap", 1)
				p.AZ = LimitedZone
				_, errs[i] = a.S.CreateServers(a.Ctx, p)
			})
		}
		wg.Wait()
		created := 0
		for _, err := range errs {
			switch code(err) {
			case "":
				created++
			case cph.CodeOperationNotAllowed:
			default:
				t.Errorf("concurrent create: %v", err)
			}
		}
		if created != LimitedServers {
			t.Errorf("%d of %d concurrent creations succeeded, want %d", created, tries, LimitedServers)
		}
		if s := status(list(a, cph.MarkerPage{}), LimitedZone, limitedModel); s != cph.SellOut {
			t.Errorf("%s at its capacity: %q", LimitedZone, s)
		}
	})
}
