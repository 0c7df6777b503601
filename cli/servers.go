package cli

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

func (a *app) serversCommand() *cobra.Command {
	return group("servers", "List, show and manage cloud phone servers",
		append([]*cobra.Command{a.serversListCommand(), a.serversShowCommand()}, a.serverOpCommands()...)...,
	)
}

func (a *app) serversListCommand() *cobra.Command {
	var (
		page   pageFlags
		name   string
		status int32
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List the project's phone servers, newest first",
		Args:  cobra.NoArgs,
	}
	page.add(cmd, "servers", client.MaxServerPageSize)
	cmd.Flags().StringVar(&name, "name", "", "keep the servers whose name contains this text")
	cmd.Flags().Int32Var(&status, "status", 0, "keep the servers in this status code (5 normal)")
	cmd.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		opts := client.ListServersOptions{Name: name}
		var err error
		if opts.Offset, opts.Limit, err = page.values(cmd); err != nil {
			return err
		}
		if cmd.Flags().Changed("status") {
			opts.Status = new(cph.ServerStatus(status))
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		var list *client.ServerList
		if page.all {
			list, err = c.ListAllServers(cmd.Context(), opts)
		} else {
			list, err = c.ListServers(cmd.Context(), opts)
		}
		if err != nil {
			return err
		}
		if page.quiet {
			return writeIDs(a.stdout, list.Servers, func(s cph.Server) string { return s.ID })
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, list)
		}
		if err := serversTable(list.Servers).write(a.stdout); err != nil {
			return err
		}
		if !page.all {
			a.morePages("servers", opts.Offset, len(list.Servers), list.Count)
		}
		return nil
	})
	return cmd
}

func (a *app) serversShowCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "show SERVER_ID",
		Short: "Show the details of a phone server",
		Args:  cobra.ExactArgs(1),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		d, err := c.ShowServer(cmd.Context(), args[0])
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, d)
		}
		err = writeFields(a.stdout,
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
		)
		if err != nil {
			return err
		}
		if len(d.Addresses) > 0 {
			fmt.Fprintln(a.stdout)
			t := &table{header: []string{"SERVER_IP", "PUBLIC_IP"}}
			for _, ad := range d.Addresses {
				t.add(ad.ServerIP, ad.PublicIP)
			}
			if err := t.write(a.stdout); err != nil {
				return err
			}
		}
		if len(d.Volumes) > 0 {
			fmt.Fprintln(a.stdout)
			t := &table{header: []string{"VOLUME_ID", "NAME", "TYPE", "SIZE_GB"}}
			for _, v := range d.Volumes {
				t.add(v.ID, v.Name, v.Type, strconv.Itoa(int(v.Size)))
			}
			if err := t.write(a.stdout); err != nil {
				return err
			}
		}
		return nil
	})
	return cmd
}

func (a *app) projectsCommand() *cobra.Command {
	var (
		name  string
		quiet bool
	)
	list := &cobra.Command{
		Use:   "list",
		Short: "List the projects of the account",
		Args:  cobra.NoArgs,
	}
	addQuiet(list, &quiet)
	list.Flags().StringVar(&name, "name", "", "keep the project with this exact name")
	list.RunE = a.run(func(cmd *cobra.Command, _ []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		ps, err := c.ListProjects(cmd.Context(), name)
		if err != nil {
			return err
		}
		if quiet {
			return writeIDs(a.stdout, ps, func(p client.Project) string { return p.ID })
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, map[string]any{"projects": ps})
		}
		return projectsTable(ps).write(a.stdout)
	})
	return group("projects", "List IAM projects", list)
}
