package iam

import (
	"context"
	"errors"
	"regexp"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

var (
	reName    = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)
	reProject = regexp.MustCompile(`^[a-z][a-z0-9-]{0,62}[a-z0-9]$`)
)

// MinPasswordLen is the shortest password accepted for new users.
const MinPasswordLen = 8

func errBadRequest(format string, args ...any) error {
	return cph.ErrIAMBadRequest(format, args...)
}

func errConflict(format string, args ...any) error {
	return cph.ErrIAMConflict(format, args...)
}

func errForbidden() error {
	return cph.ErrIAMForbidden("")
}

// IsOperator reports whether p administers the whole installation: an
// admin user of the account created at bootstrap.
func (s *Service) IsOperator(ctx context.Context, p *cph.Principal) bool {
	if p == nil || !p.User.IsAdmin {
		return false
	}
	id, err := s.db.Meta(ctx, "bootstrap_domain")
	return err == nil && id == p.Domain.ID
}

// mayAdminister reports whether caller may administer domainID: a nil
// caller is the system (cphd admin commands), an operator may administer
// every account, an admin user their own.
func (s *Service) mayAdminister(ctx context.Context, caller *cph.Principal, domainID string) bool {
	if caller == nil || s.IsOperator(ctx, caller) {
		return true
	}
	return caller.User.IsAdmin && caller.Domain.ID == domainID
}

// NewAccount describes an account to create with its first (admin) user
// and, optionally, its first project.
type NewAccount = cph.CreateAccountParams

// CreateAccount creates a domain with an admin user and optionally a
// project, in one transaction. Only operators (or the system, caller nil)
// may create accounts.
func (s *Service) CreateAccount(ctx context.Context, caller *cph.Principal, a NewAccount) (*cph.Domain, *cph.User, *cph.Project, error) {
	if caller != nil && !s.IsOperator(ctx, caller) {
		return nil, nil, nil, errForbidden()
	}
	if a.User == "" {
		a.User = a.Domain
	}
	if !reName.MatchString(a.Domain) {
		return nil, nil, nil, errBadRequest("Invalid account name %q: 1-64 letters, digits, '_', '.', '-'.", a.Domain)
	}
	if err := checkUser(a.User, a.Password); err != nil {
		return nil, nil, nil, err
	}
	if a.Project != "" && !reProject.MatchString(a.Project) {
		return nil, nil, nil, errBadRequest("Invalid project name %q: a region id such as cn-north-4.", a.Project)
	}
	hash, err := HashPassword(a.Password)
	if err != nil {
		return nil, nil, nil, err
	}
	d := &cph.Domain{ID: cph.NewID(), Name: a.Domain, Enabled: true}
	u := &cph.User{ID: cph.NewID(), DomainID: d.ID, Name: a.User, PasswordHash: hash, Enabled: true, IsAdmin: true}
	var p *cph.Project
	if a.Project != "" {
		p = &cph.Project{ID: cph.NewID(), DomainID: d.ID, Name: a.Project, Enabled: true}
	}
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		if _, err := tx.DomainByName(ctx, a.Domain); err == nil {
			return errConflict("An account named %q exists.", a.Domain)
		} else if !errors.Is(err, sqlstore.ErrNotFound) {
			return err
		}
		if err := tx.CreateDomain(ctx, d); err != nil {
			return err
		}
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		if p != nil {
			return tx.CreateProject(ctx, p)
		}
		return nil
	})
	if errors.Is(err, sqlstore.ErrDuplicate) { // created by a concurrent request
		return nil, nil, nil, errConflict("An account named %q exists.", a.Domain)
	}
	if err != nil {
		return nil, nil, nil, err
	}
	return d, u, p, nil
}

func checkUser(name, password string) error {
	if !reName.MatchString(name) {
		return errBadRequest("Invalid user name %q: 1-64 letters, digits, '_', '.', '-'.", name)
	}
	if len(password) < MinPasswordLen {
		return errBadRequest("The password must have at least %d characters.", MinPasswordLen)
	}
	return nil
}

// CreateUser creates a user in the account p.DomainID (which must be set):
// an admin, or a read-only user who may list and show but not change
// anything.
func (s *Service) CreateUser(ctx context.Context, caller *cph.Principal, p cph.CreateUserParams) (*cph.User, error) {
	domainID, name, password := p.DomainID, p.Name, p.Password
	if !s.mayAdminister(ctx, caller, domainID) {
		return nil, errForbidden()
	}
	if err := checkUser(name, password); err != nil {
		return nil, err
	}
	if _, err := s.db.DomainByID(ctx, domainID); errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrIAMNotFound("domain", domainID)
	} else if err != nil {
		return nil, err
	}
	hash, err := HashPassword(password)
	if err != nil {
		return nil, err
	}
	u := &cph.User{ID: cph.NewID(), DomainID: domainID, Name: name, PasswordHash: hash, Enabled: true, IsAdmin: p.Admin}
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		if _, err := tx.UserByName(ctx, domainID, name); err == nil {
			return errConflict("A user named %q exists in this account.", name)
		} else if !errors.Is(err, sqlstore.ErrNotFound) {
			return err
		}
		return tx.CreateUser(ctx, u)
	})
	if errors.Is(err, sqlstore.ErrDuplicate) { // created by a concurrent request
		return nil, errConflict("A user named %q exists in this account.", name)
	}
	if err != nil {
		return nil, err
	}
	return u, nil
}

// ListUsers lists the users of domainID.
func (s *Service) ListUsers(ctx context.Context, caller *cph.Principal, domainID string) ([]*cph.User, error) {
	if !s.mayAdminister(ctx, caller, domainID) && !(caller != nil && caller.Domain.ID == domainID) {
		return nil, errForbidden()
	}
	return s.db.ListUsers(ctx, domainID)
}

// CreateProject creates a project (named for a region) in domainID.
func (s *Service) CreateProject(ctx context.Context, caller *cph.Principal, domainID, name, description string) (*cph.Project, error) {
	if !s.mayAdminister(ctx, caller, domainID) {
		return nil, errForbidden()
	}
	if !reProject.MatchString(name) {
		return nil, errBadRequest("Invalid project name %q: a region id such as cn-north-4.", name)
	}
	if len(description) > 255 || !cph.ValidText(description) {
		return nil, errBadRequest("The description is longer than 255 characters or holds a NUL byte or invalid UTF-8.")
	}
	if _, err := s.db.DomainByID(ctx, domainID); errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrIAMNotFound("domain", domainID)
	} else if err != nil {
		return nil, err
	}
	p := &cph.Project{ID: cph.NewID(), DomainID: domainID, Name: name, Enabled: true, Description: description}
	err := s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		if _, err := tx.ProjectByName(ctx, domainID, name); err == nil {
			return errConflict("The account has a project named %q.", name)
		} else if !errors.Is(err, sqlstore.ErrNotFound) {
			return err
		}
		return tx.CreateProject(ctx, p)
	})
	if errors.Is(err, sqlstore.ErrDuplicate) { // created by a concurrent request
		return nil, errConflict("The account has a project named %q.", name)
	}
	if err != nil {
		return nil, err
	}
	return p, nil
}
