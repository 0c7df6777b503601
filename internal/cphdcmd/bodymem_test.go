package cphdcmd

import (
	"io"
	"testing"
)

func TestMaxBodyMemoryFlag(t *testing.T) {
	env := map[string]string{}
	getenv := func(k string) string { return env[k] }
	cfg, _, err := parseConfig(nil, getenv, io.Discard)
	if err != nil || cfg.MaxBodyMemory != 64<<20 {
		t.Fatalf("default: %d, %v", cfg.MaxBodyMemory, err)
	}
	env["CPH_MAX_BODY_MEMORY_MIB"] = "16"
	if cfg, _, err = parseConfig(nil, getenv, io.Discard); err != nil || cfg.MaxBodyMemory != 16<<20 {
		t.Errorf("from the environment: %d, %v", cfg.MaxBodyMemory, err)
	}
	if cfg, _, err = parseConfig([]string{"--max-body-memory-mib", "256"}, getenv, io.Discard); err != nil || cfg.MaxBodyMemory != 256<<20 {
		t.Errorf("flag: %d, %v", cfg.MaxBodyMemory, err)
	}
	if _, _, err = parseConfig([]string{"--max-body-memory-mib", "0"}, getenv, io.Discard); err == nil {
		t.Error("0 MiB accepted")
	}
}
