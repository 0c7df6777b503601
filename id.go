package cph

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"math/big"
	"time"
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

// NewOrderedID returns a new identifier in the CPH format that sorts by
// creation time: a UUID v7 without dashes (48 bits of Unix milliseconds,
// then random bits). Jobs, operations and request ids use it: rows created
// together land next to each other in the database's indexes, so writing
// a batch of them touches few index pages.
func NewOrderedID() string {
	var b [16]byte
	_, _ = rand.Read(b[6:]) // crypto/rand.Read never fails on supported platforms.
	ms := uint64(time.Now().UnixMilli())
	b[0], b[1], b[2] = byte(ms>>40), byte(ms>>32), byte(ms>>24)
	b[3], b[4], b[5] = byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = b[6]&0x0f | 0x70
	b[8] = b[8]&0x3f | 0x80
	return hex.EncodeToString(b[:])
}

// ValidID reports whether s is acceptable as a resource identifier on input:
// 1 to 32 characters from [0-9a-zA-Z-].
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

// NewUUID returns a random UUID in its dashed form, the format of VPC,
// subnet and bandwidth identifiers.
func NewUUID() string {
	h := NewID()
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// NewIMEI returns a random 15-digit IMEI with a valid Luhn check digit,
// as given to the phones of a new server.
func NewIMEI() string {
	digits := make([]byte, 14)
	for i := range digits {
		n, _ := rand.Int(rand.Reader, big.NewInt(10))
		digits[i] = byte('0' + n.Int64())
	}
	digits[0], digits[1] = '3', '5' // a common reporting-body prefix
	sum := 0
	for i := 0; i < 14; i++ {
		d := int(digits[i] - '0')
		if i%2 == 1 {
			d *= 2
			if d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return string(digits) + string(rune('0'+(10-sum%10)%10))
}

// RandomIP returns a random IPv4 address under a /16 prefix such as "10.0".
func RandomIP(prefix string) string {
	n, _ := rand.Int(rand.Reader, big.NewInt(254*254))
	v := int(n.Int64())
	return fmt.Sprintf("%s.%d.%d", prefix, v/254+1, v%254+1)
}
