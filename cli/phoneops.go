package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// phoneOpCommands returns the "cph phones" subcommands of the phone
// operations beyond list, show, restart, stop and reset.
func (a *app) phoneOpCommands() []*cobra.Command {
	return []*cobra.Command{
		a.phonesRenameCommand(),
		a.phonesPropertyCommand(),
		a.phonesShellCommand(),
		a.phonesInstallCommand(),
		a.phonesUninstallCommand(),
		a.phonesPushCommand(),
		a.phonesExportCommand(),
		a.phonesImportCommand(),
		a.phonesConnectInfoCommand(),
		a.phonesExpandVolumeCommand(),
		a.phonesTrafficCommand(),
	}
}

func (a *app) phonesRenameCommand() *cobra.Command {
	return command[none]{
		Use:   "rename PHONE_ID NAME",
		Short: "Rename a phone",
		Long: `Give a phone a new name (UpdatePhoneName): 1 to 60 letters, digits, Chinese
characters, '-' or '_', unique in the project.`,
		Args: cobra.ExactArgs(2),
		Call: func(ctx context.Context, c *client.Client, args []string) (none, error) {
			return nothing(c.RenamePhone(ctx, args[0], args[1]))
		},
	}.build(a)
}

// batchOp builds a command that sends an asynchronous phone operation and
// prints its answer (and, with --wait, its jobs) like "cph phones restart".
func (a *app) batchOp(c command[*client.BatchResult]) *cobra.Command {
	c.Long += `

With --wait, polls the jobs until all have finished and prints them; the
exit code is 0 only if no phone was refused and every job succeeded.`
	c.Args = cobra.MinimumNArgs(1)
	c.Wait = &waitFlags{}
	c.Output = a.batchResult
	return c.build(a)
}

func (a *app) phonesPropertyCommand() *cobra.Command {
	var (
		property string
		custom   []string
	)
	var customMap map[string]string
	return a.batchOp(command[*client.BatchResult]{
		Use:   "property PHONE_ID... [--property JSON] [--custom KEY=VALUE]...",
		Short: "Update phone properties",
		Long: `Update phone properties (UpdateCloudPhoneProperty). ro.permission.changed and
ro.install.auto apply at once; the other keys when the phone next boots.

--custom sets a custom (user-defined) property of the phones, kept with them and
shown by "cph phones show"; KEY= with no value removes the key, and the keys not
named keep their values. Keys are 1 to 128 letters, digits, '.', '_', ':' or
'-', values at most 91 bytes. --property, --custom or both are required.`,
		Example: `  cph phones property 5f0c... --property '{"com.cph.mainkeys":1}' --wait
  cph phones property 5f0c... --custom app.channel=beta --custom old.key=`,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&property, "property", "", "the properties, a JSON object of CPH phone property keys")
			cmd.Flags().StringArrayVar(&custom, "custom", nil, "a custom property KEY=VALUE (KEY= removes it); repeatable")
		},
		Check: func(*cobra.Command, []string, *settings) error {
			if property == "" && len(custom) == 0 {
				return usagef("give --property, --custom or both")
			}
			if len(custom) > 0 {
				customMap = map[string]string{}
				for _, kv := range custom {
					k, v, ok := strings.Cut(kv, "=")
					if !ok || k == "" {
						return usagef("invalid --custom %q: want KEY=VALUE", kv)
					}
					customMap[k] = v
				}
			}
			if property == "" {
				return nil
			}
			return checkProperty(property)
		},
		Call: func(ctx context.Context, c *client.Client, ids []string) (*client.BatchResult, error) {
			refs := phoneRefs(ids, property)
			for i := range refs {
				refs[i].CustomProperty = customMap
			}
			return c.UpdatePhoneProperties(ctx, refs)
		},
	})
}

func (a *app) phonesExpandVolumeCommand() *cobra.Command {
	var size int32
	return a.batchOp(command[*client.BatchResult]{
		Use:   "expand-volume PHONE_ID... --size GIB",
		Short: "Grow phone data volumes",
		Long:  `Grow the data volume of phones to a new size in GiB (ExpandPhoneDataVolumeSize).`,
		Flags: func(cmd *cobra.Command) { cmd.Flags().Int32Var(&size, "size", 0, "the new size in GiB (required)") },
		Check: func(*cobra.Command, []string, *settings) error {
			if size <= 0 {
				return usagef("invalid --size: want a positive number of GiB")
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, ids []string) (*client.BatchResult, error) {
			return c.ExpandPhoneVolumes(ctx, each(ids, func(id string) cph.PhoneDataVolumeSize {
				return cph.PhoneDataVolumeSize{PhoneID: id, NewSize: size}
			}))
		},
	})
}

func (a *app) phonesTrafficCommand() *cobra.Command {
	var typ string
	return a.batchOp(command[*client.BatchResult]{
		Use:   "traffic PHONE_ID... --type direct|routing",
		Short: "Set the traffic route of phones",
		Long:  `Route phone traffic directly or through the encode container (ImportTraffic).`,
		Flags: func(cmd *cobra.Command) { cmd.Flags().StringVar(&typ, "type", "", "direct or routing (required)") },
		Check: func(*cobra.Command, []string, *settings) error {
			if typ != cph.TrafficDirect && typ != cph.TrafficRouting {
				return usagef("invalid --type %q: want direct or routing", typ)
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, ids []string) (*client.BatchResult, error) {
			return c.ImportTraffic(ctx, typ, ids)
		},
	})
}

// objectTemplate checks an object path for the phones ids: several phones
// need the {phone_id} placeholder so that each gets its own object.
func objectTemplate(object string, ids []string) error {
	if object == "" {
		return usagef("--object is required")
	}
	if len(ids) > 1 && !strings.Contains(object, "{phone_id}") {
		return usagef("--object must contain {phone_id} when several phones are given")
	}
	return nil
}

// objectFlags are the flags naming the object of phone data.
type objectFlags struct{ bucket, object string }

// add registers --bucket and --object.
func (o *objectFlags) add(cmd *cobra.Command) {
	cmd.Flags().StringVar(&o.bucket, "bucket", "", "bucket of the object (required)")
	cmd.Flags().StringVar(&o.object, "object", "", "key of the object; may contain {phone_id} (required)")
}

// check checks the object path for the phones ids.
func (o *objectFlags) check(_ *cobra.Command, ids []string, _ *settings) error {
	return objectTemplate(o.object, ids)
}

// path returns the object path of one phone.
func (o *objectFlags) path(id string) string { return strings.ReplaceAll(o.object, "{phone_id}", id) }

func (a *app) phonesExportCommand() *cobra.Command {
	var (
		obj              objectFlags
		include, exclude []string
	)
	return a.batchOp(command[*client.BatchResult]{
		Use:   "export PHONE_ID... --bucket BUCKET --object KEY",
		Short: "Export phone data to an object",
		Long: `Pack the files of phones (paths under /data and /cache), their properties and
applications into a tar object (BatchExportCloudPhoneData). {phone_id} in
--object is replaced by each phone's id.`,
		Example: `  cph phones export 5f0c... --bucket backup --object exports/{phone_id}.tar --include /data --wait`,
		Flags: func(cmd *cobra.Command) {
			obj.add(cmd)
			cmd.Flags().StringSliceVar(&include, "include", []string{"/data"}, "paths to export (repeatable)")
			cmd.Flags().StringSliceVar(&exclude, "exclude", nil, "paths to leave out (repeatable)")
		},
		Check: obj.check,
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.BatchResult, error) {
			return c.ExportPhoneData(ctx, each(args, func(id string) cph.StorageInfo {
				return cph.StorageInfo{PhoneID: id, IncludeFiles: include, ExcludeFiles: exclude, BucketName: obj.bucket, ObjectPath: obj.path(id)}
			}))
		},
	})
}

func (a *app) phonesImportCommand() *cobra.Command {
	var obj objectFlags
	return a.batchOp(command[*client.BatchResult]{
		Use:   "import PHONE_ID... --bucket BUCKET --object KEY",
		Short: "Restore exported data into phones",
		Long: `Restore a tar object made by "cph phones export" into phones
(BatchImportCloudPhoneData). {phone_id} in --object is replaced by each
phone's id. A restart afterwards is recommended.`,
		Flags: obj.add,
		Check: obj.check,
		Call: func(ctx context.Context, c *client.Client, args []string) (*client.BatchResult, error) {
			return c.ImportPhoneData(ctx, each(args, func(id string) cph.RestoreInfo {
				return cph.RestoreInfo{PhoneID: id, BucketName: obj.bucket, ObjectPath: obj.path(id)}
			}))
		},
	})
}

// commandOp builds a command that queues an ADB command on the phones (or
// servers, with --servers) given as arguments; content returns the
// command and its text.
func (a *app) commandOp(c command[*client.CommandResult], content func() (string, string, error)) *cobra.Command {
	var (
		servers       bool
		command, text string
		ids           []string
	)
	c.Long += `

Prints the request id and one line per phone. With --wait, waits for the
jobs and prints each phone's output; the exit code is 0 only if every job
succeeded.`
	c.Args = cobra.MinimumNArgs(1)
	c.Wait = &waitFlags{}
	flags := c.Flags
	c.Flags = func(cmd *cobra.Command) {
		flags(cmd)
		cmd.Flags().BoolVar(&servers, "servers", false, "the arguments are server ids: run on every phone of those servers")
	}
	c.Check = func(cmd *cobra.Command, args []string, _ *settings) (err error) {
		if command, text, err = content(); err != nil {
			return err
		}
		if ids = targetIDs(cmd, args); len(ids) == 0 {
			return usagef("give at least one phone id")
		}
		return nil
	}
	c.Call = func(ctx context.Context, cl *client.Client, _ []string) (*client.CommandResult, error) {
		return cl.RunCommand(ctx, commandRequest(command, text, ids, servers))
	}
	c.Output = a.commandResult
	return c.build(a)
}

// commandRequest returns the request that runs command with text on the
// phones ids, or on every phone of the servers ids.
func commandRequest(command, text string, ids []string, servers bool) client.Command {
	if servers {
		return client.Command{Command: command, Content: text, ServerIDs: ids}
	}
	return client.Command{Command: command, Content: text, PhoneIDs: ids}
}

// targetIDs returns the arguments before "--", or all of them.
func targetIDs(cmd *cobra.Command, args []string) []string {
	if n := cmd.ArgsLenAtDash(); n >= 0 {
		return args[:n]
	}
	return args
}

// commandResult prints a command's answer and, with --wait, the output of
// its jobs.
func (a *app) commandResult(ctx context.Context, s settings, c *client.Client, res *client.CommandResult, wf waitFlags) error {
	br := &client.BatchResult{RequestID: res.RequestID}
	for _, j := range res.Jobs {
		br.Jobs = append(br.Jobs, cph.PhoneJob{PhoneID: commandTarget(j.PhoneID, j.ServerID), JobID: j.JobID, ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg})
	}
	if !wf.wait {
		return a.batchResult(ctx, s, c, br, wf)
	}
	var jobs []cph.Job
	accepted := 0
	for _, j := range br.Jobs {
		if j.JobID != "" {
			accepted++
		}
	}
	if accepted > 0 {
		var err error
		if jobs, err = a.waitJobs(ctx, c, res.RequestID, wf); err != nil {
			return err
		}
	}
	return a.printOutputs(s, br.Jobs, jobs)
}

// printOutputs prints each phone's command output, and the refusals and
// failures on stderr.
func (a *app) printOutputs(s settings, entries []cph.PhoneJob, jobs []cph.Job) error {
	if s.Output == "json" {
		if err := writeJSON(a.stdout, map[string]any{"jobs": entries, "results": jobs}); err != nil {
			return err
		}
	}
	failed := 0
	byID := map[string]cph.Job{}
	for _, j := range jobs {
		byID[j.ID] = j
	}
	for _, e := range entries {
		if e.JobID == "" {
			failed++
			a.printFailure(e.PhoneID, "", e.ErrorCode, e.ErrorMsg)
			continue
		}
		j, ok := byID[e.JobID]
		if s.Output != "json" {
			if len(entries) > 1 {
				fmt.Fprintf(a.stdout, "== %s ==\n", e.PhoneID)
			}
			if ok && j.ExecuteMsg != nil {
				out := *j.ExecuteMsg
				fmt.Fprint(a.stdout, out)
				if out != "" && !strings.HasSuffix(out, "\n") {
					fmt.Fprintln(a.stdout)
				}
			}
		}
		if !ok || j.Status != cph.JobSucceeded {
			failed++
			a.printFailure(e.PhoneID, e.JobID, deref(j.ErrorCode), deref(j.ErrorMsg))
		}
	}
	if failed > 0 {
		return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d phones failed", failed, len(entries))}
	}
	return nil
}

// shellResult is the answer of "cph phones shell": the jobs of
// RunShellCommand, or the entries and results of RunSyncCommand.
type shellResult struct {
	queued  *client.CommandResult
	entries []cph.PhoneJob
	jobs    []cph.Job
}

func (a *app) phonesShellCommand() *cobra.Command {
	var (
		servers   bool
		ids       []string
		shellText string
	)
	return command[shellResult]{
		Use:   "shell PHONE_ID... -- COMMAND...",
		Short: "Run a shell command on phones and print its output",
		Long: `Run a shell command on phones and print each phone's output (execute_msg,
at most 1024 bytes). Up to 15 phones use RunSyncCommand (at most 6 calls a
minute); more phones, or --servers, use RunShellCommand and wait for the
jobs. The command may use letters, digits, spaces and _ . / : - only.
The exit code is 0 only if the command succeeded on every phone.`,
		Example: `  cph phones shell 5f0c... -- getprop ro.build.version.release
  cph phones shell 5f0c... 7a1e... -- pm list packages -3`,
		Args: cobra.MinimumNArgs(2),
		Wait: &waitFlags{always: true},
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&servers, "servers", false, "the ids are server ids: run on every phone of those servers")
		},
		Check: func(cmd *cobra.Command, args []string, _ *settings) error {
			dash := cmd.ArgsLenAtDash()
			if dash < 1 || dash == len(args) {
				return usagef(`give phone ids, then "--", then the command`)
			}
			ids, shellText = args[:dash], strings.Join(args[dash:], " ")
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, _ []string) (shellResult, error) {
			if servers || len(ids) > client.MaxSyncCommandPhones {
				res, err := c.RunCommand(ctx, commandRequest(cph.CommandShell, shellText, ids, servers))
				return shellResult{queued: res}, err
			}
			res, err := c.RunSyncCommand(ctx, commandRequest(cph.CommandShell, shellText, ids, false))
			if err != nil {
				return shellResult{}, err
			}
			var r shellResult
			for _, j := range res.Jobs {
				e := cph.PhoneJob{PhoneID: commandTarget(j.PhoneID, j.ServerID), JobID: j.JobID, ErrorCode: deref(j.ErrorCode), ErrorMsg: deref(j.ErrorMsg)}
				if j.JobID != "" {
					r.jobs = append(r.jobs, cph.Job{ID: j.JobID, PhoneID: j.PhoneID, Status: j.Status, ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg, ExecuteMsg: j.ExecuteMsg})
					e.ErrorCode, e.ErrorMsg = "", ""
				}
				r.entries = append(r.entries, e)
			}
			return r, nil
		},
		Output: func(ctx context.Context, s settings, c *client.Client, r shellResult, wf waitFlags) error {
			if r.queued != nil {
				wf.wait = true
				return a.commandResult(ctx, s, c, r.queued, wf)
			}
			return a.printOutputs(s, r.entries, r.jobs)
		},
	}.build(a)
}

// commandTarget names the target of a command's job: its phone, else its
// server.
func commandTarget(phoneID, serverID string) string {
	if phoneID == "" {
		return "server " + serverID
	}
	return phoneID
}

func (a *app) phonesInstallCommand() *cobra.Command {
	var (
		apks  []string
		flags string
	)
	return a.commandOp(command[*client.CommandResult]{
		Use:   "install PHONE_ID... --apk obs://BUCKET/KEY.apk",
		Short: "Install an application from object storage",
		Long: `Install an APK from object storage on phones (InstallApk). Several --apk
are the split APKs of one application (install-multiple). Upload APKs with
"cph objects put".`,
		Example: `  cph phones install 5f0c... --apk obs://apps/demo.apk --wait`,
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringSliceVar(&apks, "apk", nil, "obs:// reference of an APK (repeatable; required)")
			cmd.Flags().StringVar(&flags, "flags", "", `install flags, e.g. "-r -t"`)
		},
	}, func() (string, string, error) {
		if len(apks) == 0 {
			return "", "", usagef("--apk is required")
		}
		command := cph.CommandInstall
		if len(apks) > 1 {
			command = cph.CommandInstallMultiple
		}
		return command, strings.TrimSpace(flags + " " + strings.Join(apks, " ")), nil
	})
}

// requiredText returns the content of commandOp for a command whose text
// is one required flag's value.
func requiredText(command, flag string, value *string) func() (string, string, error) {
	return func() (string, string, error) {
		if *value == "" {
			return "", "", usagef("--%s is required", flag)
		}
		return command, *value, nil
	}
}

func (a *app) phonesUninstallCommand() *cobra.Command {
	var pkg string
	return a.commandOp(command[*client.CommandResult]{
		Use:   "uninstall PHONE_ID... --package NAME",
		Short: "Uninstall an application",
		Long:  `Remove an application and its data from phones (UninstallApk).`,
		Flags: stringFlag(&pkg, "package", "", "package name, e.g. com.example.app (required)"),
	}, requiredText(cph.CommandUninstall, "package", &pkg))
}

func (a *app) phonesPushCommand() *cobra.Command {
	var tarRef string
	return a.commandOp(command[*client.CommandResult]{
		Use:   "push PHONE_ID... --tar obs://BUCKET/KEY.tar",
		Short: "Unpack a tar from object storage into phones",
		Long: `Unpack a tar object into phones, relative to their root directory
(PushFile): pack files under data/ (tar -cf data.tar data).`,
		Flags: stringFlag(&tarRef, "tar", "", "obs:// reference of the tar (required)"),
	}, requiredText(cph.CommandPush, "tar", &tarRef))
}

func (a *app) phonesConnectInfoCommand() *cobra.Command {
	var clientType string
	return command[*cph.ConnectInfos]{
		Use:   "connect-info PHONE_ID...",
		Short: "Get access tickets of phones for a streaming client",
		Long: `Get the access address and a short-lived signed ticket of up to 10 running
phones (BatchShowPhoneConnectInfos).`,
		Args:  cobra.RangeArgs(1, 10),
		Flags: stringFlag(&clientType, "client-type", "ANDROID", "ANDROID, WINDOWS, H5_MOBILE, H5_PC or IOS"),
		Call: func(ctx context.Context, c *client.Client, args []string) (*cph.ConnectInfos, error) {
			return c.ConnectInfos(ctx, clientType, args)
		},
		Table: func(res *cph.ConnectInfos) *table {
			t := &table{header: []string{"PHONE_ID", "ACCESS_IP", "INTRANET_IP", "ACCESS_PORT", "SESSION_ID", "TICKET"}}
			for _, ci := range res.ConnectInfos {
				ai := ci.AccessInfo
				t.add(ci.PhoneID, ai.AccessIP, ai.IntranetIP, strconv.Itoa(int(ai.AccessPort)), ai.SessionID, ai.Ticket)
			}
			return t
		},
		Done: func(_ []string, res *cph.ConnectInfos) error {
			for _, e := range res.Errors {
				a.printFailure(e.PhoneID, "", e.ErrorCode, e.ErrorMsg)
			}
			if len(res.Errors) > 0 {
				return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d phones cannot be connected", len(res.Errors), len(res.Errors)+len(res.ConnectInfos))}
			}
			return nil
		},
	}.build(a)
}

// objectsCommand is "cph objects": the object storage that obs://
// references name.
func (a *app) objectsCommand() *cobra.Command {
	return group("objects", "Put, list, get and delete objects of the project's buckets",
		a.objectsPutCommand(), a.objectsListCommand(), a.objectsGetCommand(), a.objectsDeleteCommand())
}

func (a *app) objectsPutCommand() *cobra.Command {
	var data []byte
	return command[none]{
		Use:   "put BUCKET KEY FILE",
		Short: `Upload a file ("-" for standard input) as obs://BUCKET/KEY`,
		Long: `Upload a file as an object; the bucket is created for the project if it
does not exist. Objects are limited to 1 MiB by the server's request limit.`,
		Example: `  cph objects put apps demo.apk ./demo.apk`,
		Args:    cobra.ExactArgs(3),
		Check: func(_ *cobra.Command, args []string, _ *settings) (err error) {
			if args[2] == "-" {
				data, err = io.ReadAll(a.stdin)
			} else {
				data, err = os.ReadFile(args[2])
			}
			if err != nil {
				return fmt.Errorf("read %s: %w", args[2], err)
			}
			return nil
		},
		Call: func(ctx context.Context, c *client.Client, args []string) (none, error) {
			return nothing(c.PutObject(ctx, args[0], args[1], data))
		},
		Done: func(args []string, _ none) error {
			fmt.Fprintf(a.stdout, "obs://%s/%s\n", args[0], args[1])
			return nil
		},
	}.build(a)
}

// objectList is the answer of "cph objects list": the buckets, or the
// objects of one bucket.
type objectList struct {
	buckets []client.Bucket
	objects []client.Object
	bucket  string // the bucket listed, or "" for the buckets
}

func (a *app) objectsListCommand() *cobra.Command {
	var prefix string
	return command[objectList]{
		Use:   "list [BUCKET]",
		Short: "List the project's buckets, or the objects of a bucket",
		Args:  cobra.MaximumNArgs(1),
		Flags: stringFlag(&prefix, "prefix", "", "only objects whose key starts with this"),
		Call: func(ctx context.Context, c *client.Client, args []string) (l objectList, err error) {
			if len(args) == 0 {
				l.buckets, err = c.ListBuckets(ctx)
				return l, err
			}
			l.bucket = args[0]
			l.objects, err = c.ListObjects(ctx, args[0], prefix)
			return l, err
		},
		JSON: func(l objectList) any {
			if l.bucket == "" {
				return l.buckets
			}
			return l.objects
		},
		Table: func(l objectList) *table {
			if l.bucket == "" {
				t := &table{header: []string{"BUCKET", "CREATED"}}
				for _, b := range l.buckets {
					t.add(b.Name, fmtTime(b.CreateTime))
				}
				return t
			}
			t := &table{header: []string{"KEY", "SIZE", "LAST_MODIFIED"}}
			for _, o := range l.objects {
				t.add(o.Key, strconv.FormatInt(o.Size, 10), fmtTime(o.LastModified))
			}
			return t
		},
	}.build(a)
}

func (a *app) objectsGetCommand() *cobra.Command {
	return command[[]byte]{
		Use:   "get BUCKET KEY [FILE]",
		Short: "Download an object to a file, or to standard output",
		Args:  cobra.RangeArgs(2, 3),
		Call: func(ctx context.Context, c *client.Client, args []string) ([]byte, error) {
			return c.GetObject(ctx, args[0], args[1])
		},
		Done: func(args []string, data []byte) error {
			if len(args) == 3 && args[2] != "-" {
				return os.WriteFile(args[2], data, 0o644)
			}
			_, err := a.stdout.Write(data)
			return err
		},
	}.build(a)
}

func (a *app) objectsDeleteCommand() *cobra.Command {
	return command[none]{
		Use:   "delete BUCKET KEY",
		Short: "Delete an object",
		Args:  cobra.ExactArgs(2),
		Call: func(ctx context.Context, c *client.Client, args []string) (none, error) {
			return nothing(c.DeleteObject(ctx, args[0], args[1]))
		},
	}.build(a)
}
