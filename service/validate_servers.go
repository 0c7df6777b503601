package service

import (
	"strings"
	"unicode"
	"unicode/utf8"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/objstore"
)

// validServerName reports whether name follows the server naming rule:
// 1 to max characters; letters a-z and A-Z, digits, Chinese characters,
// '-' and '_'.
func validServerName(name string, max int) bool {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > max || !utf8.ValidString(name) {
		return false
	}
	for _, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
		case unicode.Is(unicode.Han, r):
		default:
			return false
		}
	}
	return true
}

// validKeypairName reports whether name is a key pair name: 1 to 64 bytes
// without control characters. Key pairs are not a managed resource, so
// this is all there is to check.
func validKeypairName(name string) bool {
	return name != "" && len(name) <= 64 && cph.ValidName(name)
}

// validZone reports whether an availability zone given in a request is
// one to store: at most 64 bytes without control characters.
func validZone(az string) bool {
	return len(az) <= 64 && cph.ValidName(az)
}

// validTagText reports whether s uses only the tag character set: letters
// of any language, digits, space and _ . : = + - @.
func validTagText(s string) bool {
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune(" _.:=+-@", r) {
			continue
		}
		return false
	}
	return true
}

// validTagKey checks a tag key.
func validTagKey(k string) bool {
	n := utf8.RuneCountInString(k)
	return n > 0 && n <= 127 && validTagText(k) && !strings.HasPrefix(k, "_sys_")
}

// validTagValue checks a tag value.
func validTagValue(v string) bool {
	n := utf8.RuneCountInString(v)
	return n > 0 && n <= 255 && validTagText(v) && strings.TrimSpace(v) == v
}

// validBucket checks an object storage bucket name: 3–63 characters,
// lowercase letters, digits, '-' and '.'.
func validBucket(b string) bool {
	if len(b) < 3 || len(b) > 63 {
		return false
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// validObjectPath checks the path of a tar object: at most 1024
// characters of letters, digits and . / - _ + # =, ending in ".tar", and
// a key the object store accepts (no empty, "." or ".." segment, none
// longer than a file name).
func validObjectPath(p string) bool {
	if p == "" || len(p) > 1024 || !strings.HasSuffix(p, ".tar") || !objstore.ValidKey(p) {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("./-_+#=", r)) {
			return false
		}
	}
	return true
}

// validSharePath checks a shared-storage file path for DeleteShareFiles:
// absolute, at most 4096 bytes, letters, digits, . / - space _ =, no "..".
func validSharePath(p string) bool {
	if !strings.HasPrefix(p, "/") || len(p) > 4096 || strings.Contains(p, "..") {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("./- _=", r)) {
			return false
		}
	}
	return true
}

// validListPath checks the directory of ListShareFiles: starts with '/',
// is not just '/', letters, digits, . + - _ / =, no "../" or "//".
func validListPath(p string) bool {
	if !strings.HasPrefix(p, "/") || p == "/" || strings.Contains(p, "../") || strings.Contains(p, "//") {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".+-_/=", r)) {
			return false
		}
	}
	return true
}

// validPackageName checks an Android package name: at most 128 bytes of
// letters, digits, '_' and '.', not starting with a digit or '_', not
// ending with '.', with at least one '.'.
func validPackageName(p string) bool {
	if p == "" || len(p) > 128 || !strings.Contains(p, ".") || strings.HasSuffix(p, ".") {
		return false
	}
	if c := p[0]; c == '_' || c >= '0' && c <= '9' || c == '.' {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '.') {
			return false
		}
	}
	return !strings.Contains(p, "..")
}

// validUUID reports whether s is a dashed UUID.
func validUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i, r := range s {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			if r != '-' {
				return false
			}
			continue
		}
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'f' || r >= 'A' && r <= 'F') {
			return false
		}
	}
	return true
}

// validBandwidthSize applies the size steps of UpdateBandwidth: 1 Mbit/s
// up to 300, 50 between 300 and 1000, 500 above 1000, at most 2000.
func validBandwidthSize(n int32) bool {
	switch {
	case n < 1 || n > 2000:
		return false
	case n <= 300:
		return true
	case n <= 1000:
		return n%50 == 0
	default:
		return n%500 == 0
	}
}
