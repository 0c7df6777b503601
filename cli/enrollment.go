package cli

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
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
	return command[*cph.EnrollmentToken]{
		Use:   "create",
		Short: "Create an enrollment token; prints its secret, shown only this once",
		Long: `Create an enrollment token of the project. A cph-agent that presents it
enrolls a new server into this project, and into no other. The secret is
printed on standard output only this once (the control plane keeps its
hash); hand it to the agent in a file (cph-agent --enroll-token-file) or
the environment (CPH_ENROLL_TOKEN), not on its command line.`,
		Example: `  cph enrollment-tokens create --description rack-7 --expires-in 24h > token && chmod 600 token`,
		Args:    cobra.NoArgs,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&description, "description", "", "free text, at most 255 characters")
			cmd.Flags().DurationVar(&expiresIn, "expires-in", 0, "the token stops enrolling after this long (e.g. 24h); 0 = never")
		},
		Check: func(*cobra.Command, []string, *settings) error {
			if expiresIn < 0 {
				return &usageError{fmt.Errorf("--expires-in must not be negative")}
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (*cph.EnrollmentToken, error) {
			req := client.NewEnrollmentToken{Description: description}
			if expiresIn > 0 {
				req.ExpiresAt = time.Now().Add(expiresIn)
			}
			return c.CreateEnrollmentToken(ctx, req)
		},
		Text: func(tok *cph.EnrollmentToken) error {
			fmt.Fprintln(a.stdout, tok.Token)
			expires := "never expires"
			if !tok.ExpiresAt.IsZero() {
				expires = "expires " + fmtTime(tok.ExpiresAt)
			}
			fmt.Fprintf(a.stderr, "enrollment token %s created (%s); the secret above is shown only this once\n", tok.ID, expires)
			return nil
		},
	}.build(a)
}

func (a *app) enrollmentTokensListCommand() *cobra.Command {
	return command[[]cph.EnrollmentToken]{
		Use:   "list",
		Short: "List the project's enrollment tokens (without their secrets)",
		Args:  cobra.NoArgs,
		Call: func(ctx context.Context, c *client.Client, _ []string) ([]cph.EnrollmentToken, error) {
			return c.ListEnrollmentTokens(ctx)
		},
		IDs: func(list []cph.EnrollmentToken) []string {
			return ids(list, func(tok cph.EnrollmentToken) string { return tok.ID })
		},
		Table: func(list []cph.EnrollmentToken) *table {
			t := &table{header: []string{"ID", "DESCRIPTION", "CREATED", "EXPIRES", "LAST USED"}}
			for _, tok := range list {
				t.add(tok.ID, tok.Description, fmtTime(tok.CreatedAt), fmtTime(tok.ExpiresAt), fmtTime(tok.LastUsedAt))
			}
			return t
		},
	}.build(a)
}

func (a *app) enrollmentTokensRevokeCommand() *cobra.Command {
	return withID(command[none]{
		Use:   "revoke TOKEN_ID",
		Short: "Revoke an enrollment token at once (servers it enrolled keep working)",
		Done: func(args []string, _ none) error {
			fmt.Fprintf(a.stdout, "enrollment token %s revoked\n", args[0])
			return nil
		},
	}, answerless((*client.Client).RevokeEnrollmentToken)).build(a)
}
