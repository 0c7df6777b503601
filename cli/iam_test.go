package cli_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/aksk"
	"github.com/opencph/opencph/cli"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// The "cph iam" tests run the command in process against a real control
// plane (cptest.Start), whose bootstrap account cptest.Domain is the
// installation's operator account.

// iamResult is the outcome of one run of cli.Main.
type iamResult struct {
	code           int
	stdout, stderr string
}

// iamRun runs cli.Main with args, stdin and the environment env.
func iamRun(t *testing.T, env map[string]string, stdin string, args ...string) iamResult {
	t.Helper()
	code, stdout, stderr := cli.RunMain(t, env, stdin, args...)
	return iamResult{code, stdout, stderr}
}

// iamOK runs the command, fails the test unless it exits 0 and decodes its
// standard output into out when out is not nil.
func iamOK(t *testing.T, env map[string]string, stdin string, out any, args ...string) iamResult {
	t.Helper()
	r := iamRun(t, env, stdin, args...)
	if r.code != cli.ExitOK {
		t.Fatalf("cph %s: exit %d, stdout %q, stderr %q", strings.Join(args, " "), r.code, r.stdout, r.stderr)
	}
	if out != nil {
		if err := json.Unmarshal([]byte(r.stdout), out); err != nil {
			t.Fatalf("cph %s: %v in %q", strings.Join(args, " "), err, r.stdout)
		}
	}
	return r
}

// iamFails runs the command and fails the test unless it exits with code
// and its standard error matches want.
func iamFails(t *testing.T, env map[string]string, stdin string, code int, want string, args ...string) {
	t.Helper()
	r := iamRun(t, env, stdin, args...)
	if r.code != code || !regexp.MustCompile(want).MatchString(r.stderr) || r.stdout != "" {
		t.Errorf("cph %s: exit %d, stdout %q, stderr %q; want exit %d and stderr matching %q",
			strings.Join(args, " "), r.code, r.stdout, r.stderr, code, want)
	}
}

// readOnlyUser creates the read-only user name of the bootstrap account
// with op's command and returns the environment of that user.
func readOnlyUser(t *testing.T, srv *controlplane.Server, op map[string]string, name, password string) map[string]string {
	t.Helper()
	iamOK(t, op, "", nil, "iam", "users", "create", name, "--role", "readonly", "--password", password)
	return iamEnv(t, srv, cptest.Domain, name, password, cptest.Project)
}

// iamEnv returns the environment of an account of srv with a fresh cache
// directory.
func iamEnv(t *testing.T, srv *controlplane.Server, domain, user, password, project string) map[string]string {
	cli.CloseIdleConnectionsAtEnd(t)
	return map[string]string{
		cli.EnvEndpoint: srv.URL(),
		cli.EnvDomain:   domain,
		cli.EnvUser:     user,
		cli.EnvPassword: password,
		cli.EnvProject:  project,
		cli.EnvCacheDir: t.TempDir(),
	}
}

// iamOperatorEnv is the environment of the bootstrap account's admin.
func iamOperatorEnv(t *testing.T, srv *controlplane.Server) map[string]string {
	return iamEnv(t, srv, cptest.Domain, cptest.User, cptest.Password, cptest.Project)
}

// iamLines reports whether every regexp of want matches a line of out.
func iamLines(t *testing.T, what, out string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !regexp.MustCompile(`(?m)^` + w + `$`).MatchString(out) {
			t.Errorf("%s: no line matches %q in\n%s", what, w, out)
		}
	}
}

func TestIAMAccountsCommands(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	op := iamOperatorEnv(t, srv)

	var acc client.Account
	iamOK(t, op, "", &acc, "iam", "accounts", "create", "--domain", "bravo", "--password", "bravo-password", "--project", "cn-south-1", "-o", "json")
	if acc.Domain.Name != "bravo" || acc.User.Name != "bravo" || acc.User.Role != "admin" || acc.User.DomainID != acc.Domain.ID ||
		acc.Project == nil || acc.Project.Name != "cn-south-1" || acc.Project.DomainID != acc.Domain.ID {
		t.Fatalf("account = %+v", acc)
	}
	r := iamOK(t, op, "charlie-password\n", nil, "iam", "accounts", "create", "--domain", "charlie", "--user", "root", "--password-stdin")
	iamLines(t, "accounts create", r.stdout, `domain_id +[0-9a-f]{32}`, `domain_name +charlie`, `user_id +[0-9a-f]{32}`, `user_name +root`, `role +admin`)
	if strings.Contains(r.stdout, "project") {
		t.Errorf("account without project: %q", r.stdout)
	}
	iamFails(t, op, "", cli.ExitAPI, `^error: HTTP 409: .*\(request `, "iam", "accounts", "create", "--domain", "bravo", "--password", "bravo-password")
	iamFails(t, op, "", cli.ExitAPI, `^error: HTTP 400: The password must have at least 8 characters`, "iam", "accounts", "create", "--domain", "delta", "--password", "short")
	iamFails(t, op, "", cli.ExitUsage, `--domain is required`, "iam", "accounts", "create", "--password", "long-enough")
	iamFails(t, op, "", cli.ExitUsage, `no password for the new user`, "iam", "accounts", "create", "--domain", "delta")
	iamFails(t, op, "pw\n", cli.ExitUsage, `mutually exclusive`, "iam", "accounts", "create", "--domain", "delta", "--password", "x", "--password-stdin")

	r = iamOK(t, op, "", nil, "iam", "accounts", "list")
	iamLines(t, "accounts list", r.stdout, `DOMAIN_ID +NAME +ENABLED`, `[0-9a-f]{32} +acme +true`, acc.Domain.ID+` +bravo +true`, `[0-9a-f]{32} +charlie +true`)
	var domains struct{ Domains []client.Domain }
	iamOK(t, op, "", &domains, "iam", "accounts", "list", "-o", "json")
	if len(domains.Domains) != 3 {
		t.Errorf("operator's accounts = %+v", domains.Domains)
	}

	// The new account's user logs in; with the token cached, the commands
	// need no password, even those whose --password names a new user's.
	bravo := iamEnv(t, srv, "bravo", "", "bravo-password", "cn-south-1")
	iamOK(t, bravo, "", nil, "login")
	delete(bravo, cli.EnvPassword)
	iamOK(t, bravo, "", &domains, "iam", "accounts", "list", "-o", "json")
	if len(domains.Domains) != 1 || domains.Domains[0] != acc.Domain {
		t.Errorf("bravo's accounts = %+v", domains.Domains)
	}
	iamFails(t, bravo, "", cli.ExitAPI, `^error: HTTP 403: `, "iam", "accounts", "create", "--domain", "echo", "--password", "echo-password")

	// Users.
	var viewer client.User
	iamOK(t, bravo, "", &viewer, "iam", "users", "create", "viewer", "--password", "viewer-password", "-o", "json")
	if viewer.Name != "viewer" || viewer.Role != "readonly" || viewer.DomainID != acc.Domain.ID || !viewer.Enabled {
		t.Errorf("viewer = %+v", viewer)
	}
	r = iamOK(t, bravo, "ops-password\n", nil, "iam", "users", "create", "ops", "--role", "admin", "--password-stdin")
	iamLines(t, "users create", r.stdout, `user_id +[0-9a-f]{32}`, `name +ops`, `domain_id +`+acc.Domain.ID, `role +admin`, `enabled +true`)
	iamFails(t, bravo, "", cli.ExitAPI, `^error: HTTP 409: A user named "viewer" exists`, "iam", "users", "create", "viewer", "--password", "viewer-password")
	iamFails(t, bravo, "", cli.ExitAPI, `^error: HTTP 400: `, "iam", "users", "create", "shorty", "--password", "x")
	iamFails(t, bravo, "", cli.ExitUsage, `invalid --role "root"`, "iam", "users", "create", "x", "--role", "root", "--password", "long-enough")
	iamFails(t, bravo, "", cli.ExitUsage, `no password for the new user`, "iam", "users", "create", "x")
	iamFails(t, bravo, "", cli.ExitUsage, `accepts 1 arg`, "iam", "users", "create", "--password", "long-enough")

	r = iamOK(t, bravo, "", nil, "iam", "users", "list")
	iamLines(t, "users list", r.stdout, `USER_ID +NAME +ROLE +ENABLED +DOMAIN_ID`,
		acc.User.ID+` +bravo +admin +true +`+acc.Domain.ID, viewer.ID+` +viewer +readonly +true +`+acc.Domain.ID, `[0-9a-f]{32} +ops +admin +true +`+acc.Domain.ID)
	var users struct{ Users []client.User }
	iamOK(t, op, "", &users, "iam", "users", "list", "--domain-id", acc.Domain.ID, "-o", "json")
	if len(users.Users) != 3 {
		t.Errorf("operator lists bravo's users: %+v", users.Users)
	}
	iamOK(t, op, "", &users, "iam", "users", "create", "helper", "--domain-id", acc.Domain.ID, "--password", "helper-password", "-o", "json")
	iamFails(t, bravo, "", cli.ExitAPI, `^error: HTTP 403: `, "iam", "users", "list", "--domain-id", srv.Bootstrap().ProjectID)

	// Projects.
	var p client.Project
	iamOK(t, bravo, "", &p, "iam", "projects", "create", "cn-east-3", "--description", "Shanghai", "-o", "json")
	if p.Name != "cn-east-3" || p.Description != "Shanghai" || p.DomainID != acc.Domain.ID || !p.Enabled {
		t.Errorf("project = %+v", p)
	}
	r = iamOK(t, op, "", nil, "iam", "projects", "create", "cn-east-4", "--domain-id", acc.Domain.ID)
	iamLines(t, "projects create", r.stdout, `project_id +[0-9a-f]{32}`, `name +cn-east-4`, `domain_id +`+acc.Domain.ID, `enabled +true`, `description +-`)
	iamFails(t, bravo, "", cli.ExitAPI, `^error: HTTP 409: `, "iam", "projects", "create", "cn-east-3")
	iamFails(t, bravo, "", cli.ExitAPI, `^error: HTTP 400: Invalid project name`, "iam", "projects", "create", "Not-A-Region")
	r = iamOK(t, bravo, "", nil, "iam", "projects", "list")
	iamLines(t, "projects list", r.stdout, `PROJECT_ID +NAME +ENABLED +DESCRIPTION`, acc.Project.ID+` +cn-south-1 +true +-`,
		p.ID+` +cn-east-3 +true +Shanghai`, `[0-9a-f]{32} +cn-east-4 +true +-`)
	var projects struct{ Projects []client.Project }
	iamOK(t, bravo, "", &projects, "iam", "projects", "list", "--name", "cn-east-3", "-o", "json")
	if len(projects.Projects) != 1 || projects.Projects[0] != p {
		t.Errorf("projects named cn-east-3 = %+v", projects.Projects)
	}

	// The new user logs in to the new project.
	viewerEnv := iamEnv(t, srv, "bravo", "viewer", "viewer-password", "cn-east-3")
	var info struct {
		UserID    string `json:"user_id"`
		ProjectID string `json:"project_id"`
	}
	iamOK(t, viewerEnv, "", &info, "login", "-o", "json")
	if info.UserID != viewer.ID || info.ProjectID != p.ID {
		t.Errorf("viewer's login = %+v", info)
	}
	iamFails(t, viewerEnv, "", cli.ExitAPI, `^error: HTTP 403: `, "iam", "users", "create", "x", "--password", "long-enough")
}

func TestIAMReadOnlyUserCommands(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	op := iamOperatorEnv(t, srv)
	watcher := readOnlyUser(t, srv, op, "watcher", "watcher-password")
	var list client.PhoneList
	iamOK(t, watcher, "", &list, "phones", "list", "-o", "json")
	if len(list.Phones) == 0 {
		t.Fatal("no phones")
	}
	iamFails(t, watcher, "", cli.ExitAPI, `^error: `+regexp.QuoteMeta(cph.CodeForbidden)+`: `, "phones", "restart", list.Phones[0].ID)
	iamOK(t, op, "", nil, "phones", "restart", list.Phones[0].ID)
}

// iamSigned lists the phones of projectID with a request signed with
// ak/sk and returns the HTTP status.
func iamSigned(t *testing.T, hc *http.Client, srv *controlplane.Server, projectID, ak, sk string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, srv.URL()+"/v1/"+projectID+"/cloud-phone/phones", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	aksk.Sign(req, nil, ak, sk, time.Now())
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestIAMKeysCommands(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	tr := &http.Transport{}
	t.Cleanup(tr.CloseIdleConnections)
	hc := &http.Client{Transport: tr, Timeout: time.Minute}
	op := iamOperatorEnv(t, srv)
	var me struct {
		UserID    string `json:"user_id"`
		ProjectID string `json:"project_id"`
	}
	iamOK(t, op, "", &me, "login", "-o", "json")

	// Create, by default for the logged-in user; the secret is printed
	// once, with a warning.
	var k client.AccessKey
	r := iamOK(t, op, "", &k, "iam", "keys", "create", "--description", "ci", "-o", "json")
	if len(k.Access) != 20 || len(k.Secret) != 40 || k.Status != "active" || k.UserID != me.UserID || k.Description != "ci" || k.CreateTime.IsZero() {
		t.Fatalf("created key = %+v", k)
	}
	if !strings.Contains(r.stderr, "not shown again") {
		t.Errorf("create: no warning about the secret in %q", r.stderr)
	}
	if st := iamSigned(t, hc, srv, me.ProjectID, k.Access, k.Secret); st != http.StatusOK {
		t.Fatalf("signed with the new key: %d", st)
	}
	r = iamOK(t, op, "", nil, "iam", "keys", "create")
	iamLines(t, "keys create", r.stdout, `access +[A-Z0-9]{20}`, `secret +[A-Za-z0-9]{40}`, `status +active`, `user_id +`+me.UserID,
		`description +-`, `create_time +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	if !strings.Contains(r.stderr, "not shown again") {
		t.Errorf("create: no warning about the secret in %q", r.stderr)
	}
	fields := strings.Fields(r.stdout)
	ak2, sk2 := fields[1], fields[3]
	if st := iamSigned(t, hc, srv, me.ProjectID, ak2, sk2); st != http.StatusOK {
		t.Errorf("signed with the second key (%s): %d", ak2, st)
	}
	iamFails(t, op, "", cli.ExitAPI, `^error: HTTP 400: akSkNumExceed`, "iam", "keys", "create")

	// List and show, never with the secret.
	r = iamOK(t, op, "", nil, "iam", "keys", "list")
	iamLines(t, "keys list", r.stdout, `ACCESS +STATUS +USER_ID +DESCRIPTION +CREATED`,
		k.Access+` +active +`+me.UserID+` +ci +\S+Z`, ak2+` +active +`+me.UserID+` +- +\S+Z`)
	var keys struct{ Credentials []client.AccessKey }
	iamOK(t, op, "", &keys, "iam", "keys", "list", "--user-id", me.UserID, "-o", "json")
	if len(keys.Credentials) != 2 {
		t.Errorf("keys = %+v", keys.Credentials)
	}
	r = iamOK(t, op, "", nil, "iam", "keys", "show", k.Access)
	iamLines(t, "keys show", r.stdout, `access +`+k.Access, `status +active`, `description +ci`, `last_use_time +\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ`)
	var shown client.AccessKey
	iamOK(t, op, "", &shown, "iam", "keys", "show", k.Access, "-o", "json")
	if shown.Access != k.Access || shown.LastUseTime.IsZero() {
		t.Errorf("shown key = %+v", shown)
	}
	for _, out := range []string{r.stdout, iamOK(t, op, "", nil, "iam", "keys", "list", "-o", "json").stdout} {
		if strings.Contains(out, k.Secret) || strings.Contains(out, sk2) || strings.Contains(out, "secret") {
			t.Errorf("a secret is shown again: %s", out)
		}
	}

	// Disable, enable.
	r = iamOK(t, op, "", nil, "iam", "keys", "disable", k.Access)
	iamLines(t, "keys disable", r.stdout, `access +`+k.Access, `status +inactive`)
	if st := iamSigned(t, hc, srv, me.ProjectID, k.Access, k.Secret); st != http.StatusUnauthorized {
		t.Errorf("signed with the disabled key: %d", st)
	}
	var enabled client.AccessKey
	iamOK(t, op, "", &enabled, "iam", "keys", "enable", k.Access, "-o", "json")
	if enabled.Status != "active" || enabled.Description != "ci" {
		t.Errorf("enabled key = %+v", enabled)
	}
	if st := iamSigned(t, hc, srv, me.ProjectID, k.Access, k.Secret); st != http.StatusOK {
		t.Errorf("signed with the enabled key: %d", st)
	}

	// Delete.
	r = iamOK(t, op, "", nil, "iam", "keys", "delete", k.Access)
	if r.stdout != "Deleted access key "+k.Access+".\n" {
		t.Errorf("delete: %q", r.stdout)
	}
	if st := iamSigned(t, hc, srv, me.ProjectID, k.Access, k.Secret); st != http.StatusUnauthorized {
		t.Errorf("signed with the deleted key: %d", st)
	}
	iamFails(t, op, "", cli.ExitAPI, `^error: HTTP 404: Could not find access key`, "iam", "keys", "show", k.Access)
	iamFails(t, op, "", cli.ExitAPI, `^error: HTTP 404: `, "iam", "keys", "delete", k.Access)
	iamFails(t, op, "", cli.ExitAPI, `^error: HTTP 404: `, "iam", "keys", "disable", k.Access)
	var deleted map[string]any
	iamOK(t, op, "", &deleted, "iam", "keys", "delete", ak2, "-o", "json")
	if !maps.Equal(deleted, map[string]any{"access": ak2, "deleted": true}) {
		t.Errorf("delete -o json: %v", deleted)
	}
	iamFails(t, op, "", cli.ExitUsage, `accepts 1 arg`, "iam", "keys", "show")

	// An admin manages the keys of another user of the account; that user
	// manages their own only.
	var viewer client.User
	iamOK(t, op, "", &viewer, "iam", "users", "create", "viewer", "--password", "viewer-password", "-o", "json")
	var vk client.AccessKey
	iamOK(t, op, "", &vk, "iam", "keys", "create", "--user-id", viewer.ID, "-o", "json")
	if vk.UserID != viewer.ID {
		t.Errorf("viewer's key = %+v", vk)
	}
	viewerEnv := iamEnv(t, srv, cptest.Domain, "viewer", "viewer-password", cptest.Project)
	iamOK(t, viewerEnv, "", &keys, "iam", "keys", "list", "-o", "json")
	if len(keys.Credentials) != 1 || keys.Credentials[0].Access != vk.Access {
		t.Errorf("viewer's keys = %+v", keys.Credentials)
	}
	iamFails(t, viewerEnv, "", cli.ExitAPI, `^error: HTTP 403: `, "iam", "keys", "list", "--user-id", me.UserID)
	iamOK(t, viewerEnv, "", nil, "iam", "keys", "disable", vk.Access)
	iamOK(t, op, "", &keys, "iam", "keys", "list", "--user-id", viewer.ID, "-o", "json")
	if len(keys.Credentials) != 1 || keys.Credentials[0].Status != "inactive" {
		t.Errorf("viewer's keys seen by the admin = %+v", keys.Credentials)
	}
}
