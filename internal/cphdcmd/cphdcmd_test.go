package cphdcmd

import (
	"io"
	"testing"
	"time"
)

func TestConfigFromFlagsAndEnv(t *testing.T) {
	env := map[string]string{"CPH_LISTEN": "127.0.0.1:9999", "CPH_SIM_SERVERS": "4", "CPH_SIM_BOOT_TIME": "250ms"}
	getenv := func(k string) string { return env[k] }
	cfg, _, err := parseConfig([]string{"--sim-servers", "1"}, getenv, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Listen != "127.0.0.1:9999" || cfg.SimServers != 1 || cfg.SimBootTime != 250*time.Millisecond || cfg.SimPhonesPerServer != 5 || cfg.DataDir != "./cph-data" {
		t.Errorf("config = %+v", cfg)
	}
	if q := cfg.SimQuota; q.PhoneBytes != 64<<20 || q.PhoneFiles != 10_000 || q.ServerBytes != 512<<20 {
		t.Errorf("default sim quota = %+v", q)
	}
	cfg, _, err = parseConfig([]string{"--sim-phone-storage-mib", "8", "--sim-phone-files", "100", "--sim-server-storage-mib", "32"}, getenv, io.Discard)
	if q := cfg.SimQuota; err != nil || q.PhoneBytes != 8<<20 || q.PhoneFiles != 100 || q.ServerBytes != 32<<20 {
		t.Errorf("sim quota = %+v, %v", q, err)
	}
	for _, bad := range [][]string{{"--sim-servers", "-1"}, {"--sim-failure-rate", "2"}, {"extra"}, {"--sim-phone-files", "0"}, {"--sim-server-storage-mib", "-1"}} {
		if _, _, err := parseConfig(bad, getenv, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	env["CPH_SIM_BOOT_TIME"] = "soon"
	if _, _, err := parseConfig(nil, getenv, io.Discard); err == nil {
		t.Error("bad CPH_SIM_BOOT_TIME accepted")
	}
}

func TestRuntimeFlags(t *testing.T) {
	getenv := func(k string) string {
		if k == "CPH_DOCKER_IMAGES" {
			return "*=redroid/redroid:11.0.0-latest"
		}
		return ""
	}
	cfg, _, df, err := parseOptions(nil, getenv, io.Discard)
	if err != nil || cfg.NewDriver != nil || df != nil || cfg.Runtime != "" {
		t.Fatalf("default runtime: NewDriver set %v, docker flags %v, %v", cfg.NewDriver != nil, df, err)
	}
	cfg, _, df, err = parseOptions([]string{"--runtime", "docker", "--docker-ports", "42000-42010"}, getenv, io.Discard)
	if err != nil || cfg.NewDriver == nil || df == nil || cfg.Runtime != "docker" {
		t.Fatalf("--runtime docker: runtime %q, %v", cfg.Runtime, err)
	}
	dc, err := df.Config("srv")
	if err != nil || dc.Images["*"] != "redroid/redroid:11.0.0-latest" || dc.PortMin != 42000 || dc.PortMax != 42010 {
		t.Errorf("docker config %+v, %v", dc, err)
	}
	for _, bad := range [][]string{{"--runtime", "redroid"}, {"--runtime", "docker", "--docker-ports", "1-"}, {"--runtime", "docker", "--docker-labels", "opencph.phone=x"}} {
		if _, _, _, err := parseOptions(bad, getenv, io.Discard); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
