// Package deploy holds the container image and service units of OpenCPH;
// its test builds the image on the machine's Docker Engine and runs it.
package deploy_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/internal/poll"
)

// docker runs the docker CLI and returns its standard output.
func docker(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	cmd := exec.Command("docker", args...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		return out.String(), &dockerError{args: args, err: err, stderr: errOut.String()}
	}
	return strings.TrimSpace(out.String()), nil
}

type dockerError struct {
	args   []string
	err    error
	stderr string
}

func (e *dockerError) Error() string {
	return "docker " + strings.Join(e.args, " ") + ": " + e.err.Error() + ": " + e.stderr
}

func mustDocker(t *testing.T, args ...string) string {
	t.Helper()
	out, err := docker(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// needDocker skips the test without a Docker Engine, except under CI
// (CI=true), where it fails: CI must build and run the image.
func needDocker(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("docker"); err == nil {
		if _, err := docker(t, "info", "--format", "{{.ServerVersion}}"); err == nil {
			return
		} else if os.Getenv("CI") == "true" {
			t.Fatalf("CI=true but the Docker Engine does not answer: %v", err)
		}
	} else if os.Getenv("CI") == "true" {
		t.Fatal("CI=true but there is no docker command")
	}
	t.Skip("no Docker Engine; the container image test needs one")
}

// TestImageServesAndIsHealthy builds the image with build-image.sh, runs
// cphd in it on a data volume, waits until Docker reports it healthy (the
// HEALTHCHECK is "cphd healthcheck"), then logs in and lists phones over
// the published port. The container, its volume and the image carry a
// label of this run and are removed at the end.
func TestImageServesAndIsHealthy(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a container image")
	}
	needDocker(t)
	b := make([]byte, 6)
	rand.Read(b)
	run := hex.EncodeToString(b)
	label := "org.opencph.test=" + run
	image := "opencph-test:" + run

	build := exec.Command("./build-image.sh", "--label", label)
	build.Env = append(os.Environ(), "IMAGE="+image)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build-image.sh: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		if ids, _ := docker(t, "ps", "-aq", "--filter", "label="+label); ids != "" {
			docker(t, append([]string{"rm", "-f", "-v"}, strings.Fields(ids)...)...)
		}
		if vols, _ := docker(t, "volume", "ls", "-q", "--filter", "label="+label); vols != "" {
			docker(t, append([]string{"volume", "rm", "-f"}, strings.Fields(vols)...)...)
		}
		docker(t, "rmi", "-f", image)
	})

	// The image: non-root numeric user, a health check, a version.
	if user := mustDocker(t, "image", "inspect", "-f", "{{.Config.User}}", image); user != "65532:65532" {
		t.Errorf("image user = %q, want 65532:65532", user)
	}
	if hc := mustDocker(t, "image", "inspect", "-f", "{{json .Config.Healthcheck.Test}}", image); !strings.Contains(hc, "healthcheck") {
		t.Errorf("image health check = %s", hc)
	}
	if v := mustDocker(t, "run", "--rm", "--label", label, image, "--version"); !strings.HasPrefix(v, "cphd ") {
		t.Errorf("cphd --version in the image = %q", v)
	}
	if v := mustDocker(t, "run", "--rm", "--label", label, "--entrypoint", "/usr/local/bin/cph-agent", image, "--version"); !strings.HasPrefix(v, "cph-agent ") {
		t.Errorf("cph-agent --version in the image = %q", v)
	}

	volume := mustDocker(t, "volume", "create", "--label", label, "opencph-test-"+run)
	id := mustDocker(t, "run", "-d", "--label", label, "--health-interval", "1s", "--health-start-period", "30s",
		"-v", volume+":/var/lib/cphd", "-p", "127.0.0.1::8080",
		"-e", "CPH_BOOTSTRAP_DOMAIN=acme", "-e", "CPH_BOOTSTRAP_PASSWORD=image-test-pw",
		"-e", "CPH_SIM_SERVERS=1", "-e", "CPH_SIM_PHONES_PER_SERVER=3", image)
	var status string
	if !poll.Wait(t, 90*time.Second, func() bool {
		status = mustDocker(t, "inspect", "-f", "{{.State.Health.Status}}", id)
		return status == "healthy" || status == "unhealthy"
	}) || status != "healthy" {
		logs, _ := docker(t, "logs", id)
		t.Fatalf("container health %q; logs:\n%s", status, logs)
	}
	port := mustDocker(t, "port", id, "8080/tcp")
	port = strings.Fields(port)[0] // 127.0.0.1:NNNNN
	c, err := client.New(client.Config{Endpoint: "http://" + port, Domain: "acme", Password: "image-test-pw", Project: "cn-north-4"})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := c.Login(ctx); err != nil {
		t.Fatalf("login through the published port: %v", err)
	}
	phones, err := c.ListAllPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if phones.Count != 3 {
		t.Errorf("phones = %d, want 3", phones.Count)
	}
	// The database is on the volume, owned by the image's user.
	if out, err := docker(t, "exec", id, "/usr/local/bin/cphd", "admin", "list-accounts"); err != nil || !strings.Contains(out, "acme") {
		t.Errorf("cphd admin list-accounts in the container = %q, %v", out, err)
	}
}
