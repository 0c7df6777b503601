package cph

// Tag is one key/value tag of a server.
type Tag struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Tags is a tag key with several values, used in filters and
// project tag listings.
type Tags struct {
	Key    string   `json:"key"`
	Values []string `json:"values"`
}

// TagResource is a tagged server as ListResourceInstances returns it.
type TagResource struct {
	ResourceID     string `json:"resource_id"`
	ResourceDetail string `json:"resource_detail"`
	ResourceName   string `json:"resource_name"`
	Tags           []Tag  `json:"tags"`
}

// Resource types of the tag operations (the path's resource_type).
// OpenCPH hosts servers only: the elastic cloud phones of Huawei's other
// product are accepted as a type with no resources, so that newer SDKs
// get answers rather than parameter errors.
const (
	ResourceTypeServer       = "cph-server"
	ResourceTypeElasticPhone = "elastic-cloud-phone"
)

// ValidResourceType reports whether t is a resource type of the tag
// operations ("" stands for ResourceTypeServer).
func ValidResourceType(t string) bool {
	return t == "" || t == ResourceTypeServer || t == ResourceTypeElasticPhone
}

// ResourceFilter selects servers by tags in ListResourceInstances.
type ResourceFilter struct {
	// ResourceType is ResourceTypeServer ("" too) or
	// ResourceTypeElasticPhone, which matches nothing.
	ResourceType string
	ProjectID    string
	WithoutTags  bool
	Tags         []Tags // keys AND-ed, values OR-ed, empty values = any
	ResourceName *string
	Offset       int
	Limit        int
}
