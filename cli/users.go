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

func (a *app) iamUsersPasswdCommand() *cobra.Command {
	var (
		original, domainID string
		pw                 iamPasswordFlags
	)
	cmd := &cobra.Command{
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
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&original, "original-password", "", "your current password, when changing your own (default: CPH_PASSWORD)")
	cmd.Flags().StringVar(&domainID, "domain-id", "", "id of the user's account, to find USER by name (default: yours)")
	pw.add(cmd, "the user")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		password, err := pw.value(a, cmd)
		if err != nil {
			return err
		}
		s = a.iamCaller(s, "password")
		if original == "" {
			original = s.Password
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		id, err := iamUserID(cmd.Context(), c, args[0], domainID)
		if err != nil {
			return err
		}
		if err := c.ChangePassword(cmd.Context(), id, original, password); err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"user_id": id, "password_changed": true})
		}
		return writeFields(a.stdout, "user_id", id, "password_changed", "true")
	})
	return cmd
}

func (a *app) iamUsersEnabledCommand(verb string, enabled bool) *cobra.Command {
	var domainID string
	short := "Enable a user (account admins)"
	long := `Enable USER, a user name or id (PATCH /v3/users/{user_id}): it may log in
again; the tokens revoked when it was disabled stay revoked.`
	if !enabled {
		short = "Disable a user: it cannot log in, and its tokens and access keys stop working (account admins)"
		long = `Disable USER, a user name or id (PATCH /v3/users/{user_id}): it cannot log
in, its tokens are revoked and its access keys refused at once, on every
replica. The last enabled admin of an account cannot be disabled.`
	}
	cmd := &cobra.Command{
		Use:   verb + " USER",
		Short: short,
		Long:  long,
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&domainID, "domain-id", "", "id of the user's account, to find USER by name (default: yours)")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		id, err := iamUserID(cmd.Context(), c, args[0], domainID)
		if err != nil {
			return err
		}
		u, err := c.SetUserEnabled(cmd.Context(), id, enabled)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, u)
		}
		return writeFields(a.stdout, iamUserFields(u)...)
	})
	return cmd
}

func (a *app) iamUsersDeleteCommand() *cobra.Command {
	var domainID string
	cmd := &cobra.Command{
		Use:   "delete USER",
		Short: "Delete a user with its tokens and access keys (account admins)",
		Long: `Delete USER, a user name or id (DELETE /v3/users/{user_id}), with its tokens
and access keys, at once on every replica. The last enabled admin of an
account cannot be deleted.`,
		Args: cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&domainID, "domain-id", "", "id of the user's account, to find USER by name (default: yours)")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		id, err := iamUserID(cmd.Context(), c, args[0], domainID)
		if err != nil {
			return err
		}
		if err := c.DeleteUser(cmd.Context(), id); err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"user_id": id, "deleted": true})
		}
		return writeFields(a.stdout, "user_id", id, "deleted", "true")
	})
	return cmd
}
