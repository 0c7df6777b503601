package cphdcmd

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestAdminSnapshot runs cphd admin snapshot save, list, restore and
// delete on a SQLite data dir, and its refusals.
func TestAdminSnapshot(t *testing.T) {
	dir := t.TempDir()
	getenv := func(string) string { return "" }
	run := func(args ...string) (string, error) {
		var out bytes.Buffer
		err := Run(context.Background(), append([]string{"admin", "snapshot"}, append(args, "--data-dir", dir)...), getenv, &out, io.Discard)
		return out.String(), err
	}
	// Flags go before the name: give the data dir first.
	runFlagsFirst := func(args ...string) (string, error) {
		var out bytes.Buffer
		all := append([]string{"admin", "snapshot", args[0], "--data-dir", dir}, args[1:]...)
		err := Run(context.Background(), all, getenv, &out, io.Discard)
		return out.String(), err
	}
	if out, err := runFlagsFirst("save", "base"); err != nil || !strings.Contains(out, "saved snapshot base") {
		t.Fatalf("save: %q, %v", out, err)
	}
	if _, err := runFlagsFirst("save", "base"); err == nil || !strings.Contains(err.Error(), "--replace") {
		t.Errorf("a second save of the name: %v", err)
	}
	if _, err := runFlagsFirst("save", "--replace", "base"); err != nil {
		t.Errorf("save --replace: %v", err)
	}
	if out, err := run("list"); err != nil || !strings.Contains(out, "\nbase ") {
		t.Errorf("list: %q, %v", out, err)
	}
	if out, err := runFlagsFirst("restore", "base"); err != nil || !strings.Contains(out, "restored snapshot base") {
		t.Errorf("restore: %q, %v", out, err)
	}
	if _, err := runFlagsFirst("restore", "other"); err == nil || !strings.Contains(err.Error(), "no snapshot other") {
		t.Errorf("restore of an unknown snapshot: %v", err)
	}
	if _, err := runFlagsFirst("save", "bad/name"); err == nil || !strings.Contains(err.Error(), "invalid name") {
		t.Errorf("save of a bad name: %v", err)
	}
	if _, err := runFlagsFirst("delete", "base"); err != nil {
		t.Errorf("delete: %v", err)
	}
	if out, err := run("list"); err != nil || strings.Contains(out, "base") {
		t.Errorf("list after the deletion: %q, %v", out, err)
	}
}
