package sqlstore

import "testing"

func TestIsWrite(t *testing.T) {
	for q, want := range map[string]bool{
		"UPDATE phones SET status = 1":   true,
		"\n\t\tinsert into jobs VALUES":  true,
		"DELETE FROM tokens":             true,
		"SELECT COUNT(*) FROM phones":    false,
		"  select 1":                     false,
		"CREATE TABLE IF NOT EXISTS x()": true,
		"":                               false,
	} {
		if got := isWrite(q); got != want {
			t.Errorf("isWrite(%q) = %v, want %v", q, got, want)
		}
	}
}
