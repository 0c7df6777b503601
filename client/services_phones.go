package client

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	cph "github.com/opencph/opencph"
)

// ShowPhone implements cph.PhoneService. An empty id is refused as the
// server refuses a malformed one (CPS.0004).
func (s *Services) ShowPhone(ctx context.Context, id string) (*cph.PhoneDetail, error) {
	if id == "" {
		return nil, cph.ErrInvalidPhoneID()
	}
	return s.c.ShowPhone(ctx, id)
}

// ShowPhoneScreenshot implements cph.PhoneService. An empty id is
// refused as the server refuses a malformed one (CPS.0004).
func (s *Services) ShowPhoneScreenshot(ctx context.Context, id string) (*cph.PhoneScreenshot, error) {
	if id == "" {
		return nil, cph.ErrInvalidPhoneID()
	}
	return s.c.ShowPhoneScreenshot(ctx, id)
}

// BatchPhones implements cph.PhoneService over RestartCloudPhone,
// ResetCloudPhone and StopCloudPhone. StopCloudPhone takes no image, so
// an image for a stop is refused here (CPS.9011), as is another kind.
func (s *Services) BatchPhones(ctx context.Context, p cph.BatchPhonesParams) (*cph.BatchResult, error) {
	phones := p.Phones
	if phones == nil {
		phones = []cph.PhoneRef{}
	}
	body := struct {
		// An empty image ID is sent, so that the server refuses it.
		ImageID *string        `json:"image_id,omitempty"`
		Phones  []cph.PhoneRef `json:"phones"`
	}{p.ImageID, phones}
	var res *BatchResult
	var err error
	switch p.Kind {
	case cph.OpRestartPhone:
		res, err = s.c.batch(ctx, "restart", "batch-restart", body)
	case cph.OpResetPhone:
		res, err = s.c.batch(ctx, "reset", "batch-reset", body)
	case cph.OpStopPhone:
		if p.ImageID != nil {
			return nil, cph.ErrInvalidParameter("image_id")
		}
		ids := make([]string, len(phones))
		for i, ref := range phones {
			ids[i] = ref.PhoneID
		}
		res, err = s.c.StopPhones(ctx, ids)
	default:
		return nil, cph.ErrInvalidParameter("kind")
	}
	return batchResult(res, err)
}

// batchResult converts the answer of an asynchronous phone operation.
func batchResult(res *BatchResult, err error) (*cph.BatchResult, error) {
	if err != nil {
		return nil, err
	}
	return &cph.BatchResult{RequestID: res.RequestID, Jobs: res.Jobs}, nil
}

// UpdatePhone implements cph.PhoneService over UpdatePhoneName. An empty
// id is refused as the server refuses a malformed one (CPS.0004).
func (s *Services) UpdatePhone(ctx context.Context, id string, upd cph.PhoneUpdate) error {
	if id == "" {
		return cph.ErrInvalidPhoneID()
	}
	if upd.Name != nil {
		return s.c.RenamePhone(ctx, id, *upd.Name)
	}
	// No name: the server answers what it answers to a body without one.
	if _, err := s.c.Do(ctx, Request{Method: http.MethodPut, Path: phonesPath + "/" + url.PathEscape(id), In: struct{}{}}); err != nil {
		return fmt.Errorf("rename phone %s: %w", id, err)
	}
	return nil
}

// UpdatePhoneProperties implements cph.PhoneService.
func (s *Services) UpdatePhoneProperties(ctx context.Context, phones []cph.PhoneRef) (*cph.BatchResult, error) {
	return batchResult(s.c.UpdatePhoneProperties(ctx, phones))
}

// ExpandPhoneVolumes implements cph.PhoneService.
func (s *Services) ExpandPhoneVolumes(ctx context.Context, phones []cph.PhoneDataVolumeSize) (*cph.BatchResult, error) {
	return batchResult(s.c.ExpandPhoneVolumes(ctx, phones))
}

// ImportTraffic implements cph.PhoneService.
func (s *Services) ImportTraffic(ctx context.Context, trafficType string, phoneIDs []string) (*cph.BatchResult, error) {
	return batchResult(s.c.ImportTraffic(ctx, trafficType, phoneIDs))
}

// ExportPhoneData implements cph.PhoneService.
func (s *Services) ExportPhoneData(ctx context.Context, infos []cph.StorageInfo) (*cph.BatchResult, error) {
	return batchResult(s.c.ExportPhoneData(ctx, infos))
}

// ImportPhoneData implements cph.PhoneService.
func (s *Services) ImportPhoneData(ctx context.Context, infos []cph.RestoreInfo) (*cph.BatchResult, error) {
	return batchResult(s.c.ImportPhoneData(ctx, infos))
}

// ShowConnectInfos implements cph.PhoneService.
func (s *Services) ShowConnectInfos(ctx context.Context, clientType string, phoneIDs []string) (*cph.ConnectInfos, error) {
	return s.c.ConnectInfos(ctx, clientType, phoneIDs)
}

// RunCommand implements cph.PhoneService.
func (s *Services) RunCommand(ctx context.Context, p cph.CommandParams) (*cph.CommandResult, error) {
	res, err := s.c.RunCommand(ctx, Command(p))
	if err != nil {
		return nil, err
	}
	return &cph.CommandResult{RequestID: res.RequestID, Jobs: res.Jobs}, nil
}

// RunSyncCommand implements cph.PhoneService. Unlike
// Client.RunSyncCommand it sends an empty command as it is, for the
// server to refuse (CPS.0117).
func (s *Services) RunSyncCommand(ctx context.Context, p cph.CommandParams) (*cph.SyncCommandResult, error) {
	var out SyncCommandResult
	reqID, err := s.c.Do(ctx, Request{Method: http.MethodPost, Path: phonesPath + "/sync-commands", In: Command(p), Out: &out})
	if err != nil {
		return nil, fmt.Errorf("run sync command: %w", err)
	}
	if out.RequestID == "" {
		out.RequestID = reqID
	}
	return &cph.SyncCommandResult{RequestID: out.RequestID, Jobs: out.Jobs}, nil
}
