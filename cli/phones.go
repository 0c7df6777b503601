package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

func (a *app) phonesCommand() *cobra.Command {
	return group("phones", "List, show, restart, stop and reset cloud phones",
		append([]*cobra.Command{
			a.phonesListCommand(),
			a.phonesShowCommand(),
			a.phonesScreenshotCommand(),
			a.phonesRestartCommand(),
			a.phonesStopCommand(),
			a.phonesResetCommand(),
		}, a.phoneOpCommands()...)...,
	)
}

// pageFlags are the paging flags of the list commands.
type pageFlags struct {
	what          string // the items, e.g. "phones"
	maxLimit      int
	offset, limit int
	all           bool
	sent          *int // the offset sent, once values has run
}

// add registers the flags on cmd.
func (p *pageFlags) add(cmd *cobra.Command) {
	cmd.Flags().IntVar(&p.offset, "offset", 0, "number of "+p.what+" to skip")
	cmd.Flags().IntVar(&p.limit, "limit", 0, fmt.Sprintf("page size, 1 to %d (default: the server's, 100)", p.maxLimit))
	cmd.Flags().BoolVar(&p.all, "all", false, "list every "+strings.TrimSuffix(p.what, "s")+", page by page")
}

// values returns the offset and limit to send: nil unless set on the
// command line. It fails when --all is combined with them.
func (p *pageFlags) values(cmd *cobra.Command) (offset, limit *int, err error) {
	changed := cmd.Flags().Changed
	if p.all && (changed("offset") || changed("limit")) {
		return nil, nil, usagef("--all cannot be combined with --offset or --limit")
	}
	if changed("offset") {
		if p.offset < 0 {
			return nil, nil, usagef("invalid --offset %d: must not be negative", p.offset)
		}
		offset = new(p.offset)
	}
	if changed("limit") {
		if p.limit < 1 || p.limit > p.maxLimit {
			return nil, nil, usagef("invalid --limit %d: the page size is 1 to %d", p.limit, p.maxLimit)
		}
		limit = new(p.limit)
	}
	p.sent = offset
	return offset, limit, nil
}

// morePages tells on stderr that a page is not the whole list.
func (a *app) morePages(what string, offset *int, n, count int) {
	first := 0
	if offset != nil {
		first = *offset
	}
	if n > 0 && first+n < count {
		fmt.Fprintf(a.stderr, "showing %s %d-%d of %d; use --offset and --limit, or --all\n", what, first+1, first+n, count)
	}
}

// parsePhoneStatus parses a phone status given as a code (any integer, so
// that the server judges it) or as a name such as "running".
func parsePhoneStatus(s string) (cph.PhoneStatus, error) {
	if n, err := strconv.ParseInt(s, 10, 32); err == nil {
		return cph.PhoneStatus(n), nil
	}
	var names []string
	for _, st := range cph.PhoneStatuses() {
		if strings.EqualFold(s, st.String()) {
			return st, nil
		}
		names = append(names, st.String())
	}
	return 0, usagef("invalid --status %q: want a status code or one of %s", s, strings.Join(names, ", "))
}

func (a *app) phonesListCommand() *cobra.Command {
	var (
		opts   client.ListPhonesOptions
		status string
		typ    int32
		page   = &pageFlags{what: "phones", maxLimit: client.MaxPhonePageSize}
	)
	return pagedList(command[*client.PhoneList]{
		Use:   "list",
		Short: "List the project's phones, newest first",
		Example: `  cph phones list --status running
  cph phones list --server 5f0c2a9e7d4b4c1e8a3f6b2d9c0e1a47 --all -o json`,
		Args: cobra.NoArgs,
		Page: page,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&opts.Name, "name", "", "keep the phones whose name contains this text")
			cmd.Flags().StringVar(&opts.ServerID, "server", "", "keep the phones of this server id")
			cmd.Flags().StringVar(&status, "status", "", "keep the phones in this status (code, e.g. 2, or name, e.g. running)")
			cmd.Flags().Int32Var(&typ, "type", 0, "keep the phones of this type (0 ordinary, 1 trial)")
		},
		Check: func(cmd *cobra.Command, _ []string, _ *settings) (err error) {
			if opts.Offset, opts.Limit, err = page.values(cmd); err != nil {
				return err
			}
			if cmd.Flags().Changed("status") {
				st, err := parsePhoneStatus(status)
				if err != nil {
					return err
				}
				opts.Status = &st
			}
			if cmd.Flags().Changed("type") {
				opts.Type = new(typ)
			}
			return nil
		},
	}, &opts, (*client.Client).ListAllPhones, (*client.Client).ListPhones,
		func(l *client.PhoneList) ([]cph.Phone, int) { return l.Phones, l.Count },
		func(p cph.Phone) string { return p.ID }, phonesTable).build(a)
}

func (a *app) phonesShowCommand() *cobra.Command {
	return withID(command[*cph.PhoneDetail]{
		Use:   "show PHONE_ID",
		Short: "Show the details of a phone",
		Fields: func(p *cph.PhoneDetail) []string {
			return []string{
				"phone_id", p.ID,
				"phone_name", p.Name,
				"status", phoneStatus(p.Status),
				"server_id", p.ServerID,
				"image_id", p.ImageID,
				"image_version", p.ImageVersion,
				"phone_model_name", p.ModelName,
				"type", strconv.Itoa(int(p.Type)),
				"imei", p.IMEI,
				"traffic_type", p.TrafficType,
				"volume_mode", strconv.Itoa(int(p.VolumeMode)),
				"availability_zone", p.AvailabilityZone,
				"has_encrypt", strconv.FormatBool(p.HasEncrypt),
				"phone_data_volume", dataVolume(p.DataVolume),
				"property", p.Property,
				"custom_property", customProperty(p.CustomProperty),
				"create_time", fmtTime(p.CreateTime),
				"update_time", fmtTime(p.UpdateTime),
			}
		},
		Tables: func(p *cph.PhoneDetail) []*table {
			t := &table{header: []string{"ACCESS", "PHONE_IP", "LISTEN_PORT", "SERVER_IP", "PUBLIC_IP", "ACCESS_PORT"}}
			for _, ai := range p.AccessInfos {
				t.add(ai.Type, ai.PhoneIP, strconv.Itoa(int(ai.ListenPort)), ai.ServerIP, ai.PublicIP, strconv.Itoa(int(ai.AccessPort)))
			}
			return []*table{t}
		},
	}, (*client.Client).ShowPhone).build(a)
}

func (a *app) phonesScreenshotCommand() *cobra.Command {
	return command[*cph.PhoneScreenshot]{
		Use:   "screenshot PHONE_ID [FILE]",
		Short: "Save a PNG screenshot of a running phone to a file, or to standard output",
		Long: `Save a PNG capture of a running phone's screen to FILE, or to standard output
without FILE or with "-". A capture less than 2 s old is shared by every
viewer of the phone. A phone that is not running is refused (CPS.9015); a
phone that does not deliver a capture within 10 s answers CPS.9016. With
-o json and a FILE, the capture's time and size are printed as JSON.`,
		Example: "  cph phones screenshot 1a2b3c4d5e6f47a8b9c0d1e2f3a4b5c6 screen.png",
		Args:    cobra.RangeArgs(1, 2),
		Call: func(ctx context.Context, c *client.Client, args []string) (*cph.PhoneScreenshot, error) {
			return c.ShowPhoneScreenshot(ctx, args[0])
		},
		JSON: func(shot *cph.PhoneScreenshot) any {
			return map[string]any{"taken_at": shot.TakenAt.UTC().Format(time.RFC3339Nano), "size": len(shot.PNG)}
		},
		Done: func(args []string, shot *cph.PhoneScreenshot) error {
			if len(args) == 2 && args[1] != "-" {
				if err := os.WriteFile(args[1], shot.PNG, 0o644); err != nil {
					return fmt.Errorf("write the screenshot: %w", err)
				}
				fmt.Fprintf(a.stderr, "screenshot of phone %s taken at %s written to %s (%d bytes)\n",
					args[0], shot.TakenAt.UTC().Format(time.RFC3339), args[1], len(shot.PNG))
				return nil
			}
			if a.flags.output == "json" {
				return nil // the JSON form went to standard output
			}
			_, err := a.stdout.Write(shot.PNG)
			return err
		},
	}.build(a)
}

// customProperty formats a phone's custom properties as their JSON
// object, "" when there is none.
func customProperty(m map[string]string) string {
	if len(m) == 0 {
		return ""
	}
	return string(cph.CustomPropertyJSON(m))
}

// dataVolume formats a phone's data disk, e.g. "SSD 64 GiB".
func dataVolume(v cph.PhoneDataVolume) string {
	if v.VolumeType == "" && v.VolumeSize == 0 {
		return ""
	}
	return strings.TrimSpace(fmt.Sprintf("%s %d GiB", v.VolumeType, v.VolumeSize))
}

// batchHelp ends the help of restart, stop and reset.
const batchHelp = `

With --wait, polls the jobs (progress on stderr) until all have finished and
prints them; the exit code is 0 only if no phone was refused and every job
succeeded. Without --wait, the exit code is 1 if any phone was refused.`

// bootCommand builds restart or reset: an asynchronous phone operation
// that may boot the phones with another image and properties.
func (a *app) bootCommand(use, short, long string, send func(ctx context.Context, c *client.Client, image string, phones []cph.PhoneRef) (*client.BatchResult, error)) *cobra.Command {
	var image, property string
	var factory bool
	reset := strings.HasPrefix(use, "reset ")
	return command[*client.BatchResult]{
		Use: use, Short: short, Long: long + batchHelp,
		Args: cobra.MinimumNArgs(1),
		Wait: &waitFlags{},
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&image, "image", "", "image id to boot the phones with")
			cmd.Flags().StringVar(&property, "property", "", `phone properties to apply, a JSON object, e.g. '{"sys.prop.writewifissid":"lab"}'`)
			if reset {
				cmd.Flags().BoolVar(&factory, "factory", false, "also forget the properties and custom properties the phones were given (factory_reset_enabled)")
			}
		},
		Check: func(*cobra.Command, []string, *settings) error {
			if property == "" {
				return nil
			}
			return checkProperty(property)
		},
		Call: func(ctx context.Context, c *client.Client, ids []string) (*client.BatchResult, error) {
			refs := phoneRefs(ids, property)
			for i := range refs {
				refs[i].FactoryReset = factory
			}
			return send(ctx, c, image, refs)
		},
		Output: a.batchResult,
	}.build(a)
}

// checkProperty checks that a --property is a JSON object.
func checkProperty(property string) error {
	var obj map[string]any
	if err := json.Unmarshal([]byte(property), &obj); err != nil || obj == nil {
		return usagef("invalid --property: want a JSON object")
	}
	return nil
}

func (a *app) phonesRestartCommand() *cobra.Command {
	return a.bootCommand("restart PHONE_ID...", "Restart phones (and start stopped ones)",
		`Restart running phones and start stopped ones, optionally with another image
and properties (RestartCloudPhone). Prints the request id and one line per
phone: its job id, or why it was refused.`,
		func(ctx context.Context, c *client.Client, image string, phones []cph.PhoneRef) (*client.BatchResult, error) {
			return c.RestartPhones(ctx, client.RestartPhonesRequest{ImageID: image, Phones: phones})
		})
}

func (a *app) phonesResetCommand() *cobra.Command {
	return a.bootCommand("reset PHONE_ID...", "Reset phones to their factory state",
		`Reset phones to their factory state, wiping their data, optionally with
another image and properties (ResetCloudPhone). The properties the phones were
given before are kept and --property is added to them; with --factory they are
forgotten, custom properties too, and the phones come back with their image's
defaults and --property only. Prints the request id and one line per phone: its
job id, or why it was refused.`,
		func(ctx context.Context, c *client.Client, image string, phones []cph.PhoneRef) (*client.BatchResult, error) {
			return c.ResetPhones(ctx, client.ResetPhonesRequest{ImageID: image, Phones: phones})
		})
}

func (a *app) phonesStopCommand() *cobra.Command {
	return command[*client.BatchResult]{
		Use:   "stop PHONE_ID...",
		Short: "Power phones off",
		Long: `Power phones off (StopCloudPhone); "cph phones restart" starts them again.
Prints the request id and one line per phone: its job id, or why it was
refused.` + batchHelp,
		Args: cobra.MinimumNArgs(1),
		Wait: &waitFlags{},
		Call: func(ctx context.Context, c *client.Client, ids []string) (*client.BatchResult, error) {
			return c.StopPhones(ctx, ids)
		},
		Output: a.batchResult,
	}.build(a)
}

// phoneRefs returns the batch entries of ids, each with property.
func phoneRefs(ids []string, property string) []cph.PhoneRef {
	return each(ids, func(id string) cph.PhoneRef { return cph.PhoneRef{PhoneID: id, Property: property} })
}

// waitOutput is the JSON output of a batch command with --wait: the
// operation's answer plus the final state of its jobs.
type waitOutput struct {
	RequestID string         `json:"request_id"`
	Jobs      []cph.PhoneJob `json:"jobs"`
	Results   []cph.Job      `json:"results"`
}

// batchResult prints the answer of an asynchronous operation and, with
// --wait, waits for its jobs and prints them.
func (a *app) batchResult(ctx context.Context, s settings, c *client.Client, res *client.BatchResult, wf waitFlags) error {
	rememberRequest(s, res.RequestID)
	var refused []cph.PhoneJob
	for _, j := range res.Jobs {
		if j.ErrorCode != "" || j.JobID == "" {
			refused = append(refused, j)
		}
	}
	if s.Output != "json" || !wf.wait {
		if err := a.printBatch(s, res); err != nil {
			return err
		}
	}
	if !wf.wait {
		for _, j := range refused {
			a.printFailure(j.PhoneID, "", j.ErrorCode, j.ErrorMsg)
		}
		if len(refused) > 0 {
			return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d phones refused", len(refused), len(res.Jobs))}
		}
		return nil
	}
	jobs := []cph.Job{}
	if len(refused) < len(res.Jobs) {
		var err error
		if jobs, err = a.waitJobs(ctx, c, res.RequestID, wf); err != nil {
			return err
		}
	}
	if s.Output == "json" {
		if err := writeJSON(a.stdout, waitOutput{RequestID: res.RequestID, Jobs: res.Jobs, Results: jobs}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(a.stdout)
		if err := jobsTable(jobs).write(a.stdout); err != nil {
			return err
		}
	}
	for _, j := range refused {
		a.printFailure(j.PhoneID, "", j.ErrorCode, j.ErrorMsg)
	}
	failed := len(refused) + a.printFailedJobs(jobs)
	listed := map[string]bool{}
	for _, j := range jobs {
		listed[j.ID] = true
	}
	for _, j := range res.Jobs {
		if j.JobID != "" && j.ErrorCode == "" && !listed[j.JobID] {
			failed++
			a.printFailure(j.PhoneID, j.JobID, "", "the job is not listed by ListJobs")
		}
	}
	if failed > 0 {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d phones failed", failed, len(res.Jobs))}
	}
	return nil
}

// printBatch prints the answer of an asynchronous operation.
func (a *app) printBatch(s settings, res *client.BatchResult) error {
	if s.Output == "json" {
		return writeJSON(a.stdout, res)
	}
	fmt.Fprintf(a.stdout, "request_id: %s\n", res.RequestID)
	return batchTable(res.Jobs).write(a.stdout)
}

// jsonFailure is the JSON form of a refused item or a failed job, written
// to stderr with -o json as {"failed":{...}}.
type jsonFailure struct {
	Target  string `json:"target"`
	JobID   string `json:"job_id,omitempty"`
	Code    string `json:"code"`
	Message string `json:"message"`
}

// printFailure reports one refused item or failed job on stderr.
func (a *app) printFailure(target, jobID, code, msg string) {
	if a.flags.output == "json" {
		data, err := json.Marshal(map[string]jsonFailure{"failed": {Target: target, JobID: jobID, Code: code, Message: msg}})
		if err == nil {
			fmt.Fprintf(a.stderr, "%s\n", data)
			return
		}
	}
	job := ""
	if jobID != "" {
		job = " (job " + jobID + ")"
	}
	fmt.Fprintf(a.stderr, "failed: %s%s: %s: %s\n", cell(target), job, cell(code), cell(msg))
}
