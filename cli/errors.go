package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/opencph/opencph/client"
)

// The codes of the JSON errors that do not come from the server.
const (
	codeUsage       = "cli.usage"         // exit 2
	codeFailed      = "cli.failed"        // exit 1: a refused item or a failed job
	codeLocal       = "cli.error"         // exit 1: a local failure
	codeNotLoggedIn = "cli.not_logged_in" // exit 3
	codeAPI         = "cli.api"           // exit 3: an API error without a code
	codeNetwork     = "cli.network"       // exit 4
	codeTimeout     = "cli.timeout"       // exit 5
	codeInterrupted = "cli.interrupted"   // exit 130
)

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

// waitError is a wait for the jobs of a request that did not see them
// finish: it timed out, was interrupted or failed. The jobs go on.
type waitError struct {
	requestID string
	err       error
}

func (e *waitError) Error() string { return e.err.Error() }
func (e *waitError) Unwrap() error { return e.err }

// resumeHint tells how to pick up a wait that ended early.
func (e *waitError) resumeHint() string {
	return fmt.Sprintf("the jobs go on on the server; resume with 'cph jobs wait %s' or list them with 'cph jobs list --request-id %s'", e.requestID, e.requestID)
}

// cmdError is an error of a command's own code, as opposed to one of
// cobra's parsing (which are all usage errors).
type cmdError struct{ err error }

func (e *cmdError) Error() string { return e.err.Error() }
func (e *cmdError) Unwrap() error { return e.err }

// errTimeout marks a wait that gave up after --wait-timeout.
var errTimeout = errors.New("timed out")

// errFailed is the error of a command whose failures were already printed.
var errFailed = &exitError{code: ExitFailure, err: errors.New("failed"), silent: true}

// jsonError is the JSON form of an error, written to stderr with -o json:
// {"error":{...}}.
type jsonError struct {
	Error jsonErrorBody `json:"error"`
}

// jsonErrorBody describes one error.
type jsonErrorBody struct {
	// Code is the server's error code (e.g. "CPS.0005") or one of the
	// cli.* codes.
	Code string `json:"code"`
	// Message is the error message.
	Message string `json:"message"`
	// Status is the HTTP status of an API error.
	Status int `json:"status,omitempty"`
	// RequestID is the id of the refused call, or of the request whose
	// jobs a wait gave up on.
	RequestID string `json:"request_id,omitempty"`
	// Hint says what to do.
	Hint string `json:"hint,omitempty"`
	// ExitCode is the exit code of the command.
	ExitCode int `json:"exit_code"`
}

// classify returns the exit code and the description of an error of a
// command's own code (not of cobra's parsing). s may be the zero value
// when the settings are not known.
func classify(ctx context.Context, err error, s settings) (int, jsonErrorBody) {
	var (
		ue     *usageError
		we     *waitError
		apiErr *client.APIError
		ee     *exitError
	)
	b := jsonErrorBody{Message: err.Error()}
	if errors.As(err, &we) {
		b.RequestID = we.requestID
		b.Hint = we.resumeHint()
	}
	switch {
	case errors.As(err, &ue):
		b.Code = codeUsage
		return ExitUsage, b
	case errors.As(err, &ee):
		b.Code = codeFailed
		if ee.code != ExitFailure {
			b.Code = codeLocal
		}
		return ee.code, b
	case errors.Is(err, errTimeout):
		b.Code = codeTimeout
		return ExitTimeout, b
	case ctx.Err() != nil && errors.Is(err, ctx.Err()), errors.Is(err, context.Canceled):
		b.Code, b.Message = codeInterrupted, "interrupted"
		return ExitInterrupted, b
	case errors.Is(err, client.ErrNotLoggedIn):
		b.Code = codeNotLoggedIn
		b.Hint = "run 'cph login', or set --password or " + EnvPassword
		if errors.As(err, &apiErr) {
			b.Status = apiErr.StatusCode
		}
		return ExitAPI, b
	case errors.As(err, &apiErr):
		b.Code, b.Status, b.Message, b.RequestID = apiErr.Code, apiErr.StatusCode, apiErr.Message, apiErr.RequestID
		if b.Code == "" {
			b.Code = codeAPI
		}
		b.Hint = apiHint(apiErr, s)
		return ExitAPI, b
	}
	if msg, hint, ok := networkError(err, s); ok {
		b.Code, b.Message, b.Hint = codeNetwork, msg, hint
		return ExitNetwork, b
	}
	b.Code = codeLocal
	return ExitFailure, b
}

// badScopeMessage is the message of the 401 that the token service gives
// when the password was right but the project scope was not: the project
// is unknown, disabled or of another account. Wrong credentials of any kind
// get "The username or password is wrong." instead.
const badScopeMessage = "The request you have made requires authentication."

// apiHint says what to do about some API errors.
func apiHint(e *client.APIError, s settings) string {
	switch {
	case e.StatusCode == http.StatusUnauthorized && e.Message == badScopeMessage && s.Project != "":
		return fmt.Sprintf("the user name and password were accepted but project %q is unknown (or disabled) in account %q; check --project or %s (a region name such as %s, or a project id)",
			s.Project, s.Domain, EnvProject, DefaultProject)
	case e.StatusCode == http.StatusTooManyRequests:
		return "too many requests: wait a little and try again"
	}
	return ""
}

// networkError reports whether err is a failure to reach the server and,
// if so, returns a message and says what to do.
func networkError(err error, s settings) (msg, hint string, ok bool) {
	var (
		ue *url.Error
		oe *net.OpError
		de *net.DNSError
		ne net.Error
	)
	if !errors.As(err, &ue) && !errors.As(err, &oe) && !errors.As(err, &de) {
		return "", "", false
	}
	cause := err
	switch {
	case oe != nil || errors.As(err, &oe):
		cause = oe.Err
	case ue != nil:
		cause = ue.Err
	}
	var what string
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		what, hint = "connection refused", "is cphd running there? Set "+EnvEndpoint+" or --endpoint to its address"
	case errors.As(err, &de):
		what, hint = "unknown host "+de.Name, "set "+EnvEndpoint+" or --endpoint to cphd's address"
	case errors.As(err, &ne) && ne.Timeout():
		what, hint = "no answer in time", "is cphd running there and reachable from here?"
	default:
		what, hint = cause.Error(), "check "+EnvEndpoint+" or --endpoint"
	}
	endpoint := s.Endpoint
	if endpoint == "" {
		endpoint = "the endpoint"
	}
	return fmt.Sprintf("cannot reach cphd at %s: %s", endpoint, what), hint, true
}

// exit prints err, if any, and returns the exit code for it. Errors that
// cobra returns itself (unknown commands and flags, wrong number of
// arguments) are usage errors; the others were classified by run.
func (a *app) exit(ctx context.Context, cmd *cobra.Command, err error) int {
	if err == nil {
		return ExitOK
	}
	var ee *exitError
	errors.As(err, &ee)
	var (
		code int
		b    jsonErrorBody
		ue   *usageError
	)
	if ee != nil && ee.silent {
		return ee.code
	}
	var ce *cmdError
	if errors.As(err, &ce) {
		code, b = classify(ctx, ce.err, a.resolved)
	}
	if errors.As(err, &ue) || ce == nil {
		code, b = ExitUsage, jsonErrorBody{Code: codeUsage, Message: err.Error()}
		path := "cph"
		if cmd != nil {
			path = cmd.CommandPath()
		}
		b.Hint = fmt.Sprintf("run '%s --help' for usage", path)
	}
	b.ExitCode = code
	a.printError(b)
	return code
}

// printError writes an error to stderr: as JSON with -o json, else as
// text lines.
func (a *app) printError(b jsonErrorBody) {
	if a.flags.output == "json" {
		data, err := json.Marshal(jsonError{Error: b})
		if err == nil {
			fmt.Fprintf(a.stderr, "%s\n", data)
			return
		}
	}
	msg := b.Message
	switch {
	case b.Status != 0:
		if b.Code != "" && b.Code != codeAPI && b.Code != codeNotLoggedIn {
			msg = b.Code + ": " + b.Message
		} else if b.Code != codeNotLoggedIn {
			msg = fmt.Sprintf("HTTP %d: %s", b.Status, b.Message)
		}
		if b.RequestID != "" && b.Code != codeNotLoggedIn {
			msg += " (request " + b.RequestID + ")"
		}
	}
	fmt.Fprintf(a.stderr, "error: %s\n", msg)
	if b.Hint != "" {
		fmt.Fprintf(a.stderr, "%s%s.\n", strings.ToUpper(b.Hint[:1]), b.Hint[1:])
	}
}
