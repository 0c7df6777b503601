package sim

import (
	"fmt"
	"io"
	"maps"

	"github.com/opencph/opencph/runtime"
)

// Quota bounds what the phones of one simulated server store. A simulated
// phone keeps its files in the memory of its process (cphd itself for the
// built-in fleet), so everything a client pushes, installs, imports or
// writes to shared storage is counted against the quota before it is
// held: an operation that would exceed it fails with a *QuotaError and
// changes nothing.
//
// Storage is counted as the content of every file plus FileOverhead for
// every file and directory. A zero field takes its value from
// DefaultQuota.
type Quota struct {
	// PhoneBytes is the most one phone stores, counted as above. Default
	// 64 MiB.
	PhoneBytes int64
	// PhoneFiles is the most files and directories one phone holds,
	// the image's own included. Default 10,000.
	PhoneFiles int
	// ServerBytes is the most all phones of the driver and its shared
	// storage store together, counted as above, including what
	// operations in progress have read and not yet stored. A phone that
	// has not changed the files of its image shares them with the other
	// phones and counts nothing; once it adds a file it counts all of its
	// files. Default 512 MiB.
	ServerBytes int64
}

// FileOverhead is what every file and directory of a simulated phone
// counts against its Quota on top of its content: the memory of its name
// and its entry.
const FileOverhead = 256

// DefaultQuota returns the default quota of a simulated server: 64 MiB
// and 10,000 files per phone, 512 MiB per server.
func DefaultQuota() Quota {
	return Quota{PhoneBytes: 64 << 20, PhoneFiles: 10_000, ServerBytes: 512 << 20}
}

// withDefaults returns q with every zero or negative field set from
// DefaultQuota.
func (q Quota) withDefaults() Quota {
	d := DefaultQuota()
	if q.PhoneBytes <= 0 {
		q.PhoneBytes = d.PhoneBytes
	}
	if q.PhoneFiles <= 0 {
		q.PhoneFiles = d.PhoneFiles
	}
	if q.ServerBytes <= 0 {
		q.ServerBytes = d.ServerBytes
	}
	return q
}

// QuotaError is the error of an operation that would exceed a Quota. It
// wraps runtime.ErrNoSpace.
type QuotaError struct {
	// Quota is the name of the Quota field: "PhoneBytes", "PhoneFiles"
	// or "ServerBytes".
	Quota string
	// Max is the quota's value.
	Max int64
}

func (e *QuotaError) Error() string {
	var what string
	switch e.Quota {
	case "PhoneFiles":
		what = fmt.Sprintf("a phone may hold at most %d files and directories", e.Max)
	case "ServerBytes":
		what = fmt.Sprintf("the phones and shared storage of a server may store at most %s", formatBytes(e.Max))
	default:
		what = fmt.Sprintf("a phone may store at most %s", formatBytes(e.Max))
	}
	return fmt.Sprintf("%v: %s, every file and directory counted with %d bytes more than its content (quota %s)",
		runtime.ErrNoSpace, what, FileOverhead, e.Quota)
}

// Unwrap returns runtime.ErrNoSpace.
func (e *QuotaError) Unwrap() error { return runtime.ErrNoSpace }

// formatBytes writes n in MiB when it is a whole number of them.
func formatBytes(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// fileMap is a phone's file tree: path to content, directories as keys
// ending in '/' with nil content. It keeps the storage its entries count
// (see Quota). Write it only through set, del and deleteFunc.
type fileMap struct {
	cowMap[string, []byte]
	bytes int64 // Σ fileCost over m
}

// fileCost is what one entry counts against the quota.
func fileCost(data []byte) int64 { return int64(len(data)) + FileOverhead }

// sharedFiles returns a fileMap that reads m, whose entries count bytes,
// and copies it at the first write.
func sharedFiles(m map[string][]byte, bytes int64) fileMap {
	return fileMap{cowMap: sharedMap(m), bytes: bytes}
}

// filesCost returns the storage the entries of m count.
func filesCost(m map[string][]byte) int64 {
	var n int64
	for _, v := range m {
		n += fileCost(v)
	}
	return n
}

func (f *fileMap) set(k string, v []byte) {
	if old, ok := f.m[k]; ok {
		f.bytes -= fileCost(old)
	}
	f.cowMap.set(k, v)
	f.bytes += fileCost(v)
}

func (f *fileMap) del(k string) {
	if old, ok := f.m[k]; ok {
		f.bytes -= fileCost(old)
		f.cowMap.del(k)
	}
}

func (f *fileMap) deleteFunc(del func(string, []byte) bool) {
	var keys []string
	for k, v := range f.m {
		if del(k, v) {
			keys = append(keys, k)
		}
	}
	for _, k := range keys {
		f.del(k)
	}
}

// clone returns a copy of f that owns its storage.
func (f *fileMap) clone() fileMap {
	m := make(map[string][]byte, len(f.m)+1)
	maps.Copy(m, f.m)
	return fileMap{cowMap: cowMap[string, []byte]{m: m}, bytes: f.bytes}
}

// cost is what f counts against the server's quota: nothing while it
// shares the image's files.
func (f *fileMap) cost() int64 {
	if f.shared {
		return 0
	}
	return f.bytes
}

// reservation is storage an operation has read and not yet stored. What it
// holds counts against the server's quota from the moment it is read, so
// that operations in progress cannot together hold more than the quota.
type reservation struct {
	d       *Driver
	phone   bool // for a phone: the phone quotas apply too
	bytes   int64
	entries int
}

// reserve starts a reservation; release it when the operation is over.
func (d *Driver) reserve(phone bool) *reservation {
	return &reservation{d: d, phone: phone}
}

// take accounts for one more entry with size bytes of content, before the
// content is read.
func (r *reservation) take(size int64) error {
	cost := size + FileOverhead
	q := r.d.quota
	if r.phone {
		if r.entries+1 > q.PhoneFiles {
			return &QuotaError{Quota: "PhoneFiles", Max: int64(q.PhoneFiles)}
		}
		if size > q.PhoneBytes || r.bytes+cost > q.PhoneBytes {
			return &QuotaError{Quota: "PhoneBytes", Max: q.PhoneBytes}
		}
	}
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	if size > q.ServerBytes || r.d.stored+r.d.inflight+cost > q.ServerBytes {
		return &QuotaError{Quota: "ServerBytes", Max: q.ServerBytes}
	}
	r.d.inflight += cost
	r.bytes += cost
	r.entries++
	return nil
}

// grow accounts for n more bytes of the content of the entry taken last.
func (r *reservation) grow(n int64) error {
	q := r.d.quota
	if r.phone && r.bytes+n > q.PhoneBytes {
		return &QuotaError{Quota: "PhoneBytes", Max: q.PhoneBytes}
	}
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	if r.d.stored+r.d.inflight+n > q.ServerBytes {
		return &QuotaError{Quota: "ServerBytes", Max: q.ServerBytes}
	}
	r.d.inflight += n
	r.bytes += n
	return nil
}

// release ends the reservation.
func (r *reservation) release() {
	r.d.mu.Lock()
	defer r.d.mu.Unlock()
	r.releaseLocked()
}

// releaseLocked ends the reservation; the caller holds Driver.mu.
func (r *reservation) releaseLocked() {
	r.d.inflight -= r.bytes
	r.bytes, r.entries = 0, 0
}

// readAll reads r whole into memory, taking what it reads from res as it
// goes: at most one chunk more than the quota allows is read.
func readAll(r io.Reader, res *reservation) ([]byte, error) {
	if err := res.take(0); err != nil {
		return nil, err
	}
	var data []byte
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Read(buf)
		if n > 0 {
			if qerr := res.grow(int64(n)); qerr != nil {
				return nil, qerr
			}
			data = append(data, buf[:n]...)
		}
		if err == io.EOF {
			return data, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// commitFiles applies change to a copy of p's files and keeps the result
// if the phone and the server stay within the quota; res, if not nil, is
// released either way. The caller holds Driver.mu.
func (d *Driver) commitFiles(p *phone, res *reservation, change func(f *fileMap)) error {
	var held int64
	if res != nil {
		held = res.bytes
		defer res.releaseLocked()
	}
	next := p.files.clone()
	change(&next)
	if err := d.fits(p, &next, held); err != nil {
		return err
	}
	d.stored += next.cost() - p.files.cost()
	p.files = next
	return nil
}

// fits reports whether p may have the files next, given that held bytes of
// the server's operations in progress are the operation's own. The caller
// holds Driver.mu.
func (d *Driver) fits(p *phone, next *fileMap, held int64) error {
	q := d.quota
	if len(next.m) > q.PhoneFiles {
		return &QuotaError{Quota: "PhoneFiles", Max: int64(q.PhoneFiles)}
	}
	if next.bytes > q.PhoneBytes {
		return &QuotaError{Quota: "PhoneBytes", Max: q.PhoneBytes}
	}
	if d.stored-p.files.cost()+next.cost()+d.inflight-held > q.ServerBytes {
		return &QuotaError{Quota: "ServerBytes", Max: q.ServerBytes}
	}
	return nil
}

// room reports whether p may grow in place by entries more files and
// bytes more storage. The caller holds Driver.mu.
func (d *Driver) room(p *phone, entries int, bytes int64) error {
	q := d.quota
	if len(p.files.m)+entries > q.PhoneFiles {
		return &QuotaError{Quota: "PhoneFiles", Max: int64(q.PhoneFiles)}
	}
	if p.files.bytes+bytes > q.PhoneBytes {
		return &QuotaError{Quota: "PhoneBytes", Max: q.PhoneBytes}
	}
	grow := bytes
	if p.files.shared {
		grow += p.files.bytes // the first write copies the image's files
	}
	if d.stored+d.inflight+grow > q.ServerBytes {
		return &QuotaError{Quota: "ServerBytes", Max: q.ServerBytes}
	}
	return nil
}

// tracked runs change, which may change p's files in place, and keeps the
// server's count of stored bytes. The caller holds Driver.mu.
func (d *Driver) tracked(p *phone, change func()) {
	before := p.files.cost()
	change()
	d.stored += p.files.cost() - before
}
