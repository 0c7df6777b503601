package console_test

import (
	"net/http"
	"strings"
	"testing"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/servicetest"
)

// TestServerPageEvents: a server's page lists its scheduled events; a
// writer authorises one to run now, a read-only user gets no form.
func TestServerPageEvents(t *testing.T) {
	env := servicetest.StartEnv(t, servicetest.SQLite, servicetest.InProcess)
	a := env.Admin
	servers, err := a.S.ListServers(a.Ctx, cph.ServerFilter{Limit: 10})
	if err != nil || len(servers.Servers) == 0 {
		t.Fatalf("servers: %v", err)
	}
	sid := servers.Servers[0].ID
	ev, err := a.S.AnnounceScheduledEvent(a.Ctx, cph.AnnounceEventParams{ServerID: sid, Type: cph.EventLocalDiskRecovery, Description: "replace disk 3"})
	if err != nil {
		t.Fatal(err)
	}
	page := "/console/servers/" + sid
	authorize := page + "/events/" + ev.EventID + "/authorize"

	viewer := login(t, env, servicetest.Viewer, servicetest.ViewerPassword)
	if body := viewer.get(page); !strings.Contains(body, "replace disk 3") || strings.Contains(body, authorize) {
		t.Errorf("the read-only user's server page: the event or no form expected\n%s", body)
	}
	if status, _, _ := viewer.post(authorize, nil); status != http.StatusForbidden {
		t.Errorf("the read-only user's authorisation: %d, want 403", status)
	}

	b := login(t, env, cptest.User, cptest.Password)
	body := b.get(page)
	if !strings.Contains(body, `data-event="`+ev.EventID+`"`) || !strings.Contains(body, authorize) || !strings.Contains(body, ">inquiring<") {
		t.Fatalf("the server's page does not offer to authorise the event:\n%s", body)
	}
	body = b.mustPost(authorize, nil)
	if !strings.Contains(body, "The event is authorised") || strings.Contains(body, authorize) {
		t.Errorf("after the authorisation:\n%s", body)
	}
	audited(t, env, "AuthorizeScheduledEvent", ev.EventID, "success")
	if status, body, _ := b.post(authorize, nil); status != http.StatusBadRequest || !strings.Contains(body, cph.CodeStatusNotAllowed) {
		t.Errorf("authorising twice: %d\n%s", status, body)
	}
}
