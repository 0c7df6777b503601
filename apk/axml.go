package apk

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
//
// Strings are decoded only when needed, and each at most once: a string
// pool is a table of offsets, and many entries may point at one long
// string, so decoding the whole pool could cost far more than its size.
func parseBinaryManifest(b []byte) (pkg, version string, err error) {
	le := binary.LittleEndian
	if len(b) < 8 || le.Uint16(b) != axmlFile {
		return "", "", errAXML
	}
	var pool stringPool
	off := int(le.Uint16(b[2:]))
	for off+8 <= len(b) {
		typ, hdr, size := le.Uint16(b[off:]), int(le.Uint16(b[off+2:])), int(le.Uint32(b[off+4:]))
		if size < 8 || size > len(b)-off || hdr > size {
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
			if !pool.equals(le.Uint32(ext[4:]), "manifest") {
				return "", "", errAXML
			}
			start, asize, count := int(le.Uint16(ext[8:])), int(le.Uint16(ext[10:])), int(le.Uint16(ext[12:]))
			pkgRef, verRef := attrRef{}, attrRef{}
			for i := range count {
				a := hdr + start + i*asize
				if asize < 20 || a+20 > len(chunk) {
					return "", "", errAXML
				}
				ref := attrRef{raw: le.Uint32(chunk[a+8:]), typed: chunk[a+15] == axmlTypeString, data: le.Uint32(chunk[a+16:]), ok: true}
				switch name := le.Uint32(chunk[a+4:]); {
				case pool.equals(name, "package"):
					pkgRef = ref
				case pool.equals(name, "versionName"):
					verRef = ref
				}
			}
			if pkg, err = pool.value(pkgRef); err != nil {
				return "", "", err
			}
			if version, err = pool.value(verRef); err != nil {
				return "", "", err
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

// attrRef is where an attribute's value lies: a raw string, or a typed
// string value.
type attrRef struct {
	raw, data uint32
	typed, ok bool
}

// stringPool is a string pool chunk, decoded lazily.
type stringPool struct {
	c       []byte
	hdr     int
	count   int
	start   int
	utf8    bool
	present bool
}

// readStringPool checks a string pool chunk's header.
func readStringPool(c []byte) (stringPool, error) {
	le := binary.LittleEndian
	if len(c) < 28 {
		return stringPool{}, errAXML
	}
	hdr := int(le.Uint16(c[2:]))
	count, flags, start := int(le.Uint32(c[8:])), le.Uint32(c[16:]), int(le.Uint32(c[20:]))
	if hdr < 28 || hdr > len(c) || count > (len(c)-hdr)/4 || start > len(c) {
		return stringPool{}, errAXML
	}
	return stringPool{c: c, hdr: hdr, count: count, start: start, utf8: flags&axmlUTF8Flag != 0, present: true}, nil
}

// value returns the string an attribute refers to, or "" for none.
func (p stringPool) value(r attrRef) (string, error) {
	if !r.ok {
		return "", nil
	}
	v, err := p.str(r.raw)
	if err == nil && v == "" && r.typed {
		v, err = p.str(r.data)
	}
	return v, err
}

// equals reports whether string i of the pool is s, without decoding a
// string of another length.
func (p stringPool) equals(i uint32, s string) bool {
	raw, utf16Units, err := p.locate(i)
	if err != nil {
		return false
	}
	if p.utf8 {
		return string(raw) == s
	}
	if len(utf16Units) != 2*len(s) {
		return false
	}
	v, _ := p.str(i)
	return v == s
}

// str returns string i of the pool, or "" for none.
func (p stringPool) str(i uint32) (string, error) {
	if i == axmlNoEntry || !p.present || int64(i) >= int64(p.count) {
		return "", nil
	}
	raw, units, err := p.locate(i)
	if err != nil {
		return "", err
	}
	if p.utf8 {
		return string(raw), nil
	}
	u := make([]uint16, len(units)/2)
	for j := range u {
		u[j] = binary.LittleEndian.Uint16(units[2*j:])
	}
	return string(utf16.Decode(u)), nil
}

// locate returns the bytes of string i: UTF-8 bytes, or UTF-16LE units.
func (p stringPool) locate(i uint32) (utf8Bytes, utf16Units []byte, err error) {
	if i == axmlNoEntry || !p.present || int64(i) >= int64(p.count) {
		return nil, nil, errAXML
	}
	c := p.c
	le := binary.LittleEndian
	off := int64(p.start) + int64(le.Uint32(c[p.hdr+4*int(i):]))
	if off >= int64(len(c)) {
		return nil, nil, errAXML
	}
	q := int(off)
	if p.utf8 {
		q += lenUTF8(c[q:]) // length in UTF-16 units, unused
		if q >= len(c) {
			return nil, nil, errAXML
		}
		n, w := c[q], 1
		l := int(n)
		if n&0x80 != 0 && q+1 < len(c) {
			l, w = int(n&0x7F)<<8|int(c[q+1]), 2
		}
		q += w
		if l > len(c)-q {
			return nil, nil, errAXML
		}
		return c[q : q+l], nil, nil
	}
	if q+2 > len(c) {
		return nil, nil, errAXML
	}
	l, w := int(le.Uint16(c[q:])), 2
	if l&0x8000 != 0 && q+4 <= len(c) {
		l, w = (l&0x7FFF)<<16|int(le.Uint16(c[q+2:])), 4
	}
	q += w
	if 2*l > len(c)-q {
		return nil, nil, errAXML
	}
	return nil, c[q : q+2*l], nil
}

// lenUTF8 returns the width of a UTF-8 pool string's first length field.
func lenUTF8(b []byte) int {
	if len(b) > 0 && b[0]&0x80 != 0 {
		return 2
	}
	return 1
}
