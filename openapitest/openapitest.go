// Package openapitest checks real HTTP exchanges against the OpenAPI
// document of the API (httpapi.OpenAPIDocument), so that the document and
// the server's behaviour cannot drift apart.
//
// A Validator finds the operation of each request by its method and path
// (a literal path segment wins over a parameter, as in the server's
// router) and validates with kin-openapi's openapi3filter:
//
//   - a request the document accepts must get an answer that validates
//     against the operation's responses: status, required headers, content
//     type, and body (required fields, types, enums, patterns);
//   - a request the document refuses (a missing required field, a value
//     outside an enum or range, a malformed body) must be answered with an
//     error (status 400 or more) in a documented error shape, except that
//     a batch operation may answer 200 when the fault lies inside one
//     element of an array (it refuses that element in its answer);
//   - a request to a route the document does not have must be answered
//     with 404 or 405 in the CPH error envelope.
//
// Routes of the agent protocol (/agent/...) are internal and not checked.
package openapitest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"

	"github.com/opencph/opencph/httpapi"
)

// Validator validates HTTP exchanges against an OpenAPI document.
type Validator struct {
	doc    *openapi3.T
	routes []route
}

// route is one path template of the document.
type route struct {
	path     string
	segments []string // "{name}" for parameters
	item     *openapi3.PathItem
	key      string // specificity: '1' per literal segment, '0' per parameter
	// rest is set when the last parameter takes the rest of the path,
	// slashes included (x-opencph-rest-of-path).
	rest bool
}

// New returns a Validator for the document of the API.
func New() (*Validator, error) {
	return Load(httpapi.OpenAPIDocument)
}

// Load returns a Validator for an OpenAPI 3 document in JSON.
func Load(document []byte) (*Validator, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(document)
	if err != nil {
		return nil, fmt.Errorf("openapitest: load document: %w", err)
	}
	if err := doc.Validate(loader.Context); err != nil {
		return nil, fmt.Errorf("openapitest: invalid document: %w", err)
	}
	v := &Validator{doc: doc}
	for p, item := range doc.Paths.Map() {
		r := route{path: p, segments: strings.Split(strings.TrimPrefix(p, "/"), "/"), item: item}
		var key strings.Builder
		for _, s := range r.segments {
			if isParam(s) {
				key.WriteByte('0')
			} else {
				key.WriteByte('1')
			}
		}
		r.key = key.String()
		for _, op := range item.Operations() {
			if _, ok := op.Extensions["x-opencph-rest-of-path"]; ok {
				r.rest = true
			}
		}
		v.routes = append(v.routes, r)
	}
	sort.Slice(v.routes, func(i, j int) bool { return v.routes[i].path < v.routes[j].path })
	return v, nil
}

func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// find returns the most specific route matching urlPath and its path
// parameters.
func (v *Validator) find(urlPath string) (*route, map[string]string) {
	segs := strings.Split(strings.TrimPrefix(urlPath, "/"), "/")
	var best *route
	var bestParams map[string]string
	for i := range v.routes {
		r := &v.routes[i]
		if len(r.segments) != len(segs) && !(r.rest && len(segs) > len(r.segments)) {
			continue
		}
		params := map[string]string{}
		ok := true
		for j, s := range r.segments {
			if isParam(s) {
				seg := segs[j]
				if r.rest && j == len(r.segments)-1 {
					seg = strings.Join(segs[j:], "/")
				}
				if seg == "" {
					ok = false
					break
				}
				val, err := url.PathUnescape(seg)
				if err != nil {
					val = seg
				}
				params[s[1:len(s)-1]] = val
			} else if s != segs[j] {
				ok = false
				break
			}
		}
		if ok && (best == nil || r.key > best.key) {
			best, bestParams = r, params
		}
	}
	return best, bestParams
}

// Check validates one exchange: req (whose body is given separately as
// reqBody, since it was consumed by sending) and the answer resp with its
// body respBody. It returns nil when the exchange agrees with the
// document.
func (v *Validator) Check(ctx context.Context, req *http.Request, reqBody []byte, resp *http.Response, respBody []byte) error {
	if strings.HasPrefix(req.URL.Path, "/agent/") {
		return nil
	}
	r, params := v.find(req.URL.Path)
	var op *openapi3.Operation
	if r != nil {
		op = r.item.GetOperation(req.Method)
	}
	if op == nil {
		// Not in the document: the server must not serve it either.
		if resp.StatusCode != http.StatusNotFound && resp.StatusCode != http.StatusMethodNotAllowed {
			return fmt.Errorf("%s %s is not in the document, but the server answered %d", req.Method, req.URL.Path, resp.StatusCode)
		}
		return v.checkErrorBody(resp, respBody)
	}
	rv := req.Clone(ctx)
	rv.Body = io.NopCloser(bytes.NewReader(reqBody))
	if len(reqBody) == 0 {
		rv.Body = http.NoBody
	}
	opts := &openapi3filter.Options{
		AuthenticationFunc:    openapi3filter.NoopAuthenticationFunc,
		IncludeResponseStatus: true,
		SkipSettingDefaults:   true,
	}
	in := &openapi3filter.RequestValidationInput{
		Request: rv, PathParams: params, Options: opts,
		Route: &routers.Route{Spec: v.doc, Path: r.path, PathItem: r.item, Method: req.Method, Operation: op},
	}
	reqErr := openapi3filter.ValidateRequest(ctx, in)
	if reqErr != nil && resp.StatusCode < 400 && !(resp.StatusCode == http.StatusOK && inArrayItem(reqErr)) {
		return fmt.Errorf("%s %s: the document refuses the request (%v), but the server answered %d", req.Method, req.URL.Path, reqErr, resp.StatusCode)
	}
	out := &openapi3filter.ResponseValidationInput{RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Options: opts}
	out.SetBodyBytes(respBody)
	if req.Method == http.MethodHead {
		out.Options = &openapi3filter.Options{AuthenticationFunc: opts.AuthenticationFunc, IncludeResponseStatus: true, ExcludeResponseBody: true}
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("%s %s: response %d does not match the document: %w\nbody: %s", req.Method, req.URL.Path, resp.StatusCode, err, clip(respBody))
	}
	return nil
}

// inArrayItem reports whether err is a request-body schema error inside
// an element of an array. Batch operations refuse such elements one by one
// in a 200 answer instead of refusing the whole request.
func inArrayItem(err error) bool {
	var se *openapi3.SchemaError
	if !errors.As(err, &se) {
		return false
	}
	ptr := se.JSONPointer()
	for i := 1; i < len(ptr); i++ {
		if _, err := strconv.Atoi(ptr[i]); err == nil {
			return true
		}
	}
	return false
}

// checkErrorBody validates an error answer against the Error schema.
func (v *Validator) checkErrorBody(resp *http.Response, body []byte) error {
	var val any
	if err := json.Unmarshal(body, &val); err != nil {
		return fmt.Errorf("error body is not JSON: %w: %s", err, clip(body))
	}
	schema := v.doc.Components.Schemas["Error"]
	if schema == nil || schema.Value == nil {
		return errors.New("the document has no Error schema")
	}
	if err := schema.Value.VisitJSON(val); err != nil {
		return fmt.Errorf("error body %s does not match the Error schema: %w", clip(body), err)
	}
	return nil
}

func clip(b []byte) string {
	if len(b) > 2000 {
		return string(b[:2000]) + "..."
	}
	return string(b)
}

// Transport returns an http.RoundTripper that sends requests through next
// (http.DefaultTransport when nil) and reports every exchange that does
// not agree with the document as an error of t.
func (v *Validator) Transport(t testing.TB, next http.RoundTripper) http.RoundTripper {
	if next == nil {
		next = http.DefaultTransport
	}
	return &transport{v: v, t: t, next: next}
}

type transport struct {
	v    *Validator
	t    testing.TB
	next http.RoundTripper
}

// RoundTrip implements http.RoundTripper.
func (tr *transport) RoundTrip(req *http.Request) (*http.Response, error) {
	var reqBody []byte
	if req.Body != nil && req.Body != http.NoBody {
		var err error
		reqBody, err = io.ReadAll(req.Body)
		req.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("openapitest: read request body: %w", err)
		}
		req = req.Clone(req.Context())
		req.Body = io.NopCloser(bytes.NewReader(reqBody))
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(reqBody)), nil }
	}
	resp, err := tr.next.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	respBody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("openapitest: read response body: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(respBody))
	if err := tr.v.Check(req.Context(), req, reqBody, resp, respBody); err != nil {
		tr.t.Errorf("openapitest: %v", err)
	}
	return resp, nil
}

// Client returns an HTTP client whose requests are validated (see
// Transport) and that does not follow redirects.
func (v *Validator) Client(t testing.TB) *http.Client {
	return &http.Client{
		Transport:     v.Transport(t, nil),
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// shared is the Validator of the API's document, parsed once: a Validator
// is never changed after Load, so tests may share it.
var shared = sync.OnceValues(New)

// Shared returns the Validator of the API's document, parsed on first use.
func Shared() (*Validator, error) { return shared() }
