package console

import (
	"net/http"
	"strings"
	"time"

	cph "github.com/opencph/opencph"
)

// imageRoutes registers the images pages.
func (c *Console) imageRoutes() {
	c.mux.Handle("GET /console/images", c.page(c.images))
	c.mux.Handle("POST /console/images/{id}/members", c.action(c.addImageMember))
	c.mux.Handle("POST /console/images/{id}/members/delete", c.action(c.deleteImageMember))
	c.mux.Handle("POST /console/images/{id}/answer", c.action(c.answerImage))
	c.mux.Handle("POST /console/images/answer", c.action(c.answerImage))
	c.mux.Handle("POST /console/images/{id}/delete", c.action(c.deleteImage))
}

// imagePageSize is the custom images of one page: each private one's
// members are listed with it.
const imagePageSize = 20

// imageRow is a custom image with, for the project's own, its members.
type imageRow struct {
	*cph.ImageView
	Members []memberRow
	// MembersError says why the members could not be listed.
	MembersError string
}

// memberRow is a project an image is shared with.
type memberRow struct{ *cph.ImageMember }

// Since is when the image was shared with the project.
func (m memberRow) Since() string { return when(time.UnixMilli(m.CreateTime)) }

// Private reports whether the image is the project's own.
func (i imageRow) Private() bool { return i.Type == cph.ImageTypePrivate }

// StatusName is the image's status in words.
func (i imageRow) StatusName() string {
	switch i.Status {
	case cph.ImageCreating:
		return "creating"
	case cph.ImageProduction:
		return "ready"
	case cph.ImageCreateFailed:
		return "creation failed"
	}
	return "unknown"
}

// SizeMB is the image's size in MiB.
func (i imageRow) SizeMB() int { return int(i.Size >> 20) }

type imagesPage struct {
	Images     []imageRow
	Public     []*cph.PhoneImage
	Pager      pager
	MaxMembers int
}

func (c *Console) images(w http.ResponseWriter, r *http.Request, s *session) error {
	offset, err := parseOffset(r.URL.Query().Get("offset"))
	if err != nil {
		return err
	}
	return c.renderImages(w, r, s, offset, "", nil)
}

// renderImages renders the images page at offset, with the answer of an
// action just taken (a message, or a refusal in plain words).
func (c *Console) renderImages(w http.ResponseWriter, r *http.Request, s *session, offset int, flash string, failure error) error {
	ctx := s.ctx(r)
	pg, err := c.cfg.Images.ListImages(ctx, cph.ImageFilter{ProjectID: s.caller.ProjectID, Offset: offset, Limit: imagePageSize})
	if err != nil {
		return err
	}
	public, err := c.cfg.Images.ListPhoneImages(ctx, cph.PhoneImageFilter{Type: cph.ImageTypePublic})
	if err != nil {
		return err
	}
	// Public images and an image's members (at most cph.MaxImageMembers)
	// fit in one page of their lists.
	d := imagesPage{Public: public.Images, MaxMembers: cph.MaxImageMembers,
		Pager: pager{Base: Prefix + "images", Offset: offset, Size: imagePageSize, Count: len(pg.Images), Total: pg.Total}}
	for _, im := range pg.Images {
		row := imageRow{ImageView: im}
		if row.Private() {
			members, err := c.cfg.Images.ListImageMembers(ctx, im.ID, cph.MarkerPage{})
			if err != nil {
				row.MembersError = plainError(err)
			} else {
				for _, m := range members.Members {
					row.Members = append(row.Members, memberRow{m})
				}
			}
		}
		d.Images = append(d.Images, row)
	}
	v := view{Title: "Images", Session: s, Nav: "images", Path: r.URL.RequestURI(), Data: d, Flash: flash, FlashOK: flash != ""}
	status := http.StatusOK
	if failure != nil {
		v.Flash, v.FlashCode, v.FlashOK = plainError(failure), cph.ErrorCode(failure), false
		status = cph.AsError(failure).Status
	}
	c.renderView(w, r, status, "images", v)
	return nil
}

// imageID returns the image ID of the request's path, or refuses it.
func imageID(r *http.Request) (string, error) {
	id := r.PathValue("id")
	if id == "" {
		// The answer form names the image in a field.
		id = strings.TrimSpace(r.PostFormValue("image"))
	}
	if !cph.ValidID(id) {
		return "", cph.ErrImageNotFound()
	}
	return id, nil
}

// imageAction runs an action on the image of the request's path and
// renders the images page with its outcome: a refusal of the services is
// shown at the top of the page, so that the form can be used again.
func (c *Console) imageAction(w http.ResponseWriter, r *http.Request, s *session, operation string, do func(id string) (string, error)) error {
	id, err := imageID(r)
	if err != nil {
		return err
	}
	offset, _ := parseOffset(r.PostFormValue("offset"))
	msg, err := do(id)
	c.auditAction(r, s, operation, []string{id}, "", err)
	if err != nil {
		return c.renderImages(w, r, s, offset, "", err)
	}
	return c.renderImages(w, r, s, offset, msg, nil)
}

// addImageMember shares an own image with another project.
func (c *Console) addImageMember(w http.ResponseWriter, r *http.Request, s *session) error {
	member := strings.TrimSpace(r.PostFormValue("member"))
	return c.imageAction(w, r, s, "AddImageMember", func(id string) (string, error) {
		if member == "" {
			return "", userParamError("member_id", "Enter the ID of the project to share the image with.")
		}
		if err := c.cfg.Images.AddImageMember(s.ctx(r), id, member); err != nil {
			return "", err
		}
		return "The image is shared with project " + member + ": it can use the image once it accepts it.", nil
	})
}

// deleteImageMember stops sharing an own image with a project.
func (c *Console) deleteImageMember(w http.ResponseWriter, r *http.Request, s *session) error {
	member := strings.TrimSpace(r.PostFormValue("member"))
	return c.imageAction(w, r, s, "DeleteImageMember", func(id string) (string, error) {
		if err := c.cfg.Images.DeleteImageMember(s.ctx(r), id, member); err != nil {
			return "", err
		}
		return "The image is no longer shared with project " + member + ".", nil
	})
}

// answerImage accepts or rejects an image shared with the project.
func (c *Console) answerImage(w http.ResponseWriter, r *http.Request, s *session) error {
	status := r.PostFormValue("status")
	return c.imageAction(w, r, s, "UpdateImageMember", func(id string) (string, error) {
		if err := c.cfg.Images.UpdateImageMember(s.ctx(r), id, cph.ImageMemberUpdate{Status: status}); err != nil {
			return "", err
		}
		if status == cph.MemberAccepted {
			return "The image " + id + " is accepted: the project's phones can use it.", nil
		}
		return "The image " + id + " is rejected.", nil
	})
}

// deleteImage deletes an own image.
func (c *Console) deleteImage(w http.ResponseWriter, r *http.Request, s *session) error {
	return c.imageAction(w, r, s, "DeleteImage", func(id string) (string, error) {
		if err := c.cfg.Images.DeleteImage(s.ctx(r), id); err != nil {
			return "", err
		}
		return "The image " + id + " is deleted.", nil
	})
}
