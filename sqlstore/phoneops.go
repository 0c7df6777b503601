package sqlstore

import (
	"context"
	"errors"
	"fmt"
)

// ErrNameTaken is returned (wrapped) when a name must be unique and is
// already used.
var ErrNameTaken = errors.New("sqlstore: name already taken")

// RenamePhone gives phone id of projectID a new name. Phone names are
// unique per project: ErrNameTaken if another phone of the project has
// it, ErrNotFound if there is no such phone. Renaming a phone to its own
// name succeeds and only changes its update time.
func (tx *Tx) RenamePhone(ctx context.Context, projectID, id, name string) error {
	if _, err := tx.PhoneByID(ctx, projectID, id); err != nil {
		return err
	}
	var n int
	err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM phones WHERE project_id = $1 AND name = $2 AND id <> $3`,
		projectID, name, id).Scan(&n)
	if err != nil {
		return fmt.Errorf("sqlstore: rename phone: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("%w: phone name %q", ErrNameTaken, name)
	}
	// The count above cannot see a rename that has not committed yet; the
	// unique index on (project_id, name) refuses the second of two.
	if _, err := tx.tx.ExecContext(ctx, `UPDATE phones SET name = $1, updated_at = $2 WHERE id = $3 AND project_id = $4`,
		name, micros(tx.now), id, projectID); errors.Is(err, ErrDuplicate) {
		return fmt.Errorf("%w: phone name %q", ErrNameTaken, name)
	} else if err != nil {
		return fmt.Errorf("sqlstore: rename phone: %w", err)
	}
	return nil
}

// SetPhoneProperty records the property set (a JSON object string) of
// phone id.
func (tx *Tx) SetPhoneProperty(ctx context.Context, id, property string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE phones SET property = $1, updated_at = $2 WHERE id = $3`,
		property, micros(tx.now), id); err != nil {
		return fmt.Errorf("sqlstore: set phone property: %w", err)
	}
	return nil
}

// SetPhoneDataVolumeSize records the size in GiB of phone id's data volume.
func (tx *Tx) SetPhoneDataVolumeSize(ctx context.Context, id string, size int32) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE phones SET data_volume_size = $1, updated_at = $2 WHERE id = $3`,
		size, micros(tx.now), id); err != nil {
		return fmt.Errorf("sqlstore: set phone data volume size: %w", err)
	}
	return nil
}

// SetPhoneTrafficType records the traffic route of phone id.
func (tx *Tx) SetPhoneTrafficType(ctx context.Context, id, trafficType string) error {
	if _, err := tx.tx.ExecContext(ctx, `UPDATE phones SET traffic_type = $1, updated_at = $2 WHERE id = $3`,
		trafficType, micros(tx.now), id); err != nil {
		return fmt.Errorf("sqlstore: set phone traffic type: %w", err)
	}
	return nil
}
