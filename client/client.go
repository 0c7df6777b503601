package client

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// DefaultTimeout is the timeout of the HTTP client a Client uses when
// Config.HTTPClient is nil: longer than the longest wait a server holds
// a request for (cph.MaxJobWait, WaitForJobs).
const DefaultTimeout = 90 * time.Second

// DefaultUserAgent is the User-Agent header sent when Config.UserAgent is
// empty.
const DefaultUserAgent = "opencph-go-client"

// maxBodySize caps how much of a response body is read.
const maxBodySize = 64 << 20

// Config configures a Client.
type Config struct {
	// Endpoint is the base URL of the server, e.g. "http://127.0.0.1:8080".
	// It serves both the IAM paths (/v3/...) and the CPH paths (/v1/...).
	Endpoint string
	// Domain is the account (domain) name the user belongs to.
	Domain string
	// User is the user name; it defaults to Domain, the account owner.
	User string
	// Password is the user's password. It may be empty when TokenCache
	// holds a valid token.
	Password string
	// Project is the project to scope tokens to: its name (a region id such
	// as "cn-north-4") or its 32-hex-character id.
	Project string
	// HTTPClient sends the requests. When nil, a client with a timeout of
	// DefaultTimeout that does not follow redirects is used.
	HTTPClient *http.Client
	// TLSConfig, when not nil, is the TLS configuration of the default
	// HTTP client (ignored when HTTPClient is set): e.g. a RootCAs pool
	// that trusts a private CA or a self-signed cphd certificate.
	TLSConfig *tls.Config
	// TokenCache, when not nil, keeps tokens across Clients and processes.
	TokenCache TokenCache
	// UserAgent is sent as the User-Agent header; DefaultUserAgent if empty.
	UserAgent string
}

// Client is a client of the OpenCPH API. It is safe for concurrent use.
type Client struct {
	endpoint  string // without a trailing slash
	domain    string
	user      string
	password  string
	project   string
	http      *http.Client
	cache     TokenCache
	cacheKey  string
	userAgent string
	now       func() time.Time

	// tokenSem serializes the acquisition of tokens; it is a channel so
	// that waiting for it honours the context.
	tokenSem chan struct{}
	// token is the token in memory; guarded by tokenSem.
	token *Token
}

// New returns a Client for cfg. It checks the configuration but makes no
// request.
func New(cfg Config) (*Client, error) {
	if cfg.Endpoint == "" {
		return nil, errors.New("client: endpoint is required")
	}
	u, err := url.Parse(cfg.Endpoint)
	if err != nil {
		return nil, fmt.Errorf("client: invalid endpoint %q: %w", cfg.Endpoint, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return nil, fmt.Errorf("client: invalid endpoint %q: want http://host[:port] or https://host[:port]", cfg.Endpoint)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("client: invalid endpoint %q: must not have user info, a query or a fragment", cfg.Endpoint)
	}
	if cfg.Domain == "" {
		return nil, errors.New("client: domain (account name) is required")
	}
	if cfg.Project == "" {
		return nil, errors.New("client: project is required")
	}
	c := &Client{
		endpoint:  strings.TrimRight(cfg.Endpoint, "/"),
		domain:    cfg.Domain,
		user:      cfg.User,
		password:  cfg.Password,
		project:   cfg.Project,
		http:      cfg.HTTPClient,
		cache:     cfg.TokenCache,
		userAgent: cfg.UserAgent,
		now:       time.Now,
		tokenSem:  make(chan struct{}, 1),
	}
	if c.user == "" {
		c.user = c.domain
	}
	if c.http == nil {
		var rt http.RoundTripper
		if cfg.TLSConfig != nil {
			t := http.DefaultTransport.(*http.Transport).Clone()
			t.TLSClientConfig = cfg.TLSConfig.Clone()
			rt = t
		}
		c.http = &http.Client{
			Transport: rt,
			Timeout:   DefaultTimeout,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		}
	}
	if c.userAgent == "" {
		c.userAgent = DefaultUserAgent
	}
	c.cacheKey = CacheKey(c.endpoint, c.domain, c.user, c.project)
	return c, nil
}

// Endpoint returns the base URL the client talks to, without a trailing
// slash.
func (c *Client) Endpoint() string { return c.endpoint }

// Request is one call of the API.
type Request struct {
	Method string
	// Path is relative to the endpoint, starts with "/" and must already
	// be escaped; every "{project_id}" in it is replaced by the id of the
	// project the token is scoped to.
	Path  string
	Query url.Values // may be nil
	// In, when not nil, is sent as the JSON body.
	In any
	// Out, when not nil, receives the decoded body of a successful answer.
	Out any
}

// Do sends the authenticated request r and returns the request id the
// server reported in its X-Request-Id header. Every response with a status
// of 400 or more is returned as an *APIError; other non-2xx statuses are
// errors too.
//
// If the server answers 401 to a token that was reused from memory or from
// the cache, and a password is configured, Do logs in again and retries the
// request once. Without a password it forgets the token and returns an
// error that matches both ErrNotLoggedIn and the *APIError.
func (c *Client) Do(ctx context.Context, r Request) (string, error) {
	if !strings.HasPrefix(r.Path, "/") {
		return "", fmt.Errorf("client: path %q does not start with /", r.Path)
	}
	var body []byte
	if r.In != nil {
		var err error
		if body, err = json.Marshal(r.In); err != nil {
			return "", fmt.Errorf("client: encode %s %s request: %w", r.Method, r.Path, err)
		}
	}
	tok, fresh, err := c.currentToken(ctx)
	if err != nil {
		return "", err
	}
	req := httpRequest{Method: r.Method, Path: r.Path, Query: r.Query, Body: body}
	reqID, err := c.doWithToken(ctx, tok, req, r.Out)
	var apiErr *APIError
	if err == nil || fresh || !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
		return reqID, err
	}
	// The reused token was refused: forget it.
	c.dropToken(ctx, tok)
	if c.password == "" {
		return reqID, fmt.Errorf("%w: the cached token was refused: %w", ErrNotLoggedIn, err)
	}
	if tok, err = c.Login(ctx); err != nil {
		return "", err
	}
	return c.doWithToken(ctx, tok, req, r.Out)
}

// httpRequest is one HTTP request to the endpoint: Path is relative to
// it, escaped; Query and Header may be nil; a nil Body sends none.
type httpRequest struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// doWithToken sends r with tok (which also fills "{project_id}" in its
// path) and decodes the answer into out.
func (c *Client) doWithToken(ctx context.Context, tok *Token, r httpRequest, out any) (string, error) {
	r.Path = strings.ReplaceAll(r.Path, "{project_id}", url.PathEscape(tok.ProjectID))
	r.Header = http.Header{}
	r.Header.Set("X-Auth-Token", tok.Value)
	resp, data, err := c.send(ctx, r)
	if err != nil {
		return "", err
	}
	reqID := resp.Header.Get("X-Request-Id")
	if out != nil && len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return reqID, fmt.Errorf("client: decode %s %s response (request %s): %w", r.Method, r.Path, reqID, err)
		}
	}
	return reqID, nil
}

// send sends r and reads the whole answer. It returns an error for
// transport failures and for every status other than 2xx.
func (c *Client) send(ctx context.Context, r httpRequest) (*http.Response, []byte, error) {
	u := c.endpoint + r.Path
	if len(r.Query) > 0 {
		u += "?" + r.Query.Encode()
	}
	var rd io.Reader
	if r.Body != nil {
		rd = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u, rd)
	if err != nil {
		return nil, nil, fmt.Errorf("client: build %s %s request: %w", r.Method, r.Path, err)
	}
	for k, v := range r.Header {
		req.Header[k] = v
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err // a *url.Error, which names the method and URL
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBodySize))
	if err != nil {
		return nil, nil, fmt.Errorf("client: %s %s: read response: %w", r.Method, r.Path, err)
	}
	if resp.StatusCode >= 400 {
		return nil, nil, parseAPIError(resp, data)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, nil, fmt.Errorf("client: %s %s: unexpected HTTP status %s (request %s)",
			r.Method, r.Path, resp.Status, resp.Header.Get("X-Request-Id"))
	}
	return resp, data, nil
}
