package service

import (
	"strings"
	"testing"
)

// TestNameValidators: key pair names, availability zones and tar object
// paths refuse what the store or the file system cannot hold.
func TestNameValidators(t *testing.T) {
	for name, want := range map[string]bool{
		"ops-key": true, "密钥 1": true, "": false, strings.Repeat("k", 65): false,
		"\x00": false, "key\x00pair": false, "key\npair": false, "key\x7fpair": false, "key\xffpair": false,
	} {
		if got := validKeypairName(name); got != want {
			t.Errorf("validKeypairName(%q) = %v, want %v", name, got, want)
		}
	}
	for az, want := range map[string]bool{"": true, "cn-north-4a": true, "zone\x00": false, "zone\t": false, strings.Repeat("z", 65): false} {
		if got := validZone(az); got != want {
			t.Errorf("validZone(%q) = %v, want %v", az, got, want)
		}
	}
	for p, want := range map[string]bool{
		"apps/a.tar": true, strings.Repeat("s", 251) + ".tar": true,
		strings.Repeat("s", 252) + ".tar": false, "apps//a.tar": false, "apps/../a.tar": false,
	} {
		if got := validObjectPath(p); got != want {
			t.Errorf("validObjectPath(%q) = %v, want %v", p, got, want)
		}
	}
}
