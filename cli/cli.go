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
// Exit codes: 0 on success; 1 when the server refused the call, the
// network failed, or a batch operation had a refused item or a failed job;
// 2 for usage errors; 130 when interrupted.
package cli

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"runtime"
	"time"

	"github.com/spf13/cobra"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/internal/certs"
)

// Exit codes of Main.
const (
	ExitOK          = 0   // success
	ExitFailure     = 1   // refused call, network failure, refused item or failed job
	ExitUsage       = 2   // bad command line
	ExitInterrupted = 130 // ctx was cancelled
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

// usageError is an error in how the command was called (exit code 2).
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// usagef returns a usage error with a formatted message.
func usagef(format string, args ...any) error {
	return &usageError{fmt.Errorf(format, args...)}
}

// exitError ends the command with a code; when silent, its message has
// already been printed.
type exitError struct {
	code   int
	err    error
	silent bool
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// errFailed is the error of a command whose failures were already printed.
var errFailed = &exitError{code: ExitFailure, err: errors.New("failed"), silent: true}

// exit prints err, if any, and returns the exit code for it. Errors that
// cobra returns itself (unknown commands and flags, wrong number of
// arguments) are usage errors; errors of the commands' own code are not,
// unless they are *usageError.
func (a *app) exit(ctx context.Context, cmd *cobra.Command, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	var ue *usageError
	switch {
	case errors.As(err, &ue) || !errors.As(err, &ee):
		fmt.Fprintf(a.stderr, "error: %v\n", err)
		path := "cph"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", path)
		return ExitUsage
	case ee.silent:
		return ee.code
	case ctx.Err() != nil && errors.Is(err, ctx.Err()):
		fmt.Fprintln(a.stderr, "error: interrupted")
		return ExitInterrupted
	}
	var apiErr *client.APIError
	switch {
	case errors.Is(err, client.ErrNotLoggedIn):
		fmt.Fprintf(a.stderr, "error: %v\n", err)
		fmt.Fprintf(a.stderr, "Run 'cph login', or set --password or %s.\n", EnvPassword)
	case errors.As(err, &apiErr):
		fmt.Fprintf(a.stderr, "error: %v\n", apiErr)
	default:
		fmt.Fprintf(a.stderr, "error: %v\n", err)
	}
	return ee.code
}

// run adapts a command implementation to cobra: it checks the global
// output flag first and marks the implementation's errors as failures
// (exit code 1) unless they are usage errors.
func (a *app) run(fn func(cmd *cobra.Command, args []string, s settings) error) func(*cobra.Command, []string) error {
	return func(cmd *cobra.Command, args []string) error {
		s, err := a.settings(cmd)
		if err != nil {
			return err
		}
		err = fn(cmd, args, s)
		var ue *usageError
		var ee *exitError
		if err == nil || errors.As(err, &ue) || errors.As(err, &ee) {
			return err
		}
		return &exitError{code: ExitFailure, err: err}
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
CPH_DOMAIN, CPH_USER, CPH_PASSWORD, CPH_PROJECT, CPH_CACHE_DIR, CPH_CA_FILE), else
defaults.`,
		Example: `  export CPH_ENDPOINT=http://127.0.0.1:8080 CPH_DOMAIN=acme
  cph login --password-stdin < password.txt
  cph phones list
  cph phones restart 8c1e4b7a2f9d4e3a9b6c0d5e7f1a2b3c --wait`,
		Args:          cobra.NoArgs,
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
	return root
}

// group returns a command that only holds subcommands.
func group(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return cmd.Help()
		},
	}
	cmd.AddCommand(subs...)
	return cmd
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

// waitFlags are the flags of the commands that wait for jobs.
type waitFlags struct {
	wait     bool
	interval time.Duration
	timeout  time.Duration
}

// add registers the flags on cmd; withWait adds --wait.
func (w *waitFlags) add(cmd *cobra.Command, withWait bool) {
	if withWait {
		cmd.Flags().BoolVar(&w.wait, "wait", false, "wait until every job has finished; exit 1 if any failed")
	}
	cmd.Flags().DurationVar(&w.interval, "interval", client.DefaultWaitInterval, "time between two polls of the jobs")
	cmd.Flags().DurationVar(&w.timeout, "timeout", 0, "give up waiting after this long (0: no limit)")
}

// check validates the flags.
func (w *waitFlags) check() error {
	if w.interval <= 0 {
		return usagef("invalid --interval %v: must be positive", w.interval)
	}
	if w.timeout < 0 {
		return usagef("invalid --timeout %v: must not be negative", w.timeout)
	}
	return nil
}
