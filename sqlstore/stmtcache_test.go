package sqlstore

import "testing"

func TestIsWrite(t *testing.T) {
	t.Parallel()
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

func TestWrittenGroup(t *testing.T) {
	t.Parallel()
	for q, want := range map[string]changeGroup{
		"UPDATE phones SET status = $1":                      groupPhones,
		"\n\t\tINSERT INTO phone_counts (project_id) VALUES": groupPhones,
		"DELETE FROM phones WHERE server_id = $1":            groupPhones,
		"INSERT INTO phones(id) VALUES (?)":                  groupPhones,
		"UPDATE tokens SET revoked = $1":                     groupAuth,
		"insert into users (id) values ($1)":                 groupAuth,
		"DELETE FROM projects":                               groupAuth,
		"UPDATE servers SET last_seen = $1":                  0,
		"UPDATE operations SET state = 'done'":               0,
		"SELECT * FROM phones":                               0,
		"UPDATE phonesx SET a = 1":                           0,
		"":                                                   0,
	} {
		if got := writtenGroup(q); got != want {
			t.Errorf("writtenGroup(%q) = %d, want %d", q, got, want)
		}
	}
}
