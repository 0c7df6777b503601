package sim

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/opencph/opencph/runtime"
)

// A driver opened with a Config.StateDir keeps, in that directory, every
// phone's state and the server's shared storage, and loads them when it
// is opened again:
//
//	<StateDir>/phones/<phone>.state  one phone
//	<StateDir>/shared.state          the shared storage
//
// A state file is written whole after every operation that changes what
// it holds, before the operation returns: into a temporary file of the
// same directory, synced, then renamed over the old one, and the
// directory synced. A process killed at any moment leaves the old or the
// new file. Temporary files left by such a kill are removed when the
// driver is opened.
//
// The format is the magic stateMagic, a JSON record (uvarint length
// first), the number of files, each file as its path, a kind byte (0 a
// file, 1 a directory) and its content (lengths as uvarints), and a
// CRC-32C of everything before it. A phone's file keeps only what differs
// from the image (files added or changed, and the image's files it
// removed), so an upgrade that changes the image changes the phones'
// image files too. A file is read within the Quota: one that breaks it,
// is damaged or cannot be read is renamed to <name>.bad with a logged
// warning, and its phone comes back from its image when the agent
// creates it again (its shared storage comes back empty).
const stateMagic = "OCPHSIM\x01"

const (
	phonesDir       = "phones"
	sharedStateFile = "shared.state"
	stateExt        = ".state"
	badExt          = ".bad"
	tmpPrefix       = ".tmp-"
	maxStatePath    = 4096    // longest file path a state file may hold
	maxStateRecord  = 8 << 20 // largest JSON record of a state file
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

// saveState orders the writes of one phone's (or the shared storage's)
// state file: a snapshot older than the one written last is dropped, and
// nothing is written after the phone was removed.
type saveState struct {
	mu      sync.Mutex
	saved   uint64
	removed bool
}

// phoneRecord is the JSON record of a phone's state file.
type phoneRecord struct {
	Version   int               `json:"version"`
	ID        string            `json:"id"`
	Name      string            `json:"name,omitempty"`
	Index     int               `json:"index"`
	State     runtime.State     `json:"state"`
	ImageID   string            `json:"image_id,omitempty"`
	Defaults  map[string]string `json:"defaults"`
	Property  map[string]string `json:"property"`
	Pending   map[string]string `json:"pending,omitempty"`
	Packages  []Package         `json:"packages,omitempty"` // user packages; the image's are implied
	Removed   []string          `json:"removed,omitempty"`  // image files the phone no longer has
	BootCount int               `json:"boot_count"`
	BootedAt  time.Time         `json:"booted_at,omitzero"`
	LastError string            `json:"last_error,omitempty"`
}

// sharedRecord is the JSON record of the shared storage's state file.
type sharedRecord struct {
	Version int            `json:"version"`
	Apps    map[string]int `json:"apps,omitempty"`
	// Mounts are the mounted shared file systems, by ID.
	Mounts map[string]shareMount `json:"mounts,omitempty"`
}

// snapshot is a state file to write: taken under Driver.mu, written
// without it. File contents are never changed in place, so sharing them
// with the live state is safe.
type snapshot struct {
	save   *saveState
	gen    uint64
	name   string // file name relative to the state dir
	record any
	files  map[string][]byte
}

// safeID is a phone ID used as its file name as it is.
var safeID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$`)

// phoneFile is the state file of phone id, relative to the state dir.
func phoneFile(id string) string {
	if safeID.MatchString(id) {
		return filepath.Join(phonesDir, id+stateExt)
	}
	return filepath.Join(phonesDir, "_"+hex.EncodeToString([]byte(id))+stateExt)
}

// phoneSnapshot returns the state of p to write, or nil if the driver
// does not persist. The caller holds Driver.mu.
func (d *Driver) phoneSnapshot(p *phone) *snapshot {
	if d.stateDir == "" {
		return nil
	}
	if p.save == nil {
		p.save = new(saveState)
	}
	p.gen++
	rec := phoneRecord{
		Version: 1, ID: p.id, Name: p.name, Index: p.index, State: p.state, ImageID: p.imageID,
		Defaults: maps.Clone(p.defaults.m), Property: maps.Clone(p.property.m), Pending: maps.Clone(p.pending),
		BootCount: p.bootCount, BootedAt: p.bootedAt, LastError: p.lastError,
	}
	for _, name := range slices.Sorted(maps.Keys(p.packages.m)) {
		if pkg := p.packages.m[name]; !pkg.System {
			rec.Packages = append(rec.Packages, pkg)
		}
	}
	files := map[string][]byte{}
	if !p.files.shared {
		for k, v := range p.files.m {
			if img, ok := d.image.files[k]; !ok || !bytes.Equal(img, v) {
				files[k] = v
			}
		}
		for k := range d.image.files {
			if _, ok := p.files.m[k]; !ok {
				rec.Removed = append(rec.Removed, k)
			}
		}
		slices.Sort(rec.Removed)
	}
	return &snapshot{save: p.save, gen: p.gen, name: phoneFile(p.id), record: rec, files: files}
}

// sharedSnapshot returns the shared storage to write, or nil if the
// driver does not persist. The caller holds Driver.mu.
func (d *Driver) sharedSnapshot() *snapshot {
	if d.stateDir == "" {
		return nil
	}
	d.sharedGen++
	return &snapshot{save: &d.sharedSave, gen: d.sharedGen, name: sharedStateFile,
		record: sharedRecord{Version: 1, Apps: maps.Clone(d.shared.apps), Mounts: maps.Clone(d.shared.mounts)}, files: maps.Clone(d.shared.files)}
}

// persist writes the snapshots, in order, unless a newer one of the same
// state was written already. A write that fails is logged: the change
// stays in memory and the next successful write of the state keeps it.
func (d *Driver) persist(snaps ...*snapshot) {
	for _, s := range snaps {
		if s == nil {
			continue
		}
		s.save.mu.Lock()
		if !s.save.removed && s.gen > s.save.saved {
			if err := writeState(filepath.Join(d.stateDir, s.name), s.record, s.files); err != nil {
				d.log.Error("cannot save the simulated state; it is kept in memory only until a later save succeeds",
					"file", filepath.Join(d.stateDir, s.name), "err", err)
			} else {
				s.save.saved = s.gen
			}
		}
		s.save.mu.Unlock()
	}
}

// removeState removes the state file of a removed phone; its pending
// writes are dropped. The caller holds Driver.mu (writers take a
// saveState's lock without it, so this cannot deadlock).
func (d *Driver) removeState(p *phone) {
	if d.stateDir == "" {
		return
	}
	if p.save == nil {
		p.save = new(saveState)
	}
	save := p.save
	save.mu.Lock()
	defer save.mu.Unlock()
	save.removed = true
	name := filepath.Join(d.stateDir, phoneFile(p.id))
	if err := os.Remove(name); err != nil && !errors.Is(err, fs.ErrNotExist) {
		d.log.Error("cannot remove the state of a removed phone", "phone", p.id, "file", name, "err", err)
		return
	}
	syncDir(filepath.Dir(name))
}

// writeState writes a state file atomically: a temporary file, synced,
// renamed over name, and the directory synced.
func writeState(name string, record any, files map[string][]byte) error {
	meta, err := json.Marshal(record)
	if err != nil {
		return err
	}
	dir := filepath.Dir(name)
	tmp, err := os.CreateTemp(dir, tmpPrefix+filepath.Base(name)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	crc := crc32.New(crcTable)
	w := bufio.NewWriterSize(io.MultiWriter(tmp, crc), 64<<10)
	var buf [binary.MaxVarintLen64]byte
	uvarint := func(n uint64) { w.Write(buf[:binary.PutUvarint(buf[:], n)]) }
	w.WriteString(stateMagic)
	uvarint(uint64(len(meta)))
	w.Write(meta)
	uvarint(uint64(len(files)))
	for _, k := range slices.Sorted(maps.Keys(files)) {
		uvarint(uint64(len(k)))
		w.WriteString(k)
		if strings.HasSuffix(k, "/") {
			w.WriteByte(1)
		} else {
			w.WriteByte(0)
		}
		uvarint(uint64(len(files[k])))
		w.Write(files[k])
	}
	err = w.Flush()
	if err == nil {
		_, err = tmp.Write(crc.Sum(nil))
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

// syncDir makes a rename or removal in dir durable, where the system can.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		f.Close()
	}
}

// stateLimits bound what a state file may hold.
type stateLimits struct {
	files int
	bytes int64 // content of all files
}

// readState reads a state file within lim, into record.
func readState(name string, lim stateLimits, record any) (map[string][]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	most := int64(len(stateMagic)) + maxStateRecord + 16 + int64(lim.files)*(maxStatePath+24) + lim.bytes + crc32.Size
	if fi.Size() > most {
		return nil, fmt.Errorf("%d bytes, more than its quota allows (%d)", fi.Size(), most)
	}
	data := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, err
	}
	if len(data) < len(stateMagic)+crc32.Size || string(data[:len(stateMagic)]) != stateMagic {
		return nil, errors.New("not a state file of this version")
	}
	body, sum := data[:len(data)-crc32.Size], data[len(data)-crc32.Size:]
	if binary.BigEndian.Uint32(sum) != crc32.Checksum(body, crcTable) {
		return nil, errors.New("checksum mismatch: the file is damaged or truncated")
	}
	r := bytes.NewReader(body[len(stateMagic):])
	next := func(limit uint64) ([]byte, error) {
		n, err := binary.ReadUvarint(r)
		if err != nil {
			return nil, err
		}
		if n > limit || n > uint64(r.Len()) {
			return nil, fmt.Errorf("length %d out of bounds", n)
		}
		b := make([]byte, n)
		_, err = io.ReadFull(r, b)
		return b, err
	}
	meta, err := next(maxStateRecord)
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	if err := json.Unmarshal(meta, record); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	count, err := binary.ReadUvarint(r)
	if err != nil {
		return nil, fmt.Errorf("file count: %w", err)
	}
	if count > uint64(lim.files) {
		return nil, fmt.Errorf("%d files, more than the quota's %d", count, lim.files)
	}
	files := make(map[string][]byte, count)
	var total int64
	for range count {
		k, err := next(maxStatePath)
		if err != nil {
			return nil, fmt.Errorf("file path: %w", err)
		}
		kind, err := r.ReadByte()
		if err != nil {
			return nil, fmt.Errorf("file %q: %w", k, err)
		}
		v, err := next(uint64(lim.bytes - total))
		if err != nil {
			return nil, fmt.Errorf("file %q: %w", k, err)
		}
		name := string(k)
		if !strings.HasPrefix(name, "/") || (kind == 1) != strings.HasSuffix(name, "/") || (kind == 1 && len(v) > 0) {
			return nil, fmt.Errorf("bad entry %q", k)
		}
		if kind == 1 {
			v = nil
		}
		total += int64(len(v))
		files[name] = v
	}
	if r.Len() != 0 {
		return nil, errors.New("trailing data")
	}
	return files, nil
}

// load reads the state dir into d, which has no phones yet. Problems
// with single files are logged and set the file aside; only a state dir
// that cannot be made or read is an error.
func (d *Driver) load() error {
	dir := filepath.Join(d.stateDir, phonesDir)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("sim: state dir: %w", err)
	}
	removeTemps(d.stateDir)
	removeTemps(dir)
	q := d.quota
	var shared sharedRecord
	name := filepath.Join(d.stateDir, sharedStateFile)
	files, err := readState(name, stateLimits{files: 1 << 20, bytes: q.ServerBytes}, &shared)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		d.setAside(name, "shared storage", err)
	default:
		d.shared.files, d.shared.apps, d.shared.mounts = files, shared.Apps, shared.Mounts
		d.stored = 0
		for _, v := range files {
			d.stored += fileCost(v)
		}
		d.sharedGen, d.sharedSave.saved = 1, 1
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("sim: state dir: %w", err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), stateExt) {
			continue
		}
		name := filepath.Join(dir, e.Name())
		p, err := d.loadPhone(name)
		if err != nil {
			d.setAside(name, "phone", err)
			continue
		}
		d.phones[p.id] = p
		d.stored += p.files.cost()
	}
	if len(d.phones) > 0 || d.shared.files != nil || d.shared.apps != nil {
		d.log.Info("simulated state loaded", "dir", d.stateDir, "phones", len(d.phones), "shared_files", len(d.shared.files))
	}
	return nil
}

// loadPhone reads one phone's state file.
func (d *Driver) loadPhone(name string) (*phone, error) {
	q := d.quota
	var rec phoneRecord
	delta, err := readState(name, stateLimits{files: q.PhoneFiles, bytes: q.PhoneBytes}, &rec)
	if err != nil {
		return nil, err
	}
	if rec.ID == "" || filepath.Base(phoneFile(rec.ID)) != filepath.Base(name) {
		return nil, fmt.Errorf("phone ID %q does not match the file name", rec.ID)
	}
	p := &phone{
		id: rec.ID, name: rec.Name, index: rec.Index, state: rec.State, imageID: rec.ImageID,
		defaults: cowMap[string, string]{m: nonNil(rec.Defaults)}, property: cowMap[string, string]{m: nonNil(rec.Property)},
		pending: rec.Pending, packages: sharedMap(d.image.packages),
		bootCount: rec.BootCount, bootedAt: rec.BootedAt, lastError: rec.LastError,
		save: &saveState{saved: 1}, gen: 1,
	}
	switch p.state {
	case runtime.StateRunning, runtime.StateStopped, runtime.StateFailed:
	case runtime.StateStopping:
		p.state = runtime.StateStopped // a stop, delivered again, finds it done
	default:
		p.state = runtime.StateFailed
		p.lastError = "boot interrupted by a restart of the simulated runtime"
	}
	for _, pkg := range rec.Packages {
		if old, ok := d.image.packages[pkg.Name]; ok && old.System {
			continue
		}
		pkg.System = false
		p.packages.set(pkg.Name, pkg)
	}
	if len(delta) == 0 && len(rec.Removed) == 0 {
		p.files = sharedFiles(d.image.files, d.image.fileCost)
	} else {
		img := sharedFiles(d.image.files, d.image.fileCost)
		p.files = img.clone()
		for _, k := range rec.Removed {
			p.files.del(k)
		}
		for k, v := range delta {
			p.files.set(k, v)
		}
	}
	if err := d.fits(&phone{}, &p.files, 0); err != nil { // p does not count in d.stored yet
		return nil, err
	}
	return p, nil
}

// setAside renames a state file that cannot be loaded to <name>.bad,
// replacing an older one, and logs why.
func (d *Driver) setAside(name, what string, err error) {
	d.log.Warn("simulated state cannot be loaded; it starts from its image (the file is kept as "+filepath.Base(name)+badExt+")",
		"state", what, "file", name, "err", err)
	if rerr := os.Rename(name, name+badExt); rerr != nil {
		d.log.Error("cannot set a damaged state file aside", "file", name, "err", rerr)
	}
}

// removeTemps removes the temporary files a killed process left in dir.
func removeTemps(dir string) {
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tmpPrefix) {
			_ = os.Remove(filepath.Join(dir, e.Name()))
		}
	}
}

func nonNil(m map[string]string) map[string]string {
	if m == nil {
		return map[string]string{}
	}
	return m
}
