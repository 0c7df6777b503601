package cphdcmd

import (
	"context"
	"io"

	"github.com/opencph/opencph/internal/buildinfo"
)

// runOther runs the commands of cphd that are neither serving nor
// "admin": --version and "healthcheck". It reports whether args named one.
func runOther(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (bool, error) {
	switch {
	case buildinfo.Requested(args):
		buildinfo.Print(stdout, "cphd")
		return true, nil
	case len(args) > 0 && args[0] == "healthcheck":
		return true, runHealthcheck(ctx, args[1:], getenv, stdout, stderr)
	}
	return false, nil
}
