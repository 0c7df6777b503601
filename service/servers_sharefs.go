package service

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

// maxShareAppsCollected is the most distinct shared apps of a server that
// are collected into a snapshot: a server with more answers none.
const maxShareAppsCollected = 10_000

// AttachShareFilesystem implements cph.ServerService.
func (s *Services) AttachShareFilesystem(ctx context.Context, p cph.ShareFilesystemParams) (*cph.ServerJobs, error) {
	return s.submitShareFilesystem(ctx, cph.OpAttachShareFilesystem, p)
}

// DetachShareFilesystem implements cph.ServerService. The path is not
// used: the file system is unmounted whatever sub-directory was mounted.
func (s *Services) DetachShareFilesystem(ctx context.Context, p cph.ShareFilesystemParams) (*cph.ServerJobs, error) {
	p.Path = ""
	return s.submitShareFilesystem(ctx, cph.OpDetachShareFilesystem, p)
}

func (s *Services) submitShareFilesystem(ctx context.Context, kind cph.OpKind, p cph.ShareFilesystemParams) (*cph.ServerJobs, error) {
	c, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if p.Type != cph.ShareFilesystemTypeSFSTurbo {
		return nil, cph.ErrInvalidParameter("type")
	}
	if p.ID == "" || len(p.ID) > cph.MaxShareFilesystemID {
		return nil, cph.ErrInvalidParameter("id")
	}
	if len(p.ServerIDs) == 0 {
		return nil, cph.ErrInvalidParameter("server_ids")
	}
	var ids []string
	for _, id := range p.ServerIDs {
		// A server ID is 32 characters; 64 bounds what a job records.
		if id == "" || len(id) > 64 {
			return nil, cph.ErrInvalidParameter("server_ids")
		}
		if !slices.Contains(ids, id) {
			ids = append(ids, id)
			if len(ids) > cph.MaxShareFilesystemServers {
				return nil, cph.ErrTooManyItems("server_ids", cph.MaxShareFilesystemServers)
			}
		}
	}
	sub := ""
	if p.Path != "" {
		if !validMountPath(p.Path) {
			return nil, cph.ErrInvalidParameter("path")
		}
		if sub = path.Clean(p.Path); sub == "/" {
			sub = ""
		}
	}
	fs, ok := s.shareFilesystem(p.ID)
	if !ok {
		return nil, cph.ErrShareFilesystemNotFound()
	}
	args := cph.ShareFilesystemArgs{ID: fs.ID, Path: sub, HostPath: fs.HostPath, MountPoint: s.mountPoint(fs.ID)}
	if kind == cph.OpDetachShareFilesystem {
		args.HostPath = ""
	}
	return s.engine.SubmitShareFilesystems(ctx, engine.ShareFilesystemBatch{ProjectID: c.ProjectID, Kind: kind, Type: p.Type, ServerIDs: ids, Args: args})
}

// validMountPath checks the sub-directory of an attach: absolute, without
// "..", "//" or characters other than letters, digits and ". + - _ / =",
// at most 4096 bytes.
func validMountPath(p string) bool {
	if !strings.HasPrefix(p, "/") || len(p) > 4096 || strings.Contains(p, "..") || strings.Contains(p, "//") {
		return false
	}
	for _, r := range p {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune(".+-_/=", r)) {
			return false
		}
	}
	return true
}

// shareFilesystem returns the declared shared file system of that ID.
func (s *Services) shareFilesystem(id string) (cph.ShareFilesystem, bool) {
	for _, fs := range s.cfg.ShareFilesystems {
		if fs.ID == id {
			return fs, true
		}
	}
	return cph.ShareFilesystem{}, false
}

// mountPoint is where a shared file system appears in the phones.
func (s *Services) mountPoint(id string) string {
	root := s.cfg.ShareFilesystemMountRoot
	if root == "" {
		root = cph.DefaultShareFilesystemMountRoot
	}
	return path.Join(root, id)
}

// ListShareFilesystemMounts implements cph.ServerService.
func (s *Services) ListShareFilesystemMounts(ctx context.Context, serverID string) ([]cph.ShareFilesystemMount, error) {
	c, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.knownServer(ctx, c.ProjectID, serverID); err != nil {
		return nil, err
	}
	out, err := s.db.ShareMounts(ctx, c.ProjectID, serverID)
	if err != nil {
		return nil, fmt.Errorf("list shared file systems of server %s: %w", serverID, err)
	}
	return out, nil
}

// knownServer refuses (404 CPS.0016) a server that is malformed or not
// one of the project's.
func (s *Services) knownServer(ctx context.Context, projectID, serverID string) error {
	if !cph.ValidID(serverID) {
		return cph.ErrServerNotFound()
	}
	if _, err := s.db.ServerByID(ctx, projectID, serverID); errors.Is(err, sqlstore.ErrNotFound) {
		return cph.ErrServerNotFound()
	} else if err != nil {
		return fmt.Errorf("read server %s: %w", serverID, err)
	}
	return nil
}

// ListShareAppsSnapshot implements cph.ServerService. The snapshot is
// computed on request from the packages the control plane recorded when
// PushShareApps jobs succeeded (and DeleteShareApps jobs removed), with
// the collection rules of Huawei's snapshots: a server with more than
// 10,000 shared apps has none collected, a package name must pass the
// package name rule with a letter after every '.', and a version must be
// 1-32 letters, digits, '-', '_' or '.' not starting with '-' or '.'.
func (s *Services) ListShareAppsSnapshot(ctx context.Context, f cph.ShareAppsFilter) (*cph.ShareAppsSnapshot, error) {
	c, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if f.Page.Limit < 0 || f.Page.Limit > cph.MaxShareAppsPage {
		return nil, cph.ErrInvalidPaging()
	}
	if f.PackageName != "" && !validPackageName(f.PackageName) {
		return nil, cph.ErrInvalidParameter("package_name")
	}
	if err := s.knownServer(ctx, c.ProjectID, f.ServerID); err != nil {
		return nil, err
	}
	now := s.db.Now().UTC()
	share, err := s.db.ServerShareVolume(ctx, f.ServerID)
	if err != nil {
		return nil, fmt.Errorf("shared-app snapshot of server %s: %w", f.ServerID, err)
	}
	var recorded []sqlstore.ShareApp
	if share != nil { // a flavor without a shared app area has no shared apps
		if recorded, err = s.db.ShareApps(ctx, f.ServerID); err != nil {
			return nil, fmt.Errorf("shared-app snapshot of server %s: %w", f.ServerID, err)
		}
	}
	apps := []cph.ShareApp{}
	if len(recorded) <= maxShareAppsCollected {
		for _, a := range recorded {
			if !collectedPackage(a.PackageName) || f.PackageName != "" && a.PackageName != f.PackageName {
				continue
			}
			app := cph.ShareApp{PackageName: a.PackageName, Versions: []string{}}
			if collectedVersion(a.Version) {
				app.Versions = append(app.Versions, a.Version)
			}
			apps = append(apps, app)
		}
	}
	page, next, err := cph.PageAfterMarker(apps, func(a cph.ShareApp) string { return a.PackageName }, f.Page, cph.DefaultShareAppsPage)
	if err != nil {
		return nil, err
	}
	return &cph.ShareAppsSnapshot{CollectTime: now, Apps: page, NextMarker: next}, nil
}

// collectedPackage reports whether a snapshot collects a package name.
func collectedPackage(p string) bool {
	if !validPackageName(p) {
		return false
	}
	for i := 0; i < len(p); i++ {
		if p[i] == '.' {
			c := p[i+1] // the name does not end with '.'
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
				return false
			}
		}
	}
	return true
}

// collectedVersion reports whether a snapshot collects a version.
func collectedVersion(v string) bool {
	if v == "" || len(v) > 32 || v[0] == '-' || v[0] == '.' {
		return false
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.') {
			return false
		}
	}
	return true
}

// ListServerModelOfferings implements cph.ServerService. The zones a
// project may use are its own zone (the project name followed by "a",
// where servers are created by default) and every zone with a configured
// capacity whose name starts with the project name (its region). A pair
// is sold out when its configured capacity is reached by the servers of
// every project; a pair without a capacity is always available.
func (s *Services) ListServerModelOfferings(ctx context.Context, p cph.MarkerPage) (*cph.ServerModelOfferings, error) {
	c, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if p.Limit < 0 || p.Limit > cph.MaxOfferingsPage {
		return nil, cph.ErrInvalidPaging()
	}
	proj, err := s.db.ProjectByID(ctx, c.ProjectID)
	if err != nil {
		return nil, fmt.Errorf("server model offerings: %w", err)
	}
	zones := []string{proj.Name + "a"}
	for _, zc := range s.engine.Config().ZoneCapacity {
		if strings.HasPrefix(zc.Zone, proj.Name) && !slices.Contains(zones, zc.Zone) {
			zones = append(zones, zc.Zone)
		}
	}
	slices.Sort(zones)
	var models []string
	for _, m := range cph.ServerModels() {
		models = append(models, m.ServerModelName)
	}
	slices.Sort(models)
	models = slices.Compact(models)
	counts, err := s.db.ZoneServerCounts(ctx)
	if err != nil {
		return nil, fmt.Errorf("server model offerings: %w", err)
	}
	var rows []cph.ServerModelOffering
	for _, z := range zones {
		for _, m := range models {
			status := cph.SellAvailable
			if limit, ok := s.engine.ZoneCapacity(z, m); ok && counts[z+"|"+m] >= limit {
				status = cph.SellOut
			}
			rows = append(rows, cph.ServerModelOffering{AvailableZone: z, ModelName: m, SellStatus: status})
		}
	}
	page, next, err := cph.PageAfterMarker(rows, offeringMarker, p, cph.DefaultOfferingsPage)
	if err != nil {
		return nil, err
	}
	if page == nil {
		page = []cph.ServerModelOffering{}
	}
	return &cph.ServerModelOfferings{Count: len(rows), Models: page, NextMarker: next}, nil
}

// offeringMarker is the opaque marker of an offering: base64url (without
// padding) of "zone|model".
func offeringMarker(o cph.ServerModelOffering) string {
	return base64.RawURLEncoding.EncodeToString([]byte(o.AvailableZone + "|" + o.ModelName))
}
