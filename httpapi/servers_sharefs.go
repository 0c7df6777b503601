package httpapi

import (
	"net/http"

	"github.com/opencph/opencph"
)

// shareFilesystemRequest is the body of AttachShareFilesystem and
// DetachShareFilesystem.
type shareFilesystemRequest struct {
	Type      string   `json:"type"`
	ID        string   `json:"id"`
	ServerIDs []string `json:"server_ids"`
	Path      string   `json:"path"`
}

// shareFilesystemJob is a job element of the attach and detach answers:
// server_id and job_id, and for a job that failed at once its code.
type shareFilesystemJobsResponse struct {
	RequestID string          `json:"request_id"`
	Jobs      []cph.ServerJob `json:"jobs"`
}

func (s *Server) shareFilesystem(w http.ResponseWriter, r *http.Request, attach bool) error {
	var req shareFilesystemRequest
	if err := decodeOptionalBody(r, &req); err != nil {
		return err
	}
	p := cph.ShareFilesystemParams{Type: req.Type, ID: req.ID, ServerIDs: req.ServerIDs, Path: req.Path}
	var acc *cph.ServerJobs
	var err error
	if attach {
		acc, err = s.cfg.Servers.AttachShareFilesystem(r.Context(), p)
	} else {
		acc, err = s.cfg.Servers.DetachShareFilesystem(r.Context(), p)
	}
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", acc.RequestID)
	writeJSON(w, http.StatusOK, shareFilesystemJobsResponse{RequestID: acc.RequestID, Jobs: acc.Jobs})
	return nil
}

// attachShareFilesystem is AttachShareFilesystem.
func (s *Server) attachShareFilesystem(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	return s.shareFilesystem(w, r, true)
}

// detachShareFilesystem is DetachShareFilesystem.
func (s *Server) detachShareFilesystem(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	return s.shareFilesystem(w, r, false)
}

// listShareFilesystemMounts is the OpenCPH extension that lists the shared
// file systems mounted on a server.
func (s *Server) listShareFilesystemMounts(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	out, err := s.cfg.Servers.ListShareFilesystemMounts(r.Context(), r.PathValue("server_id"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID        string                     `json:"request_id"`
		ShareFilesystems []cph.ShareFilesystemMount `json:"share_filesystems"`
	}{RequestID(r), out})
	return nil
}

// listShareAppsSnapshot is ListShareAppsSnapshot.
func (s *Server) listShareAppsSnapshot(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	page, err := markerPaging(r, cph.MaxShareAppsPage)
	if err != nil {
		return err
	}
	snap, err := s.cfg.Servers.ListShareAppsSnapshot(r.Context(), cph.ShareAppsFilter{ServerID: r.PathValue("server_id"),
		PackageName: r.URL.Query().Get("package_name"), Page: page})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID   string         `json:"request_id"`
		CollectTime cph.Time       `json:"collect_time"`
		ShareApps   []cph.ShareApp `json:"share_apps"`
		PageInfo    cph.PageInfo   `json:"page_info"`
	}{RequestID(r), cph.NewTime(snap.CollectTime), snap.Apps, cph.PageInfo{NextMarker: snap.NextMarker}})
	return nil
}

// listServerModelOfferings is ListCloudPhoneServerModelOfferings.
func (s *Server) listServerModelOfferings(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	page, err := markerPaging(r, cph.MaxOfferingsPage)
	if err != nil {
		return err
	}
	out, err := s.cfg.Servers.ListServerModelOfferings(r.Context(), page)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, struct {
		RequestID string                    `json:"request_id"`
		Count     int                       `json:"count"`
		Models    []cph.ServerModelOffering `json:"models"`
		PageInfo  cph.PageInfo              `json:"page_info"`
	}{RequestID(r), out.Count, out.Models, cph.PageInfo{NextMarker: out.NextMarker}})
	return nil
}
