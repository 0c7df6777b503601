package cph

import "context"

type callerKey struct{}

// NewCallerContext returns a context that carries p as the caller of the
// services. Every front end authenticates a request, then calls the
// services with such a context; the services decide from it what the
// caller may see and do.
func NewCallerContext(ctx context.Context, p *Principal) context.Context {
	return context.WithValue(ctx, callerKey{}, p)
}

// CallerFrom returns the caller that ctx carries, if any.
func CallerFrom(ctx context.Context) (*Principal, bool) {
	p, ok := ctx.Value(callerKey{}).(*Principal)
	return p, ok && p != nil
}

// CanWrite reports whether p may change resources of its project: only
// admin users may; other users of a project may only read it.
func (p *Principal) CanWrite() bool { return p.User.IsAdmin }
