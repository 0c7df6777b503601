package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/opencph/opencph/client"
)

// The "cph iam" commands administer accounts, users, projects and access
// keys. Some of their flags (--domain, --user, --password, --project of
// "iam accounts create", --password of "iam users create") describe what
// is created and hide the global flags of the same names; the caller's own
// settings then come from the environment (CPH_DOMAIN, CPH_USER,
// CPH_PASSWORD, CPH_PROJECT) or, without a password, from the cached token.

func (a *app) iamCommand() *cobra.Command {
	cmd := group("iam", "Manage accounts, users, projects and access keys",
		group("accounts", "Create and list accounts (operators)",
			a.iamAccountsCreateCommand(),
			a.iamAccountsListCommand(),
		),
		group("users", "Create, list, disable and delete the users of an account, change passwords",
			a.iamUsersCreateCommand(),
			a.iamUsersListCommand(),
			a.iamUsersPasswdCommand(),
			a.iamUsersEnabledCommand("disable", false),
			a.iamUsersEnabledCommand("enable", true),
			a.iamUsersDeleteCommand(),
		),
		group("projects", "Create and list the projects of an account",
			a.iamProjectsCreateCommand(),
			a.projectsListCommand(),
		),
		group("keys", "Manage permanent access keys (AK/SK)",
			a.iamKeysCreateCommand(),
			a.iamKeysListCommand(),
			a.iamKeysShowCommand(),
			a.iamKeyStatusCommand("enable", client.KeyActive),
			a.iamKeyStatusCommand("disable", client.KeyInactive),
			a.iamKeysDeleteCommand(),
		),
	)
	cmd.Long = `Manage the IAM resources of OpenCPH.

The admins of the installation's first (bootstrap) account are its
operators: they create accounts. An account's admins create its users
(role admin, or readonly: list and show only) and projects (one per
region name), and manage every user's access keys; every user manages
their own keys.`
	return cmd
}

// iamPasswordFlags are the flags giving the password of a new user.
type iamPasswordFlags struct {
	password string
	stdin    bool
}

// add registers --password and --password-stdin on cmd. The local
// --password hides the global one.
func (p *iamPasswordFlags) add(cmd *cobra.Command, whose string) {
	cmd.Flags().StringVar(&p.password, "password", "", "password of "+whose+", at least 8 characters")
	cmd.Flags().BoolVar(&p.stdin, "password-stdin", false, "read the password of "+whose+" from the first line of standard input")
}

// value returns the new password from the flags or standard input.
func (p *iamPasswordFlags) value(a *app, cmd *cobra.Command) (string, error) {
	changed := cmd.Flags().Changed("password")
	switch {
	case p.stdin && changed:
		return "", usagef("--password and --password-stdin are mutually exclusive")
	case p.stdin:
		pw, err := readLine(a.stdin)
		if err != nil {
			return "", fmt.Errorf("read password from standard input: %w", err)
		}
		return pw, nil
	case !changed || p.password == "":
		return "", usagef("no password for the new user: use --password or --password-stdin")
	}
	return p.password, nil
}

// withNewPassword completes c as a command that sets the password of a
// user (whose: "the new user", ...): it adds --password and
// --password-stdin; after c.Check it reads the password into *password and
// takes the caller's settings that the command's flags hide (hidden, as
// iamCaller names them) from the environment.
func withNewPassword[T any](a *app, c command[T], password *string, whose string, hidden ...string) command[T] {
	var pw iamPasswordFlags
	flags, check := c.Flags, c.Check
	c.Flags = func(cmd *cobra.Command) {
		if flags != nil {
			flags(cmd)
		}
		pw.add(cmd, whose)
	}
	c.Check = func(cmd *cobra.Command, args []string, s *settings) (err error) {
		if check != nil {
			if err := check(cmd, args, s); err != nil {
				return err
			}
		}
		if *password, err = pw.value(a, cmd); err != nil {
			return err
		}
		*s = a.iamCaller(*s, hidden...)
		return nil
	}
	return c
}

// iamCaller returns s with the caller's settings that cmd's local flags
// hide taken from the environment and defaults instead: domain, user,
// password and project, as named in hidden.
func (a *app) iamCaller(s settings, hidden ...string) settings {
	for _, name := range hidden {
		switch name {
		case "domain":
			s.Domain = a.getenv(EnvDomain)
		case "password":
			s.Password = a.getenv(EnvPassword)
		case "project":
			if s.Project = a.getenv(EnvProject); s.Project == "" {
				s.Project = DefaultProject
			}
		}
	}
	for _, name := range hidden {
		if name == "user" {
			if s.User = a.getenv(EnvUser); s.User == "" {
				s.User = s.Domain
			}
		}
	}
	return s
}

// iamTime formats an IAM time, or "" when zero.
func iamTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}

func (a *app) iamAccountsCreateCommand() *cobra.Command {
	var acc client.NewAccount
	return withNewPassword(a, command[*client.Account]{
		Use:   "create --domain NAME [--user NAME] --password PASSWORD [--project REGION]",
		Short: "Create an account with its first admin user (operators only)",
		Long: `Create an account (POST /v3/domains) with its first user, an admin, and
optionally its first project. Only operators, the admins of the bootstrap
account, may create accounts.

--domain, --user, --password and --project describe the new account; the
operator's own account, user, password and project come from CPH_DOMAIN,
CPH_USER, CPH_PASSWORD and CPH_PROJECT (or the cached token of "cph login").`,
		Example: `  CPH_DOMAIN=opencph cph iam accounts create --domain bravo --password-stdin --project cn-south-1 < pw.txt`,
		Args:    cobra.NoArgs,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&acc.Domain, "domain", "", "name of the new account (required)")
			cmd.Flags().StringVar(&acc.User, "user", "", "name of the account's first user (default: the account name)")
			cmd.Flags().StringVar(&acc.Project, "project", "", "name of the account's first project, a region id such as cn-north-4 (default: none)")
		},
		Check: func(*cobra.Command, []string, *settings) error {
			if acc.Domain == "" {
				return usagef("--domain is required: the name of the new account")
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (*client.Account, error) {
			return c.CreateAccount(ctx, acc)
		},
		Fields: func(acc *client.Account) []string {
			kv := []string{
				"domain_id", acc.Domain.ID,
				"domain_name", acc.Domain.Name,
				"user_id", acc.User.ID,
				"user_name", acc.User.Name,
				"role", acc.User.Role,
			}
			if acc.Project != nil {
				kv = append(kv, "project_id", acc.Project.ID, "project_name", acc.Project.Name)
			}
			return kv
		},
	}, &acc.Password, "the account's first user", "domain", "user", "password", "project").build(a)
}

func (a *app) iamAccountsListCommand() *cobra.Command {
	return listCommand(a, "list", "List the accounts: every account for an operator, your own otherwise", "domains",
		func(ctx context.Context, c *client.Client) ([]client.Domain, error) { return c.ListDomains(ctx) },
		[]string{"DOMAIN_ID", "NAME", "ENABLED"},
		func(d client.Domain) []string { return []string{d.ID, d.Name, strconv.FormatBool(d.Enabled)} })
}

// iamUserFields are the fields of a user in table output.
func iamUserFields(u *client.User) []string {
	return []string{
		"user_id", u.ID,
		"name", u.Name,
		"domain_id", u.DomainID,
		"role", u.Role,
		"enabled", strconv.FormatBool(u.Enabled),
	}
}

func (a *app) iamUsersCreateCommand() *cobra.Command {
	var u client.NewUser
	return withNewPassword(a, command[*client.User]{
		Use:   "create NAME --password PASSWORD [--role admin|readonly]",
		Short: "Create a user (account admins)",
		Long: `Create a user (POST /v3/users) in your account, or, for operators, in the
account --domain-id. A readonly user may list and show but not change
anything.

--password is the new user's password; yours comes from CPH_PASSWORD (or
the cached token of "cph login").`,
		Example: `  cph iam users create viewer --password-stdin < viewer-password.txt
  cph iam users create ops --role admin --password 'long-enough'`,
		Args: cobra.ExactArgs(1),
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&u.Role, "role", client.RoleReadOnly, "role of the user: admin or readonly")
			cmd.Flags().StringVar(&u.DomainID, "domain-id", "", "id of the account to create the user in (default: yours)")
		},
		Check: func(*cobra.Command, []string, *settings) error {
			if u.Role != client.RoleAdmin && u.Role != client.RoleReadOnly {
				return usagef("invalid --role %q: want %s or %s", u.Role, client.RoleAdmin, client.RoleReadOnly)
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.User, error) {
			u.Name = args[0]
			return c.CreateUser(ctx, u)
		},
		Fields: iamUserFields,
	}, &u.Password, "the new user", "password").build(a)
}

func (a *app) iamUsersListCommand() *cobra.Command {
	var domainID string
	cmd := listCommand(a, "list", "List the users of your account (or, for operators, of --domain-id)", "users",
		func(ctx context.Context, c *client.Client) ([]client.User, error) { return c.ListUsers(ctx, domainID) },
		[]string{"USER_ID", "NAME", "ROLE", "ENABLED", "DOMAIN_ID"},
		func(u client.User) []string {
			return []string{u.ID, u.Name, u.Role, strconv.FormatBool(u.Enabled), u.DomainID}
		})
	cmd.Flags().StringVar(&domainID, "domain-id", "", "id of the account whose users to list (default: yours)")
	return cmd
}

func (a *app) iamProjectsCreateCommand() *cobra.Command {
	var p client.NewProject
	return command[*client.Project]{
		Use:   "create NAME",
		Short: "Create a project named for a region (account admins)",
		Long: `Create a project (POST /v3/projects) in your account, or, for operators, in
the account --domain-id. Its name is a region id such as cn-south-1; an
account has at most one project per name.`,
		Example: `  cph iam projects create cn-south-1 --description "Shenzhen"`,
		Args:    cobra.ExactArgs(1),
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&p.Description, "description", "", "description of the project, at most 255 characters")
			cmd.Flags().StringVar(&p.DomainID, "domain-id", "", "id of the account to create the project in (default: yours)")
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.Project, error) {
			p.Name = args[0]
			return c.CreateProject(ctx, p)
		},
		Fields: func(p *client.Project) []string {
			return []string{
				"project_id", p.ID,
				"name", p.Name,
				"domain_id", p.DomainID,
				"enabled", strconv.FormatBool(p.Enabled),
				"description", p.Description,
			}
		},
	}.build(a)
}

// iamKeyFields are the fields of an access key in table output, with the
// secret when it is known and the last use when withLastUse.
func iamKeyFields(k *client.AccessKey, withLastUse bool) []string {
	kv := []string{"access", k.Access}
	if k.Secret != "" {
		kv = append(kv, "secret", k.Secret)
	}
	kv = append(kv,
		"status", k.Status,
		"user_id", k.UserID,
		"description", k.Description,
		"create_time", iamTime(k.CreateTime),
	)
	if withLastUse {
		kv = append(kv, "last_use_time", iamTime(k.LastUseTime))
	}
	return kv
}

// keyFields are the fields of an access key without its last use.
func keyFields(k *client.AccessKey) []string { return iamKeyFields(k, false) }

func (a *app) iamKeysCreateCommand() *cobra.Command {
	var userID, description string
	return command[*client.AccessKey]{
		Use:   "create",
		Short: "Create an access key and print its secret, once",
		Long: `Create a permanent access key (POST /v3.0/OS-CREDENTIAL/credentials) for
you or, for account admins, for another user of the account. The secret
key is printed this once: the server never shows it again. A user has at
most 2 keys.`,
		Example: `  cph iam keys create --description ci
  cph iam keys create --user-id 3f2a9c1e7b4d4e5f8a6b0c9d1e2f3a4b -o json`,
		Args: cobra.NoArgs,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&userID, "user-id", "", "id of the user to create the key for (default: you)")
			cmd.Flags().StringVar(&description, "description", "", "description of the key, at most 255 characters")
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (*client.AccessKey, error) {
			if userID == "" {
				tok, err := c.Token(ctx)
				if err != nil {
					return nil, err
				}
				userID = tok.UserID
			}
			return c.CreateAccessKey(ctx, userID, description)
		},
		Fields: keyFields,
		Done: func([]string, *client.AccessKey) error {
			fmt.Fprintln(a.stderr, "Keep the secret key now: it is not shown again.")
			return nil
		},
	}.build(a)
}

func (a *app) iamKeysListCommand() *cobra.Command {
	var userID string
	cmd := listCommand(a, "list", "List the access keys of a user, without their secrets", "credentials",
		func(ctx context.Context, c *client.Client) ([]client.AccessKey, error) {
			return c.ListAccessKeys(ctx, userID)
		},
		[]string{"ACCESS", "STATUS", "USER_ID", "DESCRIPTION", "CREATED"},
		func(k client.AccessKey) []string {
			return []string{k.Access, k.Status, k.UserID, k.Description, iamTime(k.CreateTime)}
		})
	cmd.Flags().StringVar(&userID, "user-id", "", "id of the user whose keys to list (default: you)")
	return cmd
}

func (a *app) iamKeysShowCommand() *cobra.Command {
	return withID(command[*client.AccessKey]{
		Use:    "show ACCESS_KEY",
		Short:  "Show an access key, with its last use",
		Fields: func(k *client.AccessKey) []string { return iamKeyFields(k, true) },
	}, (*client.Client).ShowAccessKey).build(a)
}

// iamKeyStatusCommand returns "keys enable" or "keys disable": it sets
// the status of a key.
func (a *app) iamKeyStatusCommand(verb, status string) *cobra.Command {
	short := "Enable an access key: requests signed with it are accepted again"
	if status == client.KeyInactive {
		short = "Disable an access key: requests signed with it are refused (401)"
	}
	return command[*client.AccessKey]{
		Use:   verb + " ACCESS_KEY",
		Short: short,
		Args:  cobra.ExactArgs(1),
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.AccessKey, error) {
			return c.UpdateAccessKey(ctx, args[0], &status, nil)
		},
		Fields: keyFields,
	}.build(a)
}

// outcome is the answer of a change that the API answers with nothing:
// the id of what changed, under key, and what was done, e.g. "deleted".
type outcome struct{ key, id, done string }

// JSON is the JSON form, e.g. {"user_id": ..., "deleted": true}.
func (o outcome) JSON() any { return map[string]any{o.key: o.id, o.done: true} }

// Fields is the table form.
func (o outcome) Fields() []string { return []string{o.key, o.id, o.done, "true"} }

func (a *app) iamKeysDeleteCommand() *cobra.Command {
	return withID(command[outcome]{
		Use:   "delete ACCESS_KEY",
		Short: "Delete an access key: requests signed with it are refused at once",
		JSON:  outcome.JSON,
		Text: func(o outcome) error {
			fmt.Fprintf(a.stdout, "Deleted access key %s.\n", o.id)
			return nil
		},
	}, outcomeOf("access", "deleted", (*client.Client).DeleteAccessKey)).build(a)
}
