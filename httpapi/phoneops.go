package httpapi

import (
	"net/http"

	cph "github.com/opencph/opencph"
)

// phoneAction reports whether name is an operation name below /phones/
// rather than a phone ID.
func phoneAction(name string) bool {
	switch name {
	case "batch-restart", "batch-reset", "batch-stop", "batch-update-property", "batch-connection",
		"expand-volume", "batch-storage", "batch-restore", "commands", "sync-commands", "share-files", "share-apps":
		return true
	}
	return false
}

// updatePhoneName is UpdatePhoneName.
func (s *Server) updatePhoneName(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	id := r.PathValue("phone_id")
	if phoneAction(id) {
		// PUT on an action path such as /phones/batch-restart: the path
		// names an operation, not a phone.
		w.Header().Set("Allow", http.MethodPost)
		return cph.ErrMethodNotAllowed()
	}
	if !cph.ValidID(id) {
		// A malformed id is refused before the body is read.
		return cph.ErrInvalidPhoneID()
	}
	var req struct {
		PhoneName *string `json:"phone_name"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if err := s.cfg.Phones.UpdatePhone(r.Context(), id, cph.PhoneUpdate{Name: req.PhoneName}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"request_id": RequestID(r)})
	return nil
}

// updateProperty is UpdateCloudPhoneProperty.
func (s *Server) updateProperty(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Phones []*struct {
			PhoneID        string            `json:"phone_id"`
			Property       *string           `json:"property"`
			CustomProperty map[string]string `json:"custom_property"`
		} `json:"phones"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	refs := make([]cph.PhoneRef, 0, len(req.Phones))
	for _, ph := range req.Phones {
		if ph == nil {
			return cph.ErrInvalidParameter("phones")
		}
		ref := cph.PhoneRef{PhoneID: ph.PhoneID, CustomProperty: ph.CustomProperty}
		if ph.Property != nil {
			ref.Property = *ph.Property
		}
		refs = append(refs, ref)
	}
	res, err := s.cfg.Phones.UpdatePhoneProperties(r.Context(), refs)
	if err != nil {
		return err
	}
	writeBatch(w, res)
	return nil
}

// expandVolume is ExpandPhoneDataVolumeSize.
func (s *Server) expandVolume(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Phones []*cph.PhoneDataVolumeSize `json:"phones"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	phones, err := derefItems("phones", req.Phones)
	if err != nil {
		return err
	}
	res, err := s.cfg.Phones.ExpandPhoneVolumes(r.Context(), phones)
	if err != nil {
		return err
	}
	writeBatch(w, res)
	return nil
}

// importTraffic is ImportTraffic.
func (s *Server) importTraffic(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		TrafficType string   `json:"traffic_type"`
		PhoneIDs    []string `json:"phone_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	res, err := s.cfg.Phones.ImportTraffic(r.Context(), req.TrafficType, req.PhoneIDs)
	if err != nil {
		return err
	}
	writeBatch(w, res)
	return nil
}

// exportData is BatchExportCloudPhoneData.
func (s *Server) exportData(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		StorageInfos []*cph.StorageInfo `json:"storage_infos"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	infos, err := derefItems("storage_infos", req.StorageInfos)
	if err != nil {
		return err
	}
	res, err := s.cfg.Phones.ExportPhoneData(r.Context(), infos)
	if err != nil {
		return err
	}
	writeBatch(w, res)
	return nil
}

// importData is BatchImportCloudPhoneData.
func (s *Server) importData(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		RestoreInfos []*cph.RestoreInfo `json:"restore_infos"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	infos, err := derefItems("restore_infos", req.RestoreInfos)
	if err != nil {
		return err
	}
	res, err := s.cfg.Phones.ImportPhoneData(r.Context(), infos)
	if err != nil {
		return err
	}
	writeBatch(w, res)
	return nil
}
