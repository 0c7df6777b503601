package cli

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

const (
	testProjectID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	testPassword  = "S3cret!"
	testServerID  = "5f0c2a9e7d4b4c1e8a3f6b2d9c0e1a47"
)

// fakeServer imitates the routes of cphd that the command uses. Jobs of
// the phones in failPhones fail; jobs finish at the second ListJobs call
// of their request.
type fakeServer struct {
	*httptest.Server

	mu         sync.Mutex
	seq        int
	logins     int
	tokens     map[string]bool
	phones     []cph.Phone
	failPhones map[string]bool
	jobs       map[string][]cph.Job // by request id
	polls      map[string]int
	paths      []string
}

// testPhoneID returns the id of the fake server's phone i (from 1).
func testPhoneID(i int) string { return fmt.Sprintf("%032x", i) }

func newFakeServer(tb testing.TB, n int) *fakeServer {
	tb.Helper()
	f := &fakeServer{
		tokens:     map[string]bool{},
		failPhones: map[string]bool{},
		jobs:       map[string][]cph.Job{},
		polls:      map[string]int{},
	}
	created := cph.NewTime(time.Date(2025, 3, 14, 8, 21, 5, 0, time.UTC))
	for i := 1; i <= n; i++ {
		f.phones = append(f.phones, cph.Phone{
			ID: testPhoneID(i), Name: fmt.Sprintf("farm-%04d", i), ServerID: testServerID,
			ImageID: "img1", Status: cph.PhoneRunning, CreateTime: created, UpdateTime: created,
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", f.login)
	mux.HandleFunc("GET /v3/projects", f.auth(func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, map[string]any{"projects": []client.Project{{ID: testProjectID, Name: "cn-north-4", Enabled: true}}})
	}))
	mux.HandleFunc("GET /v1/{p}/cloud-phone/phones", f.auth(f.listPhones))
	mux.HandleFunc("GET /v1/{p}/cloud-phone/phones/{id}", f.auth(f.showPhone))
	mux.HandleFunc("POST /v1/{p}/cloud-phone/phones/{action}", f.auth(f.batch))
	mux.HandleFunc("GET /v1/{p}/cloud-phone/jobs", f.auth(f.listJobs))
	mux.HandleFunc("GET /v1/{p}/cloud-phone/servers", f.auth(func(w http.ResponseWriter, r *http.Request) {
		reply(w, 200, client.ServerList{RequestID: reqID(w), Count: 1, Servers: []cph.Server{{
			ID: testServerID, Name: "srv-1", Status: cph.ServerNormal, ModelName: "physical.rx1.xlarge",
			PhoneModelName: "rx1.cp.c15", AvailabilityZone: "cn-north-4a", CreateTime: created,
		}}})
	}))
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.seq++
		w.Header().Set("X-Request-Id", fmt.Sprintf("%032x", 0xabc000+f.seq))
		f.paths = append(f.paths, r.Method+" "+r.URL.Path)
		f.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(f.Close)
	return f
}

func reqID(w http.ResponseWriter) string { return w.Header().Get("X-Request-Id") }

func reply(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func replyError(w http.ResponseWriter, status int, code, msg string) {
	reply(w, status, map[string]string{"error_code": code, "error_msg": msg, "request_id": reqID(w)})
}

func (f *fakeServer) loginCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

func (f *fakeServer) login(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Auth struct {
			Identity struct {
				Password struct {
					User struct {
						Name     string `json:"name"`
						Password string `json:"password"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
		} `json:"auth"`
	}
	_ = json.NewDecoder(r.Body).Decode(&body)
	u := body.Auth.Identity.Password.User
	if u.Password != testPassword {
		reply(w, 401, map[string]any{"error": map[string]any{"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}})
		return
	}
	f.mu.Lock()
	f.logins++
	tok := fmt.Sprintf("token-%d", f.logins)
	f.tokens[tok] = true
	f.mu.Unlock()
	now := time.Now().UTC()
	w.Header().Set("X-Subject-Token", tok)
	const layout = "2006-01-02T15:04:05.000000Z"
	reply(w, 201, map[string]any{"token": map[string]any{
		"issued_at": now.Format(layout), "expires_at": now.Add(24 * time.Hour).Format(layout),
		"user":    map[string]any{"id": "u1", "name": u.Name, "domain": map[string]any{"id": "d1", "name": "acme"}},
		"project": map[string]any{"id": testProjectID, "name": "cn-north-4", "domain": map[string]any{"id": "d1", "name": "acme"}},
	}})
}

func (f *fakeServer) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		ok := f.tokens[r.Header.Get("X-Auth-Token")]
		f.mu.Unlock()
		if !ok {
			replyError(w, 401, "APIGW.0301", "Incorrect IAM authentication information: decrypt token fail")
			return
		}
		if p := r.PathValue("p"); p != "" && p != testProjectID {
			replyError(w, 403, "APIGW.0302", "The IAM user is not authorized to access the API.")
			return
		}
		h(w, r)
	}
}

func (f *fakeServer) listPhones(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit := 100
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	if limit < 1 || limit > 200 || offset < 0 {
		replyError(w, 400, cph.CodeInvalidPaging, "Parameter: offset or limit is invalid.")
		return
	}
	f.mu.Lock()
	all := append([]cph.Phone(nil), f.phones...)
	f.mu.Unlock()
	page := []cph.Phone{}
	if offset < len(all) {
		page = all[offset:min(offset+limit, len(all))]
	}
	reply(w, 200, client.PhoneList{RequestID: reqID(w), Count: len(all), Phones: page})
}

func (f *fakeServer) showPhone(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.phones {
		if p.ID == r.PathValue("id") {
			reply(w, 200, cph.PhoneDetail{RequestID: reqID(w), ID: p.ID, Name: p.Name, Status: p.Status, ServerID: p.ServerID,
				AccessInfos: []cph.PhoneAccessInfo{{Type: "adb", PhoneIP: "10.0.0.2", ListenPort: 5555, ServerIP: "192.168.0.10", AccessPort: 10001}}})
			return
		}
	}
	replyError(w, 404, cph.CodePhoneNotFound, "Phone is not found.")
}

func (f *fakeServer) batch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PhoneIDs []string       `json:"phone_ids"`
		Phones   []cph.PhoneRef `json:"phones"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		replyError(w, 400, cph.CodeBadRequest, "API request error.")
		return
	}
	ids := body.PhoneIDs
	for _, p := range body.Phones {
		ids = append(ids, p.PhoneID)
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	rid := reqID(w)
	out := []cph.PhoneJob{}
	for i, id := range ids {
		known := false
		for _, p := range f.phones {
			known = known || p.ID == id
		}
		if !known {
			out = append(out, cph.PhoneJob{PhoneID: id, ErrorCode: cph.CodePhoneNotFound, ErrorMsg: "Phone not found."})
			continue
		}
		jid := fmt.Sprintf("%s%02d", rid[:30], i)
		out = append(out, cph.PhoneJob{PhoneID: id, JobID: jid})
		f.jobs[rid] = append(f.jobs[rid], cph.Job{ID: jid, PhoneID: id, ServerID: testServerID, Status: cph.JobRunning,
			BeginTime: cph.NewTime(time.Date(2025, 3, 14, 9, 10, 2, 0, time.UTC))})
	}
	reply(w, 200, client.BatchResult{RequestID: rid, Jobs: out})
}

func (f *fakeServer) listJobs(w http.ResponseWriter, r *http.Request) {
	rid := r.URL.Query().Get("request_id")
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls[rid]++
	jobs := f.jobs[rid]
	if f.polls[rid] >= 2 {
		for i := range jobs {
			j := &jobs[i]
			if j.Status.Final() {
				continue
			}
			j.EndTime = cph.NewTime(time.Date(2025, 3, 14, 9, 10, 49, 0, time.UTC))
			j.Status = cph.JobSucceeded
			if f.failPhones[j.PhoneID] {
				j.Status = cph.JobFailed
				j.ErrorCode, j.ErrorMsg = new(cph.CodeJobFailed), new("Job execution failed: phone restart failed.")
			}
		}
	}
	if jobs == nil {
		jobs = []cph.Job{}
	}
	reply(w, 200, client.JobList{RequestID: reqID(w), Jobs: jobs})
}
