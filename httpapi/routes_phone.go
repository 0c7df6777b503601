package httpapi

import "github.com/opencph/opencph"

// phoneOpRoutes registers the phone operations beyond list/show/restart/reset/stop: property updates, ADB commands, data export and import, connection info, models.
func (s *Server) phoneOpRoutes() {
	const p = "/v1/{project_id}/cloud-phone"
	s.handle("PUT "+p+"/phones/{phone_id}", familyCPH, s.withProject(s.updatePhoneName))
	s.handle("POST "+p+"/phones/batch-update-property", familyCPH, s.withProject(s.updateProperty))
	s.handle("POST "+p+"/phones/batch-connection", familyCPH, s.withProject(s.batchConnection))
	s.handle("POST "+p+"/phones/expand-volume", familyCPH, s.withProject(s.expandVolume))
	s.handle("POST "+p+"/phones-traffic", familyCPH, s.withProject(s.importTraffic))
	s.handle("POST "+p+"/phones/batch-storage", familyCPH, s.withProject(s.exportData))
	s.handle("POST "+p+"/phones/batch-restore", familyCPH, s.withProject(s.importData))
	s.handle("POST "+p+"/phones/commands", familyCPH, s.withProject(s.runCommand))
	s.handle("POST "+p+"/phones/sync-commands", familyCPH, s.withProject(s.syncCommand),
		holds(cph.SyncCommandWait+cph.SyncCommandPhoneTimeout))

	// Object storage for the obs:// references of the operations above.
	const b = "/opencph/v1/{project_id}/buckets"
	s.handle("GET "+b, familyCPH, s.withProject(s.listBuckets))
	s.handle("PUT "+b+"/{bucket}", familyCPH, s.withProject(s.createBucket))
	s.handle("GET "+b+"/{bucket}/objects", familyCPH, s.withProject(s.listObjects))
	s.handle("PUT "+b+"/{bucket}/objects/{key...}", familyCPH, s.withProject(s.putObject))
	s.handle("GET "+b+"/{bucket}/objects/{key...}", familyCPH, s.withProject(s.getObject))
	s.handle("DELETE "+b+"/{bucket}/objects/{key...}", familyCPH, s.withProject(s.deleteObject))
}
