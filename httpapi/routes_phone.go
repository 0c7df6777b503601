package httpapi

// phoneOpRoutes registers the phone operations beyond list/show/restart/reset/stop: property updates, ADB commands, data export and import, connection info, models.
func (s *Server) phoneOpRoutes() {
}
