package cli

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// faultsCommand is "cph faults": the project's fault-injection rules
// (docs/faults.md).
func (a *app) faultsCommand() *cobra.Command {
	return group("faults", "Add, list and delete the project's fault-injection rules (testing)",
		a.faultsAddCommand(), a.faultsListCommand(), a.faultsDeleteCommand())
}

func (a *app) faultsAddCommand() *cobra.Command {
	var (
		p           cph.CreateFaultParams
		phones      []string
		servers     []string
		count       int
		probability float64
		delay       time.Duration
		expiresIn   time.Duration
	)
	return command[*cph.Fault]{
		Use:   "add OPERATION EFFECT",
		Short: "Add a fault-injection rule; prints its id",
		Long: `Add a fault-injection rule to the project (project admins only).

OPERATION is an API operation name (ListCloudPhones, RestartCloudPhone, ...)
or job:TYPE for jobs, TYPE one of restart, reset, stop, update_property,
expand_volume, import_traffic, export, import, command, shell, install,
uninstall, push. EFFECT is fail or hang (jobs), http_error (API calls) or
delay (both). See docs/faults.md.`,
		Example: `  cph faults add job:restart fail --count 3 --error-code CPS.9013
  cph faults add ListCloudPhones http_error --status 503 --error-code CPS.0003 --count 2
  cph faults add job:install hang --delay 30s --phone-id 0a1b...`,
		Args: cobra.ExactArgs(2),
		Flags: func(cmd *cobra.Command) {
			f := cmd.Flags()
			f.StringSliceVar(&phones, "phone-id", nil, "only these phones (repeatable, or comma-separated)")
			f.StringSliceVar(&servers, "server-id", nil, "only phones of these servers, or calls on them (repeatable)")
			f.StringVar(&p.ErrorCode, "error-code", "", "CPS code of the failure (fail, hang timeout, http_error)")
			f.StringVar(&p.ErrorMsg, "error-msg", "", "message of the failure (default: the code's)")
			f.IntVar(&p.Status, "status", 0, "HTTP status of an http_error answer (400-599)")
			f.DurationVar(&delay, "delay", 0, "the delay, or a hang's timeout (e.g. 500ms, 30s)")
			f.IntVar(&count, "count", 0, "apply to the next N matches only; 0 = every match")
			f.Float64Var(&probability, "probability", 1, "chance that a match applies, 0 to 1")
			f.DurationVar(&expiresIn, "expires-in", 0, "the rule applies no more after this long; 0 = never")
		},
		Check: func(cmd *cobra.Command, args []string, _ *settings) error {
			if count < 0 || delay < 0 || expiresIn < 0 {
				return &usageError{fmt.Errorf("--count, --delay and --expires-in must not be negative")}
			}
			if delay%time.Millisecond != 0 {
				return &usageError{fmt.Errorf("--delay must be whole milliseconds")}
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (*cph.Fault, error) {
			req := p
			req.Operation, req.Effect = args[0], args[1]
			req.PhoneIDs, req.ServerIDs = phones, servers
			req.DelayMillis = delay.Milliseconds()
			if count > 0 {
				req.Count = &count
			}
			req.Probability = &probability
			if expiresIn > 0 {
				req.ExpiresAt = cph.NewTime(time.Now().Add(expiresIn))
			}
			return c.CreateFault(ctx, req)
		},
		IDs: func(f *cph.Fault) []string { return []string{f.ID} },
		Text: func(f *cph.Fault) error {
			fmt.Fprintln(a.stdout, f.ID)
			return nil
		},
	}.build(a)
}

func (a *app) faultsListCommand() *cobra.Command {
	return command[[]*cph.Fault]{
		Use:   "list",
		Short: "List the project's fault-injection rules, oldest first",
		Args:  cobra.NoArgs,
		Call: func(ctx context.Context, c *client.Client, _ []string) ([]*cph.Fault, error) {
			return c.ListFaults(ctx)
		},
		IDs: func(list []*cph.Fault) []string { return ids(list, func(f *cph.Fault) string { return f.ID }) },
		Table: func(list []*cph.Fault) *table {
			t := &table{header: []string{"ID", "OPERATION", "EFFECT", "DETAIL", "TARGETS", "REMAINING", "APPLIED", "EXPIRES"}}
			for _, f := range list {
				remaining := "unlimited"
				if f.Remaining != nil {
					remaining = strconv.Itoa(*f.Remaining)
				}
				t.add(f.ID, f.Operation, f.Effect, faultDetail(f), strings.Join(append(append([]string{}, f.PhoneIDs...), f.ServerIDs...), ","),
					remaining, strconv.FormatInt(f.Applied, 10), fmtTime(f.ExpiresAt))
			}
			return t
		},
	}.build(a)
}

// faultDetail summarizes what a rule answers or waits.
func faultDetail(f *cph.Fault) string {
	var parts []string
	if f.Status != 0 {
		parts = append(parts, strconv.Itoa(f.Status))
	}
	if f.ErrorCode != "" {
		parts = append(parts, f.ErrorCode)
	}
	if f.DelayMillis > 0 {
		parts = append(parts, (time.Duration(f.DelayMillis) * time.Millisecond).String())
	}
	if f.Probability < 1 {
		parts = append(parts, fmt.Sprintf("p=%g", f.Probability))
	}
	return strings.Join(parts, " ")
}

func (a *app) faultsDeleteCommand() *cobra.Command {
	return withID(command[none]{
		Use:   "delete FAULT_ID",
		Short: "Delete a fault-injection rule (jobs a hang of it holds run at once)",
		Done: func(args []string, _ none) error {
			fmt.Fprintf(a.stdout, "fault %s deleted\n", args[0])
			return nil
		},
	}, answerless((*client.Client).DeleteFault)).build(a)
}
