package cph

import (
	"context"
	"encoding/json"
	"strconv"
)

// JobStatus is a job's status code.
type JobStatus int32

// Job statuses.
const (
	JobRunning   JobStatus = 1
	JobSucceeded JobStatus = 2
	JobFailed    JobStatus = -1
)

// Final reports whether s is a final status.
func (s JobStatus) Final() bool { return s == JobSucceeded || s == JobFailed }

// String returns a short English name of the status.
func (s JobStatus) String() string {
	switch s {
	case JobRunning:
		return "running"
	case JobSucceeded:
		return "succeeded"
	case JobFailed:
		return "failed"
	}
	return "unknown"
}

// ParseJobStatus reads a job status given by its name (running,
// succeeded, failed) or its code (1, 2, -1).
func ParseJobStatus(s string) (JobStatus, bool) {
	for _, st := range []JobStatus{JobRunning, JobSucceeded, JobFailed} {
		if s == st.String() || s == strconv.Itoa(int(st)) {
			return st, true
		}
	}
	return 0, false
}

// OpKind names what an operation asks an agent to do.
type OpKind string

// Operation kinds.
const (
	OpRestartPhone OpKind = "restart_phone"
	OpStopPhone    OpKind = "stop_phone"
	OpResetPhone   OpKind = "reset_phone"
)

// Job is the record of one asynchronous operation on one target, as
// returned by ListJobs and ShowJob. Unset optional fields encode
// as null, as in Huawei's examples.
type Job struct {
	PhoneID  string `json:"phone_id,omitempty"`
	ServerID string `json:"server_id,omitempty"`
	// EncodeServerID is the target of an encode-service job.
	EncodeServerID string    `json:"encode_server_id,omitempty"`
	ID             string    `json:"job_id"`
	BeginTime      Time      `json:"begin_time"`
	EndTime        Time      `json:"end_time"`
	Status         JobStatus `json:"status"`
	ErrorCode      *string   `json:"error_code"`
	ErrorMsg       *string   `json:"error_msg"`
	ExecuteMsg     *string   `json:"execute_msg"`

	// RequestID is the asynchronous request that created the job.
	RequestID string `json:"-"`
	// ProjectID is the project the job belongs to.
	ProjectID string `json:"-"`
	// Kind is the operation the job runs.
	Kind OpKind `json:"-"`
	// Position is the job's index in its request.
	Position int `json:"-"`
}

// Operation is a unit of work for the agent of one server: the execution
// side of a job. The database is its source of truth; an agent claims it,
// runs it through its runtime driver and reports the result.
type Operation struct {
	ID       string          `json:"operation_id"`
	JobID    string          `json:"job_id"`
	ServerID string          `json:"server_id"`
	PhoneID  string          `json:"phone_id,omitempty"`
	Kind     OpKind          `json:"kind"`
	Args     json.RawMessage `json:"args,omitempty"`
	Attempt  int             `json:"attempt"`
	// QueuedAt is when the control plane accepted the operation, in
	// microseconds since the Unix epoch; agents use it to measure dispatch
	// latency.
	QueuedAt int64 `json:"queued_at_us,omitempty"`
}

// RestartArgs are the arguments of an OpRestartPhone operation.
type RestartArgs struct {
	ImageID  string            `json:"image_id,omitempty"`
	Property map[string]string `json:"property,omitempty"`
	// BootTimeMS, when set, is how long a simulated phone boots, in
	// milliseconds (the project's or phone's sim settings, see
	// SimSettings); other runtimes ignore it.
	BootTimeMS *int64 `json:"boot_time_ms,omitempty"`
	// Factory, on a reset, also returns the phone's properties to its
	// image's defaults, forgetting those it was created or updated with
	// (a project reset).
	Factory bool `json:"factory,omitempty"`
}

// Limits of ListJobs.
const (
	// MaxJobPage is the largest page of a job list.
	MaxJobPage = 100
	// MaxJobRequests is the most request IDs of one job list.
	MaxJobRequests = 20
)

// JobFilter selects the jobs of asynchronous requests in ListJobs.
type JobFilter struct {
	// RequestIDs are the requests whose jobs are listed: 1 to
	// MaxJobRequests IDs of at most 64 bytes; duplicates count once.
	RequestIDs []string
	Offset     int
	Limit      int
}

// RecentJobFilter selects jobs of the caller's project in ListRecentJobs,
// newest first. Empty fields do not filter.
type RecentJobFilter struct {
	// Status is JobRunning, JobSucceeded or JobFailed; 0 lists every job.
	Status JobStatus
	// RequestID, PhoneID and ServerID select the jobs of one request (at
	// most 64 bytes), phone or server (valid ids), exactly.
	RequestID, PhoneID, ServerID string
	// Marker is the NextMarker of the previous page: the page starts
	// after that job. Offset skips jobs after the marker, if any.
	Marker        string
	Offset, Limit int
}

// JobPage is one page of ListRecentJobs.
type JobPage struct {
	// Jobs are newest first (by begin time); the jobs of one request are
	// in their order in the request.
	Jobs []*Job
	// NextMarker, when more jobs follow, is the Marker of the next page.
	NextMarker string
}

// JobDoc is a job as the OpenCPH recent-jobs list shows it: the fields of
// the CPH Job with the request that created it and the operation it runs.
type JobDoc struct {
	Job
	RequestID string `json:"request_id"`
	Kind      OpKind `json:"kind"`
}

// Doc returns j as the recent-jobs list shows it.
func (j *Job) Doc() JobDoc { return JobDoc{Job: *j, RequestID: j.RequestID, Kind: j.Kind} }

// JobService reads the jobs of the caller's project. The caller travels
// in the context (NewCallerContext); jobs of other projects are unknown.
type JobService interface {
	// ListJobs returns the page of the jobs of f.RequestIDs, by request
	// and then by position in the request. Unknown requests contribute no
	// jobs.
	// Errors: CPS.0002 (offset < 0, limit outside 1..MaxJobPage),
	// CPS.9003 (no request ID, too many, an empty or overlong one),
	// APIGW.0301, APIGW.0302.
	ListJobs(ctx context.Context, f JobFilter) ([]*Job, error)

	// ShowJob returns job id.
	// Errors: CPS.9002 (malformed or unknown id, a job of another
	// project), APIGW.0301, APIGW.0302.
	ShowJob(ctx context.Context, id string) (*Job, error)

	// ListRecentJobs returns a page of the project's jobs that f selects,
	// newest first, without naming their requests (an OpenCPH extension;
	// ListJobs is the CPH API's list). A marker that names no job of the
	// project is refused.
	// Errors: CPS.0002 (offset < 0, limit outside 1..MaxJobPage),
	// CPS.0010 (status other than running, succeeded or failed),
	// CPS.9003 (an overlong request ID), CPS.9011 (a phone, server or
	// marker that is not a valid id), APIGW.0301, APIGW.0302.
	ListRecentJobs(ctx context.Context, f RecentJobFilter) (*JobPage, error)
}
