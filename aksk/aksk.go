// Package aksk implements SDK-HMAC-SHA256, the access-key request signing
// of Huawei Cloud's SDKs: Sign signs a request as the official Go SDK does,
// and Verify checks a signed request the way the API gateway does.
//
// X-Sdk-Content-Sha256, when present, must be signed and be either
// UNSIGNED-PAYLOAD or the SHA-256 of the body received; VerifyHeaders and
// Pending let a server check everything else before it reads the body.
//
// The canonical request is built from the decoded path and query, so it
// does not matter how a client escaped them on the wire. Only the
// SDK-HMAC-SHA256 algorithm is supported; the SDK's other algorithms are
// reported as unsupported.
package aksk

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// Algorithm is the only signing algorithm supported.
const Algorithm = "SDK-HMAC-SHA256"

// DateLayout is the layout of the X-Sdk-Date header.
const DateLayout = "20060102T150405Z"

// MaxSkew is how far X-Sdk-Date may be from the server's clock.
const MaxSkew = 15 * time.Minute

// Header names.
const (
	HeaderDate          = "X-Sdk-Date"
	HeaderContentSha256 = "X-Sdk-Content-Sha256"
	HeaderProjectID     = "X-Project-Id"
	HeaderSecurityToken = "X-Security-Token"
	UnsignedPayload     = "UNSIGNED-PAYLOAD"
)

// Errors returned by ParseAuthorization and Verify.
var (
	ErrMalformed   = errors.New("aksk: malformed Authorization header")
	ErrAlgorithm   = errors.New("aksk: unsupported signing algorithm")
	ErrExpired     = errors.New("aksk: signature expired")
	ErrDate        = errors.New("aksk: X-Sdk-Date missing, unsigned or malformed")
	ErrSignature   = errors.New("aksk: signature mismatch")
	ErrTemporaryAK = errors.New("aksk: temporary credentials are not supported")
	// ErrPayload means X-Sdk-Content-Sha256 is repeated, not signed, or
	// does not match the body received.
	ErrPayload = errors.New("aksk: payload hash not signed or not matching the body")
)

// MaxAccessLen bounds the Access field of an Authorization header; real
// access keys are 20 characters.
const MaxAccessLen = 128

// Authorization is a parsed Authorization header.
type Authorization struct {
	Access        string
	SignedHeaders string
	Signature     string
}

// IsSigned reports whether an Authorization header value uses an SDK
// signing scheme (of any algorithm).
func IsSigned(header string) bool {
	return strings.HasPrefix(header, "SDK-") || strings.HasPrefix(header, "V11-HMAC-SHA256 ")
}

// ParseAuthorization parses "SDK-HMAC-SHA256 Access=..., SignedHeaders=...,
// Signature=...".
func ParseAuthorization(header string) (*Authorization, error) {
	scheme, rest, ok := strings.Cut(header, " ")
	if !ok {
		return nil, ErrMalformed
	}
	if scheme != Algorithm {
		return nil, fmt.Errorf("%w: %s", ErrAlgorithm, scheme)
	}
	var a Authorization
	for _, part := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return nil, ErrMalformed
		}
		var field *string
		switch k {
		case "Access":
			field = &a.Access
		case "SignedHeaders":
			field = &a.SignedHeaders
		case "Signature":
			field = &a.Signature
		default:
			continue
		}
		if *field != "" {
			return nil, ErrMalformed // a repeated field is ambiguous
		}
		*field = v
	}
	if a.Access == "" || a.SignedHeaders == "" || a.Signature == "" || len(a.Access) > MaxAccessLen {
		return nil, ErrMalformed
	}
	return &a, nil
}

// enc percent-encodes every byte except A–Z a–z 0–9 - _ . ~, with
// uppercase hex.
func enc(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// canonicalURI encodes each segment of the decoded path and ends it with a slash.
func canonicalURI(path string) string {
	segs := strings.Split(path, "/")
	for i := range segs {
		segs[i] = enc(segs[i])
	}
	uri := strings.Join(segs, "/")
	if !strings.HasSuffix(uri, "/") {
		uri += "/"
	}
	return uri
}

// canonicalQuery sorts names and values by their unencoded bytes, then
// encodes them.
func canonicalQuery(q url.Values) string {
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	var parts []string
	for _, k := range names {
		vs := append([]string(nil), q[k]...)
		sort.Strings(vs)
		for _, v := range vs {
			parts = append(parts, enc(k)+"="+enc(v))
		}
	}
	return strings.Join(parts, "&")
}

// CanonicalRequest builds the canonical request of r over the given signed
// header list (lowercase names joined by ';') and body. The payload hash
// is the X-Sdk-Content-Sha256 header's value when it is present, else the
// SHA-256 of body.
func CanonicalRequest(r *http.Request, body []byte, signedHeaders string) string {
	payload := r.Header.Get(HeaderContentSha256)
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
	}
	return canonicalRequest(r, payload, signedHeaders)
}

// canonicalRequest builds the canonical request with the given payload hash.
func canonicalRequest(r *http.Request, payload, signedHeaders string) string {
	var hs []string
	for _, name := range strings.Split(signedHeaders, ";") {
		var vals []string
		if name == "host" {
			vals = []string{r.Host}
		} else {
			vals = append(vals, r.Header.Values(name)...)
		}
		sort.Strings(vals)
		for _, v := range vals {
			hs = append(hs, name+":"+strings.TrimSpace(v))
		}
	}
	return strings.Join([]string{r.Method, canonicalURI(r.URL.Path), canonicalQuery(r.URL.Query()),
		strings.Join(hs, "\n") + "\n", signedHeaders, payload}, "\n")
}

// StringToSign returns the string an SDK-HMAC-SHA256 signature covers.
func StringToSign(canonicalRequest, date string) string {
	h := sha256.Sum256([]byte(canonicalRequest))
	return Algorithm + "\n" + date + "\n" + hex.EncodeToString(h[:])
}

// signature is the hex HMAC-SHA256 of the string to sign under sk.
func signature(stringToSign, sk string) string {
	m := hmac.New(sha256.New, []byte(sk))
	m.Write([]byte(stringToSign))
	return hex.EncodeToString(m.Sum(nil))
}

// Sign signs r in place as the official Go SDK does: it sets X-Sdk-Date
// (from now unless r already has a parseable one), X-Sdk-Content-Sha256
// for non-JSON bodies, and Authorization, signing every header of r except
// Content-Type and names with '_'. body must be the exact request body.
func Sign(r *http.Request, body []byte, ak, sk string, now time.Time) {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.Contains(ct, "application/json") && !strings.Contains(ct, "application/bson") {
		r.Header.Set(HeaderContentSha256, UnsignedPayload)
	}
	date := r.Header.Get(HeaderDate)
	if _, err := time.Parse(DateLayout, date); err != nil {
		date = now.UTC().Format(DateLayout)
		r.Header.Set(HeaderDate, date)
	}
	var names []string
	for k := range r.Header {
		lk := strings.ToLower(k)
		if strings.HasPrefix(lk, "content-type") || strings.Contains(lk, "_") || lk == "authorization" {
			continue
		}
		names = append(names, lk)
	}
	sort.Strings(names)
	signed := strings.Join(names, ";")
	sig := signature(StringToSign(CanonicalRequest(r, body, signed), date), sk)
	r.Header.Set("Authorization", fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s", Algorithm, ak, signed, sig))
}

// Verify checks the signature of r (whose body is body) made with secret
// key sk, at server time now. It does not look up keys: parse the header
// with ParseAuthorization first to learn the access key. It is
// VerifyHeaders followed, when needed, by Pending.VerifyBody.
func Verify(r *http.Request, body []byte, auth *Authorization, sk string, now time.Time) error {
	p, err := VerifyHeaders(r, auth, sk, now)
	if err != nil {
		return err
	}
	if p.NeedsBody() {
		sum := sha256.Sum256(body)
		return p.VerifyBody(sum[:])
	}
	return nil
}

// Pending is a signature check of which the part that needs no body is
// done. A server uses it to authenticate a request before reading the
// body: when the client declared the payload hash (X-Sdk-Content-Sha256,
// which must then be signed), the signature is checked at once and only
// the body's hash remains to compare; without the header the signature
// covers the body's hash and can only be checked once the body is read.
type Pending struct {
	r        *http.Request
	auth     *Authorization
	sk, date string
	// declared is the X-Sdk-Content-Sha256 value, "" without the header.
	declared string
}

// VerifyHeaders makes every check of Verify that needs no body: no
// temporary credentials, X-Sdk-Date signed and within MaxSkew of now, and
// X-Sdk-Content-Sha256, when present, sent once, signed and either
// UNSIGNED-PAYLOAD or a hex SHA-256. When the header is present it also
// checks the signature.
func VerifyHeaders(r *http.Request, auth *Authorization, sk string, now time.Time) (*Pending, error) {
	if r.Header.Get(HeaderSecurityToken) != "" {
		return nil, ErrTemporaryAK
	}
	hasDate, hasPayload := false, false
	for _, h := range strings.Split(auth.SignedHeaders, ";") {
		switch {
		case h == "x-sdk-date":
			hasDate = true
		case strings.EqualFold(h, HeaderContentSha256):
			hasPayload = true
		}
	}
	date := r.Header.Get(HeaderDate)
	t, err := time.Parse(DateLayout, date)
	if !hasDate || err != nil {
		return nil, ErrDate
	}
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return nil, fmt.Errorf("%w, signature time:%s,server time:%s", ErrExpired, date, now.UTC().Format(DateLayout))
	}
	p := &Pending{r: r, auth: auth, sk: sk, date: date}
	if vals := r.Header.Values(HeaderContentSha256); len(vals) > 0 {
		// Unsigned, the header would let anyone swap the body of a signed
		// request: the canonical request takes its value, not the body's hash.
		if len(vals) > 1 || !hasPayload || (vals[0] != UnsignedPayload && !isHexSum(vals[0])) {
			return nil, ErrPayload
		}
		p.declared = vals[0]
		if err := p.check(p.declared); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// isHexSum reports whether s is a hex SHA-256.
func isHexSum(s string) bool {
	if len(s) != 2*sha256.Size {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

// SignatureChecked reports whether the signature has been checked (the
// payload hash was declared in a signed header).
func (p *Pending) SignatureChecked() bool { return p.declared != "" }

// NeedsBody reports whether the body's SHA-256 must still be given to
// VerifyBody: always, unless the signed payload hash is UNSIGNED-PAYLOAD.
func (p *Pending) NeedsBody() bool { return p.declared != UnsignedPayload }

// VerifyBody finishes the check with the SHA-256 of the body received:
// it must equal the declared payload hash, or, without one, give the
// signature.
func (p *Pending) VerifyBody(sum []byte) error {
	got := hex.EncodeToString(sum)
	switch p.declared {
	case UnsignedPayload:
		return nil
	case "":
		return p.check(got)
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(strings.ToLower(p.declared))) != 1 {
		return ErrPayload
	}
	return nil
}

// check compares the signature with the one computed over payload.
func (p *Pending) check(payload string) error {
	want := signature(StringToSign(canonicalRequest(p.r, payload, p.auth.SignedHeaders), p.date), p.sk)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(p.auth.Signature))) {
		return ErrSignature
	}
	return nil
}
