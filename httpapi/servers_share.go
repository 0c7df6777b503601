package httpapi

import (
	"net/http"
	"strings"

	"github.com/opencph/opencph"
)

// shareFiles is PushShareFiles or DeleteShareFiles,
// told apart by the body.
func (s *Server) shareFiles(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		BucketName *string   `json:"bucket_name"`
		ObjectPath *string   `json:"object_path"`
		ServerIDs  []string  `json:"server_ids"`
		FilePaths  *[]string `json:"file_paths"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	switch {
	case req.BucketName != nil || req.ObjectPath != nil:
		params := cph.PushShareFilesParams{ServerIDs: req.ServerIDs}
		if req.BucketName != nil {
			params.BucketName = *req.BucketName
		}
		if req.ObjectPath != nil {
			params.ObjectPath = *req.ObjectPath
		}
		return writeServerJobs(w)(s.cfg.Servers.PushShareFiles(r.Context(), params))
	case req.FilePaths != nil:
		return writeServerJobs(w)(s.cfg.Servers.DeleteShareFiles(r.Context(),
			cph.DeleteShareFilesParams{FilePaths: *req.FilePaths, ServerIDs: req.ServerIDs}))
	default:
		return cph.ErrInvalidParameter("bucket_name")
	}
}

// listShareFiles is ListShareFiles: the listing arrives in
// the jobs' execute_msg.
func (s *Server) listShareFiles(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	f := cph.ShareFileFilter{Path: r.URL.Query().Get("path")}
	var err error
	if f.Offset, f.Limit, err = paging(r, 50, 50); err != nil {
		return err
	}
	for _, id := range strings.Split(r.URL.Query().Get("server_ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			f.ServerIDs = append(f.ServerIDs, id)
		}
	}
	return writeServerJobs(w)(s.cfg.Servers.ListShareFiles(r.Context(), f))
}

// pushShareApps is PushShareApps.
func (s *Server) pushShareApps(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		PackageName   string   `json:"package_name"`
		PreInstallApp int32    `json:"pre_install_app"`
		BucketName    string   `json:"bucket_name"`
		ObjectPath    string   `json:"object_path"`
		ServerIDs     []string `json:"server_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	return writeServerJobs(w)(s.cfg.Servers.PushShareApps(r.Context(), cph.PushShareAppsParams{PackageName: req.PackageName,
		PreInstallApp: req.PreInstallApp, BucketName: req.BucketName, ObjectPath: req.ObjectPath, ServerIDs: req.ServerIDs}))
}

// deleteShareApps is DeleteShareApps, a DELETE with a body.
func (s *Server) deleteShareApps(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		PackageName string   `json:"package_name"`
		ServerIDs   []string `json:"server_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	return writeServerJobs(w)(s.cfg.Servers.DeleteShareApps(r.Context(),
		cph.DeleteShareAppsParams{PackageName: req.PackageName, ServerIDs: req.ServerIDs}))
}
