package buildinfo

import (
	"runtime/debug"
	"testing"
)

func TestFromBuildInfo(t *testing.T) {
	bi := &debug.BuildInfo{
		GoVersion: "go1.26.0",
		Main:      debug.Module{Path: "github.com/opencph/opencph", Version: "v0.3.0"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "365c183"},
			{Key: "vcs.time", Value: "2026-11-27T05:50:58Z"},
			{Key: "vcs.modified", Value: "true"},
		},
	}
	got := fromBuildInfo(bi).String()
	want := "v0.3.0 revision 365c183 2026-11-27T05:50:58Z (modified) go1.26.0"
	if got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	bi.Settings = nil
	bi.Main.Version = ""
	if got, want := fromBuildInfo(bi).String(), "unknown go1.26.0"; got != want {
		t.Errorf("without vcs settings: %q, want %q", got, want)
	}
}

func TestRequested(t *testing.T) {
	for _, c := range []struct {
		args []string
		want bool
	}{
		{nil, false},
		{[]string{"--version"}, true},
		{[]string{"-version"}, true},
		{[]string{"phones", "--version"}, false},
		{[]string{"--listen", ":1"}, false},
	} {
		if got := Requested(c.args); got != c.want {
			t.Errorf("Requested(%q) = %v, want %v", c.args, got, c.want)
		}
	}
}
