package console

import "net/http"

func (c *Console) screenshot(w http.ResponseWriter, r *http.Request, s *session) error {
	http.NotFound(w, r)
	return nil
}
