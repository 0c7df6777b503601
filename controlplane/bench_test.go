package controlplane_test

import (
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/opencph/opencph/client"
	"github.com/opencph/opencph/controlplane"
	"github.com/opencph/opencph/controlplane/cptest"
)

// BenchmarkListPhonesHTTP measures ListCloudPhones' first page through the
// whole control plane over loopback HTTP: token check, query and JSON,
// with as many concurrent clients as GOMAXPROCS.
func BenchmarkListPhonesHTTP(b *testing.B) {
	srv := cptest.Start(b, func(c *controlplane.Config) {
		c.SimServers, c.SimPhonesPerServer = 2, 500
	})
	ctx := context.Background()
	c, err := client.New(client.Config{Endpoint: srv.URL(), Domain: cptest.Domain, User: cptest.User,
		Password: cptest.Password, Project: cptest.Project})
	if err != nil {
		b.Fatal(err)
	}
	tok, err := c.Login(ctx)
	if err != nil {
		b.Fatal(err)
	}
	url := srv.URL() + "/v1/" + tok.ProjectID + "/cloud-phone/phones?offset=0&limit=100"
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	b.Cleanup(hc.CloseIdleConnections)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				b.Error(err)
				return
			}
			req.Header.Set("X-Auth-Token", tok.Value)
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			n, _ := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || n < 10_000 {
				b.Errorf("status %d, %d bytes", resp.StatusCode, n)
				return
			}
		}
	})
}
