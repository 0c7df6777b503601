package cphdcmd

import (
	"context"

	"github.com/opencph/opencph/internal/buildinfo"
)

// runOther runs the commands of cphd that are neither serving nor
// "admin": --version and "healthcheck". It reports whether args named one.
func runOther(ctx context.Context, args []string, e cmdEnv) (bool, error) {
	switch {
	case buildinfo.Requested(args):
		buildinfo.Print(e.Stdout, "cphd")
		return true, nil
	case len(args) > 0 && args[0] == "healthcheck":
		return true, runHealthcheck(ctx, args[1:], e)
	}
	return false, nil
}
