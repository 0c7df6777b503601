package main

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/runtime/sim"
)

func TestConfigFromFlagsAndEnv(t *testing.T) {
	env := map[string]string{"CPH_CONTROL_PLANE": "http://a:1, http://b:2", "CPH_PROJECT": "cn-north-4", "CPH_SIM_PHONES": "7"}
	getenv := func(k string) string { return env[k] }
	c, err := parseConfig([]string{"--sim-boot-time", "250ms", "--name", "node9"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.controlPlane, " ") != "http://a:1 http://b:2" || c.project != "cn-north-4" || c.simPhones != 7 ||
		c.simBootTime != 250*time.Millisecond || c.name != "node9" || c.runtime != "sim" || c.stateDir != "./cph-agent-state" {
		t.Errorf("config = %+v", c)
	}
	if q := c.simQuota; q != sim.DefaultQuota() {
		t.Errorf("default sim quota = %+v", q)
	}
	if c, err := parseConfig([]string{"--sim-phone-storage-mib", "8", "--sim-phone-files", "100", "--sim-server-storage-mib", "32"}, getenv, io.Discard); err != nil ||
		c.simQuota != (sim.Quota{PhoneBytes: 8 << 20, PhoneFiles: 100, ServerBytes: 32 << 20}) {
		t.Errorf("sim quota flags: %+v, %v", c, err)
	}
	for _, bad := range [][]string{{"--runtime", "redroid"}, {"--runtime", "docker", "--docker-ports", "9-1"}, {"--runtime", "docker", "--docker-images", "nomapping"}, {"--sim-phones", "-1"}, {"--sim-boot-time", "soon"}, {"extra"}, {"--sim-phone-files", "0"}, {"--sim-phone-storage-mib", "-2"}} {
		if _, err := parseConfig(bad, getenv, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	c, err = parseConfig([]string{"--runtime", "docker", "--docker-images", "img1=redroid/redroid:11.0.0-latest", "--docker-ports", "42000-42009"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	dc, err := c.docker.Config("srv")
	if err != nil || dc.Images["img1"] != "redroid/redroid:11.0.0-latest" || dc.PortMin != 42000 || dc.PortMax != 42009 ||
		dc.BindAddress != "127.0.0.1" || !dc.Privileged || dc.ServerID != "srv" {
		t.Errorf("docker config = %+v, %v", dc, err)
	}
}

func TestFirstStartNeedsEnrollment(t *testing.T) {
	env := func(string) string { return "" }
	err := run(context.Background(), []string{"--state-dir", t.TempDir(), "--control-plane", "http://127.0.0.1:1"}, env, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--enroll-token") {
		t.Errorf("first start without a token: %v", err)
	}
}
