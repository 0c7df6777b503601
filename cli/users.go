package cli

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opencph/opencph/client"
)

// The "cph iam users passwd|disable|enable|delete" commands. Each revokes
// the user's tokens at once.

// iamUserID resolves USER, a user name of the account domainID (the
// caller's when empty) or a user id, to the user's id.
func iamUserID(ctx context.Context, c *client.Client, ref, domainID string) (string, error) {
	us, err := c.ListUsers(ctx, domainID)
	if err != nil {
		return "", err
	}
	for _, u := range us {
		if u.Name == ref || u.ID == ref {
			return u.ID, nil
		}
	}
	return "", fmt.Errorf("no user %q in the account", ref)
}

// userCommand builds a command on USER, a user name or id that the
// --domain-id flag helps find: act gets the user's id.
func userCommand[T any](a *app, c command[T], act idCall[T]) *cobra.Command {
	var domainID string
	flags := c.Flags
	c.Args = cobra.ExactArgs(1)
	c.Flags = func(cmd *cobra.Command) {
		cmd.Flags().StringVar(&domainID, "domain-id", "", "id of the user's account, to find USER by name (default: yours)")
		if flags != nil {
			flags(cmd)
		}
	}
	c.Call = func(ctx context.Context, cl *client.Client, args []string) (T, error) {
		id, err := iamUserID(ctx, cl, args[0], domainID)
		if err != nil {
			var zero T
			return zero, err
		}
		return act(cl, ctx, id)
	}
	return c.build(a)
}

func (a *app) iamUsersPasswdCommand() *cobra.Command {
	var original, password string
	return userCommand(a, withNewPassword(a, command[outcome]{
		Use:   "passwd USER --password NEW [--original-password CURRENT]",
		Short: "Change a user's password (your own, or, for account admins, any user's)",
		Long: `Change the password of USER, a user name or id (PUT /v3/users/{user_id}/password).

Users change their own password by giving the current one: --original-password,
or else CPH_PASSWORD. Admins of an account set any of its users' passwords
without it. The user's tokens are revoked at once, on every replica: after
changing your own password, log in again with the new one.

--password (or --password-stdin) is the new password, at least 8 characters.`,
		Example: `  CPH_PASSWORD="$OLD" cph iam users passwd ops --password-stdin < new-password.txt
  cph iam users passwd viewer --password 'long-enough'`,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&original, "original-password", "", "your current password, when changing your own (default: CPH_PASSWORD)")
		},
		JSON:   outcome.JSON,
		Fields: outcome.Fields,
	}, &password, "the user", "password"), outcomeOf("user_id", "password_changed", func(c *client.Client, ctx context.Context, id string) error {
		if original == "" {
			original = a.getenv(EnvPassword)
		}
		return c.ChangePassword(ctx, id, original, password)
	}))
}

func (a *app) iamUsersEnabledCommand(verb string, enabled bool) *cobra.Command {
	short := "Enable a user (account admins)"
	long := `Enable USER, a user name or id (PATCH /v3/users/{user_id}): it may log in
again; the tokens revoked when it was disabled stay revoked.`
	if !enabled {
		short = "Disable a user: it cannot log in, and its tokens and access keys stop working (account admins)"
		long = `Disable USER, a user name or id (PATCH /v3/users/{user_id}): it cannot log
in, its tokens are revoked and its access keys refused at once, on every
replica. The last enabled admin of an account cannot be disabled.`
	}
	return userCommand(a, command[*client.User]{Use: verb + " USER", Short: short, Long: long, Fields: iamUserFields},
		func(c *client.Client, ctx context.Context, id string) (*client.User, error) {
			return c.SetUserEnabled(ctx, id, enabled)
		})
}

func (a *app) iamUsersDeleteCommand() *cobra.Command {
	return userCommand(a, command[outcome]{
		Use:   "delete USER",
		Short: "Delete a user with its tokens and access keys (account admins)",
		Long: `Delete USER, a user name or id (DELETE /v3/users/{user_id}), with its tokens
and access keys, at once on every replica. The last enabled admin of an
account cannot be deleted.`,
		JSON:   outcome.JSON,
		Fields: outcome.Fields,
	}, outcomeOf("user_id", "deleted", (*client.Client).DeleteUser))
}
