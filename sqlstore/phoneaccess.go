package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// PhoneAccess is where a phone can be reached, as its agent reported.
type PhoneAccess struct {
	PhoneID    string
	ServerID   string
	AccessIP   string
	AccessPort int
	IntranetIP string
}

// SetPhoneAccess records a phone's reported address.
func (tx *Tx) SetPhoneAccess(ctx context.Context, a PhoneAccess) error {
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO phone_access (phone_id, server_id, access_ip, access_port, intranet_ip, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (phone_id) DO UPDATE SET server_id = $2, access_ip = $3, access_port = $4, intranet_ip = $5, updated_at = $6`,
		a.PhoneID, a.ServerID, a.AccessIP, a.AccessPort, a.IntranetIP, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: set phone access: %w", err)
	}
	return nil
}

// PhoneAccess returns a phone's reported address; ok is false when its
// agent reported none.
func (db *DB) PhoneAccess(ctx context.Context, phoneID string) (a PhoneAccess, ok bool, err error) {
	err = db.db.QueryRowContext(ctx, `SELECT phone_id, server_id, access_ip, access_port, intranet_ip FROM phone_access WHERE phone_id = $1`, phoneID).
		Scan(&a.PhoneID, &a.ServerID, &a.AccessIP, &a.AccessPort, &a.IntranetIP)
	if errors.Is(err, sql.ErrNoRows) {
		return a, false, nil
	}
	if err != nil {
		return a, false, fmt.Errorf("sqlstore: phone access: %w", err)
	}
	return a, true, nil
}
