package cli

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// completionTimeout bounds the API calls of a shell completion: a slow or
// unreachable server must not hang the user's shell.
const completionTimeout = 2 * time.Second

// completionPage is how many ids a completion asks for: one page.
const completionPage = 100

// idLister lists the ids (and a short description) that complete one kind
// of argument.
type idLister func(ctx context.Context, c *client.Client) ([]string, error)

// idListers are the kinds of ids that complete, by the placeholder that
// names them in a command's Use line.
var idListers = map[string]idLister{
	"PHONE_ID": func(ctx context.Context, c *client.Client) ([]string, error) {
		list, err := c.ListPhones(ctx, client.ListPhonesOptions{Limit: new(completionPage)})
		if err != nil {
			return nil, err
		}
		return each(list.Phones, func(p cph.Phone) string { return p.ID + "\t" + p.Name + " (" + p.Status.String() + ")" }), nil
	},
	"SERVER_ID": func(ctx context.Context, c *client.Client) ([]string, error) {
		list, err := c.ListServers(ctx, client.ListServersOptions{Limit: new(completionPage)})
		if err != nil {
			return nil, err
		}
		return each(list.Servers, func(s cph.Server) string { return s.ID + "\t" + s.Name }), nil
	},
	// Jobs are listed only by request: the ids of the recent requests
	// (remembered in the cache directory) complete, and their jobs.
	"REQUEST_ID": nil,
	"JOB_ID":     nil,
	"IMAGE_ID": func(ctx context.Context, c *client.Client) ([]string, error) {
		images, err := c.ListPhoneImages(ctx, "")
		if err != nil {
			return nil, err
		}
		return each(images, func(im cph.PhoneImage) string { return im.ID + "\t" + im.Name }), nil
	},
}

// addCompletions walks the command tree and gives every command whose Use
// line names PHONE_ID, SERVER_ID, IMAGE_ID, REQUEST_ID or JOB_ID arguments
// a completion of them, and the flags with a fixed set of values a completion of those.
func (a *app) addCompletions(cmd *cobra.Command) {
	if slots := strings.Fields(cmd.Use); len(slots) > 1 && cmd.ValidArgsFunction == nil {
		if a.hasIDSlot(slots[1:]) {
			cmd.ValidArgsFunction = a.completeArgs(slots[1:])
		}
	}
	for _, name := range []string{"image", "server"} {
		if cmd.LocalFlags().Lookup(name) != nil {
			kind := strings.ToUpper(name) + "_ID"
			_ = cmd.RegisterFlagCompletionFunc(name, func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
				return a.listIDs(c, kind), cobra.ShellCompDirectiveNoFileComp
			})
		}
	}
	if cmd.LocalFlags().Lookup("request-id") != nil {
		_ = cmd.RegisterFlagCompletionFunc("request-id", func(c *cobra.Command, _ []string, _ string) ([]string, cobra.ShellCompDirective) {
			return a.listIDs(c, "REQUEST_ID"), cobra.ShellCompDirectiveNoFileComp
		})
	}
	if cmd.Flags().Lookup("status") != nil && cmd.CommandPath() == "cph phones list" {
		var names []string
		for _, st := range cph.PhoneStatuses() {
			names = append(names, st.String()+"\t"+fmt.Sprint(int(st)))
		}
		_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(names, cobra.ShellCompDirectiveNoFileComp))
	}
	if cmd.Flags().Lookup("status") != nil && cmd.CommandPath() == "cph servers list" {
		var codes []string
		for _, st := range []cph.ServerStatus{cph.ServerCreating, cph.ServerAbnormal, cph.ServerNormal, cph.ServerDeleting,
			cph.ServerFrozen, cph.ServerShutDown, cph.ServerShuttingDown, cph.ServerShutdownFail, cph.ServerStarting} {
			code, name, _ := strings.Cut(serverStatus(st), " ")
			codes = append(codes, code+"\t"+name)
		}
		_ = cmd.RegisterFlagCompletionFunc("status", cobra.FixedCompletions(codes, cobra.ShellCompDirectiveNoFileComp))
	}
	for _, sub := range cmd.Commands() {
		a.addCompletions(sub)
	}
}

// hasIDSlot reports whether one of the positional slots is an id that
// completes.
func (a *app) hasIDSlot(slots []string) bool {
	for _, s := range slots {
		if _, ok := idListers[strings.TrimSuffix(s, "...")]; ok {
			return true
		}
	}
	return false
}

// completeArgs completes the positional argument at len(args) from the
// slots of the Use line: "PHONE_ID..." repeats, "--" ends the ids.
func (a *app) completeArgs(slots []string) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
		// cobra's completion puts a "--" before the word to complete, so
		// only an earlier one ends the ids.
		if n := cmd.ArgsLenAtDash(); n >= 0 && n < len(args) {
			return nil, cobra.ShellCompDirectiveDefault
		}
		kind := ""
		for i, s := range slots {
			if strings.HasPrefix(s, "-") {
				break
			}
			if strings.HasSuffix(s, "...") && i <= len(args) {
				kind = strings.TrimSuffix(s, "...")
				break
			}
			if i == len(args) {
				kind = s
				break
			}
		}
		if _, ok := idListers[kind]; !ok {
			return nil, cobra.ShellCompDirectiveNoFileComp
		}
		return a.listIDs(cmd, kind), cobra.ShellCompDirectiveNoFileComp
	}
}

// listIDs lists the ids of a kind for a completion: the first page only,
// with the cached token only (never a login), within completionTimeout,
// and nothing at all on any error.
func (a *app) listIDs(cmd *cobra.Command, kind string) []string {
	s, err := a.settings(cmd)
	if err != nil {
		return nil
	}
	if kind == "REQUEST_ID" {
		return recentRequests(s)
	}
	s.Password = ""
	c, err := a.newClient(s)
	if err != nil {
		return nil
	}
	ctx := cmd.Context()
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, completionTimeout)
	defer cancel()
	if kind == "JOB_ID" {
		return recentJobs(ctx, c, recentRequests(s))
	}
	ids, err := idListers[kind](ctx, c)
	if err != nil {
		return nil
	}
	return ids
}

// recentJobs lists the jobs of the recent requests: one ListJobs call,
// the first page.
func recentJobs(ctx context.Context, c *client.Client, requests []string) []string {
	if len(requests) == 0 {
		return nil
	}
	list, err := c.ListJobs(ctx, client.ListJobsOptions{RequestIDs: requests, Limit: new(client.MaxJobPageSize)})
	if err != nil {
		return nil
	}
	out := make([]string, 0, len(list.Jobs))
	for _, j := range list.Jobs {
		out = append(out, j.ID+"\t"+jobTarget(j)+" ("+j.Status.String()+")")
	}
	return out
}

// outputCompletion completes -o.
func outputCompletion(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
	return []string{"table\taligned columns", "json\tthe API's JSON"}, cobra.ShellCompDirectiveNoFileComp
}
