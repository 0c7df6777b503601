package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/client"
)

// writeJSON writes v as indented JSON followed by a newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("encode output: %w", err)
	}
	if _, err := w.Write(append(b, '\n')); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// table writes rows as aligned columns under a header.
type table struct {
	header []string
	rows   [][]string
}

// add appends a row; empty cells are shown as "-".
func (t *table) add(cells ...string) {
	t.rows = append(t.rows, cells)
}

// write renders the table to w.
func (t *table) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	line := func(cells []string) {
		for i, c := range cells {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			fmt.Fprint(tw, cell(c))
		}
		fmt.Fprint(tw, "\n")
	}
	line(t.header)
	for _, r := range t.rows {
		line(r)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// fields writes key/value pairs as two aligned columns, without a header.
func writeFields(w io.Writer, kv ...string) error {
	tw := tabwriter.NewWriter(w, 0, 8, 2, ' ', 0)
	for i := 0; i+1 < len(kv); i += 2 {
		fmt.Fprintf(tw, "%s\t%s\n", kv[i], cell(kv[i+1]))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}

// cell makes s safe for one table cell: no tabs or line breaks, and "-"
// when empty.
func cell(s string) string {
	if s == "" {
		return "-"
	}
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r == '\v' || r == '\f' {
			return ' '
		}
		return r
	}, s)
}

// deref returns *p, or "" for nil.
func deref(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// fmtTime formats t in the CPH layout, or "" when zero.
func fmtTime(t cph.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(cph.TimeLayout)
}

// phoneStatus formats a phone status as its code and name, e.g. "2 running".
func phoneStatus(s cph.PhoneStatus) string {
	return strconv.Itoa(int(s)) + " " + s.String()
}

// jobStatus formats a job status as its code and name, e.g. "2 succeeded".
func jobStatus(s cph.JobStatus) string {
	return strconv.Itoa(int(s)) + " " + s.String()
}

// serverStatusNames name the server statuses.
var serverStatusNames = map[cph.ServerStatus]string{
	cph.ServerCreating: "creating", cph.ServerCreating1: "creating", cph.ServerCreating3: "creating", cph.ServerCreating4: "creating",
	cph.ServerAbnormal: "abnormal", cph.ServerNormal: "normal", cph.ServerDeleting: "deleting", cph.ServerFrozen: "frozen",
	cph.ServerShutDown: "shut-down", cph.ServerShuttingDown: "shutting-down", cph.ServerShutdownFail: "shutdown-failed",
	cph.ServerStarting: "starting",
}

// serverStatus formats a server status as its code and name, e.g. "5 normal".
func serverStatus(s cph.ServerStatus) string {
	name, ok := serverStatusNames[s]
	if !ok {
		name = "unknown"
	}
	return strconv.Itoa(int(s)) + " " + name
}

// tableOf returns a table of items under header, a row an item.
func tableOf[E any](items []E, header []string, row func(E) []string) *table {
	t := &table{header: header}
	for _, it := range items {
		t.add(row(it)...)
	}
	return t
}

// phonesTable renders phones.
func phonesTable(phones []cph.Phone) *table {
	t := &table{header: []string{"PHONE_ID", "NAME", "SERVER", "STATUS", "IMAGE"}}
	for _, p := range phones {
		t.add(p.ID, p.Name, p.ServerID, phoneStatus(p.Status), p.ImageID)
	}
	return t
}

// jobsTable renders jobs.
func jobsTable(jobs []cph.Job) *table {
	t := &table{header: []string{"JOB_ID", "TARGET", "STATUS", "ERROR_CODE", "ERROR_MSG", "BEGIN", "END"}}
	for _, j := range jobs {
		t.add(j.ID, jobTarget(j), jobStatus(j.Status), deref(j.ErrorCode), deref(j.ErrorMsg),
			fmtTime(j.BeginTime), fmtTime(j.EndTime))
	}
	return t
}

// jobTarget returns the id of what a job works on.
func jobTarget(j cph.Job) string {
	if j.PhoneID != "" {
		return j.PhoneID
	}
	return j.ServerID
}

// batchTable renders the entries of an asynchronous operation's answer.
func batchTable(jobs []cph.PhoneJob) *table {
	t := &table{header: []string{"PHONE_ID", "JOB_ID", "ERROR_CODE", "ERROR_MSG"}}
	for _, j := range jobs {
		t.add(j.PhoneID, j.JobID, j.ErrorCode, j.ErrorMsg)
	}
	return t
}

// serversTable renders servers.
func serversTable(servers []cph.Server) *table {
	t := &table{header: []string{"SERVER_ID", "NAME", "STATUS", "SERVER_MODEL", "PHONE_MODEL", "ZONE", "CREATED"}}
	for _, s := range servers {
		t.add(s.ID, s.Name, serverStatus(s.Status), s.ModelName, s.PhoneModelName, s.AvailabilityZone, fmtTime(s.CreateTime))
	}
	return t
}

// projectsTable renders projects.
func projectsTable(projects []client.Project) *table {
	t := &table{header: []string{"PROJECT_ID", "NAME", "ENABLED", "DESCRIPTION"}}
	for _, p := range projects {
		t.add(p.ID, p.Name, strconv.FormatBool(p.Enabled), p.Description)
	}
	return t
}

// addQuiet registers -q/--quiet, the ids-only output of a list command.
func addQuiet(cmd *cobra.Command, quiet *bool) {
	cmd.Flags().BoolVarP(quiet, "quiet", "q", false, "print only the ids, one a line (for pipes; overrides -o)")
}

// writeIDs writes ids, one a line.
func writeIDs(w io.Writer, ids []string) error {
	var b strings.Builder
	for _, id := range ids {
		b.WriteString(cell(id))
		b.WriteByte('\n')
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write output: %w", err)
	}
	return nil
}
