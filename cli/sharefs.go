package cli

import (
	"context"
	"strings"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// serversShareCommands are the servers' shared file systems, shared-app
// snapshots and flavor offerings.
func (a *app) serversShareCommands() []*cobra.Command {
	return []*cobra.Command{a.serversShareFSCommand(), a.serversShareAppsCommand(), a.serversOfferingsCommand()}
}

func (a *app) serversShareFSCommand() *cobra.Command {
	var path string
	attach := a.shareOp("attach FS_ID", "Mount a shared file system (sfs_turbo) the deployment declares on servers", cobra.ExactArgs(1),
		func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&path, "path", "", "sub-directory of the file system to mount (default: its root)")
		},
		func(ctx context.Context, c *client.Client, args, servers []string) (*client.ServerBatchResult, error) {
			return c.AttachShareFilesystem(ctx, client.ShareFilesystemParams{Type: cph.ShareFilesystemTypeSFSTurbo, ID: args[0], ServerIDs: servers, Path: path})
		})
	detach := a.shareOp("detach FS_ID", "Unmount a shared file system from servers", cobra.ExactArgs(1), nil,
		func(ctx context.Context, c *client.Client, args, servers []string) (*client.ServerBatchResult, error) {
			return c.DetachShareFilesystem(ctx, client.ShareFilesystemParams{Type: cph.ShareFilesystemTypeSFSTurbo, ID: args[0], ServerIDs: servers})
		})
	list := withID(command[[]cph.ShareFilesystemMount]{
		Use: "list SERVER_ID", Short: "List the shared file systems mounted on a server",
		JSON: func(m []cph.ShareFilesystemMount) any { return map[string]any{"share_filesystems": m} },
		Table: func(m []cph.ShareFilesystemMount) *table {
			return tableOf(m, []string{"ID", "TYPE", "PATH", "MOUNT_POINT", "STATE", "MOUNT_TIME"}, func(m cph.ShareFilesystemMount) []string {
				return []string{m.ID, m.Type, m.Path, m.MountPoint, m.State, fmtTime(m.MountTime)}
			})
		},
	}, (*client.Client).ShareFilesystems).build(a)
	return group("share-fs", "Mount and unmount shared file systems on servers", attach, detach, list)
}

func (a *app) serversShareAppsCommand() *cobra.Command {
	var pkg string
	return command[[]cph.ShareApp]{
		Use: "share-apps SERVER_ID", Short: "List the shared apps of a server with their versions (all pages)", Args: cobra.ExactArgs(1),
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&pkg, "package", "", "only this package name")
		},
		Call: func(ctx context.Context, c *client.Client, args []string) ([]cph.ShareApp, error) {
			apps := []cph.ShareApp{}
			for marker := ""; ; {
				s, err := c.ShareAppsSnapshot(ctx, args[0], pkg, marker, new(cph.MaxShareAppsPage))
				if err != nil {
					return nil, err
				}
				apps = append(apps, s.ShareApps...)
				if marker = s.PageInfo.NextMarker; marker == "" {
					return apps, nil
				}
			}
		},
		JSON: func(apps []cph.ShareApp) any { return map[string]any{"share_apps": apps} },
		Table: func(apps []cph.ShareApp) *table {
			return tableOf(apps, []string{"PACKAGE", "VERSIONS"}, func(a cph.ShareApp) []string {
				return []string{a.PackageName, strings.Join(a.Versions, ",")}
			})
		},
	}.build(a)
}

func (a *app) serversOfferingsCommand() *cobra.Command {
	return listCommand(a, "offerings", "List the sale status of each server flavor in each availability zone (all pages)", "models",
		func(ctx context.Context, c *client.Client) ([]cph.ServerModelOffering, error) {
			out := []cph.ServerModelOffering{}
			for marker := ""; ; {
				o, err := c.ServerModelOfferings(ctx, marker, new(cph.MaxOfferingsPage))
				if err != nil {
					return nil, err
				}
				out = append(out, o.Models...)
				if marker = o.PageInfo.NextMarker; marker == "" {
					return out, nil
				}
			}
		},
		[]string{"AVAILABLE_ZONE", "MODEL_NAME", "SELL_STATUS"},
		func(o cph.ServerModelOffering) []string { return []string{o.AvailableZone, o.ModelName, o.SellStatus} })
}
