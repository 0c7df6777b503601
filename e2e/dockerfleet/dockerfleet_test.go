// Package dockerfleet_test runs OpenCPH with real phones-as-containers: a
// cphd process and a cph-agent process with the Docker runtime on the
// local Docker Engine, with the test-fixture phone stand-in image
// (runtime/docker/phonestub), driven through the client package and the
// cph command line.
package dockerfleet_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	mobyclient "github.com/moby/moby/client"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/apk/apktest"
	"github.com/opencph/opencph/archive/archivetest"
	"github.com/opencph/opencph/cli"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/internal/proctest"
	"github.com/opencph/opencph/runtime/docker"
	"github.com/opencph/opencph/runtime/docker/phonestub"
)

var (
	bin       string // directory of the cphd and cph-agent binaries
	stubImage string
)

func TestMain(m *testing.M) {
	os.Exit(func() int {
		ctx := context.Background()
		cli, err := phonestub.EngineOrError(ctx)
		if err != nil {
			if os.Getenv("CI") == "true" {
				fmt.Fprintln(os.Stderr, "Docker Engine needed under CI:", err)
				return 1
			}
			return m.Run() // the tests skip
		}
		defer cli.Close()
		if stubImage, err = phonestub.Build(ctx, cli, phonestub.Options{BootDelay: 300 * time.Millisecond}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer phonestub.Remove(context.Background(), cli, stubImage)
		dir, err := os.MkdirTemp("", "opencph-dockerfleet-bin-")
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer os.RemoveAll(dir)
		build := exec.Command("go", "build", "-o", dir+"/", "github.com/opencph/opencph/cmd/cphd", "github.com/opencph/opencph/cmd/cph-agent")
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			fmt.Fprintln(os.Stderr, "build:", err)
			return 1
		}
		bin = dir
		return m.Run()
	}())
}

// proc is a started process with its output.
type proc = proctest.Proc

// start runs a binary; for cphd it waits until it listens and records its URL.
func start(t testing.TB, name, binary string, env []string, args ...string) *proc {
	t.Helper()
	p := proctest.Start(t, name, filepath.Join(bin, binary), env, args...)
	if binary == "cphd" {
		p.WaitURL(t, 60*time.Second)
	}
	return p
}

const (
	domain   = "acme"
	user     = "acme"
	password = "docker-fleet-password"
	project  = "cn-north-4"
)

func TestDockerFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phones as containers with real processes")
	}
	engine := phonestub.Engine(t)
	ctx := context.Background()

	cphd := start(t, "cphd", "cphd", []string{"CPH_BOOTSTRAP_DOMAIN=" + domain, "CPH_BOOTSTRAP_USER=" + user,
		"CPH_BOOTSTRAP_PASSWORD=" + password, "CPH_BOOTSTRAP_PROJECT=" + project, "CPH_AGENT_ENROLL_TOKEN=enroll-secret"},
		"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--sim-servers", "0", "--log-level", "warn")
	stateDir := t.TempDir()
	agentArgs := []string{"--runtime", "docker", "--control-plane", cphd.URL, "--enroll-token", "enroll-secret",
		"--project", project, "--name", "docker-node", "--state-dir", stateDir, "--sim-phones", "2",
		"--docker-images", "*=" + stubImage, "--docker-privileged=false", "--docker-ports", "43100-43199",
		"--docker-boot-timeout", "30s", "--docker-labels", phonestub.TestLabel + "=1", "--log-level", "info"}
	agent := start(t, "cph-agent", "cph-agent", nil, agentArgs...)

	c, err := client.New(client.Config{Endpoint: cphd.URL, Domain: domain, User: user, Password: password, Project: project})
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := t.TempDir()
	runCLI := func(args ...string) (int, string) {
		t.Helper()
		env := map[string]string{cli.EnvEndpoint: cphd.URL, cli.EnvDomain: domain, cli.EnvUser: user,
			cli.EnvPassword: password, cli.EnvProject: project, cli.EnvCacheDir: cacheDir}
		var out, errOut bytes.Buffer
		code := cli.Main(ctx, args, strings.NewReader(""), &out, &errOut, func(k string) string { return env[k] })
		return code, out.String() + errOut.String()
	}

	var phones []cph.Phone
	poll.Within(t, 60*time.Second, "the agent's two phones to run", func() bool {
		list, err := c.ListAllPhones(ctx, client.ListPhonesOptions{})
		if err != nil || len(list.Phones) != 2 {
			return false
		}
		for _, p := range list.Phones {
			if p.Status != cph.PhoneRunning {
				return false
			}
		}
		phones = list.Phones
		return true
	})
	serverID := phones[0].ServerID
	t.Cleanup(func() {
		agent.Kill() // first, so that it creates nothing more
		if err := phonestub.RemoveLabelled(context.Background(), engine, docker.LabelServer, serverID); err != nil {
			t.Error(err)
		}
	})
	ph := phones[0].ID
	containerName := "opencph-" + serverID + "-" + ph

	// Phone detail reports the published ADB port and the container's address.
	var detail *cph.PhoneDetail
	poll.Within(t, 20*time.Second, "the phone's real address", func() bool {
		detail, err = c.ShowPhone(ctx, ph)
		return err == nil && len(detail.AccessInfos) == 1 && detail.AccessInfos[0].AccessPort >= 43100
	})
	ins, err := engine.ContainerInspect(ctx, containerName, mobyclient.ContainerInspectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ai := detail.AccessInfos[0]
	var containerIP string
	for _, ep := range ins.Container.NetworkSettings.Networks {
		containerIP = ep.IPAddress.String()
	}
	if ai.AccessIP != "127.0.0.1" || ai.AccessPort > 43199 || ai.IntranetIP != containerIP {
		t.Fatalf("access info %+v, container IP %s", ai, containerIP)
	}
	if b := ins.Container.HostConfig.PortBindings; len(b) != 1 {
		t.Fatalf("port bindings %v", b)
	}
	for _, bs := range ins.Container.HostConfig.PortBindings {
		if bs[0].HostPort != strconv.Itoa(int(ai.AccessPort)) || bs[0].HostIP.String() != "127.0.0.1" {
			t.Fatalf("binding %+v, reported port %d", bs, ai.AccessPort)
		}
	}

	// shell runs a command through the API and returns its output.
	shell := func(cmd string) string {
		t.Helper()
		res, err := c.RunCommand(ctx, client.Command{Command: cph.CommandShell, Content: cmd, PhoneIDs: []string{ph}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Jobs[0].JobID == "" {
			t.Fatalf("shell %q refused: %+v", cmd, res.Jobs[0])
		}
		j := waitJob(t, c, res.Jobs[0].JobID)
		if j.Status != cph.JobSucceeded {
			t.Fatalf("shell %q: %+v %s", cmd, j, deref(j.ErrorMsg))
		}
		return deref(j.ExecuteMsg)
	}
	command := func(kind, content string) *cph.Job {
		t.Helper()
		res, err := c.RunCommand(ctx, client.Command{Command: kind, Content: content, PhoneIDs: []string{ph}})
		if err != nil {
			t.Fatal(err)
		}
		if res.Jobs[0].JobID == "" {
			t.Fatalf("%s %s refused: %+v", kind, content, res.Jobs[0])
		}
		return waitJob(t, c, res.Jobs[0].JobID)
	}
	status := func() cph.PhoneStatus {
		d, err := c.ShowPhone(ctx, ph)
		if err != nil {
			t.Fatal(err)
		}
		return d.Status
	}

	// Restart and stop through the CLI.
	if code, out := runCLI("phones", "restart", ph, "--wait", "--interval", "50ms"); code != 0 {
		t.Fatalf("cph phones restart: %d\n%s", code, out)
	}
	if code, out := runCLI("phones", "stop", ph, "--wait", "--interval", "50ms"); code != 0 || status() != cph.PhoneStopped {
		t.Fatalf("cph phones stop: %d\n%s", code, out)
	}
	if ins, _ := engine.ContainerInspect(ctx, containerName, mobyclient.ContainerInspectOptions{}); ins.Container.State.Running {
		t.Fatal("stopped phone's container runs")
	}
	if code, out := runCLI("phones", "restart", ph, "--wait", "--interval", "50ms"); code != 0 || status() != cph.PhoneRunning {
		t.Fatalf("cph phones restart after stop: %d\n%s", code, out)
	}

	// Push and install from object storage.
	if err := c.CreateBucket(ctx, "media"); err != nil {
		t.Fatal(err)
	}
	if err := c.PutObject(ctx, "media", "files.tar", archivetest.FileMap(map[string]string{"data/local/tmp/pushed.txt": "pushed"})); err != nil {
		t.Fatal(err)
	}
	if j := command(cph.CommandPush, "obs://media/files.tar"); j.Status != cph.JobSucceeded {
		t.Fatalf("push: %+v %s", j, deref(j.ErrorMsg))
	}
	if out := shell("ls /data/local/tmp"); !strings.Contains(out, "pushed.txt") {
		t.Fatalf("ls after push: %q", out)
	}
	if err := c.PutObject(ctx, "media", "app.apk", apktest.APK("com.example.demo", "1.0")); err != nil {
		t.Fatal(err)
	}
	if j := command(cph.CommandInstall, "obs://media/app.apk"); j.Status != cph.JobSucceeded || !strings.Contains(deref(j.ExecuteMsg), "com.example.demo") {
		t.Fatalf("install: %+v %s", j, deref(j.ErrorMsg))
	}
	if code, out := runCLI("phones", "shell", ph, "--", "pm", "list", "packages", "-3"); code != 0 || !strings.Contains(out, "package:com.example.demo") {
		t.Fatalf("cph phones shell pm list packages: %d\n%s", code, out)
	}

	// An immediate property is set on the running phone.
	res, err := c.UpdatePhoneProperties(ctx, []cph.PhoneRef{{PhoneID: ph, Property: `{"ro.install.auto":1}`}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Jobs[0].JobID == "" {
		t.Fatalf("property update refused: %+v", res.Jobs[0])
	}
	if j := waitJob(t, c, res.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Fatalf("property update: %+v %s", j, deref(j.ErrorMsg))
	}
	if out := shell("getprop ro.install.auto"); out != "1\n" {
		t.Fatalf("getprop after update: %q", out)
	}

	// Export, reset (the files are gone), import (they are back).
	exp, err := c.ExportPhoneData(ctx, []cph.StorageInfo{{PhoneID: ph, IncludeFiles: []string{"/data"}, BucketName: "media", ObjectPath: "export.tar"}})
	if err != nil {
		t.Fatal(err)
	}
	if exp.Jobs[0].JobID == "" {
		t.Fatalf("export refused: %+v", exp.Jobs[0])
	}
	if j := waitJob(t, c, exp.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Fatalf("export: %+v %s", j, deref(j.ErrorMsg))
	}
	if code, out := runCLI("phones", "reset", ph, "--wait", "--interval", "50ms"); code != 0 {
		t.Fatalf("cph phones reset: %d\n%s", code, out)
	}
	if out := shell("ls /data/local/tmp"); strings.Contains(out, "pushed.txt") {
		t.Fatalf("the reset kept /data: %q", out)
	}
	if out := shell("pm list packages -3"); strings.Contains(out, "com.example.demo") {
		t.Fatalf("the reset kept the app: %q", out)
	}
	imp, err := c.ImportPhoneData(ctx, []cph.RestoreInfo{{PhoneID: ph, BucketName: "media", ObjectPath: "export.tar"}})
	if err != nil {
		t.Fatal(err)
	}
	if imp.Jobs[0].JobID == "" {
		t.Fatalf("import refused: %+v", imp.Jobs[0])
	}
	if j := waitJob(t, c, imp.Jobs[0].JobID); j.Status != cph.JobSucceeded {
		t.Fatalf("import: %+v %s", j, deref(j.ErrorMsg))
	}
	if out := shell("cat /data/local/tmp/pushed.txt"); out != "pushed" {
		t.Fatalf("after import: %q", out)
	}

	// A container killed behind OpenCPH's back: abnormal within 5 s.
	if _, err := engine.ContainerKill(ctx, containerName, mobyclient.ContainerKillOptions{Signal: "KILL"}); err != nil {
		t.Fatal(err)
	}
	poll.Within(t, 5*time.Second, "the killed phone to be abnormal", func() bool { return status() == cph.PhoneAbnormal })
	// A restart brings it back, with its data.
	if code, out := runCLI("phones", "restart", ph, "--wait", "--interval", "50ms"); code != 0 || status() != cph.PhoneRunning {
		t.Fatalf("restart of the killed phone: %d\n%s", code, out)
	}
	if out := shell("cat /data/local/tmp/pushed.txt"); out != "pushed" {
		t.Fatalf("after the restart of the killed phone: %q", out)
	}

	// The agent is killed and restarted: it adopts its containers.
	before := containerIDs(t, engine, serverID)
	agent.Kill()
	agent = start(t, "cph-agent (restarted)", "cph-agent", nil, agentArgs...)
	poll.Within(t, 30*time.Second, "the restarted agent to log its session", func() bool { return strings.Contains(agent.Log(), "session started") })
	if after := containerIDs(t, engine, serverID); strings.Join(after, ",") != strings.Join(before, ",") {
		t.Fatalf("containers before %v, after the agent restart %v", before, after)
	}
	if out := shell("getprop sys.boot_completed"); out != "1\n" {
		t.Fatalf("adopted phone: %q", out)
	}
	if strings.Contains(agent.Log(), "does not know") {
		t.Fatalf("the agent saw unknown phones:\n%s", agent.Log())
	}

	// Deleting the server removes its containers and volumes.
	if code, out := runCLI("servers", "delete", serverID, "--wait", "--interval", "50ms"); code != 0 {
		t.Fatalf("cph servers delete: %d\n%s", code, out)
	}
	poll.Within(t, 20*time.Second, "the server's containers and volumes to go", func() bool {
		c, v, err := phonestub.Count(ctx, engine, docker.LabelServer, serverID)
		return err == nil && c == 0 && v == 0
	})
}

func containerIDs(t *testing.T, engine *mobyclient.Client, serverID string) []string {
	t.Helper()
	list, err := engine.ContainerList(context.Background(), mobyclient.ContainerListOptions{All: true,
		Filters: mobyclient.Filters{}.Add("label", docker.LabelServer+"="+serverID)})
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, c := range list.Items {
		ids = append(ids, c.ID)
	}
	slices.Sort(ids)
	return ids
}

func waitJob(t testing.TB, c *client.Client, jobID string) *cph.Job {
	t.Helper()
	if jobID == "" {
		t.Fatal("no job: the request was refused")
	}
	var j *cph.Job
	poll.Within(t, 60*time.Second, "job "+jobID, func() bool {
		var err error
		j, err = c.ShowJob(context.Background(), jobID)
		if err != nil {
			t.Fatal(err)
		}
		return j.Status.Final()
	})
	return j
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// TestBuiltinDockerFleet: cphd --runtime docker alone is a single-machine
// cloud whose built-in server runs its phones as containers.
func TestBuiltinDockerFleet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs phones as containers with real processes")
	}
	engine := phonestub.Engine(t)
	ctx := context.Background()
	cphd := start(t, "cphd", "cphd", []string{"CPH_BOOTSTRAP_DOMAIN=" + domain, "CPH_BOOTSTRAP_USER=" + user,
		"CPH_BOOTSTRAP_PASSWORD=" + password, "CPH_BOOTSTRAP_PROJECT=" + project},
		"--listen", "127.0.0.1:0", "--data-dir", t.TempDir(), "--runtime", "docker", "--sim-servers", "1",
		"--sim-phones-per-server", "1", "--docker-images", "*="+stubImage, "--docker-privileged=false",
		"--docker-ports", "43200-43299", "--docker-labels", phonestub.TestLabel+"=1", "--log-level", "warn")
	c, err := client.New(client.Config{Endpoint: cphd.URL, Domain: domain, User: user, Password: password, Project: project})
	if err != nil {
		t.Fatal(err)
	}
	var ph cph.Phone
	poll.Within(t, 60*time.Second, "the built-in phone to run", func() bool {
		list, err := c.ListAllPhones(ctx, client.ListPhonesOptions{})
		if err != nil || len(list.Phones) != 1 || list.Phones[0].Status != cph.PhoneRunning {
			return false
		}
		ph = list.Phones[0]
		return true
	})
	t.Cleanup(func() {
		cphd.Kill() // first, so that its agent creates nothing more
		if err := phonestub.RemoveLabelled(context.Background(), engine, docker.LabelServer, ph.ServerID); err != nil {
			t.Error(err)
		}
	})
	// The built-in phone is recorded running from the start; its agent
	// then creates the container.
	poll.Within(t, 60*time.Second, "the phone's container to run and boot", func() bool {
		ins, err := engine.ContainerInspect(ctx, "opencph-"+ph.ServerID+"-"+ph.ID, mobyclient.ContainerInspectOptions{})
		if err != nil || !ins.Container.State.Running {
			return false
		}
		d, err := c.ShowPhone(ctx, ph.ID)
		return err == nil && d.AccessInfos[0].AccessPort >= 43200 && d.AccessInfos[0].AccessPort <= 43299
	})
	// The width is a boot argument from the flavor (1080 or 720 wide). A
	// command sent while the phone still boots fails; the next one runs.
	var out string
	poll.Within(t, 30*time.Second, "a shell command to run on the booted phone", func() bool {
		res, err := c.RunCommand(ctx, client.Command{Command: cph.CommandShell, Content: "getprop ro.boot.redroid_width", PhoneIDs: []string{ph.ID}})
		if err != nil || res.Jobs[0].JobID == "" {
			t.Fatalf("shell: %+v %v", res, err)
		}
		j := waitJob(t, c, res.Jobs[0].JobID)
		out = deref(j.ExecuteMsg)
		return j.Status == cph.JobSucceeded
	})
	if out != "720\n" && out != "1080\n" {
		t.Fatalf("getprop ro.boot.redroid_width: %q", out)
	}
}
