package httpapi

// imageRoutes registers the image and image-sharing operations.
func (s *Server) imageRoutes() {
}
