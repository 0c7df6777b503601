package httpapi_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestNoStoreDependency checks the layering: the HTTP front end speaks to
// the domain services through the root package's interfaces only, so it
// depends on no store, no engine, no IAM implementation and not on the
// services' implementation.
func TestNoStoreDependency(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH")
	}
	out, err := exec.Command(goTool, "list", "-deps", ".").Output()
	if err != nil {
		t.Fatalf("go list -deps: %v", err)
	}
	forbidden := []string{"/sqlstore", "/engine", "/iam", "/service", "/audit", "/metrics"}
	for _, dep := range strings.Fields(string(out)) {
		if !strings.HasPrefix(dep, "github.com/opencph/opencph/") {
			continue
		}
		rest := strings.TrimPrefix(dep, "github.com/opencph/opencph")
		for _, f := range forbidden {
			if rest == f || strings.HasPrefix(rest, f+"/") {
				t.Errorf("httpapi depends on %s", dep)
			}
		}
	}
}
