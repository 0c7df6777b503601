package console

import "net/http"

func (c *Console) overview(w http.ResponseWriter, r *http.Request, s *session) error {
	c.render(w, r, s, http.StatusOK, "overview", "Overview", nil)
	return nil
}
