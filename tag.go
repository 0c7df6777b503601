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

// ResourceFilter selects servers by tags in ListResourceInstances.
type ResourceFilter struct {
	ProjectID    string
	WithoutTags  bool
	Tags         []Tags // keys AND-ed, values OR-ed, empty values = any
	ResourceName *string
	Offset       int
	Limit        int
}
