// Package apktest builds APK test fixtures: zip files with a plain or
// binary AndroidManifest.xml, as aapt lays them out.
package apktest

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"unicode/utf16"
)

// Chunk types and flags of Android's binary XML.
const (
	axmlFile         = 0x0003
	axmlStringPool   = 0x0001
	axmlStartElement = 0x0102
	axmlUTF8Flag     = 1 << 8
	axmlTypeString   = 0x03
	axmlNoEntry      = 0xFFFFFFFF
)

// BinaryManifest encodes a minimal binary AndroidManifest.xml: a string
// pool (UTF-8 or UTF-16) and a <manifest> start element with package and
// versionName attributes.
func BinaryManifest(utf8 bool, pkg, version string) []byte {
	le := binary.LittleEndian
	strs := []string{"versionName", "package", "manifest", "http://schemas.android.com/apk/res/android", pkg, version}
	var data bytes.Buffer
	offsets := make([]uint32, len(strs))
	for i, s := range strs {
		offsets[i] = uint32(data.Len())
		if utf8 {
			data.WriteByte(byte(len([]rune(s))))
			data.WriteByte(byte(len(s)))
			data.WriteString(s)
			data.WriteByte(0)
		} else {
			u := utf16.Encode([]rune(s))
			binary.Write(&data, le, uint16(len(u)))
			binary.Write(&data, le, u)
			binary.Write(&data, le, uint16(0))
		}
	}
	for data.Len()%4 != 0 {
		data.WriteByte(0)
	}
	var flags uint32
	if utf8 {
		flags = axmlUTF8Flag
	}
	var pool bytes.Buffer
	poolHdr, start := 28, 28+4*len(strs)
	binary.Write(&pool, le, []uint16{axmlStringPool, uint16(poolHdr)})
	binary.Write(&pool, le, []uint32{uint32(start + data.Len()), uint32(len(strs)), 0, flags, uint32(start), 0})
	binary.Write(&pool, le, offsets)
	pool.Write(data.Bytes())

	var elem bytes.Buffer
	attr := func(name, value uint32) []uint32 {
		// ns, name, raw value, typed value (size 8, res0 0, type string), data
		return []uint32{3, name, value, 8 | axmlTypeString<<24, value}
	}
	binary.Write(&elem, le, []uint16{axmlStartElement, 16})
	binary.Write(&elem, le, []uint32{uint32(16 + 20 + 2*20), 1, axmlNoEntry})
	binary.Write(&elem, le, []uint32{axmlNoEntry, 2})
	binary.Write(&elem, le, []uint16{20, 20, 2, 0, 0, 0})
	binary.Write(&elem, le, attr(0, 5))
	binary.Write(&elem, le, attr(1, 4))

	var out bytes.Buffer
	binary.Write(&out, le, []uint16{axmlFile, 8})
	binary.Write(&out, le, uint32(8+pool.Len()+elem.Len()))
	out.Write(pool.Bytes())
	out.Write(elem.Bytes())
	return out.Bytes()
}

// PlainManifest is a plain-XML AndroidManifest.xml.
func PlainManifest(pkg, version string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?>` + "\n" +
		`<manifest xmlns:android="http://schemas.android.com/apk/res/android" package="` + pkg +
		`" android:versionName="` + version + `"/>` + "\n")
}

// File is one entry of Zip.
type File struct {
	Name string
	Data []byte
	// Store writes the entry uncompressed.
	Store bool
}

// Zip returns a zip file of the given entries, in order.
func Zip(files ...File) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, f := range files {
		method := zip.Deflate
		if f.Store {
			method = zip.Store
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: f.Name, Method: method})
		if err != nil {
			panic(err) // only with an invalid fixture
		}
		w.Write(f.Data)
	}
	if err := zw.Close(); err != nil {
		panic(err)
	}
	return buf.Bytes()
}

// APK returns a zip with a binary AndroidManifest.xml and a classes.dex.
func APK(pkg, version string) []byte {
	return Zip(File{Name: "AndroidManifest.xml", Data: BinaryManifest(false, pkg, version)}, File{Name: "classes.dex", Data: []byte("dex\n035\x00")})
}
