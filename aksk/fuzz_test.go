package aksk_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/aksk"
)

// The seed corpora of these targets run with every `go test`; explore
// further with e.g. `go test ./aksk -run '^$' -fuzz FuzzVerify -fuzztime 1m`.

// FuzzParseAuthorization: the parser never panics, accepts only headers
// with all three fields, and what it accepts formats back to the same.
func FuzzParseAuthorization(f *testing.F) {
	for _, v := range vectors {
		f.Add(v.authorization)
	}
	for _, s := range []string{
		"", "SDK-HMAC-SHA256", "SDK-HMAC-SHA256 ", "SDK-HMAC-SHA256 Access=a", "SDK-HMAC-SHA256 Access=a,SignedHeaders=b,Signature=c",
		"SDK-HMAC-SHA256 Access=a, SignedHeaders=b, Signature=c, Access=d", "SDK-HMAC-SHA256 Access==, SignedHeaders= ;, Signature=\x00",
		"SDK-HMAC-SM3 Access=a, SignedHeaders=b, Signature=c", "V11-HMAC-SHA256 Credential=a/b/c/d, SignedHeaders=b, Signature=c",
		"Bearer x", "SDK-HMAC-SHA256 ,,,", "SDK-HMAC-SHA256 Access=" + strings.Repeat("A", aksk.MaxAccessLen+1) + ", SignedHeaders=b, Signature=c",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, header string) {
		a, err := aksk.ParseAuthorization(header)
		if err != nil {
			if a != nil {
				t.Fatal("a result with an error")
			}
			if !errors.Is(err, aksk.ErrMalformed) && !errors.Is(err, aksk.ErrAlgorithm) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		if !strings.HasPrefix(header, aksk.Algorithm+" ") {
			t.Fatalf("accepted another scheme: %q", header)
		}
		if a.Access == "" || a.SignedHeaders == "" || a.Signature == "" || len(a.Access) > aksk.MaxAccessLen {
			t.Fatalf("accepted %+v", a)
		}
		again, err := aksk.ParseAuthorization(fmt.Sprintf("%s Access=%s, SignedHeaders=%s, Signature=%s", aksk.Algorithm, a.Access, a.SignedHeaders, a.Signature))
		if err != nil || *again != *a {
			t.Fatalf("round trip of %+v: %+v, %v", a, again, err)
		}
	})
}

// FuzzVerify signs arbitrary requests as the SDK does and checks that the
// verifier accepts them, and refuses them once the body, the secret, or
// an unsigned X-Sdk-Content-Sha256 is changed.
func FuzzVerify(f *testing.F) {
	f.Add("POST", "/v1/p/cloud-phone/phones/batch-restart", "User-Agent", "huaweicloud-usdk-go/3.0", "application/json", []byte(`{"phones":[{"phone_id":"p1"}]}`+"\n"), uint8(0))
	f.Add("GET", "/v1/p/cloud-phone/servers?limit=10&server_name=phone%2001", "X-Project-Id", "p", "application/json", []byte(nil), uint8(0))
	f.Add("PUT", "/opencph/v1/p/buckets/b/objects/a%20b/c.apk", "X-Custom", "  padded  ", "application/octet-stream", []byte("apk bytes"), uint8(2))
	f.Add("PUT", "/opencph/v1/p/buckets/b/objects/k?x&y=1&y=0", "X-Custom", "v", "", []byte("declared"), uint8(1))
	f.Add("DELETE", "/v1/p/x/", "X_Underscore", "never signed", "text/plain", []byte{0, 1, 2}, uint8(0))
	f.Fuzz(func(t *testing.T, method, target, hname, hval, contentType string, body []byte, mode uint8) {
		r, err := http.NewRequest(method, "http://h"+target, nil)
		if err != nil || r.URL.Host != "h" {
			t.Skip()
		}
		switch strings.ToLower(hname) {
		case "", "authorization", "x-sdk-date", "x-security-token", "x-sdk-content-sha256", "host":
		default:
			if !isToken(hname) {
				t.Skip() // not a header name HTTP can carry
			}
			r.Header.Set(hname, hval)
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		sum := sha256.Sum256(body)
		switch mode % 3 {
		case 1:
			r.Header.Set(aksk.HeaderContentSha256, hex.EncodeToString(sum[:]))
		case 2:
			r.Header.Set(aksk.HeaderContentSha256, aksk.UnsignedPayload)
		}
		aksk.Sign(r, body, ak, sk, signedAt)
		auth, err := aksk.ParseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			t.Fatalf("Sign made an unparsable header %q: %v", r.Header.Get("Authorization"), err)
		}
		if err := aksk.Verify(r, body, auth, sk, signedAt); err != nil {
			t.Fatalf("genuine request refused: %v", err)
		}
		if err := aksk.Verify(r, body, auth, sk+"x", signedAt); err == nil {
			t.Fatal("accepted with another secret")
		}
		other := append(bytes.Clone(body), 'x')
		unsigned := r.Header.Get(aksk.HeaderContentSha256) == aksk.UnsignedPayload
		if err := aksk.Verify(r, other, auth, sk, signedAt); (err == nil) != unsigned {
			t.Fatalf("another body (payload %q): %v", r.Header.Get(aksk.HeaderContentSha256), err)
		}
		if r.Header.Get(aksk.HeaderContentSha256) == "" {
			// The attack: an unsigned header naming the hash of the body sent.
			otherSum := sha256.Sum256(other)
			for _, v := range []string{hex.EncodeToString(otherSum[:]), hex.EncodeToString(sum[:]), aksk.UnsignedPayload} {
				r.Header.Set(aksk.HeaderContentSha256, v)
				if err := aksk.Verify(r, other, auth, sk, signedAt); !errors.Is(err, aksk.ErrPayload) {
					t.Fatalf("unsigned X-Sdk-Content-Sha256: %s: %v", v, err)
				}
			}
		}
	})
}

// FuzzVerifyWire feeds raw HTTP requests to the verifier: it never panics,
// and whatever it accepts obeys the payload rule (a present
// X-Sdk-Content-Sha256 is signed and, unless UNSIGNED-PAYLOAD, is the
// body's hash). The seeds are the specification's signed vectors, which
// it accepts.
func FuzzVerifyWire(f *testing.F) {
	for _, v := range vectors {
		f.Add([]byte(v.raw))
	}
	f.Add([]byte("PUT /x HTTP/1.1\r\nHost: h\r\nX-Sdk-Date: 20240315T081530Z\r\nX-Sdk-Content-Sha256: UNSIGNED-PAYLOAD\r\nContent-Length: 3\r\n" +
		"Authorization: SDK-HMAC-SHA256 Access=a, SignedHeaders=x-sdk-date, Signature=00\r\n\r\nabc"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
		if err != nil {
			return
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			return
		}
		auth, err := aksk.ParseAuthorization(r.Header.Get("Authorization"))
		if err != nil {
			return
		}
		if aksk.Verify(r, body, auth, sk, signedAt.Add(3*time.Minute)) != nil {
			return
		}
		if vals := r.Header.Values(aksk.HeaderContentSha256); len(vals) > 0 {
			signed := false
			for _, h := range strings.Split(auth.SignedHeaders, ";") {
				signed = signed || strings.EqualFold(h, aksk.HeaderContentSha256)
			}
			sum := sha256.Sum256(body)
			if len(vals) != 1 || !signed || (vals[0] != aksk.UnsignedPayload && !strings.EqualFold(vals[0], hex.EncodeToString(sum[:]))) {
				t.Fatalf("accepted X-Sdk-Content-Sha256 %q (signed: %v) over a body of hash %x", vals, signed, sum)
			}
		}
	})
}

// isToken reports whether s is an HTTP token (a valid header name).
func isToken(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return s != ""
}
