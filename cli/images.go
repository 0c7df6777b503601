package cli

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

func (a *app) imagesCommand() *cobra.Command {
	return group("images", "List, create, delete and share phone images",
		a.imagesListCommand(),
		a.imagesCustomCommand(),
		a.imagesCreateCommand(),
		a.imagesDeleteCommand(),
		a.imagesShareCommand(),
		a.imagesMembersCommand(),
		a.imagesAnswerCommand("accept", cph.MemberAccepted, "Accept an image another project shared with this one"),
		a.imagesAnswerCommand("reject", cph.MemberRejected, "Reject an image another project shared with this one"),
		a.imagesUnshareCommand(),
	)
}

// phoneImagePage is what "cph images list" got: every image, or with
// --marker or --limit one page and the marker of the next ("" on the
// last page).
type phoneImagePage struct {
	images []cph.PhoneImage
	paged  bool
	next   string
}

func (a *app) imagesListCommand() *cobra.Command {
	var (
		typ    string
		marker string
		limit  int
	)
	return command[phoneImagePage]{
		Use:   "list",
		Short: "List the images the project can boot phones with",
		Long: `List the public images, the project's own and those other projects shared with
it (ListCloudPhoneImages), public first, then own, then shared. A shared image
shows whether the project accepted it (RECEIVED: pending, accepted or
rejected); only accepted ones boot phones. Without --marker or --limit every
page is read; with them one page, and the marker of the next is told on
stderr.`,
		Args: cobra.NoArgs,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&typ, "type", "", "public, private (the project's own), share (shared with it) or all (default)")
			cmd.Flags().StringVar(&marker, "marker", "", "the marker of the previous page (an image id): list the images after it")
			cmd.Flags().IntVar(&limit, "limit", 0, fmt.Sprintf("page size, 1 to %d (default: the server's, %d)", cph.MaxPhoneImagePage, cph.MaxPhoneImagePage))
		},
		Check: func(cmd *cobra.Command, _ []string, _ *settings) error {
			if cmd.Flags().Changed("limit") && (limit < 1 || limit > cph.MaxPhoneImagePage) {
				return usagef("invalid --limit %d: the page size is 1 to %d", limit, cph.MaxPhoneImagePage)
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (phoneImagePage, error) {
			if marker == "" && limit == 0 {
				images, err := c.ListPhoneImages(ctx, typ)
				return phoneImagePage{images: images}, err
			}
			images, next, err := c.ListPhoneImagesPage(ctx, typ, cph.MarkerPage{Marker: marker, Limit: limit})
			if err == nil && next != "" {
				fmt.Fprintf(a.stderr, "more images follow; use --marker %s\n", next)
			}
			return phoneImagePage{images: images, paged: true, next: next}, err
		},
		IDs: func(p phoneImagePage) []string {
			return ids(p.images, func(im cph.PhoneImage) string { return im.ID })
		},
		JSON: func(p phoneImagePage) any {
			if !p.paged {
				return map[string]any{"phone_images": p.images}
			}
			return map[string]any{"phone_images": p.images, "page_info": cph.PageInfo{NextMarker: p.next}}
		},
		Table: func(p phoneImagePage) *table {
			t := &table{header: []string{"IMAGE_ID", "NAME", "KIND", "OS", "LABEL", "RECEIVED"}}
			for _, im := range p.images {
				kind, received := "public", ""
				switch {
				case im.ReceiveStatus != nil:
					kind = "shared"
					received = map[int32]string{cph.ReceivePending: "pending", cph.ReceiveAccepted: "accepted", cph.ReceiveRejected: "rejected"}[*im.ReceiveStatus]
				case im.IsPublic != 1:
					kind = "private"
				}
				t.add(im.ID, im.Name, kind, im.OSName, im.Label, received)
			}
			return t
		},
	}.build(a)
}

func (a *app) imagesCustomCommand() *cobra.Command {
	var (
		opts client.ListImagesOptions
		page = &pageFlags{what: "images", maxLimit: 100}
	)
	return command[*client.ImageList]{
		Use:   "custom",
		Short: "List the project's custom images and those shared with it",
		Args:  cobra.NoArgs,
		Page:  page,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&opts.Type, "type", "", "private (the project's own) or share (shared with it and accepted); default both")
			cmd.Flags().StringVar(&opts.Name, "name", "", "keep the images whose name contains this text")
		},
		Check: func(cmd *cobra.Command, _ []string, _ *settings) (err error) {
			opts.Offset, opts.Limit, err = page.values(cmd)
			return err
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (*client.ImageList, error) {
			list, err := c.ListImages(ctx, opts)
			for page.all && err == nil && len(list.Images) < list.Total {
				opts.Offset = new(len(list.Images))
				var next *client.ImageList
				if next, err = c.ListImages(ctx, opts); err == nil {
					if len(next.Images) == 0 {
						break
					}
					list.Images = append(list.Images, next.Images...)
				}
			}
			return list, err
		},
		IDs: func(l *client.ImageList) []string {
			return ids(l.Images, func(im cph.ImageView) string { return im.ID })
		},
		Table: func(l *client.ImageList) *table {
			t := &table{header: []string{"IMAGE_ID", "NAME", "TYPE", "STATUS", "VERSION", "OWNER_PROJECT", "CREATED"}}
			for _, im := range l.Images {
				owner := im.ProjectID
				if im.Type == cph.ImageTypeShare {
					owner = im.SrcProjectID
				}
				t.add(im.ID, im.Name, im.Type, imageStatus(im.Status), im.Version, owner, fmtTime(im.CreateTime))
			}
			return t
		},
		More: func(l *client.ImageList) (int, int) { return len(l.Images), l.Total },
	}.build(a)
}

// imageStatus names a custom image status.
func imageStatus(s cph.ImageStatus) string {
	switch s {
	case cph.ImageCreating:
		return "creating"
	case cph.ImageProduction:
		return "ready"
	case cph.ImageCreateFailed:
		return "failed"
	}
	return strconv.Itoa(int(s))
}

func (a *app) imagesCreateCommand() *cobra.Command {
	var phone string
	return command[string]{
		Use:   "create NAME --phone PHONE_ID",
		Short: "Capture a running or stopped phone as a new private image (OpenCPH extension)",
		Args:  cobra.ExactArgs(1),
		Flags: stringFlag(&phone, "phone", "", "the phone to capture (required)"),
		Check: func(*cobra.Command, []string, *settings) error {
			if phone == "" {
				return usagef("--phone is required")
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (string, error) {
			return c.CreateImage(ctx, args[0], phone)
		},
		JSON: func(id string) any { return map[string]string{"image_id": id} },
		Text: func(id string) error {
			fmt.Fprintln(a.stdout, id)
			return nil
		},
	}.build(a)
}

// imageMemberCommand builds a command that changes an image's sharing and
// tells on stderr what it did: note formats the arguments.
func (a *app) imageMemberCommand(use, short string, args cobra.PositionalArgs, send func(ctx context.Context, c *client.Client, args []string) error, note string) *cobra.Command {
	return command[none]{
		Use: use, Short: short, Args: args,
		Call: func(ctx context.Context, c *client.Client, args []string) (none, error) {
			return nothing(send(ctx, c, args))
		},
		Done: func(args []string, _ none) error {
			fmt.Fprintf(a.stderr, note+"\n", anys(args)...)
			return nil
		},
	}.build(a)
}

// anys returns the strings as values of type any.
func anys(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

func (a *app) imagesDeleteCommand() *cobra.Command {
	return a.imageMemberCommand("delete IMAGE_ID", "Delete one of the project's custom images (refused while phones use it)", cobra.ExactArgs(1),
		func(ctx context.Context, c *client.Client, args []string) error { return c.DeleteImage(ctx, args[0]) },
		"deleted image %s")
}

func (a *app) imagesShareCommand() *cobra.Command {
	return a.imageMemberCommand("share IMAGE_ID PROJECT_ID", "Share one of the project's custom images with another project (which must accept it)", cobra.ExactArgs(2),
		func(ctx context.Context, c *client.Client, args []string) error {
			return c.AddImageMember(ctx, args[0], args[1])
		},
		"shared image %s with project %s (pending its acceptance)")
}

func (a *app) imagesMembersCommand() *cobra.Command {
	return withID(command[[]cph.ImageMember]{
		Use:   "members IMAGE_ID",
		Short: "List the projects one of the project's images is shared with",
		JSON:  func(members []cph.ImageMember) any { return map[string]any{"members": members} },
		Table: func(members []cph.ImageMember) *table {
			t := &table{header: []string{"PROJECT_ID", "STATUS", "SHARED", "UPDATED"}}
			for _, m := range members {
				t.add(m.MemberID, m.Status, fmtMillis(m.CreateTime), fmtMillis(m.UpdateTime))
			}
			return t
		},
	}, (*client.Client).ListImageMembers).build(a)
}

// fmtMillis formats Unix milliseconds like fmtTime.
func fmtMillis(ms int64) string {
	return fmtTime(cph.NewTime(time.UnixMilli(ms)))
}

func (a *app) imagesAnswerCommand(use, status, short string) *cobra.Command {
	return a.imageMemberCommand(use+" IMAGE_ID", short, cobra.ExactArgs(1),
		func(ctx context.Context, c *client.Client, args []string) error {
			return c.UpdateImageMember(ctx, args[0], status)
		},
		status+" image %s")
}

func (a *app) imagesUnshareCommand() *cobra.Command {
	return a.imageMemberCommand("unshare IMAGE_ID PROJECT_ID", "Stop sharing one of the project's images with a project", cobra.ExactArgs(2),
		func(ctx context.Context, c *client.Client, args []string) error {
			return c.DeleteImageMember(ctx, args[0], args[1])
		},
		"stopped sharing image %s with project %s")
}
