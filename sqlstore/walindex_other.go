//go:build !unix

package sqlstore

import "errors"

// mapFile is not available here: FollowUserChanges reads on every call.
func mapFile(string, int) ([]byte, error) { return nil, errors.ErrUnsupported }

func unmapFile([]byte) error { return nil }
