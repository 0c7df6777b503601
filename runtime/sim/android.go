package sim

import (
	"path"
	"strings"
)

// The usual directories of an Android phone exist on every simulated
// phone without being entries of its file tree: they cost nothing against
// the Quota, a reset cannot remove them, and a data import or push that
// names them adds nothing. What is stored below them is the phone's own.
//
// /storage/emulated/0 and /storage/self/primary name the same directory
// as /sdcard, as on Android, where /sdcard is a link to them.

// androidDirs are the directories every simulated phone has.
var androidDirs = func() map[string]bool {
	m := map[string]bool{}
	for _, d := range []string{
		"/acct", "/cache", "/config", "/dev", "/mnt", "/odm", "/oem", "/proc", "/product", "/sys",
		"/data", "/data/app", "/data/data", "/data/local", "/data/local/tmp", "/data/media", "/data/misc", "/data/system", "/data/user",
		"/sdcard", "/sdcard/Alarms", "/sdcard/Android", "/sdcard/Android/data", "/sdcard/Android/media", "/sdcard/Android/obb",
		"/sdcard/DCIM", "/sdcard/Documents", "/sdcard/Download", "/sdcard/Movies", "/sdcard/Music", "/sdcard/Notifications",
		"/sdcard/Pictures", "/sdcard/Podcasts", "/sdcard/Ringtones",
		"/storage", "/storage/emulated", "/storage/self",
		"/system", "/system/app", "/system/bin", "/system/etc", "/system/fonts", "/system/framework", "/system/lib", "/system/lib64",
		"/system/priv-app", "/system/usr", "/system/xbin",
		"/vendor", "/vendor/bin", "/vendor/etc", "/vendor/firmware", "/vendor/lib", "/vendor/lib64",
	} {
		m[d] = true
	}
	return m
}()

// androidLinks are the names that stand for /sdcard: children of
// /storage/emulated and /storage/self that ls shows, and prefixes that
// canonical maps to /sdcard.
var androidLinks = []struct{ dir, name string }{
	{"/storage/emulated", "0"},
	{"/storage/self", "primary"},
}

// systemBin are the commands the simulated shell runs (see Shell), listed
// in /system/bin.
var systemBin = []string{
	"cat", "df", "echo", "getprop", "id", "ls", "mkdir", "pm", "pwd", "rm", "setprop", "sh", "toybox", "touch", "uname", "whoami",
}

// canonical maps a clean absolute path through the links to /sdcard.
func canonical(name string) string {
	for _, l := range androidLinks {
		link := l.dir + "/" + l.name
		if rest, ok := strings.CutPrefix(name, link); ok && (rest == "" || rest[0] == '/') {
			return "/sdcard" + rest
		}
	}
	return name
}

// androidDir reports whether name is one of the phone's built-in
// directories.
func androidDir(name string) bool { return androidDirs[name] }

// readOnlyFS reports whether name lies on one of the phone's read-only
// file systems.
func readOnlyFS(name string) bool {
	for _, d := range []string{"/system", "/vendor", "/odm", "/product", "/proc", "/sys"} {
		if under(name, d) {
			return true
		}
	}
	return false
}

// builtinFile reports whether name is a built-in file: a command of
// /system/bin.
func builtinFile(name string) bool {
	dir, base := path.Split(name)
	if dir != "/system/bin/" {
		return false
	}
	for _, c := range systemBin {
		if c == base {
			return true
		}
	}
	return false
}

// builtinChildren returns the names of the built-in directories, links
// and files directly below dir.
func builtinChildren(dir string) []string {
	var out []string
	prefix := strings.TrimSuffix(dir, "/") + "/"
	for d := range androidDirs {
		if rest, ok := strings.CutPrefix(d, prefix); ok && rest != "" && !strings.Contains(rest, "/") {
			out = append(out, rest)
		}
	}
	for _, l := range androidLinks {
		if l.dir == dir {
			out = append(out, l.name)
		}
	}
	if dir == "/system/bin" {
		out = append(out, systemBin...)
	}
	return out
}
