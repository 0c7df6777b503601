package service

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.ImageService = (*Services)(nil)

// customImageSize is the size OpenCPH reports for an image captured from a
// simulated phone.
const customImageSize = 4 << 30

// checkMarkerLimit refuses a marker-paged list's limit outside 0..max
// (CPS.0002); 0 is the list's default.
func checkMarkerLimit(p cph.MarkerPage, max int) error {
	if p.Limit < 0 || p.Limit > max {
		return cph.ErrInvalidPaging()
	}
	return nil
}

// ListPhoneImages implements cph.ImageService.
func (s *Services) ListPhoneImages(ctx context.Context, f cph.PhoneImageFilter) (*cph.PhoneImagePage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkMarkerLimit(f.Page, cph.MaxPhoneImagePage); err != nil {
		return nil, err
	}
	typ := f.Type
	switch typ {
	case "":
		typ = cph.ImageTypeAll
	case cph.ImageTypePublic, cph.ImageTypePrivate, cph.ImageTypeShare, cph.ImageTypeAll:
	default:
		return nil, cph.ErrInvalidParameter("image_type")
	}
	all, err := s.db.PhoneImages(ctx, p.ProjectID, typ)
	if err != nil {
		return nil, err
	}
	page, next, err := cph.PageAfterMarker(all, func(im *cph.PhoneImage) string { return im.ID }, f.Page, cph.MaxPhoneImagePage)
	if err != nil {
		return nil, err
	}
	return &cph.PhoneImagePage{Images: page, NextMarker: next}, nil
}

// ListImages implements cph.ImageService.
func (s *Services) ListImages(ctx context.Context, f cph.ImageFilter) (*cph.ImagePage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	f.ProjectID = p.ProjectID
	if f.Offset < 0 || f.Limit < 1 || f.Limit > cph.MaxImagePage {
		return nil, cph.ErrInvalidPaging()
	}
	if f.Type != "" && f.Type != cph.ImageTypePrivate && f.Type != cph.ImageTypeShare {
		return nil, cph.ErrInvalidParameter("image_type")
	}
	if f.Status != nil && !f.Status.Valid() {
		return nil, cph.ErrInvalidStatus()
	}
	images, total, err := s.db.ListImages(ctx, f)
	if err != nil {
		return nil, err
	}
	return &cph.ImagePage{Total: total, Images: images}, nil
}

// validImageName reports whether name is 1 to cph.MaxImageName printable
// characters without leading or trailing space.
func validImageName(name string) bool {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > cph.MaxImageName || strings.TrimSpace(name) != name {
		return false
	}
	for _, c := range name {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// CreateImage implements cph.ImageService. The image keeps the OS and
// version of the image the phone runs, or, when that image is gone or no
// longer shared with the project, the version the phone reports.
func (s *Services) CreateImage(ctx context.Context, params cph.CreateImageParams) (*cph.CustomImage, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !validImageName(params.Name) {
		return nil, cph.ErrInvalidParameter("image_name")
	}
	if !cph.ValidID(params.PhoneID) {
		return nil, cph.ErrInvalidPhoneID()
	}
	im := &cph.CustomImage{ID: cph.NewID(), ProjectID: p.ProjectID, DomainID: p.Domain.ID, Name: params.Name,
		Size: customImageSize, Status: cph.ImageProduction}
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		ph, err := tx.PhoneByID(ctx, p.ProjectID, params.PhoneID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrPhoneNotFound()
		} else if err != nil {
			return err
		}
		if ph.Status != cph.PhoneRunning && ph.Status != cph.PhoneStopped {
			return cph.ErrStatusNotAllowed("")
		}
		base, err := tx.UsableImage(ctx, p.ProjectID, ph.ImageID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			base = &sqlstore.Image{OSType: "Android", Label: "cloud_phone", Version: ph.ImageVersion, OSName: ph.ImageVersion}
		} else if err != nil {
			return err
		}
		im.OSType, im.OSName, im.Label, im.Version = base.OSType, base.OSName, base.Label, base.Version
		return tx.CreateCustomImage(ctx, im)
	})
	if err != nil {
		return nil, err
	}
	return im, nil
}

// ownImage returns the custom image id that projectID owns, or CPS.0030
// (also for a malformed id, a public image and an image shared with the
// project).
func ownImage(ctx context.Context, tx *sqlstore.Tx, projectID, id string) (*cph.CustomImage, error) {
	if !cph.ValidID(id) {
		return nil, cph.ErrImageNotFound()
	}
	im, err := tx.OwnImage(ctx, projectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrImageNotFound()
	}
	return im, err
}

// refuseInFlight refuses (CPS.9008) to make an image unusable while
// restarts or resets that boot phones (of projectID, or of any project
// when it is empty) with it are still running: their results record the
// image on the phones.
func refuseInFlight(ctx context.Context, tx *sqlstore.Tx, imageID, projectID string) error {
	n, err := tx.ImageOperationsInFlight(ctx, imageID, projectID)
	if err != nil {
		return err
	}
	if n > 0 {
		return cph.ErrNotAllowed("phones are booting with the image; try again when their jobs have finished.")
	}
	return nil
}

// DeleteImage implements cph.ImageService.
func (s *Services) DeleteImage(ctx context.Context, id string) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		im, err := ownImage(ctx, tx, p.ProjectID, id)
		if err != nil {
			return err
		}
		n, err := tx.CountPhonesUsingImage(ctx, im.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return cph.ErrNotAllowed("the image is used by " + strconv.Itoa(n) + " phone(s).")
		}
		if err := refuseInFlight(ctx, tx, im.ID, ""); err != nil {
			return err
		}
		return tx.DeleteCustomImage(ctx, im.ID)
	})
}

// AddImageMember implements cph.ImageService. Projects are named after
// their region, so the member's project must have the caller's project's
// name.
func (s *Services) AddImageMember(ctx context.Context, imageID, memberID string) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		im, err := ownImage(ctx, tx, p.ProjectID, imageID)
		if err != nil {
			return err
		}
		if !cph.ValidID(memberID) || memberID == p.ProjectID {
			return cph.ErrInvalidParameter("member")
		}
		memberRegion, err := tx.ProjectNameByID(ctx, memberID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrInvalidParameter("member")
		} else if err != nil {
			return err
		}
		ownRegion, err := tx.ProjectNameByID(ctx, p.ProjectID)
		if err != nil {
			return err
		}
		if memberRegion != ownRegion {
			return cph.ErrInvalidParameter("member")
		}
		err = tx.AddImageMember(ctx, im.ID, memberID, cph.MaxImageMembers)
		if errors.Is(err, sqlstore.ErrLimit) {
			return cph.ErrNotAllowed("an image can be shared with at most " + strconv.Itoa(cph.MaxImageMembers) + " projects.")
		}
		return err
	})
}

// ListImageMembers implements cph.ImageService.
func (s *Services) ListImageMembers(ctx context.Context, imageID string, mp cph.MarkerPage) (*cph.ImageMemberPage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkMarkerLimit(mp, cph.MaxImageMemberPage); err != nil {
		return nil, err
	}
	var members []*cph.ImageMember
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		im, err := ownImage(ctx, tx, p.ProjectID, imageID)
		if err != nil {
			return err
		}
		members, err = tx.ImageMembers(ctx, im.ID)
		return err
	})
	if err != nil {
		return nil, err
	}
	page, next, err := cph.PageAfterMarker(members, func(m *cph.ImageMember) string { return m.MemberID }, mp, cph.MaxImageMemberPage)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []*cph.ImageMember{}
	}
	return &cph.ImageMemberPage{Members: page, NextMarker: next}, nil
}

// UpdateImageMember implements cph.ImageService.
func (s *Services) UpdateImageMember(ctx context.Context, imageID string, upd cph.ImageMemberUpdate) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	if !cph.ValidID(imageID) {
		return cph.ErrImageNotFound()
	}
	if upd.Status != cph.MemberAccepted && upd.Status != cph.MemberRejected {
		return cph.ErrInvalidParameter("status")
	}
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		if upd.Status == cph.MemberRejected {
			if err := refuseInFlight(ctx, tx, imageID, p.ProjectID); err != nil {
				return err
			}
		}
		return tx.SetImageMemberStatus(ctx, imageID, p.ProjectID, upd.Status)
	})
	if errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrImageNotFound()
	}
	return err
}

// DeleteImageMember implements cph.ImageService.
func (s *Services) DeleteImageMember(ctx context.Context, imageID, memberID string) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		im, err := ownImage(ctx, tx, p.ProjectID, imageID)
		if err != nil {
			return err
		}
		if cph.ValidID(memberID) {
			if err := refuseInFlight(ctx, tx, im.ID, memberID); err != nil {
				return err
			}
		}
		err = tx.DeleteImageMember(ctx, im.ID, memberID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrInvalidParameter("member_id")
		}
		return err
	})
}
