// Package standin gives a freshly started control plane what a test or a
// CI job needs to use it as a stand-in for Huawei CPH: the account to log
// in with and an access key (AK/SK) of the bootstrap user, created through
// the IAM API like any client would. Package cphtest (Go tests) and
// "cphd --ephemeral" (other languages' CI) both use it.
package standin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
)

// Credentials are how a client reaches a stand-in control plane. The JSON
// form is the line "cphd --ephemeral" prints.
type Credentials struct {
	// Endpoint is the base URL of the API (IAM and CPH paths alike).
	Endpoint string `json:"endpoint"`
	// Domain, User and Password log the bootstrap user (an admin) in.
	Domain   string `json:"domain"`
	User     string `json:"user"`
	Password string `json:"password"`
	// Project is the bootstrap project's name and ProjectID its id.
	Project   string `json:"project"`
	ProjectID string `json:"project_id"`
	// Region is the region id SDKs are configured with: the project name.
	Region string `json:"region"`
	// AK and SK are a permanent access key of the bootstrap user.
	AK string `json:"ak"`
	SK string `json:"sk"`
}

// Provision logs the bootstrap user of srv in and creates an access key
// for it (description names what it is for). It returns the credentials,
// the logged-in client and its token. The bootstrap password must be
// known: srv was bootstrapped by this start.
func Provision(ctx context.Context, srv *controlplane.Server, description string, hc *http.Client) (Credentials, *client.Client, *client.Token, error) {
	b := srv.Bootstrap()
	if b.Password == "" {
		return Credentials{}, nil, nil, errors.New("standin: the bootstrap password is unknown (the data dir was bootstrapped by an earlier start)")
	}
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	}
	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: b.Domain, User: b.User, Password: b.Password, Project: b.Project, HTTPClient: hc})
	if err != nil {
		return Credentials{}, nil, nil, fmt.Errorf("standin: %w", err)
	}
	tok, err := c.Login(ctx)
	if err != nil {
		return Credentials{}, nil, nil, fmt.Errorf("standin: log in as %s/%s: %w", b.Domain, b.User, err)
	}
	key, err := c.CreateAccessKey(ctx, tok.UserID, description)
	if err != nil {
		return Credentials{}, nil, nil, fmt.Errorf("standin: %w", err)
	}
	cred := Credentials{
		Endpoint: srv.URL(), Domain: b.Domain, User: b.User, Password: b.Password,
		Project: b.Project, ProjectID: tok.ProjectID, Region: b.Project,
		AK: key.Access, SK: key.Secret,
	}
	return cred, c, tok, nil
}
