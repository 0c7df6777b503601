package httpapi

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/opencph/opencph"
)

// TestListPhonesJSONIsEncodingJSONs checks that the hand-written answer of
// ListCloudPhones is byte for byte what encoding/json writes, for plain
// values and for strings that need escaping.
func TestListPhonesJSONIsEncodingJSONs(t *testing.T) {
	t.Parallel()
	at := cph.NewTime(time.Date(2026, 11, 27, 4, 5, 6, 0, time.UTC))
	plain := &cph.Phone{Name: "node1-0001", ServerID: "a1b2", ID: "c3d4", ModelName: "rx.cloudphone.s1", ImageID: "img",
		ImageVersion: "AOSP 11.0", VNCEnable: "false", Status: cph.PhoneRunning, Type: 0, IMEI: "860000000000001",
		TrafficType: "direct", VolumeMode: 1, AvailabilityZone: "cn-north-4a",
		Metadata: cph.PhoneMetadata{OrderID: "CS123", ProductID: "00301"}, HasEncrypt: true, CreateTime: at, UpdateTime: at,
		ProjectID: "not encoded", Property: `{"not":"encoded"}`}
	odd := &cph.Phone{Name: "ph\"one\\ <b>&</b>\n\t\x01 é 中 \u2028\u2029 \xff", VNCEnable: "true", Status: cph.PhoneRestartFailed,
		Metadata: cph.PhoneMetadata{ProductID: "only product"}}
	onlyOrder := &cph.Phone{Metadata: cph.PhoneMetadata{OrderID: "only order"}, Status: cph.PhoneStopped, Type: 1}
	for name, phones := range map[string][]*cph.Phone{
		"none":   {},
		"plain":  {plain},
		"odd":    {odd, onlyOrder},
		"mixed":  {plain, odd, onlyOrder, plain},
		"zeroes": {{}},
	} {
		var want bytes.Buffer
		enc := json.NewEncoder(&want)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(listPhonesResponse{RequestID: "req-\"1\"", Count: 12345, Phones: phones}); err != nil {
			t.Fatal(err)
		}
		got := appendListPhones(nil, "req-\"1\"", 12345, phones)
		if !bytes.Equal(got, want.Bytes()) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want.Bytes())
		}
	}
}

// TestPhoneJSONCache checks that pages encoded through the per-phone cache
// are byte for byte the plain encoding: a page made from another by
// replacing a phone shows the new phone, and phones forgotten by the
// cache's bound are encoded again.
func TestPhoneJSONCache(t *testing.T) {
	t.Parallel()
	at := cph.NewTime(time.Date(2026, 12, 1, 4, 5, 6, 0, time.UTC))
	phones := make([]*cph.Phone, 3*phoneJSONEntries)
	for i := range phones {
		phones[i] = &cph.Phone{Name: fmt.Sprintf("phone-%05d", i), ID: fmt.Sprintf("id-%d", i), Status: cph.PhoneRunning, CreateTime: at, UpdateTime: at}
	}
	var c phoneJSON
	check := func(name string, page []*cph.Phone) {
		t.Helper()
		got := c.appendPhones(nil, page)
		if want := appendPhones(nil, page); !bytes.Equal(got, want) {
			t.Fatalf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
	first := phones[:100]
	check("first page", first)
	check("first page again", first)

	// The service's patched page: a copy of the slice with one phone
	// replaced by a changed copy.
	patched := append([]*cph.Phone(nil), first...)
	changed := *patched[7]
	changed.Status = cph.PhoneRestarting
	changed.UpdateTime = cph.NewTime(at.Time.Add(time.Second))
	patched[7] = &changed
	check("patched page", patched)
	if !bytes.Contains(c.appendPhones(nil, patched[7:8]), []byte(`"status":4`)) {
		t.Fatalf("the changed phone is not shown restarting: %s", c.appendPhones(nil, patched[7:8]))
	}

	// More phones than both generations hold, then the first again.
	for i := 0; i < len(phones); i += 100 {
		check(fmt.Sprintf("page at %d", i), phones[i:i+100])
	}
	check("first page after the cache moved on", first)
	if n := len(c.cur) + len(c.old); n > 2*phoneJSONEntries {
		t.Fatalf("the cache holds %d phones, more than its bound %d", n, 2*phoneJSONEntries)
	}
}
