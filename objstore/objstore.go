// Package objstore is OpenCPH's object storage, the stand-in for Huawei
// OBS buckets that CPH operations name (APK installs, file pushes, data
// export and import, shared files and apps).
//
// Store is the interface; Dir, the embedded default, keeps each bucket as
// a folder and each object as a file under a root directory. Bucket names
// follow OBS rules (3–63 characters of lowercase letters, digits, '-' and
// '.', starting and ending with a letter or digit). Object keys are
// relative slash-separated paths without empty, "." or ".." segments, at
// most 1024 bytes, each segment at most 255 bytes (a file name).
//
// Because objects are files, a key cannot also be a folder of other keys:
// with "a" stored, "a/b" is refused with ErrKeyConflict, and with "d/e"
// stored, "d" is. Deleting the last object of a folder removes the folder.
// The store's temporary files live in the root's ".tmp" folder, which no
// bucket can be named, so every valid key is a user's. No bucket name
// starts with '.', so such folders of the root are out of the buckets'
// reach: cphd keeps its simulated phones' state in ".sim".
//
// Known limits: Dir keeps no per-object metadata beyond size and
// modification time, and has no access control of its own: callers decide
// who may reach which bucket.
package objstore

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/opencph/opencph"
)

// Errors returned (wrapped) by stores.
var (
	ErrNoSuchBucket = errors.New("objstore: no such bucket")
	ErrNoSuchObject = errors.New("objstore: no such object")
	ErrInvalidName  = errors.New("objstore: invalid bucket name or object key")
	ErrBucketExists = errors.New("objstore: bucket already exists")
	// ErrKeyConflict: the key names a folder of other objects, or one of
	// its folders is an object.
	ErrKeyConflict = errors.New("objstore: key clashes with another object's folder")
)

// MaxSegment is the longest segment of an object key, in bytes: a segment
// is a file or folder name.
const MaxSegment = 255

// tmpDir is the folder, in the root, of the store's temporary files. A
// bucket name starts with a letter or digit, so no bucket can be it.
const tmpDir = ".tmp"

// Object describes a stored object.
type Object struct {
	Bucket  string
	Key     string
	Size    int64
	ModTime time.Time
}

// Store is an object store with named buckets.
type Store interface {
	// CreateBucket creates a bucket; ErrBucketExists if it exists.
	CreateBucket(ctx context.Context, bucket string) error
	// BucketExists reports whether the bucket exists.
	BucketExists(ctx context.Context, bucket string) (bool, error)
	// Put stores the object, replacing any object with the same key.
	// ErrNoSuchBucket if the bucket does not exist. If reading r fails
	// (a body that fails its hash check ends with an error), nothing is
	// stored and an earlier object of the key is kept.
	Put(ctx context.Context, bucket, key string, r io.Reader) (Object, error)
	// Get opens the object for reading; the caller closes it.
	// ErrNoSuchBucket or ErrNoSuchObject.
	Get(ctx context.Context, bucket, key string) (io.ReadCloser, Object, error)
	// List returns the objects whose key starts with prefix, by key.
	List(ctx context.Context, bucket, prefix string) ([]Object, error)
	// Delete removes the object; ErrNoSuchObject if there is none.
	Delete(ctx context.Context, bucket, key string) error
	// DeleteBucket removes a bucket with every object in it and returns
	// how many objects it held; a bucket that does not exist holds 0.
	DeleteBucket(ctx context.Context, bucket string) (int, error)
}

var bucketRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ValidBucket reports whether name is an acceptable bucket name.
func ValidBucket(name string) bool {
	return bucketRE.MatchString(name) && !strings.Contains(name, "..")
}

// ValidKey reports whether key is an acceptable object key: valid UTF-8
// without NUL bytes or backslashes, at most 1024 bytes, of segments that
// are not empty, "." or ".." and at most MaxSegment bytes long.
func ValidKey(key string) bool {
	if key == "" || len(key) > 1024 || !cph.ValidText(key) || strings.Contains(key, `\`) {
		return false
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || len(seg) > MaxSegment {
			return false
		}
	}
	return true
}

// ParseURL splits an "obs://bucket/key" reference into bucket and key.
func ParseURL(u string) (bucket, key string, err error) {
	rest, ok := strings.CutPrefix(u, "obs://")
	if !ok {
		return "", "", fmt.Errorf("%w: %q is not an obs:// URL", ErrInvalidName, u)
	}
	bucket, key, _ = strings.Cut(rest, "/")
	if !ValidBucket(bucket) || !ValidKey(key) {
		return "", "", fmt.Errorf("%w: %q", ErrInvalidName, u)
	}
	return bucket, key, nil
}

// Dir is a Store that keeps buckets as folders under a root directory.
type Dir struct {
	root string
}

// NewDir returns a Dir rooted at root, creating root if needed.
func NewDir(root string) (*Dir, error) {
	if err := os.MkdirAll(filepath.Join(root, tmpDir), 0o700); err != nil {
		return nil, fmt.Errorf("objstore: create %s: %w", root, err)
	}
	return &Dir{root: root}, nil
}

// tempFile creates a new temporary file, in the root's tmpDir, on the
// file system of the buckets, so that it can be renamed into one.
func (d *Dir) tempFile() (*os.File, error) {
	f, err := os.CreateTemp(filepath.Join(d.root, tmpDir), "put-*")
	if errors.Is(err, fs.ErrNotExist) { // removed while running
		if err = os.MkdirAll(filepath.Join(d.root, tmpDir), 0o700); err == nil {
			f, err = os.CreateTemp(filepath.Join(d.root, tmpDir), "put-*")
		}
	}
	return f, err
}

// clash reports whether key cannot be an object of the bucket at bp: one
// of its folders is a file, or key itself is a folder.
func clash(bp, key string) bool {
	path := bp
	segs := strings.Split(key, "/")
	for i, seg := range segs {
		path = filepath.Join(path, seg)
		info, err := os.Lstat(path)
		if err != nil {
			return false // nothing there: no clash further down
		}
		if last := i == len(segs)-1; last == !info.Mode().IsRegular() {
			return true
		}
	}
	return false
}

func (d *Dir) bucketPath(bucket string) (string, error) {
	if !ValidBucket(bucket) {
		return "", fmt.Errorf("%w: bucket %q", ErrInvalidName, bucket)
	}
	return filepath.Join(d.root, bucket), nil
}

func (d *Dir) objectPath(bucket, key string) (string, string, error) {
	bp, err := d.bucketPath(bucket)
	if err != nil {
		return "", "", err
	}
	if !ValidKey(key) {
		return "", "", fmt.Errorf("%w: key %q", ErrInvalidName, key)
	}
	info, err := os.Stat(bp)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && !info.IsDir()) {
		return "", "", fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	} else if err != nil {
		return "", "", fmt.Errorf("objstore: stat bucket %s: %w", bucket, err)
	}
	return bp, filepath.Join(bp, filepath.FromSlash(key)), nil
}

// CreateBucket implements Store.
func (d *Dir) CreateBucket(ctx context.Context, bucket string) error {
	bp, err := d.bucketPath(bucket)
	if err != nil {
		return err
	}
	if err := os.Mkdir(bp, 0o700); errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%w: %s", ErrBucketExists, bucket)
	} else if err != nil {
		return fmt.Errorf("objstore: create bucket %s: %w", bucket, err)
	}
	return nil
}

// BucketExists implements Store.
func (d *Dir) BucketExists(ctx context.Context, bucket string) (bool, error) {
	bp, err := d.bucketPath(bucket)
	if err != nil {
		return false, nil
	}
	info, err := os.Stat(bp)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	} else if err != nil {
		return false, fmt.Errorf("objstore: stat bucket %s: %w", bucket, err)
	}
	return info.IsDir(), nil
}

// Put implements Store. The object is written to a temporary file and
// appears atomically by rename once r is read to its end without error.
func (d *Dir) Put(ctx context.Context, bucket, key string, r io.Reader) (Object, error) {
	bp, path, err := d.objectPath(bucket, key)
	if err != nil {
		return Object{}, err
	}
	if clash(bp, key) {
		return Object{}, fmt.Errorf("%w: %s/%s", ErrKeyConflict, bucket, key)
	}
	f, err := d.tempFile()
	if err != nil {
		return Object{}, fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	tmp := f.Name()
	n, err := io.Copy(f, ctxReader{ctx, r})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = d.place(bp, key, tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		if errors.Is(err, ErrKeyConflict) {
			return Object{}, fmt.Errorf("%w: %s/%s", ErrKeyConflict, bucket, key)
		}
		return Object{}, fmt.Errorf("objstore: put %s/%s: %w", bucket, key, err)
	}
	return Object{Bucket: bucket, Key: key, Size: n, ModTime: time.Now().UTC()}, nil
}

// place renames the temporary file tmp to path, the file of key in the
// bucket at bp, creating its folders. A concurrent Delete may remove an
// emptied folder between the two steps: place then tries again. A clash
// with a concurrent Put of a folder or file is ErrKeyConflict.
func (d *Dir) place(bp, key, tmp, path string) error {
	var err error
	for range 3 {
		if err = os.MkdirAll(filepath.Dir(path), 0o700); err == nil {
			if err = os.Rename(tmp, path); err == nil {
				return nil
			}
		}
		if clash(bp, key) {
			return ErrKeyConflict
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return err
}

// Get implements Store.
func (d *Dir) Get(ctx context.Context, bucket, key string) (io.ReadCloser, Object, error) {
	bp, path, err := d.objectPath(bucket, key)
	if err != nil {
		return nil, Object{}, err
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) || (err != nil && clash(bp, key)) {
		return nil, Object{}, fmt.Errorf("%w: %s/%s", ErrNoSuchObject, bucket, key)
	} else if err != nil {
		return nil, Object{}, fmt.Errorf("objstore: get %s/%s: %w", bucket, key, err)
	}
	info, err := f.Stat()
	if err != nil || info.IsDir() {
		f.Close()
		return nil, Object{}, fmt.Errorf("%w: %s/%s", ErrNoSuchObject, bucket, key)
	}
	return f, Object{Bucket: bucket, Key: key, Size: info.Size(), ModTime: info.ModTime().UTC()}, nil
}

// List implements Store.
func (d *Dir) List(ctx context.Context, bucket, prefix string) ([]Object, error) {
	bp, err := d.bucketPath(bucket)
	if err != nil {
		return nil, err
	}
	if ok, err := d.BucketExists(ctx, bucket); err != nil {
		return nil, err
	} else if !ok {
		return nil, fmt.Errorf("%w: %s", ErrNoSuchBucket, bucket)
	}
	var out []Object
	err = filepath.WalkDir(bp, func(path string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(bp, path)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		out = append(out, Object{Bucket: bucket, Key: key, Size: info.Size(), ModTime: info.ModTime().UTC()})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("objstore: list %s: %w", bucket, err)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out, nil
}

// Delete implements Store. A folder is not an object: deleting one is
// ErrNoSuchObject. Folders the deletion leaves empty are removed, so that
// their names are free for objects again.
func (d *Dir) Delete(ctx context.Context, bucket, key string) error {
	bp, path, err := d.objectPath(bucket, key)
	if err != nil {
		return err
	}
	info, err := os.Lstat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist), err != nil && clash(bp, key), err == nil && !info.Mode().IsRegular():
		return fmt.Errorf("%w: %s/%s", ErrNoSuchObject, bucket, key)
	case err != nil:
		return fmt.Errorf("objstore: delete %s/%s: %w", bucket, key, err)
	}
	if err := os.Remove(path); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%w: %s/%s", ErrNoSuchObject, bucket, key)
	} else if err != nil {
		return fmt.Errorf("objstore: delete %s/%s: %w", bucket, key, err)
	}
	for dir := filepath.Dir(path); dir != bp && strings.HasPrefix(dir, bp); dir = filepath.Dir(dir) {
		if os.Remove(dir) != nil { // not empty (or gone): the folders above are not empty either
			break
		}
	}
	return nil
}

// DeleteBucket implements Store.
func (d *Dir) DeleteBucket(ctx context.Context, bucket string) (int, error) {
	bp, err := d.bucketPath(bucket)
	if err != nil {
		return 0, err
	}
	n := 0
	err = filepath.WalkDir(bp, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if e.Type().IsRegular() {
			n++
		}
		return ctx.Err()
	})
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	} else if err != nil {
		return 0, fmt.Errorf("objstore: delete bucket %s: %w", bucket, err)
	}
	if err := os.RemoveAll(bp); err != nil {
		return 0, fmt.Errorf("objstore: delete bucket %s: %w", bucket, err)
	}
	return n, nil
}

// ctxReader stops a copy when its context ends.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
