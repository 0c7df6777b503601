package compat_test

import (
	"strings"
	"testing"

	"github.com/huaweicloud/huaweicloud-sdk-go-v3/services/cph/v1/model"
)

// TestTags tags servers and queries them by tag.
func TestTags(t *testing.T) {
	e := setup(t)
	c := e.endpointClient(t, e.sk)
	all := servers(t, c)
	s1, s2 := *all["sim-server-01"].ServerId, *all["sim-server-02"].ServerId
	cphServer := model.GetBatchCreateTagsRequestResourceTypeEnum().CPH_SERVER
	create := func(id string, tags ...model.Tag) (*model.BatchCreateTagsResponse, error) {
		return c.BatchCreateTags(&model.BatchCreateTagsRequest{ResourceType: cphServer, ResourceId: id,
			Body: &model.BatchCreateTagsRequestBody{Action: "create", Tags: tags}})
	}
	del := func(id string, tags ...model.Tag) (*model.BatchDeleteTagsResponse, error) {
		return c.BatchDeleteTags(&model.BatchDeleteTagsRequest{ResourceType: model.GetBatchDeleteTagsRequestResourceTypeEnum().CPH_SERVER,
			ResourceId: id, Body: &model.BatchDeleteTagsRequestBody{Action: "delete", Tags: tags}})
	}
	resourceTags := func(id string) []model.Tag {
		t.Helper()
		r, err := c.ListResourceTags(&model.ListResourceTagsRequest{ResourceType: model.GetListResourceTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: id})
		ok(t, "ListResourceTags", err)
		if r.Tags == nil {
			t.Fatalf("ListResourceTags = %s", dump(r))
		}
		return *r.Tags
	}
	instances := func(body model.ListResourceInstancesRequestBody) *model.ListResourceInstancesResponse {
		t.Helper()
		r, err := c.ListResourceInstances(&model.ListResourceInstancesRequest{
			ResourceType: model.GetListResourceInstancesRequestResourceTypeEnum().CPH_SERVER, Body: &body})
		ok(t, "ListResourceInstances", err)
		return r
	}
	filter := model.GetListResourceInstancesRequestBodyActionEnum().FILTER
	count := model.GetListResourceInstancesRequestBodyActionEnum().COUNT

	r, err := create(s1, model.Tag{Key: "env", Value: "prod"}, model.Tag{Key: "team", Value: "qa"})
	ok(t, "BatchCreateTags", err)
	if r.HttpStatusCode != 204 {
		t.Errorf("BatchCreateTags answered %d, want 204", r.HttpStatusCode)
	}
	_, err = create(s2, model.Tag{Key: "env", Value: "dev"})
	ok(t, "BatchCreateTags s2", err)
	_, err = create(s1, model.Tag{Key: "team", Value: "web"}) // create overwrites
	ok(t, "BatchCreateTags overwrite", err)
	if tags := resourceTags(s1); dump(tags) != `[{"key":"env","value":"prod"},{"key":"team","value":"web"}]` {
		t.Errorf("tags of s1 = %s", dump(tags))
	}

	pt, err := c.ListProjectTags(&model.ListProjectTagsRequest{ResourceType: model.GetListProjectTagsRequestResourceTypeEnum().CPH_SERVER})
	ok(t, "ListProjectTags", err)
	if num(pt.TotalCount) != 2 || pt.Tags == nil || len(*pt.Tags) != 2 || (*pt.Tags)[0].Key != "env" ||
		strings.Join((*pt.Tags)[0].Values, ",") != "dev,prod" {
		t.Errorf("ListProjectTags = %s", dump(pt))
	}
	pt, err = c.ListProjectTags(&model.ListProjectTagsRequest{ResourceType: model.GetListProjectTagsRequestResourceTypeEnum().CPH_SERVER,
		Offset: ptr(int32(1)), Limit: ptr(int32(1))})
	ok(t, "ListProjectTags page", err)
	if num(pt.TotalCount) != 2 || len(*pt.Tags) != 1 || (*pt.Tags)[0].Key != "team" {
		t.Errorf("ListProjectTags page 2 = %s", dump(pt))
	}

	ri := instances(model.ListResourceInstancesRequestBody{Action: filter, Tags: &[]model.Tags{{Key: "env", Values: []string{"prod"}}}})
	if num(ri.TotalCount) != 1 || ri.Resources == nil || len(*ri.Resources) != 1 || str((*ri.Resources)[0].ResourceId) != s1 ||
		str((*ri.Resources)[0].ResourceName) != "sim-server-01" || len(*(*ri.Resources)[0].Tags) != 2 {
		t.Errorf("filter env=prod = %s", dump(ri))
	}
	if ri := instances(model.ListResourceInstancesRequestBody{Action: count, Tags: &[]model.Tags{{Key: "env", Values: []string{}}}}); num(ri.TotalCount) != 2 {
		t.Errorf("count env=any = %s", dump(ri))
	}
	if ri := instances(model.ListResourceInstancesRequestBody{Action: filter, Offset: ptr("0"), Limit: ptr("10"),
		Matches: &[]model.Match{{Key: model.GetMatchKeyEnum().RESOURCE_NAME, Value: "sim-server-02"}}}); num(ri.TotalCount) != 1 || str((*ri.Resources)[0].ResourceId) != s2 {
		t.Errorf("match resource_name = %s", dump(ri))
	}

	dr, err := del(s1, model.Tag{Key: "team"}, model.Tag{Key: "missing"})
	ok(t, "BatchDeleteTags", err)
	if dr.HttpStatusCode != 204 {
		t.Errorf("BatchDeleteTags answered %d, want 204", dr.HttpStatusCode)
	}
	if tags := resourceTags(s1); dump(tags) != `[{"key":"env","value":"prod"}]` {
		t.Errorf("tags of s1 after the delete = %s", dump(tags))
	}
	_, err = del(s2, model.Tag{Key: "env", Value: "dev"})
	ok(t, "BatchDeleteTags with value", err)
	if ri := instances(model.ListResourceInstancesRequestBody{Action: filter, WithoutAnyTag: ptr(true)}); num(ri.TotalCount) != 1 || str((*ri.Resources)[0].ResourceId) != s2 {
		t.Errorf("without_any_tag = %s", dump(ri))
	}

	// Refusals.
	_, err = create(s1, model.Tag{Key: "_sys_x", Value: "v"})
	wantError(t, "BatchCreateTags reserved key", err, 400, "CPS.9011")
	_, err = create(s1, model.Tag{Key: "k", Value: "a"}, model.Tag{Key: "k", Value: "b"})
	wantError(t, "BatchCreateTags duplicate key", err, 400, "CPS.9011")
	_, err = create(unknown, model.Tag{Key: "k", Value: "v"})
	wantError(t, "BatchCreateTags unknown server", err, 404, "CPS.0016")
	many := make([]model.Tag, 20)
	for i := range many {
		many[i] = model.Tag{Key: "k" + strings.Repeat("x", i), Value: "v"}
	}
	_, err = create(s1, many...)
	wantError(t, "BatchCreateTags 21st tag", err, 400, "CPS.9010")
	_, err = del(unknown, model.Tag{Key: "env"})
	wantError(t, "BatchDeleteTags unknown server", err, 404, "CPS.0016")
	_, err = del(s1, model.Tag{Key: ""})
	wantError(t, "BatchDeleteTags empty key", err, 400, "CPS.9011")
	if tags := resourceTags(s1); len(tags) != 1 {
		t.Errorf("refused tag calls changed the tags: %s", dump(tags))
	}
	_, err = c.ListResourceTags(&model.ListResourceTagsRequest{ResourceType: model.GetListResourceTagsRequestResourceTypeEnum().CPH_SERVER, ResourceId: unknown})
	wantError(t, "ListResourceTags unknown server", err, 404, "CPS.0016")
	_, err = c.ListProjectTags(&model.ListProjectTagsRequest{ResourceType: model.GetListProjectTagsRequestResourceTypeEnum().CPH_SERVER, Limit: ptr(int32(101))})
	wantError(t, "ListProjectTags limit 101", err, 400, "CPS.0002")
	_, err = c.ListResourceInstances(&model.ListResourceInstancesRequest{ResourceType: model.GetListResourceInstancesRequestResourceTypeEnum().CPH_SERVER,
		Body: &model.ListResourceInstancesRequestBody{Action: count, Limit: ptr("1")}})
	wantError(t, "ListResourceInstances count with limit", err, 400, "CPS.9011")
	_, err = c.ListResourceInstances(&model.ListResourceInstancesRequest{ResourceType: model.GetListResourceInstancesRequestResourceTypeEnum().CPH_SERVER,
		Body: &model.ListResourceInstancesRequestBody{Action: filter, Limit: ptr("1001")}})
	wantError(t, "ListResourceInstances limit 1001", err, 400, "CPS.0002")
}
