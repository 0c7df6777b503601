package httpapi

import (
	"strconv"
	"strings"
)

// queryInt parses an optional integer query value; ok is false when it is
// present but not an integer.
func queryInt(v []string) (n int64, present, ok bool) {
	if len(v) == 0 {
		return 0, false, true
	}
	n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 32)
	return n, true, err == nil
}
