package httpapi

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// customImageSize is the size OpenCPH reports for an image captured from a
// simulated phone.
const customImageSize = 4 << 30

type listPhoneImagesResponse struct {
	RequestID   string            `json:"request_id"`
	PhoneImages []*cph.PhoneImage `json:"phone_images"`
}

// listPhoneImages is ListCloudPhoneImages.
func (s *Server) listPhoneImages(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	typ := cph.ImageTypeAll // default when image_type is absent
	if v, ok := r.URL.Query()["image_type"]; ok {
		typ = v[0]
		switch typ {
		case cph.ImageTypePublic, cph.ImageTypePrivate, cph.ImageTypeShare, cph.ImageTypeAll:
		default:
			return cph.ErrInvalidParameter("image_type")
		}
	}
	images, err := s.db.PhoneImages(r.Context(), p.ProjectID, typ)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPhoneImagesResponse{RequestID: RequestID(r), PhoneImages: images})
	return nil
}

type listImagesResponse struct {
	RequestID  string           `json:"request_id"`
	Total      int              `json:"total"`
	ImageInfos []*cph.ImageView `json:"image_infos"`
}

// listImages is ListImages.
func (s *Server) listImages(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	f := cph.ImageFilter{ProjectID: p.ProjectID}
	var err error
	if f.Offset, f.Limit, err = paging(r, 100, 100); err != nil {
		return err
	}
	q := r.URL.Query()
	if v, ok := q["image_type"]; ok {
		if v[0] != cph.ImageTypePrivate && v[0] != cph.ImageTypeShare {
			return cph.ErrInvalidParameter("image_type")
		}
		f.Type = v[0]
	}
	if v, ok := q["status"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 32)
		if err != nil || !cph.ImageStatus(n).Valid() {
			return cph.ErrInvalidStatus()
		}
		st := cph.ImageStatus(n)
		f.Status = &st
	}
	str := func(name string) *string {
		if v := q.Get(name); v != "" {
			return &v
		}
		return nil
	}
	f.ImageID, f.NameLike, f.SrcProjectID = str("image_id"), str("image_name"), str("src_project_id")
	for name, dst := range map[string]**cph.Time{"create_since": &f.CreateSince, "create_until": &f.CreateUntil} {
		if v := q.Get(name); v != "" {
			t, err := parseTimestamp(v)
			if err != nil {
				return cph.ErrInvalidParameter(name)
			}
			*dst = &t
		}
	}
	images, total, err := s.db.ListImages(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listImagesResponse{RequestID: RequestID(r), Total: total, ImageInfos: images})
	return nil
}

// imageRequestIDResponse is the body of synchronous operations that return
// nothing but their request id.
type imageRequestIDResponse struct {
	RequestID string `json:"request_id"`
}

// imagePathID returns the image id of the path; a malformed one cannot
// name an image and is answered like an unknown one (404 CPS.0030).
func imagePathID(r *http.Request) (string, error) {
	id := r.PathValue("image_id")
	if !cph.ValidID(id) {
		return "", cph.ErrImageNotFound()
	}
	return id, nil
}

// ownImage returns the caller's own custom image named by the path, or
// 404 CPS.0030.
func ownImage(r *http.Request, tx *sqlstore.Tx, p *cph.Principal) (*sqlstore.CustomImage, error) {
	id, err := imagePathID(r)
	if err != nil {
		return nil, err
	}
	im, err := tx.OwnImage(r.Context(), p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrImageNotFound()
	}
	return im, err
}

// deleteImage is DeleteImage. An image that phones (of any
// project) still run cannot be deleted; its memberships go with it.
func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	err := s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		im, err := ownImage(r, tx, p)
		if err != nil {
			return err
		}
		n, err := tx.CountPhonesUsingImage(r.Context(), im.ID)
		if err != nil {
			return err
		}
		if n > 0 {
			return cph.ErrNotAllowed("the image is used by " + strconv.Itoa(n) + " phone(s).")
		}
		if err := refuseInFlight(r, tx, im.ID, ""); err != nil {
			return err
		}
		return tx.DeleteCustomImage(r.Context(), im.ID)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imageRequestIDResponse{RequestID: RequestID(r)})
	return nil
}

// refuseInFlight refuses (CPS.9008) to make an image unusable while
// restarts or resets that boot phones (of projectID, or of any project
// when it is empty) with it are still running: their results record the
// image on the phones.
func refuseInFlight(r *http.Request, tx *sqlstore.Tx, imageID, projectID string) error {
	n, err := tx.ImageOperationsInFlight(r.Context(), imageID, projectID)
	if err != nil {
		return err
	}
	if n > 0 {
		return cph.ErrNotAllowed("phones are booting with the image; try again when their jobs have finished.")
	}
	return nil
}

// addImageMember is AddImageMember.
func (s *Server) addImageMember(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Member *string `json:"member"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	err := s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		im, err := ownImage(r, tx, p)
		if err != nil {
			return err
		}
		if req.Member == nil || !cph.ValidID(*req.Member) || *req.Member == p.ProjectID {
			return cph.ErrInvalidParameter("member")
		}
		member := *req.Member
		// The member must be a project of the same region;
		// projects are named after their region.
		memberRegion, err := tx.ProjectNameByID(r.Context(), member)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrInvalidParameter("member")
		} else if err != nil {
			return err
		}
		ownRegion, err := tx.ProjectNameByID(r.Context(), p.ProjectID)
		if err != nil {
			return err
		}
		if memberRegion != ownRegion {
			return cph.ErrInvalidParameter("member")
		}
		err = tx.AddImageMember(r.Context(), im.ID, member, cph.MaxImageMembers)
		if errors.Is(err, sqlstore.ErrLimit) {
			return cph.ErrNotAllowed("an image can be shared with at most " + strconv.Itoa(cph.MaxImageMembers) + " projects.")
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imageRequestIDResponse{RequestID: RequestID(r)})
	return nil
}

type listImageMembersResponse struct {
	RequestID string             `json:"request_id"`
	Members   []*cph.ImageMember `json:"members"`
}

// listImageMembers is ListImageMembers: the owner's view.
func (s *Server) listImageMembers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var members []*cph.ImageMember
	err := s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		im, err := ownImage(r, tx, p)
		if err != nil {
			return err
		}
		members, err = tx.ImageMembers(r.Context(), im.ID)
		return err
	})
	if err != nil {
		return err
	}
	if members == nil {
		members = []*cph.ImageMember{}
	}
	writeJSON(w, http.StatusOK, listImageMembersResponse{RequestID: RequestID(r), Members: members})
	return nil
}

// updateImageMember is UpdateImageMember: the receiving
// project accepts or rejects an image shared with it.
func (s *Server) updateImageMember(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Status *string `json:"status"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	id, err := imagePathID(r)
	if err != nil {
		return err
	}
	if req.Status == nil || (*req.Status != cph.MemberAccepted && *req.Status != cph.MemberRejected) {
		return cph.ErrInvalidParameter("status")
	}
	err = s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		if *req.Status == cph.MemberRejected {
			if err := refuseInFlight(r, tx, id, p.ProjectID); err != nil {
				return err
			}
		}
		return tx.SetImageMemberStatus(r.Context(), id, p.ProjectID, *req.Status)
	})
	if errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrImageNotFound()
	} else if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imageRequestIDResponse{RequestID: RequestID(r)})
	return nil
}

// deleteImageMember is DeleteImageMember.
func (s *Server) deleteImageMember(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	err := s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		im, err := ownImage(r, tx, p)
		if err != nil {
			return err
		}
		member := r.PathValue("member_id")
		if cph.ValidID(member) {
			if err := refuseInFlight(r, tx, im.ID, member); err != nil {
				return err
			}
		}
		err = tx.DeleteImageMember(r.Context(), im.ID, member)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrInvalidParameter("member_id")
		}
		return err
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imageRequestIDResponse{RequestID: RequestID(r)})
	return nil
}

// createImageRequest is the body of the OpenCPH extension CreateImage.
type createImageRequest struct {
	ImageName *string `json:"image_name"`
	PhoneID   *string `json:"phone_id"`
}

type createImageResponse struct {
	RequestID string `json:"request_id"`
	ImageID   string `json:"image_id"`
}

// maxImageName is the longest image name, in characters.
const maxImageName = 128

// validImageName reports whether name is 1-128 printable characters.
func validImageName(name string) bool {
	n := utf8.RuneCountInString(name)
	if n == 0 || n > maxImageName || strings.TrimSpace(name) != name {
		return false
	}
	for _, c := range name {
		if !unicode.IsPrint(c) {
			return false
		}
	}
	return true
}

// createImage is the OpenCPH extension CreateImage
// (POST /opencph/v1/{project_id}/images): it captures a phone of the
// project as a new private image, usable at once (status 1).
func (s *Server) createImage(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req createImageRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.ImageName == nil || !validImageName(*req.ImageName) {
		return cph.ErrInvalidParameter("image_name")
	}
	if req.PhoneID == nil || !cph.ValidID(*req.PhoneID) {
		return cph.ErrInvalidPhoneID()
	}
	im := &sqlstore.CustomImage{ID: cph.NewID(), ProjectID: p.ProjectID, DomainID: p.Domain.ID, Name: *req.ImageName,
		Size: customImageSize, Status: cph.ImageProduction}
	err := s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		ph, err := tx.PhoneByID(r.Context(), p.ProjectID, *req.PhoneID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			return cph.ErrPhoneNotFound()
		} else if err != nil {
			return err
		}
		if ph.Status != cph.PhoneRunning && ph.Status != cph.PhoneStopped {
			return cph.Errorf(http.StatusBadRequest, cph.CodeStatusNotAllowed, "Resource status does not allow this operation.")
		}
		base, err := tx.UsableImage(r.Context(), p.ProjectID, ph.ImageID)
		if errors.Is(err, sqlstore.ErrNotFound) {
			// The phone's image is gone or no longer shared: keep the
			// version the phone reports.
			base = &sqlstore.Image{OSType: "Android", Label: "cloud_phone", Version: ph.ImageVersion, OSName: ph.ImageVersion}
		} else if err != nil {
			return err
		}
		im.OSType, im.OSName, im.Label, im.Version = base.OSType, base.OSName, base.Label, base.Version
		return tx.CreateCustomImage(r.Context(), im)
	})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, createImageResponse{RequestID: RequestID(r), ImageID: im.ID})
	return nil
}
