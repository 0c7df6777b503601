package iam

import (
	"context"
	"errors"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Changes to users: password changes, disabling and deleting. Each takes
// effect at once: the user's tokens are revoked in the same transaction,
// which moves the identity data's version on every replica (cached token
// checks are dropped). Disabled users cannot log in, and neither their
// tokens nor their access keys are accepted; deleting a user deletes its
// access keys.

func errNoSuchUser(id string) error {
	return cph.ErrIAMNotFound("user", id)
}

// errLastAdmin is the refusal to disable or delete the last enabled admin
// of an account (409).
func errLastAdmin() error {
	return cph.ErrIAMConflict("The last enabled admin of an account cannot be disabled or deleted.")
}

// managedUser returns the user userID if caller may change it: a nil
// caller (the system), an operator, or an admin of the user's account;
// with self, also the user itself. Users of other accounts are not found.
func (s *Service) managedUser(ctx context.Context, caller *cph.Principal, userID string, self bool) (*cph.User, error) {
	u, err := s.db.UserByID(ctx, userID)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, errNoSuchUser(userID)
	} else if err != nil {
		return nil, err
	}
	if caller == nil || s.IsOperator(ctx, caller) {
		return u, nil
	}
	if caller.Domain.ID != u.DomainID {
		return nil, errNoSuchUser(userID)
	}
	if !caller.User.IsAdmin && !(self && caller.User.ID == u.ID) {
		return nil, errForbidden()
	}
	return u, nil
}

// userChangeError maps the store's refusals to API errors.
func userChangeError(userID string, err error) error {
	switch {
	case errors.Is(err, sqlstore.ErrLastAdmin):
		return errLastAdmin()
	case errors.Is(err, sqlstore.ErrNotFound):
		return errNoSuchUser(userID)
	}
	return err
}

// PasswordChange is a change of a user's password.
type PasswordChange = cph.PasswordChange

// ChangePassword sets a user's password and revokes the user's tokens.
// Users may change their own password (giving the original); admins of
// an account may set any of its users' passwords; a nil caller is the
// system (cphd admin).
func (s *Service) ChangePassword(ctx context.Context, caller *cph.Principal, c PasswordChange) error {
	u, err := s.managedUser(ctx, caller, c.UserID, true)
	if err != nil {
		return err
	}
	if len(c.Password) < MinPasswordLen {
		return errBadRequest("The password must have at least %d characters.", MinPasswordLen)
	}
	if caller != nil && caller.User.ID == u.ID {
		if c.Original == "" {
			return errBadRequest("Changing your own password needs user.original_password.")
		}
		ok, err := s.checkPassword(ctx, passwordCheck{Subject: loginSubject(u.ID, PasswordLogin{}), Addr: c.ClientAddr, Hash: u.PasswordHash, Password: c.Original, Refund: true})
		if err != nil {
			return err
		}
		if !ok {
			return errBadRequest("The original password is wrong.")
		}
	}
	hash, err := HashPassword(c.Password)
	if err != nil {
		return err
	}
	if err := s.db.SetUserPassword(ctx, u.ID, hash); err != nil {
		return userChangeError(u.ID, err)
	}
	s.log.Info("password changed", "user_id", u.ID, "by", callerID(caller))
	return nil
}

// SetUserEnabled enables or disables a user (admins of its account). A
// disabled user's tokens are revoked. The last enabled admin of an
// account cannot be disabled.
func (s *Service) SetUserEnabled(ctx context.Context, caller *cph.Principal, userID string, enabled bool) (*cph.User, error) {
	u, err := s.managedUser(ctx, caller, userID, false)
	if err != nil {
		return nil, err
	}
	u, err = s.db.SetUserEnabled(ctx, u.ID, enabled)
	if err != nil {
		return nil, userChangeError(userID, err)
	}
	s.log.Info("user enabled changed", "user_id", u.ID, "enabled", enabled, "by", callerID(caller))
	return u, nil
}

// DeleteUser deletes a user with its tokens and access keys (admins of
// its account). The last enabled admin of an account cannot be deleted.
func (s *Service) DeleteUser(ctx context.Context, caller *cph.Principal, userID string) error {
	u, err := s.managedUser(ctx, caller, userID, false)
	if err != nil {
		return err
	}
	if err := s.db.DeleteUser(ctx, u.ID); err != nil {
		return userChangeError(userID, err)
	}
	s.log.Info("user deleted", "user_id", u.ID, "by", callerID(caller))
	return nil
}

// callerID names the caller in logs.
func callerID(p *cph.Principal) string {
	if p == nil {
		return "system"
	}
	return p.User.ID
}
