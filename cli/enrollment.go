package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/opencph/opencph/client"
)

// enrollmentTokensCommand is "cph enrollment-tokens": the project's agent
// enrollment tokens (project admins only).
func (a *app) enrollmentTokensCommand() *cobra.Command {
	return group("enrollment-tokens", "Create, list and revoke the project's agent enrollment tokens (admins)",
		a.enrollmentTokensCreateCommand(), a.enrollmentTokensListCommand(), a.enrollmentTokensRevokeCommand())
}

func (a *app) enrollmentTokensCreateCommand() *cobra.Command {
	var (
		description string
		expiresIn   time.Duration
	)
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an enrollment token; prints its secret, shown only this once",
		Long: `Create an enrollment token of the project. A cph-agent that presents it
enrolls a new server into this project, and into no other. The secret is
printed on standard output only this once (the control plane keeps its
hash); hand it to the agent in a file (cph-agent --enroll-token-file) or
the environment (CPH_ENROLL_TOKEN), not on its command line.`,
		Example: `  cph enrollment-tokens create --description rack-7 --expires-in 24h > token && chmod 600 token`,
		Args:    cobra.NoArgs,
	}
	cmd.Flags().StringVar(&description, "description", "", "free text, at most 255 characters")
	cmd.Flags().DurationVar(&expiresIn, "expires-in", 0, "the token stops enrolling after this long (e.g. 24h); 0 = never")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		if expiresIn < 0 {
			return &usageError{fmt.Errorf("--expires-in must not be negative")}
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		req := client.NewEnrollmentToken{Description: description}
		if expiresIn > 0 {
			req.ExpiresAt = time.Now().Add(expiresIn)
		}
		tok, err := c.CreateEnrollmentToken(cmd.Context(), req)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, tok)
		}
		fmt.Fprintln(a.stdout, tok.Token)
		expires := "never expires"
		if !tok.ExpiresAt.IsZero() {
			expires = "expires " + fmtTime(tok.ExpiresAt)
		}
		fmt.Fprintf(a.stderr, "enrollment token %s created (%s); the secret above is shown only this once\n", tok.ID, expires)
		return nil
	})
	return cmd
}

func (a *app) enrollmentTokensListCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the project's enrollment tokens (without their secrets)",
		Args:  cobra.NoArgs,
	}
	var quiet bool
	addQuiet(cmd, &quiet)
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		list, err := c.ListEnrollmentTokens(cmd.Context())
		if err != nil {
			return err
		}
		if quiet {
			for _, tok := range list {
				fmt.Fprintln(a.stdout, cell(tok.ID))
			}
			return nil
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, list)
		}
		t := &table{header: []string{"ID", "DESCRIPTION", "CREATED", "EXPIRES", "LAST USED"}}
		for _, tok := range list {
			t.add(tok.ID, tok.Description, fmtTime(tok.CreatedAt), fmtTime(tok.ExpiresAt), fmtTime(tok.LastUsedAt))
		}
		return t.write(a.stdout)
	})
	return cmd
}

func (a *app) enrollmentTokensRevokeCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "revoke TOKEN_ID",
		Short: "Revoke an enrollment token at once (servers it enrolled keep working)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if err := c.RevokeEnrollmentToken(cmd.Context(), args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "enrollment token %s revoked\n", args[0])
		return nil
	})
	return cmd
}
