package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
)

// Project is an IAM project, as listed by GET /v3/projects. Its name is a
// region id.
type Project struct {
	// ID is the project id, 32 hexadecimal characters.
	ID string `json:"id"`
	// Name is the project name, a region id such as "cn-north-4".
	Name string `json:"name"`
	// DomainID is the id of the account that owns the project.
	DomainID string `json:"domain_id"`
	// ParentID is the id of the project's parent, the account for region
	// projects.
	ParentID string `json:"parent_id"`
	// Enabled reports whether the project can be used.
	Enabled bool `json:"enabled"`
	// IsDomain is always false for projects.
	IsDomain bool `json:"is_domain"`
	// Description is free text.
	Description string `json:"description"`
}

// ListProjects returns the projects of the caller's account
// (GET /v3/projects); when name is not empty, only the project with that
// exact name.
func (c *Client) ListProjects(ctx context.Context, name string) ([]Project, error) {
	var q url.Values
	if name != "" {
		q = url.Values{"name": {name}}
	}
	var out struct {
		Projects []Project `json:"projects"`
	}
	if _, err := c.Do(ctx, Request{Method: http.MethodGet, Path: "/v3/projects", Query: q, Out: &out}); err != nil {
		return nil, fmt.Errorf("list projects: %w", err)
	}
	if out.Projects == nil {
		out.Projects = []Project{}
	}
	return out.Projects, nil
}
