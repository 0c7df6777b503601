package console

import "net/http"

func (c *Console) jobs(w http.ResponseWriter, r *http.Request, s *session) error {
	c.render(w, r, s, http.StatusOK, "jobs", "Jobs", nil)
	return nil
}
