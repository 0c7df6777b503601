package controlplane_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/controlplane"
)

// newAccessKey creates an access key for the bootstrap user.
func newAccessKey(t *testing.T, srv *controlplane.Server, token string) (ak, sk string) {
	t.Helper()
	_, tokResp := login(t, srv, testPassword)
	userID := tokResp.body["token"].(map[string]any)["user"].(map[string]any)["id"].(string)
	created := do(t, "POST", srv.URL()+"/v3.0/OS-CREDENTIAL/credentials", token,
		map[string]any{"credential": map[string]any{"user_id": userID}})
	if created.status != 201 {
		t.Fatalf("create key: %d %s", created.status, created.raw)
	}
	cred := created.body["credential"].(map[string]any)
	return cred["access"].(string), cred["secret"].(string)
}

// sendSigned sends req (signed by the caller) with body and decodes the answer.
func sendSigned(t *testing.T, req *http.Request, body []byte) *response {
	t.Helper()
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	return send(t, req)
}

func sha256Hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// TestSignedBodySubstitution: a request signed over one body is refused
// with another, whatever X-Sdk-Content-Sha256 the sender adds, on the CPH
// API and on object uploads; the SDK's own ways of signing still work.
func TestSignedBodySubstitution(t *testing.T) {
	t.Parallel()
	dataDir := t.TempDir()
	srv := startServer(t, func(c *controlplane.Config) { c.DataDir = dataDir })
	token, pid := mustLogin(t, srv)
	ak, sk := newAccessKey(t, srv, token)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	list := do(t, "GET", api+"/phones", token, nil)
	phones := list.body["phones"].([]any)
	id1 := phones[0].(map[string]any)["phone_id"].(string)
	id2 := phones[1].(map[string]any)["phone_id"].(string)
	body1 := []byte(`{"phones":[{"phone_id":"` + id1 + `"}]}` + "\n")
	body2 := []byte(`{"phones":[{"phone_id":"` + id2 + `"}]}` + "\n")

	restart := func(header string) *http.Request {
		req, _ := http.NewRequest("POST", api+"/phones/batch-restart", nil)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("X-Project-Id", pid)
		aksk.Sign(req, body1, ak, sk, time.Now())
		if header != "" {
			req.Header.Set(aksk.HeaderContentSha256, header) // added after signing: not signed
		}
		return req
	}
	for _, h := range []string{sha256Hex(body1), aksk.UnsignedPayload} {
		r := sendSigned(t, restart(h), body2)
		if r.status != 401 || r.body["error_code"] != "APIGW.0301" || !strings.Contains(r.body["error_msg"].(string), "verify aksk signature fail") {
			t.Errorf("body swapped under an unsigned X-Sdk-Content-Sha256: %s: %d %s", h, r.status, r.raw)
		}
	}
	if r := sendSigned(t, restart(""), body1); r.status != 200 {
		t.Fatalf("genuine signed restart: %d %s", r.status, r.raw)
	}

	// Object uploads.
	objects := srv.URL() + "/opencph/v1/" + pid + "/buckets/signed/objects/"
	put := func(key string, declared string, body []byte, secret string) *response {
		req, _ := http.NewRequest("PUT", objects+key, nil)
		if declared != "" {
			req.Header.Set(aksk.HeaderContentSha256, declared)
		}
		aksk.Sign(req, body, ak, secret, time.Now())
		return sendSigned(t, req, body)
	}
	big := bytes.Repeat([]byte("0123456789abcdef"), 100_000) // 1.6 MB: spooled to a file
	other := append(bytes.Clone(big[:len(big)-1]), 'X')
	for _, c := range []struct {
		name, key, declared string
		body                []byte
		secret              string
		status              int
	}{
		{"declared hash, right body", "ok-declared", sha256Hex(big), big, sk, 200},
		{"body hash in the signature", "ok-hashed", "", big, sk, 200},
		{"unsigned payload", "ok-unsigned", aksk.UnsignedPayload, []byte("small"), sk, 200},
		{"declared hash, other body", "bad-declared", sha256Hex(big), other, sk, 401},
		{"body hash in the signature, wrong secret", "bad-secret", "", big, strings.Repeat("x", 40), 401},
	} {
		var r *response
		if c.name == "declared hash, other body" {
			req, _ := http.NewRequest("PUT", objects+c.key, nil)
			req.Header.Set(aksk.HeaderContentSha256, c.declared)
			aksk.Sign(req, big, ak, sk, time.Now())
			r = sendSigned(t, req, other)
		} else {
			r = put(c.key, c.declared, c.body, c.secret)
		}
		if r.status != c.status {
			t.Errorf("%s: %d %s", c.name, r.status, r.raw)
			continue
		}
		rc, obj, err := srv.Objects().Get(t.Context(), "signed", c.key)
		if c.status != 200 {
			if r.body["error_code"] != "APIGW.0301" || err == nil {
				t.Errorf("%s: %s; stored: %+v %v", c.name, r.raw, obj, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: not stored: %v", c.name, err)
			continue
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, c.body) {
			t.Errorf("%s: stored %d bytes, want %d", c.name, len(got), len(c.body))
		}
	}
	// A refused upload leaves no partial file in the bucket, and spools
	// leave nothing in the data dir.
	var files []string
	filepath.WalkDir(dataDir, func(path string, e fs.DirEntry, err error) error {
		if err == nil && !e.IsDir() && (strings.Contains(path, "/signed/") || strings.HasPrefix(e.Name(), "cph-body-")) {
			files = append(files, filepath.Base(path))
		}
		return nil
	})
	if strings.Join(files, ",") != "ok-declared,ok-hashed,ok-unsigned" {
		t.Errorf("files left: %v", files)
	}
}

// wireStats is what a server read from one connection before it wrote.
type wireStats struct {
	read       atomic.Int64
	beforeResp atomic.Int64 // bytes read when the server first wrote, -1 before
	status     chan string  // the first bytes the server wrote
	once       sync.Once
}

// countingListener records, for each connection, how much the server had
// read from it when it began to answer.
type countingListener struct {
	net.Listener
	conns chan *wireStats
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	st := &wireStats{status: make(chan string, 1)}
	st.beforeResp.Store(-1)
	l.conns <- st
	return &countingConn{Conn: c, st: st}, nil
}

type countingConn struct {
	net.Conn
	st *wireStats
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.st.read.Add(int64(n))
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	c.st.once.Do(func() {
		c.st.beforeResp.Store(c.st.read.Load())
		c.st.status <- string(p[:min(len(p), 12)])
	})
	return c.Conn.Write(p)
}

// zeros is a body of n zero bytes that costs no memory.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n <= 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// TestUploadAuthenticatedBeforeBody sends 64 MiB uploads that fail
// authentication to the API over real loopback HTTP and observes, on the
// server's side of the connection, that the 401 is written before more
// than a few KiB of the body were read; an upload whose signature needs
// the body's hash is spooled to disk, not memory.
func TestUploadAuthenticatedBeforeBody(t *testing.T) {
	dataDir := t.TempDir()
	srv := startServer(t, func(c *controlplane.Config) { c.DataDir = dataDir })
	token, pid := mustLogin(t, srv)
	ak, _ := newAccessKey(t, srv, token)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := &countingListener{Listener: ln, conns: make(chan *wireStats, 16)}
	hs := &http.Server{Handler: srv.Handler()}
	go hs.Serve(cl)
	t.Cleanup(func() { hs.Close() })
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

	const size = 64 << 20
	wrongSK := strings.Repeat("x", 40)
	upload := base + "/opencph/v1/" + pid + "/buckets/b1/objects/big.bin"
	send := func(url string, prepare func(*http.Request)) *wireStats {
		t.Helper()
		req, _ := http.NewRequest("PUT", url, &zeros{n: size})
		req.ContentLength = size
		req.Header.Set("Content-Type", "application/octet-stream")
		prepare(req)
		resp, err := client.Do(req)
		if err == nil {
			resp.Body.Close()
		} // else: the server may close before the client has written the body
		return <-cl.conns
	}
	const fewKiB = 16 << 10
	for _, c := range []struct {
		name    string
		url     string
		prepare func(*http.Request)
	}{
		{"unknown access key", upload, func(r *http.Request) { aksk.Sign(r, nil, "NOSUCHKEY00000000000", wrongSK, time.Now()) }},
		{"wrong secret, unsigned payload", upload, func(r *http.Request) { aksk.Sign(r, nil, ak, wrongSK, time.Now()) }},
		{"wrong secret, declared payload hash", upload, func(r *http.Request) {
			r.Header.Del("Content-Type")
			r.Header.Set(aksk.HeaderContentSha256, strings.Repeat("0", 64))
			aksk.Sign(r, nil, ak, wrongSK, time.Now())
		}},
		{"expired signature", upload, func(r *http.Request) {
			r.Header.Set(aksk.HeaderDate, time.Now().Add(-time.Hour).UTC().Format(aksk.DateLayout))
			r.Header.Del("Content-Type")
			aksk.Sign(r, nil, ak, wrongSK, time.Now())
		}},
		{"unknown token", upload, func(r *http.Request) { r.Header.Set("X-Auth-Token", "not-a-token") }},
		{"agent upload signed with an access key", base + "/agent/v1/objects/b1/big.bin", func(r *http.Request) {
			aksk.Sign(r, nil, ak, wrongSK, time.Now())
		}},
		{"agent upload, unknown credential", base + "/agent/v1/objects/b1/big.bin", func(r *http.Request) {
			r.Header.Set("Authorization", "Bearer not-a-credential")
		}},
	} {
		st := send(c.url, c.prepare)
		status := <-st.status
		if got := st.beforeResp.Load(); got > fewKiB || status != "HTTP/1.1 401" {
			t.Errorf("%s: answered %q after reading %d bytes; want 401 after at most %d", c.name, status, got, fewKiB)
		}
	}

	// Without a declared payload hash the signature covers the body's
	// hash, so the body must be read first: it goes to a temporary file.
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	st := send(upload, func(r *http.Request) {
		r.Header.Del("Content-Type")
		aksk.Sign(r, make([]byte, 0), ak, wrongSK, time.Now()) // hashes nothing: the signature is wrong anyway
	})
	status := <-st.status
	runtime.ReadMemStats(&after)
	if status != "HTTP/1.1 401" || st.beforeResp.Load() < size {
		t.Errorf("spooled upload: %q after %d bytes", status, st.beforeResp.Load())
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 16<<20 {
		t.Errorf("a spooled 64 MiB upload allocated %d MiB", grew>>20)
	}
	entries, _ := os.ReadDir(dataDir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), "cph-body-") {
			t.Errorf("spool file left: %s", e.Name())
		}
	}
	if _, _, err := srv.Objects().Get(t.Context(), "b1", "big.bin"); err == nil {
		t.Error("an unauthenticated upload was stored")
	}
}

// TestBodyMemoryBudget: a body that would take more memory than the
// server reserves for request bodies is answered 503 in the CPH envelope,
// and the budget is whole again afterwards.
func TestBodyMemoryBudget(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(c *controlplane.Config) { c.MaxBodyMemory = 64 << 10 })
	token, pid := mustLogin(t, srv)
	api := srv.URL() + "/v1/" + pid + "/cloud-phone"
	list := do(t, "GET", api+"/phones", token, nil)
	id := list.body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
	body := `{"phones":[{"phone_id":"` + id + `"}]}`
	padded := body + strings.Repeat(" ", 100<<10)
	for i := 0; i < 3; i++ {
		r := do(t, "POST", api+"/phones/batch-restart", token, padded)
		if r.status != 503 || r.body["error_code"] != "CPS.0003" || r.header.Get("Retry-After") != "1" || r.body["request_id"] == "" {
			t.Fatalf("100 KiB body over a 64 KiB budget: %d %v %s", r.status, r.header, r.raw)
		}
	}
	if r := do(t, "POST", api+"/phones/batch-restart", token, body); r.status != 200 {
		t.Errorf("small body afterwards: %d %s", r.status, r.raw)
	}
}

// TestBodyMemoryBudgetLogin: IAM routes answer a refusal for lack of body
// memory in the same envelope.
func TestBodyMemoryBudgetLogin(t *testing.T) {
	t.Parallel()
	srv := startServer(t, func(c *controlplane.Config) { c.MaxBodyMemory = 64 << 10 })
	padded := `{"auth":{"identity":{"methods":["password"],"password":{"user":{"name":"acme","password":"x","domain":{"name":"acme"}}}}}}` +
		strings.Repeat(" ", 100<<10)
	r := do(t, "POST", srv.URL()+"/v3/auth/tokens", "", padded)
	if r.status != 503 || r.body["error_code"] != "CPS.0003" || r.header.Get("Retry-After") != "1" {
		t.Errorf("oversized login body over the budget: %d %s", r.status, r.raw)
	}
	if _, r := login(t, srv, testPassword); r.status != 201 {
		t.Errorf("login afterwards: %d %s", r.status, r.raw)
	}
}
