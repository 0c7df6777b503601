package service

import (
	"context"
	"errors"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/iam"
)

// Access keys: a user manages its own, an admin those of its account
// (iam decides).

// CreateAccessKey implements cph.IdentityService.
func (s *Services) CreateAccessKey(ctx context.Context, c cph.CreateAccessKeyParams) (*cph.CreatedAccessKey, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	if c.UserID == "" {
		return nil, cph.Ef(cph.CodeIAMBadRequest, "The body needs credential.user_id.")
	}
	k, err := s.iam.CreateAccessKey(ctx, p, c.UserID, c.Description)
	if errors.Is(err, iam.ErrTooManyKeys) {
		return nil, cph.Ef(cph.CodeIAMBadRequest, "akSkNumExceed")
	}
	return k, err
}

// ListAccessKeys implements cph.IdentityService.
func (s *Services) ListAccessKeys(ctx context.Context, f cph.AccessKeyFilter) ([]*cph.AccessKey, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := s.iam.ListAccessKeys(ctx, p, f.UserID)
	if err != nil {
		return nil, err
	}
	if keys == nil {
		keys = []*cph.AccessKey{}
	}
	return keys, nil
}

// ShowAccessKey implements cph.IdentityService.
func (s *Services) ShowAccessKey(ctx context.Context, access string) (*cph.AccessKey, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	return s.iam.AccessKey(ctx, p, access)
}

// UpdateAccessKey implements cph.IdentityService.
func (s *Services) UpdateAccessKey(ctx context.Context, access string, u cph.AccessKeyUpdate) (*cph.AccessKey, error) {
	p, err := identityCaller(ctx)
	if err != nil {
		return nil, err
	}
	if u.Status == nil && u.Description == nil {
		return nil, cph.Ef(cph.CodeIAMBadRequest, "The body needs credential.status or credential.description.")
	}
	return s.iam.UpdateAccessKey(ctx, p, access, u.Status, u.Description)
}

// DeleteAccessKey implements cph.IdentityService.
func (s *Services) DeleteAccessKey(ctx context.Context, access string) error {
	p, err := identityCaller(ctx)
	if err != nil {
		return err
	}
	return s.iam.DeleteAccessKey(ctx, p, access)
}
