package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opencph/opencph"
)

// api is an authenticated view of the endpoint under test.
type api struct {
	base      string // http://host:port
	token     string
	projectID string
	hc        *http.Client // single requests: batches, job polls, one-off pages
}

// phonesURL is the first-page (offset 0) or deeper list of phones.
func (a *api) phonesURL(offset int) string {
	return fmt.Sprintf("%s/v1/%s/cloud-phone/phones?offset=%d&limit=100", a.base, a.projectID, offset)
}

// get sends an authenticated GET and returns the answer's status, body
// and Content-Type.
func (a *api) get(ctx context.Context, url string) (int, []byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("X-Auth-Token", a.token)
	return a.send(req)
}

// post sends an authenticated JSON POST.
func (a *api) post(ctx context.Context, url string, body []byte) (int, []byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return 0, nil, "", err
	}
	req.Header.Set("X-Auth-Token", a.token)
	req.Header.Set("Content-Type", "application/json")
	return a.send(req)
}

func (a *api) send(req *http.Request) (int, []byte, string, error) {
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, "", fmt.Errorf("%s %s: read answer: %w", req.Method, req.URL.Path, err)
	}
	return resp.StatusCode, b, resp.Header.Get("Content-Type"), nil
}

// getLoad is a load of authenticated GETs of one URL.
func (a *api) getLoad(cfg *Config, url string, headers map[string]string) Load {
	return Load{
		Client:   NewLoadClient(cfg.Concurrency),
		Workers:  cfg.Concurrency,
		Warmup:   cfg.Warmup,
		Duration: cfg.Duration,
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
			if err != nil {
				return nil, err
			}
			req.Header.Set("X-Auth-Token", a.token)
			for k, v := range headers {
				req.Header.Set(k, v)
			}
			return req, nil
		},
	}
}

// runLoad runs l and closes its connections afterwards.
func runLoad(ctx context.Context, l Load) (*LoadResult, error) {
	defer func() {
		if l.Client != nil {
			l.Client.CloseIdleConnections()
		}
	}()
	return l.Run(ctx)
}

// deepOffset is the offset of the deep list at a fleet size: half the
// size, rounded down to a multiple of 100.
func deepOffset(phones int) int { return phones / 2 / 100 * 100 }

// listScenario runs list-first, list-deep and the static baseline at the
// current fleet size and fills in r.
func (b *run) listScenario(ctx context.Context, r *SizeResult) error {
	cfg := b.cfg
	var err error
	b.log.Info("list: first page", "phones", r.Phones, "workers", cfg.Concurrency, "duration", cfg.Duration)
	if r.ListFirst, err = runLoad(ctx, b.api.getLoad(cfg, b.api.phonesURL(0), nil)); err != nil {
		return fmt.Errorf("list-first: %w", err)
	}
	// The page the baseline serves: the last first-page answer.
	status, body, ctype, err := b.api.get(ctx, b.api.phonesURL(0))
	if err != nil {
		return fmt.Errorf("list-first: fetch the page: %w", err)
	}
	if status != http.StatusOK {
		return fmt.Errorf("list-first: fetch the page: HTTP %d: %.300s", status, body)
	}
	var page struct {
		Count int `json:"count"`
	}
	if err := json.Unmarshal(body, &page); err != nil {
		return fmt.Errorf("list-first: decode the page: %w", err)
	}
	r.ListCount = page.Count
	r.ListBodyBytes = len(body)

	// The first page again while one client restarts phones, one request
	// after another: every change makes cphd read the page anew.
	b.log.Info("list: first page while phones restart", "phones", r.Phones)
	churnCtx, stopChurn := context.WithCancel(ctx)
	var restarts atomic.Int64
	churned := make(chan struct{})
	go func() {
		defer close(churned)
		ids := b.fleet.spread(min(1000, r.Phones))
		url := fmt.Sprintf("%s/v1/%s/cloud-phone/phones/batch-restart", b.api.base, b.api.projectID)
		for i := 0; churnCtx.Err() == nil && len(ids) > 0; i++ {
			body := fmt.Appendf(nil, `{"phones":[{"phone_id":%q}]}`, ids[i%len(ids)])
			if status, _, _, err := b.api.post(churnCtx, url, body); err == nil && status == http.StatusOK {
				restarts.Add(1)
			}
		}
	}()
	churnStart := time.Now()
	r.ListChanging, err = runLoad(ctx, b.api.getLoad(cfg, b.api.phonesURL(0), nil))
	churnTime := time.Since(churnStart)
	stopChurn()
	<-churned
	if err != nil {
		return fmt.Errorf("list-first while phones restart: %w", err)
	}
	r.RestartsPerSecond = float64(restarts.Load()) / churnTime.Seconds()

	r.DeepOffset = deepOffset(r.Phones)
	b.log.Info("list: deep page", "phones", r.Phones, "offset", r.DeepOffset)
	if r.ListDeep, err = runLoad(ctx, b.api.getLoad(cfg, b.api.phonesURL(r.DeepOffset), nil)); err != nil {
		return fmt.Errorf("list-deep: %w", err)
	}

	// Memory right after the list load, before the baseline's process
	// competes for the machine.
	b.measureMemory(r)

	file := filepath.Join(b.dataDir, fmt.Sprintf("baseline-%d.json", r.Phones))
	if err := os.WriteFile(file, body, 0o600); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	static, err := startChild(ctx, childSpec{
		Name:    "static server",
		Self:    b.self,
		Args:    []string{ChildStaticServer, "--body", file, "--content-type", ctype},
		Env:     childEnv(),
		LogPath: filepath.Join(b.dataDir, "static-server.log"),
	})
	if err != nil {
		return err
	}
	b.log.Info("list: static baseline", "phones", r.Phones, "bytes", len(body))
	l := b.api.getLoad(cfg, static.url+"/v1/"+b.api.projectID+"/cloud-phone/phones?offset=0&limit=100", nil)
	r.Baseline, err = runLoad(ctx, l)
	if serr := static.stop(5 * time.Second); err == nil && serr != nil {
		err = serr
	}
	if err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	if r.Baseline.RPS > 0 {
		r.ListToBaseline = r.ListFirst.RPS / r.Baseline.RPS
	}
	return nil
}

// countAbnormal records in r how many phones of the fleet are abnormal
// (-7): their server's agent was deemed silent.
func (b *run) countAbnormal(ctx context.Context, r *SizeResult) {
	r.AbnormalPhones = -1
	status, body, _, err := b.api.get(ctx, fmt.Sprintf("%s/v1/%s/cloud-phone/phones?status=%d&limit=1", b.api.base, b.api.projectID, cph.PhoneAbnormal))
	if err == nil && status != http.StatusOK {
		err = fmt.Errorf("HTTP %d: %.300s", status, body)
	}
	var page struct {
		Count int `json:"count"`
	}
	if err == nil {
		err = json.Unmarshal(body, &page)
	}
	if err != nil {
		b.log.Warn("cannot count abnormal phones", "err", err)
		return
	}
	r.AbnormalPhones = page.Count
	if page.Count > 0 {
		b.log.Warn("phones abnormal: cphd deemed their servers' agents silent", "phones", r.Phones, "abnormal", page.Count)
	}
}

// measureMemory records cphd's and this process's memory in r.
func (b *run) measureMemory(r *SizeResult) {
	if b.cphd != nil {
		if rss, err := procStatus(b.cphd.pid(), "VmRSS"); err == nil {
			r.CPHDRSSBytes = rss
			r.CPHDBytesPerPhone = float64(rss-b.report.CPHDBaseRSSBytes) / float64(r.Phones)
		} else {
			b.log.Warn("cannot read cphd's memory", "err", err)
		}
	}
	heap, rss := benchMemory()
	r.BenchHeapBytes, r.BenchRSSBytes = heap, rss
	r.BenchBytesPerSimPhone = float64(heap-b.benchBaseHeap) / float64(r.Phones)
}

// jobsAnswer is the body of an accepted batch and of a job list.
type jobsAnswer struct {
	RequestID string    `json:"request_id"`
	Jobs      []cph.Job `json:"jobs"`
}

// fanoutScenario sends batch restarts of distinct phones spread over the
// servers, then polls their jobs until all are final.
// loneOperations is the number of single-phone restarts whose dispatch
// latency is measured on the idle fleet before a fan-out.
const loneOperations = 20

// loneDispatch restarts each of ids alone, one after the other, each once
// the previous one's result was applied, and returns their dispatch
// latencies (acceptance to arrival at the agent).
func (b *run) loneDispatch(ctx context.Context, ids []string) ([]time.Duration, error) {
	url := fmt.Sprintf("%s/v1/%s/cloud-phone/phones/batch-restart", b.api.base, b.api.projectID)
	var lat []time.Duration
	for _, id := range ids {
		b.fleet.rec.take()
		body, err := json.Marshal(map[string]any{"phones": []cph.PhoneRef{{PhoneID: id}}})
		if err != nil {
			return nil, fmt.Errorf("lone operation: %w", err)
		}
		status, ans, _, err := b.api.post(ctx, url, body)
		if err == nil && status != http.StatusOK {
			err = fmt.Errorf("HTTP %d: %.300s", status, ans)
		}
		if err != nil {
			return nil, fmt.Errorf("lone operation: %w", err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for {
			if n, _ := b.fleet.rec.appliedSince(); n >= 1 {
				break
			}
			if time.Now().After(deadline) {
				return nil, fmt.Errorf("lone operation: the restart of phone %s was not applied within 10s", id)
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("lone operation: %w", ctx.Err())
			case <-time.After(time.Millisecond):
			}
		}
		got, _ := b.fleet.rec.take()
		lat = append(lat, got...)
	}
	return lat, nil
}

func (b *run) fanoutScenario(ctx context.Context, phones int, layout string) (*FanoutResult, error) {
	cfg := b.cfg
	perRequest := min(100, phones)
	requests := min(cfg.FanoutRequests, phones/perRequest)
	if requests < cfg.FanoutRequests {
		b.note("fan-out: %d phones hold only %d distinct batches of %d, not %d", phones, requests, perRequest, cfg.FanoutRequests)
	}
	ids := b.fleet.spread(requests * perRequest)
	if layout == "grouped" {
		ids = b.fleet.grouped(requests * perRequest)
	}
	res := &FanoutResult{Phones: phones, Requests: requests, PhonesPerRequest: perRequest, Layout: layout, FailedCodes: map[string]int{}, RefusedCodes: map[string]int{}}
	bodies := make([][]byte, requests)
	for i := range bodies {
		var refs struct {
			Phones []cph.PhoneRef `json:"phones"`
		}
		for _, id := range ids[i*perRequest : (i+1)*perRequest] {
			refs.Phones = append(refs.Phones, cph.PhoneRef{PhoneID: id})
		}
		var err error
		if bodies[i], err = json.Marshal(refs); err != nil {
			return nil, fmt.Errorf("fan-out: %w", err)
		}
	}
	lone, err := b.loneDispatch(ctx, ids[:min(loneOperations, len(ids))])
	if err != nil {
		return nil, err
	}
	res.LoneDispatch = Summarize(Merge(lone))
	b.fleet.rec.take() // forget deliveries before the fan-out
	b.log.Info("fan-out: sending batch restarts", "phones", phones, "layout", layout, "requests", requests, "phones_each", perRequest)

	url := fmt.Sprintf("%s/v1/%s/cloud-phone/phones/batch-restart", b.api.base, b.api.projectID)
	type accepted struct {
		requestID string
		jobs      int
		refused   map[string]int // by error code
		latency   time.Duration
		err       error
	}
	answers := make([]accepted, requests)
	start := time.Now()
	var wg sync.WaitGroup
	next := make(chan int)
	for range min(cfg.Concurrency, requests) {
		wg.Go(func() {
			for i := range next {
				t0 := time.Now()
				status, body, _, err := b.api.post(ctx, url, bodies[i])
				answers[i].latency = time.Since(t0)
				if err == nil && status != http.StatusOK {
					err = fmt.Errorf("HTTP %d: %.300s", status, body)
				}
				var ans jobsAnswer
				if err == nil {
					err = json.Unmarshal(body, &ans)
				}
				if err != nil {
					answers[i].err = err
					continue
				}
				answers[i].requestID = ans.RequestID
				answers[i].refused = map[string]int{}
				for _, j := range ans.Jobs {
					switch {
					case j.ID != "":
						answers[i].jobs++
					case j.ErrorCode != nil:
						answers[i].refused[*j.ErrorCode]++
					default:
						answers[i].refused["(none)"]++
					}
				}
			}
		})
	}
	for i := range requests {
		next <- i
	}
	close(next)
	wg.Wait()

	var acceptLat []time.Duration
	pending := map[string]int{} // request id -> jobs expected
	var order []string
	for _, a := range answers {
		acceptLat = append(acceptLat, a.latency)
		if a.err != nil {
			res.RequestErrors++
			if res.FirstError == "" {
				res.FirstError = "batch-restart: " + a.err.Error()
			}
			continue
		}
		res.Operations += a.jobs
		res.Refused += perRequest - a.jobs
		for code, n := range a.refused {
			res.RefusedCodes[code] += n
		}
		if a.jobs > 0 {
			pending[a.requestID] = a.jobs
			order = append(order, a.requestID)
		}
	}
	res.Accept = Summarize(Merge(acceptLat))

	// The fan-out ends when the control plane has applied every result:
	// the agents see each acknowledgement (a job is final once its result
	// is applied). Then the jobs API must agree: each request's jobs are
	// read until final, which is not timed.
	deadline := time.Now().Add(cfg.FanoutTimeout)
	var end time.Time
	for {
		n, last := b.fleet.rec.appliedSince()
		if n >= res.Operations {
			end = last
			break
		}
		if time.Now().After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("fan-out: %w", ctx.Err())
		case <-time.After(time.Millisecond):
		}
	}
	for len(pending) > 0 {
		if time.Now().After(deadline) {
			res.Unfinished = 0
			for _, n := range pending {
				res.Unfinished += n
			}
			res.FirstError = fmt.Sprintf("%d jobs not final after %s", res.Unfinished, cfg.FanoutTimeout)
			break
		}
		for _, id := range order {
			if _, ok := pending[id]; !ok {
				continue
			}
			res.Polls++
			status, body, _, err := b.api.get(ctx, fmt.Sprintf("%s/v1/%s/cloud-phone/jobs?request_id=%s", b.api.base, b.api.projectID, id))
			var list jobsAnswer
			if err == nil && status != http.StatusOK {
				err = fmt.Errorf("HTTP %d: %.300s", status, body)
			}
			if err == nil {
				err = json.Unmarshal(body, &list)
			}
			if err != nil {
				res.PollErrors++
				if res.FirstError == "" {
					res.FirstError = "list jobs: " + err.Error()
				}
				continue
			}
			final := 0
			for _, j := range list.Jobs {
				if j.Status.Final() {
					final++
				}
			}
			if final < pending[id] {
				continue
			}
			delete(pending, id)
			for _, j := range list.Jobs {
				switch j.Status {
				case cph.JobSucceeded:
					res.Succeeded++
				case cph.JobFailed:
					res.Failed++
					code := "(none)"
					if j.ErrorCode != nil {
						code = *j.ErrorCode
					}
					res.FailedCodes[code]++
				}
			}
		}
		if len(pending) > 0 {
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("fan-out: %w", ctx.Err())
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	if end.IsZero() {
		// Not every result was seen applied (failures the control plane
		// decided, a timeout): the end is when the jobs API said final.
		end = time.Now()
	}
	elapsed := end.Sub(start)
	res.Seconds = elapsed.Seconds()
	if res.Seconds > 0 {
		res.OpsPerSecond = float64(res.Succeeded+res.Failed) / res.Seconds
	}
	lat, missing := b.fleet.rec.take()
	res.Dispatch = Summarize(Merge(lat))
	res.DispatchMissing = missing
	return res, nil
}

// reProjectID matches a project id.
var reProjectID = regexp.MustCompile(`^[0-9a-f]{32}$`)

// tokenRequestBody is the body of POST /v3/auth/tokens as the README and
// the client package send it.
func tokenRequestBody(domain, user, password, project string) ([]byte, error) {
	type name struct {
		Name string `json:"name"`
	}
	type scopeProject struct {
		ID   string `json:"id,omitempty"`
		Name string `json:"name,omitempty"`
	}
	var body struct {
		Auth struct {
			Identity struct {
				Methods  []string `json:"methods"`
				Password struct {
					User struct {
						Name     string `json:"name"`
						Password string `json:"password"`
						Domain   name   `json:"domain"`
					} `json:"user"`
				} `json:"password"`
			} `json:"identity"`
			Scope struct {
				Project scopeProject `json:"project"`
			} `json:"scope"`
		} `json:"auth"`
	}
	body.Auth.Identity.Methods = []string{"password"}
	u := &body.Auth.Identity.Password.User
	u.Name, u.Password, u.Domain.Name = user, password, domain
	if reProjectID.MatchString(project) {
		body.Auth.Scope.Project.ID = project
	} else {
		body.Auth.Scope.Project.Name = project
	}
	return json.Marshal(body)
}

// tokenScenarios measures token issue (password login) and token
// validation.
func (b *run) tokenScenarios(ctx context.Context) (issue, validate *LoadResult, err error) {
	cfg := b.cfg
	body, err := tokenRequestBody(b.domain, b.user, b.password, b.project)
	if err != nil {
		return nil, nil, err
	}
	b.log.Info("tokens: issue", "workers", cfg.Concurrency, "duration", cfg.TokenDuration)
	url := b.api.base + "/v3/auth/tokens?nocatalog=true"
	issueLoad := Load{
		Client: NewLoadClient(cfg.Concurrency), Workers: cfg.Concurrency, Warmup: cfg.Warmup, Duration: cfg.TokenDuration,
		NewRequest: func(ctx context.Context) (*http.Request, error) {
			req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", "application/json")
			return req, nil
		},
	}
	if issue, err = runLoad(ctx, issueLoad); err != nil {
		return nil, nil, fmt.Errorf("token issue: %w", err)
	}
	b.log.Info("tokens: validate", "workers", cfg.Concurrency, "duration", cfg.TokenDuration)
	l := b.api.getLoad(cfg, b.api.base+"/v3/auth/tokens", map[string]string{"X-Subject-Token": b.api.token})
	l.Duration = cfg.TokenDuration
	if validate, err = runLoad(ctx, l); err != nil {
		return nil, nil, fmt.Errorf("token validation: %w", err)
	}
	return issue, validate, nil
}
