// Package cli implements cph, the command-line client of OpenCPH.
//
// Main runs one invocation of the command; it reads its arguments, standard
// streams and environment only from its parameters, so tests can run it
// in-process. Settings come from flags, then environment variables, then
// defaults:
//
//	--endpoint   CPH_ENDPOINT   http://127.0.0.1:8080
//	--domain     CPH_DOMAIN     (required)
//	--user       CPH_USER       the domain (the account owner)
//	--password   CPH_PASSWORD   (needed only when no cached token is valid)
//	--project    CPH_PROJECT    cn-north-4 (a project name or id)
//	--cache-dir  CPH_CACHE_DIR  the user's cache directory + /opencph
//	--ca-file    CPH_CA_FILE    (the system's CA certificates)
//	-o/--output                 table (or json)
//
// "cph login" caches a token (file mode 0600) so that later commands need
// no password until it nears its expiry.
//
// Exit codes: 0 on success; 1 when a batch operation had a refused item
// or a failed job (or another local failure); 2 for usage errors; 3 when
// the server refused the call or no valid credentials are at hand; 4 when
// the server could not be reached; 5 when a wait timed out; 130 when
// interrupted. With -o json, the error is one JSON object on stderr.
package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/internal/certs"
)

// Exit codes of Main.
const (
	ExitOK          = 0   // success
	ExitFailure     = 1   // a refused item or a failed job, or a local failure
	ExitUsage       = 2   // bad command line
	ExitAPI         = 3   // the server refused the call (HTTP 4xx/5xx), or not logged in
	ExitNetwork     = 4   // the server could not be reached
	ExitTimeout     = 5   // a wait gave up after --wait-timeout
	ExitInterrupted = 130 // ctx was cancelled (Ctrl-C)
)

// Defaults of the global settings.
const (
	DefaultEndpoint = "http://127.0.0.1:8080"
	DefaultProject  = "cn-north-4"
)

// Environment variables read through Main's getenv.
const (
	EnvEndpoint = "CPH_ENDPOINT"  // --endpoint
	EnvDomain   = "CPH_DOMAIN"    // --domain
	EnvUser     = "CPH_USER"      // --user
	EnvPassword = "CPH_PASSWORD"  // --password
	EnvProject  = "CPH_PROJECT"   // --project
	EnvCacheDir = "CPH_CACHE_DIR" // --cache-dir
	EnvCAFile   = "CPH_CA_FILE"   // --ca-file
)

// userAgent is the User-Agent of the command's requests.
const userAgent = "opencph-cph-cli"

// Main runs the cph command with args (without the program name) and
// returns its exit code. It reads standard input from stdin, writes results
// to stdout and diagnostics to stderr, and looks environment variables up
// with getenv. Cancelling ctx interrupts the command.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) int {
	if getenv == nil {
		getenv = func(string) string { return "" }
	}
	a := &app{stdin: stdin, stdout: stdout, stderr: stderr, getenv: getenv}
	root := a.rootCommand()
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	cmd, err := root.ExecuteContextC(ctx)
	return a.exit(ctx, cmd, err)
}

// app is one invocation of the command.
type app struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	getenv         func(string) string
	flags          globalFlags
	resolved       settings // the settings of the command that runs
}

// globalFlags are the raw values of the persistent flags.
type globalFlags struct {
	endpoint, domain, user, password, project, cacheDir, output, caFile string
}

// settings are the effective global settings of a command.
type settings struct {
	Endpoint string
	Domain   string
	User     string
	Password string
	Project  string
	CacheDir string
	Output   string // "table" or "json"
	CAFile   string // PEM CA certificates to trust instead of the system's
}

// run adapts a command implementation to cobra: it checks the global
// output flag first and marks the implementation's errors as failures
// (exit code 1) unless they are usage errors.
func (a *app) run(fn func(cmd *cobra.Command, args []string, s settings) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, err := a.settings(cmd)
		a.resolved = s
		if err != nil {
			return &cmdError{err}
		}
		if err = fn(cmd, args, s); err == nil {
			return nil
		}
		return &cmdError{err}
	}
}

// rootCommand builds the command tree; it is built anew for every Main.
func (a *app) rootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:   "cph",
		Short: "Manage the cloud phones of an OpenCPH service",
		Long: `cph manages the cloud phones of an OpenCPH (Cloud Phone Host) service.

Log in once with "cph login"; the token is cached and later commands need
no password until it nears its expiry (24 hours).

Settings come from flags, else environment variables (CPH_ENDPOINT,
CPH_DOMAIN, CPH_USER, CPH_PASSWORD, CPH_PROJECT, CPH_CACHE_DIR, CPH_CA_FILE),
else
defaults.

In scripts: list commands take -q (only the ids, one a line); with -o json
errors are JSON lines on stderr ({"error":{"code","message","status",
"request_id","hint","exit_code"}}, after one {"failed":{...}} line per failed
item). "cph completion bash|zsh|fish" completes phone, server, image, request
and job ids.

Exit codes:
  0    success
  1    an item was refused or a job failed, or a local failure
  2    usage error (unknown command or flag, bad value)
  3    the server refused the call (HTTP 4xx/5xx), or not logged in
  4    cphd could not be reached
  5    a wait gave up after --wait-timeout (the jobs go on)
  130  interrupted (the jobs of a wait go on)`,
		Example: `  export CPH_ENDPOINT=http://127.0.0.1:8080 CPH_DOMAIN=acme
  cph login --password-stdin < password.txt
  cph phones list
  cph phones restart 8c1e4b7a2f9d4e3a9b6c0d5e7f1a2b3c --wait`,
		Args:          subcommandArgs,
		SilenceErrors: true,
		SilenceUsage:  true,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error {
		return &usageError{err}
	})
	pf := root.PersistentFlags()
	pf.StringVar(&a.flags.endpoint, "endpoint", "", "base URL of the service (env "+EnvEndpoint+", default "+DefaultEndpoint+")")
	pf.StringVar(&a.flags.domain, "domain", "", "account (domain) name (env "+EnvDomain+")")
	pf.StringVar(&a.flags.user, "user", "", "user name (env "+EnvUser+", default: the domain)")
	pf.StringVar(&a.flags.password, "password", "", "password (env "+EnvPassword+"); not needed while a cached token is valid")
	pf.StringVar(&a.flags.project, "project", "", "project name (region id) or id (env "+EnvProject+", default "+DefaultProject+")")
	pf.StringVar(&a.flags.cacheDir, "cache-dir", "", "token cache directory (env "+EnvCacheDir+", default: the user cache directory + /opencph)")
	pf.StringVar(&a.flags.caFile, "ca-file", "", "PEM file of the CA certificate(s) that sign cphd's TLS certificate, trusted instead of the system's (env "+EnvCAFile+")")
	pf.StringVarP(&a.flags.output, "output", "o", "table", "output format: table or json")

	root.AddCommand(
		a.loginCommand(),
		a.logoutCommand(),
		a.phonesCommand(),
		a.jobsCommand(),
		a.serversCommand(),
		a.projectsCommand(),
	)
	root.AddCommand(a.areaCommands()...)
	_ = root.RegisterFlagCompletionFunc("output", outputCompletion)
	a.addCompletions(root)
	return root
}

// group returns a command that only holds subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  subcommandArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(subs...)
	return cmd
}

// subcommandArgs is the argument check of commands that only hold
// subcommands: any argument is an unknown command, with suggestions
// ("did you mean") of the subcommands whose names are close to it.
func subcommandArgs(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return nil
	}
	cmd.SuggestionsMinimumDistance = 2
	msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		sort.Strings(s)
		msg += "; did you mean " + strings.Join(quoteAll(s), " or ") + "?"
	}
	return usagef("%s", msg)
}

// quoteAll quotes each string.
func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = strconv.Quote(s)
	}
	return out
}

// settings resolves the global settings of cmd: flag, else environment
// variable, else default.
func (a *app) settings(cmd *cobra.Command) (settings, error) {
	pick := func(flag, value, env, def string) string {
		if f := cmd.Flags().Lookup(flag); f != nil && f.Changed {
			if value != "" {
				return value
			}
			return def
		}
		if v := a.getenv(env); v != "" {
			return v
		}
		return def
	}
	s := settings{
		Endpoint: pick("endpoint", a.flags.endpoint, EnvEndpoint, DefaultEndpoint),
		Domain:   pick("domain", a.flags.domain, EnvDomain, ""),
		Project:  pick("project", a.flags.project, EnvProject, DefaultProject),
		CacheDir: pick("cache-dir", a.flags.cacheDir, EnvCacheDir, ""),
		Output:   a.flags.output,
		CAFile:   pick("ca-file", a.flags.caFile, EnvCAFile, ""),
	}
	s.User = pick("user", a.flags.user, EnvUser, s.Domain)
	if f := cmd.Flags().Lookup("password"); f != nil && f.Changed {
		s.Password = a.flags.password
	} else {
		s.Password = a.getenv(EnvPassword)
	}
	if s.Output != "table" && s.Output != "json" {
		return s, usagef("invalid --output %q: want table or json", s.Output)
	}
	if s.CacheDir == "" {
		dir, err := userCacheDir(a.getenv)
		if err != nil {
			return s, &exitError{code: ExitFailure, err: fmt.Errorf("%w; set --cache-dir or %s", err, EnvCacheDir)}
		}
		s.CacheDir = filepath.Join(dir, "opencph")
	}
	return s, nil
}

// userCacheDir is os.UserCacheDir looking the environment up with getenv.
func userCacheDir(getenv func(string) string) (string, error) {
	var dir string
	switch runtime.GOOS {
	case "windows":
		if dir = getenv("LocalAppData"); dir == "" {
			return "", errors.New("no cache directory: %LocalAppData% is not defined")
		}
		return dir, nil
	case "darwin", "ios":
		if dir = getenv("HOME"); dir == "" {
			return "", errors.New("no cache directory: $HOME is not defined")
		}
		return filepath.Join(dir, "Library", "Caches"), nil
	case "plan9":
		if dir = getenv("home"); dir == "" {
			return "", errors.New("no cache directory: $home is not defined")
		}
		return filepath.Join(dir, "lib", "cache"), nil
	}
	if dir = getenv("XDG_CACHE_HOME"); dir != "" && filepath.IsAbs(dir) {
		return dir, nil
	}
	if dir = getenv("HOME"); dir == "" {
		return "", errors.New("no cache directory: neither $XDG_CACHE_HOME nor $HOME is defined")
	}
	return filepath.Join(dir, ".cache"), nil
}

// newClient returns an API client for s.
func (a *app) newClient(s settings) (*client.Client, error) {
	if s.Domain == "" {
		return nil, usagef("no account: set --domain or %s", EnvDomain)
	}
	if err := checkEndpoint(s.Endpoint); err != nil {
		return nil, err
	}
	var tlsConf *tls.Config
	if s.CAFile != "" {
		var err error
		if tlsConf, err = certs.ClientConfig(s.CAFile); err != nil {
			return nil, &usageError{fmt.Errorf("--ca-file: %w", err)}
		}
	}
	c, err := client.New(client.Config{
		TLSConfig:  tlsConf,
		Endpoint:   s.Endpoint,
		Domain:     s.Domain,
		User:       s.User,
		Password:   s.Password,
		Project:    s.Project,
		TokenCache: client.FileTokenCache{Dir: s.CacheDir},
		UserAgent:  userAgent,
	})
	if err != nil {
		return nil, &usageError{err}
	}
	return c, nil
}

// checkEndpoint explains the most common mistake in an endpoint: no
// scheme. client.New checks the rest.
func checkEndpoint(endpoint string) error {
	if strings.Contains(endpoint, "://") {
		return nil
	}
	return usagef("invalid endpoint %q: it has no scheme; did you mean http://%s (or https://%s)? (--endpoint or %s)",
		endpoint, endpoint, endpoint, EnvEndpoint)
}

// waitFlags are the flags of the commands that wait for jobs.
type waitFlags struct {
	wait     bool
	interval time.Duration
	timeout  time.Duration
	always   bool // the command always waits: no --wait flag
}

// add registers the flags on cmd; withWait adds --wait.
func (w *waitFlags) add(cmd *cobra.Command, withWait bool) {
	if withWait {
		cmd.Flags().BoolVar(&w.wait, "wait", false, "wait until every job has finished; exit 1 if any failed")
	}
	cmd.Flags().DurationVar(&w.interval, "interval", client.DefaultWaitInterval, "time between two polls of the jobs, against a server that cannot wait for them")
	cmd.Flags().DurationVar(&w.timeout, "wait-timeout", 0, "give up waiting after this long, exit 5 (0: no limit); the jobs go on")
	cmd.Flags().DurationVar(&w.timeout, "timeout", 0, "")
	_ = cmd.Flags().MarkDeprecated("timeout", "use --wait-timeout")
}

// check validates the flags.
func (w *waitFlags) check() error {
	if w.interval <= 0 {
		return usagef("invalid --interval %v: must be positive", w.interval)
	}
	if w.timeout < 0 {
		return usagef("invalid --wait-timeout %v: must not be negative", w.timeout)
	}
	return nil
}
