// Package aksk implements SDK-HMAC-SHA256, the access-key request signing
// of Huawei Cloud's SDKs: Sign signs a request as the official Go SDK does,
// and Verify checks a signed request the way the API gateway does.
//
// The canonical request is built from the decoded path and query, so it
// does not matter how a client escaped them on the wire. Only the
// SDK-HMAC-SHA256 algorithm is supported; the SDK's other algorithms are
// reported as unsupported.
package aksk

import (
	"crypto/hmac"
	"crypto/sha256"
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
)

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
		switch k {
		case "Access":
			a.Access = v
		case "SignedHeaders":
			a.SignedHeaders = v
		case "Signature":
			a.Signature = v
		}
	}
	if a.Access == "" || a.SignedHeaders == "" || a.Signature == "" {
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
// header list (lowercase names joined by ';') and body.
func CanonicalRequest(r *http.Request, body []byte, signedHeaders string) string {
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
	payload := r.Header.Get(HeaderContentSha256)
	if payload == "" {
		sum := sha256.Sum256(body)
		payload = hex.EncodeToString(sum[:])
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
// with ParseAuthorization first to learn the access key.
func Verify(r *http.Request, body []byte, auth *Authorization, sk string, now time.Time) error {
	if r.Header.Get(HeaderSecurityToken) != "" {
		return ErrTemporaryAK
	}
	signed := strings.Split(auth.SignedHeaders, ";")
	hasDate := false
	for _, h := range signed {
		if h == "x-sdk-date" {
			hasDate = true
		}
	}
	date := r.Header.Get(HeaderDate)
	t, err := time.Parse(DateLayout, date)
	if !hasDate || err != nil {
		return ErrDate
	}
	if d := now.Sub(t); d > MaxSkew || d < -MaxSkew {
		return fmt.Errorf("%w, signature time:%s,server time:%s", ErrExpired, date, now.UTC().Format(DateLayout))
	}
	want := signature(StringToSign(CanonicalRequest(r, body, auth.SignedHeaders), date), sk)
	if !hmac.Equal([]byte(want), []byte(strings.ToLower(auth.Signature))) {
		return ErrSignature
	}
	return nil
}
