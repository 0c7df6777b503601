package phonestub_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/moby/moby/client"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime/docker/phonestub"
)

// TestBuildAndBoot builds the stand-in image, runs it with a boot
// argument and checks that it boots and answers getprop.
func TestBuildAndBoot(t *testing.T) {
	ctx := context.Background()
	cli, err := client.New(client.WithHostFromEnv())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := cli.Ping(ctx, client.PingOptions{}); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("Docker Engine unreachable under CI: %v", err)
		}
		t.Skipf("no Docker Engine: %v", err)
	}
	ref, err := phonestub.Build(ctx, cli, phonestub.Options{BootDelay: 100 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = phonestub.Remove(context.Background(), cli, ref) })
	if _, err := exec.LookPath("docker"); err != nil {
		t.Skip("no docker CLI")
	}
	name := "opencph-test-phonestub-boot"
	out, err := exec.Command("docker", "run", "-d", "--rm", "--label", "opencph.test=1", "--name", name, ref, "androidboot.redroid_width=720").CombinedOutput()
	if err != nil {
		t.Fatalf("docker run: %v\n%s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("docker", "rm", "-f", name).Run() })
	poll.Within(t, 20*time.Second, "the stand-in to boot", func() bool {
		out, _ := exec.Command("docker", "exec", name, "getprop", "sys.boot_completed").Output()
		return strings.TrimSpace(string(out)) == "1"
	})
	out, err = exec.Command("docker", "exec", name, "sh", "-c", "getprop ro.boot.redroid_width; echo hi > /data/f && cat /data/f").CombinedOutput()
	if err != nil || string(out) != "720\nhi\n" {
		t.Fatalf("sh -c: %v %q", err, out)
	}
}
