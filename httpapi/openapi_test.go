package httpapi_test

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/opencph/opencph/httpapi"
	"github.com/opencph/opencph/httpapi/internal/openapispec"
)

// cphOperations is the CPH operation index: the
// 52 SDK operations with their method and path.
var cphOperations = []struct{ name, method, path string }{
	{"AddImageMember", "POST", "/v1/{project_id}/cloud-phone/images/{image_id}/members"},
	{"AttachShareFilesystem", "POST", "/v1/{project_id}/servers/attach-share-filesystem"},
	{"BatchCreateTags", "POST", "/v1/{project_id}/{resource_type}/{resource_id}/tags/action"},
	{"BatchDeleteTags", "POST", "/v1/{project_id}/{resource_type}/{resource_id}/tags/action"},
	{"BatchExportCloudPhoneData", "POST", "/v1/{project_id}/cloud-phone/phones/batch-storage"},
	{"BatchImportCloudPhoneData", "POST", "/v1/{project_id}/cloud-phone/phones/batch-restore"},
	{"BatchShowPhoneConnectInfos", "POST", "/v1/{project_id}/cloud-phone/phones/batch-connection"},
	{"ChangeCloudPhoneServer", "POST", "/v2/{project_id}/cloud-phone/servers/{server_id}/change"},
	{"ChangeCloudPhoneServerModel", "POST", "/v1/{project_id}/cloud-phone/servers/change-server-model"},
	{"CreateCloudPhoneSingleServer", "POST", "/v2.1/{project_id}/cloud-phone/servers"},
	{"CreateNet2CloudPhoneServer", "POST", "/v2/{project_id}/cloud-phone/servers"},
	{"DeleteCloudPhoneServer", "DELETE", "/v2/{project_id}/cloud-phone/servers"},
	{"DeleteImage", "DELETE", "/v1/{project_id}/cloud-phone/images/{image_id}"},
	{"DeleteImageMember", "DELETE", "/v1/{project_id}/cloud-phone/images/{image_id}/members/{member_id}"},
	{"DeleteShareApps", "DELETE", "/v1/{project_id}/cloud-phone/phones/share-apps"},
	{"DeleteShareFiles", "POST", "/v1/{project_id}/cloud-phone/phones/share-files"},
	{"DetachShareFilesystem", "POST", "/v1/{project_id}/servers/detach-share-filesystem"},
	{"ExpandPhoneDataVolumeSize", "POST", "/v1/{project_id}/cloud-phone/phones/expand-volume"},
	{"ImportTraffic", "POST", "/v1/{project_id}/cloud-phone/phones-traffic"},
	{"ListCloudPhoneImages", "GET", "/v1/{project_id}/cloud-phone/phone-images"},
	{"ListCloudPhoneModels", "GET", "/v1/{project_id}/cloud-phone/phone-models"},
	{"ListCloudPhoneServerModelOfferings", "GET", "/v1/{project_id}/server-model-offerings"},
	{"ListCloudPhoneServerModels", "GET", "/v1/{project_id}/cloud-phone/server-models"},
	{"ListCloudPhoneServers", "GET", "/v1/{project_id}/cloud-phone/servers"},
	{"ListCloudPhones", "GET", "/v1/{project_id}/cloud-phone/phones"},
	{"ListEncodeServers", "GET", "/v1/{project_id}/cloud-phone/encode-servers"},
	{"ListImageMembers", "GET", "/v1/{project_id}/cloud-phone/images/{image_id}/members"},
	{"ListImages", "GET", "/v1/{project_id}/cloud-phone/images"},
	{"ListJobs", "GET", "/v1/{project_id}/cloud-phone/jobs"},
	{"ListProjectTags", "GET", "/v1/{project_id}/{resource_type}/tags"},
	{"ListResourceInstances", "POST", "/v1/{project_id}/{resource_type}/resource_instances/action"},
	{"ListResourceTags", "GET", "/v1/{project_id}/{resource_type}/{resource_id}/tags"},
	{"ListShareAppsSnapshot", "GET", "/v1/{project_id}/servers/{server_id}/share-apps-snapshot"},
	{"ListShareFiles", "GET", "/v1/{project_id}/cloud-phone/servers/share-files"},
	{"PushShareApps", "POST", "/v1/{project_id}/cloud-phone/phones/share-apps"},
	{"PushShareFiles", "POST", "/v1/{project_id}/cloud-phone/phones/share-files"},
	{"ResetCloudPhone", "POST", "/v1/{project_id}/cloud-phone/phones/batch-reset"},
	{"RestartCloudPhone", "POST", "/v1/{project_id}/cloud-phone/phones/batch-restart"},
	{"RestartCloudPhoneServer", "POST", "/v1/{project_id}/cloud-phone/servers/batch-restart"},
	{"RestartEncodeServer", "POST", "/v1/{project_id}/cloud-phone/encode-servers/batch-restart"},
	{"ShowBandwidthDetail", "GET", "/v1/{project_id}/cloud-phone/bandwidths"},
	{"ShowCloudPhoneDetail", "GET", "/v1/{project_id}/cloud-phone/phones/{phone_id}"},
	{"ShowCloudPhoneServerDetail", "GET", "/v1/{project_id}/cloud-phone/servers/{server_id}"},
	{"ShowJob", "GET", "/v1/{project_id}/cloud-phone/jobs/{job_id}"},
	{"StopCloudPhone", "POST", "/v1/{project_id}/cloud-phone/phones/batch-stop"},
	{"UpdateBandwidth", "PUT", "/v1/{project_id}/cloud-phone/bandwidths/{band_width_id}"},
	{"UpdateCloudPhoneProperty", "POST", "/v1/{project_id}/cloud-phone/phones/batch-update-property"},
	{"UpdateImageMember", "PUT", "/v1/{project_id}/cloud-phone/images/{image_id}/members"},
	{"UpdateKeypair", "PUT", "/v1/{project_id}/cloud-phone/servers/open-access"},
	{"UpdatePhoneName", "PUT", "/v1/{project_id}/cloud-phone/phones/{phone_id}"},
	{"UpdateServerName", "PUT", "/v1/{project_id}/cloud-phone/servers/{server_id}"},
	{"InstallApk", "POST", "/v1/{project_id}/cloud-phone/phones/commands"},
	{"PushFile", "POST", "/v1/{project_id}/cloud-phone/phones/commands"},
	{"RunShellCommand", "POST", "/v1/{project_id}/cloud-phone/phones/commands"},
	{"RunSyncCommand", "POST", "/v1/{project_id}/cloud-phone/phones/sync-commands"},
	{"UninstallApk", "POST", "/v1/{project_id}/cloud-phone/phones/commands"},
}

// cphAdditions are the CPH operations of later SDK releases (0.1.215)
// that OpenCPH serves.
var cphAdditions = []struct{ name, method, path string }{
	{"AuthorizeScheduledEvent", "POST", "/v1/{project_id}/cloud-phone/scheduled-events/{event_id}/authorize"},
	{"ListScheduledEvents", "GET", "/v1/{project_id}/cloud-phone/scheduled-events"},
	{"UpdateScheduledEvent", "PUT", "/v1/{project_id}/cloud-phone/scheduled-events/{event_id}"},
}

func loadDocument(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(httpapi.OpenAPIDocument)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("validate: %v", err)
	}
	return doc
}

func TestOpenAPIDocumentIsValid(t *testing.T) {
	t.Parallel()
	doc := loadDocument(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q", doc.OpenAPI)
	}
}

func TestOpenAPIDocumentCoversEveryCPHOperation(t *testing.T) {
	t.Parallel()
	if len(cphOperations) != 56 {
		t.Fatalf("the index lists %d operations, want 56", len(cphOperations))
	}
	doc := loadDocument(t)
	named := map[string]string{} // SDK name -> "METHOD path" in the document
	for p, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			names, _ := op.Extensions["x-cph-operations"].([]any)
			for _, n := range names {
				named[n.(string)] = method + " " + p
			}
		}
	}
	for _, want := range append(slices.Clone(cphOperations), cphAdditions...) {
		item := doc.Paths.Find(want.path)
		if item == nil || item.GetOperation(want.method) == nil {
			t.Errorf("%s: %s %s is not in the document", want.name, want.method, want.path)
			continue
		}
		if got := named[want.name]; got != want.method+" "+want.path {
			t.Errorf("%s: x-cph-operations places it at %q, want %s %s", want.name, got, want.method, want.path)
		}
	}
	if len(named) != 56+len(cphAdditions) {
		t.Errorf("the document names %d CPH operations, want %d", len(named), 56+len(cphAdditions))
	}
	for _, r := range []struct{ method, path string }{
		{"POST", "/v3/auth/tokens"}, {"GET", "/v3/auth/tokens"}, {"HEAD", "/v3/auth/tokens"}, {"DELETE", "/v3/auth/tokens"},
		{"GET", "/v3/projects"}, {"GET", "/v3/projects/{project_id}"}, {"GET", "/healthz"},
		{"POST", "/opencph/v1/{project_id}/images"}, {"GET", "/openapi.json"},
	} {
		if item := doc.Paths.Find(r.path); item == nil || item.GetOperation(r.method) == nil {
			t.Errorf("%s %s is not in the document", r.method, r.path)
		}
	}
}

// TestOpenAPIDocumentIsGenerated fails when openapi.json was edited by
// hand or the definitions changed without running go generate.
func TestOpenAPIDocumentIsGenerated(t *testing.T) {
	t.Parallel()
	want, err := openapispec.Document()
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(httpapi.OpenAPIDocument, want) {
		t.Error("httpapi/openapi.json is stale: run go generate ./httpapi")
	}
}
