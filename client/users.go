package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
)

// Changes to users. Each revokes the user's tokens at once, on every
// replica of the control plane: a user that changed its own password logs
// in again with the new one (a Client configured with the old password
// then fails with 401).

var errNoUser = errors.New("a user id is required")

func userPath(userID string) string { return "/v3/users/" + url.PathEscape(userID) }

// ChangePassword sets the password of the user userID
// (PUT /v3/users/{user_id}/password). Users changing their own password
// give the current one as original; admins of an account may set the
// password of any of its users and pass "" as original. The new password
// has at least 8 characters. Wrong original passwords count as failed
// logins (the server answers 429 once too many have failed).
func (c *Client) ChangePassword(ctx context.Context, userID, original, password string) error {
	if userID == "" {
		return fmt.Errorf("change password: %w", errNoUser)
	}
	type change struct {
		Original string `json:"original_password,omitempty"`
		Password string `json:"password"`
	}
	in := map[string]change{"user": {Original: original, Password: password}}
	if _, err := c.Do(ctx, Request{Method: http.MethodPut, Path: userPath(userID) + "/password", In: in}); err != nil {
		return fmt.Errorf("change password of user %s: %w", userID, err)
	}
	return nil
}

// SetUserEnabled enables or disables the user userID
// (PATCH /v3/users/{user_id}; admins of its account) and returns it as
// changed. The server refuses (409) to disable the last enabled admin of
// an account.
func (c *Client) SetUserEnabled(ctx context.Context, userID string, enabled bool) (*User, error) {
	if userID == "" {
		return nil, fmt.Errorf("update user: %w", errNoUser)
	}
	in := map[string]map[string]bool{"user": {"enabled": enabled}}
	var out struct {
		User User `json:"user"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodPatch, Path: userPath(userID), In: in, Out: &out}); err != nil {
		return nil, fmt.Errorf("update user %s: %w", userID, err)
	}
	return &out.User, nil
}

// DeleteUser deletes the user userID with its tokens and access keys
// (DELETE /v3/users/{user_id}; admins of its account). The server refuses
// (409) to delete the last enabled admin of an account.
func (c *Client) DeleteUser(ctx context.Context, userID string) error {
	if userID == "" {
		return fmt.Errorf("delete user: %w", errNoUser)
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodDelete, Path: userPath(userID)}); err != nil {
		return fmt.Errorf("delete user %s: %w", userID, err)
	}
	return nil
}
