package cph

import (
	"crypto/rand"
	"encoding/hex"
)

// NewID returns a new random identifier in the CPH format: 32 lowercase
// hexadecimal characters (a UUID v4 without dashes).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms.
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s is acceptable as a resource identifier on input:
// 1 to 32 characters from [0-9a-zA-Z-] (spec open point O-9).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
			return false
		}
	}
	return true
}
