package cph

import (
	"bytes"
	"fmt"
	"time"
)

// TimeLayout is the CPH API's time format: UTC, whole seconds, literal Z.
const TimeLayout = "2006-01-02T15:04:05Z"

// Time is a point in time that encodes to JSON in the CPH format
// (TimeLayout). The zero Time encodes as null.
type Time struct {
	time.Time
}

// NewTime wraps t, truncated to whole seconds in UTC.
func NewTime(t time.Time) Time {
	if t.IsZero() {
		return Time{}
	}
	return Time{t.UTC().Truncate(time.Second)}
}

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	if t.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + t.UTC().Format(TimeLayout) + `"`), nil
}

// UnmarshalJSON implements json.Unmarshaler. It accepts null, the CPH layout
// and RFC 3339.
func (t *Time) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, []byte("null")) {
		*t = Time{}
		return nil
	}
	if len(b) < 2 || b[0] != '"' || b[len(b)-1] != '"' {
		return fmt.Errorf("cph: time %s is not a JSON string", b)
	}
	s := string(b[1 : len(b)-1])
	v, err := time.Parse(TimeLayout, s)
	if err != nil {
		v, err = time.Parse(time.RFC3339Nano, s)
		if err != nil {
			return fmt.Errorf("cph: parse time %q: %w", s, err)
		}
	}
	t.Time = v.UTC()
	return nil
}
