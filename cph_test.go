package cph_test

import (
	"encoding/json"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/opencph/opencph"
)

func TestTimeJSON(t *testing.T) {
	t.Parallel()
	v := struct {
		A cph.Time `json:"a"`
		B cph.Time `json:"b"`
	}{A: cph.NewTime(time.Date(2025, 3, 14, 8, 21, 5, 999, time.FixedZone("x", 3600)))}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `{"a":"2025-03-14T07:21:05Z","b":null}` {
		t.Errorf("got %s", b)
	}
	var back struct{ A, B cph.Time }
	if err := json.Unmarshal(b, &back); err != nil || !back.A.Equal(v.A.Time) || !back.B.IsZero() {
		t.Errorf("round trip: %+v, %v", back, err)
	}
}

func TestIDs(t *testing.T) {
	t.Parallel()
	a, b := cph.NewID(), cph.NewID()
	if a == b || len(a) != 32 || strings.ToLower(a) != a || !cph.ValidID(a) {
		t.Errorf("ids %q %q", a, b)
	}
	for _, bad := range []string{"", strings.Repeat("a", 33), "a b", "a/b", "é"} {
		if cph.ValidID(bad) {
			t.Errorf("ValidID(%q) = true", bad)
		}
	}
}

func TestParseProperty(t *testing.T) {
	t.Parallel()
	props, err := cph.ParseProperty(`{"sys.prop.writephonenum":"13900000001","com.cph.mainkeys":1,"wifi_name":"lab wifi"}`)
	if err != nil {
		t.Fatal(err)
	}
	if props["sys.prop.writephonenum"] != "13900000001" || props["com.cph.mainkeys"] != "1" || props["sys.prop.writewifissid"] != "lab wifi" {
		t.Errorf("props = %v", props)
	}
	if got := cph.FormatProperty(props); got != `{"com.cph.mainkeys":1,"sys.prop.writephonenum":"13900000001","sys.prop.writewifissid":"lab wifi"}` {
		t.Errorf("FormatProperty = %s", got)
	}
	for _, bad := range []string{
		`not json`, `[1]`, `null`, `{"unknown.key":"1"}`, `{"com.cph.mainkeys":2}`, `{"com.cph.mainkeys":"1"}`,
		`{"sys.prop.writephonenum":"12ab"}`, `{"sys.prop.writeimsi":"1234567890123456"}`, `{"com.cph.bandwidth_limit":"0"}`,
		`{"persist.sys.locale":""}`, `{"ro.build.product":{"x":1}}`, `{} {}`,
	} {
		if _, err := cph.ParseProperty(bad); err == nil {
			t.Errorf("ParseProperty(%s) accepted", bad)
		}
	}
	if p, err := cph.ParseProperty(""); err != nil || len(p) != 0 {
		t.Errorf("empty property: %v %v", p, err)
	}
}

func TestPhoneStatus(t *testing.T) {
	t.Parallel()
	if !cph.PhoneRestarting.Transient() || cph.PhoneStopped.Transient() || cph.PhoneStatus(5).Valid() || !cph.PhoneStopFailed.Valid() {
		t.Error("status predicates wrong")
	}
}

func TestErrorCode(t *testing.T) {
	t.Parallel()
	if cph.ErrorCode(cph.ErrInvalidPaging()) != "CPS.0002" || cph.ErrorCode(json.Unmarshal([]byte("x"), new(int))) != "CPS.0003" || cph.ErrorCode(nil) != "" {
		t.Error("ErrorCode wrong")
	}
	if e := cph.AsError(strings.NewReader("").UnreadByte()); e.Status != 500 || e.Code != cph.CodeInternal {
		t.Errorf("AsError of a plain error = %+v", e)
	}
}

func TestNewOrderedID(t *testing.T) {
	t.Parallel()
	// In the bubble time.Sleep moves a fake clock: no real time passes.
	synctest.Test(t, func(t *testing.T) {
		prev := cph.NewOrderedID()
		for range 5 {
			time.Sleep(2 * time.Millisecond)
			id := cph.NewOrderedID()
			if len(id) != 32 || !cph.ValidID(id) || id[12] != '7' {
				t.Fatalf("id %q: want 32 hex characters of a UUID v7", id)
			}
			if id <= prev {
				t.Errorf("ids made 2 ms apart do not sort by time: %q then %q", prev, id)
			}
			prev = id
		}
		if a, b := cph.NewOrderedID(), cph.NewOrderedID(); a == b {
			t.Error("two ids are equal")
		}
	})
}
