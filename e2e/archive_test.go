package e2e_test

import (
	"context"
	goruntime "runtime"
	"strings"
	"testing"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/archive/archivetest"
)

// TestShareFilesRefusesArchiveBombs pushes hostile archives to a server's
// shared storage through the CPH API: each job fails with CPS.9004 and a
// message saying what was wrong, nothing is written, and cphd's heap (it
// runs in this process) does not grow by the 512 MiB the sparse entries
// stand for.
func TestShareFilesRefusesArchiveBombs(t *testing.T) {
	ctx := context.Background()
	srv, c := start(t, nil)
	id := createNormalServer(t, c, "shared")
	if err := c.CreateBucket(ctx, "media"); err != nil {
		t.Fatal(err)
	}
	bombs := []struct {
		key, msg string
		data     []byte
	}{
		{"sparse-pax.tar", "sparse files are not accepted", archivetest.SparseBombPAX("data/media/big")},
		{"sparse-gnu.tar", "sparse files are not accepted", archivetest.SparseBombGNU("data/media/big")},
		{"lying.tar", "(limit MaxEntrySize)", archivetest.LyingHeader("data/media/huge", 1<<40)},
		{"deep.tar", "(limit MaxDepth)", archivetest.DeepPath("data/media", 100)},
		{"escape.tar", "leaves the archive's root", archivetest.SymlinkEscape("data/media")},
	}
	var m goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&m)
	before := int64(m.HeapAlloc)
	for _, b := range bombs {
		if err := c.PutObject(ctx, "media", b.key, b.data); err != nil {
			t.Fatal(err)
		}
		res, err := c.PushShareFiles(ctx, "media", b.key, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		j := waitJob(t, c, res.Jobs[0].JobID)
		if j.Status != cph.JobFailed || deref(j.ErrorCode) != cph.CodeJobFailed || !strings.Contains(deref(j.ErrorMsg), b.msg) {
			t.Errorf("share %s: job status %d, code %s, message %q; want -1 %s saying %q", b.key, j.Status, deref(j.ErrorCode), deref(j.ErrorMsg), cph.CodeJobFailed, b.msg)
		}
	}
	goruntime.GC()
	goruntime.ReadMemStats(&m)
	if grown := int64(m.HeapAlloc) - before; grown > 16<<20 {
		t.Errorf("cphd's heap grew by %d MiB", grown>>20)
	}
	if files, _ := srv.SimDriver(id).SharedFiles(ctx, "/"); len(files) != 0 {
		t.Errorf("refused archives wrote %v", files)
	}
}
