package cphdcmd

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// runHealthcheck is "cphd healthcheck": it asks a running cphd's /healthz
// and succeeds only on 200. It exists for container health checks, where
// an image built from scratch has no curl.
func runHealthcheck(ctx context.Context, args []string, e cmdEnv) error {
	fs := flag.NewFlagSet("cphd healthcheck", flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	fs.Usage = func() {
		fmt.Fprintln(e.Stderr, "usage: cphd healthcheck [--url URL] [--timeout D]\n\nGET URL/healthz; exit status 0 if cphd answers 200, 1 otherwise.")
		fs.PrintDefaults()
	}
	listen := e.Getenv("CPH_LISTEN")
	if listen == "" {
		listen = "127.0.0.1:8080"
	}
	def := e.Getenv("CPH_HEALTHCHECK_URL")
	if def == "" {
		def = "http://" + localAddr(listen)
	}
	url := fs.String("url", def, "base URL of the cphd to check; default: http:// and the address of CPH_LISTEN (a wildcard host becomes 127.0.0.1) [CPH_HEALTHCHECK_URL]")
	timeout := fs.Duration("timeout", 5*time.Second, "how long to wait for the answer")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("healthcheck: unexpected argument %q", fs.Arg(0))
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	target := strings.TrimRight(*url, "/") + "/healthz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s", target, resp.Status)
	}
	fmt.Fprintf(e.Stdout, "ok: %s\n", target)
	return nil
}

// localAddr turns a listen address into one to connect to: a wildcard or
// empty host becomes 127.0.0.1.
func localAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port)
}
