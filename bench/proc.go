package bench

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Hidden first arguments with which cph-bench runs its child processes.
const (
	// ChildCPHD runs the cphd program (package internal/cphdcmd).
	ChildCPHD = "cphd"
	// ChildStaticServer runs the static baseline server.
	ChildStaticServer = "static-server"
)

// listenRE finds the URL a child prints once it serves.
var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// child is a running child process: cphd or the static server.
type child struct {
	name    string
	cmd     *exec.Cmd
	url     string
	logPath string
	done    chan struct{} // closed once the process has exited
	waitErr error         // how it exited; set before done is closed
}

// childEnv returns the environment of a child: this process's, without
// any CPH_ variable (so that a developer's shell does not change the
// child's configuration), plus extra.
func childEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CPH_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// childSpec describes a child process: Name (in errors), the command
// Self followed by Args, its environment Env, and LogPath, the file its
// stdout and stderr are appended to.
type childSpec struct {
	Name    string
	Self    []string
	Args    []string
	Env     []string
	LogPath string
}

// startChild starts the child s and waits until it prints the URL it
// listens on.
func startChild(ctx context.Context, s childSpec) (*child, error) {
	name, self, logPath := s.Name, s.Self, s.LogPath
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bench: %s log: %w", name, err)
	}
	cmd := exec.Command(self[0], append(append([]string{}, self[1:]...), s.Args...)...)
	cmd.Env = s.Env
	cmd.Stderr = logf
	cmd.SysProcAttr = childSysProcAttr()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		logf.Close()
		return nil, fmt.Errorf("bench: start %s: %w", name, err)
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("bench: start %s: %w", name, err)
	}
	c := &child{name: name, cmd: cmd, logPath: logPath, done: make(chan struct{})}
	found := make(chan string, 1)
	copied := make(chan struct{})
	go func() {
		defer close(copied)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logf, line)
			if m := listenRE.FindStringSubmatch(line); m != nil {
				select {
				case found <- m[1]:
				default:
				}
			}
		}
		_, _ = io.Copy(logf, stdout)
	}()
	go func() {
		<-copied
		c.waitErr = cmd.Wait()
		logf.Close()
		close(c.done)
	}()
	select {
	case c.url = <-found:
		return c, nil
	case <-c.done:
		return nil, fmt.Errorf("bench: %s exited before serving (%v); its log %s ends with:\n%s", name, c.waitErr, logPath, logTail(logPath))
	case <-ctx.Done():
		c.stop(time.Second)
		return nil, fmt.Errorf("bench: start %s: %w", name, ctx.Err())
	case <-time.After(2 * time.Minute):
		c.stop(time.Second)
		return nil, fmt.Errorf("bench: %s did not start within 2 minutes; its log %s ends with:\n%s", name, logPath, logTail(logPath))
	}
}

// execCommand returns the command that runs self+args until it exits or
// ctx ends.
func execCommand(ctx context.Context, self, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, self[0], append(append([]string{}, self[1:]...), args...)...)
	cmd.SysProcAttr = childSysProcAttr()
	return cmd
}

// pid returns the child's process id.
func (c *child) pid() int { return c.cmd.Process.Pid }

// stop sends SIGTERM, waits up to timeout for the child to exit, then
// kills it. It returns the child's exit error after a SIGTERM, or an error
// saying it had to be killed.
func (c *child) stop(timeout time.Duration) error {
	select {
	case <-c.done:
		return c.exitErr()
	default:
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.done:
		return c.exitErr()
	case <-time.After(timeout):
	}
	_ = c.cmd.Process.Kill()
	<-c.done
	return fmt.Errorf("bench: %s did not stop within %s of SIGTERM and was killed", c.name, timeout)
}

// exitErr describes how the child exited; nil after a clean exit. The
// child has exited.
func (c *child) exitErr() error {
	if c.waitErr != nil {
		return fmt.Errorf("bench: %s: %w; its log %s ends with:\n%s", c.name, c.waitErr, c.logPath, logTail(c.logPath))
	}
	return nil
}

// exited reports whether the child has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// waitHealthy polls GET url/healthz until it answers 200.
func waitHealthy(ctx context.Context, c *child, hc *http.Client, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	var last string
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.url+"/healthz", nil)
		if err != nil {
			return fmt.Errorf("bench: healthz: %w", err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		} else {
			last = err.Error()
		}
		if c.exited() {
			return fmt.Errorf("bench: %s exited while starting: %w", c.name, c.exitErr())
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("bench: %s not healthy after %s (last answer: %s)", c.name, timeout, last)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("bench: wait for %s: %w", c.name, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// logTail returns the last lines of a log file.
func logTail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return "(" + err.Error() + ")"
	}
	if len(b) > 3000 {
		b = b[len(b)-3000:]
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
	}
	return string(b)
}

// procCPU returns the CPU time (user and system) process pid has used,
// from /proc/<pid>/stat (in USER_HZ ticks, 100 per second on Linux).
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("bench: read CPU time of process %d: %w", pid, err)
	}
	// The command name (field 2) may hold spaces: fields are counted from
	// the last ')'; utime and stime are fields 14 and 15.
	i := bytes.LastIndexByte(b, ')')
	f := strings.Fields(string(b[i+1:]))
	if i < 0 || len(f) < 13 {
		return 0, fmt.Errorf("bench: /proc/%d/stat: unexpected format", pid)
	}
	var ticks int64
	for _, s := range f[11:13] {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc/%d/stat: %w", pid, err)
		}
		ticks += n
	}
	return time.Duration(ticks) * (time.Second / 100), nil
}

// procStatus returns a field of /proc/<pid>/status, such as "VmRSS", in
// bytes. It returns an error where /proc is not available.
func procStatus(pid int, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, fmt.Errorf("bench: read memory of process %d: %w", pid, err)
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		rest, ok := strings.CutPrefix(line, field+":")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("bench: /proc/%d/status: unexpected %s line %q", pid, field, line)
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("bench: /proc/%d/status: %s: %w", pid, field, err)
		}
		return kb * 1024, nil
	}
	return 0, fmt.Errorf("bench: /proc/%d/status has no %s", pid, field)
}
