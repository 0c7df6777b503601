package cli

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
)

func TestPhonesScreenshot(t *testing.T) {
	t.Parallel()
	_, env := startLoggedIn(t)
	var id string
	for _, p := range listPhones(t, env) {
		if p.Status == cph.PhoneRunning {
			id = p.ID
			break
		}
	}
	if id == "" {
		t.Fatal("no running phone")
	}
	file := filepath.Join(t.TempDir(), "screen.png")
	r := run(t, env, "", "phones", "screenshot", id, file)
	if r.code != 0 || !strings.Contains(r.stderr, "written to "+file) {
		t.Fatalf("phones screenshot %s FILE: %+v", id, r)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := png.Decode(bytes.NewReader(data)); err != nil {
		t.Errorf("the file is not a PNG: %v", err)
	}
	r = run(t, env, "", "phones", "screenshot", id)
	if _, err := png.Decode(strings.NewReader(r.stdout)); r.code != 0 || err != nil {
		t.Errorf("phones screenshot to standard output: exit %d, %v, stderr %q", r.code, err, r.stderr)
	}
	r = run(t, env, "", "phones", "screenshot", cph.NewID())
	if r.code != 3 || !strings.Contains(r.stderr, cph.CodePhoneNotFound) {
		t.Errorf("screenshot of an unknown phone: %+v", r)
	}
}
