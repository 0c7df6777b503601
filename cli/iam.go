package cli

import (
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
			a.iamProjectsListCommand(),
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
	var (
		domain, user, project string
		pw                    iamPasswordFlags
	)
	cmd := &cobra.Command{
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
	}
	cmd.Flags().StringVar(&domain, "domain", "", "name of the new account (required)")
	cmd.Flags().StringVar(&user, "user", "", "name of the account's first user (default: the account name)")
	cmd.Flags().StringVar(&project, "project", "", "name of the account's first project, a region id such as cn-north-4 (default: none)")
	pw.add(cmd, "the account's first user")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		if domain == "" {
			return usagef("--domain is required: the name of the new account")
		}
		password, err := pw.value(a, cmd)
		if err != nil {
			return err
		}
		c, err := a.newClient(a.iamCaller(s, "domain", "user", "password", "project"))
		if err != nil {
			return err
		}
		acc, err := c.CreateAccount(cmd.Context(), client.NewAccount{Domain: domain, User: user, Password: password, Project: project})
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, acc)
		}
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
		return writeFields(a.stdout, kv...)
	})
	return cmd
}

func (a *app) iamAccountsListCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the accounts: every account for an operator, your own otherwise",
		Args:  cobra.NoArgs,
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		ds, err := c.ListDomains(cmd.Context())
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"domains": ds})
		}
		t := &table{header: []string{"DOMAIN_ID", "NAME", "ENABLED"}}
		for _, d := range ds {
			t.add(d.ID, d.Name, strconv.FormatBool(d.Enabled))
		}
		return t.write(a.stdout)
	})
	return cmd
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
	var (
		role, domainID string
		pw             iamPasswordFlags
	)
	cmd := &cobra.Command{
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
	}
	cmd.Flags().StringVar(&role, "role", client.RoleReadOnly, "role of the user: admin or readonly")
	cmd.Flags().StringVar(&domainID, "domain-id", "", "id of the account to create the user in (default: yours)")
	pw.add(cmd, "the new user")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		if role != client.RoleAdmin && role != client.RoleReadOnly {
			return usagef("invalid --role %q: want %s or %s", role, client.RoleAdmin, client.RoleReadOnly)
		}
		password, err := pw.value(a, cmd)
		if err != nil {
			return err
		}
		c, err := a.newClient(a.iamCaller(s, "password"))
		if err != nil {
			return err
		}
		u, err := c.CreateUser(cmd.Context(), client.NewUser{Name: args[0], Password: password, DomainID: domainID, Role: role})
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

func (a *app) iamUsersListCommand() *cobra.Command {
	var domainID string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the users of your account (or, for operators, of --domain-id)",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&domainID, "domain-id", "", "id of the account whose users to list (default: yours)")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		us, err := c.ListUsers(cmd.Context(), domainID)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"users": us})
		}
		t := &table{header: []string{"USER_ID", "NAME", "ROLE", "ENABLED", "DOMAIN_ID"}}
		for _, u := range us {
			t.add(u.ID, u.Name, u.Role, strconv.FormatBool(u.Enabled), u.DomainID)
		}
		return t.write(a.stdout)
	})
	return cmd
}

func (a *app) iamProjectsCreateCommand() *cobra.Command {
	var description, domainID string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a project named for a region (account admins)",
		Long: `Create a project (POST /v3/projects) in your account, or, for operators, in
the account --domain-id. Its name is a region id such as cn-south-1; an
account has at most one project per name.`,
		Example: `  cph iam projects create cn-south-1 --description "Shenzhen"`,
		Args:    cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&description, "description", "", "description of the project, at most 255 characters")
	cmd.Flags().StringVar(&domainID, "domain-id", "", "id of the account to create the project in (default: yours)")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		p, err := c.CreateProject(cmd.Context(), client.NewProject{Name: args[0], DomainID: domainID, Description: description})
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, p)
		}
		return writeFields(a.stdout,
			"project_id", p.ID,
			"name", p.Name,
			"domain_id", p.DomainID,
			"enabled", strconv.FormatBool(p.Enabled),
			"description", p.Description,
		)
	})
	return cmd
}

func (a *app) iamProjectsListCommand() *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the projects of your account",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&name, "name", "", "keep the project with this exact name")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		ps, err := c.ListProjects(cmd.Context(), name)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"projects": ps})
		}
		return projectsTable(ps).write(a.stdout)
	})
	return cmd
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

func (a *app) iamKeysCreateCommand() *cobra.Command {
	var userID, description string
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an access key and print its secret, once",
		Long: `Create a permanent access key (POST /v3.0/OS-CREDENTIAL/credentials) for
you or, for account admins, for another user of the account. The secret
key is printed this once: the server never shows it again. A user has at
most 2 keys.`,
		Example: `  cph iam keys create --description ci
  cph iam keys create --user-id 3f2a9c1e7b4d4e5f8a6b0c9d1e2f3a4b -o json`,
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVar(&userID, "user-id", "", "id of the user to create the key for (default: you)")
	cmd.Flags().StringVar(&description, "description", "", "description of the key, at most 255 characters")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if userID == "" {
			tok, err := c.Token(cmd.Context())
			if err != nil {
				return err
			}
			userID = tok.UserID
		}
		k, err := c.CreateAccessKey(cmd.Context(), userID, description)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			err = writeJSON(a.stdout, k)
		} else {
			err = writeFields(a.stdout, iamKeyFields(k, false)...)
		}
		if err != nil {
			return err
		}
		fmt.Fprintln(a.stderr, "Keep the secret key now: it is not shown again.")
		return nil
	})
	return cmd
}

func (a *app) iamKeysListCommand() *cobra.Command {
	var userID string
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the access keys of a user, without their secrets",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().StringVar(&userID, "user-id", "", "id of the user whose keys to list (default: you)")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		ks, err := c.ListAccessKeys(cmd.Context(), userID)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"credentials": ks})
		}
		t := &table{header: []string{"ACCESS", "STATUS", "USER_ID", "DESCRIPTION", "CREATED"}}
		for _, k := range ks {
			t.add(k.Access, k.Status, k.UserID, k.Description, iamTime(k.CreateTime))
		}
		return t.write(a.stdout)
	})
	return cmd
}

func (a *app) iamKeysShowCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show ACCESS_KEY",
		Short: "Show an access key, with its last use",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		k, err := c.ShowAccessKey(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, k)
		}
		return writeFields(a.stdout, iamKeyFields(k, true)...)
	})
	return cmd
}

// iamKeyStatusCommand returns "keys enable" or "keys disable": it sets
// the status of a key.
func (a *app) iamKeyStatusCommand(verb, status string) *cobra.Command {
	short := "Enable an access key: requests signed with it are accepted again"
	if status == client.KeyInactive {
		short = "Disable an access key: requests signed with it are refused (401)"
	}
	cmd := &cobra.Command{
		Use:   verb + " ACCESS_KEY",
		Short: short,
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		k, err := c.UpdateAccessKey(cmd.Context(), args[0], &status, nil)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, k)
		}
		return writeFields(a.stdout, iamKeyFields(k, false)...)
	})
	return cmd
}

func (a *app) iamKeysDeleteCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete ACCESS_KEY",
		Short: "Delete an access key: requests signed with it are refused at once",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if err := c.DeleteAccessKey(cmd.Context(), args[0]); err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"access": args[0], "deleted": true})
		}
		fmt.Fprintf(a.stdout, "Deleted access key %s.\n", args[0])
		return nil
	})
	return cmd
}
