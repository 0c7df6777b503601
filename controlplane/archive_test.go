package controlplane_test

import (
	"bytes"
	goruntime "runtime"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/apk/apktest"
	"github.com/opencph/opencph/archive/archivetest"
)

// liveHeap returns the heap in use after a collection. cphd runs in this
// process, its built-in agents and simulated phones with it.
func liveHeap() int64 {
	goruntime.GC()
	var m goruntime.MemStats
	goruntime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// TestArchiveBombsFailJobs pushes and imports hostile archives, and
// installs a hostile APK, through the CPH API (shared files: see
// e2e.TestShareFilesRefusesArchiveBombs). Each job fails with CPS.9004 and a message that
// says what was wrong, and cphd's memory does not grow: before the
// archive readers were bounded, the 3.5 KB sparse archive alone became a
// 512 MiB file in the phone.
func TestArchiveBombsFailJobs(t *testing.T) {
	srv := startServer(t, nil)
	c := newClient(t, srv)
	ctx := testCtx(t)
	phone := fleet(t, c)[0]
	id := phone.ID

	bombs := []struct {
		key, msg string
		data     []byte
	}{
		{"bombs/sparse-pax.tar", "sparse files are not accepted", archivetest.SparseBombPAX("data/local/tmp/big")},
		{"bombs/sparse-gnu.tar", "sparse files are not accepted", archivetest.SparseBombGNU("data/local/tmp/big")},
		{"bombs/lying.tar", "larger than the 1 GiB a file of the archive may have (limit MaxEntrySize)", archivetest.LyingHeader("data/local/tmp/huge", 1<<40)},
		{"bombs/deep.tar", "deeper than the 64 an archive may use (limit MaxDepth)", archivetest.DeepPath("data/local/tmp", 100)},
		{"bombs/escape.tar", "leaves the archive's root", archivetest.SymlinkEscape("data/local/tmp")},
	}
	for _, b := range bombs {
		if err := c.PutObject(ctx, "apps", b.key, b.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.PutObject(ctx, "apps", "bombs/manifest.apk", apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: bytes.Repeat([]byte("<"), 32<<20)})); err != nil {
		t.Fatal(err)
	}
	failsWith := func(what string, j cph.Job, msg string) {
		t.Helper()
		if j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodeJobFailed || !strings.Contains(str(j.ErrorMsg), msg) {
			t.Errorf("%s: job status %d, code %s, message %q; want -1 %s saying %q", what, j.Status, str(j.ErrorCode), str(j.ErrorMsg), cph.CodeJobFailed, msg)
		}
	}

	before := liveHeap()
	for _, b := range bombs {
		failsWith("push "+b.key, command(t, c, id, cph.CommandPush, "obs://apps/"+b.key), b.msg)
	}
	for _, b := range bombs {
		res, err := c.ImportPhoneData(ctx, []cph.RestoreInfo{{PhoneID: id, BucketName: "apps", ObjectPath: b.key}})
		if err != nil {
			t.Fatal(err)
		}
		msg := strings.Replace(b.msg, "1 GiB", "8 GiB", 1) // data imports have larger limits
		failsWith("import "+b.key, waitJobs(t, c, res.RequestID)[0], msg)
	}
	j := command(t, c, id, cph.CommandInstall, "obs://apps/bombs/manifest.apk")
	failsWith("install of a manifest bomb", j, "AndroidManifest.xml is larger than 4194304 bytes")
	if !strings.HasPrefix(str(j.ExecuteMsg), "Failure [INSTALL_PARSE_FAILED_NOT_APK]") {
		t.Errorf("install output = %q", str(j.ExecuteMsg))
	}
	if grown := liveHeap() - before; grown > 16<<20 {
		t.Errorf("cphd's heap grew by %d MiB", grown>>20)
	}
	if got := str(command(t, c, id, cph.CommandShell, "ls /data/local/tmp").ExecuteMsg); got != "ls: /data/local/tmp: No such file or directory\n" {
		t.Errorf("/data/local/tmp after refused archives: %q", got)
	}
}
