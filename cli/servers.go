package cli

import (
	"context"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

func (a *app) serversCommand() *cobra.Command {
	return group("servers", "List, show and manage cloud phone servers",
		append(append([]*cobra.Command{a.serversListCommand(), a.serversShowCommand()}, a.serverOpCommands()...), a.serversShareCommands()...)...,
	)
}

func (a *app) serversListCommand() *cobra.Command {
	var (
		opts   client.ListServersOptions
		status int32
		page   = &pageFlags{what: "servers", maxLimit: client.MaxServerPageSize}
	)
	return pagedList(command[*client.ServerList]{
		Use:   "list",
		Short: "List the project's phone servers, newest first",
		Args:  cobra.NoArgs,
		Page:  page,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&opts.Name, "name", "", "keep the servers whose name contains this text")
			cmd.Flags().Int32Var(&status, "status", 0, "keep the servers in this status code (5 normal)")
		},
		Check: func(cmd *cobra.Command, _ []string, _ *settings) (err error) {
			opts.Offset, opts.Limit, err = page.values(cmd)
			if cmd.Flags().Changed("status") {
				opts.Status = new(cph.ServerStatus(status))
			}
			return err
		},
	}, &opts, (*client.Client).ListAllServers, (*client.Client).ListServers,
		func(l *client.ServerList) ([]cph.Server, int) { return l.Servers, l.Count },
		func(s cph.Server) string { return s.ID }, serversTable).build(a)
}

func (a *app) serversShowCommand() *cobra.Command {
	return withID(command[*cph.ServerDetail]{
		Use:   "show SERVER_ID",
		Short: "Show the details of a phone server",
		Fields: func(d *cph.ServerDetail) []string {
			return []string{
				"server_id", d.ID,
				"server_name", d.Name,
				"status", serverStatus(d.Status),
				"server_model_name", d.ModelName,
				"phone_model_name", d.PhoneModelName,
				"availability_zone", d.AvailabilityZone,
				"network_version", d.NetworkVersion,
				"keypair_name", d.KeypairName,
				"vpc_id", d.VPCID,
				"subnet_id", d.SubnetID,
				"subnet_cidr", d.SubnetCIDR,
				"security_groups", strings.Join(d.SecurityGroups, ","),
				"create_time", fmtTime(d.CreateTime),
				"update_time", fmtTime(d.UpdateTime),
			}
		},
		Tables: func(d *cph.ServerDetail) []*table {
			addresses := &table{header: []string{"SERVER_IP", "PUBLIC_IP"}}
			for _, ad := range d.Addresses {
				addresses.add(ad.ServerIP, ad.PublicIP)
			}
			volumes := &table{header: []string{"VOLUME_ID", "NAME", "TYPE", "SIZE_GB"}}
			for _, v := range d.Volumes {
				volumes.add(v.ID, v.Name, v.Type, strconv.Itoa(int(v.Size)))
			}
			return []*table{addresses, volumes}
		},
	}, (*client.Client).ShowServer).build(a)
}

// projectsListCommand is "cph projects list", which is also "cph iam
// projects list": one command under two parents.
func (a *app) projectsListCommand() *cobra.Command {
	var name string
	return command[[]client.Project]{
		Use:   "list",
		Short: "List the projects of the account",
		Long: `List the projects of the account (GET /v3/projects).

"cph projects list" and "cph iam projects list" are the same command.`,
		Args:  cobra.NoArgs,
		Flags: stringFlag(&name, "name", "", "keep the project with this exact name"),
		Call: func(ctx context.Context, c *client.Client, _ []string) ([]client.Project, error) {
			return c.ListProjects(ctx, name)
		},
		IDs:   func(ps []client.Project) []string { return ids(ps, func(p client.Project) string { return p.ID }) },
		JSON:  func(ps []client.Project) any { return map[string]any{"projects": ps} },
		Table: projectsTable,
	}.build(a)
}

func (a *app) projectsCommand() *cobra.Command {
	return group("projects", "List IAM projects", a.projectsListCommand())
}
