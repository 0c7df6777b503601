// Package buildinfo reports what a binary was built from: the module
// version and the version-control revision, time and dirty flag that the
// Go toolchain records (runtime/debug.ReadBuildInfo). Every OpenCPH
// binary prints it for --version.
package buildinfo

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// Info is what the Go toolchain recorded about a build.
type Info struct {
	Version   string // module version, "(devel)" for a build in a checkout
	Revision  string // vcs.revision, "" if not recorded
	Time      string // vcs.time (RFC 3339), "" if not recorded
	Modified  bool   // vcs.modified: the work tree had uncommitted changes
	GoVersion string
}

// Read returns the running binary's build information.
func Read() Info {
	info := Info{Version: "unknown", GoVersion: runtime.Version()}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return info
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	info := Info{Version: bi.Main.Version, GoVersion: bi.GoVersion}
	if info.Version == "" {
		info.Version = "unknown"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			info.Revision = s.Value
		case "vcs.time":
			info.Time = s.Value
		case "vcs.modified":
			info.Modified = s.Value == "true"
		}
	}
	return info
}

// String is the one-line form --version prints after the program's name:
// "(devel) revision 365c183... 2026-11-27T05:50:58Z (modified) go1.26.0".
func (i Info) String() string {
	s := i.Version
	if i.Revision != "" {
		s += " revision " + i.Revision
	}
	if i.Time != "" {
		s += " " + i.Time
	}
	if i.Modified {
		s += " (modified)"
	}
	return s + " " + i.GoVersion
}

// Print writes "<program> <Info>" and a newline to w.
func Print(w io.Writer, program string) {
	fmt.Fprintf(w, "%s %s\n", program, Read())
}

// Requested reports whether args (without the program name) ask only for
// the version: a first argument of --version or -version.
func Requested(args []string) bool {
	return len(args) > 0 && (args[0] == "--version" || args[0] == "-version")
}
