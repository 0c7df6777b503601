package service

import (
	"context"
	"errors"
	"fmt"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/sqlstore"
)

var _ cph.PhoneService = (*Services)(nil)

// Phone list cache bounds: about 56 KiB a page of 100.
const (
	pageCacheEntries = 256
	pageCacheTTL     = 10 * time.Second
)

// ListPhones implements cph.PhoneService. Pages are cached while no phone
// has changed since they were read (sqlstore.DB.PhonesVersion); requests
// that miss together read the page once.
func (s *Services) ListPhones(ctx context.Context, f cph.PhoneFilter) (*cph.PhonePage, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	f.ProjectID = p.ProjectID
	if f.Offset < 0 || f.Limit < 1 || f.Limit > cph.MaxPhonePage {
		return nil, cph.ErrInvalidPaging()
	}
	if f.Status != nil && *f.Status != 0 && !f.Status.Valid() {
		return nil, cph.ErrInvalidStatus()
	}
	if f.Type != nil && *f.Type != 0 && *f.Type != 1 {
		return nil, cph.ErrInvalidParameter("type")
	}
	if f.NameLike != nil && !cph.ValidText(*f.NameLike) {
		return nil, cph.ErrInvalidParameter("phone_name")
	}
	if f.ServerID != nil && !cph.ValidText(*f.ServerID) {
		return nil, cph.ErrInvalidParameter("server_id")
	}
	key := f.Key()
	// Settled first: a commit the caller has seen (a final job) has then
	// moved the version it reads.
	settled := s.db.Settled()
	version, ok := s.db.PhonesVersion()
	if !ok || !settled {
		return s.readPhonePage(ctx, f, 0)
	}
	if page, hit := s.pages.Get(key, version); hit {
		return page, nil
	}
	if page, ok := s.patchedPage(key, f, version); ok {
		return page, nil
	}
	v, err, _ := s.pageReads.Do(fmt.Sprintf("%d/%s", version, key), func() (any, error) {
		page, err := s.readPhonePage(context.WithoutCancel(ctx), f, version)
		if err == nil {
			s.pages.Put(key, version, page)
		}
		return page, err
	})
	if err != nil {
		return nil, err
	}
	return v.(*cph.PhonePage), nil
}

// patchedPage returns the cached page of key brought to version by the
// phone status changes made since it was read, when that is possible: the
// page does not filter by status (a status change could move a phone in
// or out of it) and every change since its version was a status change
// (sqlstore.DB.PhoneStatusChangesSince). Order and count of an unfiltered
// or name/server/type-filtered page do not depend on status.
func (s *Services) patchedPage(key string, f cph.PhoneFilter, version uint64) (*cph.PhonePage, bool) {
	if f.Status != nil && *f.Status != 0 {
		return nil, false
	}
	old, from, ok := s.pages.Latest(key)
	if !ok || from >= version {
		return nil, false
	}
	changes, ok := s.db.PhoneStatusChangesSince(from, version)
	if !ok {
		return nil, false
	}
	page := patchPage(old, changes, version)
	s.pages.Put(key, version, page)
	return page, true
}

// patchPage returns a copy of page at version with changes applied in
// order; the phones they change are copied, the others shared.
func patchPage(page *cph.PhonePage, changes []sqlstore.PhoneStatusChange, version uint64) *cph.PhonePage {
	out := &cph.PhonePage{Total: page.Total, Phones: page.Phones, Version: version}
	if len(changes) == 0 {
		return out
	}
	index := make(map[string]int, len(page.Phones))
	for i, p := range page.Phones {
		index[p.ID] = i
	}
	copied := false
	mine := map[int]bool{}
	for _, c := range changes {
		i, ok := index[c.ID]
		if !ok {
			continue
		}
		if !copied {
			out.Phones = append([]*cph.Phone(nil), page.Phones...)
			copied = true
		}
		if !mine[i] {
			p := *out.Phones[i]
			out.Phones[i] = &p
			mine[i] = true
		}
		out.Phones[i].Status = c.Status
		out.Phones[i].UpdateTime = cph.NewTime(c.UpdatedAt)
	}
	return out
}

// readPhonePage reads the page of phones f selects from the database.
func (s *Services) readPhonePage(ctx context.Context, f cph.PhoneFilter, version uint64) (*cph.PhonePage, error) {
	phones, total, err := s.db.ListPhones(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list phones: %w", err)
	}
	return &cph.PhonePage{Total: total, Phones: phones, Version: version}, nil
}

// adbListenPort is the port adbd listens on inside a phone.
const adbListenPort = 5555

// phoneServerIPs returns the server IP and the public IP of the server of
// ph, in projectID; both are "" when the server has no address.
func (s *Services) phoneServerIPs(ctx context.Context, projectID string, ph *cph.Phone) (serverIP, publicIP string, err error) {
	srv, err := s.db.ServerByID(ctx, projectID, ph.ServerID)
	if err != nil {
		return "", "", fmt.Errorf("server of phone %s: %w", ph.ID, err)
	}
	if len(srv.Addresses) > 0 {
		serverIP, publicIP = srv.Addresses[0].ServerIP, srv.Addresses[0].PublicIP
	}
	return serverIP, publicIP, nil
}

// phoneAccessPort is the port of the server's public IP that leads to ph.
func phoneAccessPort(ph *cph.Phone) int32 {
	return int32(20000 + ph.Index)
}

// ShowPhone implements cph.PhoneService.
func (s *Services) ShowPhone(ctx context.Context, id string) (*cph.PhoneDetail, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if !cph.ValidID(id) {
		return nil, cph.ErrInvalidPhoneID()
	}
	ph, err := s.db.PhoneByID(ctx, p.ProjectID, id)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return nil, cph.ErrPhoneNotFound()
	} else if err != nil {
		return nil, fmt.Errorf("show phone: %w", err)
	}
	serverIP, publicIP, err := s.phoneServerIPs(ctx, p.ProjectID, ph)
	if err != nil {
		return nil, err
	}
	property := ph.Property
	if property == "" {
		property = "{}"
	}
	ai := cph.PhoneAccessInfo{
		Type: "adb", DeviceIP: ph.IP, PhoneIP: ph.IP, ListenPort: adbListenPort,
		AccessIP: publicIP, PublicIP: publicIP, IntranetIP: serverIP, ServerIP: serverIP,
		AccessPort: phoneAccessPort(ph),
	}
	if a, ok, err := s.db.PhoneAccess(ctx, ph.ID); err != nil {
		return nil, fmt.Errorf("access of phone %s: %w", ph.ID, err)
	} else if ok {
		// The runtime reported where the phone really is (a container's
		// published ADB port and its own address).
		ai.AccessIP, ai.PublicIP, ai.AccessPort = a.AccessIP, a.AccessIP, int32(a.AccessPort)
		if a.IntranetIP != "" {
			ai.IntranetIP, ai.DeviceIP, ai.PhoneIP = a.IntranetIP, a.IntranetIP, a.IntranetIP
		}
	}
	custom, err := s.db.PhoneCustomProperty(ctx, ph.ID)
	if err != nil {
		return nil, fmt.Errorf("show phone: %w", err)
	}
	return &cph.PhoneDetail{
		CustomProperty: custom,
		Name:           ph.Name, ServerID: ph.ServerID, ID: ph.ID, ImageID: ph.ImageID,
		ImageVersion: ph.ImageVersion, VNCEnable: ph.VNCEnable, ModelName: ph.ModelName, Status: ph.Status,
		AccessInfos: []cph.PhoneAccessInfo{ai},
		Property:    property, Metadata: ph.Metadata,
		DataVolume: cph.PhoneDataVolume{VolumeType: ph.DataVolumeType, VolumeSize: ph.DataVolumeSize},
		IMEI:       ph.IMEI, Type: ph.Type, TrafficType: ph.TrafficType, VolumeMode: ph.VolumeMode,
		AvailabilityZone: ph.AvailabilityZone, HasEncrypt: ph.HasEncrypt, CreateTime: ph.CreateTime, UpdateTime: ph.UpdateTime,
	}, nil
}

// BatchPhones implements cph.PhoneService.
func (s *Services) BatchPhones(ctx context.Context, bp cph.BatchPhonesParams) (*cph.BatchResult, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	switch bp.Kind {
	case cph.OpRestartPhone, cph.OpResetPhone, cph.OpStopPhone:
	default:
		return nil, cph.ErrInvalidParameter("kind")
	}
	if len(bp.Phones) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	b := engine.PhoneBatch{ProjectID: p.ProjectID, Kind: bp.Kind, Phones: bp.Phones}
	if bp.ImageID != nil {
		if bp.Kind == cph.OpStopPhone {
			return nil, cph.ErrInvalidParameter("image_id")
		}
		if *bp.ImageID == "" || len(*bp.ImageID) > 32 {
			return nil, cph.ErrInvalidImage()
		}
		b.ImageID = *bp.ImageID
	}
	return s.submit(ctx, b)
}

// submit submits b to the engine.
func (s *Services) submit(ctx context.Context, b engine.PhoneBatch) (*cph.BatchResult, error) {
	acc, err := s.engine.SubmitPhones(ctx, b)
	if err != nil {
		return nil, err
	}
	return &cph.BatchResult{RequestID: acc.RequestID, Jobs: acc.Jobs}, nil
}

// UpdatePhone implements cph.PhoneService.
func (s *Services) UpdatePhone(ctx context.Context, id string, upd cph.PhoneUpdate) error {
	p, err := writer(ctx)
	if err != nil {
		return err
	}
	if !cph.ValidID(id) {
		return cph.ErrInvalidPhoneID()
	}
	if upd.Name == nil || !cph.ValidPhoneName(*upd.Name) {
		return cph.ErrPhoneNameInvalid()
	}
	err = s.db.Tx(ctx, func(tx *sqlstore.Tx) error {
		return tx.RenamePhone(ctx, p.ProjectID, id, *upd.Name)
	})
	switch {
	case errors.Is(err, sqlstore.ErrNotFound):
		return cph.ErrPhoneNotFound()
	case errors.Is(err, sqlstore.ErrNameTaken):
		return cph.ErrPhoneNameConflict()
	case err != nil:
		return fmt.Errorf("rename phone: %w", err)
	}
	return nil
}
