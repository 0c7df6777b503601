// Package iam is OpenCPH's identity service: password logins that issue
// IAM tokens, token validation and revocation, in the shape of Huawei Cloud
// IAM (Keystone v3).
//
// Passwords are stored as argon2id hashes. Tokens are 32 random bytes,
// base64url-encoded; only their SHA-256 is stored, with scope and expiry,
// so tokens survive restarts and work on every replica sharing the
// database. Password checks are throttled per user and per client address
// so that the login endpoint is no password-guessing oracle; the throttle
// is kept in the database, so it holds across replicas (see throttle.go).
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
	"runtime"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/internal/vcache"
	"github.com/opencph/opencph/sqlstore"
)

// Config tunes the service. Zero fields take the defaults shown.
type Config struct {
	TokenTTL time.Duration // 24h
	// UserFailures failed logins are allowed per user and client address
	// at once; then one more every UserRefill. Defaults: 5, 1m.
	UserFailures int
	UserRefill   time.Duration
	// UserTotalFailures failed logins are allowed per user from all the
	// addresses it has not logged in from within KnownAddressFor; then one
	// more every UserTotalRefill. Defaults: 30, 30s, 30 days.
	UserTotalFailures int
	UserTotalRefill   time.Duration
	KnownAddressFor   time.Duration
	// ClientFailures failed logins are allowed per client address at once;
	// then one more every ClientRefill. Defaults: 20, 3s.
	ClientFailures int
	ClientRefill   time.Duration
	// MaxConcurrentHashes bounds concurrent password checks (each takes
	// about 19 MiB of memory and one CPU for tens of milliseconds); further
	// checks wait, for as long as their request lasts. Default: the number
	// of CPUs Go may use (GOMAXPROCS).
	MaxConcurrentHashes int
	// VerifyPassword checks a password against a stored hash; tests may
	// replace it. Default: the package's VerifyPassword.
	VerifyPassword func(hash, password string) (bool, error)
	// ServerKey (32 bytes) encrypts access-key secrets at rest. Without it
	// access keys cannot be created or verified.
	ServerKey []byte
	// PreviousServerKey, during a server key rotation, is the key that
	// ServerKey replaces: secrets sealed with it are still opened, and
	// sealed again with ServerKey when they are used (RotateServerKey
	// does all the rest at once).
	PreviousServerKey []byte
	// NextServerKey, in the first step of a rotation on several replicas,
	// is the key that will replace ServerKey: secrets that replicas
	// already on it sealed are opened, and left as they are.
	NextServerKey []byte
	// MaxKeysPerUser is the most access keys a user may have (default 2).
	MaxKeysPerUser int
	Logger         *slog.Logger
}

// Service issues and checks tokens.
type Service struct {
	db        *sqlstore.DB
	cfg       Config
	log       *slog.Logger
	limits    loginLimits
	hashSlots chan struct{}
	gates     *gates // checks of one user at one address at once
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
	if cfg.UserTotalFailures <= 0 {
		cfg.UserTotalFailures = 30
	}
	if cfg.UserTotalRefill <= 0 {
		cfg.UserTotalRefill = 30 * time.Second
	}
	if cfg.KnownAddressFor <= 0 {
		cfg.KnownAddressFor = 30 * 24 * time.Hour
	}
	if cfg.ClientFailures <= 0 {
		cfg.ClientFailures = 20
	}
	if cfg.ClientRefill <= 0 {
		cfg.ClientRefill = 3 * time.Second
	}
	if cfg.MaxConcurrentHashes <= 0 {
		cfg.MaxConcurrentHashes = runtime.GOMAXPROCS(0)
	}
	if cfg.VerifyPassword == nil {
		cfg.VerifyPassword = VerifyPassword
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
		if sl, err = newSealer(cfg.ServerKey, cfg.PreviousServerKey, cfg.NextServerKey); err != nil {
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
		limits: loginLimits{
			addr:     sqlstore.TokenBucket{Burst: cfg.ClientFailures, Every: cfg.ClientRefill},
			userAddr: sqlstore.TokenBucket{Burst: cfg.UserFailures, Every: cfg.UserRefill},
			user:     sqlstore.TokenBucket{Burst: cfg.UserTotalFailures, Every: cfg.UserTotalRefill},
			knownFor: cfg.KnownAddressFor,
		},
		hashSlots: make(chan struct{}, cfg.MaxConcurrentHashes),
		gates:     newGates(cfg.UserFailures - 1),
		dummyHash: dummy,
		tokens:    vcache.New[string, *sqlstore.TokenIdentity](tokenCacheEntries, tokenCacheTTL),
	}, nil
}

// PasswordLogin is a password authentication request.
type PasswordLogin = cph.PasswordLogin

// TokenInfo describes an issued token.
type TokenInfo = cph.TokenInfo

// ThrottledError is returned by Login while a user or client address has
// used up its failed attempts. It unwraps to a 429 *cph.Error whose
// RetryAfter is the same.
type ThrottledError struct {
	RetryAfter time.Duration
}

// Error implements error.
func (e *ThrottledError) Error() string {
	return fmt.Sprintf("iam: too many failed logins; retry after %s", e.RetryAfter)
}

// Unwrap returns the API error.
func (e *ThrottledError) Unwrap() error {
	apiErr := cph.ErrLoginThrottled(e.RetryAfter)
	apiErr.RetryAfter = e.RetryAfter
	return apiErr
}

func errWrongCredentials() error {
	return cph.ErrWrongCredentials()
}

func errBadScope() error {
	return cph.ErrIAMUnauthenticated()
}

// Login checks a password and issues a token. Wrong credentials of any
// kind give the same 401; too many failures give a *ThrottledError, before
// the password is checked.
func (s *Service) Login(ctx context.Context, req PasswordLogin) (string, *TokenInfo, error) {
	now := s.db.Now()
	user, domain, err := s.findUser(ctx, req)
	if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
		return "", nil, err
	}
	hash, userID := s.dummyHash, ""
	if user != nil {
		hash, userID = user.PasswordHash, user.ID
	}
	subject := loginSubject(userID, req)
	// Only a login that succeeds with the right password gives its
	// attempts back.
	canSucceed := user != nil && user.Enabled && domain.Enabled && domainMatches(req, domain)
	ok, err := s.checkPassword(ctx, passwordCheck{Subject: subject, Addr: req.ClientAddr, Hash: hash, Password: req.Password, Refund: canSucceed})
	if err != nil {
		return "", nil, err
	}
	if !ok || !canSucceed {
		s.log.Info("login failed", "user", req.UserName, "user_id", req.UserID, "domain", req.DomainName, "client", req.ClientAddr)
		return "", nil, errWrongCredentials()
	}
	s.remember(ctx, subject, req.ClientAddr)
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
	return user, domain, nil
}

// domainMatches reports whether the account a login names, if any, is
// domain (a user given by id may come with a name or id of its account).
func domainMatches(req PasswordLogin, domain *cph.Domain) bool {
	return (req.DomainName == "" || domain.Name == req.DomainName) && (req.DomainID == "" || domain.ID == req.DomainID)
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
	if err := s.db.FollowUserChanges(ctx); err != nil {
		return nil, err
	}
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
