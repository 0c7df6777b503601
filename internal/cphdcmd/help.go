package cphdcmd

import (
	"flag"
	"fmt"
	"io"
	"sort"
	"strings"
)

// usageHead is the start of "cphd --help".
const usageHead = `cphd is the OpenCPH control plane: the IAM token service (POST /v3/auth/tokens),
the CPH API (/v1/{project_id}/cloud-phone/...), the job engine and, unless
--sim-servers is 0, a built-in fleet of simulated phone servers, in one
process. Phone servers of their own join it with cph-agent.

Usage:
  cphd [flags]             serve until SIGINT or SIGTERM
  cphd admin COMMAND ...   administer accounts and users on the database
                           (run "cphd admin --help")
  cphd --ephemeral         a throw-away cphd for tests and CI: prints its
                           endpoint, account and access key as one JSON line
                           on stdout and removes its state when it stops

Every flag can also be set through the environment variable shown in
brackets; a flag given on the command line wins.

Flags:
`

// usageTail is the end of "cphd --help".
const usageTail = `
Environment variables without a flag (read on an empty database only, to
create the first account):
  CPH_BOOTSTRAP_DOMAIN     account (domain) name (default opencph)
  CPH_BOOTSTRAP_USER       its admin user (default: the domain name)
  CPH_BOOTSTRAP_PASSWORD   the user's password (default: generated, printed
                           once and saved in <data-dir>/bootstrap-password)
  CPH_BOOTSTRAP_PROJECT    its first project, a region id (default cn-north-4)

Deprecated names, still read: --agent-enroll-token [CPH_AGENT_ENROLL_TOKEN]
for --enroll-token [CPH_ENROLL_TOKEN].

Exit status: 0 after SIGINT/SIGTERM (a clean shutdown) or --help, 1 after
an error, which is printed on stderr.

Example:
  CPH_BOOTSTRAP_PASSWORD='choose-a-password' cphd --listen 127.0.0.1:8080 --data-dir /var/lib/opencph
`

// setUsage makes fs print cphd's help.
func setUsage(fs *flag.FlagSet) {
	fs.Usage = func() {
		w := fs.Output()
		fmt.Fprint(w, usageHead)
		printFlags(w, fs)
		fmt.Fprint(w, usageTail)
	}
}

// printFlags prints the flags of fs, sorted, without the hidden ones (the
// deprecated aliases, whose usage starts with "DEPRECATED").
func printFlags(w io.Writer, fs *flag.FlagSet) {
	var flags []*flag.Flag
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Usage, "DEPRECATED") {
			flags = append(flags, f)
		}
	})
	sort.Slice(flags, func(i, j int) bool { return flags[i].Name < flags[j].Name })
	for _, f := range flags {
		name, usage := flag.UnquoteUsage(f)
		line := "  --" + f.Name
		if name != "" {
			line += " " + name
		}
		fmt.Fprintln(w, line)
		def := ""
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			def = " (default " + f.DefValue + ")"
		}
		fmt.Fprintf(w, "        %s%s\n", usage, def)
	}
}

// adminCommand describes one "cphd admin" command.
type adminCommand struct {
	name, args, short string
}

// adminCommands are the "cphd admin" commands, in the order of the help.
var adminCommands = []adminCommand{
	{"create-account", "--domain NAME --password PW [--user NAME] [--project REGION]",
		"create an account (domain) with its admin user and, with --project, a first project"},
	{"create-user", "--domain NAME --user NAME --password PW [--admin]",
		"create a user in an account; read-only unless --admin"},
	{"create-project", "--domain NAME --project REGION",
		"create a project (a region id such as cn-north-4) in an account"},
	{"list-accounts", "",
		"list the accounts with their number of users and their projects"},
	{"set-password", "--domain NAME --user NAME --password PW",
		"set a user's password and revoke the user's tokens"},
	{"disable-user", "--domain NAME --user NAME",
		"disable a user and revoke the user's tokens"},
	{"enable-user", "--domain NAME --user NAME",
		"enable a disabled user"},
	{"delete-user", "--domain NAME --user NAME",
		"delete a user, the user's tokens and access keys"},
	{"rotate-server-key", "--server-key NEW --server-key-previous OLD",
		"re-encrypt every access-key secret sealed with OLD under NEW, in one transaction (idempotent)"},
	{"backup", "--to FILE [--data-dir DIR] [--objects-dir DIR]",
		"write one tar file: a consistent snapshot of the SQLite database (taken while cphd serves), the data dir's files (server key, ...) and the objects; with PostgreSQL use pg_dump (docs/operations.md)"},
	{"restore", "--from FILE --data-dir NEWDIR",
		"unpack a backup into a new, empty data dir"},
	{"snapshot", "save [--replace] NAME | restore NAME | delete NAME | list [--data-dir DIR | --database URL]",
		"save the fleet state (servers, phones, jobs, images, buckets, ...) as a named snapshot in the database, or bring one back, while cphd runs (docs/operations.md)"},
	{"events", "announce --server-id ID --type TYPE [--description TEXT] [--deadline TIME] [--duration D] | list [--project-id ID] [--server-id ID] [--state S] | withdraw EVENT_ID",
		"announce a scheduled event (maintenance) for a server, list the events of every project, or withdraw one not started; tenants authorise them (docs/operations.md)"},
}

// adminUsageText is "cphd admin --help".
func adminUsageText() string {
	var b strings.Builder
	b.WriteString(`Usage: cphd admin COMMAND [flags]

The admin commands work on the database directly, with no login; cphd may
be running (on SQLite, the same data dir; on PostgreSQL, the same URL).

Commands:
`)
	for _, c := range adminCommands {
		fmt.Fprintf(&b, "  %-15s %s\n", c.name, c.short)
		if c.args != "" {
			fmt.Fprintf(&b, "  %-15s   %s\n", "", c.args)
		}
	}
	b.WriteString(`
set-password, disable-user and delete-user revoke the user's tokens at
once, on every replica; delete-user also deletes the user's access keys.
The last enabled admin of an account cannot be disabled or deleted.

Every command takes --data-dir DIR [CPH_DATA_DIR] (default ./cph-data) or
--database URL [CPH_DATABASE_URL]. "cphd admin COMMAND --help" shows a
command's flags.

Exit status: 0 on success, 1 on an error, which is printed on stderr.
`)
	return b.String()
}

// adminCommandUsage sets the help of "cphd admin NAME".
func adminCommandUsage(fs *flag.FlagSet, name string) {
	fs.Usage = func() {
		w := fs.Output()
		for _, c := range adminCommands {
			if c.name == name {
				fmt.Fprintf(w, "Usage: cphd admin %s %s\n\n%s.\n\nFlags:\n", c.name, c.args, strings.ToUpper(c.short[:1])+c.short[1:])
			}
		}
		printFlags(w, fs)
	}
}

// suggestAdmin returns the admin commands close to name ("did you mean").
func suggestAdmin(name string) []string {
	var out []string
	for _, c := range adminCommands {
		if strings.HasPrefix(c.name, name) || strings.HasPrefix(name, c.name) || editDistance(name, c.name) <= 2 {
			out = append(out, c.name)
		}
	}
	return out
}

// editDistance is the Levenshtein distance of a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
