package sqlstore

import (
	"context"
	"fmt"
	"strings"

	cph "github.com/opencph/opencph"
)

// The billing stand-in keeps no orders of its own: a purchase order is
// the servers that carry its id (servers.order_id), an unsubscription
// order the deletion job it made.

// ServersOfOrder returns the servers of domainID's projects bought with
// orderID, oldest first. The order id has no index: the scan is bounded by
// the fleet.
func (db *DB) ServersOfOrder(ctx context.Context, domainID, orderID string) ([]*cph.Server, error) {
	return db.queryServers(ctx, `SELECT `+serverCols+` FROM servers WHERE order_id = $1 AND order_id <> ''
		AND project_id IN (SELECT id FROM projects WHERE domain_id = $2) ORDER BY created_at, id`, orderID, domainID)
}

// ServersInDomain returns those of the servers ids that belong to a
// project of domainID, in no particular order.
func (db *DB) ServersInDomain(ctx context.Context, domainID string, ids []string) ([]*cph.Server, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	args := []any{domainID}
	var in strings.Builder
	for i, id := range ids {
		if i > 0 {
			in.WriteString(", ")
		}
		args = append(args, id)
		fmt.Fprintf(&in, "$%d", len(args))
	}
	return db.queryServers(ctx, `SELECT `+serverCols+` FROM servers
		WHERE project_id IN (SELECT id FROM projects WHERE domain_id = $1) AND id IN (`+in.String()+`)`, args...)
}

// JobInDomain returns the job with that id of a project of domainID, or
// ErrNotFound.
func (db *DB) JobInDomain(ctx context.Context, domainID, id string) (*cph.Job, error) {
	j, err := scanJob(db.db.QueryRowContext(ctx, `SELECT `+jobCols+` FROM jobs WHERE id = $1
		AND project_id IN (SELECT id FROM projects WHERE domain_id = $2)`, id, domainID))
	if err != nil {
		return nil, notFound(err, "job "+id)
	}
	return j, nil
}
