package cph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
)

// propertyRule validates the value of one phone property key.
type propertyRule struct {
	isInt bool
	ok    func(string) bool
}

var (
	reWifi    = regexp.MustCompile(`^[0-9A-Za-z\-_@#.:/ ]{1,64}$`)
	reCamPath = regexp.MustCompile(`^[0-9A-Za-z\-_@#.:/ \p{Han}]{1,90}$`)
	reLocale  = regexp.MustCompile(`^[0-9A-Za-z\-]{1,64}$`)
	reDigits  = regexp.MustCompile(`^[0-9]+$`)
)

func oneOf(vals ...string) func(string) bool {
	return func(s string) bool {
		for _, v := range vals {
			if s == v {
				return true
			}
		}
		return false
	}
}

func maxDigits(n int) func(string) bool {
	return func(s string) bool { return len(s) >= 1 && len(s) <= n && reDigits.MatchString(s) }
}

func nonEmpty(max int) func(string) bool {
	return func(s string) bool { return len(s) >= 1 && len(s) <= max }
}

// propertyRules returns the rules of every supported property key.
func propertyRules() map[string]propertyRule {
	bit := propertyRule{isInt: true, ok: oneOf("0", "1")}
	return map[string]propertyRule{
		"com.cph.mainkeys":                bit,
		"qemu.hw.mainkeys":                bit,
		"disable.status.bar":              bit,
		"ro.permission.changed":           bit,
		"ro.install.auto":                 bit,
		"ro.com.cph.non_root":             bit,
		"ro.com.cph.notification_disable": bit,
		"com.cph.disable_fb_permission":   bit,
		"ro.com.cph.toast_enable":         bit,
		"com.cph.bandwidth_limit": {ok: func(s string) bool {
			if s == "-1" {
				return true
			}
			n, err := strconv.Atoi(s)
			return err == nil && n >= 1 && n <= 99999999
		}},
		"com.cph.cam_local_pic_path":   {ok: reCamPath.MatchString},
		"persist.sys.locale":           {ok: reLocale.MatchString},
		"sys.prop.writeimsi":           {ok: maxDigits(15)},
		"sys.prop.writephonenum":       {ok: maxDigits(20)},
		"sys.prop.writewifissid":       {ok: reWifi.MatchString},
		"gsm.sim.operator.iso-country": {ok: nonEmpty(8)},
		"ro.build.product":             {ok: nonEmpty(64)},
		"ro.board.platform":            {ok: nonEmpty(64)},
		"ro.hardware.gpurenderer":      {ok: nonEmpty(64)},
	}
}

// legacyPropertyKey maps a property key of old Huawei examples to the
// current one.
func legacyPropertyKey(k string) (string, bool) {
	switch k {
	case "phone_num":
		return "sys.prop.writephonenum", true
	case "imsi":
		return "sys.prop.writeimsi", true
	case "wifi_name":
		return "sys.prop.writewifissid", true
	}
	return "", false
}

// MaxPropertyLen is the longest property JSON string a phone keeps.
const MaxPropertyLen = 2048

// ParseProperty parses and validates a phone property string: a JSON object
// whose keys are supported property keys and whose values are
// strings or numbers that satisfy the key's rule. Legacy keys (phone_num,
// imsi, wifi_name) are mapped to their sys.prop.* names. The empty string
// is an empty set. Values are returned in their string form.
func ParseProperty(s string) (map[string]string, error) {
	out := map[string]string{}
	if s == "" {
		return out, nil
	}
	if len(s) > MaxPropertyLen {
		return nil, fmt.Errorf("property is longer than %d bytes", MaxPropertyLen)
	}
	dec := json.NewDecoder(bytes.NewReader([]byte(s)))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("property is not a JSON object: %w", err)
	}
	if dec.More() {
		return nil, fmt.Errorf("property has trailing data")
	}
	if raw == nil {
		return nil, fmt.Errorf("property is not a JSON object")
	}
	rules := propertyRules()
	for k, v := range raw {
		if mapped, ok := legacyPropertyKey(k); ok {
			k = mapped
		}
		rule, ok := rules[k]
		if !ok {
			return nil, fmt.Errorf("property key %q is not supported", k)
		}
		var str string
		switch v := v.(type) {
		case string:
			if rule.isInt {
				return nil, fmt.Errorf("property %q must be an integer", k)
			}
			str = v
		case json.Number:
			str = v.String()
		default:
			return nil, fmt.Errorf("property %q must be a string or a number", k)
		}
		if !rule.ok(str) || !ValidName(str) {
			return nil, fmt.Errorf("property %q has an invalid value %q", k, str)
		}
		out[k] = str
	}
	return out, nil
}

// FormatProperty encodes a property set as the JSON object string the API
// reports, with integer-typed keys as numbers and keys in sorted order.
func FormatProperty(props map[string]string) string {
	rules := propertyRules()
	obj := make(map[string]any, len(props))
	for k, v := range props {
		if rules[k].isInt {
			if n, err := strconv.Atoi(v); err == nil {
				obj[k] = n
				continue
			}
		}
		obj[k] = v
	}
	b, _ := json.Marshal(obj) // a map of strings and ints always encodes
	return string(b)
}

// Limits of custom properties (custom_property of UpdateCloudPhoneProperty).
const (
	// MaxCustomPropertyKey is the longest key, in characters.
	MaxCustomPropertyKey = 128
	// MaxCustomPropertyValue is the longest value, in bytes (the Android
	// system property value limit).
	MaxCustomPropertyValue = 91
	// MaxPropertyUpdateBytes bounds one phone of an update: the bytes of
	// its property plus those of the compact JSON of its custom_property.
	MaxPropertyUpdateBytes = 7800
	// MaxCustomPropertyBytes bounds the compact JSON of all the custom
	// properties a phone keeps.
	MaxCustomPropertyBytes = 7800
)

var reCustomKey = regexp.MustCompile(`^[A-Za-z0-9._:-]{1,128}$`)

// CheckCustomProperty validates the custom properties of an update: keys
// of 1 to MaxCustomPropertyKey letters, digits, '.', '_', ':' or '-';
// values of at most MaxCustomPropertyValue bytes of text without control
// characters, "" meaning that the key is removed.
func CheckCustomProperty(m map[string]string) error {
	for k, v := range m {
		if !reCustomKey.MatchString(k) {
			return fmt.Errorf("key %q is not 1 to %d letters, digits, '.', '_', ':' or '-'", k, MaxCustomPropertyKey)
		}
		if len(v) > MaxCustomPropertyValue {
			return fmt.Errorf("the value of %q is longer than %d bytes", k, MaxCustomPropertyValue)
		}
		if !ValidName(v) {
			return fmt.Errorf("the value of %q is not valid text", k)
		}
	}
	return nil
}

// CustomPropertyJSON is the compact JSON encoding of custom properties
// that their size limits measure: keys sorted, no spaces, no HTML
// escaping.
func CustomPropertyJSON(m map[string]string) []byte {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(m) // a map of strings always encodes
	return bytes.TrimSuffix(b.Bytes(), []byte("\n"))
}
