package httpapi

import (
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"unicode/utf8"

	"github.com/opencph/opencph"
)

// ListCloudPhones is the most frequent call of a fleet's tooling. Its
// answer is written by hand rather than by reflection: the bytes are the
// same as encoding/json's (SetEscapeHTML(false)), which a test checks.

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 64<<10); return &b }}

// phonePage is a page of a phone list: the number of matches and the
// JSON array of the page's phones.
type phonePage struct {
	total  int
	phones []byte
}

// writeListPhones writes the answer of ListCloudPhones.
func writeListPhones(w http.ResponseWriter, requestID string, page phonePage) {
	bp := bufPool.Get().(*[]byte)
	b := appendListAnswer((*bp)[:0], requestID, page)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b) // the client may have gone; nothing to do about it
	if cap(b) <= 1<<20 {
		*bp = b
		bufPool.Put(bp)
	}
}

// appendListPhones appends the JSON of a listPhonesResponse and a newline,
// as json.Encoder writes it.
func appendListPhones(b []byte, requestID string, total int, phones []*cph.Phone) []byte {
	return appendListAnswer(b, requestID, phonePage{total: total, phones: appendPhones(nil, phones)})
}

// appendListAnswer appends the JSON of a listPhonesResponse for page.
func appendListAnswer(b []byte, requestID string, page phonePage) []byte {
	b = append(b, `{"request_id":`...)
	b = appendString(b, requestID)
	b = append(b, `,"count":`...)
	b = strconv.AppendInt(b, int64(page.total), 10)
	b = append(b, `,"phones":`...)
	b = append(b, page.phones...)
	return append(b, "}\n"...)
}

// appendPhones appends the JSON array of phones.
func appendPhones(b []byte, phones []*cph.Phone) []byte {
	b = append(b, '[')
	for i, p := range phones {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPhone(b, p)
	}
	return append(b, ']')
}

// appendPhone appends the JSON of p as encoding/json writes a cph.Phone.
func appendPhone(b []byte, p *cph.Phone) []byte {
	b = append(b, `{"phone_name":`...)
	b = appendString(b, p.Name)
	b = append(b, `,"server_id":`...)
	b = appendString(b, p.ServerID)
	b = append(b, `,"phone_id":`...)
	b = appendString(b, p.ID)
	b = append(b, `,"phone_model_name":`...)
	b = appendString(b, p.ModelName)
	b = append(b, `,"image_id":`...)
	b = appendString(b, p.ImageID)
	b = append(b, `,"image_version":`...)
	b = appendString(b, p.ImageVersion)
	b = append(b, `,"vnc_enable":`...)
	b = appendString(b, p.VNCEnable)
	b = append(b, `,"status":`...)
	b = strconv.AppendInt(b, int64(p.Status), 10)
	b = append(b, `,"type":`...)
	b = strconv.AppendInt(b, int64(p.Type), 10)
	b = append(b, `,"imei":`...)
	b = appendString(b, p.IMEI)
	b = append(b, `,"traffic_type":`...)
	b = appendString(b, p.TrafficType)
	b = append(b, `,"volume_mode":`...)
	b = strconv.AppendInt(b, int64(p.VolumeMode), 10)
	b = append(b, `,"availability_zone":`...)
	b = appendString(b, p.AvailabilityZone)
	b = append(b, `,"metadata":{`...)
	sep := false
	if p.Metadata.OrderID != "" {
		b = append(b, `"order_id":`...)
		b = appendString(b, p.Metadata.OrderID)
		sep = true
	}
	if p.Metadata.ProductID != "" {
		if sep {
			b = append(b, ',')
		}
		b = append(b, `"product_id":`...)
		b = appendString(b, p.Metadata.ProductID)
	}
	b = append(b, `},"has_encrypt":`...)
	b = strconv.AppendBool(b, p.HasEncrypt)
	b = append(b, `,"create_time":`...)
	b = appendTime(b, p.CreateTime)
	b = append(b, `,"update_time":`...)
	b = appendTime(b, p.UpdateTime)
	return append(b, '}')
}

// appendTime appends t as cph.Time encodes it.
func appendTime(b []byte, t cph.Time) []byte {
	if t.IsZero() {
		return append(b, "null"...)
	}
	b = append(b, '"')
	b = t.UTC().AppendFormat(b, cph.TimeLayout)
	return append(b, '"')
}

// appendString appends s as a JSON string. Printable ASCII without quotes
// or backslashes is copied; anything else is left to encoding/json, so the
// escaping is always its own.
func appendString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= utf8.RuneSelf || c == '"' || c == '\\' {
			return appendEscaped(b, s)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendEscaped appends s encoded by encoding/json without HTML escaping.
func appendEscaped(b []byte, s string) []byte {
	w := sliceWriter{b: b}
	enc := json.NewEncoder(&w)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(s); err != nil {
		// A Go string always encodes; keep the output valid regardless.
		return append(b, `""`...)
	}
	return w.b[:len(w.b)-1] // Encode ends with a newline
}

// sliceWriter is an io.Writer appending to a byte slice.
type sliceWriter struct{ b []byte }

func (w *sliceWriter) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

// writeMarkedPage answers one page of a list paged by marker, as the
// OpenCPH lists answer it: {"request_id", "count", key: items} and, when
// more follow, "next_marker".
func writeMarkedPage(w http.ResponseWriter, r *http.Request, key string, items any, count int, next string) {
	body := map[string]any{"request_id": RequestID(r), "count": count, key: items}
	if next != "" {
		body["next_marker"] = next
	}
	writeJSON(w, http.StatusOK, body)
}

// phoneJSON caches the JSON of single phones, by phone. The phones of a
// cached page are never modified, and a page the service brings to a new
// version by applying status changes shares its unchanged phones with the
// page it was made from: encoding such a page only encodes the phones
// that changed. Two generations of at most phoneJSONEntries phones each
// bound it; a phone not used for a generation is forgotten.
type phoneJSON struct {
	mu       sync.Mutex
	cur, old map[*cph.Phone][]byte
}

// phoneJSONSize is about the size of a listed phone's JSON (560 bytes
// with the usual field values), to size a page's buffer at once.
const phoneJSONSize = 600

// phoneJSONEntries bounds a generation of phoneJSON: the phones of 20
// full pages (about 1.1 MiB of JSON).
const phoneJSONEntries = 20 * cph.MaxPhonePage

// appendPhones appends the JSON array of phones as appendPhones does,
// from and into the cache.
func (c *phoneJSON) appendPhones(b []byte, phones []*cph.Phone) []byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	b = append(b, '[')
	for i, p := range phones {
		if i > 0 {
			b = append(b, ',')
		}
		if enc, ok := c.cur[p]; ok {
			b = append(b, enc...)
			continue
		}
		enc, ok := c.old[p]
		if !ok {
			start := len(b)
			b = appendPhone(b, p)
			enc = append([]byte(nil), b[start:]...)
		} else {
			b = append(b, enc...)
		}
		if len(c.cur) >= phoneJSONEntries {
			c.old, c.cur = c.cur, make(map[*cph.Phone][]byte, phoneJSONEntries)
		}
		if c.cur == nil {
			c.cur = make(map[*cph.Phone][]byte, phoneJSONEntries)
		}
		c.cur[p] = enc
	}
	return append(b, ']')
}
