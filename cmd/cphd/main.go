// Command cphd is the OpenCPH control plane: the IAM token service, the
// CPH API, the job engine and, by default, a built-in simulated fleet of
// phone servers, in one process.
//
// Every flag can also be set through the environment variable named in its
// help text; a flag given on the command line wins. The program itself is
// package internal/cphdcmd.
package main

import (
	"os"

	"github.com/opencph/opencph/internal/cphdcmd"
)

func main() {
	os.Exit(cphdcmd.Main(os.Args[1:]))
}
