// Package service implements OpenCPH's domain services (the interfaces
// of the root package: PhoneService, JobService, ServerService,
// ImageService, BucketService, IdentityService, AgentService) over the
// store, the job engine and IAM.
//
// Every front end (the HTTP API, the web console) authenticates a request,
// puts the caller in the context with cph.NewCallerContext and calls one
// service method. The method decides authorization itself: the caller's
// project is the only one it touches, and read-only users may only read.
// Transactions open and close here, never in a front end.
package service

import (
	"context"
	"log/slog"
	"time"

	cph "github.com/opencph/opencph"
	"github.com/opencph/opencph/audit"
	"github.com/opencph/opencph/engine"
	"github.com/opencph/opencph/iam"
	"github.com/opencph/opencph/internal/vcache"
	"github.com/opencph/opencph/objstore"
	"github.com/opencph/opencph/sqlstore"
	"golang.org/x/sync/singleflight"
)

// Config holds what the services work on.
type Config struct {
	DB     *sqlstore.DB
	IAM    *iam.Service
	Engine *engine.Engine
	// Objects is the object store behind the OBS buckets operations name.
	Objects objstore.Store
	Logger  *slog.Logger
	// EnrollToken, if set, is the installation's operator-level
	// enrollment token: it enrolls agents into any project.
	EnrollToken string
	// Audit, if set, receives audit events.
	Audit *audit.Writer
	// PollWait caps how long an agent's long-poll is held open (default
	// 25s).
	PollWait time.Duration
	// ScreenshotWait bounds how long ShowPhoneScreenshot waits for a
	// capture (default cph.ScreenshotWait).
	ScreenshotWait time.Duration
	// FaultOperations are the API operation names fault-injection rules
	// may name (the front end's, e.g. httpapi.FaultOperations()).
	FaultOperations []string
	// ResetSteps are the steps of ResetProject beyond the built-in ones
	// (see ResetStep).
	ResetSteps []ResetStep
	// ShareFilesystems are the shared file systems the operator declares
	// (AttachShareFilesystem); ShareFilesystemMountRoot is the directory of
	// the phones under which each appears, at <root>/<id> (default
	// cph.DefaultShareFilesystemMountRoot).
	ShareFilesystems         []cph.ShareFilesystem
	ShareFilesystemMountRoot string
	// StrictPushShareApps refuses PushShareApps calls with more than
	// cph.MaxPushShareAppsServersStrict servers (CPS.9010); otherwise the
	// engine's batch limit applies, as to the other server batches.
	StrictPushShareApps bool
}

// Services implements every domain service interface of the root package.
// It is safe for concurrent use.
type Services struct {
	db      *sqlstore.DB
	iam     *iam.Service
	engine  *engine.Engine
	objects objstore.Store
	log     *slog.Logger
	cfg     Config

	// pages caches phone list pages for one version of the phone data.
	pages *vcache.Cache[string, *cph.PhonePage]
	// pageReads lets concurrent misses of one page share one read.
	pageReads singleflight.Group
	// summaries caches fleet summaries per project; summaryReads lets
	// concurrent misses share one read.
	summaries    *vcache.Cache[string, cachedSummary]
	summaryReads singleflight.Group
	// screenshots lets concurrent screenshot requests of one phone (and
	// project) share one capture.
	screenshots singleflight.Group
	// syncCalls limits the RunSyncCommand calls of each user.
	syncCalls *rateLimiter
	// standIn holds the waits of WaitForJobs in progress.
	standIn standIn
}

// New returns the services over cfg's store, engine and IAM.
func New(cfg Config) *Services {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.ScreenshotWait <= 0 {
		cfg.ScreenshotWait = cph.ScreenshotWait
	}
	return &Services{db: cfg.DB, iam: cfg.IAM, engine: cfg.Engine, objects: cfg.Objects, log: cfg.Logger, cfg: cfg,
		pages:     vcache.New[string, *cph.PhonePage](pageCacheEntries, pageCacheTTL),
		summaries: vcache.New[string, cachedSummary](summaryCacheEntries, summaryCacheTTL),
		syncCalls: newRateLimiter(syncCallsPerMinute, time.Minute)}
}

// reader returns the caller of ctx if it may read its project's
// resources: any authenticated caller scoped to a project.
// Errors: APIGW.0301 (no caller), APIGW.0302 (not scoped to a project).
func reader(ctx context.Context) (*cph.Principal, error) {
	p, ok := cph.CallerFrom(ctx)
	if !ok {
		return nil, cph.ErrUnauthenticated()
	}
	if p.ProjectID == "" {
		return nil, cph.ErrNotAuthorized()
	}
	return p, nil
}

// writer returns the caller of ctx if it may change its project's
// resources: an admin user scoped to a project.
// Errors: those of reader, CPS.0001 (a read-only user).
func writer(ctx context.Context) (*cph.Principal, error) {
	p, err := reader(ctx)
	if err != nil {
		return nil, err
	}
	if !p.CanWrite() {
		return nil, cph.ErrForbidden()
	}
	return p, nil
}
