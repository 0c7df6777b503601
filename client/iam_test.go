package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// The IAM tests run against a real control plane (cptest.Start): its
// bootstrap account cptest.Domain is the installation's operator account.

// iamHTTP returns an HTTP client whose connections are closed when the
// test ends, before the control plane shuts down.
func iamHTTP(t *testing.T) *http.Client {
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: time.Minute}
}

// iamClient returns a client of srv logged in as domain/user (user empty:
// the domain) in project, with no token cache.
func iamClient(t *testing.T, srv *controlplane.Server, hc *http.Client, domain, user, password, project string) *client.Client {
	t.Helper()
	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: domain, User: user, Password: password, Project: project, HTTPClient: hc})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wantAPIError fails the test unless err is an *client.APIError with the
// HTTP status and, when code is not empty, the error code.
func wantAPIError(t *testing.T, what string, err error, status int, code string) *client.APIError {
	t.Helper()
	var ae *client.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("%s: error %v (%T), want an *client.APIError %d", what, err, err, status)
	}
	if ae.StatusCode != status || (code != "" && ae.Code != code) {
		t.Fatalf("%s: %d %q %q, want %d %q", what, ae.StatusCode, ae.Code, ae.Message, status, code)
	}
	return ae
}

// signedStatus lists the phones of projectID with a request signed with
// ak/sk and returns the HTTP status and the error code of the answer.
func signedStatus(t *testing.T, hc *http.Client, srv *controlplane.Server, projectID, ak, sk string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/v1/"+projectID+"/cloud-phone/phones", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Project-Id", projectID)
	aksk.Sign(req, nil, ak, sk, time.Now())
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	var body struct {
		ErrorCode string `json:"error_code"`
	}
	_ = json.Unmarshal(data, &body)
	return resp.StatusCode, body.ErrorCode
}

// startIAM starts a control plane and returns it, an HTTP client for it
// and a client for its bootstrap (operator) account.
func startIAM(t *testing.T) (*controlplane.Server, *http.Client, *client.Client) {
	t.Helper()
	srv := cptest.Start(t, nil)
	hc := iamHTTP(t)
	return srv, hc, iamClient(t, srv, hc, cptest.Domain, cptest.User, cptest.Password, cptest.Project)
}

func TestIAMAccountsUsersAndProjects(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, hc, op := startIAM(t)
	opTok, err := op.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// An operator creates an account; its first user defaults to the
	// account name and is an admin.
	acc, err := op.CreateAccount(ctx, client.NewAccount{Domain: "bravo", Password: "bravo-password", Project: "cn-south-1"})
	if err != nil {
		t.Fatal(err)
	}
	if acc.Domain.Name != "bravo" || !acc.Domain.Enabled || acc.Domain.ID == opTok.DomainID ||
		acc.User.Name != "bravo" || acc.User.Role != client.RoleAdmin || acc.User.DomainID != acc.Domain.ID || !acc.User.Enabled ||
		acc.Project == nil || acc.Project.Name != "cn-south-1" || acc.Project.DomainID != acc.Domain.ID {
		t.Fatalf("account = %+v (project %+v)", acc, acc.Project)
	}
	noProject, err := op.CreateAccount(ctx, client.NewAccount{Domain: "charlie", User: "root", Password: "charlie-password"})
	if err != nil || noProject.User.Name != "root" || noProject.Project != nil {
		t.Fatalf("account without project = %+v, %v", noProject, err)
	}
	_, err = op.CreateAccount(ctx, client.NewAccount{Domain: "bravo", Password: "bravo-password"})
	wantAPIError(t, "duplicate account", err, http.StatusConflict, "")
	_, err = op.CreateAccount(ctx, client.NewAccount{Domain: "delta", Password: "short"})
	wantAPIError(t, "short account password", err, http.StatusBadRequest, "")

	domains, err := op.ListDomains(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range domains {
		names = append(names, d.Name)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"acme", "bravo", "charlie"}) {
		t.Errorf("operator's domains = %v", names)
	}

	// The new account's user logs in with a second client and sees only
	// its own account.
	bravo := iamClient(t, srv, hc, "bravo", "", "bravo-password", "cn-south-1")
	tok, err := bravo.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if tok.UserID != acc.User.ID || tok.DomainID != acc.Domain.ID || tok.ProjectID != acc.Project.ID {
		t.Errorf("bravo's token = %+v", tok)
	}
	if ds, err := bravo.ListDomains(ctx); err != nil || len(ds) != 1 || ds[0] != acc.Domain {
		t.Errorf("bravo's domains = %+v, %v", ds, err)
	}
	_, err = bravo.CreateAccount(ctx, client.NewAccount{Domain: "echo", Password: "echo-password"})
	wantAPIError(t, "non-operator creates an account", err, http.StatusForbidden, "")

	// Users.
	viewer, err := bravo.CreateUser(ctx, client.NewUser{Name: "viewer", Password: "viewer-password"})
	if err != nil {
		t.Fatal(err)
	}
	if viewer.Name != "viewer" || viewer.Role != client.RoleReadOnly || viewer.DomainID != acc.Domain.ID || !viewer.Enabled || viewer.ID == "" {
		t.Errorf("viewer = %+v", viewer)
	}
	_, err = bravo.CreateUser(ctx, client.NewUser{Name: "viewer", Password: "viewer-password"})
	wantAPIError(t, "duplicate user", err, http.StatusConflict, "")
	_, err = bravo.CreateUser(ctx, client.NewUser{Name: "shorty", Password: "x"})
	wantAPIError(t, "short password", err, http.StatusBadRequest, "")
	_, err = bravo.CreateUser(ctx, client.NewUser{Name: "bad-role", Password: "long-enough", Role: "root"})
	wantAPIError(t, "bad role", err, http.StatusBadRequest, "")
	_, err = bravo.CreateUser(ctx, client.NewUser{Name: "intruder", Password: "long-enough", DomainID: opTok.DomainID})
	wantAPIError(t, "user in another account", err, http.StatusForbidden, "")
	ops, err := op.CreateUser(ctx, client.NewUser{Name: "ops", Password: "ops-password", DomainID: acc.Domain.ID, Role: client.RoleAdmin})
	if err != nil || ops.DomainID != acc.Domain.ID || ops.Role != client.RoleAdmin {
		t.Fatalf("operator creates an admin in bravo: %+v, %v", ops, err)
	}

	for _, tc := range []struct {
		name     string
		c        *client.Client
		domainID string
	}{{"bravo's own", bravo, ""}, {"operator's, of bravo", op, acc.Domain.ID}} {
		users, err := tc.c.ListUsers(ctx, tc.domainID)
		if err != nil {
			t.Fatalf("%s users: %v", tc.name, err)
		}
		got := map[string]string{}
		for _, u := range users {
			got[u.Name] = u.Role
			if u.DomainID != acc.Domain.ID {
				t.Errorf("%s users: %+v is not in bravo", tc.name, u)
			}
		}
		want := map[string]string{"bravo": "admin", "viewer": "readonly", "ops": "admin"}
		if len(got) != len(want) || got["bravo"] != want["bravo"] || got["viewer"] != want["viewer"] || got["ops"] != want["ops"] {
			t.Errorf("%s users = %v, want %v", tc.name, got, want)
		}
	}
	_, err = bravo.ListUsers(ctx, opTok.DomainID)
	wantAPIError(t, "users of another account", err, http.StatusForbidden, "")

	// Projects.
	p, err := bravo.CreateProject(ctx, client.NewProject{Name: "cn-east-3", Description: "Shanghai"})
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "cn-east-3" || p.Description != "Shanghai" || p.DomainID != acc.Domain.ID || !p.Enabled || len(p.ID) != 32 {
		t.Errorf("project = %+v", p)
	}
	if ps, err := bravo.ListProjects(ctx, ""); err != nil || len(ps) != 2 {
		t.Errorf("bravo's projects = %+v, %v", ps, err)
	}
	if ps, err := bravo.ListProjects(ctx, "cn-east-3"); err != nil || len(ps) != 1 || ps[0] != *p {
		t.Errorf("project cn-east-3 = %+v, %v; want %+v", ps, err, p)
	}
	_, err = bravo.CreateProject(ctx, client.NewProject{Name: "cn-east-3"})
	wantAPIError(t, "duplicate project", err, http.StatusConflict, "")
	_, err = bravo.CreateProject(ctx, client.NewProject{Name: "Not A Region"})
	wantAPIError(t, "bad project name", err, http.StatusBadRequest, "")
	p2, err := op.CreateProject(ctx, client.NewProject{Name: "cn-east-4", DomainID: acc.Domain.ID})
	if err != nil || p2.DomainID != acc.Domain.ID {
		t.Fatalf("operator creates a project in bravo: %+v, %v", p2, err)
	}
	// The user can log in to the new project.
	east := iamClient(t, srv, hc, "bravo", "bravo", "bravo-password", "cn-east-4")
	if id, err := east.ProjectID(ctx); err != nil || id != p2.ID {
		t.Errorf("login to cn-east-4: %s, %v; want %s", id, err, p2.ID)
	}

	// A read-only user cannot create users.
	viewerClient := iamClient(t, srv, hc, "bravo", "viewer", "viewer-password", "cn-south-1")
	_, err = viewerClient.CreateUser(ctx, client.NewUser{Name: "other", Password: "long-enough"})
	wantAPIError(t, "read-only user creates a user", err, http.StatusForbidden, "")
}

func TestIAMReadOnlyUser(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, hc, op := startIAM(t)
	if _, err := op.CreateUser(ctx, client.NewUser{Name: "watcher", Password: "watcher-password", Role: client.RoleReadOnly}); err != nil {
		t.Fatal(err)
	}
	watcher := iamClient(t, srv, hc, cptest.Domain, "watcher", "watcher-password", cptest.Project)
	list, err := watcher.ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil || len(list.Phones) == 0 {
		t.Fatalf("read-only list: %+v, %v", list, err)
	}
	_, err = watcher.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: list.Phones[0].ID}}})
	ae := wantAPIError(t, "read-only restart", err, http.StatusForbidden, cph.CodeForbidden)
	if cph.ErrorCode(err) != cph.CodeForbidden || ae.RequestID == "" {
		t.Errorf("read-only restart: code %q, request %q", cph.ErrorCode(err), ae.RequestID)
	}
	// The admin's restart of the same phone is accepted.
	if res, err := op.RestartPhones(ctx, client.RestartPhonesRequest{Phones: []cph.PhoneRef{{PhoneID: list.Phones[0].ID}}}); err != nil || res.Jobs[0].JobID == "" {
		t.Fatalf("admin restart: %+v, %v", res, err)
	}
}

func TestIAMAccessKeys(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, hc, admin := startIAM(t)
	tok, err := admin.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}

	before := time.Now().Add(-time.Second)
	k, err := admin.CreateAccessKey(ctx, tok.UserID, "ci")
	if err != nil {
		t.Fatal(err)
	}
	if len(k.Access) != 20 || len(k.Secret) != 40 || k.Status != client.KeyActive || k.UserID != tok.UserID ||
		k.Description != "ci" || k.CreateTime.Before(before) || k.CreateTime.After(time.Now().Add(time.Second)) || !k.LastUseTime.IsZero() {
		t.Fatalf("created key = %+v", k)
	}

	// The secret works.
	if st, code := signedStatus(t, hc, srv, tok.ProjectID, k.Access, k.Secret); st != http.StatusOK {
		t.Fatalf("signed list with the new key: %d %s", st, code)
	}
	if st, _ := signedStatus(t, hc, srv, tok.ProjectID, k.Access, strings.Repeat("x", 40)); st != http.StatusUnauthorized {
		t.Errorf("signed with a wrong secret: %d", st)
	}

	// Listed and shown without the secret; show reports the last use.
	for _, userID := range []string{"", tok.UserID} {
		keys, err := admin.ListAccessKeys(ctx, userID)
		if err != nil || len(keys) != 1 || keys[0].Access != k.Access || keys[0].Secret != "" || keys[0].Status != client.KeyActive ||
			!keys[0].CreateTime.Equal(k.CreateTime) {
			t.Errorf("list keys of %q = %+v, %v", userID, keys, err)
		}
	}
	shown, err := admin.ShowAccessKey(ctx, k.Access)
	if err != nil {
		t.Fatal(err)
	}
	if shown.Access != k.Access || shown.Secret != "" || shown.Description != "ci" || shown.LastUseTime.Before(before) {
		t.Errorf("shown key = %+v", shown)
	}

	// Update the description only, then the status.
	desc := "ci runner"
	if u, err := admin.UpdateAccessKey(ctx, k.Access, nil, &desc); err != nil || u.Description != desc || u.Status != client.KeyActive {
		t.Errorf("update description: %+v, %v", u, err)
	}
	inactive := client.KeyInactive
	if u, err := admin.UpdateAccessKey(ctx, k.Access, &inactive, nil); err != nil || u.Status != client.KeyInactive || u.Description != desc {
		t.Fatalf("disable: %+v, %v", u, err)
	}
	if st, code := signedStatus(t, hc, srv, tok.ProjectID, k.Access, k.Secret); st != http.StatusUnauthorized || code != cph.CodeUnauthorized {
		t.Errorf("signed with a disabled key: %d %s, want 401 %s", st, code, cph.CodeUnauthorized)
	}
	active := client.KeyActive
	if u, err := admin.UpdateAccessKey(ctx, k.Access, &active, nil); err != nil || u.Status != client.KeyActive {
		t.Fatalf("enable: %+v, %v", u, err)
	}
	if st, code := signedStatus(t, hc, srv, tok.ProjectID, k.Access, k.Secret); st != http.StatusOK {
		t.Errorf("signed with the enabled key: %d %s", st, code)
	}
	bogus := "paused"
	_, err = admin.UpdateAccessKey(ctx, k.Access, &bogus, nil)
	wantAPIError(t, "bad status", err, http.StatusBadRequest, "")
	var ae *client.APIError
	if _, err := admin.UpdateAccessKey(ctx, k.Access, nil, nil); err == nil || errors.As(err, &ae) {
		t.Errorf("update without changes: %v, want an error before any request", err)
	}

	// At most 2 keys per user.
	k2, err := admin.CreateAccessKey(ctx, tok.UserID, "")
	if err != nil {
		t.Fatal(err)
	}
	_, err = admin.CreateAccessKey(ctx, tok.UserID, "third")
	if ae := wantAPIError(t, "third key", err, http.StatusBadRequest, ""); ae.Message != "akSkNumExceed" {
		t.Errorf("third key: message %q, want akSkNumExceed", ae.Message)
	}
	if _, err := admin.CreateAccessKey(ctx, "", ""); err == nil || errors.As(err, &ae) {
		t.Errorf("key without user: %v, want an error before any request", err)
	}
	_, err = admin.CreateAccessKey(ctx, "ffffffffffffffffffffffffffffffff", "")
	wantAPIError(t, "key of an unknown user", err, http.StatusNotFound, "")

	// A read-only user manages their own keys, not the admin's; the
	// admin manages theirs.
	viewer, err := admin.CreateUser(ctx, client.NewUser{Name: "viewer", Password: "viewer-password"})
	if err != nil {
		t.Fatal(err)
	}
	vc := iamClient(t, srv, hc, cptest.Domain, "viewer", "viewer-password", cptest.Project)
	vk, err := vc.CreateAccessKey(ctx, viewer.ID, "")
	if err != nil || vk.UserID != viewer.ID {
		t.Fatalf("viewer's own key: %+v, %v", vk, err)
	}
	_, err = vc.CreateAccessKey(ctx, tok.UserID, "")
	wantAPIError(t, "viewer creates a key for the admin", err, http.StatusForbidden, "")
	_, err = vc.ShowAccessKey(ctx, k.Access)
	wantAPIError(t, "viewer shows the admin's key", err, http.StatusForbidden, "")
	if keys, err := admin.ListAccessKeys(ctx, viewer.ID); err != nil || len(keys) != 1 || keys[0].Access != vk.Access {
		t.Errorf("admin lists the viewer's keys: %+v, %v", keys, err)
	}
	if err := admin.DeleteAccessKey(ctx, vk.Access); err != nil {
		t.Errorf("admin deletes the viewer's key: %v", err)
	}

	// Another account does not see the keys.
	if _, err := admin.CreateAccount(ctx, client.NewAccount{Domain: "bravo", Password: "bravo-password", Project: "cn-south-1"}); err != nil {
		t.Fatal(err)
	}
	bravo := iamClient(t, srv, hc, "bravo", "", "bravo-password", "cn-south-1")
	_, err = bravo.ShowAccessKey(ctx, k.Access)
	wantAPIError(t, "show a key of another account", err, http.StatusNotFound, "")
	err = bravo.DeleteAccessKey(ctx, k.Access)
	wantAPIError(t, "delete a key of another account", err, http.StatusNotFound, "")

	// Delete: the key stops working at once.
	if err := admin.DeleteAccessKey(ctx, k.Access); err != nil {
		t.Fatal(err)
	}
	if st, code := signedStatus(t, hc, srv, tok.ProjectID, k.Access, k.Secret); st != http.StatusUnauthorized || code != cph.CodeUnauthorized {
		t.Errorf("signed with a deleted key: %d %s", st, code)
	}
	_, err = admin.ShowAccessKey(ctx, k.Access)
	wantAPIError(t, "show a deleted key", err, http.StatusNotFound, "")
	err = admin.DeleteAccessKey(ctx, k.Access)
	wantAPIError(t, "delete a deleted key", err, http.StatusNotFound, "")
	if keys, err := admin.ListAccessKeys(ctx, ""); err != nil || len(keys) != 1 || keys[0].Access != k2.Access {
		t.Errorf("keys after delete: %+v, %v", keys, err)
	}
	for _, err := range []error{
		func() error { _, err := admin.ShowAccessKey(ctx, ""); return err }(),
		admin.DeleteAccessKey(ctx, ""),
	} {
		if err == nil || errors.As(err, &ae) {
			t.Errorf("empty access key: %v, want an error before any request", err)
		}
	}
}

func TestIAMAccessKeyJSON(t *testing.T) {
	t.Parallel()
	var k client.AccessKey
	err := json.Unmarshal([]byte(`{"access":"AK","status":"active","user_id":"u","description":"d",
		"create_time":"2024-05-01T08:00:00.000000Z","last_use_time":""}`), &k)
	if err != nil {
		t.Fatal(err)
	}
	want := client.AccessKey{Access: "AK", Status: "active", UserID: "u", Description: "d",
		CreateTime: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)}
	if k != want {
		t.Errorf("decoded %+v, want %+v", k, want)
	}
	out, err := json.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	if s := string(out); strings.Contains(s, "secret") || strings.Contains(s, "last_use_time") || !strings.Contains(s, `"create_time":"2024-05-01T08:00:00Z"`) {
		t.Errorf("encoded %s", s)
	}
	if err := json.Unmarshal([]byte(`{"access":"AK","create_time":"yesterday"}`), &k); err == nil {
		t.Error("a bad create_time was accepted")
	}
}
