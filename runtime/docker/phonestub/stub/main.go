// Command stub is a test fixture: a tiny stand-in for an Android container
// image such as redroid, for the tests of the Docker runtime driver. It is
// not Android and runs no application.
//
// It is one multi-call binary, chosen by the name it is called by:
//
//   - /init (the container's entrypoint) reads redroid-style boot
//     arguments ("androidboot.redroid_width=720" becomes the property
//     ro.boot.redroid_width, "ro.x=y" sets ro.x), waits
//     PHONESTUB_BOOT_DELAY (default 200ms), sets sys.boot_completed=1 and
//     then waits for SIGTERM.
//   - /system/bin/sh runs "sh -c CMD": commands separated by ';' or '&&',
//     words split on blanks with '...' and "..." quoting, and "> file"
//     redirection.
//   - getprop, setprop, pm (list packages [-3], install, install-create,
//     install-write, install-commit, uninstall, path), screencap -p, ls,
//     cat, rm, mkdir, echo, true, false, id.
//
// Properties live in /dev/.phonestub/props (the container's /dev is a fresh
// tmpfs at every start, as Android's property area is fresh at every boot);
// installed packages live under /data, so a volume keeps them.
package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"os"
	"os/signal"
	"path"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/opencph/opencph/apk"
)

const (
	propDir  = "/dev/.phonestub"
	propFile = propDir + "/props"
	lockFile = propDir + "/lock"
	pkgDir   = "/data/system/phonestub-packages"
	appDir   = "/data/app"
	sessDir  = "/data/local/tmp/phonestub-sessions"
)

// systemPackages are the packages "of the image".
var systemPackages = []string{"android", "com.android.settings", "com.android.systemui"}

func main() {
	name := filepath.Base(os.Args[0])
	args := os.Args[1:]
	if name == "stub" && len(args) > 0 {
		name, args = args[0], args[1:]
	}
	if name == "init" {
		os.Exit(runInit(args))
	}
	os.Exit(run(name, args, os.Stdin, os.Stdout, os.Stderr))
}

func runInit(args []string) int {
	if err := os.MkdirAll(propDir, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "init:", err)
		return 1
	}
	props := map[string]string{
		"ro.build.version.release": "11",
		"ro.build.version.sdk":     "30",
		"ro.product.model":         "phonestub",
		"ro.product.brand":         "opencph-test",
		"ro.boot.hardware":         "phonestub",
	}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok || k == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(k, "androidboot."); ok {
			k = "ro.boot." + rest
		}
		props[k] = v
	}
	if err := writeProps(props); err != nil {
		fmt.Fprintln(os.Stderr, "init:", err)
		return 1
	}
	for _, d := range []string{"/data/local/tmp", pkgDir, appDir, "/sdcard"} {
		_ = os.MkdirAll(d, 0o755)
	}
	delay := 200 * time.Millisecond
	if s := os.Getenv("PHONESTUB_BOOT_DELAY"); s != "" {
		if d, err := time.ParseDuration(s); err == nil {
			delay = d
		}
	}
	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGCHLD)
	boot := time.After(delay)
	fmt.Println("phonestub: booting")
	for {
		select {
		case <-boot:
			if err := updateProps(func(p map[string]string) { p["sys.boot_completed"] = "1" }); err != nil {
				fmt.Fprintln(os.Stderr, "init:", err)
			}
			fmt.Println("phonestub: boot completed")
		case s := <-sigs:
			if s == syscall.SIGCHLD {
				for {
					var ws syscall.WaitStatus
					pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
					if pid <= 0 || err != nil {
						break
					}
				}
				continue
			}
			fmt.Println("phonestub: shutting down")
			return 0
		}
	}
}

// run runs one applet and returns its exit status.
func run(name string, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	switch name {
	case "sh":
		return sh(args, stdin, stdout, stderr)
	case "getprop":
		return getprop(args, stdout)
	case "setprop":
		if len(args) != 2 {
			fmt.Fprintln(stderr, "usage: setprop NAME VALUE")
			return 1
		}
		if err := updateProps(func(p map[string]string) { p[args[0]] = args[1] }); err != nil {
			fmt.Fprintln(stderr, "setprop:", err)
			return 1
		}
		return 0
	case "pm":
		return pm(args, stdout, stderr)
	case "screencap":
		return screencap(args, stdout, stderr)
	case "ls":
		return ls(args, stdout, stderr)
	case "cat":
		st := 0
		for _, a := range args {
			f, err := os.Open(a)
			if err != nil {
				fmt.Fprintf(stderr, "cat: %s: No such file or directory\n", a)
				st = 1
				continue
			}
			_, _ = io.Copy(stdout, f)
			f.Close()
		}
		return st
	case "rm":
		recursive := false
		st := 0
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				recursive = recursive || strings.ContainsAny(a, "rR")
				continue
			}
			var err error
			if recursive {
				err = os.RemoveAll(a)
			} else {
				err = os.Remove(a)
			}
			if err != nil {
				fmt.Fprintf(stderr, "rm: %s: %v\n", a, err)
				st = 1
			}
		}
		return st
	case "mkdir":
		st := 0
		for _, a := range args {
			if strings.HasPrefix(a, "-") {
				continue
			}
			if err := os.MkdirAll(a, 0o755); err != nil {
				fmt.Fprintf(stderr, "mkdir: %s: %v\n", a, err)
				st = 1
			}
		}
		return st
	case "echo":
		fmt.Fprintln(stdout, strings.Join(args, " "))
		return 0
	case "true":
		return 0
	case "false":
		return 1
	case "id":
		fmt.Fprintln(stdout, "uid=0(root) gid=0(root)")
		return 0
	}
	fmt.Fprintf(stderr, "%s: inaccessible or not found\n", name)
	return 127
}

// sh implements "sh -c CMD" and reading commands from standard input.
func sh(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	var script string
	switch {
	case len(args) >= 2 && args[0] == "-c":
		script = args[1]
	case len(args) == 0:
		b, _ := io.ReadAll(stdin)
		script = string(b)
	default:
		fmt.Fprintln(stderr, "sh: only 'sh -c COMMAND' is supported")
		return 2
	}
	st := 0
	for _, line := range strings.Split(script, "\n") {
		for _, seq := range splitOutside(line, ";") {
			for i, cmd := range splitOutside(seq, "&&") {
				if i > 0 && st != 0 {
					break
				}
				st = runLine(cmd, stdin, stdout, stderr)
			}
		}
	}
	return st
}

// runLine runs one simple command with an optional "> file".
func runLine(line string, stdin io.Reader, stdout, stderr io.Writer) int {
	words := splitWords(line)
	if len(words) == 0 {
		return 0
	}
	out := stdout
	for i := 0; i < len(words); i++ {
		if words[i] == ">" && i+1 < len(words) {
			f, err := os.Create(words[i+1])
			if err != nil {
				fmt.Fprintf(stderr, "sh: %s: %v\n", words[i+1], err)
				return 1
			}
			defer f.Close()
			out = f
			words = append(words[:i], words[i+2:]...)
			i--
		}
	}
	if len(words) == 0 {
		return 0
	}
	return run(path.Base(words[0]), words[1:], stdin, out, stderr)
}

// splitOutside splits s at sep where sep is not quoted.
func splitOutside(s, sep string) []string {
	var out []string
	var quote byte
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '\'' || c == '"':
			quote = c
		case strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(out, s[start:])
}

// splitWords splits a command into words.
func splitWords(s string) []string {
	var words []string
	var cur strings.Builder
	var quote byte
	in := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			} else {
				cur.WriteByte(c)
			}
		case c == '\'' || c == '"':
			quote, in = c, true
		case c == ' ' || c == '\t' || c == '\r':
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteByte(c)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

func readProps() (map[string]string, error) {
	props := map[string]string{}
	f, err := os.Open(propFile)
	if errors.Is(err, os.ErrNotExist) {
		return props, nil
	} else if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			v, err := strconv.Unquote(v)
			if err == nil {
				props[k] = v
			}
		}
	}
	return props, sc.Err()
}

func writeProps(props map[string]string) error {
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	for _, k := range keys {
		fmt.Fprintf(&b, "%s=%s\n", k, strconv.Quote(props[k]))
	}
	tmp := propFile + ".tmp" + strconv.Itoa(os.Getpid())
	if err := os.WriteFile(tmp, b.Bytes(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, propFile)
}

// updateProps changes the properties under a file lock.
func updateProps(f func(map[string]string)) error {
	if err := os.MkdirAll(propDir, 0o755); err != nil {
		return err
	}
	lf, err := os.OpenFile(lockFile, os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return err
	}
	defer lf.Close()
	if err := syscall.Flock(int(lf.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	props, err := readProps()
	if err != nil {
		return err
	}
	f(props)
	return writeProps(props)
}

func getprop(args []string, stdout io.Writer) int {
	props, err := readProps()
	if err != nil {
		return 1
	}
	if len(args) > 0 {
		v := props[args[0]]
		if v == "" && len(args) > 1 {
			v = args[1]
		}
		fmt.Fprintln(stdout, v)
		return 0
	}
	keys := make([]string, 0, len(props))
	for k := range props {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(stdout, "[%s]: [%s]\n", k, props[k])
	}
	return 0
}

// userPackages returns the installed user packages.
func userPackages() []string {
	ents, _ := os.ReadDir(pkgDir)
	var out []string
	for _, e := range ents {
		out = append(out, e.Name())
	}
	return out
}

func pm(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: pm list packages|install|uninstall|path ...")
		return 1
	}
	switch args[0] {
	case "list":
		if len(args) < 2 || args[1] != "packages" {
			fmt.Fprintln(stderr, "pm list: only 'pm list packages' is supported")
			return 1
		}
		third := false
		for _, a := range args[2:] {
			third = third || a == "-3"
		}
		var all []string
		if !third {
			all = append(all, systemPackages...)
		}
		all = append(all, userPackages()...)
		sort.Strings(all)
		for _, p := range all {
			fmt.Fprintln(stdout, "package:"+p)
		}
		return 0
	case "path":
		if len(args) == 2 {
			if _, err := os.Stat(filepath.Join(pkgDir, args[1])); err == nil {
				fmt.Fprintln(stdout, "package:"+filepath.Join(appDir, args[1], "base.apk"))
				return 0
			}
		}
		return 1
	case "install":
		files := nonFlags(args[1:])
		if len(files) != 1 {
			fmt.Fprintln(stderr, "usage: pm install [-r] FILE")
			return 1
		}
		return install(files, stdout)
	case "install-create":
		id := strconv.FormatInt(time.Now().UnixNano()%1000000000, 10)
		if err := os.MkdirAll(filepath.Join(sessDir, id), 0o755); err != nil {
			fmt.Fprintln(stderr, err)
			return 1
		}
		fmt.Fprintf(stdout, "Success: created install session [%s]\n", id)
		return 0
	case "install-write":
		// install-write [-S size] SESSION NAME PATH
		rest := args[1:]
		if len(rest) >= 2 && rest[0] == "-S" {
			rest = rest[2:]
		}
		if len(rest) != 3 {
			fmt.Fprintln(stderr, "usage: pm install-write [-S SIZE] SESSION NAME PATH")
			return 1
		}
		dst := filepath.Join(sessDir, rest[0], fmt.Sprintf("%03d-%s", countFiles(filepath.Join(sessDir, rest[0])), filepath.Base(rest[1])))
		if err := copyFile(rest[2], dst); err != nil {
			fmt.Fprintln(stdout, "Failure [INSTALL_FAILED_INVALID_URI]")
			return 1
		}
		fmt.Fprintf(stdout, "Success: streamed %s\n", rest[1])
		return 0
	case "install-commit":
		if len(args) != 2 {
			return 1
		}
		dir := filepath.Join(sessDir, args[1])
		ents, err := os.ReadDir(dir)
		if err != nil || len(ents) == 0 {
			fmt.Fprintln(stdout, "Failure [INSTALL_FAILED_INVALID_APK]")
			return 1
		}
		var files []string
		for _, e := range ents {
			files = append(files, filepath.Join(dir, e.Name()))
		}
		st := install(files, stdout)
		_ = os.RemoveAll(dir)
		return st
	case "uninstall":
		if len(args) != 2 {
			return 1
		}
		if err := os.RemoveAll(filepath.Join(pkgDir, args[1])); err != nil || !contains(userPackages(), args[1]) && !exists(filepath.Join(appDir, args[1])) {
			fmt.Fprintln(stdout, "Failure [DELETE_FAILED_INTERNAL_ERROR]")
			return 1
		}
		_ = os.RemoveAll(filepath.Join(appDir, args[1]))
		_ = os.RemoveAll(filepath.Join("/data/data", args[1]))
		fmt.Fprintln(stdout, "Success")
		return 0
	}
	fmt.Fprintf(stderr, "pm: unknown command %q\n", args[0])
	return 1
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func nonFlags(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

func countFiles(dir string) int {
	ents, _ := os.ReadDir(dir)
	return len(ents)
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// install installs the APK files of one package.
func install(files []string, stdout io.Writer) int {
	name := ""
	for _, f := range files {
		n := packageOf(f)
		if n == "" || name != "" && n != name {
			fmt.Fprintln(stdout, "Failure [INSTALL_PARSE_FAILED_NOT_APK]")
			return 1
		}
		name = n
	}
	if contains(systemPackages, name) {
		fmt.Fprintln(stdout, "Failure [INSTALL_FAILED_UPDATE_INCOMPATIBLE]")
		return 1
	}
	dir := filepath.Join(appDir, name)
	_ = os.RemoveAll(dir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		fmt.Fprintln(stdout, "Failure [INSTALL_FAILED_INTERNAL_ERROR]")
		return 1
	}
	for i, f := range files {
		dst := "base.apk"
		if i > 0 {
			dst = fmt.Sprintf("split_%d.apk", i)
		}
		if err := copyFile(f, filepath.Join(dir, dst)); err != nil {
			fmt.Fprintln(stdout, "Failure [INSTALL_FAILED_INTERNAL_ERROR]")
			return 1
		}
	}
	_ = os.MkdirAll(filepath.Join("/data/data", name), 0o755)
	if err := os.WriteFile(filepath.Join(pkgDir, name), nil, 0o644); err != nil {
		fmt.Fprintln(stdout, "Failure [INSTALL_FAILED_INTERNAL_ERROR]")
		return 1
	}
	fmt.Fprintln(stdout, "Success")
	return 0
}

// packageOf returns the package of an APK, read from its manifest (plain
// or Android's binary XML), or "".
func packageOf(file string) string {
	f, err := os.Open(file)
	if err != nil {
		return ""
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return ""
	}
	m, err := apk.ReadManifest(f, fi.Size(), apk.Limits{})
	if err != nil {
		return ""
	}
	return m.Package
}

// screencap writes a small PNG (the stand-in has no screen): to the file
// argument, or to standard output.
func screencap(args []string, stdout, stderr io.Writer) int {
	props, _ := readProps()
	w, _ := strconv.Atoi(props["ro.boot.redroid_width"])
	h, _ := strconv.Atoi(props["ro.boot.redroid_height"])
	if w <= 0 || w > 4096 {
		w = 72
	}
	if h <= 0 || h > 4096 {
		h = 128
	}
	// A tenth of the configured size keeps the picture small.
	img := image.NewRGBA(image.Rect(0, 0, max(w/10, 1), max(h/10, 1)))
	for y := 0; y < img.Rect.Dy(); y++ {
		for x := 0; x < img.Rect.Dx(); x++ {
			img.Set(x, y, color.RGBA{R: uint8(x * 3), G: uint8(y * 2), B: 160, A: 255})
		}
	}
	out := stdout
	if files := nonFlags(args); len(files) > 0 {
		f, err := os.Create(files[0])
		if err != nil {
			fmt.Fprintln(stderr, "screencap:", err)
			return 1
		}
		defer f.Close()
		out = f
	}
	if err := png.Encode(out, img); err != nil {
		fmt.Fprintln(stderr, "screencap:", err)
		return 1
	}
	return 0
}

func ls(args []string, stdout, stderr io.Writer) int {
	all := false
	var paths []string
	for _, a := range args {
		if strings.HasPrefix(a, "-") {
			all = all || strings.Contains(a, "a")
			continue
		}
		paths = append(paths, a)
	}
	if len(paths) == 0 {
		paths = []string{"."}
	}
	st := 0
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			fmt.Fprintf(stderr, "ls: %s: No such file or directory\n", p)
			st = 1
			continue
		}
		if !fi.IsDir() {
			fmt.Fprintln(stdout, p)
			continue
		}
		ents, err := os.ReadDir(p)
		if err != nil {
			fmt.Fprintf(stderr, "ls: %s: %v\n", p, err)
			st = 1
			continue
		}
		for _, e := range ents {
			if !all && strings.HasPrefix(e.Name(), ".") {
				continue
			}
			fmt.Fprintln(stdout, e.Name())
		}
	}
	return st
}
