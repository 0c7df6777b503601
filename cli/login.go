package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/opencph/opencph/client"
)

// loginInfo is the JSON output of "cph login": the token's description,
// without the token itself.
type loginInfo struct {
	ProjectID   string    `json:"project_id"`
	ProjectName string    `json:"project_name"`
	UserID      string    `json:"user_id"`
	UserName    string    `json:"user_name"`
	DomainID    string    `json:"domain_id"`
	DomainName  string    `json:"domain_name"`
	IssuedAt    time.Time `json:"issued_at"`
	ExpiresAt   time.Time `json:"expires_at"`
	Endpoint    string    `json:"endpoint"`
}

func (a *app) loginCommand() *cobra.Command {
	var passwordStdin bool
	return command[loginInfo]{
		Use:   "login",
		Short: "Get a token and cache it for the following commands",
		Long: `Get a new token (POST /v3/auth/tokens) scoped to the project and cache it,
readable by the owner only, in the cache directory. Commands reuse it
without a password until 5 minutes before it expires.

The password comes from --password, else CPH_PASSWORD, else the first line
of standard input with --password-stdin, else a prompt when standard input
is a terminal.`,
		Args: cobra.NoArgs,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&passwordStdin, "password-stdin", false, "read the password from the first line of standard input")
		},
		Check: func(cmd *cobra.Command, _ []string, s *settings) error {
			if passwordStdin {
				if cmd.Flags().Changed("password") {
					return usagef("--password and --password-stdin are mutually exclusive")
				}
				pw, err := readLine(a.stdin)
				if err != nil {
					return fmt.Errorf("read password from standard input: %w", err)
				}
				s.Password = pw
			}
			if s.Password == "" {
				pw, err := a.promptPassword()
				if err != nil {
					return err
				}
				s.Password = pw
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (loginInfo, error) {
			tok, err := c.Login(ctx)
			if err != nil {
				return loginInfo{}, err
			}
			return loginInfo{
				ProjectID: tok.ProjectID, ProjectName: tok.ProjectName,
				UserID: tok.UserID, UserName: tok.UserName,
				DomainID: tok.DomainID, DomainName: tok.DomainName,
				IssuedAt: tok.IssuedAt, ExpiresAt: tok.ExpiresAt,
				Endpoint: c.Endpoint(),
			}, nil
		},
		Fields: func(info loginInfo) []string {
			return []string{
				"endpoint", info.Endpoint,
				"user", info.UserName + " (" + info.DomainName + ")",
				"project_id", info.ProjectID,
				"project_name", info.ProjectName,
				"expires_at", info.ExpiresAt.UTC().Format(time.RFC3339),
			}
		},
	}.build(a)
}

// promptPassword asks for the password on the terminal. When standard
// input is not a terminal it reads nothing and fails.
func (a *app) promptPassword() (string, error) {
	f, ok := a.stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return "", usagef("no password: use --password, %s or --password-stdin", EnvPassword)
	}
	fmt.Fprint(a.stderr, "Password: ")
	b, err := term.ReadPassword(int(f.Fd()))
	fmt.Fprintln(a.stderr)
	if err != nil {
		return "", fmt.Errorf("read password: %w", err)
	}
	if len(b) == 0 {
		return "", usagef("empty password")
	}
	return string(b), nil
}

// readLine reads the first line of r, without its line ending.
func readLine(r io.Reader) (string, error) {
	if r == nil {
		return "", errors.New("no standard input")
	}
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", errors.New("empty password")
	}
	return line, nil
}

func (a *app) logoutCommand() *cobra.Command {
	return command[bool]{
		Use:   "logout",
		Short: "Delete the cached token",
		Long: `Delete the token cached for this endpoint, account, user and project.
The token is not revoked on the server; it expires 24 hours after login.`,
		Args: cobra.NoArgs,
		Call: func(ctx context.Context, c *client.Client, _ []string) (bool, error) {
			_, had := c.CachedToken()
			return had, c.Logout(ctx)
		},
		JSON: func(had bool) any { return map[string]bool{"deleted": had} },
		Text: func(had bool) error {
			if had {
				fmt.Fprintln(a.stdout, "Logged out: the cached token was deleted.")
			} else {
				fmt.Fprintln(a.stdout, "No cached token.")
			}
			return nil
		},
	}.build(a)
}
