package console

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	cph "github.com/opencph/opencph"
)

// phoneQuery is the filter and page of the phone list, as its URL gives
// them.
type phoneQuery struct {
	Name   string
	Server string
	Status string // a status code, or ""
	Offset int
}

// parsePhoneQuery reads a phone list query; a bad value is refused with
// the API's code (CPS.0002 for paging, CPS.0005 for a status).
func parsePhoneQuery(v url.Values) (phoneQuery, error) {
	q := phoneQuery{Name: strings.TrimSpace(v.Get("name")), Server: strings.TrimSpace(v.Get("server")), Status: v.Get("status")}
	if s := v.Get("offset"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 0 {
			return q, cph.ErrInvalidPaging()
		}
		q.Offset = n
	}
	if q.Status != "" {
		n, err := strconv.Atoi(q.Status)
		if err != nil || !cph.PhoneStatus(n).Valid() {
			return q, cph.ErrInvalidStatus()
		}
		q.Status = strconv.Itoa(n)
	}
	return q, nil
}

// filter is the services' filter of q, for the caller's project.
func (q phoneQuery) filter(projectID string, offset, limit int) cph.PhoneFilter {
	f := cph.PhoneFilter{ProjectID: projectID, Offset: offset, Limit: limit}
	if q.Name != "" {
		f.NameLike = &q.Name
	}
	if q.Server != "" {
		f.ServerID = &q.Server
	}
	if q.Status != "" {
		n, _ := strconv.Atoi(q.Status)
		s := cph.PhoneStatus(n)
		f.Status = &s
	}
	return f
}

// Values returns q as URL query values (for links and the live part).
func (q phoneQuery) Values(offset int) url.Values {
	v := url.Values{}
	for k, s := range map[string]string{"name": q.Name, "server": q.Server, "status": q.Status} {
		if s != "" {
			v.Set(k, s)
		}
	}
	if offset > 0 {
		v.Set("offset", strconv.Itoa(offset))
	}
	return v
}

// Link returns the URL of the list page at offset.
func (q phoneQuery) Link(offset int) string {
	if e := q.Values(offset).Encode(); e != "" {
		return Prefix + "phones?" + e
	}
	return Prefix + "phones"
}

// Filtered reports whether q filters the list.
func (q phoneQuery) Filtered() bool { return q.Name != "" || q.Server != "" || q.Status != "" }

type phonesPage struct {
	Q      phoneQuery
	Total  int
	Phones []*cph.Phone
	// First and Last number the page's phones (1-based); Prev and Next are
	// the offsets of the pages around it, -1 if none.
	First, Last  int
	Prev, Next   int
	LastOffset   int
	MaxSelection int
	Statuses     []cph.PhoneStatus
	// Batch is the progress of the batches the page follows, if any.
	Batch *batchStatus
	// LiveURL is the URL of the page's live part.
	LiveURL string
	// rows is the rendering of the phones and the pager, spliced into the
	// page.
	rows []byte
	// StatusOptions are the choices of the status filter.
	StatusOptions []option
}

// option is one choice of a select.
type option struct {
	Value, Label string
	Selected     bool
}

// statusOptions returns the phone statuses as choices, selected the one
// whose code is selected.
func statusOptions(selected string) []option {
	var out []option
	for _, st := range cph.PhoneStatuses() {
		v := strconv.Itoa(int(st))
		out = append(out, option{Value: v, Label: st.String(), Selected: v == selected})
	}
	return out
}

func (c *Console) phones(w http.ResponseWriter, r *http.Request, s *session) error {
	q, err := parsePhoneQuery(r.URL.Query())
	if err != nil {
		return err
	}
	var b *batchStatus
	if ids := r.URL.Query()["batch"]; len(ids) > 0 {
		if b, err = c.batchStatus(r, s, ids); err != nil {
			return err
		}
		// What the action was, as the answer to it named it.
		for _, k := range batchKinds {
			if k.verb == r.URL.Query().Get("verb") {
				b.Verb = k.verb
			}
		}
		if n, err := strconv.Atoi(r.URL.Query().Get("n")); err == nil && n > 0 && n <= c.maxSelection() {
			b.Phones = n
		}
	}
	return c.renderPhones(w, r, s, q, b)
}

// renderPhones renders the phone list of q, following the batches of b.
func (c *Console) renderPhones(w http.ResponseWriter, r *http.Request, s *session, q phoneQuery, b *batchStatus) error {
	pg, err := c.cfg.Phones.ListPhones(s.ctx(r), q.filter(s.caller.ProjectID, q.Offset, pageSize))
	if err != nil {
		return err
	}
	d := phonesPage{Q: q, Total: pg.Total, Phones: pg.Phones, Prev: -1, Next: -1, MaxSelection: c.maxSelection(), Statuses: cph.PhoneStatuses(), Batch: b,
		StatusOptions: statusOptions(q.Status)}
	v := q.Values(q.Offset)
	if b != nil {
		v["batch"] = b.RequestIDs
		if b.Verb != "" && b.Phones > 0 {
			v.Set("verb", b.Verb)
			v.Set("n", strconv.Itoa(b.Phones))
		}
	}
	d.LiveURL = Prefix + "phones?" + v.Encode()
	if len(pg.Phones) > 0 {
		d.First, d.Last = q.Offset+1, q.Offset+len(pg.Phones)
	}
	if q.Offset > 0 {
		d.Prev = max(0, q.Offset-pageSize)
	}
	if q.Offset+len(pg.Phones) < pg.Total {
		d.Next = q.Offset + pageSize
	}
	if pg.Total > 0 {
		d.LastOffset = (pg.Total - 1) / pageSize * pageSize
	}
	rows, err := c.phoneRows(r, s, pg, d)
	if err != nil {
		return err
	}
	c.renderView(w, r, http.StatusOK, "phones", view{Title: "Phones", Session: s, Path: r.URL.RequestURI(), Data: d, Nav: "phones", Splice: rows})
	return nil
}

// rowsKey names one rendering of a page of phones: the page (the services
// hand out the same page while the phone data keeps its version) and
// whether it has selection boxes.
type rowsKey struct {
	page  *cph.PhonePage
	write bool
}

// phoneRows renders the rows and pager of a page of phones, or takes them
// from the cache: every viewer of one page of a version shares one
// rendering, and a live re-fetch that finds nothing new costs no
// rendering.
func (c *Console) phoneRows(r *http.Request, s *session, pg *cph.PhonePage, d phonesPage) ([]byte, error) {
	key := rowsKey{pg, s.CanWrite()}
	if pg.Version != 0 {
		if h, ok := c.rows.Get(key, pg.Version); ok {
			return h, nil
		}
	}
	var buf bytes.Buffer
	if err := c.view.pages["phones"].ExecuteTemplate(&buf, "rows", view{Session: s, Data: d}); err != nil {
		return nil, fmt.Errorf("console: render phone rows: %w", err)
	}
	h := buf.Bytes()
	if pg.Version != 0 {
		c.rows.Put(key, pg.Version, h)
	}
	return h, nil
}

// batchKinds maps the console's batch actions to operations and the
// API's operation names (for the audit trail).
var batchKinds = map[string]struct {
	kind      cph.OpKind
	operation string
	verb      string
}{
	"restart": {cph.OpRestartPhone, "RestartCloudPhone", "Restart"},
	"reset":   {cph.OpResetPhone, "ResetCloudPhone", "Reset"},
	"stop":    {cph.OpStopPhone, "StopCloudPhone", "Stop"},
}

// batchPhones restarts, resets or stops the selected phones, or every
// phone matching the list's filter (at most MaxSelection), in batches of
// at most MaxBatch phones, and shows their progress.
func (c *Console) batchPhones(w http.ResponseWriter, r *http.Request, s *session) error {
	action, ok := batchKinds[r.PostFormValue("action")]
	if !ok {
		return userError{http.StatusBadRequest, "Choose restart, reset or stop."}
	}
	var ids []string
	if r.PostFormValue("scope") == "filter" {
		q, err := parsePhoneQuery(r.PostForm)
		if err != nil {
			return err
		}
		if ids, err = c.matching(r, s, q); err != nil {
			return err
		}
	} else {
		for _, id := range r.PostForm["phone"] {
			if id = strings.TrimSpace(id); id != "" && !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
		if len(ids) > c.maxSelection() {
			return userError{http.StatusBadRequest, "Select at most " + strconv.Itoa(c.maxSelection()) + " phones at once."}
		}
	}
	if len(ids) == 0 {
		return cph.ErrEmptyPhoneList()
	}
	b := &batchStatus{Verb: action.verb, Phones: len(ids)}
	for chunk := range slices.Chunk(ids, c.cfg.MaxBatch) {
		refs := make([]cph.PhoneRef, len(chunk))
		for i, id := range chunk {
			refs[i] = cph.PhoneRef{PhoneID: id}
		}
		res, err := c.cfg.Phones.BatchPhones(s.ctx(r), cph.BatchPhonesParams{Kind: action.kind, Phones: refs})
		c.auditAction(r, s, action.operation, chunk, requestIDOf(res), err)
		if err != nil {
			if len(b.RequestIDs) == 0 {
				return err
			}
			// Earlier batches went through: show them, and this error.
			b.Error, b.Code = plainError(err), cph.ErrorCode(err)
			break
		}
		b.RequestIDs = append(b.RequestIDs, res.RequestID)
		for _, j := range res.Jobs {
			if j.JobID == "" {
				b.Refused = append(b.Refused, j)
			}
		}
	}
	if err := c.loadBatch(r, s, b); err != nil {
		return err
	}
	q, _ := parsePhoneQuery(r.PostForm)
	return c.renderPhones(w, r, s, q, b)
}

// maxSelection is the most phones one action acts on: MaxSelection, or
// fewer if the batches it takes could not be followed on one page.
func (c *Console) maxSelection() int { return min(MaxSelection, cph.MaxJobRequests*c.cfg.MaxBatch) }

// requestIDOf returns the request ID of a batch answer, if any.
func requestIDOf(res *cph.BatchResult) string {
	if res == nil {
		return ""
	}
	return res.RequestID
}

// matching returns the IDs of the phones matching q, refusing a filter
// that matches more than MaxSelection.
func (c *Console) matching(r *http.Request, s *session, q phoneQuery) ([]string, error) {
	var ids []string
	for offset := 0; ; offset += cph.MaxPhonePage {
		pg, err := c.cfg.Phones.ListPhones(s.ctx(r), q.filter(s.caller.ProjectID, offset, cph.MaxPhonePage))
		if err != nil {
			return nil, err
		}
		if pg.Total > c.maxSelection() {
			return nil, userError{http.StatusBadRequest, strconv.Itoa(pg.Total) + " phones match this filter; the console acts on at most " +
				strconv.Itoa(c.maxSelection()) + " at once. Narrow the filter, or select phones one by one."}
		}
		for _, p := range pg.Phones {
			ids = append(ids, p.ID)
		}
		if len(pg.Phones) < cph.MaxPhonePage || len(ids) >= pg.Total {
			return ids, nil
		}
	}
}
