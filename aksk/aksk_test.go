package aksk_test

import (
	"bufio"
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

// The vectors of the IAM specification §11, computed with the official SDK's signer.
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
