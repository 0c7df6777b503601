package apk

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/opencph/opencph/apk/apktest"
	"github.com/opencph/opencph/runtime"
)

func read(b []byte, lim Limits) (Manifest, error) {
	return ReadManifest(bytes.NewReader(b), int64(len(b)), lim)
}

func TestReadManifest(t *testing.T) {
	for name, b := range map[string][]byte{
		"binary, deflated": apktest.APK("com.example.real", "1.2"),
		"binary, stored":   apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: apktest.BinaryManifest(true, "com.example.real", "1.2"), Store: true}),
		"plain XML":        apktest.Zip(apktest.File{Name: "res/x", Data: []byte("x")}, apktest.File{Name: "AndroidManifest.xml", Data: apktest.PlainManifest("com.example.real", "1.2")}),
	} {
		m, err := read(b, Limits{})
		if err != nil || m != (Manifest{Package: "com.example.real", VersionName: "1.2"}) {
			t.Errorf("%s: %+v, %v", name, m, err)
		}
	}
	if _, err := read([]byte("not a zip"), Limits{}); !errors.Is(err, ErrNotZip) || !errors.Is(err, runtime.ErrBadPackage) {
		t.Errorf("not a zip: %v", err)
	}
	if _, err := read(apktest.Zip(apktest.File{Name: "classes.dex", Data: []byte("x")}), Limits{}); !errors.Is(err, ErrNoManifest) || !errors.Is(err, runtime.ErrBadPackage) {
		t.Errorf("no manifest: %v", err)
	}
}

// manyEntries is a zip of n empty entries and a manifest.
func manyEntries(n int) []byte {
	files := make([]apktest.File, 0, n+1)
	for i := range n {
		files = append(files, apktest.File{Name: fmt.Sprintf("f%d", i), Store: true})
	}
	files = append(files, apktest.File{Name: "AndroidManifest.xml", Data: apktest.PlainManifest("com.example.many", "1")})
	return apktest.Zip(files...)
}

func TestReadManifestRejects(t *testing.T) {
	le := binary.LittleEndian
	good := apktest.APK("com.example.good", "1")
	endAt := bytes.LastIndex(good, []byte("PK\x05\x06"))
	patch := func(f func(b []byte)) []byte {
		b := bytes.Clone(good)
		f(b)
		return b
	}
	bomb := apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: bytes.Repeat([]byte("<"), 64<<20)})
	cases := []struct {
		name string
		apk  []byte
		lim  Limits
		want string
	}{
		{"too many entries", manyEntries(100), Limits{MaxEntries: 50}, "101 entries, more than the 50"},
		// A manifest that inflates to 64 MiB from 64 KiB: refused after
		// reading one byte past the limit, whatever the header says.
		{"manifest bomb", bomb, Limits{}, "larger than 4194304 bytes"},
		{"manifest that lies about its size", patch(func(b []byte) {
			cd := int(le.Uint32(b[endAt+16:]))
			le.PutUint32(b[cd+24:], 10) // uncompressed size in the directory
		}), Limits{}, "size or checksum mismatch"},
		{"corrupt checksum", patch(func(b []byte) {
			cd := int(le.Uint32(b[endAt+16:]))
			b[cd+16] ^= 0xFF
		}), Limits{}, "size or checksum mismatch"},
		{"directory outside the file", patch(func(b []byte) { le.PutUint32(b[endAt+16:], 1<<30) }), Limits{}, "outside the file"},
		{"entry count that lies", patch(func(b []byte) { le.PutUint16(b[endAt+8:], 9); le.PutUint16(b[endAt+10:], 9) }), Limits{}, "truncated"},
		{"zip64", patch(func(b []byte) { le.PutUint32(b[endAt+16:], 0xFFFFFFFF) }), Limits{}, "zip64"},
		{"encrypted manifest", patch(func(b []byte) {
			cd := int(le.Uint32(b[endAt+16:]))
			b[cd+8] |= 1
		}), Limits{}, "encrypted"},
		{"unknown compression", patch(func(b []byte) {
			cd := int(le.Uint32(b[endAt+16:]))
			b[cd+10] = 99
		}), Limits{}, "compression method 99"},
		{"two manifests", apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: []byte("a")}, apktest.File{Name: "AndroidManifest.xml", Data: []byte("b")}), Limits{}, "two AndroidManifest.xml"},
		{"manifest that is no XML", apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: []byte("\x03\x00garbage")}), Limits{}, "neither binary nor plain XML"},
		{"invalid package name", apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: apktest.BinaryManifest(false, "not a package", "1")}), Limits{}, "not a valid package name"},
	}
	for _, c := range cases {
		m, err := read(c.apk, c.lim)
		if !errors.Is(err, runtime.ErrBadPackage) || errors.Is(err, ErrNotZip) || errors.Is(err, ErrNoManifest) || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %+v, %v; want ErrBadPackage saying %q", c.name, m, err, c.want)
		}
	}
}

func FuzzReadManifest(f *testing.F) {
	f.Add(apktest.APK("com.example.a", "1"))
	f.Add(apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: apktest.BinaryManifest(true, "com.example.b", "2"), Store: true}))
	f.Add(apktest.Zip(apktest.File{Name: "AndroidManifest.xml", Data: apktest.PlainManifest("com.example.c", "3")}))
	f.Add(manyEntries(3))
	f.Add([]byte("not a zip"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := read(b, Limits{MaxEntries: 8, MaxManifestSize: 1 << 16})
		if err != nil {
			if !errors.Is(err, runtime.ErrBadPackage) {
				t.Fatalf("error %v does not wrap ErrBadPackage", err)
			}
			return
		}
		if !ValidPackageName(m.Package) {
			t.Fatalf("invalid package %q accepted", m.Package)
		}
	})
}

func FuzzParseBinaryManifest(f *testing.F) {
	f.Add(apktest.BinaryManifest(false, "com.example.a", "1"))
	f.Add(apktest.BinaryManifest(true, "com.example.b", "2.0"))
	f.Fuzz(func(t *testing.T, b []byte) {
		pkg, _, err := parseBinaryManifest(b)
		if err == nil && pkg == "" {
			t.Fatal("success without a package")
		}
	})
}
