package controlplane_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/opencph/opencph/httpapi"
)

func TestOpenAPIDocumentServed(t *testing.T) {
	t.Parallel()
	srv := startServer(t, nil)
	r := do(t, "GET", srv.URL()+"/openapi.json", "", nil)
	if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
		t.Fatalf("GET /openapi.json: %d %s", r.status, r.header.Get("Content-Type"))
	}
	if !bytes.Equal(r.raw, httpapi.OpenAPIDocument) {
		t.Error("the served document is not the embedded one")
	}
	doc, err := openapi3.NewLoader().LoadFromData(r.raw)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	// Spot checks; httpapi's tests check all 52 CPH operations.
	for _, c := range []struct{ method, path string }{
		{"GET", "/v1/{project_id}/cloud-phone/phone-images"},
		{"PUT", "/v1/{project_id}/cloud-phone/images/{image_id}/members"},
		{"DELETE", "/v2/{project_id}/cloud-phone/servers"},
		{"POST", "/v1/{project_id}/{resource_type}/{resource_id}/tags/action"},
		{"HEAD", "/v3/auth/tokens"},
	} {
		if item := doc.Paths.Find(c.path); item == nil || item.GetOperation(c.method) == nil {
			t.Errorf("%s %s is not in the served document", c.method, c.path)
		}
	}
}
