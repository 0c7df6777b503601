package bench

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"syscall"
	"time"

	"github.com/opencph/opencph/internal/cphdcmd"
)

// ChildMain runs the hidden command that args (without the program name)
// name, if they name one: "cphd ..." runs the cphd program, and
// "static-server ..." the static baseline server. It reports whether args
// named one, and its exit status. cph-bench and the tests that start it
// call it first thing, so that the program can start itself as its child
// processes.
func ChildMain(args []string) (code int, ok bool) {
	if len(args) == 0 {
		return 0, false
	}
	switch args[0] {
	case ChildCPHD:
		return cphdcmd.Main(args[1:]), true
	case ChildStaticServer:
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := runStaticServer(ctx, args[1:], os.Stdout, os.Stderr); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return 0, true
			}
			fmt.Fprintln(os.Stderr, "static-server:", err)
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// runStaticServer serves the bytes of one file, with one Content-Type, at
// every path until ctx ends: the baseline of what Go's HTTP server does
// with a response of that size and no work behind it.
func runStaticServer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("static-server", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on")
	bodyFile := fs.String("body", "", "file whose bytes every answer carries")
	contentType := fs.String("content-type", "application/json", "Content-Type of the answers")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *bodyFile == "" {
		return errors.New("--body is required")
	}
	body, err := os.ReadFile(*bodyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return err
	}
	length := strconv.Itoa(len(body))
	srv := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			h := w.Header()
			h.Set("Content-Type", *contentType)
			h.Set("Content-Length", length)
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(body)
		}),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      10 * time.Minute,
		IdleTimeout:       2 * time.Minute,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	fmt.Fprintf(stdout, "static server listening on http://%s (%d bytes, %s)\n", ln.Addr(), len(body), *contentType)
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return srv.Shutdown(shutdownCtx)
}
