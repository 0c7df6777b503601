package httpapi

// imageRoutes registers the image and image-sharing operations, and the
// OpenCPH extension that creates private images.
func (s *Server) imageRoutes() {
	const p = "/v1/{project_id}/cloud-phone"
	s.handle("GET "+p+"/phone-images", familyCPH, s.withProject(s.listPhoneImages))
	s.handle("GET "+p+"/images", familyCPH, s.withProject(s.listImages))
	s.handle("DELETE "+p+"/images/{image_id}", familyCPH, s.withProject(s.deleteImage))
	s.handle("POST "+p+"/images/{image_id}/members", familyCPH, s.withProject(s.addImageMember))
	s.handle("GET "+p+"/images/{image_id}/members", familyCPH, s.withProject(s.listImageMembers))
	s.handle("PUT "+p+"/images/{image_id}/members", familyCPH, s.withProject(s.updateImageMember))
	s.handle("DELETE "+p+"/images/{image_id}/members/{member_id}", familyCPH, s.withProject(s.deleteImageMember))
	s.handle("POST /opencph/v1/{project_id}/images", familyCPH, s.withProject(s.createImage))
	s.handle("GET /openapi.json", familyCPH, s.openAPI)
}
