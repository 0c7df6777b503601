package controlplane_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/httpapi"
	"github.com/opencph/opencph/iam"
)

// clientGuard bounds how long a test client waits for the server before
// concluding the server never cut it off. It is far above the test
// server's timeouts and is not a timing claim.
const clientGuard = 20 * time.Second

// testRequestTime is the request time of shortTimeouts' control plane:
// short, but long enough for a login on a loaded machine.
const testRequestTime = 2 * time.Second

// shortTimeouts starts a control plane whose requests get testRequestTime
// beyond the data they move, and whose long-polls are held for longer.
func shortTimeouts(t *testing.T) *controlplane.Server {
	return startServer(t, func(c *controlplane.Config) {
		c.HTTPTimeouts = httpapi.Timeouts{Request: testRequestTime}
		c.PollWait = testRequestTime + time.Second
	})
}

// TestSlowBodyIsCutOff: a client that sends its headers and then stops
// sending its body is answered 408 APIGW.0201 and disconnected, on a real
// listener, for a route and for an object upload; nothing is stored.
func TestSlowBodyIsCutOff(t *testing.T) {
	srv := shortTimeouts(t)
	token, pid := mustLogin(t, srv)
	addr := strings.TrimPrefix(srv.URL(), "http://")
	cases := []struct {
		method, path string
		conn         net.Conn
	}{
		{method: "POST", path: "/v1/" + pid + "/cloud-phone/phones/batch-stop"},
		{method: "PUT", path: "/opencph/v1/" + pid + "/buckets/apps/objects/slow.bin"},
		{method: "POST", path: "/v3/auth/tokens"},
	}
	// All three stall at once.
	for i := range cases {
		c := &cases[i]
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		conn.SetDeadline(time.Now().Add(clientGuard))
		fmt.Fprintf(conn, "%s %s HTTP/1.1\r\nHost: %s\r\nX-Auth-Token: %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"phone_ids\":[",
			c.method, c.path, addr, token)
		c.conn = conn
		// Send nothing more: the server must give up on the body.
	}
	for _, c := range cases {
		conn := c.conn
		resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				t.Fatalf("%s %s: the server held a stalled body for %v", c.method, c.path, clientGuard)
			}
			t.Fatalf("%s %s: %v", c.method, c.path, err)
		}
		raw, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var env struct {
			ErrorCode string `json:"error_code"`
		}
		if resp.StatusCode != 408 || json.Unmarshal(raw, &env) != nil || (c.path != "/v3/auth/tokens" && env.ErrorCode != "APIGW.0201") {
			t.Errorf("%s %s: %d %s", c.method, c.path, resp.StatusCode, raw)
		}
		// And the connection is closed.
		if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !isReset(err) {
			t.Errorf("%s %s: connection still open after the 408: %v", c.method, c.path, err)
		}
	}
	if rc, _, err := srv.Objects().Get(t.Context(), "apps", "slow.bin"); err == nil {
		rc.Close()
		t.Errorf("a cut-off upload was stored")
	}
	// A client that sends promptly is served by the same server.
	big := bytes.Repeat([]byte("x"), 4<<20)
	if r := rawDo(t, "PUT", srv.URL()+"/opencph/v1/"+pid+"/buckets/apps/objects/fast.bin", token, big); r.status != 200 {
		t.Errorf("prompt 4 MiB upload: %d %s", r.status, r.raw)
	}
}

func isReset(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && !oe.Timeout() && !errors.Is(err, os.ErrDeadlineExceeded)
}

// TestLongPollOutlastsRequestTime: an agent's long-poll is held for the
// poll wait, longer than a request's own time, and is answered normally.
func TestLongPollOutlastsRequestTime(t *testing.T) {
	srv := shortTimeouts(t)
	servers, err := srv.DB().FleetServers(t.Context())
	if err != nil || len(servers) == 0 {
		t.Fatalf("fleet servers: %v %v", servers, err)
	}
	// Take over the first server's agent credential.
	secret, hash, err := iam.NewSecret()
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.DB().SetAgentTokenHash(t.Context(), servers[0].ID, hash); err != nil {
		t.Fatal(err)
	}
	agentCall := func(path string, body any) (int, map[string]any) {
		t.Helper()
		buf, _ := json.Marshal(body)
		req, _ := http.NewRequest("POST", srv.URL()+path, bytes.NewReader(buf))
		req.Header.Set("Authorization", "Bearer "+secret)
		req.Header.Set("Content-Type", "application/json")
		resp, err := (&http.Client{Timeout: clientGuard}).Do(req)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		defer resp.Body.Close()
		var out map[string]any
		raw, _ := io.ReadAll(resp.Body)
		_ = json.Unmarshal(raw, &out)
		return resp.StatusCode, out
	}
	status, sess := agentCall("/agent/v1/session", map[string]any{"version": "test"})
	if status != 200 {
		t.Fatalf("session: %d %v", status, sess)
	}
	start := time.Now()
	status, polled := agentCall("/agent/v1/poll", map[string]any{"session_id": sess["session_id"], "wait_ms": (testRequestTime + time.Second).Milliseconds()})
	if status != 200 || polled["operations"] == nil {
		t.Fatalf("poll: %d %v", status, polled)
	}
	if held := time.Since(start); held < testRequestTime {
		// Not a timing claim: only a check that the poll was really held
		// past the request time, so that the test tests something.
		t.Fatalf("the poll was answered after %v, before the request time ran out", held)
	}
}
