package controlplane_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// raceRequests sends n requests at once (the i-th to the URL and with the
// body that req(i) returns) and counts the answers by raceOne's
// "status[ error_code]".
func raceRequests(t *testing.T, n int, method, token string, req func(i int) (string, any)) map[string]int {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
		got   = map[string]int{}
	)
	for i := range n {
		wg.Go(func() {
			<-start
			url, body := req(i)
			r := raceOne(t, method, url, token, body)
			mu.Lock()
			got[r]++
			mu.Unlock()
		})
	}
	close(start)
	wg.Wait()
	return got
}

// TestConcurrentDuplicateNames: concurrent requests that would give two
// phones, users, projects or accounts one name get the documented conflict
// error, never a 500, on both engines.
func TestConcurrentDuplicateNames(t *testing.T) {
	t.Parallel()
	onBothEngines(t, func(t *testing.T, srv *controlplane.Server) {
		token, pid := mustLogin(t, srv)
		api := srv.URL() + "/v1/" + pid + "/cloud-phone"
		var phones []string
		for _, p := range do(t, "GET", api+"/phones", token, nil).body["phones"].([]any) {
			phones = append(phones, p.(map[string]any)["phone_id"].(string))
		}
		// Each round renames every phone to one name at once.
		for round := range 4 {
			name := fmt.Sprintf("front-desk-%d", round)
			got := raceRequests(t, len(phones), "PUT", token, func(i int) (string, any) {
				return api + "/phones/" + phones[i], map[string]any{"phone_name": name}
			})
			if got["200"] != 1 || got["400 CPS.0026"] != len(phones)-1 {
				t.Errorf("round %d of %d concurrent renames to one name: %v; want one 200, the rest 400 CPS.0026", round, len(phones), got)
			}
		}
		const n = 10
		cases := []struct {
			what, url string
			body      any
		}{
			{"users", srv.URL() + "/v3/users", map[string]any{"user": map[string]any{"name": "alice", "password": "alice-password"}}},
			{"projects", srv.URL() + "/v3/projects", map[string]any{"project": map[string]any{"name": "cn-east-3"}}},
			{"accounts", srv.URL() + "/v3/domains", map[string]any{"domain": map[string]any{"name": "bravo"},
				"user": map[string]any{"name": "bob", "password": "bob-password"}}},
		}
		for _, c := range cases {
			got := raceRequests(t, n, "POST", token, func(int) (string, any) { return c.url, c.body })
			if got["201"] != 1 || got["409"] != n-1 {
				t.Errorf("%d concurrent creations of one of %s: %v; want one 201, the rest 409", n, c.what, got)
			}
		}
	})
}

// raceOne sends one request and returns "status[ error_code]".
func raceOne(t *testing.T, method, url, token string, body any) string {
	buf, _ := json.Marshal(body)
	req, err := http.NewRequest(method, url, bytes.NewReader(buf))
	if err != nil {
		t.Error(err)
		return err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", token)
	resp, err := cptest.HTTPClient(t).Do(req)
	if err != nil {
		t.Error(err)
		return err.Error()
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var e struct {
		Code string `json:"error_code"`
	}
	json.Unmarshal(raw, &e)
	if e.Code != "" {
		return fmt.Sprintf("%d %s", resp.StatusCode, e.Code)
	}
	return fmt.Sprint(resp.StatusCode)
}

// TestConcurrentLimitsOverHTTP: the limits on access keys per user (2),
// tags per server (20) and members per image (10) hold when requests race,
// on both engines; the others get the documented error.
func TestConcurrentLimitsOverHTTP(t *testing.T) {
	t.Parallel()
	onBothEngines(t, func(t *testing.T, srv *controlplane.Server) {
		token, r := login(t, srv, testPassword)
		pid := r.body["token"].(map[string]any)["project"].(map[string]any)["id"].(string)
		userID := r.body["token"].(map[string]any)["user"].(map[string]any)["id"].(string)
		api := srv.URL() + "/v1/" + pid + "/cloud-phone"

		got := raceRequests(t, 20, "POST", token, func(int) (string, any) {
			return srv.URL() + "/v3.0/OS-CREDENTIAL/credentials", map[string]any{"credential": map[string]any{"user_id": userID}}
		})
		keys := do(t, "GET", srv.URL()+"/v3.0/OS-CREDENTIAL/credentials?user_id="+userID, token, nil).body["credentials"].([]any)
		if got["201"] != 2 || got["400"] != 18 || len(keys) != 2 {
			t.Errorf("20 concurrent key creations: %v, %d keys; want two 201, eighteen 400, 2 keys", got, len(keys))
		}

		serverID := do(t, "GET", api+"/servers", token, nil).body["servers"].([]any)[0].(map[string]any)["server_id"].(string)
		got = raceRequests(t, 30, "POST", token, func(i int) (string, any) {
			return srv.URL() + "/v1/" + pid + "/cph-server/" + serverID + "/tags/action",
				map[string]any{"action": "create", "tags": []any{map[string]any{"key": fmt.Sprintf("k%02d", i), "value": "v"}}}
		})
		tags := do(t, "GET", srv.URL()+"/v1/"+pid+"/cph-server/"+serverID+"/tags", token, nil).body["tags"].([]any)
		if got["204"] != 20 || got["400 CPS.9010"] != 10 || len(tags) != 20 {
			t.Errorf("30 concurrent tag creations: %v, %d tags; want twenty 204, ten 400 CPS.9010, 20 tags", got, len(tags))
		}

		phoneID := do(t, "GET", api+"/phones", token, nil).body["phones"].([]any)[0].(map[string]any)["phone_id"].(string)
		im := do(t, "POST", srv.URL()+"/opencph/v1/"+pid+"/images", token, map[string]any{"image_name": "golden", "phone_id": phoneID})
		imageID, _ := im.body["image_id"].(string)
		if imageID == "" {
			t.Fatalf("create image: %d %s", im.status, im.raw)
		}
		var members []string
		for i := range 12 {
			members = append(members, cptest.CreateAccount(t, srv, fmt.Sprintf("member%02d", i), "admin", "member-password", "cn-north-4"))
		}
		got = raceRequests(t, len(members), "POST", token, func(i int) (string, any) {
			return api + "/images/" + imageID + "/members", map[string]any{"member": members[i]}
		})
		listed := do(t, "GET", api+"/images/"+imageID+"/members", token, nil).body["members"].([]any)
		if got["200"] != 10 || got["400 CPS.9008"] != 2 || len(listed) != 10 {
			t.Errorf("12 concurrent member adds: %v, %d members; want ten 200, two 400 CPS.9008, 10 members", got, len(listed))
		}
	})
}
