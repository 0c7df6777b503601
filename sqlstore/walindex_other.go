//go:build !unix

package sqlstore

import (
	"errors"
	"os"
)

// mapFile is not available here: FollowUserChanges reads on every call.
func mapFile(string, int) ([]byte, *os.File, error) { return nil, nil, errors.ErrUnsupported }

func unmapFile([]byte) error { return nil }
