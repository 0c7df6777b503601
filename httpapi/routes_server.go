package httpapi

// serverRoutes registers the server, bandwidth, encode-server, shared storage/app and tag operations.
func (s *Server) serverRoutes() {
}
