package bench

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// GoBenchResult is what the Go benchmarks measured.
type GoBenchResult struct {
	// Command is the go test command that ran them.
	Command string `json:"command"`
	// PostgreSQL tells whether they ran on PostgreSQL too
	// (CPH_TEST_DATABASE_URL set).
	PostgreSQL bool `json:"postgresql"`
	// Benchmarks are the results by name in the order they ran.
	Benchmarks []GoBenchmark `json:"benchmarks"`
}

// GoBenchmark is one benchmark's time per operation in each of its runs.
// A benchmark that runs per database (a "db=sqlite" or "db=postgres"
// part in its name) is one entry with that part taken out of Name.
type GoBenchmark struct {
	Package string `json:"package"`
	Name    string `json:"name"`
	// NsPerOp are the runs' times, by database ("sqlite", "postgres").
	NsPerOp map[string][]float64 `json:"ns_per_op"`
}

// reBenchLine matches a benchmark's result line.
var reBenchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+\d+\s+([0-9.]+) ns/op`)

// reDBPart matches the database part of a benchmark's name.
var reDBPart = regexp.MustCompile(`/?db=(sqlite|postgres)`)

// GoBenchOptions says which Go benchmarks run and how.
type GoBenchOptions struct {
	// Packages are the packages, as go test takes them (./engine).
	Packages []string
	// Benchtime is -benchtime; Count is -count; Short adds -short.
	Benchtime string
	Count     int
	Short     bool
	// PostgresURL, if set, makes them run on that PostgreSQL server too
	// (CPH_TEST_DATABASE_URL; each benchmark makes its own database
	// there).
	PostgresURL string
	Logger      *slog.Logger
}

// RunGoBenchmarks runs the Go benchmarks o names, from the root of the
// module in the current directory.
func RunGoBenchmarks(ctx context.Context, o GoBenchOptions) (*GoBenchResult, error) {
	pkgs, benchtime, count, pgURL, log := o.Packages, o.Benchtime, max(o.Count, 1), o.PostgresURL, o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out, err := exec.CommandContext(ctx, "go", "env", "GOMOD").Output()
	if err != nil {
		return nil, fmt.Errorf("go benchmarks: go env GOMOD: %w (the Go toolchain is needed)", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return nil, errors.New("go benchmarks: not in a Go module; run cph-bench from OpenCPH's source tree")
	}
	if mod, err := os.ReadFile(gomod); err != nil || !bytes.Contains(mod, []byte("module github.com/opencph/opencph\n")) {
		return nil, fmt.Errorf("go benchmarks: %s is not OpenCPH's module", gomod)
	}
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchtime", benchtime, "-count", strconv.Itoa(count)}
	if o.Short {
		args = append(args, "-short")
	}
	for _, p := range pkgs {
		if p = strings.TrimSpace(p); p != "" {
			args = append(args, p)
		}
	}
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = filepath.Dir(gomod)
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "CPH_TEST_DATABASE_URL=") })
	if pgURL != "" {
		env = append(env, "CPH_TEST_DATABASE_URL="+pgURL)
	}
	cmd.Env = env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	res := &GoBenchResult{Command: "go " + strings.Join(args, " "), PostgreSQL: pgURL != ""}
	if pgURL != "" {
		res.Command = "CPH_TEST_DATABASE_URL=" + redactURL(pgURL) + " " + res.Command
	}
	log.Info("go benchmarks", "command", res.Command)
	stdout, err := cmd.Output()
	parseGoBench(stdout, res)
	if err != nil {
		return res, fmt.Errorf("go benchmarks: %w\n%s%s", err, lastLines(stdout, 20), lastLines(stderr.Bytes(), 20))
	}
	return res, nil
}

// parseGoBench adds the results of go test -bench output to res.
func parseGoBench(out []byte, res *GoBenchResult) {
	pkg := ""
	index := map[string]int{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		line := sc.Text()
		if p, ok := strings.CutPrefix(line, "pkg: "); ok {
			pkg = strings.TrimPrefix(strings.TrimSpace(p), "github.com/opencph/opencph/")
			continue
		}
		m := reBenchLine.FindStringSubmatch(line)
		if m == nil {
			continue
		}
		ns, err := strconv.ParseFloat(m[2], 64)
		if err != nil {
			continue
		}
		name, db := m[1], "sqlite"
		if d := reDBPart.FindStringSubmatch(name); d != nil {
			db = d[1]
			name = reDBPart.ReplaceAllString(name, "")
		}
		key := pkg + " " + name
		i, ok := index[key]
		if !ok {
			i = len(res.Benchmarks)
			index[key] = i
			res.Benchmarks = append(res.Benchmarks, GoBenchmark{Package: pkg, Name: name, NsPerOp: map[string][]float64{}})
		}
		res.Benchmarks[i].NsPerOp[db] = append(res.Benchmarks[i].NsPerOp[db], ns)
	}
}

// lastLines returns the last n lines of b.
func lastLines(b []byte, n int) string {
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}
