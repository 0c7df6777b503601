package httpapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
)

// maxVolumeSize is the largest phone data volume, in GiB.
const maxVolumeSize = 32768

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
		return cph.Errorf(http.StatusMethodNotAllowed, cph.CodeNoSuchAPI, "The method is not allowed for this API.")
	}
	if !cph.ValidID(id) {
		return cph.ErrInvalidPhoneID()
	}
	var req struct {
		PhoneName *string `json:"phone_name"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.PhoneName == nil || !cph.ValidPhoneName(*req.PhoneName) {
		return cph.ErrPhoneNameInvalid()
	}
	err := s.db.Tx(r.Context(), func(tx *sqlstore.Tx) error {
		return tx.RenamePhone(r.Context(), p.ProjectID, id, *req.PhoneName)
	})
	switch {
	case errors.Is(err, sqlstore.ErrNotFound):
		return cph.ErrPhoneNotFound()
	case errors.Is(err, sqlstore.ErrNameTaken):
		return cph.ErrPhoneNameConflict()
	case err != nil:
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"request_id": RequestID(r)})
	return nil
}

// updateProperty is UpdateCloudPhoneProperty.
func (s *Server) updateProperty(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Phones []*struct {
			PhoneID  string  `json:"phone_id"`
			Property *string `json:"property"`
		} `json:"phones"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Phones) == 0 {
		return cph.ErrEmptyPhoneList()
	}
	var order []string
	refused := map[string]cph.PhoneJob{}
	refs := make([]cph.PhoneRef, 0, len(req.Phones))
	for _, ph := range req.Phones {
		if ph == nil {
			return cph.ErrInvalidParameter("phones")
		}
		order = append(order, ph.PhoneID)
		if ph.Property == nil || strings.TrimSpace(*ph.Property) == "" {
			refuseOnce(refused, ph.PhoneID, cph.CodeInvalidParameter, "Parameter: property is invalid: it is required.")
			continue
		}
		refs = append(refs, cph.PhoneRef{PhoneID: ph.PhoneID, Property: *ph.Property})
	}
	return s.submitItems(w, r, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpUpdateProperty, Phones: refs}, order, refused)
}

// refuseOnce records a per-item refusal of id unless id already has an
// answer (duplicates are answered at their first occurrence).
func refuseOnce(refused map[string]cph.PhoneJob, id, code, msg string) {
	if _, ok := refused[id]; !ok {
		refused[id] = cph.PhoneJob{PhoneID: id, ErrorCode: code, ErrorMsg: msg}
	}
}

// submitItems submits b, whose phones are those of order not in refused,
// and answers with one entry per distinct phone of order, in order: the
// refusal made before submission, or the engine's answer.
func (s *Server) submitItems(w http.ResponseWriter, r *http.Request, b engine.PhoneBatch, order []string, refused map[string]cph.PhoneJob) error {
	acc, err := s.submitOrdered(r.Context(), b, order, refused)
	if err != nil {
		return err
	}
	w.Header().Set("X-Request-Id", acc.RequestID)
	writeJSON(w, http.StatusOK, batchResponse{RequestID: acc.RequestID, Jobs: acc.Jobs})
	return nil
}

// submitOrdered is submitItems without the answer.
func (s *Server) submitOrdered(ctx context.Context, b engine.PhoneBatch, order []string, refused map[string]cph.PhoneJob) (*engine.Accepted, error) {
	if len(order) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	if len(order) > s.engine.Config().MaxBatch {
		return nil, cph.ErrTooManyItems("phones", s.engine.Config().MaxBatch)
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
	out := &engine.Accepted{RequestID: requestID}
	for _, id := range dedupe(slices.Clone(order)) {
		if j, ok := refused[id]; ok {
			out.Jobs = append(out.Jobs, j)
		} else if j, ok := answers[id]; ok {
			out.Jobs = append(out.Jobs, j)
		}
	}
	return out, nil
}

// expandVolume is ExpandPhoneDataVolumeSize.
func (s *Server) expandVolume(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		Phones []*cph.PhoneDataVolumeSize `json:"phones"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if len(req.Phones) == 0 {
		return cph.ErrEmptyPhoneList()
	}
	// The items are looked up one by one: their number is checked first.
	if max := s.engine.Config().MaxBatch; len(req.Phones) > max {
		return cph.ErrTooManyItems("phones", max)
	}
	var order []string
	refused := map[string]cph.PhoneJob{}
	args := cph.VolumeArgs{Sizes: map[string]int32{}}
	var refs []cph.PhoneRef
	for _, ph := range req.Phones {
		if ph == nil {
			return cph.ErrInvalidParameter("phones")
		}
		order = append(order, ph.PhoneID)
		if _, dup := args.Sizes[ph.PhoneID]; dup {
			continue
		}
		if ph.NewSize <= 0 || ph.NewSize > maxVolumeSize {
			refuseOnce(refused, ph.PhoneID, cph.CodeInvalidParameter, fmt.Sprintf("Parameter: new_size is invalid: it must be 1 to %d GiB.", maxVolumeSize))
			continue
		}
		if cph.ValidID(ph.PhoneID) {
			cur, err := s.db.PhoneByID(r.Context(), p.ProjectID, ph.PhoneID)
			if err == nil && ph.NewSize < cur.DataVolumeSize {
				refuseOnce(refused, ph.PhoneID, cph.CodeInvalidParameter,
					fmt.Sprintf("Parameter: new_size is invalid: it is below the current size %d GiB.", cur.DataVolumeSize))
				continue
			} else if err != nil && !errors.Is(err, sqlstore.ErrNotFound) {
				return err
			}
		}
		args.Sizes[ph.PhoneID] = ph.NewSize
		refs = append(refs, cph.PhoneRef{PhoneID: ph.PhoneID})
	}
	raw, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("encode volume args: %w", err)
	}
	return s.submitItems(w, r, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpExpandVolume, Phones: refs, Args: raw}, order, refused)
}

// maxTrafficPhones is the most phones of one ImportTraffic call.
const maxTrafficPhones = 100

// importTraffic is ImportTraffic.
func (s *Server) importTraffic(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		TrafficType string   `json:"traffic_type"`
		PhoneIDs    []string `json:"phone_ids"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.TrafficType != cph.TrafficDirect && req.TrafficType != cph.TrafficRouting {
		return cph.ErrInvalidParameter("traffic_type")
	}
	if len(req.PhoneIDs) == 0 {
		return cph.ErrEmptyPhoneList()
	}
	if len(req.PhoneIDs) > maxTrafficPhones {
		return cph.ErrTooManyItems("phone_ids", maxTrafficPhones)
	}
	raw, err := json.Marshal(cph.TrafficArgs{TrafficType: req.TrafficType})
	if err != nil {
		return fmt.Errorf("encode traffic args: %w", err)
	}
	refs := make([]cph.PhoneRef, len(req.PhoneIDs))
	for i, id := range req.PhoneIDs {
		refs[i] = cph.PhoneRef{PhoneID: id}
	}
	return s.submit(w, r, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpImportTraffic, Phones: refs, Args: raw})
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
func (s *Server) bucketRefusal(ctx context.Context, projectID, bucket string) (string, error) {
	owner, err := s.db.BucketOwner(ctx, bucket)
	if errors.Is(err, sqlstore.ErrNotFound) {
		return "", nil
	} else if err != nil {
		return "", err
	}
	if owner != projectID {
		return fmt.Sprintf("The specified bucket does not exist: %s.", bucket), nil
	}
	return "", nil
}

// exportData is BatchExportCloudPhoneData.
func (s *Server) exportData(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		StorageInfos []*cph.StorageInfo `json:"storage_infos"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	b, err := bucketItems(r.Context(), s, p.ProjectID, "storage_infos", req.StorageInfos, func(si *cph.StorageInfo) (string, string, string) {
		return si.PhoneID, si.BucketName, checkStorageInfo(si)
	})
	if err != nil {
		return err
	}
	raw, err := json.Marshal(cph.ExportArgs{Phones: b.phones})
	if err != nil {
		return fmt.Errorf("encode export args: %w", err)
	}
	return s.submitItems(w, r, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpExportData, Phones: b.refs, Args: raw}, b.order, b.refused)
}

// importData is BatchImportCloudPhoneData.
func (s *Server) importData(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		RestoreInfos []*cph.RestoreInfo `json:"restore_infos"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	b, err := bucketItems(r.Context(), s, p.ProjectID, "restore_infos", req.RestoreInfos, func(ri *cph.RestoreInfo) (string, string, string) {
		return ri.PhoneID, ri.BucketName, checkBucketObject(ri.BucketName, ri.ObjectPath)
	})
	if err != nil {
		return err
	}
	raw, err := json.Marshal(cph.ImportArgs{Phones: b.phones})
	if err != nil {
		return fmt.Errorf("encode import args: %w", err)
	}
	return s.submitItems(w, r, engine.PhoneBatch{ProjectID: p.ProjectID, Kind: cph.OpImportData, Phones: b.refs, Args: raw}, b.order, b.refused)
}

// bucketBatch holds the items of a batch that moves data between phones
// and buckets, read from a request: the phone of each item in request
// order, the items refused before submission, and the accepted items by
// phone with their references.
type bucketBatch[T any] struct {
	order   []string
	refused map[string]cph.PhoneJob
	phones  map[string]T
	refs    []cph.PhoneRef
}

// bucketItems reads the items of a BatchExportCloudPhoneData or
// BatchImportCloudPhoneData request, field being their list: item gives
// an item's phone, bucket and why it is invalid (or ""). No item is
// CPS.0009 and a null one a bad field; only the first item of a phone
// counts, and an invalid one or one naming another project's bucket is
// refused.
func bucketItems[T any](ctx context.Context, s *Server, projectID, field string, items []*T,
	item func(*T) (phoneID, bucket, invalid string)) (*bucketBatch[T], error) {
	if len(items) == 0 {
		return nil, cph.ErrEmptyPhoneList()
	}
	// Each item's bucket is looked up: their number is checked first.
	if max := s.engine.Config().MaxBatch; len(items) > max {
		return nil, cph.ErrTooManyItems(field, max)
	}
	b := &bucketBatch[T]{refused: map[string]cph.PhoneJob{}, phones: map[string]T{}}
	for _, it := range items {
		if it == nil {
			return nil, cph.ErrInvalidParameter(field)
		}
		phoneID, bucket, invalid := item(it)
		b.order = append(b.order, phoneID)
		if _, dup := b.phones[phoneID]; dup {
			continue
		}
		if invalid != "" {
			refuseOnce(b.refused, phoneID, cph.CodeInvalidParameter, invalid)
			continue
		}
		msg, err := s.bucketRefusal(ctx, projectID, bucket)
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
	for _, f := range si.ExcludeFiles {
		if !validDataPath(f) {
			return fmt.Sprintf("Parameter: exclude_files is invalid: %q.", f)
		}
	}
	return checkBucketObject(si.BucketName, si.ObjectPath)
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
