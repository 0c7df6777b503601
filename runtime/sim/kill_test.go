package sim_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/opencph/opencph/runtime"
	"github.com/opencph/opencph/runtime/sim"
)

// killWriterEnv makes the test binary run killWriter instead of the tests.
const killWriterEnv = "OPENCPH_SIM_KILL_WRITER_DIR"

// TestMain runs killWriter when TestStateSurvivesKill starts the test
// binary as its child.
func TestMain(m *testing.M) {
	if dir := os.Getenv(killWriterEnv); dir != "" {
		killWriter(dir)
		return
	}
	os.Exit(m.Run())
}

// killWriter writes ever more files of 16 KiB to phone p1 (each a new
// save of the whole phone), printing the number of each write that
// returned, until it is killed.
func killWriter(dir string) {
	d, err := sim.Open(sim.Config{StateDir: dir})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(1)
	}
	ctx := context.Background()
	if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p1", Running: true}); err != nil {
		fmt.Println("ensure:", err)
		os.Exit(1)
	}
	data := []byte(strings.Repeat("x", 16<<10))
	for i := 0; ; i++ {
		if err := d.WriteFile(ctx, "p1", fmt.Sprintf("/data/local/tmp/f%04d", i%500), data); err != nil {
			fmt.Println("write:", err)
			os.Exit(1)
		}
		fmt.Println(i)
	}
}

// TestStateSurvivesKill kills, with SIGKILL, a real process that saves a
// phone as fast as it can, at several moments: each time the driver
// opens again on the state, with at least every write the process had
// completed.
func TestStateSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	for round, after := range []int{5, 23, 61} {
		cmd := exec.Command(exe, "-test.run=^$")
		cmd.Env = append(os.Environ(), killWriterEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		last := -1
		for last < after && sc.Scan() {
			n, err := strconv.Atoi(sc.Text())
			if err != nil {
				t.Fatalf("round %d: the writer says %q", round, sc.Text())
			}
			last = n
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		if last < after {
			t.Fatalf("round %d: the writer stopped after write %d", round, last)
		}

		var log logBuffer
		d := openState(t, dir, sim.Quota{}, &log)
		if strings.Contains(log.String(), "level=WARN") {
			t.Errorf("round %d: warning after the kill: %s", round, log.String())
		}
		files, err := d.Files(context.Background(), "p1")
		if err != nil {
			t.Fatalf("round %d: phone not loaded after the kill: %v", round, err)
		}
		// The writer starts again from f0000 each round: the files of
		// every completed write are there.
		var got int
		for _, f := range files {
			if strings.HasPrefix(f, "/data/local/tmp/f") {
				got++
			}
		}
		if want := min(last+1, 500); got < want {
			t.Errorf("round %d: %d files after write %d completed, want at least %d", round, got, last, want)
		}
		entries, _ := os.ReadDir(dir + "/phones")
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".tmp-") {
				t.Errorf("round %d: temporary file %s left after opening", round, e.Name())
			}
		}
	}
}
