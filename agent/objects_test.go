package agent

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// objectServer is a test fixture: the object routes of the agent
// protocol over an in-memory map, storing an upload only once its body
// has arrived whole, as the control plane does.
type objectServer struct {
	mu      sync.Mutex
	objects map[string][]byte
	aborted int // uploads whose body broke off
	srv     *httptest.Server
	puts    chan string // the key of every upload, once handled
}

func newObjectServer(t *testing.T) *objectServer {
	s := &objectServer{objects: map[string][]byte{}, puts: make(chan string, 16)}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.URL.Path, "/agent/v1/objects/")
		switch r.Method {
		case http.MethodGet:
			s.mu.Lock()
			b, ok := s.objects[key]
			s.mu.Unlock()
			if !ok {
				http.Error(w, `{"code":"NoSuchKey","message":"no"}`, http.StatusNotFound)
				return
			}
			w.Write(b)
		case http.MethodPut:
			defer func() { s.puts <- key }()
			b, err := io.ReadAll(r.Body)
			s.mu.Lock()
			defer s.mu.Unlock()
			if err != nil {
				s.aborted++
				return
			}
			s.objects[key] = b
			w.WriteHeader(http.StatusNoContent)
		}
	}))
	t.Cleanup(s.srv.Close)
	return s
}

// failingExport is a driver whose export writes part of an archive and
// then fails.
type failingExport struct {
	*sim.Driver
}

func (failingExport) ExportData(ctx context.Context, id string, _, _ []string, w io.Writer) error {
	if _, err := w.Write(bytes.Repeat([]byte("x"), 1<<20)); err != nil {
		return err
	}
	return errors.New("disk read error")
}

func (failingExport) ImportData(context.Context, string, io.Reader) error { return nil }

func testAgent(t *testing.T, url string, d runtime.Driver) *Agent {
	a, err := New(Config{ControlPlane: []string{url}, Credential: "c", Driver: d})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func exportOp(t *testing.T, phone, bucket, key string) cph.Operation {
	args, err := json.Marshal(cph.ExportArgs{Phones: map[string]cph.StorageInfo{phone: {PhoneID: phone, IncludeFiles: []string{"/data"}, BucketName: bucket, ObjectPath: key}}})
	if err != nil {
		t.Fatal(err)
	}
	return cph.Operation{PhoneID: phone, Args: args}
}

// TestExportStreamsAndAbortsOnFailure: an export goes up as it is made;
// one that fails half way fails its job and leaves no object behind.
func TestExportStreamsAndAbortsOnFailure(t *testing.T) {
	objs := newObjectServer(t)
	ctx := t.Context()
	d := sim.New(sim.Config{})
	if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p1", Running: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Push(ctx, "p1", bytes.NewReader(archivetest.Files("data/a.txt", "hello"))); err != nil {
		t.Fatal(err)
	}
	res := testAgent(t, objs.srv.URL, d).exportData(ctx, exportOp(t, "p1", "b", "ok.tar"))
	if !res.Success {
		t.Fatalf("export: %+v", res)
	}
	<-objs.puts
	// The uploaded archive imports back.
	if err := d.ImportData(ctx, "p1", bytes.NewReader(objs.objects["b/ok.tar"])); err != nil {
		t.Errorf("import of the export: %v", err)
	}

	res = testAgent(t, objs.srv.URL, failingExport{d}).exportData(ctx, exportOp(t, "p1", "b", "broken.tar"))
	if res.Success || res.ErrorCode != cph.CodeJobFailed || !strings.Contains(res.ErrorMsg, "data export failed: disk read error") {
		t.Errorf("failed export: %+v", res)
	}
	<-objs.puts
	objs.mu.Lock()
	defer objs.mu.Unlock()
	if _, ok := objs.objects["b/broken.tar"]; ok || objs.aborted != 1 {
		t.Errorf("failed export: stored %v, %d uploads aborted", ok, objs.aborted)
	}
}
