package cli

import (
	"context"
	"strings"
	"testing"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane/cptest"
	"github.com/opencph/opencph/controlplane/cptest/cpclient"
)

func TestImagesCommands(t *testing.T) {
	t.Parallel()
	srv := cptest.Start(t, nil)
	ctx := context.Background()
	aEnv := map[string]string{EnvEndpoint: srv.URL(), EnvDomain: cptest.Domain, EnvPassword: cptest.Password,
		EnvProject: cptest.Project, EnvCacheDir: t.TempDir()}
	bProject := cptest.CreateAccount(t, srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	bEnv := map[string]string{EnvEndpoint: srv.URL(), EnvDomain: "globex", EnvPassword: "globex-Passw0rd",
		EnvProject: cptest.Project, EnvCacheDir: t.TempDir()}
	phones, err := cpclient.New(t, srv).ListPhones(ctx, client.ListPhonesOptions{})
	if err != nil {
		t.Fatal(err)
	}

	r := run(t, aEnv, "", "images", "list")
	if r.code != 0 || strings.Count(r.stdout, "public") != 2 {
		t.Fatalf("images list: %+v", r)
	}
	r = run(t, aEnv, "", "images", "create", "golden", "--phone", phones.Phones[0].ID)
	img := strings.TrimSpace(r.stdout)
	if r.code != 0 || len(img) != 32 {
		t.Fatalf("images create: %+v", r)
	}
	if r = run(t, aEnv, "", "images", "custom"); r.code != 0 || !strings.Contains(r.stdout, img) || !strings.Contains(r.stdout, "ready") {
		t.Errorf("images custom: %+v", r)
	}
	if r = run(t, aEnv, "", "images", "share", img, bProject); r.code != 0 {
		t.Fatalf("images share: %+v", r)
	}
	if r = run(t, bEnv, "", "images", "list", "--type", "share"); r.code != 0 || !strings.Contains(r.stdout, img+"  golden  shared") ||
		!strings.Contains(r.stdout, "pending") {
		t.Errorf("B's pending image: %+v", r)
	}
	if r = run(t, bEnv, "", "images", "accept", img); r.code != 0 {
		t.Fatalf("images accept: %+v", r)
	}
	if r = run(t, bEnv, "", "images", "list", "--type", "share"); r.code != 0 || !strings.Contains(r.stdout, img) || !strings.Contains(r.stdout, "accepted") {
		t.Errorf("B does not see the accepted image: %+v", r)
	}
	// One page by marker: the next marker is told on stderr.
	r = run(t, bEnv, "", "images", "list", "--limit", "1")
	if r.code != 0 || strings.Count(r.stdout, "\n") != 2 || !strings.Contains(r.stderr, "--marker ") {
		t.Fatalf("images list --limit 1: %+v", r)
	}
	next := strings.TrimSpace(r.stderr[strings.LastIndex(r.stderr, "--marker ")+len("--marker "):])
	if r = run(t, bEnv, "", "images", "list", "--limit", "500", "--marker", next, "--output", "json"); r.code != 0 ||
		!strings.Contains(r.stdout, img) || !strings.Contains(r.stdout, `"page_info": {}`) || strings.Contains(r.stdout, next) {
		t.Errorf("images list --marker: %+v", r)
	}
	if r = run(t, bEnv, "", "images", "list", "--limit", "501"); r.code != ExitUsage {
		t.Errorf("images list --limit 501: %+v", r)
	}
	if r = run(t, bEnv, "", "images", "list", "--marker", "nope"); r.code != ExitAPI || !strings.Contains(r.stderr, "CPS.9011") {
		t.Errorf("images list --marker nope: %+v", r)
	}
	if r = run(t, aEnv, "", "images", "members", img); r.code != 0 || !strings.Contains(r.stdout, bProject+"  accepted") {
		t.Errorf("images members: %+v", r)
	}
	if r = run(t, bEnv, "", "images", "reject", img); r.code != 0 {
		t.Fatalf("images reject: %+v", r)
	}
	if r = run(t, bEnv, "", "images", "custom", "--type", "share"); r.code != 0 || strings.Contains(r.stdout, img) {
		t.Errorf("B sees a rejected image: %+v", r)
	}
	if r = run(t, aEnv, "", "images", "unshare", img, bProject); r.code != 0 {
		t.Fatalf("images unshare: %+v", r)
	}
	if r = run(t, aEnv, "", "images", "members", img, "--output", "json"); r.code != 0 || !strings.Contains(r.stdout, `"members": []`) {
		t.Errorf("members after unshare: %+v", r)
	}
	if r = run(t, aEnv, "", "images", "delete", img); r.code != 0 {
		t.Fatalf("images delete: %+v", r)
	}
	if r = run(t, aEnv, "", "images", "delete", img); r.code != ExitAPI || !strings.HasPrefix(r.stderr, "error: CPS.0030: ") {
		t.Errorf("delete twice: %+v", r)
	}
	if r = run(t, aEnv, "", "images", "create", "x"); r.code == 0 || !strings.Contains(r.stderr, "--phone") {
		t.Errorf("create without --phone: %+v", r)
	}
}
