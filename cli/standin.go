package cli

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// standInCommands are "cph sim" and "cph reset", the commands of the
// stand-in extensions.
func (a *app) standInCommands() []*cobra.Command {
	sim := &cobra.Command{
		Use:   "sim",
		Short: "Settings of the simulated runtime (OpenCPH as a stand-in for CPH in tests)",
		Long: `Settings of the simulated phones of the project: they apply to phones of the
simulated runtime only (cphd's built-in fleet, cph-agent --runtime sim);
phones of other runtimes boot as they boot.`,
	}
	sim.AddCommand(a.simShowCommand(), a.simSetBootTimeCommand())
	return []*cobra.Command{sim, a.resetCommand()}
}

// msText writes a boot time in milliseconds, or "-" when unset.
func msText(ms *int64) string {
	if ms == nil {
		return "-"
	}
	return (time.Duration(*ms) * time.Millisecond).String()
}

func (a *app) simShowCommand() *cobra.Command {
	var phone string
	return command[*cph.SimSettings]{
		Use:   "show [--phone ID]",
		Short: "Show the simulated boot time of the project or of a phone",
		Args:  cobra.NoArgs,
		Flags: stringFlag(&phone, "phone", "", "a phone of the project instead of the project"),
		Call: func(ctx context.Context, c *client.Client, _ []string) (*cph.SimSettings, error) {
			return c.SimSettings(ctx, phone)
		},
		Fields: func(s *cph.SimSettings) []string {
			f := []string{"boot_time", msText(s.BootTimeMS)}
			if phone != "" {
				f = append(f, "effective_boot_time", msText(s.EffectiveBootTimeMS))
			}
			return f
		},
	}.build(a)
}

func (a *app) simSetBootTimeCommand() *cobra.Command {
	var (
		phone string
		ms    *int64
	)
	return command[*cph.SimSettings]{
		Use:   "set-boot-time [--phone ID] DURATION|default",
		Short: "Set how long simulated phones of the project, or one phone, take to boot",
		Long: `Set the boot time of the project's simulated phones, or of one phone (which wins
over the project's), for restarts and resets queued from now on. 0s boots at
once; "default" clears the setting (a phone then follows its project, a
project the runtime's --sim-boot-time). At most 1h. Admins only.`,
		Example: `  cph sim set-boot-time 0s
  cph sim set-boot-time --phone PHONE_ID 2m
  cph sim set-boot-time default`,
		Args:  cobra.ExactArgs(1),
		Flags: stringFlag(&phone, "phone", "", "set the boot time of this phone instead of the project's"),
		Check: func(_ *cobra.Command, args []string, _ *settings) error {
			if args[0] == "default" {
				return nil
			}
			d, err := time.ParseDuration(args[0])
			if err != nil || d < 0 || d > cph.MaxSimBootTime {
				return usagef("invalid boot time %q: want a duration from 0s to %v, or default", args[0], cph.MaxSimBootTime)
			}
			ms = new(d.Milliseconds())
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (*cph.SimSettings, error) {
			return c.SetSimSettings(ctx, phone, cph.SimSettings{BootTimeMS: ms})
		},
		Fields: func(s *cph.SimSettings) []string {
			f := []string{"boot_time", msText(s.BootTimeMS)}
			if phone != "" {
				f = append(f, "effective_boot_time", msText(s.EffectiveBootTimeMS))
			}
			return f
		},
	}.build(a)
}

func (a *app) resetCommand() *cobra.Command {
	var yes bool
	c := command[*client.BatchResult]{
		Use:   "reset --yes",
		Short: "Reset the project to its initial fleet: every phone reset, jobs, buckets and objects removed",
		Long: `Reset the project to its initial fleet, for a clean start between tests: its
finished jobs, its buckets and their objects are removed, then every phone is
reset to its image with the image's default properties (a reset job per
phone, as "cph phones reset" would queue; a phone in a transient status is
refused). The simulated boot times stay. Admins only; --yes is required.

With --wait, waits until every phone's reset has finished and prints the
jobs; the exit code is 0 only if no phone was refused and every job
succeeded.`,
		Example: `  cph reset --yes --wait`,
		Args:    cobra.NoArgs,
		Flags:   func(cmd *cobra.Command) { cmd.Flags().BoolVar(&yes, "yes", false, "really reset the project") },
		Check: func(*cobra.Command, []string, *settings) error {
			if !yes {
				return usagef("cph reset removes the project's jobs, buckets and objects and resets every phone: add --yes")
			}
			return nil
		},
		Wait: &waitFlags{},
		Call: func(ctx context.Context, c *client.Client, _ []string) (*client.BatchResult, error) {
			res, err := c.ResetProject(ctx, cph.ProjectReset{})
			if err != nil {
				return nil, err
			}
			names := make([]string, 0, len(res.Cleared))
			for k := range res.Cleared {
				names = append(names, k)
			}
			slices.Sort(names)
			for _, k := range names {
				fmt.Fprintf(a.stderr, "removed %s: %s\n", k, strconv.Itoa(res.Cleared[k]))
			}
			return &client.BatchResult{RequestID: res.RequestID, Jobs: res.Jobs}, nil
		},
		Output: a.batchResult,
	}
	return c.build(a)
}
