package httpapi

// serverRoutes registers the server, bandwidth, encode-server, shared storage/app and tag operations.
func (s *Server) serverRoutes() {
	const p = "/v1/{project_id}/cloud-phone"
	s.handle("GET "+p+"/servers/{server_id}", familyCPH, s.withProject(s.showServer))
	s.handle("PUT "+p+"/servers/{server_id}", familyCPH, s.withProject(s.renameServer))
	s.handle("POST "+p+"/servers/batch-restart", familyCPH, s.withProject(s.restartServers))
	s.handle("GET "+p+"/server-models", familyCPH, s.withProject(s.listServerModels))
	s.handle("GET "+p+"/phone-models", familyCPH, s.withProject(s.listPhoneModels))
	s.handle("POST /v2/{project_id}/cloud-phone/servers", familyCPH, s.withProject(s.createServers))
	s.handle("POST /v2.1/{project_id}/cloud-phone/servers", familyCPH, s.withProject(s.createSingleServers))
	s.handle("DELETE /v2/{project_id}/cloud-phone/servers", familyCPH, s.withProject(s.deleteServers))
	s.handle("POST /v2/{project_id}/cloud-phone/servers/{server_id}/change", familyCPH, s.withProject(s.changeServer))
	s.handle("POST "+p+"/servers/change-server-model", familyCPH, s.withProject(s.changeServerModel))
	s.handle("PUT "+p+"/servers/open-access", familyCPH, s.withProject(s.updateKeypair))
	s.handle("GET "+p+"/bandwidths", familyCPH, s.withProject(s.listBandwidths))
	s.handle("PUT "+p+"/bandwidths/{band_width_id}", familyCPH, s.withProject(s.updateBandwidth))
	s.handle("GET "+p+"/encode-servers", familyCPH, s.withProject(s.listEncodeServers))
	s.handle("POST "+p+"/encode-servers/batch-restart", familyCPH, s.withProject(s.restartEncodeServers))
	s.handle("POST "+p+"/phones/share-files", familyCPH, s.withProject(s.shareFiles))
	s.handle("GET "+p+"/servers/share-files", familyCPH, s.withProject(s.listShareFiles))
	s.handle("POST "+p+"/phones/share-apps", familyCPH, s.withProject(s.pushShareApps))
	s.handle("DELETE "+p+"/phones/share-apps", familyCPH, s.withProject(s.deleteShareApps))

	// Outside /cloud-phone/: literal segments, so they never meet the tag
	// routes (registered with the literal resource type below).
	s.handle("POST /v1/{project_id}/servers/attach-share-filesystem", familyCPH, s.withProject(s.attachShareFilesystem))
	s.handle("POST /v1/{project_id}/servers/detach-share-filesystem", familyCPH, s.withProject(s.detachShareFilesystem))
	s.handle("GET /v1/{project_id}/servers/{server_id}/share-apps-snapshot", familyCPH, s.withProject(s.listShareAppsSnapshot))
	s.handle("GET /v1/{project_id}/server-model-offerings", familyCPH, s.withProject(s.listServerModelOfferings))
	s.handle("GET /opencph/v1/{project_id}/servers/{server_id}/share-filesystems", familyCPH, s.withProject(s.listShareFilesystemMounts))

	// Tags: one set of routes per resource type, with the type literal
	// in the path; another type is answered 400 CPS.9011.
	for _, rt := range tagResourceTypes {
		s.tagRoutes(rt)
	}
}
