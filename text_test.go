package cph

import "testing"

func TestValidTextAndName(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		s          string
		text, name bool
	}{
		{"front-desk", true, true},
		{"云手机 1", true, true},
		{"", true, true},
		{"a\x00b", false, false},
		{"\x00", false, false},
		{"a\xffb", false, false},
		{"a\nb", true, false},
		{"a\tb", true, false},
		{"a\x7fb", true, false},
		{"a\u0085b", true, false},
	} {
		if got := ValidText(c.s); got != c.text {
			t.Errorf("ValidText(%q) = %v, want %v", c.s, got, c.text)
		}
		if got := ValidName(c.s); got != c.name {
			t.Errorf("ValidName(%q) = %v, want %v", c.s, got, c.name)
		}
	}
}
