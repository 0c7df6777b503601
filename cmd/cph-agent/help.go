package main

import (
	"flag"
	"fmt"
	"sort"
)

// usageHead is the start of "cph-agent --help".
const usageHead = `cph-agent runs on a phone server. On its first start it enrolls the server
with an OpenCPH control plane (cphd) with an enrollment token and keeps the
server's credential in its state dir; from then on it needs no token: it
runs the server's phones through a runtime driver and long-polls any of the
given cphd replicas for operations.

Usage:
  cph-agent --control-plane URL[,URL...] --enroll-token-file FILE [flags]   first start
  cph-agent [--state-dir DIR] [flags]                                        later starts

Every flag can also be set through the environment variable shown in
brackets; a flag given on the command line wins. The enrollment token is
taken from --enroll-token, else --enroll-token-file [CPH_ENROLL_TOKEN_FILE],
else CPH_ENROLL_TOKEN; it is either a project's enrollment token
("cph enrollment-tokens create", it enrolls into that project only) or the
installation token cphd was started with (cphd --enroll-token, it enrolls
into the project --project names).

Flags:
`

// usageTail is the end of "cph-agent --help".
const usageTail = `
Exit status:
  0  after SIGINT or SIGTERM, or --help
  1  an error, printed on stderr (a refused enrollment included)
  3  the control plane says this server was deleted: its credential will
     never work again, restarting cannot help (systemd:
     RestartPreventExitStatus=3); remove the state dir and enroll anew

Example:
  (umask 077; cph enrollment-tokens create --expires-in 1h > enroll-token)
  cph-agent --control-plane http://10.0.0.1:8080 --enroll-token-file enroll-token --state-dir /var/lib/cph-agent
`

// setUsage makes fs print cph-agent's help.
func setUsage(fs *flag.FlagSet) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, usageHead)
		var flags []*flag.Flag
		fs.VisitAll(func(f *flag.Flag) { flags = append(flags, f) })
		sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
		for _, f := range flags {
			name, usage := flag.UnquoteUsage(f)
			line := "  --" + f.Name
			if name != "" {
				line += " " + name
			}
			if f.DefValue != "" {
				usage += " (default " + f.DefValue + ")"
			}
			fmt.Fprintf(w, "%s\n        %s\n", line, usage)
		}
		fmt.Fprint(w, usageTail)
	}
}
