package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	cph "github.com/opencph/opencph"
)

// MaxServerPageSize is the largest page ListCloudPhoneServers serves;
// ListAllServers uses it.
const MaxServerPageSize = 100

// serversPath is the collection of phone servers.
const serversPath = "/v1/{project_id}/cloud-phone/servers"

// ListServersOptions are the query parameters of ListServers. Nil, empty
// and zero fields are not sent.
type ListServersOptions struct {
	// Offset is the number of servers to skip.
	Offset *int
	// Limit is the page size, 1 to 100.
	Limit *int
	// Name keeps the servers whose name contains it.
	Name string
	// ServerID keeps the server with this id.
	ServerID string
	// NetworkVersion keeps the servers of a network version ("v1" or "v2").
	NetworkVersion string
	// PhoneModelName keeps the servers of one phone flavor.
	PhoneModelName string
	// CreateSince and CreateUntil bound the creation time; they are sent as
	// epoch milliseconds.
	CreateSince time.Time
	CreateUntil time.Time
	// Status keeps the servers in one status.
	Status *cph.ServerStatus
}

// query returns the options as query parameters.
func (o ListServersOptions) query() url.Values {
	q := url.Values{}
	setInt(q, "offset", o.Offset)
	setInt(q, "limit", o.Limit)
	for name, v := range map[string]string{
		"server_name":      o.Name,
		"server_id":        o.ServerID,
		"network_version":  o.NetworkVersion,
		"phone_model_name": o.PhoneModelName,
	} {
		if v != "" {
			q.Set(name, v)
		}
	}
	if !o.CreateSince.IsZero() {
		q.Set("create_since", strconv.FormatInt(o.CreateSince.UnixMilli(), 10))
	}
	if !o.CreateUntil.IsZero() {
		q.Set("create_until", strconv.FormatInt(o.CreateUntil.UnixMilli(), 10))
	}
	if o.Status != nil {
		q.Set("status", strconv.Itoa(int(*o.Status)))
	}
	return q
}

// ServerList is the body of a ListCloudPhoneServers answer.
type ServerList struct {
	// RequestID is the id of the call.
	RequestID string `json:"request_id"`
	// Count is the number of servers that match the filters, across pages.
	Count int `json:"count"`
	// Servers is the page, newest first.
	Servers []cph.Server `json:"servers"`
}

// ListServers returns one page of the project's phone servers
// (ListCloudPhoneServers, GET /v1/{project_id}/cloud-phone/servers). The
// server answers CPS.0002 for a bad offset or limit and CPS.0010 for a bad
// status.
func (c *Client) ListServers(ctx context.Context, opts ListServersOptions) (*ServerList, error) {
	var out ServerList
	reqID, err := c.Do(ctx, Request{Method: http.MethodGet, Path: serversPath, Query: opts.query(), Out: &out})
	if err != nil {
		return nil, fmt.Errorf("list servers: %w", err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	if out.Servers == nil {
		out.Servers = []cph.Server{}
	}
	return &out, nil
}

// ListAllServers returns every server that matches the filters of opts,
// paging through ListServers with pages of MaxServerPageSize; opts.Offset
// and opts.Limit are ignored. The RequestID of the result is that of the
// last page, and Count is the number of servers returned.
func (c *Client) ListAllServers(ctx context.Context, opts ListServersOptions) (*ServerList, error) {
	all := &ServerList{Servers: []cph.Server{}}
	seen := map[string]bool{}
	for offset := 0; ; {
		opts.Offset, opts.Limit = new(offset), new(MaxServerPageSize)
		page, err := c.ListServers(ctx, opts)
		if err != nil {
			return nil, err
		}
		all.RequestID = page.RequestID
		for _, s := range page.Servers {
			if !seen[s.ID] {
				seen[s.ID] = true
				all.Servers = append(all.Servers, s)
			}
		}
		offset += len(page.Servers)
		if len(page.Servers) < MaxServerPageSize || offset >= page.Count {
			break
		}
	}
	all.Count = len(all.Servers)
	return all, nil
}

// ShowServer returns the details of one phone server
// (ShowCloudPhoneServerDetail, GET /v1/{project_id}/cloud-phone/servers/{server_id}).
// The server answers 404 CPS.0016 for an unknown server.
func (c *Client) ShowServer(ctx context.Context, serverID string) (*cph.ServerDetail, error) {
	if serverID == "" {
		return nil, errors.New("show server: empty server id")
	}
	var out cph.ServerDetail
	reqID, err := c.Do(ctx, Request{Method: http.MethodGet, Path: serversPath + "/" + url.PathEscape(serverID), Out: &out})
	if err != nil {
		return nil, fmt.Errorf("show server %s: %w", serverID, err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	return &out, nil
}
