package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

// maxBatch is the most phones of one batch request.
func (s *Services) maxBatch() int { return s.engine.Config().MaxBatch }

// UpdatePhoneProperties implements cph.PhoneService.
func (s *Services) UpdatePhoneProperties(ctx context.Context, phones []cph.PhoneRef) (*cph.BatchResult, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if len(phones) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	var order []string
	refused := map[string]cph.PhoneJob{}
	refs := make([]cph.PhoneRef, 0, len(phones))
	custom := map[string]map[string]string{} // by phone, the first item's
	for _, ph := range phones {
		order = append(order, ph.PhoneID)
		property := ph.Property
		if strings.TrimSpace(property) == "" {
			// "" changes no system property; an item must change
			// something.
			if len(ph.CustomProperty) == 0 {
				refuseOnce(refused, ph.PhoneID, cph.CodeInvalidParameter, "Parameter: property is invalid: it is required.")
				continue
			}
			property = ""
		}
		if ph.CustomProperty != nil {
			if err := cph.CheckCustomProperty(ph.CustomProperty); err != nil {
				refuseOnce(refused, ph.PhoneID, cph.CodeInvalidParameter, "Parameter: custom_property is invalid: "+err.Error()+".")
				continue
			}
			if n := len(property) + len(cph.CustomPropertyJSON(ph.CustomProperty)); n > cph.MaxPropertyUpdateBytes {
				refuseOnce(refused, ph.PhoneID, cph.CodeInvalidParameter, fmt.Sprintf(
					"Parameter: custom_property is invalid: property and custom_property are %d bytes, more than %d.", n, cph.MaxPropertyUpdateBytes))
				continue
			}
			if _, dup := custom[ph.PhoneID]; !dup {
				custom[ph.PhoneID] = ph.CustomProperty
			}
		}
		refs = append(refs, cph.PhoneRef{PhoneID: ph.PhoneID, Property: property})
	}
	b := engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpUpdateProperty, Phones: refs}
	if len(custom) > 0 {
		// Custom properties are the control plane's: they are recorded in
		// the transaction that accepts the phone's job, so that the bound
		// of a phone's total holds however many updates run at once.
		var ids []string
		for _, id := range slices.Sorted(maps.Keys(custom)) {
			if cph.ValidID(id) {
				ids = append(ids, id)
			}
		}
		var locked *sqlstore.Tx
		b.Accept = func(ctx context.Context, tx *sqlstore.Tx, phoneID string) (string, string, error) {
			upd, ok := custom[phoneID]
			if !ok {
				return "", "", nil
			}
			if locked != tx {
				// All the phones first, in id order: concurrent updates
				// of the same phones then wait instead of deadlocking.
				if err := tx.LockPhones(ctx, ids); err != nil {
					return "", "", err
				}
				locked = tx
			}
			err := tx.MergePhoneCustomProperty(ctx, phoneID, upd, cph.MaxCustomPropertyBytes)
			if errors.Is(err, sqlstore.ErrLimit) {
				return cph.CodeInvalidParameter, fmt.Sprintf(
					"Parameter: custom_property is invalid: the phone's custom properties would be more than %d bytes.", cph.MaxCustomPropertyBytes), nil
			}
			return "", "", err
		}
	}
	return s.submitOrdered(ctx, b, order, refused)
}

// refuseOnce records a per-item refusal of id unless id already has an
// answer (duplicates are answered at their first occurrence).
func refuseOnce(refused map[string]cph.PhoneJob, id, code, msg string) {
	if _, ok := refused[id]; !ok {
		refused[id] = cph.PhoneJob{PhoneID: id, ErrorCode: code, ErrorMsg: msg}
	}
}

// dedupe returns ids without repetitions, in order of first occurrence;
// it reuses the backing array of ids.
func dedupe(ids []string) []string {
	seen := map[string]bool{}
	out := ids[:0]
	for _, id := range ids {
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// submitOrdered submits b, whose phones are those of order not in
// refused, and answers with one entry per distinct phone of order, in
// order: the refusal made before submission, or the engine's answer.
func (s *Services) submitOrdered(ctx context.Context, b engine.PhoneBatch, order []string, refused map[string]cph.PhoneJob) (*cph.BatchResult, error) {
	if len(order) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	if len(order) > s.maxBatch() {
		return nil, cph.ErrTooManyItems("phones", s.maxBatch())
	}
	var phones []cph.PhoneRef
	for _, ref := range b.Phones {
		if _, ok := refused[ref.PhoneID]; !ok {
			phones = append(phones, ref)
		}
	}
	answers := map[string]cph.PhoneJob{}
	requestID := cph.NewID()
	if len(phones) > 0 {
		b.Phones = phones
		acc, err := s.engine.SubmitPhones(ctx, b)
		if err != nil {
			return nil, err
		}
		requestID = acc.RequestID
		for _, j := range acc.Jobs {
			answers[j.PhoneID] = j
		}
	}
	out := &cph.BatchResult{RequestID: requestID}
	for _, id := range dedupe(slices.Clone(order)) {
		if j, ok := refused[id]; ok {
			out.Jobs = append(out.Jobs, j)
		} else if j, ok := answers[id]; ok {
			out.Jobs = append(out.Jobs, j)
		}
	}
	return out, nil
}

// ExpandPhoneVolumes implements cph.PhoneService.
func (s *Services) ExpandPhoneVolumes(ctx context.Context, phones []cph.PhoneDataVolumeSize) (*cph.BatchResult, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if len(phones) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	// The items are looked up one by one: their number is checked first.
	if max := s.maxBatch(); len(phones) > max {
		return nil, cph.ErrTooManyItems("phones", max)
	}
	var order []string
	refused := map[string]cph.PhoneJob{}
	args := cph.VolumeArgs{Sizes: map[string]int32{}}
	var refs []cph.PhoneRef
	for _, ph := range phones {
		order = append(order, ph.PhoneID)
		if _, dup := args.Sizes[ph.PhoneID]; dup {
			continue
		}
		if ph.NewSize <= 0 || ph.NewSize > cph.MaxVolumeSize {
			refuseOnce(refused, ph.PhoneID, cph.CodeInvalidParameter, fmt.Sprintf("Parameter: new_size is invalid: it must be 1 to %d GiB.", cph.MaxVolumeSize))
			continue
		}
		if cph.ValidID(ph.PhoneID) {
			cur, err := s.db.PhoneByID(ctx, p.ProjectID, ph.PhoneID)
			if err == nil && ph.NewSize < cur.DataVolumeSize {
				refuseOnce(refused, ph.PhoneID, cph.CodeInvalidParameter,
					fmt.Sprintf("Parameter: new_size is invalid: it is below the current size %d GiB.", cur.DataVolumeSize))
				continue
			} else if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
				return nil, fmt.Errorf("expand volumes: %w", err)
			}
		}
		args.Sizes[ph.PhoneID] = ph.NewSize
		refs = append(refs, cph.PhoneRef{PhoneID: ph.PhoneID})
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return nil, fmt.Errorf("encode volume args: %w", err)
	}
	return s.submitOrdered(ctx, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpExpandVolume, Phones: refs, Args: raw}, order, refused)
}

// ImportTraffic implements cph.PhoneService.
func (s *Services) ImportTraffic(ctx context.Context, trafficType string, phoneIDs []string) (*cph.BatchResult, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	if trafficType != cph.TrafficDirect && trafficType != cph.TrafficRouting {
		return nil, cph.ErrInvalidParameter("traffic_type")
	}
	if len(phoneIDs) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	if len(phoneIDs) > cph.MaxTrafficPhones {
		return nil, cph.ErrTooManyItems("phone_ids", cph.MaxTrafficPhones)
	}
	raw, err := json.Marshal(cph.TrafficArgs{TrafficType: trafficType})
	if err != nil {
		return nil, fmt.Errorf("encode traffic args: %w", err)
	}
	refs := make([]cph.PhoneRef, len(phoneIDs))
	for i, id := range phoneIDs {
		refs[i] = cph.PhoneRef{PhoneID: id}
	}
	return s.submit(ctx, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpImportTraffic, Phones: refs, Args: raw})
}

var (
	reDataPath   = regexp.MustCompile(`^/[A-Za-z0-9./\-_+#*~=]*$`)
	reObjectPath = regexp.MustCompile(`^[A-Za-z0-9./\-_+#=]+$`)
)

// validDataPath checks an include_files / exclude_files path.
func validDataPath(pth string) bool {
	if len(pth) > 4096 || !reDataPath.MatchString(pth) || strings.Contains(pth, "..") {
		return false
	}
	if i := strings.IndexByte(pth, '*'); i >= 0 && i != len(pth)-1 {
		return false
	}
	return under(pth, "/data") || under(pth, "/cache") || pth == "/data*" || pth == "/cache*"
}

// under reports whether pth is dir or below it (a trailing '*' counts).
func under(pth, dir string) bool {
	pth = strings.TrimSuffix(pth, "*")
	return pth == dir || strings.HasPrefix(pth, dir+"/")
}

// validObject checks a bucket_name and object_path pair.
func validObject(bucket, key string) bool {
	return objstore.ValidBucket(bucket) && len(key) <= 1024 && reObjectPath.MatchString(key) && objstore.ValidKey(key)
}

// bucketRefusal returns a per-item refusal message if bucket belongs to
// another project; such a bucket is reported as missing.
func (s *Services) bucketRefusal(ctx context.Context, projectID, bucket string) (string, error) {
	owner, err := s.db.BucketOwner(ctx, bucket)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", fmt.Errorf("owner of bucket %s: %w", bucket, err)
	}
	if owner != projectID {
		return fmt.Sprintf("The specified bucket does not exist: %s.", bucket), nil
	}
	return "", nil
}

// ExportPhoneData implements cph.PhoneService.
func (s *Services) ExportPhoneData(ctx context.Context, infos []cph.StorageInfo) (*cph.BatchResult, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	b, err := bucketItems(ctx, s, bucketItemsParams[cph.StorageInfo]{
		ProjectID: p.ProjectID,
		Field:     "storage_infos",
		Items:     infos,
		Item: func(si *cph.StorageInfo) (string, string, string) {
			return si.PhoneID, si.BucketName, checkStorageInfo(si)
		},
	})
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cph.ExportArgs{Phones: b.phones})
	if err != nil {
		return nil, fmt.Errorf("encode export args: %w", err)
	}
	return s.submitOrdered(ctx, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpExportData, Phones: b.refs, Args: raw}, b.order, b.refused)
}

// ImportPhoneData implements cph.PhoneService.
func (s *Services) ImportPhoneData(ctx context.Context, infos []cph.RestoreInfo) (*cph.BatchResult, error) {
	p, err := writer(ctx)
	if err != nil {
		return nil, err
	}
	b, err := bucketItems(ctx, s, bucketItemsParams[cph.RestoreInfo]{
		ProjectID: p.ProjectID,
		Field:     "restore_infos",
		Items:     infos,
		Item: func(ri *cph.RestoreInfo) (string, string, string) {
			return ri.PhoneID, ri.BucketName, checkBucketObject(ri.BucketName, ri.ObjectPath)
		},
	})
	if err != nil {
		return nil, err
	}
	raw, err := json.Marshal(cph.ImportArgs{Phones: b.phones})
	if err != nil {
		return nil, fmt.Errorf("encode import args: %w", err)
	}
	return s.submitOrdered(ctx, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpImportData, Phones: b.refs, Args: raw}, b.order, b.refused)
}

// bucketBatch holds the items of a batch that moves data between phones
// and buckets: the phone of each item in request order, the items refused
// before submission, and the accepted items by phone with their
// references.
type bucketBatch[T any] struct {
	order   []string
	refused map[string]cph.PhoneJob
	phones  map[string]T
	refs    []cph.PhoneRef
}

// bucketItemsParams are the items of an export or import of phone data
// in the project ProjectID, Field being the name of their list: Item
// gives an item's phone, bucket and why it is invalid (or "").
type bucketItemsParams[T any] struct {
	ProjectID string
	Field     string
	Items     []T
	Item      func(*T) (phoneID, bucket, invalid string)
}

// bucketItems reads the items of an export or import of phone data. No
// item is CPS.0009; only the first item of a phone counts, and an invalid
// one or one naming another project's bucket is refused.
func bucketItems[T any](ctx context.Context, s *Services, p bucketItemsParams[T]) (*bucketBatch[T], error) {
	items := p.Items
	if len(items) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	// Each item's bucket is looked up: their number is checked first.
	if max := s.maxBatch(); len(items) > max {
		return nil, cph.ErrTooManyItems(p.Field, max)
	}
	b := &bucketBatch[T]{refused: map[string]cph.PhoneJob{}, phones: map[string]T{}}
	for i := range items {
		it := &items[i]
		phoneID, bucket, invalid := p.Item(it)
		b.order = append(b.order, phoneID)
		if _, dup := b.phones[phoneID]; dup {
			continue
		}
		if invalid != "" {
			refuseOnce(b.refused, phoneID, cph.CodeInvalidParameter, invalid)
			continue
		}
		msg, err := s.bucketRefusal(ctx, p.ProjectID, bucket)
		if err != nil {
			return nil, err
		}
		if msg != "" {
			refuseOnce(b.refused, phoneID, cph.CodeNoSuchBucket, msg)
			continue
		}
		b.phones[phoneID] = *it
		b.refs = append(b.refs, cph.PhoneRef{PhoneID: phoneID})
	}
	return b, nil
}

// checkStorageInfo returns why si is invalid, or "".
func checkStorageInfo(si *cph.StorageInfo) string {
	if len(si.IncludeFiles) == 0 {
		return "Parameter: include_files is invalid: it is required."
	}
	for _, f := range si.IncludeFiles {
		if !validDataPath(f) {
			return fmt.Sprintf("Parameter: include_files is invalid: %q.", f)
		}
	}
	if why := checkMiscRule(si.IncludeFiles); why != "" {
		return "Parameter: include_files is invalid: " + why
	}
	for _, f := range si.ExcludeFiles {
		if !validDataPath(f) {
			return fmt.Sprintf("Parameter: exclude_files is invalid: %q.", f)
		}
	}
	return checkBucketObject(si.BucketName, si.ObjectPath)
}

// The system directory an export names exactly, or not at all: its data
// is only consistent with that of miscCompanions.
const miscDir = "/data/misc"

var miscCompanions = []string{"/data/system", "/data/system_de"}

// checkMiscRule returns why include_files breaks the rule of /data/misc,
// or "": /data/misc is exported only when named exactly, never through a
// path below it or a wildcard that could match it (a trailing '*'
// matches any continuation, '/' included: /data*, /data/*, /data/mi*),
// and naming it requires naming /data/system and /data/system_de
// exactly too. A plain /data, which contains it, is allowed.
func checkMiscRule(include []string) string {
	exact := false
	for _, f := range include {
		if prefix, wild := strings.CutSuffix(f, "*"); wild {
			if strings.HasPrefix(miscDir, prefix) || strings.HasPrefix(prefix, miscDir+"/") {
				return fmt.Sprintf("%q could match %s, which may only be named exactly.", f, miscDir)
			}
			continue
		}
		clean := strings.TrimSuffix(f, "/")
		if clean == miscDir {
			exact = true
		} else if strings.HasPrefix(clean, miscDir+"/") {
			return fmt.Sprintf("%q is below %s, which may only be exported whole.", f, miscDir)
		}
	}
	if exact {
		for _, c := range miscCompanions {
			if !slices.ContainsFunc(include, func(f string) bool { return strings.TrimSuffix(f, "/") == c }) {
				return fmt.Sprintf("%s is exported only with %s and %s.", miscDir, miscCompanions[0], miscCompanions[1])
			}
		}
	}
	return ""
}

// checkBucketObject returns why a bucket_name and object_path pair is
// invalid, or "".
func checkBucketObject(bucket, key string) string {
	if !objstore.ValidBucket(bucket) {
		return "Parameter: bucket_name is invalid."
	}
	if !validObject(bucket, key) {
		return "Parameter: object_path is invalid."
	}
	return ""
}
