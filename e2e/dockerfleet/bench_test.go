package dockerfleet_test

import (
	"context"
	"testing"
	"time"

	mobyclient "github.com/moby/moby/client"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/runtime/docker/phonestub"
)

// BenchmarkPhoneRestart measures, in one run, a phone restart through
// OpenCPH (RestartCloudPhone through the API, the job polled until it
// succeeded: cphd, the agent's long-poll, the Docker runtime's restart
// and boot wait, the result) and the same container's restart through the
// Engine API directly followed by one boot-completed wait (exec getprop
// sys.boot_completed every 500 ms, the driver's default, until it says 1).
func BenchmarkPhoneRestart(b *testing.B) {
	engine := phonestub.Engine(b)
	ctx := context.Background()
	cphd := start(b, "cphd", "cphd", []string{"CPH_BOOTSTRAP_DOMAIN=" + domain, "CPH_BOOTSTRAP_USER=" + user,
		"CPH_BOOTSTRAP_PASSWORD=" + password, "CPH_BOOTSTRAP_PROJECT=" + project, "CPH_AGENT_ENROLL_TOKEN=enroll-secret"},
		"--listen", "127.0.0.1:0", "--data-dir", b.TempDir(), "--sim-servers", "0", "--log-level", "warn")
	agent := start(b, "cph-agent", "cph-agent", nil, "--runtime", "docker", "--control-plane", cphd.URL,
		"--enroll-token", "enroll-secret", "--project", project, "--name", "bench-node", "--state-dir", b.TempDir(),
		"--sim-phones", "1", "--docker-images", "*="+stubImage, "--docker-privileged=false",
		"--docker-ports", "43300-43399", "--docker-labels", phonestub.TestLabel+"=1", "--log-level", "warn")
	c, err := client.New(client.Config{Endpoint: cphd.URL, Domain: domain, User: user, Password: password, Project: project})
	if err != nil {
		b.Fatal(err)
	}
	var ph cph.Phone
	poll.Within(b, 60*time.Second, "the phone to run", func() bool {
		list, err := c.ListAllPhones(ctx, client.ListPhonesOptions{})
		if err != nil || len(list.Phones) != 1 || list.Phones[0].Status != cph.PhoneRunning {
			return false
		}
		ph = list.Phones[0]
		return true
	})
	b.Cleanup(func() {
		agent.Kill()
		phonestub.RemoveLabelled(context.Background(), engine, docker.LabelServer, ph.ServerID)
	})
	name := "opencph-" + ph.ServerID + "-" + ph.ID
	poll.Within(b, 60*time.Second, "the container", func() bool { return phonestub.BootCompleted(ctx, engine, name) })

	b.Run("opencph-api", func(b *testing.B) {
		for b.Loop() {
			res, err := c.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: ph.ID}}})
			if err != nil || res.Jobs[0].JobID == "" {
				b.Fatalf("restart: %+v %v", res, err)
			}
			for {
				j, err := c.ShowJob(ctx, res.Jobs[0].JobID)
				if err != nil {
					b.Fatal(err)
				}
				if j.Status.Final() {
					if j.Status != cph.JobSucceeded {
						b.Fatalf("job %+v", j)
					}
					break
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	})
	b.Run("engine-direct", func(b *testing.B) {
		timeout := 10
		for b.Loop() {
			if _, err := engine.ContainerRestart(ctx, name, mobyclient.ContainerRestartOptions{Timeout: &timeout}); err != nil {
				b.Fatal(err)
			}
			for !phonestub.BootCompleted(ctx, engine, name) {
				time.Sleep(docker.DefaultBootPoll)
			}
		}
	})
}
