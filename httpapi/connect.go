package httpapi

import (
	"net/http"

	"github.com/opencph/opencph"
)

// batchConnection is BatchShowPhoneConnectInfos.
func (s *Server) batchConnection(w http.ResponseWriter, r *http.Request, p *cph.Principal) error {
	var req struct {
		PhoneIDs   []string `json:"phone_ids"`
		ClientType string   `json:"client_type"`
	}
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	resp, err := s.cfg.Phones.ShowConnectInfos(r.Context(), req.ClientType, req.PhoneIDs)
	if err != nil {
		return err
	}
	resp.RequestID = RequestID(r)
	writeJSON(w, http.StatusOK, resp)
	return nil
}
