package cphdcmd

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"strings"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/iam"
)

// runAdmin runs a "cphd admin" command.
func runAdmin(ctx context.Context, args []string, e cmdEnv) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(e.Stderr, adminUsageText())
		if len(args) == 0 {
			return errors.New("admin: a command is required")
		}
		return nil
	}
	cmd := args[0]
	if cmd == "backup" || cmd == "restore" {
		return runBackupAdmin(ctx, cmd, args[1:], e)
	}
	if cmd == "snapshot" {
		return runSnapshotAdmin(ctx, args[1:], e)
	}
	if cmd == "events" {
		return runEventsAdmin(ctx, args[1:], e)
	}
	if cmd == "rotate-server-key" {
		return runRotateServerKey(ctx, args[1:], e)
	}
	known := false
	for _, c := range adminCommands {
		known = known || c.name == cmd
	}
	if !known {
		fmt.Fprint(e.Stderr, adminUsageText())
		if s := suggestAdmin(cmd); len(s) > 0 {
			return fmt.Errorf("admin: unknown command %q; did you mean %s?", cmd, strings.Join(s, " or "))
		}
		return fmt.Errorf("admin: unknown command %q", cmd)
	}
	fs, dataDir, database := adminFlags(e, cmd)
	domain := fs.String("domain", "", "account (domain) name")
	user := fs.String("user", "", "user name")
	password := fs.String("password", "", "password (at least 8 characters)")
	project := fs.String("project", "", "project name: a region id such as cn-north-4")
	admin := fs.Bool("admin", false, "create-user: give the user the admin role (default: read-only)")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	db, err := controlplane.OpenStore(ctx, *dataDir, *database)
	if err != nil {
		return err
	}
	defer db.Close()
	svc, err := iam.New(db, iam.Config{})
	if err != nil {
		return err
	}
	need := func(name, v string) error {
		if v == "" {
			return fmt.Errorf("admin %s: --%s is required", cmd, name)
		}
		return nil
	}
	switch cmd {
	case "create-account":
		if err := errors.Join(need("domain", *domain), need("password", *password)); err != nil {
			return err
		}
		d, u, p, err := svc.CreateAccount(ctx, nil, iam.NewAccount{Domain: *domain, User: *user, Password: *password, Project: *project})
		if err != nil {
			return fmt.Errorf("admin create-account: %w", err)
		}
		fmt.Fprintf(e.Stdout, "account %s (%s), admin user %s (%s)\n", d.Name, d.ID, u.Name, u.ID)
		if p != nil {
			fmt.Fprintf(e.Stdout, "project %s (%s)\n", p.Name, p.ID)
		}
	case "create-user":
		if err := errors.Join(need("domain", *domain), need("user", *user), need("password", *password)); err != nil {
			return err
		}
		d, err := db.DomainByName(ctx, *domain)
		if err != nil {
			return fmt.Errorf("admin create-user: account %q: %w", *domain, err)
		}
		u, err := svc.CreateUser(ctx, nil, cph.CreateUserParams{DomainID: d.ID, Name: *user, Password: *password, Admin: *admin})
		if err != nil {
			return fmt.Errorf("admin create-user: %w", err)
		}
		role := "read-only"
		if u.IsAdmin {
			role = "admin"
		}
		fmt.Fprintf(e.Stdout, "user %s (%s), %s, in account %s\n", u.Name, u.ID, role, d.Name)
	case "create-project":
		if err := errors.Join(need("domain", *domain), need("project", *project)); err != nil {
			return err
		}
		d, err := db.DomainByName(ctx, *domain)
		if err != nil {
			return fmt.Errorf("admin create-project: account %q: %w", *domain, err)
		}
		p, err := svc.CreateProject(ctx, nil, d.ID, *project, "")
		if err != nil {
			return fmt.Errorf("admin create-project: %w", err)
		}
		fmt.Fprintf(e.Stdout, "project %s (%s) in account %s\n", p.Name, p.ID, d.Name)
	case "list-accounts":
		domains, err := db.ListDomains(ctx)
		if err != nil {
			return err
		}
		for _, d := range domains {
			users, err := db.ListUsers(ctx, d.ID)
			if err != nil {
				return err
			}
			projects, err := db.ListProjects(ctx, d.ID, "")
			if err != nil {
				return err
			}
			fmt.Fprintf(e.Stdout, "%s  %s  users=%d projects=", d.ID, d.Name, len(users))
			for i, p := range projects {
				if i > 0 {
					fmt.Fprint(e.Stdout, ",")
				}
				fmt.Fprint(e.Stdout, p.Name)
			}
			fmt.Fprintln(e.Stdout)
		}
	case "set-password", "disable-user", "enable-user", "delete-user":
		missing := []error{need("domain", *domain), need("user", *user)}
		if cmd == "set-password" {
			missing = append(missing, need("password", *password))
		}
		if err := errors.Join(missing...); err != nil {
			return err
		}
		d, err := db.DomainByName(ctx, *domain)
		if err != nil {
			return fmt.Errorf("admin %s: account %q: %w", cmd, *domain, err)
		}
		u, err := db.UserByName(ctx, d.ID, *user)
		if err != nil {
			return fmt.Errorf("admin %s: user %q: %w", cmd, *user, err)
		}
		switch cmd {
		case "set-password":
			err = svc.ChangePassword(ctx, nil, iam.PasswordChange{UserID: u.ID, Password: *password})
		case "disable-user", "enable-user":
			_, err = svc.SetUserEnabled(ctx, nil, u.ID, cmd == "enable-user")
		case "delete-user":
			err = svc.DeleteUser(ctx, nil, u.ID)
		}
		if err != nil {
			return fmt.Errorf("admin %s: %w", cmd, err)
		}
		fmt.Fprintf(e.Stdout, "user %s (%s) in account %s: %s done\n", u.Name, u.ID, d.Name, cmd)
	}
	return nil
}

// adminFlags returns the flag set of "cphd admin cmd" with the flags every
// admin command has: the data dir and the PostgreSQL URL, with their
// environment defaults.
func adminFlags(e cmdEnv, cmd string) (fs *flag.FlagSet, dataDir, database *string) {
	fs = flag.NewFlagSet("cphd admin "+cmd, flag.ContinueOnError)
	fs.SetOutput(e.Stderr)
	adminCommandUsage(fs, cmd)
	env := func(name, def string) string {
		if v := e.Getenv(name); v != "" {
			return v
		}
		return def
	}
	dataDir = fs.String("data-dir", env("CPH_DATA_DIR", "./cph-data"), "data directory of the SQLite database [CPH_DATA_DIR]")
	database = fs.String("database", env("CPH_DATABASE_URL", ""), "PostgreSQL URL [CPH_DATABASE_URL]")
	return fs, dataDir, database
}
