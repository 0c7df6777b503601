package httpapi

import (
	"context"
	"net/http/httptest"
	"net/netip"
	"testing"
)

// TestClientAddrBehindProxies checks which address clientAddr believes
// for direct peers and trusted proxies, with the header forms proxies
// write (several headers, IPv6, ports, an entry that is not an address).
func TestClientAddrBehindProxies(t *testing.T) {
	t.Parallel()
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}}}
	for _, c := range []struct {
		remote string
		xff    []string
		want   string
	}{
		{"192.0.2.1:5000", []string{"203.0.113.5"}, "192.0.2.1"}, // untrusted peer: header ignored
		{"10.0.0.1:5000", nil, "10.0.0.1"},                       // a proxy's own request
		{"10.0.0.1:5000", []string{"203.0.113.5"}, "203.0.113.5"},
		{"10.0.0.1:5000", []string{"198.51.100.1, 203.0.113.5, 10.9.9.9"}, "203.0.113.5"},
		{"10.0.0.1:5000", []string{"198.51.100.1", "203.0.113.5"}, "203.0.113.5"}, // two headers, in order
		{"10.0.0.1:5000", []string{"10.2.2.2, 10.3.3.3"}, "10.2.2.2"},             // every hop trusted: the leftmost
		{"[fd00::1]:5000", []string{"[2001:db8::7]:443"}, "2001:db8::7"},
		{"10.0.0.1:5000", []string{"::ffff:203.0.113.5"}, "203.0.113.5"},
		{"10.0.0.1:5000", []string{"203.0.113.5, unknown"}, "10.0.0.1"}, // the proxy wrote no address: the proxy
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = c.remote
		for _, v := range c.xff {
			r.Header.Add("X-Forwarded-For", v)
		}
		r = r.WithContext(context.WithValue(r.Context(), routeKey, &route{s: s}))
		if got := clientAddr(r); got != c.want {
			t.Errorf("peer %s, X-Forwarded-For %q: %s, want %s", c.remote, c.xff, got, c.want)
		}
	}
}
