package cli_test

import (
	"strings"
	"testing"

	"github.com/opencph/opencph/cli"
	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane/cptest"
)

// TestIAMUserChangeCommands changes a password, disables, enables and
// deletes a user with "cph iam users".
func TestIAMUserChangeCommands(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	op := iamOperatorEnv(t, srv)
	ops := readOnlyUser(t, srv, op, "ops", "first-password")
	iamOK(t, ops, "", nil, "phones", "list")

	// Own password: the original comes from CPH_PASSWORD.
	iamOK(t, ops, "second-password\n", nil, "iam", "users", "passwd", "ops", "--password-stdin")
	iamFails(t, ops, "", cli.ExitAPI, `.`, "phones", "list")
	ops = iamEnv(t, srv, cptest.Domain, "ops", "second-password", cptest.Project)
	iamOK(t, ops, "", nil, "phones", "list")
	// A wrong original is refused.
	iamFails(t, ops, "", cli.ExitAPI, `original password is wrong`,
		"iam", "users", "passwd", "ops", "--password", "third-password", "--original-password", "not-it")

	// Disable and enable.
	var u client.User
	iamOK(t, op, "", &u, "iam", "users", "disable", "ops", "-o", "json")
	if u.Enabled || u.Name != "ops" {
		t.Errorf("disabled user: %+v", u)
	}
	iamFails(t, ops, "", cli.ExitAPI, `.`, "phones", "list")
	iamOK(t, op, "", &u, "iam", "users", "enable", u.ID, "-o", "json")
	if !u.Enabled {
		t.Errorf("enabled user: %+v", u)
	}
	ops = iamEnv(t, srv, cptest.Domain, "ops", "second-password", cptest.Project)
	iamOK(t, ops, "", nil, "phones", "list")

	// The last enabled admin stays.
	iamFails(t, op, "", cli.ExitAPI, `last enabled admin`, "iam", "users", "disable", cptest.User)
	iamFails(t, op, "", cli.ExitAPI, `last enabled admin`, "iam", "users", "delete", cptest.User)

	// Delete.
	iamOK(t, op, "", nil, "iam", "users", "delete", "ops")
	r := iamOK(t, op, "", nil, "iam", "users", "list")
	if strings.Contains(r.stdout, "ops") {
		t.Errorf("the deleted user is listed:\n%s", r.stdout)
	}
	iamFails(t, op, "", cli.ExitFailure, `no user "ops"`, "iam", "users", "delete", "ops")
}
