package sim

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/binary"
	"testing"
	"unicode/utf16"

	"github.com/opencph/opencph/runtime"
)

// buildAXML encodes a minimal binary AndroidManifest.xml: a string pool
// (UTF-8 or UTF-16) and a <manifest> start element with package and
// versionName attributes, the way aapt lays them out.
func buildAXML(t *testing.T, utf8 bool, pkg, version string) []byte {
	t.Helper()
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

func TestParseBinaryManifest(t *testing.T) {
	for _, utf8 := range []bool{false, true} {
		b := buildAXML(t, utf8, "com.example.binary", "4.2.0")
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

func TestInstallReadsBinaryManifest(t *testing.T) {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("AndroidManifest.xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write(buildAXML(t, false, "com.example.real", "1.2"))
	zw.Close()
	d := New(Config{})
	ctx := context.Background()
	if err := d.EnsurePhone(ctx, runtime.PhoneSpec{ID: "p", Running: true}); err != nil {
		t.Fatal(err)
	}
	pkg, err := d.Install(ctx, "p", []runtime.APK{{Name: "upload-7.apk", Data: buf.Bytes()}})
	if err != nil || pkg != "com.example.real" {
		t.Fatalf("install = %q, %v", pkg, err)
	}
	pkgs, _ := d.Packages(ctx, "p")
	for _, p := range pkgs {
		if p.Name == "com.example.real" && p.Version != "1.2" {
			t.Errorf("version = %q, want 1.2", p.Version)
		}
	}
}
