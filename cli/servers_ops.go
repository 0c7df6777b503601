package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// serverOpCommands are the subcommands of "cph servers" beyond list and show.
func (a *app) serverOpCommands() []*cobra.Command {
	return []*cobra.Command{
		a.serversRenameCommand(), a.serversRestartCommand(), a.serversDeleteCommand(), a.serversCreateCommand(),
		a.serversChangeCommand(), a.serversChangeModelCommand(), a.serversKeypairCommand(), a.serversTagsCommand(),
	}
}

// serverAreaCommands are the top-level commands of the server area.
func (a *app) serverAreaCommands() []*cobra.Command {
	return []*cobra.Command{a.modelsCommand(), a.encodeServersCommand(), a.bandwidthsCommand(), a.shareFilesCommand(), a.shareAppsCommand()}
}

func (a *app) serversRenameCommand() *cobra.Command {
	return command[none]{
		Use: "rename SERVER_ID NAME", Short: "Rename a phone server", Args: cobra.ExactArgs(2),
		Call: func(ctx context.Context, c *client.Client, args []string) (none, error) {
			return nothing(c.RenameServer(ctx, args[0], args[1]))
		},
	}.build(a)
}

// serverBatch prints the answer of an asynchronous server operation and,
// with --wait, waits for its jobs; it fails when an item was refused or a
// job failed.
func (a *app) serverBatch(ctx context.Context, s settings, c *client.Client, res *client.ServerBatchResult, wf waitFlags) error {
	rememberRequest(s, res.RequestID)
	if s.Output == "json" && !wf.wait {
		if err := writeJSON(a.stdout, res); err != nil {
			return err
		}
	} else if s.Output != "json" {
		fmt.Fprintf(a.stdout, "request_id: %s\n", res.RequestID)
		t := &table{header: []string{"SERVER_ID", "JOB_ID", "ERROR_CODE", "ERROR_MSG"}}
		for _, j := range res.Jobs {
			t.add(j.ServerID, j.JobID, j.ErrorCode, j.ErrorMsg)
		}
		if err := t.write(a.stdout); err != nil {
			return err
		}
	}
	failed, accepted := 0, 0
	for _, j := range res.Jobs {
		if j.ErrorCode != "" || j.JobID == "" {
			failed++
			a.printFailure(j.ServerID, "", j.ErrorCode, j.ErrorMsg)
		} else {
			accepted++
		}
	}
	if wf.wait && accepted > 0 {
		jobs, err := a.waitJobs(ctx, c, res.RequestID, wf)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			if err := writeJSON(a.stdout, map[string]any{"request_id": res.RequestID, "jobs": res.Jobs, "results": jobs}); err != nil {
				return err
			}
		} else {
			fmt.Fprintln(a.stdout)
			if err := jobsTable(jobs).write(a.stdout); err != nil {
				return err
			}
		}
		failed += a.printFailedJobs(jobs)
	}
	if failed > 0 {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d servers refused or failed", failed, len(res.Jobs))}
	}
	return nil
}

// serverOp builds an asynchronous server operation: it prints the answer
// and, with --wait, waits for the jobs (serverBatch).
func (a *app) serverOp(c command[*client.ServerBatchResult]) *cobra.Command {
	c.Wait = &waitFlags{}
	c.Output = a.serverBatch
	return c.build(a)
}

func (a *app) serversRestartCommand() *cobra.Command {
	return a.serverOp(command[*client.ServerBatchResult]{
		Use: "restart SERVER_ID...", Short: "Restart phone servers and all their phones", Args: cobra.MinimumNArgs(1),
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.ServerBatchResult, error) {
			return c.RestartServers(ctx, args)
		},
	})
}

func (a *app) serversKeypairCommand() *cobra.Command {
	return a.serverOp(command[*client.ServerBatchResult]{
		Use: "keypair KEYPAIR_NAME SERVER_ID...", Short: "Change the key pair of phone servers", Args: cobra.MinimumNArgs(2),
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.ServerBatchResult, error) {
			var ks []client.ServerKeypair
			for _, id := range args[1:] {
				ks = append(ks, client.ServerKeypair{ServerID: id, KeypairName: args[0]})
			}
			return c.UpdateKeypairs(ctx, ks)
		},
	})
}

// singleJob prints the answer of a one-job operation and, with --wait,
// waits for the job.
func (a *app) singleJob(ctx context.Context, s settings, c *client.Client, res *client.SingleJob, wf waitFlags) error {
	if !wf.wait {
		if s.Output == "json" {
			return writeJSON(a.stdout, res)
		}
		return writeFields(a.stdout, "request_id", res.RequestID, "job_id", res.JobID)
	}
	jobs, err := a.waitJobs(ctx, c, res.RequestID, wf)
	if err != nil {
		return err
	}
	if s.Output == "json" {
		if err := writeJSON(a.stdout, jobs); err != nil {
			return err
		}
	} else if err := jobsTable(jobs).write(a.stdout); err != nil {
		return err
	}
	if a.printFailedJobs(jobs) > 0 {
		return errFailed
	}
	return nil
}

func (a *app) serversDeleteCommand() *cobra.Command {
	return command[*client.SingleJob]{
		Use: "delete SERVER_ID...", Short: "Delete phone servers and their phones (at most 10)", Args: cobra.MinimumNArgs(1),
		Wait: &waitFlags{},
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.SingleJob, error) {
			return c.DeleteServers(ctx, args)
		},
		Output: a.singleJob,
	}.build(a)
}

// networkFlags are the network settings of server creation and change.
type networkFlags struct {
	vpc, subnet, bandwidthID string
	bandwidthSize            int32
}

func (n *networkFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&n.vpc, "vpc", "00000000-0000-4000-8000-000000000001", "tenant VPC ID (dashed UUID)")
	cmd.Flags().StringVar(&n.subnet, "subnet", "00000000-0000-4000-8000-000000000002", "subnet ID (dashed UUID)")
	cmd.Flags().StringVar(&n.bandwidthID, "bandwidth-id", "", "attach this shared bandwidth instead of a dedicated one")
	cmd.Flags().Int32Var(&n.bandwidthSize, "bandwidth-size", 10, "size of a dedicated bandwidth, Mbit/s")
}

func (n *networkFlags) bandwidth() client.Bandwidth {
	if n.bandwidthID != "" {
		return client.Bandwidth{ID: n.bandwidthID, ShareType: 1}
	}
	size := n.bandwidthSize
	return client.Bandwidth{Size: &size}
}

// orderFields are the fields of an order in table output.
func orderFields(o *client.Order) []string {
	return []string{"request_id", o.RequestID, "order_id", o.OrderID}
}

func (a *app) serversCreateCommand() *cobra.Command {
	var (
		net                                     networkFlags
		serverModel, phoneModel, image, keypair string
		count                                   int
	)
	return command[*client.Order]{
		Use: "create NAME", Short: "Buy phone servers with phones (created in the background)", Args: cobra.ExactArgs(1),
		Flags: func(cmd *cobra.Command) {
			net.add(cmd)
			cmd.Flags().StringVar(&serverModel, "server-model", "physical.rx1.xlarge", "server flavor (see 'cph models servers')")
			cmd.Flags().StringVar(&phoneModel, "phone-model", "rx1.cp.c15.d46.e1v1", "phone flavor (see 'cph models phones')")
			cmd.Flags().StringVar(&image, "image", "a1b2c3d4e5f60718293a4b5c6d7e8f11", "phone image ID")
			cmd.Flags().StringVar(&keypair, "keypair", "", "key pair name")
			cmd.Flags().IntVar(&count, "count", 1, "number of servers, 1 to 10")
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.Order, error) {
			return c.CreateServers(ctx, client.CreateServersRequest{
				ServerName: args[0], ServerModelName: serverModel, PhoneModelName: phoneModel, ImageID: image, Count: count,
				KeypairName: keypair, ExtendParam: client.ExtendParam{PeriodType: 2, PeriodNum: 1}, TenantVPCID: net.vpc,
				Nics: []client.Nic{{SubnetID: net.subnet}}, Bandwidth: net.bandwidth(),
			})
		},
		Fields: func(o *client.Order) []string {
			return append(orderFields(o), "server_ids", strings.Join(o.ServerIDs, ","))
		},
	}.build(a)
}

func (a *app) serversChangeCommand() *cobra.Command {
	var (
		net                        networkFlags
		phoneModel, image, keypair string
	)
	return command[*client.SingleJob]{
		Use: "change SERVER_ID", Short: "Rebuild a server with a new phone flavor and image; its phones are recreated", Args: cobra.ExactArgs(1),
		Wait: &waitFlags{},
		Flags: func(cmd *cobra.Command) {
			net.add(cmd)
			cmd.Flags().StringVar(&phoneModel, "phone-model", "", "new phone flavor")
			cmd.Flags().StringVar(&image, "image", "", "new phone image ID")
			cmd.Flags().StringVar(&keypair, "keypair", "", "new key pair name")
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.SingleJob, error) {
			return c.ChangeServer(ctx, args[0], client.ChangeServerRequest{
				PhoneModelName: phoneModel, ImageID: image, KeypairName: keypair, TenantVPCID: net.vpc,
				Nics: []client.Nic{{SubnetID: net.subnet}}, Bandwidth: net.bandwidth(),
			})
		},
		Output: a.singleJob,
	}.build(a)
}

func (a *app) serversChangeModelCommand() *cobra.Command {
	return command[*client.Order]{
		Use: "change-model SERVER_ID SERVER_MODEL PHONE_MODEL", Short: "Change a server's flavor", Args: cobra.ExactArgs(3),
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.Order, error) {
			return c.ChangeServerModel(ctx, args[0], args[1], args[2])
		},
		Fields: orderFields,
	}.build(a)
}

// parseTags reads KEY=VALUE arguments (a bare KEY for deletion).
func parseTags(args []string, needValue bool) ([]cph.Tag, error) {
	var tags []cph.Tag
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if needValue && !ok {
			return nil, usagef("invalid tag %q: want KEY=VALUE", a)
		}
		tags = append(tags, cph.Tag{Key: k, Value: v})
	}
	return tags, nil
}

// serverTagsCommand builds "tags add" or "tags delete".
func (a *app) serverTagsCommand(use, short string, needValue bool, send func(c *client.Client, ctx context.Context, serverID string, tags []cph.Tag) error) *cobra.Command {
	return command[none]{
		Use: use, Short: short, Args: cobra.MinimumNArgs(2),
		Call: func(ctx context.Context, c *client.Client, args []string) (none, error) {
			tags, err := parseTags(args[1:], needValue)
			if err != nil {
				return none{}, err
			}
			return nothing(send(c, ctx, args[0], tags))
		},
	}.build(a)
}

func (a *app) serversTagsCommand() *cobra.Command {
	list := withID(command[[]cph.Tag]{
		Use: "list SERVER_ID", Short: "List the tags of a server",
		JSON: func(tags []cph.Tag) any { return map[string]any{"tags": tags} },
		Table: func(tags []cph.Tag) *table {
			t := &table{header: []string{"KEY", "VALUE"}}
			for _, tg := range tags {
				t.add(tg.Key, tg.Value)
			}
			return t
		},
	}, (*client.Client).ServerTags).build(a)
	add := a.serverTagsCommand("add SERVER_ID KEY=VALUE...", "Add or overwrite tags of a server", true, (*client.Client).AddServerTags)
	del := a.serverTagsCommand("delete SERVER_ID KEY[=VALUE]...", "Delete tags of a server", false, (*client.Client).DeleteServerTags)
	return group("tags", "List, add and delete server tags", list, add, del)
}

// listCommand builds a command without arguments that lists items: key
// names the list in the JSON form, {"key": [...]}; the table form has the
// header and a row an item.
func listCommand[E any](a *app, use, short, key string, list func(ctx context.Context, c *client.Client) ([]E, error), header []string, row func(E) []string) *cobra.Command {
	return command[[]E]{
		Use: use, Short: short, Args: cobra.NoArgs,
		Call:  func(ctx context.Context, c *client.Client, _ []string) ([]E, error) { return list(ctx, c) },
		JSON:  func(items []E) any { return map[string]any{key: items} },
		Table: func(items []E) *table { return tableOf(items, header, row) },
	}.build(a)
}

// itoa formats any integer.
func itoa[I ~int | ~int32 | ~int64](i I) string { return strconv.FormatInt(int64(i), 10) }

func (a *app) modelsCommand() *cobra.Command {
	phones := listCommand(a, "phones", "List phone flavors", "phone_models",
		func(ctx context.Context, c *client.Client) ([]cph.PhoneModel, error) {
			return c.ListPhoneModels(ctx, client.ListPhoneModelsOptions{})
		},
		[]string{"PHONE_MODEL", "SERVER_MODEL", "STATUS", "CAPACITY", "RESOLUTION", "DPI", "CPU", "MEMORY_MB"},
		func(m cph.PhoneModel) []string {
			return []string{m.PhoneModelName, m.ServerModelName, itoa(m.Status), itoa(m.PhoneCapacity), m.Resolution, itoa(m.DPI), itoa(m.CPU), itoa(m.Memory)}
		})
	servers := listCommand(a, "servers", "List server flavors", "server_models",
		func(ctx context.Context, c *client.Client) ([]cph.ServerModel, error) {
			return c.ListServerModels(ctx, nil)
		},
		[]string{"SERVER_MODEL", "TYPE", "PRODUCT_TYPE", "CPU", "MEMORY_GB"},
		func(m cph.ServerModel) []string {
			return []string{m.ServerModelName, m.ServerType, itoa(m.ProductType), itoa(m.CPU), itoa(m.Memory)}
		})
	return group("models", "List phone and server flavors", phones, servers)
}

func (a *app) encodeServersCommand() *cobra.Command {
	list := listCommand(a, "list", "List encode services", "encode_servers",
		func(ctx context.Context, c *client.Client) ([]cph.EncodeServer, error) {
			return c.ListEncodeServers(ctx, client.ListEncodeServersOptions{})
		},
		[]string{"ENCODE_SERVER_ID", "NAME", "SERVER_ID", "TYPE", "STATUS", "IP"},
		func(e cph.EncodeServer) []string {
			return []string{e.ID, e.Name, e.ServerID, itoa(e.Type), itoa(e.Status), e.IP}
		})
	restart := a.serverOp(command[*client.ServerBatchResult]{
		Use: "restart ENCODE_SERVER_ID...", Short: "Restart encode services", Args: cobra.MinimumNArgs(1),
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.ServerBatchResult, error) {
			res, err := c.RestartEncodeServers(ctx, args)
			if err != nil {
				return nil, err
			}
			sb := &client.ServerBatchResult{RequestID: res.RequestID}
			for _, j := range res.Jobs {
				sb.Jobs = append(sb.Jobs, cph.ServerJob{ServerID: j.EncodeServerID, JobID: j.JobID, ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg})
			}
			return sb, nil
		},
	})
	return group("encode-servers", "List and restart encode services", list, restart)
}

func (a *app) bandwidthsCommand() *cobra.Command {
	list := listCommand(a, "list", "List bandwidths", "band_widths",
		func(ctx context.Context, c *client.Client) ([]cph.Bandwidth, error) {
			return c.ListBandwidths(ctx, nil, nil)
		},
		[]string{"BANDWIDTH_ID", "NAME", "SIZE_MBITS", "SHARE_TYPE", "CHARGE_MODE"},
		func(b cph.Bandwidth) []string {
			return []string{b.ID, b.Name, itoa(b.Size), itoa(b.ShareType), itoa(b.ChargeMode)}
		})
	update := command[none]{
		Use: "update BANDWIDTH_ID SIZE_MBITS", Short: "Resize a shared bandwidth", Args: cobra.ExactArgs(2),
		Call: func(ctx context.Context, c *client.Client, args []string) (none, error) {
			n, err := strconv.ParseInt(args[1], 10, 32)
			if err != nil {
				return none{}, usagef("invalid size %q", args[1])
			}
			return nothing(c.UpdateBandwidth(ctx, args[0], int32(n)))
		},
	}.build(a)
	return group("bandwidths", "List and resize bandwidths", list, update)
}

// shareOp builds an operation on the servers' shared storage: send gets
// the arguments and the --server ids.
func (a *app) shareOp(use, short string, args cobra.PositionalArgs, flags func(cmd *cobra.Command), send func(ctx context.Context, c *client.Client, args, servers []string) (*client.ServerBatchResult, error)) *cobra.Command {
	var servers []string
	return a.serverOp(command[*client.ServerBatchResult]{
		Use: use, Short: short, Args: args,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringSliceVar(&servers, "server", nil, "target server ID (repeatable)")
			if flags != nil {
				flags(cmd)
			}
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.ServerBatchResult, error) {
			return send(ctx, c, args, servers)
		},
	})
}

func (a *app) shareFilesCommand() *cobra.Command {
	push := a.shareOp("push BUCKET OBJECT.tar", "Push a tar from object storage into the servers' shared storage", cobra.ExactArgs(2), nil,
		func(ctx context.Context, c *client.Client, args, servers []string) (*client.ServerBatchResult, error) {
			return c.PushShareFiles(ctx, args[0], args[1], servers)
		})
	del := a.shareOp("delete PATH...", "Delete files of the servers' shared storage", cobra.MinimumNArgs(1), nil,
		func(ctx context.Context, c *client.Client, args, servers []string) (*client.ServerBatchResult, error) {
			return c.DeleteShareFiles(ctx, args, servers)
		})
	list := a.shareOp("list DIR", "List a shared-storage directory (the paths are in each job's execute_msg)", cobra.ExactArgs(1), nil,
		func(ctx context.Context, c *client.Client, args, servers []string) (*client.ServerBatchResult, error) {
			return c.ListShareFiles(ctx, args[0], servers, nil, nil)
		})
	return group("share-files", "Manage the servers' shared storage", push, del, list)
}

func (a *app) shareAppsCommand() *cobra.Command {
	var preinstall bool
	push := a.shareOp("push PACKAGE BUCKET OBJECT.tar", "Push an application tar into the servers' shared app area", cobra.ExactArgs(3),
		func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&preinstall, "preinstall", false, "also install the application into the phones")
		},
		func(ctx context.Context, c *client.Client, args, servers []string) (*client.ServerBatchResult, error) {
			return c.PushShareApps(ctx, client.PushShareAppsParams{PackageName: args[0], BucketName: args[1], ObjectPath: args[2], PreInstall: preinstall, ServerIDs: servers})
		})
	del := a.shareOp("delete PACKAGE", "Remove an application from the servers' shared app area", cobra.ExactArgs(1), nil,
		func(ctx context.Context, c *client.Client, args, servers []string) (*client.ServerBatchResult, error) {
			return c.DeleteShareApps(ctx, args[0], servers)
		})
	return group("share-apps", "Manage the servers' shared applications", push, del)
}
