package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/opencph/opencph"
)

// enrollmentTokensPath is the OpenCPH extension for a project's agent
// enrollment tokens.
const enrollmentTokensPath = "/opencph/v1/{project_id}/enrollment-tokens"

// NewEnrollmentToken describes an enrollment token to create.
type NewEnrollmentToken struct {
	Description string
	// ExpiresAt, if not zero, is when the token stops enrolling.
	ExpiresAt time.Time
}

// CreateEnrollmentToken creates an enrollment token of the project; the
// answer's Token is the secret, shown only this once. Project admins
// only (403 CPS.0001 otherwise); at most cph.MaxEnrollmentTokens per
// project (400 CPS.9010).
func (c *Client) CreateEnrollmentToken(ctx context.Context, t NewEnrollmentToken) (*cph.EnrollmentToken, error) {
	body := map[string]any{"description": t.Description}
	if !t.ExpiresAt.IsZero() {
		body["expires_at"] = cph.NewTime(t.ExpiresAt)
	}
	var out struct {
		Token cph.EnrollmentToken `json:"enrollment_token"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPost, Path: enrollmentTokensPath, In: map[string]any{"enrollment_token": body}, Out: &out}); err != nil {
		return nil, fmt.Errorf("create enrollment token: %w", err)
	}
	return &out.Token, nil
}

// ListEnrollmentTokens returns the project's enrollment tokens, oldest
// first, without their secrets.
func (c *Client) ListEnrollmentTokens(ctx context.Context) ([]cph.EnrollmentToken, error) {
	var out struct {
		Tokens []cph.EnrollmentToken `json:"enrollment_tokens"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: enrollmentTokensPath, Out: &out}); err != nil {
		return nil, fmt.Errorf("list enrollment tokens: %w", err)
	}
	return out.Tokens, nil
}

// RevokeEnrollmentToken deletes an enrollment token: it enrolls no more
// servers (servers it enrolled keep working). An unknown id is 404
// CPS.9014.
func (c *Client) RevokeEnrollmentToken(ctx context.Context, id string) error {
	if _, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: enrollmentTokensPath + "/" + url.PathEscape(id)}); err != nil {
		return fmt.Errorf("revoke enrollment token %s: %w", id, err)
	}
	return nil
}
