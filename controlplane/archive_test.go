package controlplane_test

import (
	"bytes"
	"errors"
	"io"
	goruntime "runtime"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/apk/apktest"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/runtime/sim"
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
	_, c, ctx := startWithClient(t)
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
	if err := c.PutObject(ctx, "apps", "bombs/manifest.apk", apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: bytes.Repeat([]byte("<"), 5<<20)})); err != nil {
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
	if got := shell(t, c, id, "ls /data/local/tmp"); got != "" {
		t.Errorf("/data/local/tmp after refused archives: %q", got)
	}
}

// repeatReader yields an endless repetition of one byte.
type repeatReader byte

func (r repeatReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = byte(r)
	}
	return len(p), nil
}

// failAfter yields n bytes of src, then fails.
type failAfter struct {
	src io.Reader
	n   int64
	err error
}

func (f *failAfter) Read(p []byte) (int, error) {
	if f.n <= 0 {
		return 0, f.err
	}
	if int64(len(p)) > f.n {
		p = p[:f.n]
	}
	n, err := f.src.Read(p)
	f.n -= int64(n)
	return n, err
}

// TestAgentStreamsObjects moves a 40 MiB object through the agent's
// object transfers without holding it in memory, and checks that an
// upload whose source fails stores nothing.
func TestAgentStreamsObjects(t *testing.T) {
	ctx := t.Context()
	ag, _ := agentWithBucket(t, startServer(t, nil), "apps")
	const size = 40 << 20
	allocated := func(f func()) int64 {
		var m0, m1 goruntime.MemStats
		goruntime.ReadMemStats(&m0)
		f()
		goruntime.ReadMemStats(&m1)
		return int64(m1.TotalAlloc - m0.TotalAlloc)
	}
	var (
		n   int64
		err error
	)
	up := allocated(func() { n, err = ag.PutObjectFrom(ctx, "apps", "big.bin", io.LimitReader(repeatReader('x'), size)) })
	if err != nil || n != size {
		t.Fatalf("PutObjectFrom = %d, %v", n, err)
	}
	var got int64
	var gotSize int64
	down := allocated(func() {
		var rc io.ReadCloser
		rc, gotSize, err = ag.OpenObject(ctx, "apps", "big.bin")
		if err != nil {
			return
		}
		defer rc.Close()
		got, err = io.Copy(io.Discard, rc)
	})
	if err != nil || got != size || gotSize != size {
		t.Fatalf("OpenObject: size %d, read %d, %v", gotSize, got, err)
	}
	// Both ends of the transfer run in this process; neither may hold
	// the object (40 MiB) in memory.
	t.Logf("allocated %d KiB to upload, %d KiB to download", up>>10, down>>10)
	if up > size/4 || down > size/4 {
		t.Errorf("allocated %d MiB to upload and %d MiB to download 40 MiB", up>>20, down>>20)
	}

	if err := ag.PutObject(ctx, "apps", "keep.bin", []byte("old")); err != nil {
		t.Fatal(err)
	}
	boom := errors.New("export broke")
	for _, key := range []string{"keep.bin", "new.bin"} {
		_, err := ag.PutObjectFrom(ctx, "apps", key, &failAfter{src: repeatReader('y'), n: 1 << 20, err: boom})
		if !errors.Is(err, boom) {
			t.Errorf("upload of %s from a failing source: %v", key, err)
		}
	}
	if b, err := ag.FetchObject(ctx, "apps", "keep.bin"); err != nil || string(b) != "old" {
		t.Errorf("object after an aborted upload = %q, %v", b, err)
	}
	if _, err := ag.FetchObject(ctx, "apps", "new.bin"); !errors.Is(err, objstore.ErrNoSuchObject) {
		t.Errorf("aborted upload of a new object: %v", err)
	}
}

// TestStorageQuotaFailsJobs: a push or an import that would take a
// simulated phone over its storage quota fails with CPS.9004 and a
// message naming the quota, and leaves nothing on the phone; a push
// within the quota works. Before the quota, the phone (in cphd's memory)
// took whatever it was given.
func TestStorageQuotaFailsJobs(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(cfg *controlplane.Config) { cfg.SimQuota = sim.Quota{PhoneBytes: 1 << 20} })
	c := newClient(t, srv)
	ctx := testCtx(t)
	id := fleet(t, c)[0].ID

	big := archivetest.Files("data/local/tmp/big", strings.Repeat("x", 2<<20))
	small := archivetest.Files("data/local/tmp/small", strings.Repeat("y", 100<<10))
	for key, data := range map[string][]byte{"quota/big.tar": big, "quota/small.tar": small} {
		if err := c.PutObject(ctx, "apps", key, data); err != nil {
			t.Fatal(err)
		}
	}
	const msg = "runtime: storage quota exceeded: a phone may store at most 1 MiB"
	failsWith := func(what string, j cph.Job) {
		t.Helper()
		if j.Status != cph.JobFailed || str(j.ErrorCode) != cph.CodeJobFailed || !strings.Contains(str(j.ErrorMsg), msg) || !strings.Contains(str(j.ErrorMsg), "(quota PhoneBytes)") {
			t.Errorf("%s: job status %d, code %s, message %q; want -1 %s naming the quota", what, j.Status, str(j.ErrorCode), str(j.ErrorMsg), cph.CodeJobFailed)
		}
	}
	failsWith("push of 2 MiB", command(t, c, id, cph.CommandPush, "obs://apps/quota/big.tar"))
	res, err := c.ImportPhoneData(ctx, []cph.RestoreInfo{{PhoneID: id, BucketName: "apps", ObjectPath: "quota/big.tar"}})
	if err != nil {
		t.Fatal(err)
	}
	failsWith("import of 2 MiB", waitJobs(t, c, res.RequestID)[0])
	if got := shell(t, c, id, "ls /data/local/tmp"); got != "" {
		t.Errorf("/data/local/tmp after refused archives: %q", got)
	}
	j := command(t, c, id, cph.CommandPush, "obs://apps/quota/small.tar")
	mustSucceed(t, j)
	if got := shell(t, c, id, "ls /data/local/tmp"); got != "small\n" {
		t.Errorf("/data/local/tmp after a push within the quota: %q", got)
	}
}
