package client

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
)

const (
	testProjectID = "0a1b2c3d4e5f60718293a4b5c6d7e8f9"
	testDomain    = "acme"
	testUser      = "alice"
	testPassword  = "S3cret!"
)

// request is one request the fake server received.
type request struct {
	Method string
	Path   string
	Query  string
	Token  string
	Body   string
	CT     string
}

// fakeServer is a small in-memory imitation of cphd's token service and
// phone and job routes, enough to exercise the client.
type fakeServer struct {
	*httptest.Server

	mu        sync.Mutex
	now       func() time.Time
	validity  time.Duration
	tokens    map[string]time.Time // token value -> expiry
	seq       int
	logins    int
	requests  []request
	phones    []cph.Phone
	jobs      map[string][]cph.Job // by request id
	polls     int                  // ListJobs calls
	finishAt  int                  // jobs become final at this ListJobs call
	lastLogin map[string]any       // body of the last login
}

// newFakeServer starts a fake server with n phones.
func newFakeServer(tb testing.TB, n int) *fakeServer {
	tb.Helper()
	f := &fakeServer{
		now:      time.Now,
		validity: 24 * time.Hour,
		tokens:   map[string]time.Time{},
		jobs:     map[string][]cph.Job{},
		finishAt: 3,
	}
	for i := range n {
		f.phones = append(f.phones, cph.Phone{
			ID:       fmt.Sprintf("%032x", i+1),
			Name:     fmt.Sprintf("phone-%04d", i+1),
			ServerID: "5f0c2a9e7d4b4c1e8a3f6b2d9c0e1a47",
			Status:   cph.PhoneRunning,
		})
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v3/auth/tokens", f.login)
	mux.HandleFunc("GET /v3/projects", f.auth(f.projects))
	mux.HandleFunc("GET /v1/{project}/cloud-phone/phones", f.auth(f.listPhones))
	mux.HandleFunc("GET /v1/{project}/cloud-phone/phones/{id}", f.auth(f.showPhone))
	mux.HandleFunc("POST /v1/{project}/cloud-phone/phones/{action}", f.auth(f.batch))
	mux.HandleFunc("GET /v1/{project}/cloud-phone/jobs", f.auth(f.listJobs))
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.requests = append(f.requests, request{
			Method: r.Method, Path: r.URL.EscapedPath(), Query: r.URL.RawQuery,
			Token: r.Header.Get("X-Auth-Token"), Body: string(body), CT: r.Header.Get("Content-Type"),
		})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		w.Header().Set("X-Request-Id", fmt.Sprintf("%032x", time.Now().UnixNano()))
		mux.ServeHTTP(w, r)
	}))
	tb.Cleanup(f.Close)
	return f
}

func (f *fakeServer) reqs() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.requests...)
}

func (f *fakeServer) loginCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.logins
}

// revokeAll forgets every token, as a server restart with a wiped
// database would.
func (f *fakeServer) revokeAll() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]time.Time{}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeCPHError(w http.ResponseWriter, status int, code, msg string) {
	writeJSON(w, status, map[string]string{
		"error_code": code, "error_msg": msg, "request_id": w.Header().Get("X-Request-Id"),
	})
}

func (f *fakeServer) login(w http.ResponseWriter, r *http.Request) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeJSON(w, 400, map[string]any{"error": map[string]any{"code": 400, "message": "bad body", "title": "Bad Request"}})
		return
	}
	auth, _ := body["auth"].(map[string]any)
	ident, _ := auth["identity"].(map[string]any)
	pw, _ := ident["password"].(map[string]any)
	user, _ := pw["user"].(map[string]any)
	if user["password"] != testPassword {
		writeJSON(w, 401, map[string]any{"error": map[string]any{
			"code": 401, "message": "The username or password is wrong.", "title": "Unauthorized"}})
		return
	}
	f.mu.Lock()
	f.logins++
	f.seq++
	tok := fmt.Sprintf("tok-%d", f.seq)
	now := f.now().UTC()
	exp := now.Add(f.validity)
	f.tokens[tok] = exp
	f.lastLogin = body
	f.mu.Unlock()
	w.Header().Set("X-Subject-Token", tok)
	const layout = "2006-01-02T15:04:05.000000Z"
	writeJSON(w, http.StatusCreated, map[string]any{"token": map[string]any{
		"expires_at": exp.Format(layout),
		"issued_at":  now.Format(layout),
		"methods":    []string{"password"},
		"user": map[string]any{"id": "u1", "name": user["name"],
			"domain": map[string]any{"id": "d1", "name": testDomain}},
		"project": map[string]any{"id": testProjectID, "name": "cn-north-4",
			"domain": map[string]any{"id": "d1", "name": testDomain}},
		"roles": []any{map[string]any{"id": "0", "name": "te_admin"}},
	}})
}

// auth wraps h with the token check of the gateway.
func (f *fakeServer) auth(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		exp, ok := f.tokens[r.Header.Get("X-Auth-Token")]
		now := f.now()
		f.mu.Unlock()
		if !ok || !now.Before(exp) {
			writeCPHError(w, 401, "APIGW.0301", "Incorrect IAM authentication information: decrypt token fail")
			return
		}
		if p := r.PathValue("project"); p != "" && p != testProjectID {
			writeCPHError(w, 403, "APIGW.0302", "The IAM user is not authorized to access the API.")
			return
		}
		h(w, r)
	}
}

func (f *fakeServer) projects(w http.ResponseWriter, r *http.Request) {
	ps := []Project{{ID: testProjectID, Name: "cn-north-4", DomainID: "d1", ParentID: "d1", Enabled: true}}
	if n := r.URL.Query().Get("name"); n != "" && n != "cn-north-4" {
		ps = ps[:0]
	}
	writeJSON(w, 200, map[string]any{"projects": ps})
}

func (f *fakeServer) listPhones(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	offset, limit := 0, 100
	if v := q.Get("offset"); v != "" {
		offset, _ = strconv.Atoi(v)
	}
	if v := q.Get("limit"); v != "" {
		var err error
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > 200 {
			writeCPHError(w, 400, cph.CodeInvalidPaging, "Parameter: offset or limit is invalid.")
			return
		}
	}
	f.mu.Lock()
	all := append([]cph.Phone(nil), f.phones...)
	f.mu.Unlock()
	page := []cph.Phone{}
	if offset < len(all) {
		page = all[offset:min(offset+limit, len(all))]
	}
	writeJSON(w, 200, map[string]any{"request_id": w.Header().Get("X-Request-Id"), "count": len(all), "phones": page})
}

func (f *fakeServer) showPhone(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range f.phones {
		if p.ID == r.PathValue("id") {
			writeJSON(w, 200, cph.PhoneDetail{RequestID: w.Header().Get("X-Request-Id"), ID: p.ID, Name: p.Name, Status: p.Status})
			return
		}
	}
	writeCPHError(w, 404, cph.CodePhoneNotFound, "Phone is not found.")
}

func (f *fakeServer) batch(w http.ResponseWriter, r *http.Request) {
	var body struct {
		PhoneIDs []string       `json:"phone_ids"`
		Phones   []cph.PhoneRef `json:"phones"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeCPHError(w, 400, cph.CodeBadRequest, "API request error.")
		return
	}
	ids := body.PhoneIDs
	for _, p := range body.Phones {
		ids = append(ids, p.PhoneID)
	}
	if len(ids) == 0 {
		writeCPHError(w, 400, cph.CodeEmptyPhoneList, "Parameter: phone_id list is empty.")
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	reqID := w.Header().Get("X-Request-Id")
	out := []cph.PhoneJob{}
	for i, id := range ids {
		found := false
		for _, p := range f.phones {
			found = found || p.ID == id
		}
		if !found {
			out = append(out, cph.PhoneJob{PhoneID: id, ErrorCode: cph.CodePhoneNotFound, ErrorMsg: "Phone not found."})
			continue
		}
		jobID := fmt.Sprintf("%031x%d", i, i%10)
		out = append(out, cph.PhoneJob{PhoneID: id, JobID: jobID})
		f.jobs[reqID] = append(f.jobs[reqID], cph.Job{ID: jobID, PhoneID: id, Status: cph.JobRunning, BeginTime: cph.NewTime(time.Now())})
	}
	writeJSON(w, 200, map[string]any{"request_id": reqID, "jobs": out})
}

func (f *fakeServer) listJobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f.mu.Lock()
	defer f.mu.Unlock()
	f.polls++
	jobs := f.jobs[q.Get("request_id")]
	if f.polls >= f.finishAt {
		for i := range jobs {
			jobs[i].Status = cph.JobSucceeded
			jobs[i].EndTime = cph.NewTime(time.Now())
		}
	}
	offset, _ := strconv.Atoi(q.Get("offset"))
	limit := 100
	if v := q.Get("limit"); v != "" {
		limit, _ = strconv.Atoi(v)
	}
	page := []cph.Job{}
	if offset < len(jobs) {
		page = jobs[offset:min(offset+limit, len(jobs))]
	}
	writeJSON(w, 200, map[string]any{"request_id": w.Header().Get("X-Request-Id"), "jobs": page})
}
