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

// simple builds a command whose body needs a client.
func (a *app) simple(use, short string, args cobra.PositionalArgs, fn func(cmd *cobra.Command, args []string, s settings, c *client.Client) error) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short, Args: args}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		return fn(cmd, args, s, c)
	})
	return cmd
}

func (a *app) serversRenameCommand() *cobra.Command {
	return a.simple("rename SERVER_ID NAME", "Rename a phone server", cobra.ExactArgs(2),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			return c.RenameServer(cmd.Context(), args[0], args[1])
		})
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
		for _, j := range jobs {
			if j.Status != cph.JobSucceeded {
				failed++
				a.printFailure(jobTarget(j), j.ID, deref(j.ErrorCode), deref(j.ErrorMsg))
			}
		}
	}
	if failed > 0 {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d servers refused or failed", failed, len(res.Jobs))}
	}
	return nil
}

func (a *app) serversRestartCommand() *cobra.Command {
	var wf waitFlags
	cmd := a.simple("restart SERVER_ID...", "Restart phone servers and all their phones", cobra.MinimumNArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			if err := wf.check(); err != nil {
				return err
			}
			res, err := c.RestartServers(cmd.Context(), args)
			if err != nil {
				return err
			}
			return a.serverBatch(cmd.Context(), s, c, res, wf)
		})
	wf.add(cmd, true)
	return cmd
}

func (a *app) serversKeypairCommand() *cobra.Command {
	var wf waitFlags
	cmd := a.simple("keypair KEYPAIR_NAME SERVER_ID...", "Change the key pair of phone servers", cobra.MinimumNArgs(2),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			if err := wf.check(); err != nil {
				return err
			}
			var ks []client.ServerKeypair
			for _, id := range args[1:] {
				ks = append(ks, client.ServerKeypair{ServerID: id, KeypairName: args[0]})
			}
			res, err := c.UpdateKeypairs(cmd.Context(), ks)
			if err != nil {
				return err
			}
			return a.serverBatch(cmd.Context(), s, c, res, wf)
		})
	wf.add(cmd, true)
	return cmd
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
	for _, j := range jobs {
		if j.Status != cph.JobSucceeded {
			a.printFailure(jobTarget(j), j.ID, deref(j.ErrorCode), deref(j.ErrorMsg))
			return errFailed
		}
	}
	return nil
}

func (a *app) serversDeleteCommand() *cobra.Command {
	var wf waitFlags
	cmd := a.simple("delete SERVER_ID...", "Delete phone servers and their phones (at most 10)", cobra.MinimumNArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			if err := wf.check(); err != nil {
				return err
			}
			res, err := c.DeleteServers(cmd.Context(), args)
			if err != nil {
				return err
			}
			return a.singleJob(cmd.Context(), s, c, res, wf)
		})
	wf.add(cmd, true)
	return cmd
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

func (a *app) serversCreateCommand() *cobra.Command {
	var (
		net                                     networkFlags
		serverModel, phoneModel, image, keypair string
		count                                   int
	)
	cmd := a.simple("create NAME", "Buy phone servers with phones (created in the background)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			o, err := c.CreateServers(cmd.Context(), client.CreateServersRequest{
				ServerName: args[0], ServerModelName: serverModel, PhoneModelName: phoneModel, ImageID: image, Count: count,
				KeypairName: keypair, ExtendParam: client.ExtendParam{PeriodType: 2, PeriodNum: 1}, TenantVPCID: net.vpc,
				Nics: []client.Nic{{SubnetID: net.subnet}}, Bandwidth: net.bandwidth(),
			})
			if err != nil {
				return err
			}
			if s.Output == "json" {
				return writeJSON(a.stdout, o)
			}
			return writeFields(a.stdout, "request_id", o.RequestID, "order_id", o.OrderID, "server_ids", strings.Join(o.ServerIDs, ","))
		})
	net.add(cmd)
	cmd.Flags().StringVar(&serverModel, "server-model", "physical.rx1.xlarge", "server flavor (see 'cph models servers')")
	cmd.Flags().StringVar(&phoneModel, "phone-model", "rx1.cp.c15.d46.e1v1", "phone flavor (see 'cph models phones')")
	cmd.Flags().StringVar(&image, "image", "a1b2c3d4e5f60718293a4b5c6d7e8f11", "phone image ID")
	cmd.Flags().StringVar(&keypair, "keypair", "", "key pair name")
	cmd.Flags().IntVar(&count, "count", 1, "number of servers, 1 to 10")
	return cmd
}

func (a *app) serversChangeCommand() *cobra.Command {
	var (
		net                        networkFlags
		wf                         waitFlags
		phoneModel, image, keypair string
	)
	cmd := a.simple("change SERVER_ID", "Rebuild a server with a new phone flavor and image; its phones are recreated", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			if err := wf.check(); err != nil {
				return err
			}
			res, err := c.ChangeServer(cmd.Context(), args[0], client.ChangeServerRequest{
				PhoneModelName: phoneModel, ImageID: image, KeypairName: keypair, TenantVPCID: net.vpc,
				Nics: []client.Nic{{SubnetID: net.subnet}}, Bandwidth: net.bandwidth(),
			})
			if err != nil {
				return err
			}
			return a.singleJob(cmd.Context(), s, c, res, wf)
		})
	net.add(cmd)
	wf.add(cmd, true)
	cmd.Flags().StringVar(&phoneModel, "phone-model", "", "new phone flavor")
	cmd.Flags().StringVar(&image, "image", "", "new phone image ID")
	cmd.Flags().StringVar(&keypair, "keypair", "", "new key pair name")
	return cmd
}

func (a *app) serversChangeModelCommand() *cobra.Command {
	return a.simple("change-model SERVER_ID SERVER_MODEL PHONE_MODEL", "Change a server's flavor", cobra.ExactArgs(3),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			o, err := c.ChangeServerModel(cmd.Context(), args[0], args[1], args[2])
			if err != nil {
				return err
			}
			if s.Output == "json" {
				return writeJSON(a.stdout, o)
			}
			return writeFields(a.stdout, "request_id", o.RequestID, "order_id", o.OrderID)
		})
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

func (a *app) serversTagsCommand() *cobra.Command {
	list := a.simple("list SERVER_ID", "List the tags of a server", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			tags, err := c.ServerTags(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if s.Output == "json" {
				return writeJSON(a.stdout, map[string]any{"tags": tags})
			}
			t := &table{header: []string{"KEY", "VALUE"}}
			for _, tg := range tags {
				t.add(tg.Key, tg.Value)
			}
			return t.write(a.stdout)
		})
	add := a.simple("add SERVER_ID KEY=VALUE...", "Add or overwrite tags of a server", cobra.MinimumNArgs(2),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			tags, err := parseTags(args[1:], true)
			if err != nil {
				return err
			}
			return c.AddServerTags(cmd.Context(), args[0], tags)
		})
	del := a.simple("delete SERVER_ID KEY[=VALUE]...", "Delete tags of a server", cobra.MinimumNArgs(2),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			tags, err := parseTags(args[1:], false)
			if err != nil {
				return err
			}
			return c.DeleteServerTags(cmd.Context(), args[0], tags)
		})
	return group("tags", "List, add and delete server tags", list, add, del)
}

func (a *app) modelsCommand() *cobra.Command {
	phones := a.simple("phones", "List phone flavors", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string, s settings, c *client.Client) error {
			ms, err := c.ListPhoneModels(cmd.Context(), client.ListPhoneModelsOptions{})
			if err != nil {
				return err
			}
			if s.Output == "json" {
				return writeJSON(a.stdout, map[string]any{"phone_models": ms})
			}
			t := &table{header: []string{"PHONE_MODEL", "SERVER_MODEL", "STATUS", "CAPACITY", "RESOLUTION", "DPI", "CPU", "MEMORY_MB"}}
			for _, m := range ms {
				t.add(m.PhoneModelName, m.ServerModelName, strconv.Itoa(int(m.Status)), strconv.Itoa(int(m.PhoneCapacity)),
					m.Resolution, strconv.Itoa(int(m.DPI)), strconv.Itoa(int(m.CPU)), strconv.Itoa(int(m.Memory)))
			}
			return t.write(a.stdout)
		})
	servers := a.simple("servers", "List server flavors", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string, s settings, c *client.Client) error {
			ms, err := c.ListServerModels(cmd.Context(), nil)
			if err != nil {
				return err
			}
			if s.Output == "json" {
				return writeJSON(a.stdout, map[string]any{"server_models": ms})
			}
			t := &table{header: []string{"SERVER_MODEL", "TYPE", "PRODUCT_TYPE", "CPU", "MEMORY_GB"}}
			for _, m := range ms {
				t.add(m.ServerModelName, m.ServerType, strconv.Itoa(int(m.ProductType)), strconv.Itoa(int(m.CPU)), strconv.Itoa(int(m.Memory)))
			}
			return t.write(a.stdout)
		})
	return group("models", "List phone and server flavors", phones, servers)
}

func (a *app) encodeServersCommand() *cobra.Command {
	list := a.simple("list", "List encode services", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string, s settings, c *client.Client) error {
			es, err := c.ListEncodeServers(cmd.Context(), client.ListEncodeServersOptions{})
			if err != nil {
				return err
			}
			if s.Output == "json" {
				return writeJSON(a.stdout, map[string]any{"encode_servers": es})
			}
			t := &table{header: []string{"ENCODE_SERVER_ID", "NAME", "SERVER_ID", "TYPE", "STATUS", "IP"}}
			for _, e := range es {
				t.add(e.ID, e.Name, e.ServerID, strconv.Itoa(int(e.Type)), strconv.Itoa(int(e.Status)), e.IP)
			}
			return t.write(a.stdout)
		})
	var wf waitFlags
	restart := a.simple("restart ENCODE_SERVER_ID...", "Restart encode services", cobra.MinimumNArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			if err := wf.check(); err != nil {
				return err
			}
			res, err := c.RestartEncodeServers(cmd.Context(), args)
			if err != nil {
				return err
			}
			sb := &client.ServerBatchResult{RequestID: res.RequestID}
			for _, j := range res.Jobs {
				sb.Jobs = append(sb.Jobs, cph.ServerJob{ServerID: j.EncodeServerID, JobID: j.JobID, ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg})
			}
			return a.serverBatch(cmd.Context(), s, c, sb, wf)
		})
	wf.add(restart, true)
	return group("encode-servers", "List and restart encode services", list, restart)
}

func (a *app) bandwidthsCommand() *cobra.Command {
	list := a.simple("list", "List bandwidths", cobra.NoArgs,
		func(cmd *cobra.Command, _ []string, s settings, c *client.Client) error {
			bws, err := c.ListBandwidths(cmd.Context(), nil, nil)
			if err != nil {
				return err
			}
			if s.Output == "json" {
				return writeJSON(a.stdout, map[string]any{"band_widths": bws})
			}
			t := &table{header: []string{"BANDWIDTH_ID", "NAME", "SIZE_MBITS", "SHARE_TYPE", "CHARGE_MODE"}}
			for _, b := range bws {
				t.add(b.ID, b.Name, strconv.Itoa(int(b.Size)), strconv.Itoa(int(b.ShareType)), strconv.Itoa(int(b.ChargeMode)))
			}
			return t.write(a.stdout)
		})
	update := a.simple("update BANDWIDTH_ID SIZE_MBITS", "Resize a shared bandwidth", cobra.ExactArgs(2),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			n, err := strconv.ParseInt(args[1], 10, 32)
			if err != nil {
				return usagef("invalid size %q", args[1])
			}
			return c.UpdateBandwidth(cmd.Context(), args[0], int32(n))
		})
	return group("bandwidths", "List and resize bandwidths", list, update)
}

func (a *app) shareFilesCommand() *cobra.Command {
	var wf waitFlags
	var servers []string
	push := a.simple("push BUCKET OBJECT.tar", "Push a tar from object storage into the servers' shared storage", cobra.ExactArgs(2),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			res, err := c.PushShareFiles(cmd.Context(), args[0], args[1], servers)
			if err != nil {
				return err
			}
			return a.serverBatch(cmd.Context(), s, c, res, wf)
		})
	del := a.simple("delete PATH...", "Delete files of the servers' shared storage", cobra.MinimumNArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			res, err := c.DeleteShareFiles(cmd.Context(), args, servers)
			if err != nil {
				return err
			}
			return a.serverBatch(cmd.Context(), s, c, res, wf)
		})
	list := a.simple("list DIR", "List a shared-storage directory (the paths are in each job's execute_msg)", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			res, err := c.ListShareFiles(cmd.Context(), args[0], servers, nil, nil)
			if err != nil {
				return err
			}
			return a.serverBatch(cmd.Context(), s, c, res, wf)
		})
	for _, cmd := range []*cobra.Command{push, del, list} {
		cmd.Flags().StringSliceVar(&servers, "server", nil, "target server ID (repeatable)")
		wf.add(cmd, true)
	}
	return group("share-files", "Manage the servers' shared storage", push, del, list)
}

func (a *app) shareAppsCommand() *cobra.Command {
	var wf waitFlags
	var servers []string
	var preinstall bool
	push := a.simple("push PACKAGE BUCKET OBJECT.tar", "Push an application tar into the servers' shared app area", cobra.ExactArgs(3),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			res, err := c.PushShareApps(cmd.Context(), args[0], args[1], args[2], preinstall, servers)
			if err != nil {
				return err
			}
			return a.serverBatch(cmd.Context(), s, c, res, wf)
		})
	push.Flags().BoolVar(&preinstall, "preinstall", false, "also install the application into the phones")
	del := a.simple("delete PACKAGE", "Remove an application from the servers' shared app area", cobra.ExactArgs(1),
		func(cmd *cobra.Command, args []string, s settings, c *client.Client) error {
			res, err := c.DeleteShareApps(cmd.Context(), args[0], servers)
			if err != nil {
				return err
			}
			return a.serverBatch(cmd.Context(), s, c, res, wf)
		})
	for _, cmd := range []*cobra.Command{push, del} {
		cmd.Flags().StringSliceVar(&servers, "server", nil, "target server ID (repeatable)")
		wf.add(cmd, true)
	}
	return group("share-apps", "Manage the servers' shared applications", push, del)
}
