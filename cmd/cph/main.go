// Command cph is the command-line client of OpenCPH: it logs in to the IAM
// token service and lists, shows, restarts, stops and resets cloud phones,
// and lists and waits for their jobs. Run "cph --help" for the commands;
// package cli holds the implementation.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/opencph/opencph/cli"
	"github.com/opencph/opencph/internal/buildinfo"
)

func main() {
	if buildinfo.Requested(os.Args[1:]) {
		buildinfo.Print(os.Stdout, "cph")
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr, os.Getenv)
	stop()
	os.Exit(code)
}
