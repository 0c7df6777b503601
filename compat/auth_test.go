package compat_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"

	"github.com/opencph/opencph/controlplane/cptest"
)

// TestAuthorization checks the authorisation errors as the SDK surfaces
// them: a key used on another account's project, and a read-only user.
func TestAuthorization(t *testing.T) {
	a := setup(t)
	other := cptest.CreateAccount(t, a.srv, "globex", "globex", "globex-Passw0rd", cptest.Project)
	foreign := *a
	foreign.projectID = other
	_, err := foreign.endpointClient(t, a.sk).ListCloudPhones(&model.ListCloudPhonesRequest{})
	wantError(t, "a key on another account's project", err, 403, "APIGW.0302")

	// A read-only user of the same account may read but not change.
	body, _ := json.Marshal(map[string]any{"user": map[string]string{
		"name": "viewer", "password": "viewer-Passw0rd", "domain_id": a.domainID, "role": "readonly"}})
	req, _ := http.NewRequest("POST", a.srv.URL()+"/v3/users", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Auth-Token", a.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create a read-only user: %d", resp.StatusCode)
	}
	v := login(t, a.srv, cptest.Domain, "viewer", "viewer-Passw0rd", cptest.Project)
	c := v.regionClient(t)
	list, err := c.ListCloudPhones(&model.ListCloudPhonesRequest{})
	ok(t, "ListCloudPhones as a read-only user", err)
	id := *(*list.Phones)[0].PhoneId
	ri, err := c.ListResourceInstances(&model.ListResourceInstancesRequest{
		ResourceType: model.GetListResourceInstancesRequestResourceTypeEnum().CPH_SERVER,
		Body:         &model.ListResourceInstancesRequestBody{Action: model.GetListResourceInstancesRequestBodyActionEnum().COUNT}})
	ok(t, "ListResourceInstances (a POST that only reads) as a read-only user", err)
	if num(ri.TotalCount) != 2 {
		t.Errorf("ListResourceInstances count = %d", num(ri.TotalCount))
	}
	_, err = c.RestartCloudPhone(&model.RestartCloudPhoneRequest{Body: &model.RestartCloudPhoneRequestBody{Phones: []model.PhoneProperty{{PhoneId: id}}}})
	wantError(t, "RestartCloudPhone as a read-only user", err, 403, "CPS.0001")
	_, err = c.UpdatePhoneName(&model.UpdatePhoneNameRequest{PhoneId: id, Body: &model.UpdatePhoneNameRequestBody{PhoneName: "x"}})
	wantError(t, "UpdatePhoneName as a read-only user", err, 403, "CPS.0001")
	_, err = c.DeleteImage(&model.DeleteImageRequest{ImageId: unknown})
	wantError(t, "DeleteImage as a read-only user", err, 403, "CPS.0001")
}
