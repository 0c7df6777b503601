package apk

import (
	"encoding/binary"
	"testing"

	"github.com/opencph/opencph/apk/apktest"
)

func TestParseBinaryManifest(t *testing.T) {
	for _, utf8 := range []bool{false, true} {
		b := apktest.BinaryManifest(utf8, "com.example.binary", "4.2.0")
		pkg, version, err := parseBinaryManifest(b)
		if err != nil || pkg != "com.example.binary" || version != "4.2.0" {
			t.Errorf("utf8=%v: parse = %q, %q, %v", utf8, pkg, version, err)
		}
		for n := 0; n < len(b); n += 7 {
			if pkg, _, err := parseBinaryManifest(b[:n]); err == nil {
				t.Errorf("utf8=%v: truncated to %d bytes parsed as %q", utf8, n, pkg)
			}
		}
	}
	if _, _, err := parseBinaryManifest([]byte("<manifest/>")); err == nil {
		t.Error("plain XML parsed as binary XML")
	}
}

// TestParseBinaryManifestPoolBomb is a manifest whose string pool has
// 200,000 entries that all point at one 32 KiB string: decoding the
// whole pool would allocate 6.5 GB. The parser decodes only the strings
// it needs.
func TestParseBinaryManifestPoolBomb(t *testing.T) {
	le := binary.LittleEndian
	b := apktest.BinaryManifest(true, "com.example.bomb", "1")
	// Rebuild the pool: keep the six real strings, then add count-6
	// offsets to one long string appended after them.
	const extra = 200_000
	poolOff := 8
	poolSize := int(le.Uint32(b[poolOff+4:]))
	pool := b[poolOff : poolOff+poolSize]
	count := int(le.Uint32(pool[8:]))
	start := int(le.Uint32(pool[20:]))
	strData := pool[start:]
	long := make([]byte, 0, 3+65535)
	long = append(long, 0x80|0x7F, 0xFF, 0x80|0x7F, 0xFF)
	long = append(long, make([]byte, 0x7FFF)...)
	newStart := 28 + 4*(count+extra)
	var np []byte
	np = le.AppendUint16(np, 0x0001)
	np = le.AppendUint16(np, 28)
	np = le.AppendUint32(np, 0) // size, set below
	np = le.AppendUint32(np, uint32(count+extra))
	np = le.AppendUint32(np, 0)
	np = le.AppendUint32(np, 1<<8)
	np = le.AppendUint32(np, uint32(newStart))
	np = le.AppendUint32(np, 0)
	np = append(np, pool[28:28+4*count]...)
	for range extra {
		np = le.AppendUint32(np, uint32(len(strData)))
	}
	np = append(np, strData...)
	np = append(np, long...)
	for len(np)%4 != 0 {
		np = append(np, 0)
	}
	le.PutUint32(np[4:], uint32(len(np)))
	out := append([]byte{}, b[:8]...)
	out = append(out, np...)
	out = append(out, b[poolOff+poolSize:]...)
	le.PutUint32(out[4:], uint32(len(out)))

	allocs := testing.AllocsPerRun(1, func() {
		pkg, _, err := parseBinaryManifest(out)
		if err != nil || pkg != "com.example.bomb" {
			t.Fatalf("parse = %q, %v", pkg, err)
		}
	})
	if allocs > 20 {
		t.Errorf("%v allocations", allocs)
	}
}
