// Package metrics holds cphd's Prometheus metrics: one registry per
// process (no global registry), the collectors the HTTP server, the job
// engine and the store report to, and the fleet gauges read from the
// store when the registry is scraped.
//
// Every name starts with cph_; counters end in _total, durations are in
// seconds. Labels take values from small fixed sets (operation names of
// the API, HTTP status codes, job types, phone and server statuses): no
// label ever holds an id, a user or a project.
package metrics

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/opencph/opencph"
	"github.com/opencph/opencph/sqlstore"
)

// Metrics is cphd's set of metrics. A nil *Metrics records nothing, so
// that every reporter may call it unconditionally.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests *prometheus.CounterVec
	httpDuration *prometheus.HistogramVec

	jobsAccepted *prometheus.CounterVec
	jobsFinished *prometheus.CounterVec
	opDispatch   *prometheus.HistogramVec
	opRun        *prometheus.HistogramVec

	loginsFailed    prometheus.Counter
	loginsThrottled prometheus.Counter

	txDuration *prometheus.HistogramVec

	auditWritten prometheus.Counter
	auditDropped prometheus.Counter
}

// Fleet is where the fleet gauges come from at scrape time.
type Fleet struct {
	DB *sqlstore.DB
	// AgentTTL is how recently an agent must have been seen to count as
	// connected.
	AgentTTL time.Duration
	// CacheFor is how long one reading of the counts serves scrapes
	// (default 5s), so that frequent scrapes by several servers cost one
	// set of queries.
	CacheFor time.Duration
	Logger   *slog.Logger
}

// New returns a registry with cphd's metrics, Go runtime and process
// collectors, and, if fleet.DB is set, the fleet gauges.
func New(fleet Fleet) *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.httpRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cph_http_requests_total",
		Help: "HTTP requests answered, by API operation (the SDK operation name of the route, unknown for none) and status code.",
	}, []string{"operation", "code"})
	m.httpDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cph_http_request_duration_seconds",
		Help:    "Time from a request's arrival to the end of its answer, by API operation.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
	}, []string{"operation"})
	m.jobsAccepted = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cph_jobs_accepted_total",
		Help: "Jobs accepted (committed) by the engine, by job type.",
	}, []string{"type"})
	m.jobsFinished = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "cph_jobs_finished_total",
		Help: "Jobs that reached a final status, by job type and status (success or failure).",
	}, []string{"type", "status"})
	m.opDispatch = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cph_operation_dispatch_seconds",
		Help:    "Time from an operation's queueing to its claim by an agent, by job type.",
		Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 300},
	}, []string{"type"})
	m.opRun = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "cph_operation_run_seconds",
		Help: "Time from an operation's claim by an agent to its result, by job type; for restart_phone and reset_phone, the phone's boot time.",
		// Boots take seconds to minutes.
		Buckets: []float64{.1, .25, .5, 1, 2, 3, 5, 7.5, 10, 15, 20, 30, 45, 60, 90, 120, 300},
	}, []string{"type"})
	m.loginsFailed = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cph_logins_failed_total",
		Help: "Password logins refused for their credentials (wrong password, unknown or disabled user, unknown project).",
	})
	m.loginsThrottled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cph_logins_throttled_total",
		Help: "Password logins refused with 429 by the login throttle.",
	})
	m.txDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "cph_db_transaction_duration_seconds",
		Help:    "Database transactions from begin to commit or rollback (waiting for SQLite's writer lock included), by result (commit or rollback).",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
	}, []string{"result"})
	m.auditWritten = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cph_audit_events_written_total",
		Help: "Audit events stored in the database.",
	})
	m.auditDropped = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "cph_audit_events_dropped_total",
		Help: "Audit events lost: the queue was full or the database refused them.",
	})
	m.reg.MustRegister(m.httpRequests, m.httpDuration, m.jobsAccepted, m.jobsFinished, m.opDispatch, m.opRun,
		m.loginsFailed, m.loginsThrottled, m.txDuration, m.auditWritten, m.auditDropped,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if fleet.DB != nil {
		m.reg.MustRegister(newFleetCollector(fleet))
	}
	return m
}

// Registry returns the registry every metric is registered in.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus exposition formats.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{Registry: m.reg, MaxRequestsInFlight: 4})
}

// Request records one answered HTTP request.
func (m *Metrics) Request(operation string, status int, d time.Duration) {
	if m == nil {
		return
	}
	m.httpRequests.WithLabelValues(operation, strconv.Itoa(status)).Inc()
	m.httpDuration.WithLabelValues(operation).Observe(d.Seconds())
}

// JobsAccepted records n jobs of kind accepted.
func (m *Metrics) JobsAccepted(kind cph.OpKind, n int) {
	if m == nil || n == 0 {
		return
	}
	m.jobsAccepted.WithLabelValues(string(kind)).Add(float64(n))
}

// JobFinished records a job of kind that reached its final status.
func (m *Metrics) JobFinished(kind cph.OpKind, success bool) {
	if m == nil {
		return
	}
	status := "failure"
	if success {
		status = "success"
	}
	m.jobsFinished.WithLabelValues(string(kind), status).Inc()
}

// OperationClaimed records an operation of kind claimed after waiting d
// in the queue.
func (m *Metrics) OperationClaimed(kind cph.OpKind, d time.Duration) {
	if m == nil {
		return
	}
	m.opDispatch.WithLabelValues(string(kind)).Observe(max(d, 0).Seconds())
}

// OperationRan records an operation of kind whose agent reported its
// result d after claiming it.
func (m *Metrics) OperationRan(kind cph.OpKind, d time.Duration) {
	if m == nil {
		return
	}
	m.opRun.WithLabelValues(string(kind)).Observe(max(d, 0).Seconds())
}

// LoginFailed records a login refused for its credentials.
func (m *Metrics) LoginFailed() {
	if m != nil {
		m.loginsFailed.Inc()
	}
}

// LoginThrottled records a login refused by the throttle.
func (m *Metrics) LoginThrottled() {
	if m != nil {
		m.loginsThrottled.Inc()
	}
}

// Transaction records one database transaction; it fits
// sqlstore.DB.ObserveTx.
func (m *Metrics) Transaction(d time.Duration, committed bool) {
	if m == nil {
		return
	}
	result := "rollback"
	if committed {
		result = "commit"
	}
	m.txDuration.WithLabelValues(result).Observe(d.Seconds())
}

// AuditWritten records n audit events stored.
func (m *Metrics) AuditWritten(n int) {
	if m != nil {
		m.auditWritten.Add(float64(n))
	}
}

// AuditDropped records n audit events lost.
func (m *Metrics) AuditDropped(n int) {
	if m != nil {
		m.auditDropped.Add(float64(n))
	}
}

// fleetCollector reads phones and servers by status, the open operations
// and the connected agents from the store at scrape time.
type fleetCollector struct {
	f Fleet

	phones, servers, agents, opsOpen, opsAge, scrapeErr *prometheus.Desc

	mu   sync.Mutex
	at   time.Time
	last *sqlstore.FleetStats
}

func newFleetCollector(f Fleet) *fleetCollector {
	if f.CacheFor <= 0 {
		f.CacheFor = 5 * time.Second
	}
	if f.AgentTTL <= 0 {
		f.AgentTTL = 30 * time.Second
	}
	if f.Logger == nil {
		f.Logger = slog.New(slog.DiscardHandler)
	}
	return &fleetCollector{f: f,
		phones:    prometheus.NewDesc("cph_phones", "Phones by status (the CPH status code).", []string{"status"}, nil),
		servers:   prometheus.NewDesc("cph_servers", "Phone servers by status (the CPH status code).", []string{"status"}, nil),
		agents:    prometheus.NewDesc("cph_agents_connected", "Servers whose agent has a session and was seen within the agent TTL.", nil, nil),
		opsOpen:   prometheus.NewDesc("cph_operations_queued", "Open operations by state: pending (waiting for an agent) or claimed (running on one).", []string{"state"}, nil),
		opsAge:    prometheus.NewDesc("cph_operations_oldest_age_seconds", "Age of the oldest open operation by state; 0 when there is none.", []string{"state"}, nil),
		scrapeErr: prometheus.NewDesc("cph_fleet_scrape_errors", "1 when the fleet counts could not be read from the database at this scrape.", nil, nil),
	}
}

func (c *fleetCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.phones, c.servers, c.agents, c.opsOpen, c.opsAge, c.scrapeErr} {
		ch <- d
	}
}

// knownPhoneStatuses and knownServerStatuses are reported even at zero, so
// that a series does not vanish when its last phone leaves the status.
var (
	knownPhoneStatuses  = []cph.PhoneStatus{cph.PhoneCreating, cph.PhoneRunning, cph.PhoneResetting, cph.PhoneRestarting, cph.PhoneStopping, cph.PhoneStopped, cph.PhoneAbnormal}
	knownServerStatuses = []cph.ServerStatus{cph.ServerNormal, cph.ServerAbnormal}
)

func (c *fleetCollector) Collect(ch chan<- prometheus.Metric) {
	st, err := c.read()
	if err != nil {
		c.f.Logger.Warn("metrics: fleet counts", "err", err)
		ch <- prometheus.MustNewConstMetric(c.scrapeErr, prometheus.GaugeValue, 1)
		return
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeErr, prometheus.GaugeValue, 0)
	phones := map[int]int{}
	for _, s := range knownPhoneStatuses {
		phones[int(s)] = 0
	}
	for s, n := range st.PhonesByStatus {
		phones[s] = n
	}
	for s, n := range phones {
		ch <- prometheus.MustNewConstMetric(c.phones, prometheus.GaugeValue, float64(n), strconv.Itoa(s))
	}
	servers := map[int]int{}
	for _, s := range knownServerStatuses {
		servers[int(s)] = 0
	}
	for s, n := range st.ServersByStatus {
		servers[s] = n
	}
	for s, n := range servers {
		ch <- prometheus.MustNewConstMetric(c.servers, prometheus.GaugeValue, float64(n), strconv.Itoa(s))
	}
	ch <- prometheus.MustNewConstMetric(c.agents, prometheus.GaugeValue, float64(st.AgentsConnected))
	now := c.f.DB.Now()
	for _, state := range []string{sqlstore.OpPending, sqlstore.OpClaimed} {
		ch <- prometheus.MustNewConstMetric(c.opsOpen, prometheus.GaugeValue, float64(st.OpenOperations[state]), state)
		age := 0.0
		if t, ok := st.OldestOpen[state]; ok && !t.IsZero() {
			age = max(now.Sub(t).Seconds(), 0)
		}
		ch <- prometheus.MustNewConstMetric(c.opsAge, prometheus.GaugeValue, age, state)
	}
}

// read returns the counts, read at most once per CacheFor.
func (c *fleetCollector) read() (*sqlstore.FleetStats, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := time.Now()
	if c.last != nil && now.Sub(c.at) < c.f.CacheFor {
		return c.last, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := c.f.DB.FleetStats(ctx, c.f.DB.Now().Add(-c.f.AgentTTL))
	if err != nil {
		return nil, err
	}
	c.last, c.at = st, now
	return st, nil
}
