package cli

import "testing"

// RunMain runs Main for the tests of package cli_test, as run does for
// the tests of this package.
func RunMain(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r := run(t, env, stdin, args...)
	return r.code, r.stdout, r.stderr
}

// CloseIdleConnectionsAtEnd is closeIdleConnectionsAtEnd, for the tests
// of package cli_test.
var CloseIdleConnectionsAtEnd = closeIdleConnectionsAtEnd
