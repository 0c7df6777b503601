package service

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/opencph/opencph"
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
	key := phoneFilterKey(f)
	version, ok := s.db.PhonesVersion()
	if !ok {
		return s.readPhonePage(ctx, f, 0)
	}
	if page, hit := s.pages.Get(key, version); hit {
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

// readPhonePage reads the page of phones f selects from the database.
func (s *Services) readPhonePage(ctx context.Context, f cph.PhoneFilter, version uint64) (*cph.PhonePage, error) {
	phones, total, err := s.db.ListPhones(ctx, f)
	if err != nil {
		return nil, fmt.Errorf("list phones: %w", err)
	}
	return &cph.PhonePage{Total: total, Phones: phones, Version: version}, nil
}

// phoneFilterKey identifies a phone list query.
func phoneFilterKey(f cph.PhoneFilter) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s|%d|%d", f.ProjectID, f.Offset, f.Limit)
	if f.NameLike != nil {
		fmt.Fprintf(&b, "|name=%q", *f.NameLike)
	}
	if f.ServerID != nil {
		fmt.Fprintf(&b, "|server=%q", *f.ServerID)
	}
	if f.Status != nil {
		fmt.Fprintf(&b, "|status=%d", *f.Status)
	}
	if f.Type != nil {
		fmt.Fprintf(&b, "|type=%d", *f.Type)
	}
	return b.String()
}
