// Command cph-bench is OpenCPH's load tool. It measures how fast cphd
// answers and how that changes with the size of the fleet: it starts its
// own cphd as a child process (or measures --target), grows a simulated
// fleet through the agent protocol and measures phone listing against a
// static-server baseline, cphd's memory, a batch-restart fan-out and token
// issue and validation. See package bench, and "cph-bench --help".
//
//	go run ./cmd/cph-bench --sizes 1000,100000
//	go run ./cmd/cph-bench --sizes 1000 --database postgres://... -o json
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/opencph/opencph/bench"
	"github.com/opencph/opencph/internal/buildinfo"
)

func main() {
	if buildinfo.Requested(os.Args[1:]) {
		buildinfo.Print(os.Stdout, "cph-bench")
		return
	}
	// cph-bench starts itself as cphd and as the static baseline server.
	if code, ok := bench.ChildMain(os.Args[1:]); ok {
		os.Exit(code)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := bench.Main(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "cph-bench:", err)
		os.Exit(1)
	}
}
