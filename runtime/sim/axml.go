package sim

import (
	"encoding/binary"
	"errors"
	"unicode/utf16"
)

// Chunk types of Android's binary XML, as aapt writes AndroidManifest.xml.
const (
	axmlFile         = 0x0003
	axmlStringPool   = 0x0001
	axmlStartElement = 0x0102
	axmlUTF8Flag     = 1 << 8
	axmlTypeString   = 0x03
	axmlNoEntry      = 0xFFFFFFFF
)

var errAXML = errors.New("not a binary XML manifest")

// parseBinaryManifest reads the package and android:versionName attributes
// of the root <manifest> element of a binary AndroidManifest.xml.
func parseBinaryManifest(b []byte) (pkg, version string, err error) {
	le := binary.LittleEndian
	if len(b) < 8 || le.Uint16(b) != axmlFile {
		return "", "", errAXML
	}
	var pool []string
	off := int(le.Uint16(b[2:]))
	for off+8 <= len(b) {
		typ, hdr, size := le.Uint16(b[off:]), int(le.Uint16(b[off+2:])), int(le.Uint32(b[off+4:]))
		if size < 8 || off+size > len(b) || hdr > size {
			return "", "", errAXML
		}
		chunk := b[off : off+size]
		switch typ {
		case axmlStringPool:
			if pool, err = readStringPool(chunk); err != nil {
				return "", "", err
			}
		case axmlStartElement:
			if hdr < 16 || len(chunk) < hdr+20 {
				return "", "", errAXML
			}
			ext := chunk[hdr:]
			if str(pool, le.Uint32(ext[4:])) != "manifest" {
				return "", "", errAXML
			}
			start, asize, count := int(le.Uint16(ext[8:])), int(le.Uint16(ext[10:])), int(le.Uint16(ext[12:]))
			for i := range count {
				a := hdr + start + i*asize
				if asize < 20 || a+20 > len(chunk) {
					return "", "", errAXML
				}
				name := str(pool, le.Uint32(chunk[a+4:]))
				value := str(pool, le.Uint32(chunk[a+8:]))
				if value == "" && chunk[a+15] == axmlTypeString {
					value = str(pool, le.Uint32(chunk[a+16:]))
				}
				switch name {
				case "package":
					pkg = value
				case "versionName":
					version = value
				}
			}
			if pkg == "" {
				return "", "", errAXML
			}
			return pkg, version, nil
		}
		off += size
	}
	return "", "", errAXML
}

// str returns string i of the pool, or "" for none.
func str(pool []string, i uint32) string {
	if i == axmlNoEntry || int(i) >= len(pool) {
		return ""
	}
	return pool[i]
}

// readStringPool decodes a string pool chunk.
func readStringPool(c []byte) ([]string, error) {
	le := binary.LittleEndian
	if len(c) < 28 {
		return nil, errAXML
	}
	hdr := int(le.Uint16(c[2:]))
	count, flags, start := int(le.Uint32(c[8:])), le.Uint32(c[16:]), int(le.Uint32(c[20:]))
	if hdr+4*count > len(c) || start > len(c) {
		return nil, errAXML
	}
	out := make([]string, count)
	for i := range count {
		p := start + int(le.Uint32(c[hdr+4*i:]))
		if p >= len(c) {
			return nil, errAXML
		}
		if flags&axmlUTF8Flag != 0 {
			p += lenUTF8(c[p:]) // length in UTF-16 units, unused
			if p >= len(c) {
				return nil, errAXML
			}
			n, w := c[p], 1
			l := int(n)
			if n&0x80 != 0 && p+1 < len(c) {
				l, w = int(n&0x7F)<<8|int(c[p+1]), 2
			}
			p += w
			if p+l > len(c) {
				return nil, errAXML
			}
			out[i] = string(c[p : p+l])
			continue
		}
		if p+2 > len(c) {
			return nil, errAXML
		}
		l, w := int(le.Uint16(c[p:])), 2
		if l&0x8000 != 0 && p+4 <= len(c) {
			l, w = (l&0x7FFF)<<16|int(le.Uint16(c[p+2:])), 4
		}
		p += w
		if p+2*l > len(c) {
			return nil, errAXML
		}
		units := make([]uint16, l)
		for j := range units {
			units[j] = le.Uint16(c[p+2*j:])
		}
		out[i] = string(utf16.Decode(units))
	}
	return out, nil
}

// lenUTF8 returns the width of a UTF-8 pool string's first length field.
func lenUTF8(b []byte) int {
	if len(b) > 0 && b[0]&0x80 != 0 {
		return 2
	}
	return 1
}
