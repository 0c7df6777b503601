package service

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unicode"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/sqlstore"
)

// Enrollment tokens: a project's admins create, list and revoke the
// tokens with which cph-agent enrolls new servers into that project.
// Every call, reads included, is for the project's admins only.

func enrollmentTokenOut(t *sqlstore.EnrollmentToken) *cph.EnrollmentToken {
	return &cph.EnrollmentToken{ID: t.ID, ProjectID: t.ProjectID, Description: t.Description, CreatedBy: t.CreatedBy,
		CreatedAt: cph.NewTime(t.CreatedAt), ExpiresAt: cph.NewTime(t.ExpiresAt), LastUsedAt: cph.NewTime(t.LastUsedAt)}
}

// CreateEnrollmentToken implements cph.IdentityService.
func (s *Services) CreateEnrollmentToken(ctx context.Context, c cph.CreateEnrollmentTokenParams) (*cph.EnrollmentToken, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if len(c.Description) > cph.MaxEnrollmentTokenDescription || strings.ContainsFunc(c.Description, unicode.IsControl) {
		return nil, cph.ErrInvalidParameter("description")
	}
	now := s.db.Now()
	if !c.ExpiresAt.IsZero() && !c.ExpiresAt.After(now) {
		return nil, cph.ErrInvalidParameter("expires_at")
	}
	secret, _, err := iam.NewSecret()
	if err != nil {
		return nil, err
	}
	secret = cph.EnrollmentTokenPrefix + secret
	t := &sqlstore.EnrollmentToken{ID: cph.NewID(), ProjectID: p.ProjectID, SecretHash: iam.HashToken(secret), Description: c.Description,
		CreatedBy: p.User.ID, CreatedAt: now, ExpiresAt: c.ExpiresAt}
	err = s.db.CreateEnrollmentToken(ctx, t, cph.MaxEnrollmentTokens)
	if errors.Is(err, sqlstore.ErrEnrollmentTokenLimit) {
		return nil, cph.ErrTooManyItems("enrollment_tokens", cph.MaxEnrollmentTokens)
	} else if err != nil {
		return nil, fmt.Errorf("create enrollment token: %w", err)
	}
	s.log.Info("enrollment token created", "token_id", t.ID, "project_id", p.ProjectID, "user_id", p.User.ID)
	out := enrollmentTokenOut(t)
	out.Token = secret
	return out, nil
}

// ListEnrollmentTokens implements cph.IdentityService.
func (s *Services) ListEnrollmentTokens(ctx context.Context) ([]*cph.EnrollmentToken, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	list, err := s.db.EnrollmentTokens(ctx, p.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("list enrollment tokens: %w", err)
	}
	out := make([]*cph.EnrollmentToken, 0, len(list))
	for _, t := range list {
		out = append(out, enrollmentTokenOut(t))
	}
	return out, nil
}

// DeleteEnrollmentToken implements cph.IdentityService. Servers the
// token enrolled keep their own credentials.
func (s *Services) DeleteEnrollmentToken(ctx context.Context, id string) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	err = s.db.DeleteEnrollmentToken(ctx, p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrEnrollmentTokenNotFound()
	} else if err != nil {
		return fmt.Errorf("delete enrollment token: %w", err)
	}
	s.log.Info("enrollment token revoked", "token_id", id, "project_id", p.ProjectID, "user_id", p.User.ID)
	return nil
}
