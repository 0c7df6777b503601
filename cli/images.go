package cli

import (
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

func (a *app) imagesListCommand() *cobra.Command {
	var (
		typ   string
		quiet bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the images the project can boot phones with",
		Args:  cobra.NoArgs,
	}
	addQuiet(cmd, &quiet)
	cmd.Flags().StringVar(&typ, "type", "", "public, private (the project's own), share (shared with it and accepted) or all (default)")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		images, err := c.ListPhoneImages(cmd.Context(), typ)
		if err != nil {
			return err
		}
		if quiet {
			return writeIDs(a.stdout, images, func(im cph.PhoneImage) string { return im.ID })
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"phone_images": images})
		}
		t := &table{header: []string{"IMAGE_ID", "NAME", "KIND", "OS", "LABEL"}}
		for _, im := range images {
			kind := "public"
			if im.IsPublic != 1 {
				kind = "private"
			}
			t.add(im.ID, im.Name, kind, im.OSName, im.Label)
		}
		return t.write(a.stdout)
	})
	return cmd
}

func (a *app) imagesCustomCommand() *cobra.Command {
	var (
		page      pageFlags
		typ, name string
	)
	cmd := &cobra.Command{
		Use:   "custom",
		Short: "List the project's custom images and those shared with it",
		Args:  cobra.NoArgs,
	}
	page.add(cmd, "images", 100)
	cmd.Flags().StringVar(&typ, "type", "", "private (the project's own) or share (shared with it and accepted); default both")
	cmd.Flags().StringVar(&name, "name", "", "keep the images whose name contains this text")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		opts := client.ListImagesOptions{Type: typ, Name: name}
		var err error
		if opts.Offset, opts.Limit, err = page.values(cmd); err != nil {
			return err
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		list, err := c.ListImages(cmd.Context(), opts)
		for page.all && err == nil && len(list.Images) < list.Total {
			opts.Offset = new(len(list.Images))
			var next *client.ImageList
			if next, err = c.ListImages(cmd.Context(), opts); err == nil {
				if len(next.Images) == 0 {
					break
				}
				list.Images = append(list.Images, next.Images...)
			}
		}
		if err != nil {
			return err
		}
		if page.quiet {
			return writeIDs(a.stdout, list.Images, func(im cph.ImageView) string { return im.ID })
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, list)
		}
		t := &table{header: []string{"IMAGE_ID", "NAME", "TYPE", "STATUS", "VERSION", "OWNER_PROJECT", "CREATED"}}
		for _, im := range list.Images {
			owner := im.ProjectID
			if im.Type == cph.ImageTypeShare {
				owner = im.SrcProjectID
			}
			t.add(im.ID, im.Name, im.Type, imageStatus(im.Status), im.Version, owner, fmtTime(im.CreateTime))
		}
		if err := t.write(a.stdout); err != nil {
			return err
		}
		if !page.all {
			a.morePages("images", opts.Offset, len(list.Images), list.Total)
		}
		return nil
	})
	return cmd
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
	cmd := &cobra.Command{
		Use:   "create NAME --phone PHONE_ID",
		Short: "Capture a running or stopped phone as a new private image (OpenCPH extension)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.Flags().StringVar(&phone, "phone", "", "the phone to capture (required)")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		if phone == "" {
			return usagef("--phone is required")
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		id, err := c.CreateImage(cmd.Context(), args[0], phone)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]string{"image_id": id})
		}
		fmt.Fprintln(a.stdout, id)
		return nil
	})
	return cmd
}

func (a *app) imagesDeleteCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete IMAGE_ID",
		Short: "Delete one of the project's custom images (refused while phones use it)",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if err := c.DeleteImage(cmd.Context(), args[0]); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "deleted image %s\n", args[0])
		return nil
	})
	return cmd
}

func (a *app) imagesShareCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "share IMAGE_ID PROJECT_ID",
		Short: "Share one of the project's custom images with another project (which must accept it)",
		Args:  cobra.ExactArgs(2),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if err := c.AddImageMember(cmd.Context(), args[0], args[1]); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "shared image %s with project %s (pending its acceptance)\n", args[0], args[1])
		return nil
	})
	return cmd
}

func (a *app) imagesMembersCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "members IMAGE_ID",
		Short: "List the projects one of the project's images is shared with",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		members, err := c.ListImageMembers(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"members": members})
		}
		t := &table{header: []string{"PROJECT_ID", "STATUS", "SHARED", "UPDATED"}}
		for _, m := range members {
			t.add(m.MemberID, m.Status, fmtMillis(m.CreateTime), fmtMillis(m.UpdateTime))
		}
		return t.write(a.stdout)
	})
	return cmd
}

// fmtMillis formats Unix milliseconds like fmtTime.
func fmtMillis(ms int64) string {
	return fmtTime(cph.NewTime(time.UnixMilli(ms)))
}

func (a *app) imagesAnswerCommand(use, status, short string) *cobra.Command {
	cmd := &cobra.Command{
		Use:   use + " IMAGE_ID",
		Short: short,
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if err := c.UpdateImageMember(cmd.Context(), args[0], status); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "%s image %s\n", status, args[0])
		return nil
	})
	return cmd
}

func (a *app) imagesUnshareCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "unshare IMAGE_ID PROJECT_ID",
		Short: "Stop sharing one of the project's images with a project",
		Args:  cobra.ExactArgs(2),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if err := c.DeleteImageMember(cmd.Context(), args[0], args[1]); err != nil {
			return err
		}
		fmt.Fprintf(a.stderr, "stopped sharing image %s with project %s\n", args[0], args[1])
		return nil
	})
	return cmd
}
