package agent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/opencph/opencph/agentproto"
	"github.com/opencph/opencph/objstore"
)

// MaxObjectBytes is the largest object the agent downloads or uploads.
const MaxObjectBytes = 256 << 20

// objectTimeout bounds one object transfer.
const objectTimeout = 5 * time.Minute

// FetchObject downloads an object through the control plane. A missing
// bucket or object is an error wrapping objstore.ErrNoSuchBucket or
// objstore.ErrNoSuchObject.
func (a *Agent) FetchObject(ctx context.Context, bucket, key string) ([]byte, error) {
	data, err := a.transfer(ctx, http.MethodGet, agentproto.ObjectPath(bucket, key), nil)
	if err != nil {
		return nil, fmt.Errorf("agent: fetch obs://%s/%s: %w", bucket, key, objectErr(err))
	}
	return data, nil
}

// PutObject uploads an object through the control plane, replacing any
// object with the same key. A missing bucket is an error wrapping
// objstore.ErrNoSuchBucket.
func (a *Agent) PutObject(ctx context.Context, bucket, key string, data []byte) error {
	if _, err := a.transfer(ctx, http.MethodPut, agentproto.ObjectPath(bucket, key), data); err != nil {
		return fmt.Errorf("agent: put obs://%s/%s: %w", bucket, key, objectErr(err))
	}
	return nil
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

// transfer sends one object request, failing over between control plane
// URLs like call does.
func (a *Agent) transfer(ctx context.Context, method, path string, body []byte) ([]byte, error) {
	n := int64(len(a.bases))
	first := a.endpoint.Load()
	var lastErr error
	for i := range n {
		base := a.bases[(first+i)%n]
		data, err := a.transferOnce(ctx, base, method, path, body)
		if err == nil || ctx.Err() != nil || !shouldFailOver(err) {
			return data, err
		}
		lastErr = err
	}
	return nil, lastErr
}

func (a *Agent) transferOnce(ctx context.Context, base, method, path string, body []byte) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, objectTimeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+a.credential)
	if body != nil {
		req.Header.Set("Content-Type", "application/octet-stream")
	}
	resp, err := a.client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxObjectBytes+1))
	if err != nil {
		return nil, fmt.Errorf("%s %s: read answer: %w", method, path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return nil, fmt.Errorf("%s %s: %w", method, path, decodeError(resp.StatusCode, data))
	}
	if len(data) > MaxObjectBytes {
		return nil, fmt.Errorf("%s %s: object larger than %d bytes", method, path, MaxObjectBytes)
	}
	return data, nil
}
