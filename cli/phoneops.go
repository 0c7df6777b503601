package cli

import (
	"context"
	"encoding/json"
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
	cmd := &cobra.Command{
		Use:   "rename PHONE_ID NAME",
		Short: "Rename a phone",
		Long: `Give a phone a new name (UpdatePhoneName): 1 to 60 letters, digits, Chinese
characters, '-' or '_', unique in the project.`,
		Args: cobra.ExactArgs(2),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		return c.RenamePhone(cmd.Context(), args[0], args[1])
	})
	return cmd
}

// batchOp builds a command that sends an asynchronous phone operation and
// prints its answer (and, with --wait, its jobs) like "cph phones restart".
func (a *app) batchOp(cmd *cobra.Command, check func(args []string) error, send func(ctx context.Context, c *client.Client, args []string) (*client.BatchResult, error)) *cobra.Command {
	var wf waitFlags
	wf.add(cmd, true)
	cmd.Long += `

With --wait, polls the jobs until all have finished and prints them; the
exit code is 0 only if no phone was refused and every job succeeded.`
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		if err := wf.check(); err != nil {
			return err
		}
		if check != nil {
			if err := check(args); err != nil {
				return err
			}
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		res, err := send(cmd.Context(), c, args)
		if err != nil {
			return err
		}
		return a.batchResult(cmd.Context(), s, c, res, wf)
	})
	return cmd
}

func (a *app) phonesPropertyCommand() *cobra.Command {
	var property string
	cmd := &cobra.Command{
		Use:   "property PHONE_ID... --property JSON",
		Short: "Update phone properties",
		Long: `Update phone properties (UpdateCloudPhoneProperty). ro.permission.changed and
ro.install.auto apply at once; the other keys when the phone next boots.`,
		Example: `  cph phones property 5f0c... --property '{"com.cph.mainkeys":1}' --wait`,
		Args:    cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringVar(&property, "property", "", "the properties, a JSON object of CPH phone property keys (required)")
	return a.batchOp(cmd, func([]string) error {
		var obj map[string]any
		if err := json.Unmarshal([]byte(property), &obj); err != nil || obj == nil {
			return usagef("invalid --property: want a JSON object")
		}
		return nil
	}, func(ctx context.Context, c *client.Client, ids []string) (*client.BatchResult, error) {
		return c.UpdatePhoneProperties(ctx, phoneRefs(ids, property))
	})
}

func (a *app) phonesExpandVolumeCommand() *cobra.Command {
	var size int32
	cmd := &cobra.Command{
		Use:   "expand-volume PHONE_ID... --size GIB",
		Short: "Grow phone data volumes",
		Long:  `Grow the data volume of phones to a new size in GiB (ExpandPhoneDataVolumeSize).`,
		Args:  cobra.MinimumNArgs(1),
	}
	cmd.Flags().Int32Var(&size, "size", 0, "the new size in GiB (required)")
	return a.batchOp(cmd, func([]string) error {
		if size <= 0 {
			return usagef("invalid --size: want a positive number of GiB")
		}
		return nil
	}, func(ctx context.Context, c *client.Client, ids []string) (*client.BatchResult, error) {
		phones := make([]cph.PhoneDataVolumeSize, len(ids))
		for i, id := range ids {
			phones[i] = cph.PhoneDataVolumeSize{PhoneID: id, NewSize: size}
		}
		return c.ExpandPhoneVolumes(ctx, phones)
	})
}

func (a *app) phonesTrafficCommand() *cobra.Command {
	var typ string
	cmd := &cobra.Command{
		Use:   "traffic PHONE_ID... --type direct|routing",
		Short: "Set the traffic route of phones",
		Long:  `Route phone traffic directly or through the encode container (ImportTraffic).`,
		Args:  cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringVar(&typ, "type", "", "direct or routing (required)")
	return a.batchOp(cmd, func([]string) error {
		if typ != cph.TrafficDirect && typ != cph.TrafficRouting {
			return usagef("invalid --type %q: want direct or routing", typ)
		}
		return nil
	}, func(ctx context.Context, c *client.Client, ids []string) (*client.BatchResult, error) {
		return c.ImportTraffic(ctx, typ, ids)
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

func (a *app) phonesExportCommand() *cobra.Command {
	var (
		bucket, object   string
		include, exclude []string
	)
	cmd := &cobra.Command{
		Use:   "export PHONE_ID... --bucket BUCKET --object KEY",
		Short: "Export phone data to an object",
		Long: `Pack the files of phones (paths under /data and /cache), their properties and
applications into a tar object (BatchExportCloudPhoneData). {phone_id} in
--object is replaced by each phone's id.`,
		Example: `  cph phones export 5f0c... --bucket backup --object exports/{phone_id}.tar --include /data --wait`,
		Args:    cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringVar(&bucket, "bucket", "", "bucket of the object (required)")
	cmd.Flags().StringVar(&object, "object", "", "key of the object; may contain {phone_id} (required)")
	cmd.Flags().StringSliceVar(&include, "include", []string{"/data"}, "paths to export (repeatable)")
	cmd.Flags().StringSliceVar(&exclude, "exclude", nil, "paths to leave out (repeatable)")
	return a.batchOp(cmd, func(ids []string) error { return objectTemplate(object, ids) },
		func(ctx context.Context, c *client.Client, args []string) (*client.BatchResult, error) {
			infos := make([]cph.StorageInfo, len(args))
			for i, id := range args {
				infos[i] = cph.StorageInfo{PhoneID: id, IncludeFiles: include, ExcludeFiles: exclude, BucketName: bucket,
					ObjectPath: strings.ReplaceAll(object, "{phone_id}", id)}
			}
			return c.ExportPhoneData(ctx, infos)
		})
}

func (a *app) phonesImportCommand() *cobra.Command {
	var bucket, object string
	cmd := &cobra.Command{
		Use:   "import PHONE_ID... --bucket BUCKET --object KEY",
		Short: "Restore exported data into phones",
		Long: `Restore a tar object made by "cph phones export" into phones
(BatchImportCloudPhoneData). {phone_id} in --object is replaced by each
phone's id. A restart afterwards is recommended.`,
		Args: cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringVar(&bucket, "bucket", "", "bucket of the object (required)")
	cmd.Flags().StringVar(&object, "object", "", "key of the object; may contain {phone_id} (required)")
	return a.batchOp(cmd, func(ids []string) error { return objectTemplate(object, ids) },
		func(ctx context.Context, c *client.Client, args []string) (*client.BatchResult, error) {
			infos := make([]cph.RestoreInfo, len(args))
			for i, id := range args {
				infos[i] = cph.RestoreInfo{PhoneID: id, BucketName: bucket, ObjectPath: strings.ReplaceAll(object, "{phone_id}", id)}
			}
			return c.ImportPhoneData(ctx, infos)
		})
}

// commandOp builds a command that queues an ADB command on the phones (or
// servers, with --servers) given as arguments.
func (a *app) commandOp(cmd *cobra.Command, content func(args []string) (string, string, error)) *cobra.Command {
	var (
		wf      waitFlags
		servers bool
	)
	wf.add(cmd, true)
	cmd.Flags().BoolVar(&servers, "servers", false, "the arguments are server ids: run on every phone of those servers")
	cmd.Long += `

Prints the request id and one line per phone. With --wait, waits for the
jobs and prints each phone's output; the exit code is 0 only if every job
succeeded.`
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		if err := wf.check(); err != nil {
			return err
		}
		command, text, err := content(args)
		if err != nil {
			return err
		}
		ids := targetIDs(cmd, args)
		if len(ids) == 0 {
			return usagef("give at least one phone id")
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		req := client.Command{Command: command, Content: text, PhoneIDs: ids}
		if servers {
			req = client.Command{Command: command, Content: text, ServerIDs: ids}
		}
		res, err := c.RunCommand(cmd.Context(), req)
		if err != nil {
			return err
		}
		return a.commandResult(cmd.Context(), s, c, res, wf)
	})
	return cmd
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
		target := j.PhoneID
		if target == "" {
			target = "server " + j.ServerID
		}
		br.Jobs = append(br.Jobs, cph.PhoneJob{PhoneID: target, JobID: j.JobID, ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg})
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

func (a *app) phonesShellCommand() *cobra.Command {
	var (
		wf      waitFlags
		servers bool
	)
	cmd := &cobra.Command{
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
	}
	wf.add(cmd, false)
	cmd.Flags().BoolVar(&servers, "servers", false, "the ids are server ids: run on every phone of those servers")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		if err := wf.check(); err != nil {
			return err
		}
		dash := cmd.ArgsLenAtDash()
		if dash < 1 || dash == len(args) {
			return usagef(`give phone ids, then "--", then the command`)
		}
		ids, text := args[:dash], strings.Join(args[dash:], " ")
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if servers || len(ids) > client.MaxSyncCommandPhones {
			req := client.Command{Command: cph.CommandShell, Content: text, PhoneIDs: ids}
			if servers {
				req = client.Command{Command: cph.CommandShell, Content: text, ServerIDs: ids}
			}
			res, err := c.RunCommand(cmd.Context(), req)
			if err != nil {
				return err
			}
			wf.wait = true
			return a.commandResult(cmd.Context(), s, c, res, wf)
		}
		res, err := c.RunSyncCommand(cmd.Context(), client.Command{Command: cph.CommandShell, Content: text, PhoneIDs: ids})
		if err != nil {
			return err
		}
		var entries []cph.PhoneJob
		var jobs []cph.Job
		for _, j := range res.Jobs {
			target := j.PhoneID
			if target == "" {
				target = "server " + j.ServerID
			}
			entries = append(entries, cph.PhoneJob{PhoneID: target, JobID: j.JobID, ErrorCode: deref(j.ErrorCode), ErrorMsg: deref(j.ErrorMsg)})
			if j.JobID != "" {
				jobs = append(jobs, cph.Job{ID: j.JobID, PhoneID: j.PhoneID, Status: j.Status, ErrorCode: j.ErrorCode, ErrorMsg: j.ErrorMsg, ExecuteMsg: j.ExecuteMsg})
				entries[len(entries)-1].ErrorCode, entries[len(entries)-1].ErrorMsg = "", ""
			}
		}
		return a.printOutputs(s, entries, jobs)
	})
	return cmd
}

func (a *app) phonesInstallCommand() *cobra.Command {
	var (
		apks  []string
		flags string
	)
	cmd := &cobra.Command{
		Use:   "install PHONE_ID... --apk obs://BUCKET/KEY.apk",
		Short: "Install an application from object storage",
		Long: `Install an APK from object storage on phones (InstallApk). Several --apk
are the split APKs of one application (install-multiple). Upload APKs with
"cph objects put".`,
		Example: `  cph phones install 5f0c... --apk obs://apps/demo.apk --wait`,
		Args:    cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringSliceVar(&apks, "apk", nil, "obs:// reference of an APK (repeatable; required)")
	cmd.Flags().StringVar(&flags, "flags", "", `install flags, e.g. "-r -t"`)
	return a.commandOp(cmd, func([]string) (string, string, error) {
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

func (a *app) phonesUninstallCommand() *cobra.Command {
	var pkg string
	cmd := &cobra.Command{
		Use:   "uninstall PHONE_ID... --package NAME",
		Short: "Uninstall an application",
		Long:  `Remove an application and its data from phones (UninstallApk).`,
		Args:  cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringVar(&pkg, "package", "", "package name, e.g. com.example.app (required)")
	return a.commandOp(cmd, func([]string) (string, string, error) {
		if pkg == "" {
			return "", "", usagef("--package is required")
		}
		return cph.CommandUninstall, pkg, nil
	})
}

func (a *app) phonesPushCommand() *cobra.Command {
	var tarRef string
	cmd := &cobra.Command{
		Use:   "push PHONE_ID... --tar obs://BUCKET/KEY.tar",
		Short: "Unpack a tar from object storage into phones",
		Long: `Unpack a tar object into phones, relative to their root directory
(PushFile): pack files under data/ (tar -cf data.tar data).`,
		Args: cobra.MinimumNArgs(1),
	}
	cmd.Flags().StringVar(&tarRef, "tar", "", "obs:// reference of the tar (required)")
	return a.commandOp(cmd, func([]string) (string, string, error) {
		if tarRef == "" {
			return "", "", usagef("--tar is required")
		}
		return cph.CommandPush, tarRef, nil
	})
}

func (a *app) phonesConnectInfoCommand() *cobra.Command {
	var clientType string
	cmd := &cobra.Command{
		Use:   "connect-info PHONE_ID...",
		Short: "Get access tickets of phones for a streaming client",
		Long: `Get the access address and a short-lived signed ticket of up to 10 running
phones (BatchShowPhoneConnectInfos).`,
		Args: cobra.RangeArgs(1, 10),
	}
	cmd.Flags().StringVar(&clientType, "client-type", "ANDROID", "ANDROID, WINDOWS, H5_MOBILE, H5_PC or IOS")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		res, err := c.ConnectInfos(cmd.Context(), clientType, args)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			if err := writeJSON(a.stdout, res); err != nil {
				return err
			}
		} else {
			t := &table{header: []string{"PHONE_ID", "ACCESS_IP", "INTRANET_IP", "ACCESS_PORT", "SESSION_ID", "TICKET"}}
			for _, ci := range res.ConnectInfos {
				ai := ci.AccessInfo
				t.add(ci.PhoneID, ai.AccessIP, ai.IntranetIP, strconv.Itoa(int(ai.AccessPort)), ai.SessionID, ai.Ticket)
			}
			if err := t.write(a.stdout); err != nil {
				return err
			}
		}
		for _, e := range res.Errors {
			a.printFailure(e.PhoneID, "", e.ErrorCode, e.ErrorMsg)
		}
		if len(res.Errors) > 0 {
			return &exitError{code: ExitFailure, err: fmt.Errorf("%d of %d phones cannot be connected", len(res.Errors), len(res.Errors)+len(res.ConnectInfos))}
		}
		return nil
	})
	return cmd
}

// objectsCommand is "cph objects": the object storage that obs://
// references name.
func (a *app) objectsCommand() *cobra.Command {
	return group("objects", "Put, list, get and delete objects of the project's buckets",
		a.objectsPutCommand(), a.objectsListCommand(), a.objectsGetCommand(), a.objectsDeleteCommand())
}

func (a *app) objectsPutCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "put BUCKET KEY FILE",
		Short: `Upload a file ("-" for standard input) as obs://BUCKET/KEY`,
		Long: `Upload a file as an object; the bucket is created for the project if it
does not exist. Objects are limited to 1 MiB by the server's request limit.`,
		Example: `  cph objects put apps demo.apk ./demo.apk`,
		Args:    cobra.ExactArgs(3),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		var (
			data []byte
			err  error
		)
		if args[2] == "-" {
			data, err = io.ReadAll(a.stdin)
		} else {
			data, err = os.ReadFile(args[2])
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", args[2], err)
		}
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if err := c.PutObject(cmd.Context(), args[0], args[1], data); err != nil {
			return err
		}
		fmt.Fprintf(a.stdout, "obs://%s/%s\n", args[0], args[1])
		return nil
	})
	return cmd
}

func (a *app) objectsListCommand() *cobra.Command {
	var prefix string
	cmd := &cobra.Command{
		Use:   "list [BUCKET]",
		Short: "List the project's buckets, or the objects of a bucket",
		Args:  cobra.MaximumNArgs(1),
	}
	cmd.Flags().StringVar(&prefix, "prefix", "", "only objects whose key starts with this")
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		if len(args) == 0 {
			bs, err := c.ListBuckets(cmd.Context())
			if err != nil {
				return err
			}
			if s.Output == "json" {
				return writeJSON(a.stdout, bs)
			}
			t := &table{header: []string{"BUCKET", "CREATED"}}
			for _, b := range bs {
				t.add(b.Name, fmtTime(b.CreateTime))
			}
			return t.write(a.stdout)
		}
		objs, err := c.ListObjects(cmd.Context(), args[0], prefix)
		if err != nil {
			return err
		}
		if s.Output == "json" {
			return writeJSON(a.stdout, objs)
		}
		t := &table{header: []string{"KEY", "SIZE", "LAST_MODIFIED"}}
		for _, o := range objs {
			t.add(o.Key, strconv.FormatInt(o.Size, 10), fmtTime(o.LastModified))
		}
		return t.write(a.stdout)
	})
	return cmd
}

func (a *app) objectsGetCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get BUCKET KEY [FILE]",
		Short: "Download an object to a file, or to standard output",
		Args:  cobra.RangeArgs(2, 3),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		data, err := c.GetObject(cmd.Context(), args[0], args[1])
		if err != nil {
			return err
		}
		if len(args) == 3 && args[2] != "-" {
			return os.WriteFile(args[2], data, 0o644)
		}
		_, err = a.stdout.Write(data)
		return err
	})
	return cmd
}

func (a *app) objectsDeleteCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "delete BUCKET KEY",
		Short: "Delete an object",
		Args:  cobra.ExactArgs(2),
	}
	cmd.RunE = a.run(func(cmd *cobra.Command, args []string, s settings) error {
		c, err := a.newClient(s)
		if err != nil {
			return err
		}
		return c.DeleteObject(cmd.Context(), args[0], args[1])
	})
	return cmd
}
