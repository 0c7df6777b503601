package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/opencph/opencph"
)

type listPhoneImagesResponse struct {
	RequestID   string            `json:"request_id"`
	PhoneImages []*cph.PhoneImage `json:"phone_images"`
	PageInfo    cph.PageInfo      `json:"page_info"`
}

// listPhoneImages is ListCloudPhoneImages. An absent image_type lists
// every type; an empty one is refused like any other bad type.
func (s *Server) listPhoneImages(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var f cph.PhoneImageFilter
	var err error
	if f.Page, err = markerPaging(r, cph.MaxPhoneImagePage); err != nil {
		return err
	}
	if v, ok := r.URL.Query()["image_type"]; ok {
		if v[0] == "" {
			return cph.ErrInvalidParameter("image_type")
		}
		f.Type = v[0]
	}
	page, err := s.cfg.Images.ListPhoneImages(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listPhoneImagesResponse{RequestID: RequestID(r), PhoneImages: page.Images,
		PageInfo: cph.PageInfo{NextMarker: page.NextMarker}})
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
	if f.Offset, f.Limit, err = paging(r, 100, cph.MaxImagePage); err != nil {
		return err
	}
	q := r.URL.Query()
	if v, ok := q["image_type"]; ok {
		if v[0] == "" { // absent lists both types; empty is a bad type
			return cph.ErrInvalidParameter("image_type")
		}
		f.Type = v[0]
	}
	if v, ok := q["status"]; ok {
		n, err := strconv.ParseInt(strings.TrimSpace(v[0]), 10, 32)
		if err != nil {
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
	page, err := s.cfg.Images.ListImages(r.Context(), f)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, listImagesResponse{RequestID: RequestID(r), Total: page.Total, ImageInfos: page.Images})
	return nil
}

// imageRequestIDResponse is the body of synchronous operations that return
// nothing but their request id.
type imageRequestIDResponse struct {
	RequestID string `json:"request_id"`
}

// deleteImage is DeleteImage.
func (s *Server) deleteImage(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	if err := s.cfg.Images.DeleteImage(r.Context(), r.PathValue("image_id")); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imageRequestIDResponse{RequestID: RequestID(r)})
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
	var member string
	if req.Member != nil {
		member = *req.Member
	}
	if err := s.cfg.Images.AddImageMember(r.Context(), r.PathValue("image_id"), member); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imageRequestIDResponse{RequestID: RequestID(r)})
	return nil
}

type listImageMembersResponse struct {
	RequestID string             `json:"request_id"`
	Members   []*cph.ImageMember `json:"members"`
	PageInfo  cph.PageInfo       `json:"page_info"`
}

// listImageMembers is ListImageMembers: the owner's view.
func (s *Server) listImageMembers(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	mp, err := markerPaging(r, cph.MaxImageMemberPage)
	if err != nil {
		return err
	}
	page, err := s.cfg.Images.ListImageMembers(r.Context(), r.PathValue("image_id"), mp)
	if err != nil {
		return err
	}
	members := page.Members
	if members == nil {
		members = []*cph.ImageMember{}
	}
	writeJSON(w, http.StatusOK, listImageMembersResponse{RequestID: RequestID(r), Members: members,
		PageInfo: cph.PageInfo{NextMarker: page.NextMarker}})
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
	var upd cph.ImageMemberUpdate
	if req.Status != nil {
		upd.Status = *req.Status
	}
	if err := s.cfg.Images.UpdateImageMember(r.Context(), r.PathValue("image_id"), upd); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, imageRequestIDResponse{RequestID: RequestID(r)})
	return nil
}

// deleteImageMember is DeleteImageMember.
func (s *Server) deleteImageMember(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	if err := s.cfg.Images.DeleteImageMember(r.Context(), r.PathValue("image_id"), r.PathValue("member_id")); err != nil {
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

// createImage is the OpenCPH extension CreateImage
// (POST /opencph/v1/{project_id}/images): it captures a phone of the
// project as a new private image, usable at once (status 1).
func (s *Server) createImage(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req createImageRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	var params cph.CreateImageParams
	if req.ImageName != nil {
		params.Name = *req.ImageName
	}
	if req.PhoneID != nil {
		params.PhoneID = *req.PhoneID
	}
	im, err := s.cfg.Images.CreateImage(r.Context(), params)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, createImageResponse{RequestID: RequestID(r), ImageID: im.ID})
	return nil
}
