package iam

import (
	"context"
	"errors"
	"fmt"

	"github.com/opencph/opencph/sqlstore"
)

// reseal replaces a secret sealed with the previous server key by the
// same secret sealed with the current one. A failure is only logged: the
// request it serves is authenticated already, and the next use or
// RotateServerKey tries again.
func (s *Service) reseal(ctx context.Context, k *sqlstore.AccessKey, secret string) {
	sealed := s.sealer.seal(secret, k.Access)
	if _, err := s.db.ReplaceAccessKeySecret(context.WithoutCancel(ctx), k.Access, k.SecretEnc, sealed); err != nil {
		s.log.Warn("could not re-encrypt an access key secret with the current server key", "access", k.Access, "err", err)
		return
	}
	k.SecretEnc = sealed
}

// Rotation counts what RotateServerKey did.
type Rotation struct {
	Resealed int // secrets that were sealed with the previous key and now are with the current one
	Current  int // secrets that were sealed with the current key already
}

// RotateServerKey seals every access-key secret sealed with the previous
// server key again with the current one, in one transaction. It is
// idempotent: run again, it finds every secret current. If any secret
// opens with neither key (nor the next one), it changes nothing and
// fails: a replica is sealing with a key this service was not given.
func (s *Service) RotateServerKey(ctx context.Context) (Rotation, error) {
	var r Rotation
	if s.sealer == nil {
		return r, errors.New("iam: rotate server key: no server key configured")
	}
	if s.sealer.next != nil {
		return r, errors.New("iam: rotate server key: the key to rotate to must be the current server key, not the next one")
	}
	err := s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		r = Rotation{}
		keys, err := tx.AllAccessKeys(ctx)
		if err != nil {
			return err
		}
		var unknown []string
		for _, k := range keys {
			secret, with, err := s.sealer.open(k.SecretEnc, k.Access)
			switch {
			case err != nil:
				unknown = append(unknown, k.Access)
				continue
			case with == withCurrent:
				r.Current++
				continue
			}
			ok, err := tx.ReplaceAccessKeySecret(ctx, k.Access, k.SecretEnc, s.sealer.seal(secret, k.Access))
			if err != nil {
				return err
			}
			if ok {
				r.Resealed++
			}
		}
		if len(unknown) > 0 {
			return fmt.Errorf("iam: rotate server key: %d access key secret(s) open with neither the current nor the previous server key (e.g. %s); nothing was changed", len(unknown), unknown[0])
		}
		return nil
	})
	if err != nil {
		return Rotation{}, err
	}
	return r, nil
}
