package service

import (
	"context"
	"encoding/json"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
)

// maxShareFilePage is the largest page of a shared-storage listing.
const maxShareFilePage = 50

// submitShared submits a shared storage or shared app operation on
// servers of the caller's project.
func (s *Services) submitShared(ctx context.Context, projectID string, kind cph.OpKind, serverIDs []string, args cph.SharedFilesArgs) (*cph.ServerJobs, error) {
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, err
	}
	return s.submitServers(ctx, engine.ServerBatch{ProjectID: projectID, Kind: kind, ServerIDs: serverIDs, Args: raw})
}

// PushShareFiles implements cph.ServerService.
func (s *Services) PushShareFiles(ctx context.Context, p cph.PushShareFilesParams) (*cph.ServerJobs, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !validBucket(p.BucketName) {
		return nil, cph.ErrInvalidParameter("bucket_name")
	}
	if !validObjectPath(p.ObjectPath) {
		return nil, cph.ErrInvalidParameter("object_path")
	}
	return s.submitShared(ctx, c.ProjectID, cph.OpPushShareFiles, p.ServerIDs,
		cph.SharedFilesArgs{BucketName: p.BucketName, ObjectPath: p.ObjectPath})
}

// DeleteShareFiles implements cph.ServerService.
func (s *Services) DeleteShareFiles(ctx context.Context, p cph.DeleteShareFilesParams) (*cph.ServerJobs, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if len(p.FilePaths) == 0 {
		return nil, cph.ErrEmptyPathList()
	}
	for _, fp := range p.FilePaths {
		if !validSharePath(fp) {
			return nil, cph.ErrInvalidParameter("file_paths")
		}
	}
	return s.submitShared(ctx, c.ProjectID, cph.OpDeleteShareFiles, p.ServerIDs, cph.SharedFilesArgs{FilePaths: p.FilePaths})
}

// ListShareFiles implements cph.ServerService. Listing changes nothing,
// so read-only users may list.
func (s *Services) ListShareFiles(ctx context.Context, f cph.ShareFileFilter) (*cph.ServerJobs, error) {
	c, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if err := checkPage(f.Offset, f.Limit, maxShareFilePage); err != nil {
		return nil, err
	}
	if len(f.ServerIDs) == 0 {
		return nil, cph.ErrInvalidParameter("server_ids")
	}
	if !validListPath(f.Path) {
		return nil, cph.ErrInvalidParameter("path")
	}
	return s.submitShared(ctx, c.ProjectID, cph.OpListShareFiles, f.ServerIDs,
		cph.SharedFilesArgs{Path: f.Path, Offset: f.Offset, Limit: f.Limit})
}

// PushShareApps implements cph.ServerService.
func (s *Services) PushShareApps(ctx context.Context, p cph.PushShareAppsParams) (*cph.ServerJobs, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !validPackageName(p.PackageName) {
		return nil, cph.ErrInvalidPackageName()
	}
	if p.PreInstallApp != 0 && p.PreInstallApp != 1 {
		return nil, cph.ErrInvalidParameter("pre_install_app")
	}
	if !validBucket(p.BucketName) {
		return nil, cph.ErrInvalidParameter("bucket_name")
	}
	if !validObjectPath(p.ObjectPath) {
		return nil, cph.ErrInvalidParameter("object_path")
	}
	if s.cfg.StrictPushShareApps && len(p.ServerIDs) > cph.MaxPushShareAppsServersStrict {
		return nil, cph.ErrTooManyItems("server_ids", cph.MaxPushShareAppsServersStrict)
	}
	return s.submitShared(ctx, c.ProjectID, cph.OpPushShareApps, p.ServerIDs, cph.SharedFilesArgs{PackageName: p.PackageName,
		PreInstallApp: p.PreInstallApp, BucketName: p.BucketName, ObjectPath: p.ObjectPath})
}

// DeleteShareApps implements cph.ServerService.
func (s *Services) DeleteShareApps(ctx context.Context, p cph.DeleteShareAppsParams) (*cph.ServerJobs, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if !validPackageName(p.PackageName) {
		return nil, cph.ErrInvalidPackageName()
	}
	return s.submitShared(ctx, c.ProjectID, cph.OpDeleteShareApps, p.ServerIDs, cph.SharedFilesArgs{PackageName: p.PackageName})
}
