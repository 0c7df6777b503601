package client_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane/cptest"
)

// TestUserChanges changes a user's password, disables, enables and
// deletes it through the client.
func TestUserChanges(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, hc, op := startIAM(t)
	u, err := op.CreateUser(ctx, client.NewUser{Name: "ops", Password: "first-password", Role: client.RoleReadOnly})
	if err != nil {
		t.Fatal(err)
	}
	ops := iamClient(t, srv, hc, cptest.Domain, "ops", "first-password", cptest.Project)
	if err := ops.ChangePassword(ctx, u.ID, "", "second-password"); err == nil {
		t.Error("own password changed without the original")
	}
	if err := ops.ChangePassword(ctx, u.ID, "first-password", "second-password"); err != nil {
		t.Fatal(err)
	}
	if _, err := ops.ListUsers(ctx, ""); err == nil {
		t.Error("the client with the old password still works after the change")
	}
	ops = iamClient(t, srv, hc, cptest.Domain, "ops", "second-password", cptest.Project)
	if _, err := ops.SetUserEnabled(ctx, u.ID, false); err == nil {
		t.Error("a read-only user disabled itself")
	}
	got, err := op.SetUserEnabled(ctx, u.ID, false)
	if err != nil || got.Enabled || got.ID != u.ID {
		t.Fatalf("disable: %+v, %v", got, err)
	}
	_, err = ops.ListUsers(ctx, "")
	wantAPIError(t, "a disabled user's call", err, http.StatusUnauthorized, "")
	if got, err := op.SetUserEnabled(ctx, u.ID, true); err != nil || !got.Enabled {
		t.Fatalf("enable: %+v, %v", got, err)
	}
	if err := op.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	wantAPIError(t, "delete again", op.DeleteUser(ctx, u.ID), http.StatusNotFound, "")
	users, err := op.ListUsers(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range users {
		if x.ID == u.ID {
			t.Error("the deleted user is listed")
		}
		if x.Name == cptest.User {
			_, err := op.SetUserEnabled(ctx, x.ID, false)
			wantAPIError(t, "disable the last admin", err, http.StatusConflict, "")
		}
	}
}
