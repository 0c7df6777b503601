package aksk_test

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/aksk"
)

const (
	ak   = "EXAMPLEAK0000000000A"
	sk   = "exampleSecretKey0000000000000000000000Sk"
	date = "20240315T081530Z"
)

var signedAt = time.Date(2024, 3, 15, 8, 15, 30, 0, time.UTC)

// wire parses a raw HTTP/1.1 request as the server sees it.
func wire(t *testing.T, raw string) (*http.Request, []byte) {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	body := make([]byte, r.ContentLength)
	if r.ContentLength > 0 {
		if _, err := r.Body.Read(body); err != nil && err.Error() != "EOF" {
			t.Fatal(err)
		}
	}
	return r, body
}

// Test vectors of SDK-HMAC-SHA256 signing, computed with the official SDK's signer.
var vectors = []struct {
	name, raw, canonical, authorization string
}{
	{
		name: "V1 GET with a space in the query",
		raw: "GET /v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/cloud-phone/servers?limit=10&offset=0&server_name=phone%2001 HTTP/1.1\r\n" +
			"Host: cph.cn-east-3.myhuaweicloud.com\r\nUser-Agent: huaweicloud-usdk-go/3.0\r\nContent-Type: application/json\r\n" +
			"X-Project-Id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9\r\nX-Sdk-Date: 20240315T081530Z\r\n" +
			"Authorization: SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000A, SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=3ca25abcbd7ef9c6d1619a584e38c1bf9eb2354496cc3b19c39ebe1d816fdb0d\r\n\r\n",
		canonical: "GET\n/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/cloud-phone/servers/\nlimit=10&offset=0&server_name=phone%2001\n" +
			"user-agent:huaweicloud-usdk-go/3.0\nx-project-id:0a1b2c3d4e5f60718293a4b5c6d7e8f9\nx-sdk-date:20240315T081530Z\n\n" +
			"user-agent;x-project-id;x-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authorization: "SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000A, SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=3ca25abcbd7ef9c6d1619a584e38c1bf9eb2354496cc3b19c39ebe1d816fdb0d",
	},
	{
		name: "V2 POST with a JSON body",
		raw: "POST /v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/cloud-phone/phones/batch-restart HTTP/1.1\r\n" +
			"Host: cph.cn-east-3.myhuaweicloud.com\r\nUser-Agent: huaweicloud-usdk-go/3.0\r\nContent-Type: application/json\r\n" +
			"X-Project-Id: 0a1b2c3d4e5f60718293a4b5c6d7e8f9\r\nX-Sdk-Date: 20240315T081530Z\r\nContent-Length: 61\r\n" +
			"Authorization: SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000A, SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=5f785cb8ff57fdc0ba9965c2570215524bea9d476d55d1ae73e4d4b8357fec5b\r\n\r\n" +
			"{\"phones\":[{\"phone_id\":\"1234567890abcdef1234567890abcdef\"}]}\n",
		canonical: "POST\n/v1/0a1b2c3d4e5f60718293a4b5c6d7e8f9/cloud-phone/phones/batch-restart/\n\n" +
			"user-agent:huaweicloud-usdk-go/3.0\nx-project-id:0a1b2c3d4e5f60718293a4b5c6d7e8f9\nx-sdk-date:20240315T081530Z\n\n" +
			"user-agent;x-project-id;x-sdk-date\nfb186534b9bceb6cf2fe543368896d1e4a98fc7418e9b559222a4afdc75cba20",
		authorization: "SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000A, SignedHeaders=user-agent;x-project-id;x-sdk-date, Signature=5f785cb8ff57fdc0ba9965c2570215524bea9d476d55d1ae73e4d4b8357fec5b",
	},
	{
		name: "V3 PUT unsigned payload, escaping, empty and repeated values, trailing slash",
		raw: "PUT /v1/proj/files/my%20file:1@x/?a&b=z&b=a&q=x%20y%2Bz%2F%C3%A9 HTTP/1.1\r\n" +
			"Host: 127.0.0.1:8443\r\nContent-Type: application/octet-stream\r\nX-Custom-Header:   padded value  \r\n" +
			"X_Underscore: not-signed\r\nX-Sdk-Date: 20240315T081530Z\r\nX-Sdk-Content-Sha256: UNSIGNED-PAYLOAD\r\nContent-Length: 20\r\n" +
			"Authorization: SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000A, SignedHeaders=x-custom-header;x-sdk-content-sha256;x-sdk-date, Signature=303ce55c6fee58a40d537c404b1bb8970085d5fd489e8faa14229f3e8e911a6c\r\n\r\n" +
			"raw-bytes-not-hashed",
		canonical: "PUT\n/v1/proj/files/my%20file%3A1%40x/\na=&b=a&b=z&q=x%20y%2Bz%2F%C3%A9\n" +
			"x-custom-header:padded value\nx-sdk-content-sha256:UNSIGNED-PAYLOAD\nx-sdk-date:20240315T081530Z\n\n" +
			"x-custom-header;x-sdk-content-sha256;x-sdk-date\nUNSIGNED-PAYLOAD",
		authorization: "SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000A, SignedHeaders=x-custom-header;x-sdk-content-sha256;x-sdk-date, Signature=303ce55c6fee58a40d537c404b1bb8970085d5fd489e8faa14229f3e8e911a6c",
	},
	{
		name: "V4 the SDK's IAM project lookup",
		raw: "GET /v3/projects?name=cn-east-3 HTTP/1.1\r\nHost: iam.cn-east-3.myhuaweicloud.com\r\nUser-Agent: Go-http-client/1.1\r\n" +
			"X-Sdk-Date: 20240315T081530Z\r\nAccept-Encoding: gzip\r\n" +
			"Authorization: SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000A, SignedHeaders=x-sdk-date, Signature=0ba11210060e76a94a10111696a80c07d832d1745330113e44f251c8dc5625e4\r\n\r\n",
		canonical:     "GET\n/v3/projects/\nname=cn-east-3\nx-sdk-date:20240315T081530Z\n\nx-sdk-date\ne3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
		authorization: "SDK-HMAC-SHA256 Access=EXAMPLEAK0000000000A, SignedHeaders=x-sdk-date, Signature=0ba11210060e76a94a10111696a80c07d832d1745330113e44f251c8dc5625e4",
	},
}

func TestVectors(t *testing.T) {
	for _, v := range vectors {
		t.Run(v.name, func(t *testing.T) {
			r, body := wire(t, v.raw)
			auth, err := aksk.ParseAuthorization(r.Header.Get("Authorization"))
			if err != nil {
				t.Fatal(err)
			}
			if got := aksk.CanonicalRequest(r, body, auth.SignedHeaders); got != v.canonical {
				t.Errorf("canonical request:\n%s\nwant:\n%s", got, v.canonical)
			}
			if err := aksk.Verify(r, body, auth, sk, signedAt.Add(3*time.Minute)); err != nil {
				t.Errorf("Verify: %v", err)
			}
			// Signing the same request (without its Authorization) reproduces the SDK's header.
			r2, body2 := wire(t, v.raw)
			r2.Header.Del("Authorization")
			for k := range r2.Header {
				if !strings.Contains(v.authorization, strings.ToLower(k)) && !strings.HasPrefix(strings.ToLower(k), "content-type") && !strings.Contains(k, "_") {
					r2.Header.Del(k) // Go's transport headers the SDK did not sign
				}
			}
			aksk.Sign(r2, body2, ak, sk, time.Now())
			if got := r2.Header.Get("Authorization"); got != v.authorization {
				t.Errorf("Sign:\n%s\nwant\n%s", got, v.authorization)
			}
		})
	}
}

func TestVerifyRefusals(t *testing.T) {
	fresh := func() (*http.Request, []byte, *aksk.Authorization) {
		r, body := wire(t, vectors[1].raw)
		auth, err := aksk.ParseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			t.Fatal(err)
		}
		return r, body, auth
	}
	r, body, auth := fresh()
	if err := aksk.Verify(r, body, auth, "wrong-secret", signedAt); !errors.Is(err, aksk.ErrSignature) {
		t.Errorf("wrong key: %v", err)
	}
	if err := aksk.Verify(r, append([]byte(nil), body[:len(body)-1]...), auth, sk, signedAt); !errors.Is(err, aksk.ErrSignature) {
		t.Errorf("changed body: %v", err)
	}
	if err := aksk.Verify(r, body, auth, sk, signedAt.Add(16*time.Minute)); !errors.Is(err, aksk.ErrExpired) {
		t.Errorf("replay 16 min later: %v", err)
	}
	if err := aksk.Verify(r, body, auth, sk, signedAt.Add(-16*time.Minute)); !errors.Is(err, aksk.ErrExpired) {
		t.Errorf("16 min in the future: %v", err)
	}
	if err := aksk.Verify(r, body, auth, sk, signedAt.Add(-14*time.Minute)); err != nil {
		t.Errorf("within the window: %v", err)
	}
	r, body, auth = fresh()
	r.Header.Set("X-Project-Id", "ffffffffffffffffffffffffffffffff")
	if err := aksk.Verify(r, body, auth, sk, signedAt); !errors.Is(err, aksk.ErrSignature) {
		t.Errorf("changed signed header: %v", err)
	}
	r, body, auth = fresh()
	r.URL.RawQuery = "x=1"
	if err := aksk.Verify(r, body, auth, sk, signedAt); !errors.Is(err, aksk.ErrSignature) {
		t.Errorf("added query: %v", err)
	}
	r, body, auth = fresh()
	r.Header.Set("Content-Type", "text/plain") // not signed: does not matter
	if err := aksk.Verify(r, body, auth, sk, signedAt); err != nil {
		t.Errorf("unsigned header changed: %v", err)
	}
	r, body, auth = fresh()
	auth.SignedHeaders = "user-agent;x-project-id"
	if err := aksk.Verify(r, body, auth, sk, signedAt); !errors.Is(err, aksk.ErrDate) {
		t.Errorf("x-sdk-date not signed: %v", err)
	}
	r, body, auth = fresh()
	r.Header.Set("X-Security-Token", "sts")
	if err := aksk.Verify(r, body, auth, sk, signedAt); !errors.Is(err, aksk.ErrTemporaryAK) {
		t.Errorf("temporary credentials: %v", err)
	}
	for _, h := range []string{"SDK-HMAC-SHA256", "SDK-HMAC-SHA256 Access=a", "SDK-HMAC-SM3 Access=a, SignedHeaders=x, Signature=y", "Basic abc"} {
		if _, err := aksk.ParseAuthorization(h); err == nil {
			t.Errorf("ParseAuthorization(%q) accepted", h)
		}
	}
}

func TestTrailingSlashAndOrdering(t *testing.T) {
	// /a and /a/ canonicalise alike; query order and escaping on the wire do not matter.
	mk := func(target string) *http.Request {
		r, _ := http.NewRequest("GET", "http://h"+target, nil)
		r.Header.Set("X-Sdk-Date", date)
		return r
	}
	a := aksk.CanonicalRequest(mk("/v1/p/x?b=2&a=1&a=0"), nil, "x-sdk-date")
	b := aksk.CanonicalRequest(mk("/v1/p/x/?a=0&a=1&b=%32"), nil, "x-sdk-date")
	if a != b {
		t.Errorf("canonical forms differ:\n%s\n---\n%s", a, b)
	}
	u, _ := url.Parse("http://h/x?a_=1&a%7B=2")
	r := &http.Request{Method: "GET", URL: u, Header: http.Header{}}
	if got := strings.Split(aksk.CanonicalRequest(r, nil, "x-sdk-date"), "\n")[2]; got != "a_=1&a%7B=2" {
		t.Errorf("query sorted by unencoded names: %s", got)
	}
}

// TestBodySubstitution: a request signed over one body must not verify
// with another, whatever X-Sdk-Content-Sha256 the sender adds.
func TestBodySubstitution(t *testing.T) {
	body1 := []byte(`{"phones":[{"phone_id":"1234567890abcdef1234567890abcdef"}]}` + "\n")
	body2 := []byte(`{"phones":[{"phone_id":"ffffffffffffffffffffffffffffffff"}]}` + "\n")
	sum1 := sha256.Sum256(body1)
	hex1 := hex.EncodeToString(sum1[:])
	mk := func(extra map[string]string) *http.Request {
		r, _ := http.NewRequest("POST", "http://h/v1/p/cloud-phone/phones/batch-restart", nil)
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-Project-Id", "p")
		for k, v := range extra {
			r.Header.Set(k, v)
		}
		return r
	}
	verify := func(r *http.Request, body []byte) error {
		auth, err := aksk.ParseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			t.Fatal(err)
		}
		return aksk.Verify(r, body, auth, sk, signedAt)
	}

	// Signed over body1 without the header; the attacker adds it unsigned.
	for _, v := range []string{hex1, aksk.UnsignedPayload} {
		r := mk(nil)
		aksk.Sign(r, body1, ak, sk, signedAt)
		if err := verify(r, body1); err != nil {
			t.Fatalf("genuine request: %v", err)
		}
		r.Header.Set(aksk.HeaderContentSha256, v)
		if err := verify(r, body2); !errors.Is(err, aksk.ErrPayload) {
			t.Errorf("unsigned X-Sdk-Content-Sha256: %s with another body: %v, want ErrPayload", v, err)
		}
		if err := verify(r, body1); !errors.Is(err, aksk.ErrPayload) {
			t.Errorf("unsigned X-Sdk-Content-Sha256: %s, same body: %v, want ErrPayload", v, err)
		}
	}

	// A signed, declared hash binds the body.
	r := mk(map[string]string{aksk.HeaderContentSha256: hex1})
	aksk.Sign(r, body1, ak, sk, signedAt)
	if !strings.Contains(r.Header.Get("Authorization"), "x-sdk-content-sha256") {
		t.Fatalf("header not signed: %s", r.Header.Get("Authorization"))
	}
	if err := verify(r, body1); err != nil {
		t.Errorf("signed declared hash, right body: %v", err)
	}
	if err := verify(r, body2); !errors.Is(err, aksk.ErrPayload) {
		t.Errorf("signed declared hash, other body: %v, want ErrPayload", err)
	}
	// Declared in upper-case hex: still the body's hash.
	r = mk(map[string]string{aksk.HeaderContentSha256: strings.ToUpper(hex1)})
	aksk.Sign(r, body1, ak, sk, signedAt)
	if err := verify(r, body1); err != nil {
		t.Errorf("upper-case declared hash: %v", err)
	}

	// A signed UNSIGNED-PAYLOAD is the client's choice (the SDK's, for
	// non-JSON bodies): the body is not covered.
	r = mk(map[string]string{aksk.HeaderContentSha256: aksk.UnsignedPayload})
	aksk.Sign(r, body1, ak, sk, signedAt)
	if err := verify(r, body2); err != nil {
		t.Errorf("signed UNSIGNED-PAYLOAD: %v", err)
	}

	// Signed but malformed or repeated values are refused.
	for _, v := range []string{"", "abc", strings.Repeat("g", 64), "unsigned-payload"} {
		r = mk(map[string]string{aksk.HeaderContentSha256: v})
		aksk.Sign(r, body1, ak, sk, signedAt)
		if err := verify(r, body1); !errors.Is(err, aksk.ErrPayload) {
			t.Errorf("declared %q: %v, want ErrPayload", v, err)
		}
	}
	r = mk(map[string]string{aksk.HeaderContentSha256: hex1})
	r.Header.Add(aksk.HeaderContentSha256, aksk.UnsignedPayload)
	aksk.Sign(r, body1, ak, sk, signedAt)
	if err := verify(r, body2); !errors.Is(err, aksk.ErrPayload) {
		t.Errorf("repeated header: %v, want ErrPayload", err)
	}
}

// TestVerifyHeadersBeforeBody: with a declared payload hash the signature
// is checked before any body is seen, and the body's hash is compared
// afterwards.
func TestVerifyHeadersBeforeBody(t *testing.T) {
	body := []byte("object bytes")
	sum := sha256.Sum256(body)
	r, _ := http.NewRequest("PUT", "http://h/opencph/v1/p/buckets/b/objects/k", nil)
	r.Header.Set(aksk.HeaderContentSha256, hex.EncodeToString(sum[:]))
	aksk.Sign(r, body, ak, sk, signedAt)
	auth, _ := aksk.ParseAuthorization(r.Header.Get("Authorization"))
	if _, err := aksk.VerifyHeaders(r, auth, "wrong-secret", signedAt); !errors.Is(err, aksk.ErrSignature) {
		t.Errorf("wrong secret before the body: %v", err)
	}
	p, err := aksk.VerifyHeaders(r, auth, sk, signedAt)
	if err != nil || !p.SignatureChecked() || !p.NeedsBody() {
		t.Fatalf("VerifyHeaders = %+v, %v", p, err)
	}
	other := sha256.Sum256([]byte("other bytes"))
	if err := p.VerifyBody(other[:]); !errors.Is(err, aksk.ErrPayload) {
		t.Errorf("other body: %v", err)
	}
	if err := p.VerifyBody(sum[:]); err != nil {
		t.Errorf("right body: %v", err)
	}

	// Without the header the signature needs the body.
	r, _ = http.NewRequest("POST", "http://h/v1/p/x", nil)
	r.Header.Set("Content-Type", "application/json")
	aksk.Sign(r, body, ak, sk, signedAt)
	auth, _ = aksk.ParseAuthorization(r.Header.Get("Authorization"))
	p, err = aksk.VerifyHeaders(r, auth, "wrong-secret", signedAt)
	if err != nil || p.SignatureChecked() || !p.NeedsBody() {
		t.Fatalf("VerifyHeaders without the header = %+v, %v", p, err)
	}
	if err := p.VerifyBody(sum[:]); !errors.Is(err, aksk.ErrSignature) {
		t.Errorf("wrong secret after the body: %v", err)
	}
}

func TestParseAuthorizationStrict(t *testing.T) {
	for _, h := range []string{
		"SDK-HMAC-SHA256 Access=a, Access=b, SignedHeaders=x-sdk-date, Signature=00",
		"SDK-HMAC-SHA256 Access=a, SignedHeaders=x-sdk-date, Signature=00, Signature=11",
		"SDK-HMAC-SHA256 Access=" + strings.Repeat("A", aksk.MaxAccessLen+1) + ", SignedHeaders=x-sdk-date, Signature=00",
	} {
		if _, err := aksk.ParseAuthorization(h); !errors.Is(err, aksk.ErrMalformed) {
			t.Errorf("ParseAuthorization(%.60q) = %v, want ErrMalformed", h, err)
		}
	}
	a, err := aksk.ParseAuthorization("SDK-HMAC-SHA256 Access=a, SignedHeaders=x-sdk-date, Signature=00, Extra=1")
	if err != nil || a.Access != "a" || a.SignedHeaders != "x-sdk-date" || a.Signature != "00" {
		t.Errorf("unknown fields are ignored: %+v, %v", a, err)
	}
}
