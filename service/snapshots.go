package service

import (
	"context"
	"errors"
	"fmt"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.SnapshotService = (*Services)(nil)

// operator returns the caller of ctx if it administers the installation.
// Errors: APIGW.0301 (no caller), CPS.0001 (not an operator).
func (s *Services) operator(ctx context.Context) (*cph.Principal, error) {
	p, ok := cph.CallerFrom(ctx)
	if !ok {
		return nil, cph.ErrUnauthenticated()
	}
	if !s.iam.IsOperator(ctx, p) {
		return nil, cph.ErrForbidden()
	}
	return p, nil
}

func snapshotOut(s *sqlstore.FleetSnapshot) *cph.Snapshot {
	return &cph.Snapshot{Name: s.Name, CreatedAt: cph.NewTime(s.CreatedAt), SchemaVersion: s.SchemaVersion, Rows: s.Rows}
}

// ListSnapshots implements cph.SnapshotService.
func (s *Services) ListSnapshots(ctx context.Context) ([]*cph.Snapshot, error) {
	if _, err := s.operator(ctx); err != nil {
		return nil, err
	}
	list, err := s.db.ListSnapshots(ctx)
	if err != nil {
		return nil, fmt.Errorf("list snapshots: %w", err)
	}
	out := make([]*cph.Snapshot, len(list))
	for i := range list {
		out[i] = snapshotOut(&list[i])
	}
	return out, nil
}

// SaveSnapshot implements cph.SnapshotService.
func (s *Services) SaveSnapshot(ctx context.Context, name string, replace bool) (*cph.Snapshot, error) {
	if _, err := s.operator(ctx); err != nil {
		return nil, err
	}
	if !sqlstore.ValidSnapshotName(name) {
		return nil, cph.ErrInvalidParameter("name")
	}
	snap, err := s.db.SaveSnapshot(ctx, name, replace)
	if errors.Is(err, sqlstore.ErrDuplicate) {
		return nil, cph.ErrSnapshotExists()
	} else if err != nil {
		return nil, fmt.Errorf("save snapshot: %w", err)
	}
	s.log.Info("fleet snapshot saved", "name", name)
	return snapshotOut(snap), nil
}

// RestoreSnapshot implements cph.SnapshotService.
func (s *Services) RestoreSnapshot(ctx context.Context, name string) (*cph.Snapshot, error) {
	if _, err := s.operator(ctx); err != nil {
		return nil, err
	}
	if !sqlstore.ValidSnapshotName(name) {
		return nil, cph.ErrSnapshotNotFound()
	}
	snap, err := s.db.RestoreSnapshot(ctx, name)
	switch {
	case errors.Is(err, sqlstore.ErrNotFound):
		return nil, cph.ErrSnapshotNotFound()
	case errors.Is(err, sqlstore.ErrSnapshotSchema):
		return nil, cph.ErrSnapshotSchema()
	case err != nil:
		return nil, fmt.Errorf("restore snapshot: %w", err)
	}
	s.log.Info("fleet snapshot restored", "name", name)
	return snapshotOut(snap), nil
}

// DeleteSnapshot implements cph.SnapshotService.
func (s *Services) DeleteSnapshot(ctx context.Context, name string) error {
	if _, err := s.operator(ctx); err != nil {
		return err
	}
	if !sqlstore.ValidSnapshotName(name) {
		return cph.ErrSnapshotNotFound()
	}
	if err := s.db.DeleteSnapshot(ctx, name); errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrSnapshotNotFound()
	} else if err != nil {
		return fmt.Errorf("delete snapshot: %w", err)
	}
	return nil
}
