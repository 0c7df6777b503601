// Package iam is OpenCPH's identity service: password logins that issue
// IAM tokens, token validation and revocation, in the shape of Huawei Cloud
// IAM (Keystone v3).
//
// Passwords are stored as argon2id hashes. Tokens are 32 random bytes,
// base64url-encoded; only their SHA-256 is stored, with scope and expiry,
// so tokens survive restarts and work on every replica sharing the
// database. Failed logins are throttled per user and per client address so
// that the login endpoint is no password-guessing oracle; the throttle is
// kept in memory, per process.
package iam

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/internal/vcache"
	"github.com/opencph/opencph/sqlstore"
)

// Config tunes the service. Zero fields take the defaults shown.
type Config struct {
	TokenTTL time.Duration // 24h
	// UserFailures failed logins are allowed per user at once; then one more
	// every UserRefill. Defaults: 5, 1m.
	UserFailures int
	UserRefill   time.Duration
	// ClientFailures failed logins are allowed per client address at once;
	// then one more every ClientRefill. Defaults: 20, 3s.
	ClientFailures int
	ClientRefill   time.Duration
	// MaxConcurrentHashes bounds concurrent password checks (each takes
	// about 19 MiB of memory). Default 4.
	MaxConcurrentHashes int
	// ServerKey (32 bytes) encrypts access-key secrets at rest. Without it
	// access keys cannot be created or verified.
	ServerKey []byte
	// MaxKeysPerUser is the most access keys a user may have (default 2).
	MaxKeysPerUser int
	Logger         *slog.Logger
}

// Service issues and checks tokens.
type Service struct {
	db        *sqlstore.DB
	cfg       Config
	log       *slog.Logger
	users     *throttle
	clients   *throttle
	hashSlots chan struct{}
	dummyHash string
	sealer    *sealer
	// tokens caches token checks; entries are valid for one version of
	// the identity data (sqlstore.DB.AuthVersion), so a revocation, a
	// disabled user or account, or any other identity change takes
	// effect at the next request.
	tokens *vcache.Cache[string, *sqlstore.TokenIdentity]
}

// Token cache bounds.
const (
	tokenCacheEntries = 10_000
	tokenCacheTTL     = time.Minute
)

// New returns the identity service over db.
func New(db *sqlstore.DB, cfg Config) (*Service, error) {
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 24 * time.Hour
	}
	if cfg.UserFailures <= 0 {
		cfg.UserFailures = 5
	}
	if cfg.UserRefill <= 0 {
		cfg.UserRefill = time.Minute
	}
	if cfg.ClientFailures <= 0 {
		cfg.ClientFailures = 20
	}
	if cfg.ClientRefill <= 0 {
		cfg.ClientRefill = 3 * time.Second
	}
	if cfg.MaxConcurrentHashes <= 0 {
		cfg.MaxConcurrentHashes = 4
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxKeysPerUser <= 0 {
		cfg.MaxKeysPerUser = 2
	}
	var sl *sealer
	if cfg.ServerKey != nil {
		var err error
		if sl, err = newSealer(cfg.ServerKey); err != nil {
			return nil, err
		}
	}
	dummy, err := HashPassword(GeneratePassword())
	if err != nil {
		return nil, err
	}
	return &Service{
		sealer: sl,
		db:     db, cfg: cfg, log: cfg.Logger,
		users:     newThrottle(cfg.UserRefill, cfg.UserFailures),
		clients:   newThrottle(cfg.ClientRefill, cfg.ClientFailures),
		hashSlots: make(chan struct{}, cfg.MaxConcurrentHashes),
		dummyHash: dummy,
		tokens:    vcache.New[string, *sqlstore.TokenIdentity](tokenCacheEntries, tokenCacheTTL),
	}, nil
}

// PasswordLogin is a password authentication request (spec iam-auth §3.1).
type PasswordLogin struct {
	UserID     string // the user by id, or
	UserName   string // the user by name, in the domain given by
	DomainID   string // id or
	DomainName string // name
	Password   string

	// Scope: a project by id, or by name (in the user's domain); or a
	// domain by id or name; or nothing (unscoped).
	ProjectID       string
	ProjectName     string
	ScopeDomainID   string
	ScopeDomainName string

	// ClientAddr is the caller's network address, for throttling.
	ClientAddr string
}

// TokenInfo describes an issued token.
type TokenInfo struct {
	User        cph.User
	Domain      cph.Domain
	Project     *cph.Project // project-scoped tokens
	ScopeDomain *cph.Domain  // domain-scoped tokens
	IssuedAt    time.Time
	ExpiresAt   time.Time
}

// ThrottledError is returned by Login while a user or client address has
// used up its failed attempts. It unwraps to a 429 *cph.Error.
type ThrottledError struct {
	RetryAfter time.Duration
}

// Error implements error.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("iam: too many failed logins; retry after %s", e.RetryAfter)
}

// Unwrap returns the API error.
func (e *ThrottledError) Unwrap() error {
	secs := int(e.RetryAfter.Seconds() + 0.999)
	return cph.Errorf(http.StatusTooManyRequests, "IAM.0429", "Too many failed login attempts. Retry after %d seconds.", secs)
}

func errWrongCredentials() error {
	return cph.Errorf(http.StatusUnauthorized, "IAM.0401", "The username or password is wrong.")
}

func errBadScope() error {
	return cph.Errorf(http.StatusUnauthorized, "IAM.0401", "The request you have made requires authentication.")
}

// Login checks a password and issues a token. Wrong credentials of any
// kind give the same 401; too many failures give a *ThrottledError.
func (s *Service) Login(ctx context.Context, req PasswordLogin) (string, *TokenInfo, error) {
	now := s.db.Now()
	userKey := "user:" + strings.ToLower(req.UserID+"/"+req.DomainID+"/"+req.DomainName+"/"+req.UserName)
	clientKey := "addr:" + req.ClientAddr
	if blocked, after := s.users.blocked(now, userKey); blocked {
		return "", nil, &ThrottledError{RetryAfter: after}
	}
	if blocked, after := s.clients.blocked(now, clientKey); blocked {
		return "", nil, &ThrottledError{RetryAfter: after}
	}
	user, domain, err := s.findUser(ctx, req)
	if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
		return "", nil, err
	}
	hash := s.dummyHash
	if user != nil {
		hash = user.PasswordHash
	}
	ok, err := s.verify(ctx, hash, req.Password)
	if err != nil {
		return "", nil, err
	}
	if user == nil || !ok || !user.Enabled || !domain.Enabled {
		s.clients.failed(now, clientKey)
		s.users.failed(now, userKey)
		s.log.Info("login failed", "user", req.UserName, "domain", req.DomainName, "client", req.ClientAddr)
		return "", nil, errWrongCredentials()
	}
	info := &TokenInfo{User: *user, Domain: *domain}
	switch {
	case req.ProjectID != "" || req.ProjectName != "":
		var p *cph.Project
		if req.ProjectID != "" {
			p, err = s.db.ProjectByID(ctx, req.ProjectID)
		} else {
			p, err = s.db.ProjectByName(ctx, domain.ID, req.ProjectName)
		}
		if errors.Is(err, sqlstore.ErrNotFound) || (err == nil && (p.DomainID != domain.ID || !p.Enabled)) {
			return "", nil, errBadScope()
		} else if err != nil {
			return "", nil, err
		}
		info.Project = p
	case req.ScopeDomainID != "" || req.ScopeDomainName != "":
		if (req.ScopeDomainID != "" && req.ScopeDomainID != domain.ID) || (req.ScopeDomainName != "" && req.ScopeDomainName != domain.Name) {
			return "", nil, errBadScope()
		}
		d := *domain
		info.ScopeDomain = &d
	}
	token, tokenHash, err := newToken()
	if err != nil {
		return "", nil, err
	}
	info.IssuedAt = now.UTC().Truncate(time.Microsecond)
	info.ExpiresAt = info.IssuedAt.Add(s.cfg.TokenTTL)
	rec := &cph.Token{Hash: tokenHash, UserID: user.ID, DomainID: domain.ID, IssuedAt: info.IssuedAt, ExpiresAt: info.ExpiresAt}
	if info.Project != nil {
		rec.ProjectID = info.Project.ID
	}
	if err := s.db.CreateToken(ctx, rec); err != nil {
		return "", nil, err
	}
	return token, info, nil
}

func (s *Service) findUser(ctx context.Context, req PasswordLogin) (*cph.User, *cph.Domain, error) {
	var user *cph.User
	var domain *cph.Domain
	var err error
	switch {
	case req.UserID != "":
		if user, err = s.db.UserByID(ctx, req.UserID); err != nil {
			return nil, nil, err
		}
		if domain, err = s.db.DomainByID(ctx, user.DomainID); err != nil {
			return nil, nil, err
		}
	case req.DomainID != "":
		if domain, err = s.db.DomainByID(ctx, req.DomainID); err != nil {
			return nil, nil, err
		}
	default:
		if domain, err = s.db.DomainByName(ctx, req.DomainName); err != nil {
			return nil, nil, err
		}
	}
	if user == nil {
		if user, err = s.db.UserByName(ctx, domain.ID, req.UserName); err != nil {
			return nil, nil, err
		}
	}
	if req.DomainName != "" && domain.Name != req.DomainName || req.DomainID != "" && domain.ID != req.DomainID {
		return nil, nil, fmt.Errorf("user's domain does not match: %w", sqlstore.ErrNotFound)
	}
	return user, domain, nil
}

// verify checks a password while holding one of the hash slots.
func (s *Service) verify(ctx context.Context, hash, password string) (bool, error) {
	select {
	case s.hashSlots <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-s.hashSlots }()
	ok, err := VerifyPassword(hash, password)
	if err != nil {
		return false, fmt.Errorf("iam: verify password: %w", err)
	}
	return ok, nil
}

// newToken returns a new token and the hash under which it is stored.
func newToken() (string, string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", "", fmt.Errorf("iam: read random: %w", err)
	}
	t := base64.RawURLEncoding.EncodeToString(b)
	return t, HashToken(t), nil
}

// HashToken returns the hex SHA-256 under which a token (or an agent
// credential) is stored.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// NewSecret returns a new random bearer secret and its stored hash.
func NewSecret() (string, string, error) { return newToken() }

// TokenState classifies a token for the caller.
type TokenState int

// Token states.
const (
	TokenValid TokenState = iota
	TokenUnknown
	TokenExpired
)

// Lookup resolves a token to its principal. It returns the state: unknown
// (or revoked) and expired tokens carry no principal.
func (s *Service) Lookup(ctx context.Context, token string) (*cph.Principal, *TokenInfo, TokenState, error) {
	if token == "" || len(token) > 512 {
		return nil, nil, TokenUnknown, nil
	}
	ti, err := s.tokenIdentity(ctx, HashToken(token))
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, nil, TokenUnknown, nil
	} else if err != nil {
		return nil, nil, TokenUnknown, err
	}
	t, user, domain := &ti.Token, &ti.User, &ti.Domain
	if t.Revoked {
		return nil, nil, TokenUnknown, nil
	}
	if !s.db.Now().Before(t.ExpiresAt) {
		return nil, &TokenInfo{ExpiresAt: t.ExpiresAt}, TokenExpired, nil
	}
	if !user.Enabled || !domain.Enabled {
		return nil, nil, TokenUnknown, nil
	}
	info := &TokenInfo{User: *user, Domain: *domain, IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt}
	if ti.Project != nil {
		p := *ti.Project
		info.Project = &p
	} else {
		// Tokens are either project-scoped or domain-scoped/unscoped; both of
		// the latter report the user's domain.
		d := *domain
		info.ScopeDomain = &d
	}
	p := &cph.Principal{User: *user, Domain: *domain, ProjectID: t.ProjectID, TokenHash: t.Hash, ExpiresAt: t.ExpiresAt}
	return p, info, TokenValid, nil
}

// tokenIdentity returns the token with that hash and its identity, from
// the cache while the identity data has not changed since it was read.
// Unknown tokens are not cached.
func (s *Service) tokenIdentity(ctx context.Context, hash string) (*sqlstore.TokenIdentity, error) {
	version, ok := s.db.AuthVersion()
	if ok {
		if ti, hit := s.tokens.Get(hash, version); hit {
			return ti, nil
		}
	}
	ti, err := s.db.TokenIdentityByHash(ctx, hash)
	if err != nil {
		return nil, err
	}
	if ok {
		s.tokens.Put(hash, version, ti)
	}
	return ti, nil
}

// Revoke revokes a token. It reports whether a live token was revoked.
func (s *Service) Revoke(ctx context.Context, token string) (bool, error) {
	return s.db.RevokeToken(ctx, HashToken(token))
}
