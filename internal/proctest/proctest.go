// Package proctest runs the project's programs as real processes in
// tests: it builds them, starts them with their output captured, waits
// for a server to listen, and kills them when the test ends.
package proctest

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Build builds the named programs of cmd/ (e.g. "cphd", "cph-agent")
// into dir.
func Build(dir string, programs ...string) error {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return fmt.Errorf("building %v needs the go command on PATH: %w", programs, err)
	}
	for _, p := range programs {
		build := exec.Command(goTool, "build", "-o", filepath.Join(dir, p), "github.com/opencph/opencph/cmd/"+p)
		build.Stdout, build.Stderr = os.Stderr, os.Stderr
		if err := build.Run(); err != nil {
			return fmt.Errorf("build %s: %w", p, err)
		}
	}
	return nil
}

// Proc is a running program.
type Proc struct {
	Name string
	Cmd  *exec.Cmd
	// URL is the address the program said it listens on (see WaitURL).
	URL string

	mu   sync.Mutex
	out  bytes.Buffer
	urls chan string
}

var listenRE = regexp.MustCompile(`listening on (http://\S+)`)

// Start runs the program at path with env added to the test's
// environment. Its stdout and stderr are kept (and logged if the test
// fails); it is killed when the test ends.
func Start(t testing.TB, name, path string, env []string, args ...string) *Proc {
	t.Helper()
	p := &Proc{Name: name, Cmd: exec.Command(path, args...), urls: make(chan string, 1)}
	p.Cmd.Env = append(os.Environ(), env...)
	p.Cmd.Stderr = p
	stdout, err := p.Cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		p.Kill()
		if t.Failed() {
			t.Logf("--- output of %s:\n%s", p.Name, p.Log())
		}
	})
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			p.Write([]byte(sc.Text() + "\n"))
			if m := listenRE.FindStringSubmatch(sc.Text()); m != nil {
				select {
				case p.urls <- m[1]:
				default:
				}
			}
		}
	}()
	return p
}

// WaitURL waits until the program prints "listening on URL" and sets
// p.URL, failing the test after timeout.
func (p *Proc) WaitURL(t testing.TB, timeout time.Duration) {
	t.Helper()
	select {
	case p.URL = <-p.urls:
	case <-time.After(timeout):
		t.Fatalf("%s did not start:\n%s", p.Name, p.Log())
	}
}

// Write appends to the kept output.
func (p *Proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

// Log returns the output so far.
func (p *Proc) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// Kill kills the program (SIGKILL) unless it has ended, and waits for it.
func (p *Proc) Kill() {
	if p.Cmd.ProcessState == nil {
		p.Cmd.Process.Signal(syscall.SIGKILL)
		p.Cmd.Wait()
	}
}
