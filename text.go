package cph

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// ValidText reports whether s can be stored as text by every database
// engine OpenCPH supports: valid UTF-8 without a NUL byte (PostgreSQL
// refuses both). Every free-text field (descriptions, filters) is checked
// with it before it reaches the store.
func ValidText(s string) bool {
	return utf8.ValidString(s) && strings.IndexByte(s, 0) < 0
}

// ValidName reports whether s is ValidText without control characters
// (Unicode category Cc: U+0000–U+001F and U+007F–U+009F). Every name
// (user, key pair, image...) must pass it, whatever its own character set.
func ValidName(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if unicode.IsControl(r) {
			return false
		}
	}
	return true
}
