package httpapi

import (
	"net/http"

	"github.com/opencph/opencph"
)

// credentialDoc is an access key as the IAM API shows it.
type credentialDoc struct {
	Access      string  `json:"access"`
	Secret      string  `json:"secret,omitempty"`
	Status      string  `json:"status"`
	UserID      string  `json:"user_id"`
	Description string  `json:"description"`
	CreateTime  string  `json:"create_time"`
	LastUseTime *string `json:"last_use_time,omitempty"`
}

func credentialBody(k *cph.AccessKey, withLastUse bool) credentialDoc {
	d := credentialDoc{Access: k.Access, Status: k.Status, UserID: k.UserID, Description: k.Description,
		CreateTime: k.CreatedAt.UTC().Format(iamTimeLayout)}
	if withLastUse {
		v := ""
		if !k.LastUsedAt.IsZero() {
			v = k.LastUsedAt.UTC().Format(iamTimeLayout)
		}
		d.LastUseTime = &v
	}
	return d
}

// createCredential is POST /v3.0/OS-CREDENTIAL/credentials.
func (s *Server) createCredential(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		Credential *struct {
			UserID      string `json:"user_id"`
			Description string `json:"description"`
		} `json:"credential"`
	}
	if err := decodeBody(r, &req); err != nil {
		return keystoneBodyError(err)
	}
	if req.Credential == nil || req.Credential.UserID == "" {
		return badRequest("The body needs credential.user_id.")
	}
	k, err := s.cfg.Identity.CreateAccessKey(callerContext(r, p), cph.CreateAccessKeyParams{UserID: req.Credential.UserID,
		Description: req.Credential.Description})
	if err != nil {
		return err
	}
	doc := credentialBody(&k.AccessKey, false)
	doc.Secret = k.Secret
	writeJSON(w, http.StatusCreated, map[string]any{"credential": doc})
	return nil
}

// listCredentials is GET /v3.0/OS-CREDENTIAL/credentials[?user_id=].
func (s *Server) listCredentials(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	keys, err := s.cfg.Identity.ListAccessKeys(callerContext(r, p), cph.AccessKeyFilter{UserID: r.URL.Query().Get("user_id")})
	if err != nil {
		return err
	}
	out := []credentialDoc{}
	for _, k := range keys {
		out = append(out, credentialBody(k, false))
	}
	writeJSON(w, http.StatusOK, map[string]any{"credentials": out})
	return nil
}

// showCredential is GET /v3.0/OS-CREDENTIAL/credentials/{access_key}.
func (s *Server) showCredential(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	k, err := s.cfg.Identity.ShowAccessKey(callerContext(r, p), r.PathValue("access_key"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"credential": credentialBody(k, true)})
	return nil
}

// updateCredential is PUT /v3.0/OS-CREDENTIAL/credentials/{access_key}.
func (s *Server) updateCredential(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	var req struct {
		Credential *struct {
			Status      *string `json:"status"`
			Description *string `json:"description"`
		} `json:"credential"`
	}
	if err := decodeBody(r, &req); err != nil {
		return keystoneBodyError(err)
	}
	if req.Credential == nil || (req.Credential.Status == nil && req.Credential.Description == nil) {
		return badRequest("The body needs credential.status or credential.description.")
	}
	k, err := s.cfg.Identity.UpdateAccessKey(callerContext(r, p), r.PathValue("access_key"),
		cph.AccessKeyUpdate{Status: req.Credential.Status, Description: req.Credential.Description})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"credential": credentialBody(k, false)})
	return nil
}

// deleteCredential is DELETE /v3.0/OS-CREDENTIAL/credentials/{access_key}.
func (s *Server) deleteCredential(w http.ResponseWriter, r *http.Request) error {
	p, err := s.authenticate(r)
	if err != nil {
		return err
	}
	if err := s.cfg.Identity.DeleteAccessKey(callerContext(r, p), r.PathValue("access_key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
