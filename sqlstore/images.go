package sqlstore

import (
	"context"
	"fmt"
	"strings"

	"github.com/opencph/opencph"
)

// CreateCustomImage inserts a custom (private) image.
func (tx *Tx) CreateCustomImage(ctx context.Context, im *cph.CustomImage) error {
	now := micros(tx.now)
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO images (id, project_id, name, os_type, os_name, image_label, image_version, is_public,
		created_at, domain_id, status, image_size, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $9)`,
		im.ID, im.ProjectID, im.Name, im.OSType, im.OSName, im.Label, im.Version, false, now, im.DomainID, int32(im.Status), im.Size)
	if err != nil {
		return fmt.Errorf("sqlstore: create custom image %s: %w", im.ID, err)
	}
	return nil
}

// OwnImage returns the custom image with that id owned by projectID, or
// ErrNotFound (also for public images and images shared with projectID).
func (tx *Tx) OwnImage(ctx context.Context, projectID, id string) (*cph.CustomImage, error) {
	var im cph.CustomImage
	var status int32
	err := tx.tx.QueryRowContext(ctx, `SELECT id, project_id, domain_id, name, os_type, os_name, image_label, image_version, image_size, status
		FROM images WHERE id = $1 AND project_id = $2 AND is_public = $3`, id, projectID, false).
		Scan(&im.ID, &im.ProjectID, &im.DomainID, &im.Name, &im.OSType, &im.OSName, &im.Label, &im.Version, &im.Size, &status)
	if err != nil {
		return nil, notFound(err, "image "+id)
	}
	im.Status = cph.ImageStatus(status)
	return &im, nil
}

// CountPhonesUsingImage returns how many phones, of any project, run the image.
func (tx *Tx) CountPhonesUsingImage(ctx context.Context, imageID string) (int, error) {
	var n int
	if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM phones WHERE image_id = $1`, imageID).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count phones using image %s: %w", imageID, err)
	}
	return n, nil
}

// DeleteCustomImage deletes a custom image and all its memberships, or
// returns ErrNotFound.
func (tx *Tx) DeleteCustomImage(ctx context.Context, id string) error {
	// The image's row first, as AddImageMember takes it, so that the two
	// cannot wait for each other's member rows.
	if err := tx.lockOwner(ctx, "images", id); err != nil {
		return err
	}
	if _, err := tx.tx.ExecContext(ctx, `DELETE FROM image_members WHERE image_id = $1`, id); err != nil {
		return fmt.Errorf("sqlstore: delete members of image %s: %w", id, err)
	}
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM images WHERE id = $1 AND is_public = $2`, id, false)
	if err != nil {
		return fmt.Errorf("sqlstore: delete image %s: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("image %s: %w", id, ErrNotFound)
	}
	return nil
}

// ImageMembers returns the projects an image is shared with, newest first
// (then by member id).
func (tx *Tx) ImageMembers(ctx context.Context, imageID string) ([]*cph.ImageMember, error) {
	rows, err := tx.tx.QueryContext(ctx, `SELECT image_id, member_id, status, created_at, updated_at
		FROM image_members WHERE image_id = $1 ORDER BY created_at DESC, member_id`, imageID)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list members of image %s: %w", imageID, err)
	}
	defer rows.Close()
	var out []*cph.ImageMember
	for rows.Next() {
		var m cph.ImageMember
		var created, updated int64
		if err := rows.Scan(&m.ImageID, &m.MemberID, &m.Status, &created, &updated); err != nil {
			return nil, fmt.Errorf("sqlstore: scan image member: %w", err)
		}
		m.CreateTime, m.UpdateTime = created/1000, updated/1000
		out = append(out, &m)
	}
	return out, rows.Err()
}

// AddImageMember shares an image with memberID, pending its acceptance. A
// member that had rejected the image is asked again (pending); a pending
// or accepted member is left as it is. If max > 0 and the image is shared
// with max other projects already it returns ErrLimit and changes nothing;
// concurrent calls for one image take turns, so the limit holds on both
// engines.
func (tx *Tx) AddImageMember(ctx context.Context, imageID, memberID string, max int) error {
	if max > 0 {
		if err := tx.lockOwner(ctx, "images", imageID); err != nil {
			return err
		}
		var n int
		if err := tx.tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM image_members WHERE image_id = $1 AND member_id <> $2`,
			imageID, memberID).Scan(&n); err != nil {
			return fmt.Errorf("sqlstore: count members of image %s: %w", imageID, err)
		}
		if n >= max {
			return fmt.Errorf("members of image %s: %w (%d)", imageID, ErrLimit, max)
		}
	}
	now := micros(tx.now)
	_, err := tx.tx.ExecContext(ctx, `INSERT INTO image_members (image_id, member_id, status, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $4)
		ON CONFLICT (image_id, member_id) DO UPDATE SET status = $3, updated_at = $4 WHERE image_members.status = $5`,
		imageID, memberID, cph.MemberPending, now, cph.MemberRejected)
	if err != nil {
		return fmt.Errorf("sqlstore: add member %s to image %s: %w", memberID, imageID, err)
	}
	return nil
}

// SetImageMemberStatus records memberID's answer (accepted or rejected) to
// the sharing of an image, or returns ErrNotFound if the image is not
// shared with memberID.
func (tx *Tx) SetImageMemberStatus(ctx context.Context, imageID, memberID, status string) error {
	res, err := tx.tx.ExecContext(ctx, `UPDATE image_members SET status = $3, updated_at = $4 WHERE image_id = $1 AND member_id = $2`,
		imageID, memberID, status, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: set member %s of image %s: %w", memberID, imageID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("member %s of image %s: %w", memberID, imageID, ErrNotFound)
	}
	return nil
}

// DeleteImageMember stops sharing an image with memberID, or returns
// ErrNotFound if it was not shared with memberID.
func (tx *Tx) DeleteImageMember(ctx context.Context, imageID, memberID string) error {
	res, err := tx.tx.ExecContext(ctx, `DELETE FROM image_members WHERE image_id = $1 AND member_id = $2`, imageID, memberID)
	if err != nil {
		return fmt.Errorf("sqlstore: delete member %s of image %s: %w", memberID, imageID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("member %s of image %s: %w", memberID, imageID, ErrNotFound)
	}
	return nil
}

// sharedWith is the condition "image i is shared with and accepted by the
// project in placeholder $%d".
const sharedWith = `EXISTS (SELECT 1 FROM image_members m WHERE m.image_id = i.id AND m.member_id = $%[1]d AND m.status = '` + cph.MemberAccepted + `')`

// PhoneImages returns the images projectID sees for phones, of one image
// type (public, private, share or all): public images, the project's own
// production images, and production images shared with it whatever its
// answer (ReceiveStatus set on them). Public images come first, then the
// project's own, then the shared ones, each group by name and id.
func (db *DB) PhoneImages(ctx context.Context, projectID, imageType string) ([]*cph.PhoneImage, error) {
	// Placeholders are numbered as they are used: PostgreSQL refuses
	// parameters that the statement does not reference.
	args := []any{true, projectID}
	var conds []string
	if imageType == cph.ImageTypePublic || imageType == cph.ImageTypeAll || imageType == "" {
		conds = append(conds, `i.is_public = $1`)
	}
	if imageType != cph.ImageTypePublic {
		args = append(args, int32(cph.ImageProduction))
		custom := `NOT (i.is_public = $1) AND i.status = $3`
		var which []string
		if imageType != cph.ImageTypeShare {
			which = append(which, `i.project_id = $2`)
		}
		if imageType != cph.ImageTypePrivate {
			which = append(which, `(i.project_id <> $2 AND m.member_id IS NOT NULL)`)
		}
		conds = append(conds, `(`+custom+` AND (`+strings.Join(which, " OR ")+`))`)
	}
	cond := strings.Join(conds, " OR ")
	rows, err := db.db.QueryContext(ctx, `SELECT i.id, i.name, i.os_type, i.os_name, i.image_label, i.is_public, i.project_id, COALESCE(m.status, '')
		FROM images i LEFT JOIN image_members m ON m.image_id = i.id AND m.member_id = $2
		WHERE `+cond+`
		ORDER BY CASE WHEN i.is_public = $1 THEN 0 WHEN i.project_id = $2 THEN 1 ELSE 2 END, i.name, i.id`, args...)
	if err != nil {
		return nil, fmt.Errorf("sqlstore: list phone images: %w", err)
	}
	defer rows.Close()
	out := []*cph.PhoneImage{}
	for rows.Next() {
		var im cph.PhoneImage
		var isPublic bool
		var owner, member string
		if err := rows.Scan(&im.ID, &im.Name, &im.OSType, &im.OSName, &im.Label, &isPublic, &owner, &member); err != nil {
			return nil, fmt.Errorf("sqlstore: scan phone image: %w", err)
		}
		im.IsPublic = 2
		switch {
		case isPublic:
			im.IsPublic = 1
		case owner != projectID:
			rs := cph.ReceiveStatusOf(member)
			im.ReceiveStatus = &rs
		}
		out = append(out, &im)
	}
	return out, rows.Err()
}

// ListImages returns one page of the custom images f selects (the
// project's own and those shared with it and accepted), newest first, and
// the total number of matches.
func (db *DB) ListImages(ctx context.Context, f cph.ImageFilter) ([]*cph.ImageView, int, error) {
	w := where{conds: []string{"i.is_public = $2"}, args: []any{f.ProjectID, false}}
	switch f.Type {
	case cph.ImageTypePrivate:
		w.conds = append(w.conds, "i.project_id = $1")
	case cph.ImageTypeShare:
		w.conds = append(w.conds, "i.project_id <> $1 AND "+fmt.Sprintf(sharedWith, 1))
	default:
		w.conds = append(w.conds, "(i.project_id = $1 OR "+fmt.Sprintf(sharedWith, 1)+")")
	}
	if f.Status != nil {
		w.add("i.status = $%d", int32(*f.Status))
	}
	if f.ImageID != nil {
		w.add("i.id = $%d", *f.ImageID)
	}
	if f.NameLike != nil {
		w.add("LOWER(i.name) LIKE LOWER($%d) ESCAPE '\\'", "%"+escapeLike(*f.NameLike)+"%")
	}
	if f.CreateSince != nil {
		w.add("i.created_at >= $%d", micros(f.CreateSince.Time))
	}
	if f.CreateUntil != nil {
		w.add("i.created_at <= $%d", micros(f.CreateUntil.Time))
	}
	if f.SrcProjectID != nil {
		w.add("i.project_id <> $1 AND i.project_id = $%d", *f.SrcProjectID)
	}
	cond := w.sql()
	var total int
	if err := db.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM images i WHERE `+cond, w.args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("sqlstore: count images: %w", err)
	}
	n := len(w.args)
	args := append(w.args, f.Limit, f.Offset)
	rows, err := db.db.QueryContext(ctx, fmt.Sprintf(`SELECT i.id, i.project_id, i.domain_id, i.name, i.image_version, i.image_size, i.status, i.created_at, i.updated_at
		FROM images i WHERE `+cond+` ORDER BY i.created_at DESC, i.id LIMIT $%d OFFSET $%d`, n+1, n+2), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlstore: list images: %w", err)
	}
	defer rows.Close()
	out := []*cph.ImageView{}
	for rows.Next() {
		var v cph.ImageView
		var owner string
		var status int32
		var created, updated int64
		if err := rows.Scan(&v.ID, &owner, &v.DomainID, &v.Name, &v.Version, &v.Size, &status, &created, &updated); err != nil {
			return nil, 0, fmt.Errorf("sqlstore: scan image: %w", err)
		}
		v.Status = cph.ImageStatus(status)
		v.CreateTime, v.UpdateTime = cph.NewTime(fromMicros(created)), cph.NewTime(fromMicros(updated))
		if owner == f.ProjectID {
			v.Type, v.ProjectID = cph.ImageTypePrivate, owner
		} else {
			v.Type, v.SrcProjectID = cph.ImageTypeShare, owner
		}
		out = append(out, &v)
	}
	return out, total, rows.Err()
}

// ReassignServer moves a server and its phones to another project. It
// lets operators (and tests) hand simulated servers to further accounts.
func (tx *Tx) ReassignServer(ctx context.Context, serverID, projectID string) error {
	var from string
	if err := tx.tx.QueryRowContext(ctx, `SELECT project_id FROM servers WHERE id = $1`, serverID).Scan(&from); err != nil {
		return notFound(err, "server "+serverID)
	}
	res, err := tx.tx.ExecContext(ctx, `UPDATE servers SET project_id = $2, updated_at = $3 WHERE id = $1`, serverID, projectID, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: reassign server %s: %w", serverID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("server %s: %w", serverID, ErrNotFound)
	}
	res, err = tx.tx.ExecContext(ctx, `UPDATE phones SET project_id = $2, updated_at = $3 WHERE server_id = $1`, serverID, projectID, micros(tx.now))
	if err != nil {
		return fmt.Errorf("sqlstore: reassign phones of server %s: %w", serverID, err)
	}
	moved, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("sqlstore: reassign phones of server %s: %w", serverID, err)
	}
	if err := tx.addPhoneCount(ctx, from, -moved); err != nil {
		return err
	}
	return tx.addPhoneCount(ctx, projectID, moved)
}

// ImageOperationsInFlight returns how many unfinished operations boot a
// phone with the image (restarts and resets given that image_id),
// counting only phones of projectID unless it is empty. The image must
// stay usable until they finish, since their results record it.
func (tx *Tx) ImageOperationsInFlight(ctx context.Context, imageID, projectID string) (int, error) {
	q := `SELECT COUNT(*) FROM operations o JOIN phones p ON p.id = o.phone_id
		WHERE o.state <> 'done' AND o.args LIKE $1 ESCAPE '\'`
	args := []any{"%" + escapeLike(`"image_id":"`+imageID+`"`) + "%"}
	if projectID != "" {
		q += ` AND p.project_id = $2`
		args = append(args, projectID)
	}
	var n int
	if err := tx.tx.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("sqlstore: count operations using image %s: %w", imageID, err)
	}
	return n, nil
}
