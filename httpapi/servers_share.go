package httpapi

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
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
	var args cph.SharedFilesArgs
	var kind cph.OpKind
	switch {
	case req.BucketName != nil || req.ObjectPath != nil:
		kind = cph.OpPushShareFiles
		if req.BucketName == nil || !validBucket(*req.BucketName) {
			return cph.ErrInvalidParameter("bucket_name")
		}
		if req.ObjectPath == nil || !validObjectPath(*req.ObjectPath) {
			return cph.ErrInvalidParameter("object_path")
		}
		args.BucketName, args.ObjectPath = *req.BucketName, *req.ObjectPath
	case req.FilePaths != nil:
		kind = cph.OpDeleteShareFiles
		if len(*req.FilePaths) == 0 {
			return cph.ErrEmptyPathList()
		}
		for _, fp := range *req.FilePaths {
			if !validSharePath(fp) {
				return cph.ErrInvalidParameter("file_paths")
			}
		}
		args.FilePaths = *req.FilePaths
	default:
		return cph.ErrInvalidParameter("bucket_name")
	}
	raw, _ := json.Marshal(args)
	return s.submitServersReq(w, r, engine.ServerBatch{ProjectID: p.ProjectID, Kind: kind, ServerIDs: req.ServerIDs, Args: raw})
}

// listShareFiles is ListShareFiles: the listing arrives in
// the jobs' execute_msg.
func (s *Server) listShareFiles(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	offset, limit, err := paging(r, 50, 50)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	var ids []string
	for _, id := range strings.Split(q.Get("server_ids"), ",") {
		if id = strings.TrimSpace(id); id != "" {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		return cph.ErrInvalidParameter("server_ids")
	}
	path := q.Get("path")
	if !validListPath(path) {
		return cph.ErrInvalidParameter("path")
	}
	raw, _ := json.Marshal(cph.SharedFilesArgs{Path: path, Offset: offset, Limit: limit})
	return s.submitServersReq(w, r, engine.ServerBatch{ProjectID: p.ProjectID, Kind: cph.OpListShareFiles, ServerIDs: ids, Args: raw})
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
	if !validPackageName(req.PackageName) {
		return cph.ErrInvalidPackageName()
	}
	if req.PreInstallApp != 0 && req.PreInstallApp != 1 {
		return cph.ErrInvalidParameter("pre_install_app")
	}
	if !validBucket(req.BucketName) {
		return cph.ErrInvalidParameter("bucket_name")
	}
	if !validObjectPath(req.ObjectPath) {
		return cph.ErrInvalidParameter("object_path")
	}
	raw, _ := json.Marshal(cph.SharedFilesArgs{PackageName: req.PackageName, PreInstallApp: req.PreInstallApp,
		BucketName: req.BucketName, ObjectPath: req.ObjectPath})
	return s.submitServersReq(w, r, engine.ServerBatch{ProjectID: p.ProjectID, Kind: cph.OpPushShareApps, ServerIDs: req.ServerIDs, Args: raw})
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
	if !validPackageName(req.PackageName) {
		return cph.ErrInvalidPackageName()
	}
	raw, _ := json.Marshal(cph.SharedFilesArgs{PackageName: req.PackageName})
	return s.submitServersReq(w, r, engine.ServerBatch{ProjectID: p.ProjectID, Kind: cph.OpDeleteShareApps, ServerIDs: req.ServerIDs, Args: raw})
}
