package sim

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/opencph/opencph/runtime"
)

// Shell implements runtime.ADB with a small shell over the simulated
// phone's state. Arguments are separated by spaces (there is no quoting,
// no pipes and no redirection). Supported commands: getprop [key],
// setprop key value, pm list packages [-3|-s] [filter], pm path package,
// pm uninstall package, ls [-a|-l] [path...], cat file..., echo [args],
// rm [-r] [-f] path..., mkdir [-p] path..., touch file..., id, whoami,
// uname [-a|-r|-m], df, pwd. Any other command answers
// "/system/bin/sh: <name>: not found" with exit code 127.
func (d *Driver) Shell(ctx context.Context, phoneID, command string) (runtime.ShellResult, error) {
	if err := ctx.Err(); err != nil {
		return runtime.ShellResult{}, fmt.Errorf("sim: shell on phone %s: %w", phoneID, err)
	}
	var snap *snapshot
	defer func() { d.persist(snap) }() // after the unlock below
	d.mu.Lock()
	defer d.mu.Unlock()
	p, err := d.running(phoneID)
	if err != nil {
		return runtime.ShellResult{}, fmt.Errorf("sim: shell on phone %s: %w", phoneID, err)
	}
	args := strings.Fields(command)
	if len(args) == 0 {
		return runtime.ShellResult{}, nil
	}
	var out strings.Builder
	var code int
	d.tracked(p, func() {
		if args[0] == "ls" && len(d.shared.mounts) > 0 {
			code = d.lsWithMounts(p, &out, args[1:])
			return
		}
		code = p.shell(&out, args, func() error { return d.room(p, 1, FileOverhead) })
	})
	if changes[args[0]] && (args[0] != "pm" || len(args) > 1 && args[1] == "uninstall") {
		snap = d.phoneSnapshot(p)
	}
	return runtime.ShellResult{Output: out.String(), ExitCode: code}, nil
}

// changes are the commands that may change the phone's state.
var changes = map[string]bool{"setprop": true, "pm": true, "rm": true, "mkdir": true, "touch": true}

// shell runs one command; room reports whether the phone has room for
// one more empty file or directory. The caller holds Driver.mu.
func (p *phone) shell(out *strings.Builder, args []string, room func() error) int {
	name, args := args[0], args[1:]
	flags, operands := splitFlags(args)
	switch name {
	case "getprop":
		if len(args) == 0 {
			for _, k := range slices.Sorted(maps.Keys(p.property.m)) {
				fmt.Fprintf(out, "[%s]: [%s]\n", k, p.property.m[k])
			}
			return 0
		}
		fmt.Fprintln(out, p.property.m[args[0]])
		return 0
	case "setprop":
		if len(args) != 2 {
			fmt.Fprintln(out, "usage: setprop NAME VALUE")
			return 1
		}
		if _, ok := p.property.m[args[0]]; ok && strings.HasPrefix(args[0], "ro.") {
			fmt.Fprintf(out, "setprop: failed to set property '%s' to '%s'\n", args[0], args[1])
			return 1
		}
		p.property.set(args[0], args[1])
		return 0
	case "pm":
		return p.pm(out, args)
	case "ls":
		if len(operands) == 0 {
			operands = []string{"/"}
		}
		code := 0
		for _, o := range operands {
			name := abs(o)
			switch {
			case p.isDir(name):
				if len(operands) > 1 {
					fmt.Fprintf(out, "%s:\n", name)
				}
				for _, c := range p.children(name) {
					if strings.HasPrefix(c, ".") && !slices.Contains(flags, "a") {
						continue
					}
					fmt.Fprintln(out, c)
				}
			case p.exists(name):
				fmt.Fprintln(out, name)
			default:
				fmt.Fprintf(out, "ls: %s: No such file or directory\n", o)
				code = 1
			}
		}
		return code
	case "cat":
		code := 0
		for _, o := range operands {
			name := abs(o)
			if data, ok := p.files.m[name]; ok {
				out.Write(data)
			} else if builtinFile(name) {
				continue
			} else if p.isDir(name) {
				fmt.Fprintf(out, "cat: %s: Is a directory\n", o)
				code = 1
			} else {
				fmt.Fprintf(out, "cat: %s: No such file or directory\n", o)
				code = 1
			}
		}
		return code
	case "echo":
		fmt.Fprintln(out, strings.Join(args, " "))
		return 0
	case "rm":
		recursive, force := slices.Contains(flags, "r") || slices.Contains(flags, "R"), slices.Contains(flags, "f")
		code := 0
		for _, o := range operands {
			name := abs(o)
			switch {
			case p.isDir(name) && !recursive:
				fmt.Fprintf(out, "rm: %s: is a directory\n", o)
				code = 1
			case p.isDir(name) || p.exists(name):
				if readOnly(name) {
					fmt.Fprintf(out, "rm: %s: Read-only file system\n", o)
					code = 1
					continue
				}
				p.removeTree(name)
				if androidDir(name) {
					// What was below it is gone; the directory stays.
					fmt.Fprintf(out, "rm: %s: Permission denied\n", o)
					code = 1
				}
			case !force:
				fmt.Fprintf(out, "rm: %s: No such file or directory\n", o)
				code = 1
			}
		}
		return code
	case "mkdir":
		code := 0
		for _, o := range operands {
			name := abs(o)
			if _, isFile := p.files.m[name]; isFile || (p.isDir(name) && !slices.Contains(flags, "p")) {
				fmt.Fprintf(out, "mkdir: '%s': File exists\n", o)
				code = 1
				continue
			}
			if readOnly(name) {
				fmt.Fprintf(out, "mkdir: '%s': Read-only file system\n", o)
				code = 1
				continue
			}
			if !p.isDir(name) {
				if room() != nil {
					fmt.Fprintf(out, "mkdir: '%s': No space left on device\n", o)
					code = 1
					continue
				}
				p.files.set(name+"/", nil)
			}
		}
		return code
	case "touch":
		code := 0
		for _, o := range operands {
			name := abs(o)
			if readOnly(name) {
				fmt.Fprintf(out, "touch: '%s': Read-only file system\n", o)
				code = 1
				continue
			}
			if !p.exists(name) {
				if room() != nil {
					fmt.Fprintf(out, "touch: '%s': No space left on device\n", o)
					code = 1
					continue
				}
				p.files.set(name, nil)
			}
		}
		return code
	case "id":
		if p.property.m["ro.com.cph.non_root"] == "0" {
			fmt.Fprintln(out, "uid=0(root) gid=0(root) groups=0(root) context=u:r:su:s0")
		} else {
			fmt.Fprintln(out, "uid=2000(shell) gid=2000(shell) groups=2000(shell),1004(input),1007(log),3003(inet) context=u:r:shell:s0")
		}
		return 0
	case "whoami":
		if p.property.m["ro.com.cph.non_root"] == "0" {
			fmt.Fprintln(out, "root")
		} else {
			fmt.Fprintln(out, "shell")
		}
		return 0
	case "uname":
		switch {
		case slices.Contains(flags, "a"):
			fmt.Fprintln(out, "Linux localhost 5.10.0-opencph-sim #1 SMP PREEMPT aarch64 Toybox")
		case slices.Contains(flags, "r"):
			fmt.Fprintln(out, "5.10.0-opencph-sim")
		case slices.Contains(flags, "m"):
			fmt.Fprintln(out, "aarch64")
		default:
			fmt.Fprintln(out, "Linux")
		}
		return 0
	case "df":
		var used int64
		for k, v := range p.files.m {
			if under(k, "/data") {
				used += int64(len(v))
			}
		}
		usedK := (used + 1023) / 1024
		fmt.Fprintln(out, "Filesystem      1K-blocks    Used Available Use% Mounted on")
		fmt.Fprintf(out, "/dev/block/dm-0   4194304 2621440   1572864  63%% /system\n")
		fmt.Fprintf(out, "/dev/block/dm-1  33554432 %7d %9d   1%% /data\n", usedK, 33554432-usedK)
		return 0
	case "pwd":
		fmt.Fprintln(out, "/")
		return 0
	}
	fmt.Fprintf(out, "/system/bin/sh: %s: not found\n", name)
	return 127
}

// pm is the package manager command. The caller holds Driver.mu.
func (p *phone) pm(out *strings.Builder, args []string) int {
	if len(args) == 0 {
		fmt.Fprintln(out, "usage: pm [list packages|path|uninstall] ...")
		return 1
	}
	switch {
	case args[0] == "list" && len(args) >= 2 && args[1] == "packages":
		flags, operands := splitFlags(args[2:])
		filter := ""
		if len(operands) > 0 {
			filter = operands[0]
		}
		for _, name := range slices.Sorted(maps.Keys(p.packages.m)) {
			pkg := p.packages.m[name]
			if slices.Contains(flags, "3") && pkg.System || slices.Contains(flags, "s") && !pkg.System {
				continue
			}
			if strings.Contains(name, filter) {
				fmt.Fprintf(out, "package:%s\n", name)
			}
		}
		return 0
	case args[0] == "path" && len(args) == 2:
		pkg, ok := p.packages.m[args[1]]
		if !ok {
			return 1
		}
		if pkg.System {
			fmt.Fprintf(out, "package:/system/app/%s/%s.apk\n", pkg.Name, pkg.Name)
			return 0
		}
		for _, f := range slices.Sorted(maps.Keys(p.files.m)) {
			if strings.HasPrefix(f, appDir+pkg.Name+"/") && strings.HasSuffix(f, ".apk") {
				fmt.Fprintf(out, "package:%s\n", f)
			}
		}
		return 0
	case args[0] == "uninstall" && len(args) >= 2:
		if err := p.uninstall(args[len(args)-1]); err != nil {
			fmt.Fprintln(out, "Failure [DELETE_FAILED_INTERNAL_ERROR]")
			return 1
		}
		fmt.Fprintln(out, "Success")
		return 0
	}
	fmt.Fprintf(out, "pm: unknown command '%s'\n", strings.Join(args, " "))
	return 1
}

// children returns the names of the entries directly below dir. The
// caller holds Driver.mu.
func (p *phone) children(dir string) []string {
	prefix := strings.TrimSuffix(dir, "/") + "/"
	seen := map[string]bool{}
	for _, c := range builtinChildren(dir) {
		seen[c] = true
	}
	for k := range p.files.m {
		rest, ok := strings.CutPrefix(k, prefix)
		if !ok || rest == "" {
			continue
		}
		child, _, _ := strings.Cut(rest, "/")
		seen[child] = true
	}
	return slices.Sorted(maps.Keys(seen))
}

// splitFlags separates single-dash flags (each letter one flag) from
// operands.
func splitFlags(args []string) (flags, operands []string) {
	for _, a := range args {
		if len(a) > 1 && a[0] == '-' {
			for _, c := range a[1:] {
				flags = append(flags, string(c))
			}
			continue
		}
		operands = append(operands, a)
	}
	return flags, operands
}

// abs returns name as a clean absolute path; relative names are relative
// to the root, the shell's working directory; the links to /sdcard are
// followed.
func abs(name string) string { return canonical(path.Clean("/" + name)) }

// readOnly reports whether name lies on a read-only file system.
func readOnly(name string) bool {
	return readOnlyFS(name) || name == "/"
}
