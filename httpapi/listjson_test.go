package httpapi

import (
	"bytes"
	"encoding/json"
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
