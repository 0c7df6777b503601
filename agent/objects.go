package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/objstore"
)

// MaxObjectBytes is the largest object the agent downloads or uploads.
const MaxObjectBytes = 256 << 20

// objectTimeout bounds one object transfer, body included.
const objectTimeout = 5 * time.Minute

// errObjectTooLarge is the error of an object over MaxObjectBytes.
var errObjectTooLarge = fmt.Errorf("object larger than %d bytes", MaxObjectBytes)

// OpenObject downloads an object through the control plane as a stream
// and returns it with its size. The caller reads and closes it; reading
// fails if the object turns out larger than MaxObjectBytes or the
// transfer breaks. A missing bucket or object is an error wrapping
// objstore.ErrNoSuchBucket or objstore.ErrNoSuchObject.
func (a *Agent) OpenObject(ctx context.Context, bucket, key string) (io.ReadCloser, int64, error) {
	path := agentproto.ObjectPath(bucket, key)
	var body *objectBody
	err := a.failOver(ctx, func(base string) (bool, error) {
		var err error
		body, err = a.openOnce(ctx, base, path)
		return true, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("agent: fetch obs://%s/%s: %w", bucket, key, objectErr(err))
	}
	body.name = fmt.Sprintf("obs://%s/%s", bucket, key)
	return body, body.size, nil
}

// FetchObject downloads a small object into memory (at most
// MaxObjectBytes). Operations read objects through OpenObject instead.
func (a *Agent) FetchObject(ctx context.Context, bucket, key string) ([]byte, error) {
	rc, _, err := a.OpenObject(ctx, bucket, key)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return io.ReadAll(rc)
}

// PutObject uploads data as an object; see PutObjectFrom.
func (a *Agent) PutObject(ctx context.Context, bucket, key string, data []byte) error {
	_, err := a.PutObjectFrom(ctx, bucket, key, bytes.NewReader(data))
	return err
}

// PutObjectFrom uploads an object through the control plane, streaming
// its content from r until io.EOF, and returns its size. It replaces any
// object with the same key once the whole content has arrived; if r
// fails, the upload is aborted and nothing is stored. The transfer moves
// to another control plane URL only while nothing of r has been sent. A
// missing bucket is an error wrapping objstore.ErrNoSuchBucket.
func (a *Agent) PutObjectFrom(ctx context.Context, bucket, key string, r io.Reader) (int64, error) {
	path := agentproto.ObjectPath(bucket, key)
	body := &uploadBody{r: r}
	err := a.failOver(ctx, func(base string) (bool, error) {
		err := a.putOnce(ctx, base, path, body)
		n, srcErr := body.sent()
		return n == 0 && srcErr == nil, err
	})
	n, srcErr := body.sent()
	if srcErr != nil {
		return n, fmt.Errorf("agent: put obs://%s/%s: %w", bucket, key, srcErr)
	}
	if err != nil {
		return n, fmt.Errorf("agent: put obs://%s/%s: %w", bucket, key, objectErr(err))
	}
	return n, nil
}

// objectErr maps protocol errors about objects to objstore errors.
func objectErr(err error) error {
	pe, ok := asProtocolError(err)
	if !ok {
		return err
	}
	switch pe.Code {
	case agentproto.CodeNoSuchBucket:
		return errors.Join(objstore.ErrNoSuchBucket, err)
	case agentproto.CodeNoSuchKey:
		return errors.Join(objstore.ErrNoSuchObject, err)
	case agentproto.CodeInvalidName:
		return errors.Join(objstore.ErrInvalidName, err)
	}
	return err
}

// failOver runs attempt against the control plane URLs in turn, like call
// does, while it fails with an error worth another URL and reports that
// it may be repeated.
func (a *Agent) failOver(ctx context.Context, attempt func(base string) (again bool, err error)) error {
	n := int64(len(a.bases))
	first := a.endpoint.Load()
	var lastErr error
	for i := range n {
		again, err := attempt(a.bases[(first+i)%n])
		if err == nil || ctx.Err() != nil || !again || !shouldFailOver(err) {
			return err
		}
		lastErr = err
	}
	return lastErr
}

func (a *Agent) newObjectRequest(ctx context.Context, method, url string, body io.Reader) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+a.credential)
	return req, nil
}

// openOnce starts one download; on success the body holds the answer and
// the timeout's cancel.
func (a *Agent) openOnce(ctx context.Context, base, path string) (*objectBody, error) {
	ctx, cancel := context.WithTimeout(ctx, objectTimeout)
	req, err := a.newObjectRequest(ctx, http.MethodGet, base+path, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	resp, err := a.client.Do(req)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("GET %s: %w", path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("GET %s: %w", path, decodeError(resp.StatusCode, data))
	}
	if resp.ContentLength > MaxObjectBytes {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("GET %s: %w", path, errObjectTooLarge)
	}
	return &objectBody{resp: resp, cancel: cancel, size: resp.ContentLength}, nil
}

// objectBody is a download in progress.
type objectBody struct {
	resp   *http.Response
	cancel context.CancelFunc
	name   string
	size   int64 // -1 if unknown
	n      int64
}

func (b *objectBody) Read(p []byte) (int, error) {
	if b.n >= MaxObjectBytes+1 {
		return 0, fmt.Errorf("read %s: %w", b.name, errObjectTooLarge)
	}
	if int64(len(p)) > MaxObjectBytes+1-b.n {
		p = p[:MaxObjectBytes+1-b.n]
	}
	n, err := b.resp.Body.Read(p)
	b.n += int64(n)
	if b.n > MaxObjectBytes {
		return n, fmt.Errorf("read %s: %w", b.name, errObjectTooLarge)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = fmt.Errorf("read %s: %w", b.name, err)
	}
	return n, err
}

func (b *objectBody) Close() error {
	err := b.resp.Body.Close()
	b.cancel()
	return err
}

// uploadBody is the content of an upload: it counts what was sent and
// remembers a failure of its source, which aborts the request. Attempts
// read it one at a time through attemptBody.
type uploadBody struct {
	mu  sync.Mutex // held during a read of r
	r   io.Reader
	n   int64
	err error
}

func (u *uploadBody) Read(p []byte) (int, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.err != nil {
		return 0, u.err
	}
	if u.n >= MaxObjectBytes+1 {
		u.err = errObjectTooLarge
		return 0, u.err
	}
	if int64(len(p)) > MaxObjectBytes+1-u.n {
		p = p[:MaxObjectBytes+1-u.n]
	}
	n, err := u.r.Read(p)
	u.n += int64(n)
	if u.n > MaxObjectBytes {
		u.err = errObjectTooLarge
		return n, u.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		u.err = err
	}
	return n, err
}

// sent returns how much was read and the source's failure, once no read
// is in progress.
func (u *uploadBody) sent() (int64, error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n, u.err
}

// errAttemptOver is what a request body reads once its request is over.
var errAttemptOver = errors.New("upload attempt over")

// attemptBody is an upload's body as one request sees it. The transport
// closes a request body when it no longer uses it, possibly after Do
// returns; after that the body reads nothing more of the upload.
type attemptBody struct {
	u      *uploadBody
	over   atomic.Bool
	once   sync.Once
	closed chan struct{}
}

func (b *attemptBody) Read(p []byte) (int, error) {
	if b.over.Load() {
		return 0, errAttemptOver
	}
	return b.u.Read(p)
}

func (b *attemptBody) Close() error {
	b.over.Store(true)
	b.once.Do(func() { close(b.closed) })
	return nil
}

func (a *Agent) putOnce(ctx context.Context, base, path string, u *uploadBody) error {
	ctx, cancel := context.WithTimeout(ctx, objectTimeout)
	defer cancel()
	// The body's length is unknown, so it goes out in chunks, and the
	// request is aborted (nothing stored) if the body fails.
	body := &attemptBody{u: u, closed: make(chan struct{})}
	req, err := a.newObjectRequest(ctx, http.MethodPut, base+path, body)
	if err != nil {
		return fmt.Errorf("PUT %s: %w", path, err)
	}
	req.ContentLength = -1
	req.Header.Set("Content-Type", "application/octet-stream")
	resp, err := a.client.Do(req)
	if err == nil {
		data, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		if resp.StatusCode < 200 || resp.StatusCode > 299 {
			err = decodeError(resp.StatusCode, data)
		}
	}
	// Wait until the transport is done with the body, so that another
	// attempt may read it.
	cancel()
	<-body.closed
	if err != nil {
		return fmt.Errorf("PUT %s: %w", path, err)
	}
	return nil
}

// spoolObject downloads an object into a temporary file, for readers that
// need random access (zip) or two passes, and returns the file positioned
// at its start. The caller closes it with closeSpool.
func (a *Agent) spoolObject(ctx context.Context, bucket, key string) (*os.File, int64, error) {
	rc, _, err := a.OpenObject(ctx, bucket, key)
	if err != nil {
		return nil, 0, err
	}
	defer rc.Close()
	f, err := os.CreateTemp("", "cph-agent-object-*")
	if err != nil {
		return nil, 0, fmt.Errorf("agent: spool obs://%s/%s: %w", bucket, key, err)
	}
	n, err := io.Copy(f, rc)
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		closeSpool(f)
		return nil, 0, fmt.Errorf("agent: spool obs://%s/%s: %w", bucket, key, err)
	}
	return f, n, nil
}

// closeSpool closes and removes a file of spoolObject.
func closeSpool(f *os.File) {
	f.Close()
	os.Remove(f.Name())
}
