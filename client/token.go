package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"time"
)

// ExpiryMargin is how long before its expiry a token stops being reused:
// a token is renewed once less than ExpiryMargin of its validity is left.
const ExpiryMargin = 5 * time.Minute

// Token is an IAM token scoped to a project, with what the server reported
// about it when it was issued.
type Token struct {
	// Value is the token itself, sent as the X-Auth-Token header.
	Value string `json:"token"`
	// ExpiresAt is when the server stops accepting the token.
	ExpiresAt time.Time `json:"expires_at"`
	// IssuedAt is when the token was issued.
	IssuedAt time.Time `json:"issued_at"`
	// ProjectID and ProjectName identify the project the token is scoped to.
	ProjectID   string `json:"project_id"`
	ProjectName string `json:"project_name"`
	// UserID and UserName identify the user the token was issued to.
	UserID   string `json:"user_id"`
	UserName string `json:"user_name"`
	// DomainID and DomainName identify the user's account (domain).
	DomainID   string `json:"domain_id"`
	DomainName string `json:"domain_name"`
}

// ValidAt reports whether t can still be used at now: it is not nil, has a
// value and a project, and expires more than ExpiryMargin after now.
func (t *Token) ValidAt(now time.Time) bool {
	return t != nil && t.Value != "" && t.ProjectID != "" && now.Add(ExpiryMargin).Before(t.ExpiresAt)
}

// reProjectID matches a project id: 32 lowercase hexadecimal characters.
var reProjectID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// tokenRequest is the body of POST /v3/auth/tokens.
type tokenRequest struct {
	Auth struct {
		Identity struct {
			Methods  []string `json:"methods"`
			Password struct {
				User struct {
					Name     string `json:"name"`
					Password string `json:"password"`
					Domain   struct {
						Name string `json:"name"`
					} `json:"domain"`
				} `json:"user"`
			} `json:"password"`
		} `json:"identity"`
		Scope struct {
			Project struct {
				ID   string `json:"id,omitempty"`
				Name string `json:"name,omitempty"`
			} `json:"project"`
		} `json:"scope"`
	} `json:"auth"`
}

// ref is an IAM reference to a domain.
type ref struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// scopedRef is an IAM reference to a user or a project of a domain.
type scopedRef struct {
	ID     string `json:"id"`
	Name   string `json:"name"`
	Domain ref    `json:"domain"`
}

// tokenResponse is the body of a 201 answer to POST /v3/auth/tokens.
type tokenResponse struct {
	Token struct {
		ExpiresAt string     `json:"expires_at"`
		IssuedAt  string     `json:"issued_at"`
		User      scopedRef  `json:"user"`
		Project   *scopedRef `json:"project"`
	} `json:"token"`
}

// Login obtains a new token with the configured password, scoped to the
// configured project, and keeps it in memory and in the TokenCache. It
// returns ErrNotLoggedIn when no password is configured, and an *APIError
// (HTTP 401) when the server refuses the credentials. When the token cannot
// be stored in the cache, Login returns the token together with the error.
func (c *Client) Login(ctx context.Context) (*Token, error) {
	select {
	case c.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return nil, fmt.Errorf("client: login: %w", ctx.Err())
	}
	defer func() { <-c.tokenSem }()
	return c.loginLocked(ctx)
}

// loginLocked is Login for a caller that holds tokenSem.
func (c *Client) loginLocked(ctx context.Context) (*Token, error) {
	if c.password == "" {
		return nil, fmt.Errorf("client: login: %w: no password configured", ErrNotLoggedIn)
	}
	var req tokenRequest
	req.Auth.Identity.Methods = []string{"password"}
	req.Auth.Identity.Password.User.Name = c.user
	req.Auth.Identity.Password.User.Password = c.password
	req.Auth.Identity.Password.User.Domain.Name = c.domain
	if reProjectID.MatchString(c.project) {
		req.Auth.Scope.Project.ID = c.project
	} else {
		req.Auth.Scope.Project.Name = c.project
	}
	body, err := json.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("client: login: encode request: %w", err)
	}
	resp, data, err := c.send(ctx, httpRequest{Method: http.MethodPost, Path: "/v3/auth/tokens", Query: map[string][]string{"nocatalog": {"true"}}, Body: body})
	if err != nil {
		return nil, fmt.Errorf("client: login as %s/%s: %w", c.domain, c.user, err)
	}
	tok, err := parseToken(resp.Header.Get("X-Subject-Token"), data)
	if err != nil {
		return nil, fmt.Errorf("client: login (request %s): %w", resp.Header.Get("X-Request-Id"), err)
	}
	c.token = tok
	if c.cache != nil {
		if err := c.cache.Store(c.cacheKey, tok); err != nil {
			return tok, fmt.Errorf("client: login: store token in cache: %w", err)
		}
	}
	return tok, nil
}

// parseToken builds a Token from the X-Subject-Token header and the body of
// a token response.
func parseToken(value string, body []byte) (*Token, error) {
	if value == "" {
		return nil, errors.New("response has no X-Subject-Token header")
	}
	var tr tokenResponse
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, fmt.Errorf("decode token response: %w", err)
	}
	if tr.Token.Project == nil || tr.Token.Project.ID == "" {
		return nil, errors.New("token is not scoped to a project")
	}
	exp, err := time.Parse(time.RFC3339Nano, tr.Token.ExpiresAt)
	if err != nil {
		return nil, fmt.Errorf("token expires_at: %w", err)
	}
	tok := &Token{
		Value:       value,
		ExpiresAt:   exp.UTC(),
		ProjectID:   tr.Token.Project.ID,
		ProjectName: tr.Token.Project.Name,
		UserID:      tr.Token.User.ID,
		UserName:    tr.Token.User.Name,
		DomainID:    tr.Token.User.Domain.ID,
		DomainName:  tr.Token.User.Domain.Name,
	}
	if tr.Token.IssuedAt != "" {
		iss, err := time.Parse(time.RFC3339Nano, tr.Token.IssuedAt)
		if err != nil {
			return nil, fmt.Errorf("token issued_at: %w", err)
		}
		tok.IssuedAt = iss.UTC()
	}
	return tok, nil
}

// Token returns a token that is valid for more than ExpiryMargin: the one
// in memory, else the cached one, else a new one from Login. It returns an
// error matching ErrNotLoggedIn when none is valid and no password is
// configured.
func (c *Client) Token(ctx context.Context) (*Token, error) {
	tok, _, err := c.currentToken(ctx)
	return tok, err
}

// ProjectID returns the id of the project the client's token is scoped to,
// obtaining a token if needed.
func (c *Client) ProjectID(ctx context.Context) (string, error) {
	tok, err := c.Token(ctx)
	if err != nil {
		return "", err
	}
	return tok.ProjectID, nil
}

// currentToken returns a valid token, and whether it was obtained by a login
// just now (as opposed to reused from memory or the cache).
func (c *Client) currentToken(ctx context.Context) (*Token, bool, error) {
	select {
	case c.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return nil, false, fmt.Errorf("client: get token: %w", ctx.Err())
	}
	defer func() { <-c.tokenSem }()
	now := c.now()
	if c.token.ValidAt(now) {
		return c.token, false, nil
	}
	if c.cache != nil {
		if tok, ok := c.cache.Load(c.cacheKey); ok && tok.ValidAt(now) {
			c.token = tok
			return tok, false, nil
		}
	}
	if c.password == "" {
		return nil, false, fmt.Errorf("%w: no valid cached token for %s/%s in project %s at %s and no password configured",
			ErrNotLoggedIn, c.domain, c.user, c.project, c.endpoint)
	}
	tok, err := c.loginLocked(ctx)
	if err != nil && tok == nil {
		return nil, false, err
	}
	// A token that could not be cached is still usable.
	return tok, true, nil
}

// dropToken forgets tok, in memory and in the cache, unless it has already
// been replaced by another token.
func (c *Client) dropToken(ctx context.Context, tok *Token) {
	select {
	case c.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return
	}
	defer func() { <-c.tokenSem }()
	if c.token != nil && c.token.Value != tok.Value {
		return
	}
	c.token = nil
	if c.cache != nil {
		if cached, ok := c.cache.Load(c.cacheKey); ok && cached.Value == tok.Value {
			_ = c.cache.Delete(c.cacheKey) // best effort: the token is refused anyway
		}
	}
}

// Logout forgets the client's token, in memory and in the TokenCache. It
// does not revoke the token on the server.
func (c *Client) Logout(ctx context.Context) error {
	select {
	case c.tokenSem <- struct{}{}:
	case <-ctx.Done():
		return fmt.Errorf("client: logout: %w", ctx.Err())
	}
	defer func() { <-c.tokenSem }()
	c.token = nil
	if c.cache != nil {
		if err := c.cache.Delete(c.cacheKey); err != nil {
			return fmt.Errorf("client: logout: %w", err)
		}
	}
	return nil
}

// CachedToken returns the token the TokenCache holds for this client's
// endpoint, domain, user and project, whether or not it is still valid.
func (c *Client) CachedToken() (*Token, bool) {
	if c.cache == nil {
		return nil, false
	}
	return c.cache.Load(c.cacheKey)
}
