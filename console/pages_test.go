package console_test

import (
	"context"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/internal/poll"
	"github.com/opencph/opencph/servicetest"
)

// browser is a user of the console: an HTTP client with a cookie jar,
// logged in through the login form.
type browser struct {
	t    *testing.T
	base string
	c    *http.Client
	csrf string
}

var (
	nonceRe = regexp.MustCompile(`name="nonce" value="([^"]+)"`)
	csrfRe  = regexp.MustCompile(`data-csrf="([^"]+)"`)
)

// login logs user in to the console of env's control plane through the
// login form.
func login(t *testing.T, env *servicetest.Env, user, password string) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	b := &browser{t: t, base: env.ControlPlane.URL(), c: &http.Client{Jar: jar}}
	status, body, _ := b.do(http.MethodGet, "/console/login", nil)
	m := nonceRe.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		t.Fatalf("login page: %d, no nonce in\n%s", status, body)
	}
	status, body, _ = b.do(http.MethodPost, "/console/login", url.Values{"account": {cptest.Domain}, "user": {user},
		"password": {password}, "nonce": {html.UnescapeString(m[1])}})
	c := csrfRe.FindStringSubmatch(body)
	if status != http.StatusOK || c == nil {
		t.Fatalf("log in as %s: %d\n%s", user, status, body)
	}
	b.csrf = html.UnescapeString(c[1])
	return b
}

func (b *browser) do(method, path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.base+path, rd)
	if err != nil {
		b.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return resp.StatusCode, string(raw), resp.Header
}

// get fetches a page that must answer 200.
func (b *browser) get(path string) string {
	b.t.Helper()
	status, body, _ := b.do(http.MethodGet, path, nil)
	if status != http.StatusOK {
		b.t.Fatalf("GET %s: %d\n%s", path, status, body)
	}
	return body
}

// post sends a form with the session's CSRF token.
func (b *browser) post(path string, form url.Values) (int, string, http.Header) {
	b.t.Helper()
	f := url.Values{"csrf": {b.csrf}}
	for k, v := range form {
		f[k] = v
	}
	return b.do(http.MethodPost, path, f)
}

// mustPost sends a form that must answer 200.
func (b *browser) mustPost(path string, form url.Values) string {
	b.t.Helper()
	status, body, _ := b.post(path, form)
	if status != http.StatusOK {
		b.t.Fatalf("POST %s: %d\n%s", path, status, body)
	}
	return body
}

// audited waits until the audit trail holds an event of operation on
// target with the result ("success" or "failure") by the bootstrap user.
func audited(t *testing.T, env *servicetest.Env, operation, target, result string) {
	t.Helper()
	poll.Until(t, "the audit event of "+operation+" on "+target, func() bool {
		pg, err := env.Admin.S.ListAuditEvents(env.Admin.Ctx, cph.AuditFilter{Operation: operation, Result: result, Limit: 50})
		if err != nil {
			t.Fatalf("audit events: %v", err)
		}
		for _, e := range pg.Events {
			if slices.Contains(e.TargetIDs, target) {
				return true
			}
		}
		return false
	})
}

// peerContext logs a user of the project cptest.Project of the account
// named like it in through IAM and returns its caller's context.
func peerContext(t *testing.T, env *servicetest.Env, account, password string) context.Context {
	t.Helper()
	ctx := context.Background()
	token, _, err := env.ControlPlane.IAM().Login(ctx, cph.PasswordLogin{DomainName: account, UserName: account, Password: password, ProjectName: cptest.Project})
	if err != nil {
		t.Fatalf("log in %s: %v", account, err)
	}
	p, err := env.ControlPlane.Services().Authenticate(ctx, token)
	if err != nil {
		t.Fatalf("authenticate %s: %v", account, err)
	}
	return cph.NewCallerContext(ctx, p)
}

// actionForms counts the page's POST forms other than the logout form.
func actionForms(body string) int {
	return strings.Count(body, `method="post"`) - strings.Count(body, `action="/console/logout"`)
}

func TestServerPages(t *testing.T) {
	env := servicetest.StartEnv(t, servicetest.SQLite, servicetest.InProcess)
	a := env.Admin
	servers, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: 10})
	if err != nil || len(servers.Servers) < 2 {
		t.Fatalf("servers: %+v, %v", servers, err)
	}
	first, second := servers.Servers[0], servers.Servers[1]
	b := login(t, env, cptest.User, cptest.Password)
	serverPage := "/console/servers/" + first.ID

	t.Run("list", func(t *testing.T) {
		body := b.get("/console/servers")
		for _, s := range servers.Servers {
			if !strings.Contains(body, ">"+html.EscapeString(s.Name)+"</a>") || !strings.Contains(body, `href="/console/servers/`+s.ID+`"`) {
				t.Errorf("the list does not show %s (%s)", s.Name, s.ID)
			}
		}
		if !strings.Contains(body, ">normal</span>") || !strings.Contains(body, ">connected</span>") {
			t.Errorf("the list does not say the servers are normal with their agents connected:\n%s", body)
		}
		body = b.get("/console/servers?name=" + url.QueryEscape(second.Name))
		if !strings.Contains(body, second.ID) || strings.Contains(body, `href="/console/servers/`+first.ID+`"`) {
			t.Errorf("filtered by the name %s, the list shows the wrong servers:\n%s", second.Name, body)
		}
		body = b.get("/console/servers?status=6")
		if strings.Contains(body, first.ID) {
			t.Errorf("filtered by the status deleting, the list shows a normal server")
		}
	})

	t.Run("detail", func(t *testing.T) {
		phones, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{ServerID: &first.ID, Limit: 100})
		if err != nil || len(phones.Phones) == 0 {
			t.Fatalf("phones of %s: %+v, %v", first.ID, phones, err)
		}
		body := b.get(serverPage)
		for _, p := range phones.Phones {
			if !strings.Contains(body, `href="/console/phones/`+p.ID+`"`) {
				t.Errorf("the server's page does not list its phone %s", p.Name)
			}
		}
		other, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{ServerID: &second.ID, Limit: 1})
		if err != nil || len(other.Phones) == 0 {
			t.Fatalf("phones of %s: %+v, %v", second.ID, other, err)
		}
		if strings.Contains(body, other.Phones[0].ID) {
			t.Errorf("the server's page lists a phone of another server")
		}
		if status, _, _ := b.do(http.MethodGet, "/console/servers/"+cptest.UnknownPhone, nil); status != http.StatusNotFound {
			t.Errorf("an unknown server's page: %d, want 404", status)
		}
	})

	t.Run("rename", func(t *testing.T) {
		b.mustPost(serverPage+"/rename", url.Values{"name": {"rack-renamed"}})
		if body := b.get("/console/servers"); !strings.Contains(body, ">rack-renamed</a>") {
			t.Errorf("after the rename, the list does not show the new name:\n%s", body)
		}
		audited(t, env, "UpdateServerName", first.ID, "success")
		status, body, _ := b.do(http.MethodPost, serverPage+"/rename", url.Values{"name": {"no-csrf"}})
		if status != http.StatusForbidden {
			t.Errorf("a rename without the CSRF token: %d, want 403\n%s", status, body)
		}
		if body := b.get("/console/servers"); strings.Contains(body, "no-csrf") {
			t.Errorf("a rename without the CSRF token renamed the server")
		}
		status, body, _ = b.post(serverPage+"/rename", url.Values{"name": {"bad/name"}})
		if status != http.StatusBadRequest || !strings.Contains(body, cph.CodeInvalidServerName) {
			t.Errorf("a bad name: %d, want 400 with %s\n%s", status, cph.CodeInvalidServerName, body)
		}
	})

	t.Run("tags", func(t *testing.T) {
		body := b.mustPost(serverPage+"/tags", url.Values{"key": {"rack"}, "value": {"r7"}})
		if !strings.Contains(body, `data-tag="rack"`) || !strings.Contains(body, "<td>r7</td>") {
			t.Errorf("after adding a tag, the page does not show it:\n%s", body)
		}
		status, body, _ := b.post(serverPage+"/tags", url.Values{"key": {"bad/key"}, "value": {"x"}})
		if status != http.StatusBadRequest || !strings.Contains(body, cph.CodeInvalidParameter) || !strings.Contains(body, `class="flash bad"`) {
			t.Errorf("a bad tag key: %d, want 400 with %s on the page\n%s", status, cph.CodeInvalidParameter, body)
		}
		body = b.mustPost(serverPage+"/tags/delete", url.Values{"key": {"rack"}, "value": {"r7"}})
		if strings.Contains(body, `data-tag="rack"`) {
			t.Errorf("after removing the tag, the page still shows it")
		}
		if tags, err := a.S.ListServerTags(a.Ctx, first.ID); err != nil || len(tags) != 0 {
			t.Errorf("tags after the removal: %v, %v", tags, err)
		}
	})

	t.Run("restart", func(t *testing.T) {
		body := b.mustPost(serverPage+"/restart", nil)
		m := regexp.MustCompile(`href="/console/jobs\?request_id=([0-9a-f]+)"`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the answer to a restart links no request:\n%s", body)
		}
		jobs, err := a.S.ListJobs(a.Ctx, cph.JobFilter{RequestIDs: []string{m[1]}, Limit: 10})
		if err != nil || len(jobs) == 0 {
			t.Errorf("the jobs of the request %s: %v, %v", m[1], jobs, err)
		}
	})

	t.Run("read-only", func(t *testing.T) {
		ro := login(t, env, servicetest.Viewer, servicetest.ViewerPassword)
		for _, p := range []string{"/console/servers", serverPage} {
			if n := actionForms(ro.get(p)); n != 0 {
				t.Errorf("a read-only user sees %d action forms on %s", n, p)
			}
		}
		status, body, _ := ro.post(serverPage+"/rename", url.Values{"name": {"viewer-was-here"}})
		if status != http.StatusForbidden || !strings.Contains(body, cph.CodeForbidden) {
			t.Errorf("a read-only user's rename: %d, want 403 %s\n%s", status, cph.CodeForbidden, body)
		}
		if s, err := a.S.ShowServer(a.Ctx, first.ID); err != nil || s.Name != "rack-renamed" {
			t.Errorf("after a read-only user's rename, the server is %+v, %v", s, err)
		}
		audited(t, env, "UpdateServerName", first.ID, "failure")
	})
}

func TestImagePages(t *testing.T) {
	env := servicetest.StartEnv(t, servicetest.SQLite, servicetest.InProcess)
	a := env.Admin
	phones, err := a.S.ListPhones(a.Ctx, cph.PhoneFilter{Limit: 1})
	if err != nil || len(phones.Phones) == 0 {
		t.Fatalf("phones: %+v, %v", phones, err)
	}
	img, err := a.S.CreateImage(a.Ctx, cph.CreateImageParams{Name: "golden", PhoneID: phones.Phones[0].ID})
	if err != nil {
		t.Fatalf("create an image: %v", err)
	}
	peer := cptest.CreateAccount(t, env.ControlPlane, "initech", "initech", cptest.Password, cptest.Project)
	b := login(t, env, cptest.User, cptest.Password)
	imagePath := "/console/images/" + img.ID

	t.Run("list", func(t *testing.T) {
		body := b.get("/console/images")
		if !strings.Contains(body, `data-image="`+img.ID+`"`) || !strings.Contains(body, ">golden ") {
			t.Errorf("the page does not show the project's image:\n%s", body)
		}
		if !strings.Contains(body, cptest.Android12) {
			t.Errorf("the page does not show the public image %s", cptest.Android12)
		}
		if !strings.Contains(body, "Not shared.") {
			t.Errorf("the new image is not said to be unshared")
		}
	})

	t.Run("share", func(t *testing.T) {
		body := b.mustPost(imagePath+"/members", url.Values{"member": {peer}})
		if !strings.Contains(body, `data-member="`+peer+`"`) || !strings.Contains(body, "<td>pending</td>") {
			t.Errorf("after sharing, the page does not show the pending member:\n%s", body)
		}
		status, body, _ := b.post(imagePath+"/members", url.Values{"member": {env.ProjectID}})
		if status != http.StatusBadRequest || !strings.Contains(body, cph.CodeInvalidParameter) {
			t.Errorf("sharing with the own project: %d, want 400 %s\n%s", status, cph.CodeInvalidParameter, body)
		}
		body = b.mustPost(imagePath+"/members/delete", url.Values{"member": {peer}})
		if strings.Contains(body, `data-member="`+peer+`"`) {
			t.Errorf("after stopping sharing, the page still shows the member")
		}
		if m, err := a.S.ListImageMembers(a.Ctx, img.ID, cph.MarkerPage{}); err != nil || len(m.Members) != 0 {
			t.Errorf("members after stopping sharing: %v, %v", m, err)
		}
		audited(t, env, "AddImageMember", img.ID, "success")
		audited(t, env, "DeleteImageMember", img.ID, "success")
	})

	t.Run("answer", func(t *testing.T) {
		status, body, _ := b.post("/console/images/answer", url.Values{"image": {img.ID}, "status": {cph.MemberAccepted}})
		if status != http.StatusNotFound || !strings.Contains(body, cph.CodeInvalidImageID) {
			t.Errorf("accepting an image not shared with the project: %d, want 404 %s\n%s", status, cph.CodeInvalidImageID, body)
		}
		// The peer project, with a server of its own, shares an image
		// with the project.
		servers, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: 10})
		if err != nil || len(servers.Servers) < 2 {
			t.Fatalf("servers: %+v, %v", servers, err)
		}
		given := servers.Servers[1].ID
		cptest.GiveServer(t, env.ControlPlane, given, peer)
		ctx := peerContext(t, env, "initech", cptest.Password)
		svc := env.ControlPlane.Services()
		peerPhones, err := svc.ListPhones(ctx, cph.PhoneFilter{ServerID: &given, Limit: 1})
		if err != nil || len(peerPhones.Phones) == 0 {
			t.Fatalf("the peer's phones: %+v, %v", peerPhones, err)
		}
		shared, err := svc.CreateImage(ctx, cph.CreateImageParams{Name: "peer-golden", PhoneID: peerPhones.Phones[0].ID})
		if err != nil {
			t.Fatalf("the peer's image: %v", err)
		}
		if err := svc.AddImageMember(ctx, shared.ID, env.ProjectID); err != nil {
			t.Fatalf("share the peer's image: %v", err)
		}
		if body := b.get("/console/images"); strings.Contains(body, `data-image="`+shared.ID+`"`) {
			t.Errorf("the page shows a shared image before it is accepted")
		}
		body = b.mustPost("/console/images/answer", url.Values{"image": {shared.ID}, "status": {cph.MemberAccepted}})
		if !strings.Contains(body, `data-image="`+shared.ID+`"`) || !strings.Contains(body, "shared with this project") {
			t.Errorf("after accepting, the page does not show the shared image:\n%s", body)
		}
		body = b.mustPost("/console/images/"+shared.ID+"/answer", url.Values{"status": {cph.MemberRejected}})
		if strings.Contains(body, `data-image="`+shared.ID+`"`) {
			t.Errorf("after rejecting, the page still shows the shared image")
		}
		audited(t, env, "UpdateImageMember", shared.ID, "success")
	})

	t.Run("read-only", func(t *testing.T) {
		ro := login(t, env, servicetest.Viewer, servicetest.ViewerPassword)
		body := ro.get("/console/images")
		if !strings.Contains(body, `data-image="`+img.ID+`"`) {
			t.Errorf("a read-only user does not see the project's image")
		}
		if n := actionForms(body); n != 0 {
			t.Errorf("a read-only user sees %d action forms", n)
		}
	})

	t.Run("delete", func(t *testing.T) {
		status, _, _ := b.do(http.MethodPost, imagePath+"/delete", url.Values{})
		if status != http.StatusForbidden {
			t.Errorf("a deletion without the CSRF token: %d, want 403", status)
		}
		if body := b.get("/console/images"); !strings.Contains(body, `data-image="`+img.ID+`"`) {
			t.Fatalf("a deletion without the CSRF token deleted the image")
		}
		body := b.mustPost(imagePath+"/delete", nil)
		if strings.Contains(body, `data-image="`+img.ID+`"`) || !strings.Contains(body, "is deleted") {
			t.Errorf("after the deletion, the page still shows the image:\n%s", body)
		}
	})
}

var secretRe = regexp.MustCompile(`id="new-secret"[^>]*>([^<]+)<`)

func TestIdentityPages(t *testing.T) {
	env := servicetest.StartEnv(t, servicetest.SQLite, servicetest.InProcess)
	b := login(t, env, cptest.User, cptest.Password)

	t.Run("access keys", func(t *testing.T) {
		if body := b.get("/console/access-keys"); !strings.Contains(body, "You have no access keys.") {
			t.Errorf("before any key was made, the page shows keys:\n%s", body)
		}
		status, body, h := b.post("/console/access-keys", url.Values{"description": {"laptop"}})
		if status != http.StatusOK {
			t.Fatalf("create a key: %d\n%s", status, body)
		}
		if cc := h.Get("Cache-Control"); cc != "no-store" {
			t.Errorf("the answer with the secret has Cache-Control %q, want no-store", cc)
		}
		m := secretRe.FindStringSubmatch(body)
		ak := regexp.MustCompile(`id="new-access">([^<]+)<`).FindStringSubmatch(body)
		if m == nil || ak == nil || !strings.Contains(body, "shown this once") {
			t.Fatalf("the answer does not show the new key with its secret and a warning:\n%s", body)
		}
		secret, access := m[1], ak[1]
		if len(secret) < 20 {
			t.Errorf("the secret %q is too short", secret)
		}
		list := b.get("/console/access-keys")
		if !strings.Contains(list, `data-key="`+access+`"`) || !strings.Contains(list, "laptop") {
			t.Errorf("the list does not show the new key")
		}
		if strings.Contains(list, secret) {
			t.Errorf("the list shows the secret again")
		}

		body = b.mustPost("/console/access-keys/"+access+"/status", url.Values{"status": {cph.KeyInactive}})
		if !strings.Contains(body, ">disabled</span>") {
			t.Errorf("after disabling, the key is not shown disabled:\n%s", body)
		}
		body = b.mustPost("/console/access-keys/"+access+"/status", url.Values{"status": {cph.KeyActive}})
		if !strings.Contains(body, ">active</span>") {
			t.Errorf("after enabling, the key is not shown active")
		}

		if status, _, _ := b.do(http.MethodPost, "/console/access-keys/"+access+"/delete", url.Values{}); status != http.StatusForbidden {
			t.Errorf("a deletion without the CSRF token: %d, want 403", status)
		}
		if !strings.Contains(b.get("/console/access-keys"), `data-key="`+access+`"`) {
			t.Fatalf("a deletion without the CSRF token deleted the key")
		}
		body = b.mustPost("/console/access-keys/"+access+"/delete", nil)
		if strings.Contains(body, `data-key="`+access+`"`) {
			t.Errorf("after the deletion, the list still shows the key")
		}
		for _, op := range []string{"CreateCredential", "UpdateCredential", "DeleteCredential"} {
			audited(t, env, op, access, "success")
		}
	})

	t.Run("read-only user's own keys", func(t *testing.T) {
		ro := login(t, env, servicetest.Viewer, servicetest.ViewerPassword)
		body := ro.get("/console/access-keys")
		if !strings.Contains(body, `action="/console/access-keys"`) {
			t.Errorf("a read-only user cannot create an access key of its own:\n%s", body)
		}
		body = ro.mustPost("/console/access-keys", nil)
		if secretRe.FindStringSubmatch(body) == nil {
			t.Errorf("a read-only user's new key shows no secret:\n%s", body)
		}
		if strings.Contains(b.get("/console/access-keys"), "data-key=") {
			t.Errorf("the admin's own key list shows another user's key")
		}
	})

	t.Run("enrollment tokens", func(t *testing.T) {
		body := b.get("/console/enrollment-tokens")
		if !strings.Contains(body, "The project has no enrollment tokens.") {
			t.Errorf("before any token was made, the page shows tokens:\n%s", body)
		}
		status, body, h := b.post("/console/enrollment-tokens", url.Values{"description": {"rack 7"}, "expires_in": {"24h"}})
		if status != http.StatusOK || h.Get("Cache-Control") != "no-store" {
			t.Fatalf("create a token: %d, Cache-Control %q\n%s", status, h.Get("Cache-Control"), body)
		}
		m := regexp.MustCompile(`id="new-token-secret"[^>]*>(` + cph.EnrollmentTokenPrefix + `[^<]+)<`).FindStringSubmatch(body)
		if m == nil {
			t.Fatalf("the answer does not show the token:\n%s", body)
		}
		tokens, err := env.Admin.S.ListEnrollmentTokens(env.Admin.Ctx)
		if err != nil || len(tokens) != 1 || tokens[0].Description != "rack 7" || tokens[0].ExpiresAt.IsZero() {
			t.Fatalf("tokens: %+v, %v", tokens, err)
		}
		id := tokens[0].ID
		list := b.get("/console/enrollment-tokens")
		if !strings.Contains(list, `data-token="`+id+`"`) || strings.Contains(list, m[1]) {
			t.Errorf("the list does not show the token, or shows its secret again")
		}

		status, _, _ = b.post("/console/enrollment-tokens", url.Values{"expires_in": {"5m"}})
		if status != http.StatusBadRequest {
			t.Errorf("a lifetime off the list: %d, want 400", status)
		}
		if status, _, _ := b.do(http.MethodPost, "/console/enrollment-tokens/"+id+"/delete", url.Values{}); status != http.StatusForbidden {
			t.Errorf("a revocation without the CSRF token: %d, want 403", status)
		}

		ro := login(t, env, servicetest.Viewer, servicetest.ViewerPassword)
		status, body, _ = ro.do(http.MethodGet, "/console/enrollment-tokens", nil)
		if status != http.StatusForbidden || !strings.Contains(body, `id="enrollment-refused"`) || strings.Contains(body, id) {
			t.Errorf("a read-only user's enrollment page: %d, want 403 with the refusal and no tokens\n%s", status, body)
		}
		if n := actionForms(body); n != 0 {
			t.Errorf("a read-only user sees %d action forms", n)
		}

		body = b.mustPost("/console/enrollment-tokens/"+id+"/delete", nil)
		if strings.Contains(body, `data-token="`+id+`"`) {
			t.Errorf("after the revocation, the list still shows the token")
		}
		if tokens, err := env.Admin.S.ListEnrollmentTokens(env.Admin.Ctx); err != nil || len(tokens) != 0 {
			t.Errorf("tokens after the revocation: %+v, %v", tokens, err)
		}
		audited(t, env, "CreateEnrollmentToken", id, "success")
		audited(t, env, "RevokeEnrollmentToken", id, "success")
	})
}
