package docker_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/runtime/docker/phonestub"
)

func ptr[T any](v T) *T { return &v }

func TestCheck(t *testing.T) {
	phonestub.Engine(t)
	ctx := context.Background()
	bare := docker.Host{ProcFilesystems: ptr("nodev\tproc\nnodev\ttmpfs\n"), DevEntries: []string{"null", "zero"}, Memfd: ptr(false)}
	cfg := docker.Config{Images: map[string]string{"img-stub": stubImage, "img-redroid": "redroid/redroid:11.0.0-latest"}}
	probs := docker.Check(ctx, cfg, false, bare)
	var msgs []string
	for _, p := range probs {
		if p.Fatal {
			t.Fatalf("fatal: %s", p)
		}
		msgs = append(msgs, p.Message)
	}
	all := strings.Join(msgs, "\n")
	for _, want := range []string{"image redroid/redroid:11.0.0-latest (CPH image img-redroid) is not present", "no binder", "neither memfd_create nor /dev/ashmem"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, stubImage) {
		t.Errorf("the present stand-in image is reported:\n%s", all)
	}
	// A host with binderfs and memfd and only present images is fine.
	good := docker.Host{ProcFilesystems: ptr("nodev\tbinder\n"), DevEntries: []string{"null"}, Memfd: ptr(true)}
	if probs := docker.Check(ctx, docker.Config{Images: map[string]string{"img-stub": stubImage}}, true, good); len(probs) != 0 {
		t.Fatalf("problems on a good host: %v", probs)
	}
	// An unreachable Engine is fatal, with a hint.
	probs = docker.Check(ctx, docker.Config{Host: "unix:///nonexistent/docker.sock"}, false, good)
	if len(probs) != 1 || !probs[0].Fatal || !strings.Contains(probs[0].Message, "Docker Engine unreachable at unix:///nonexistent/docker.sock") {
		t.Fatalf("unreachable: %v", probs)
	}
}

// TestCheckOldEngine: an Engine that speaks only an old API is refused
// with a message naming the versions.
func TestCheckOldEngine(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Api-Version", "1.24")
		w.Header().Set("Ostype", "linux")
		if strings.HasSuffix(r.URL.Path, "/_ping") {
			w.Write([]byte("OK"))
			return
		}
		http.Error(w, `{"message":"client version too new"}`, http.StatusBadRequest)
	}))
	defer srv.Close()
	host := "tcp://" + strings.TrimPrefix(srv.URL, "http://")
	probs := docker.Check(context.Background(), docker.Config{Host: host}, false, docker.Host{})
	if len(probs) != 1 || !probs[0].Fatal || !strings.Contains(probs[0].Message, "1.24") || !strings.Contains(probs[0].Message, docker.MinAPIVersion) {
		t.Fatalf("old engine: %v", probs)
	}
}

// TestConfigRefused: configurations that cannot work are refused before
// the Engine is contacted, with the reason.
func TestConfigRefused(t *testing.T) {
	for _, tc := range []struct {
		cfg  docker.Config
		want string
	}{
		{docker.Config{}, "no server id"},
		{docker.Config{ServerID: "s", PortMin: 50, PortMax: 10}, "port range 50-10"},
		{docker.Config{ServerID: "s", BindAddress: "localhost"}, `bind address "localhost"`},
		{docker.Config{ServerID: "s", BindAddress: "0.0.0.0"}, "set the access address (--docker-access-ip)"},
	} {
		if _, err := docker.New(context.Background(), tc.cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.cfg, err, tc.want)
		}
	}
}
