package iam

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/sqlstore"
)

// Access key statuses.
const (
	KeyActive   = cph.KeyActive
	KeyInactive = cph.KeyInactive
)

// errAuth is an AK/SK authentication failure (401 APIGW.0301).
func errAuth(detail string) error {
	return cph.ErrBadCredential(detail)
}

// ErrTooManyKeys is returned when a user already has the maximum number
// of access keys.
var ErrTooManyKeys = errors.New("iam: akSkNumExceed")

// sealer encrypts access-key secrets at rest with AES-256-GCM under the
// server key. During a server key rotation it also opens secrets sealed
// with the previous key (which are then sealed again with the current
// one) or with the next key (left as they are: replicas that already seal
// with it are ahead, not behind).
type sealer struct {
	aead     cipher.AEAD
	previous cipher.AEAD // nil when no rotation is under way
	next     cipher.AEAD // nil when no rotation is under way
}

// sealedWith says which key opened a secret.
type sealedWith int

const (
	withCurrent sealedWith = iota
	withPrevious
	withNext
)

func newAEAD(key []byte) (cipher.AEAD, error) {
	if len(key) != 32 {
		return nil, fmt.Errorf("iam: the server key must be 32 bytes, not %d", len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("iam: server key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("iam: server key: %w", err)
	}
	return aead, nil
}

func newSealer(key, previous, next []byte) (*sealer, error) {
	s := &sealer{}
	var err error
	if s.aead, err = newAEAD(key); err != nil {
		return nil, err
	}
	if previous != nil {
		if s.previous, err = newAEAD(previous); err != nil {
			return nil, fmt.Errorf("previous %w", err)
		}
	}
	if next != nil {
		if s.next, err = newAEAD(next); err != nil {
			return nil, fmt.Errorf("next %w", err)
		}
	}
	return s, nil
}

// seal encrypts plaintext under the current key, binding it to the
// access key id.
func (s *sealer) seal(plaintext, access string) string {
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out := s.aead.Seal(nonce, nonce, []byte(plaintext), []byte(access))
	return base64.StdEncoding.EncodeToString(out)
}

// open decrypts what seal produced for the same access key id, under the
// current key or, during a rotation, the previous or next one, and says
// which key it was.
func (s *sealer) open(sealed, access string) (string, sealedWith, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil || len(raw) < s.aead.NonceSize() {
		return "", 0, errors.New("iam: corrupt sealed secret")
	}
	n := s.aead.NonceSize()
	pt, err := s.aead.Open(nil, raw[:n], raw[n:], []byte(access))
	if err == nil {
		return string(pt), withCurrent, nil
	}
	for _, k := range []struct {
		aead cipher.AEAD
		with sealedWith
	}{{s.previous, withPrevious}, {s.next, withNext}} {
		if k.aead == nil {
			continue
		}
		if pt, err := k.aead.Open(nil, raw[:n], raw[n:], []byte(access)); err == nil {
			return string(pt), k.with, nil
		}
	}
	return "", 0, fmt.Errorf("iam: open sealed secret of access key %s (wrong server key?): %w", access, err)
}

const (
	akAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	skAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
)

// randomString returns n characters drawn uniformly from alphabet.
func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	limit := byte(256 - 256%len(alphabet))
	buf := make([]byte, 1)
	for i := 0; i < n; {
		_, _ = rand.Read(buf)
		if buf[0] >= limit {
			continue
		}
		b[i] = alphabet[int(buf[0])%len(alphabet)]
		i++
	}
	return string(b)
}

// mayManage reports whether caller may manage the access keys of user.
func mayManage(caller *cph.Principal, user *cph.User) bool {
	return caller.User.ID == user.ID || (caller.User.IsAdmin && caller.Domain.ID == user.DomainID)
}

// CreatedKey is a new access key with its secret, shown once.
type CreatedKey = cph.CreatedAccessKey

// CreateAccessKey creates an access key for userID (the caller's own, or,
// for an admin, any user of the same account).
func (s *Service) CreateAccessKey(ctx context.Context, caller *cph.Principal, userID, description string) (*CreatedKey, error) {
	if s.sealer == nil {
		return nil, errors.New("iam: no server key configured for access keys")
	}
	user, err := s.db.UserByID(ctx, userID)
	if errors.Is(err, sqlstore.ErrNotFound) || (err == nil && !mayManage(caller, user) && caller.Domain.ID != user.DomainID) {
		return nil, cph.ErrIAMNotFound("user", userID)
	} else if err != nil {
		return nil, err
	}
	if !mayManage(caller, user) {
		return nil, cph.ErrIAMForbidden("manage the access keys of this user")
	}
	if len(description) > 255 || !cph.ValidText(description) {
		return nil, cph.ErrIAMBadRequest("The description is longer than 255 characters or holds a NUL byte or invalid UTF-8.")
	}
	k := &CreatedKey{Secret: randomString(40, skAlphabet)}
	k.Access = randomString(20, akAlphabet)
	k.UserID, k.DomainID, k.Status, k.Description = user.ID, user.DomainID, KeyActive, description
	k.SecretEnc = s.sealer.seal(k.Secret, k.Access)
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		return tx.CreateAccessKey(ctx, &k.AccessKey, s.cfg.MaxKeysPerUser)
	})
	if errors.Is(err, sqlstore.ErrLimit) {
		return nil, ErrTooManyKeys
	}
	if err != nil {
		return nil, err
	}
	return k, nil
}

// ListAccessKeys lists the keys of userID (empty: the caller's own).
func (s *Service) ListAccessKeys(ctx context.Context, caller *cph.Principal, userID string) ([]*sqlstore.AccessKey, error) {
	if userID == "" {
		userID = caller.User.ID
	}
	user, err := s.db.UserByID(ctx, userID)
	if errors.Is(err, sqlstore.ErrNotFound) || (err == nil && caller.Domain.ID != user.DomainID) {
		return nil, cph.ErrIAMNotFound("user", userID)
	} else if err != nil {
		return nil, err
	}
	if !mayManage(caller, user) {
		return nil, cph.ErrIAMForbidden("manage the access keys of this user")
	}
	return s.db.ListAccessKeys(ctx, userID)
}

// AccessKey returns one key the caller may manage.
func (s *Service) AccessKey(ctx context.Context, caller *cph.Principal, access string) (*sqlstore.AccessKey, error) {
	k, err := s.db.AccessKeyByID(ctx, access)
	if errors.Is(err, sqlstore.ErrNotFound) || (err == nil && k.DomainID != caller.Domain.ID) {
		return nil, cph.ErrIAMNotFound("access key", access)
	} else if err != nil {
		return nil, err
	}
	if k.UserID != caller.User.ID && !caller.User.IsAdmin {
		return nil, cph.ErrIAMForbidden("manage this access key")
	}
	return k, nil
}

// UpdateAccessKey changes the status and/or description of a key; nil
// arguments keep the current value. It returns the updated key.
func (s *Service) UpdateAccessKey(ctx context.Context, caller *cph.Principal, access string, status, description *string) (*sqlstore.AccessKey, error) {
	k, err := s.AccessKey(ctx, caller, access)
	if err != nil {
		return nil, err
	}
	if status != nil {
		if *status != KeyActive && *status != KeyInactive {
			return nil, cph.ErrIAMBadRequest("The status must be active or inactive.")
		}
		k.Status = *status
	}
	if description != nil {
		if len(*description) > 255 || !cph.ValidText(*description) {
			return nil, cph.ErrIAMBadRequest("The description is longer than 255 characters or holds a NUL byte or invalid UTF-8.")
		}
		k.Description = *description
	}
	if err := s.db.UpdateAccessKey(ctx, access, k.Status, k.Description); err != nil {
		return nil, err
	}
	return k, nil
}

// DeleteAccessKey deletes a key; signatures made with it stop verifying at once.
func (s *Service) DeleteAccessKey(ctx context.Context, caller *cph.Principal, access string) error {
	if _, err := s.AccessKey(ctx, caller, access); err != nil {
		return err
	}
	return s.db.DeleteAccessKey(ctx, access)
}

// VerifySigned authenticates a request signed with an access key
// (SDK-HMAC-SHA256). body is the request's exact body. Failures are 401
// APIGW.0301 with Huawei's messages. Servers that must not read a body
// before authenticating use BeginSigned.
func (s *Service) VerifySigned(ctx context.Context, r *http.Request, body []byte) (*cph.Principal, error) {
	sr, err := s.BeginSigned(ctx, r)
	if err != nil {
		return nil, err
	}
	if sr.NeedsBody() {
		sum := sha256.Sum256(body)
		if err := sr.VerifyBody(ctx, sum[:]); err != nil {
			return nil, err
		}
	}
	return sr.Principal(), nil
}

// SignedRequest is an access-key request whose key, owner, date, signed
// headers and, when the payload hash is declared, signature are checked;
// the body may remain to be checked (NeedsBody, VerifyBody).
type SignedRequest struct {
	s         *Service
	pending   *aksk.Pending
	principal *cph.Principal
	now       time.Time
}

// BeginSigned makes every check of a signed request that needs no body:
// it parses the Authorization header, looks the key up (active, owner and
// account enabled) and runs aksk.VerifyHeaders. Nothing here reads r.Body.
func (s *Service) BeginSigned(ctx context.Context, r *http.Request) (*SignedRequest, error) {
	auth, err := aksk.ParseAuthorization(r.Header.Get("Authorization"))
	if errors.Is(err, aksk.ErrAlgorithm) {
		return nil, errAuth("unsupported signing algorithm")
	} else if err != nil {
		return nil, errAuth("authorization header is malformed")
	}
	if s.sealer == nil {
		return nil, errAuth("ak " + auth.Access + " not exist")
	}
	k, err := s.db.AccessKeyByID(ctx, auth.Access)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, errAuth("ak " + auth.Access + " not exist")
	} else if err != nil {
		return nil, fmt.Errorf("iam: look up access key: %w", err)
	}
	if k.Status != KeyActive {
		return nil, errAuth("ak " + auth.Access + " not exist")
	}
	user, err := s.db.UserByID(ctx, k.UserID)
	if err != nil {
		return nil, fmt.Errorf("iam: owner of access key: %w", err)
	}
	domain, err := s.db.DomainByID(ctx, k.DomainID)
	if err != nil {
		return nil, fmt.Errorf("iam: account of access key: %w", err)
	}
	if !user.Enabled || !domain.Enabled {
		return nil, errAuth("ak " + auth.Access + " not exist")
	}
	secret, with, err := s.sealer.open(k.SecretEnc, k.Access)
	if err != nil {
		return nil, err
	}
	if with == withPrevious {
		s.reseal(ctx, k, secret)
	}
	now := s.db.Now()
	p, err := aksk.VerifyHeaders(r, auth, secret, now)
	if err != nil {
		return nil, signError(err)
	}
	sr := &SignedRequest{s: s, pending: p, now: now,
		principal: &cph.Principal{User: *user, Domain: *domain, AccessKey: k.Access, ExpiresAt: time.Time{}}}
	if p.SignatureChecked() {
		sr.touch(ctx)
	}
	return sr, nil
}

// Principal is the key's owner. The request is authenticated once
// BeginSigned succeeded and, if NeedsBody, VerifyBody did too.
func (sr *SignedRequest) Principal() *cph.Principal { return sr.principal }

// SignatureChecked reports whether the signature is already verified (the
// client declared the payload hash in a signed header), so that only the
// body's hash remains to compare.
func (sr *SignedRequest) SignatureChecked() bool { return sr.pending.SignatureChecked() }

// NeedsBody reports whether VerifyBody must still be called with the
// body's SHA-256 (always, unless the signed payload hash is UNSIGNED-PAYLOAD).
func (sr *SignedRequest) NeedsBody() bool { return sr.pending.NeedsBody() }

// VerifyBody finishes authentication with the SHA-256 of the body received.
func (sr *SignedRequest) VerifyBody(ctx context.Context, sum []byte) error {
	if err := sr.pending.VerifyBody(sum); err != nil {
		return signError(err)
	}
	if !sr.pending.SignatureChecked() {
		sr.touch(ctx)
	}
	return nil
}

// touch records the key's use.
func (sr *SignedRequest) touch(ctx context.Context) {
	if err := sr.s.db.TouchAccessKey(ctx, sr.principal.AccessKey, sr.now); err != nil {
		sr.s.log.Warn("could not record access key use", "access", sr.principal.AccessKey, "err", err)
	}
}

// signError maps a verification failure to its 401 APIGW.0301.
func signError(err error) error {
	switch {
	case errors.Is(err, aksk.ErrExpired):
		return errAuth("calc ak sk signature fail:" + strings.TrimPrefix(err.Error(), "aksk: "))
	case errors.Is(err, aksk.ErrTemporaryAK):
		return errAuth("security token is not supported")
	case errors.Is(err, aksk.ErrDate):
		return errAuth("x-sdk-date is missing, not signed or malformed")
	}
	return errAuth("verify aksk signature fail")
}
