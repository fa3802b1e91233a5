package langsmith

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// API paths, relative to the endpoint (the server base).
const (
	sessionsPath     = "/api/v1/sessions"
	tracesQueryPath  = "/api/v2/traces/query"
	threadsQueryPath = "/api/v2/threads/query"
	runsQueryPath    = "/api/v2/runs/query"
)

func traceRunsPath(traceID string) string {
	return "/api/v2/traces/" + url.PathEscape(traceID) + "/runs"
}

// threadTracesURL is the seed endpoint's URL for a thread. Thread ids are
// any string: one with a slash must reach the server as %2F, which only an
// absolute URL keeps (the API client takes a relative path as unescaped).
func (s *source) threadTracesURL(threadID string) string {
	return s.endpoint + "/api/v2/threads/" + url.PathEscape(threadID) + "/traces"
}

// runSelects are the Run fields the conversion uses, asked for with
// repeated selects (unselected fields are not sent). Fields left out:
// latency_seconds (start and end give it), the *_preview fields (inputs,
// outputs and error in full are read), manifest (the serialised component,
// large), project_id and is_root (known), price_model_id, app_path,
// share_url, attachments (pre-signed URLs that expire), feedback_stats,
// thread_evaluation_time, is_in_dataset and last_queued_at (change after the
// run is emitted, or are newer than some servers: an unknown select value
// is a 422).
var runSelects = []string{
	"ID", "NAME", "RUN_TYPE", "STATUS", "START_TIME", "END_TIME", "FIRST_TOKEN_TIME", "ERROR",
	"EXTRA", "METADATA", "EVENTS", "INPUTS", "OUTPUTS", "PARENT_RUN_IDS", "TRACE_ID", "THREAD_ID",
	"DOTTED_ORDER", "REFERENCE_EXAMPLE_ID", "REFERENCE_DATASET_ID", "TAGS",
	"PROMPT_TOKENS", "COMPLETION_TOKENS", "TOTAL_TOKENS", "PROMPT_COST", "COMPLETION_COST", "TOTAL_COST",
	"PROMPT_TOKEN_DETAILS", "COMPLETION_TOKEN_DETAILS", "PROMPT_COST_DETAILS", "COMPLETION_COST_DETAILS",
}

// runWindowSlack widens the start-time bounds of a trace's runs: runs of
// another process (distributed tracing) may start a little before their
// root by clock skew, and runs still start while the trace runs.
const runWindowSlack = time.Minute

// source reads one LangSmith tracing project.
//
// A page of a query is one page of the discovery list: POST
// /api/v2/traces/query (discovery: traces; root runs whose start lies in the
// window) or POST /api/v2/threads/query followed by GET
// /api/v2/threads/{thread_id}/traces for each thread (discovery: threads).
// The page token is the list's cursor: it encodes a position, so it stays
// valid after a restart; one the server refuses is an ErrInvalidToken.
// Then the runs of each listed trace are read with GET
// /api/v2/traces/{trace_id}/runs, or taken from the cache when the census
// shows the trace unchanged since it was read (census.go).
type source struct {
	api       *poll.APIClient
	logger    *zap.Logger
	conv      *converter
	header    http.Header
	endpoint  string // the server base, without a trailing slash
	workspace string
	// projectName is resolved to projectID once (resolveProject).
	projectName string
	projectID   string
	threads     bool
	pageSize    int
	filter      string // the filter key: on each trace's root run; "" for none
	now         func() time.Time
	reads       reads
	threadList  threadLists
	runBuf      []run // reused by readRuns: a trace's runs are converted before the next are read
}

func newSource(c *Config, s poll.SourceSettings) *source {
	header := http.Header{}
	header.Set("x-api-key", string(c.APIKey))
	if c.WorkspaceID != "" {
		header.Set("X-Tenant-Id", c.WorkspaceID)
	}
	logger := s.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	now := time.Now
	if s.Clock != nil {
		now = s.Clock.Now
	}
	pageSize := c.PageSize
	if pageSize < 1 || pageSize > MaxPageSize {
		pageSize = MaxPageSize
	}
	return &source{
		api:         s.API,
		logger:      logger,
		conv:        newConverter(c.Scope(), c.ServiceNameOr(c.Scope()), s.Warn),
		header:      header,
		endpoint:    strings.TrimRight(NormalizeEndpoint(c.ClientConfig.Endpoint), "/"),
		workspace:   c.WorkspaceID,
		projectName: c.ProjectName,
		projectID:   c.ProjectID,
		threads:     c.Discovery == DiscoveryThreads,
		pageSize:    pageSize,
		filter:      strings.TrimSpace(c.Filter),
		now:         now,
		reads:       newReads(),
	}
}

// listed is a trace found by the discovery: its id and root start.
type listed struct {
	id    string
	start time.Time
}

// FetchPage reads one page of the discovery list and the runs of its
// traces.
func (s *source) FetchPage(ctx context.Context, r poll.PageRequest) (poll.Page, error) {
	if err := s.resolveProject(ctx); err != nil {
		return poll.Page{}, err
	}
	q := r.Query
	if !r.Continued {
		s.threadList.evict(q.From)
		if err := s.takeCensus(ctx, q); err != nil {
			return poll.Page{}, err
		}
	}
	var traces []listed
	var next string
	var err error
	if s.threads {
		traces, next, err = s.threadsPage(ctx, q, r.Token)
	} else {
		traces, next, err = s.tracesPage(ctx, q, r.Token)
	}
	if err != nil {
		return poll.Page{}, err
	}
	out := poll.Page{Next: next, Traces: make([]poll.Trace, 0, len(traces))}
	for _, lt := range traces {
		tr, err := s.trace(ctx, lt)
		if err != nil {
			return poll.Page{}, err
		}
		out.Traces = append(out.Traces, tr)
	}
	return out, nil
}

// trace returns the converted runs of a listed trace: from the cache when
// the census shows it unchanged, else read.
func (s *source) trace(ctx context.Context, lt listed) (poll.Trace, error) {
	key := normUUID(lt.id)
	if tr, ok := s.reads.cached(key); ok {
		return tr, nil
	}
	runs, err := s.readRuns(ctx, lt)
	if err != nil {
		return poll.Trace{}, err
	}
	tr := s.conv.trace(lt.id, lt.start, runs)
	s.reads.put(key, lt.start, fingerprint(runs), tr)
	return tr, nil
}

// readRuns reads every run of a trace with the fields the conversion uses.
// The start-time bounds (both inclusive, passed together as the API
// requires) reach from a little before the root's start to a little after
// now.
func (s *source) readRuns(ctx context.Context, lt listed) ([]run, error) {
	q := url.Values{
		"project_id":     {s.projectID},
		"selects":        runSelects,
		"min_start_time": {formatTime(lt.start.Add(-runWindowSlack))},
		"max_start_time": {formatTime(s.now().Add(runWindowSlack))},
	}
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodGet, Path: traceRunsPath(lt.id), Query: q, Header: s.header})
	if err != nil {
		return nil, s.apiError("reading the runs of trace "+lt.id, err)
	}
	p, err := decodeRunsInto(resp.Body, s.runBuf)
	if err != nil {
		return nil, fmt.Errorf("langsmith: reading the runs of trace %s: %w", lt.id, err)
	}
	s.runBuf = p.Items
	return p.Items, nil
}

// tracesQuery is the body of POST /api/v2/traces/query. TraceFilter (the
// filter key) narrows the window's traces to those whose root run passes
// it; it does not replace the window.
type tracesQuery struct {
	ProjectID    string   `json:"project_id"`
	MinStartTime string   `json:"min_start_time"`
	MaxStartTime string   `json:"max_start_time"`
	TraceFilter  string   `json:"trace_filter,omitempty"`
	TraceIDs     []string `json:"trace_ids,omitempty"`
	Selects      []string `json:"selects"`
	PageSize     int      `json:"page_size"`
	Cursor       string   `json:"cursor,omitempty"`
}

// traceSelects are the root-run fields discovery needs.
var traceSelects = []string{"ID", "TRACE_ID", "START_TIME"}

// tracesAnswer is the answer of POST /api/v2/traces/query.
type tracesAnswer struct {
	Items []struct {
		RootRun *struct {
			ID        string `json:"id"`
			TraceID   string `json:"trace_id"`
			StartTime string `json:"start_time"`
		} `json:"root_run"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// tracesPage lists one page of the traces whose root started in the
// window. max_start_time is exclusive: the window's end plus a microsecond
// makes it inclusive.
func (s *source) tracesPage(ctx context.Context, q poll.Query, token string) ([]listed, string, error) {
	body, err := jsonAPI.Marshal(tracesQuery{
		ProjectID:    s.projectID,
		MinStartTime: formatTime(q.From),
		MaxStartTime: formatTime(q.To.Add(time.Microsecond)),
		TraceFilter:  s.filter,
		Selects:      traceSelects,
		PageSize:     s.pageSize,
		Cursor:       token,
	})
	if err != nil {
		return nil, "", fmt.Errorf("langsmith: encoding the traces query: %w", err)
	}
	var a tracesAnswer
	if err := s.post(ctx, tracesQueryPath, body, token, "listing traces", &a); err != nil {
		return nil, "", err
	}
	out := make([]listed, 0, len(a.Items))
	for _, it := range a.Items {
		if it.RootRun == nil {
			continue
		}
		id := it.RootRun.TraceID
		if id == "" {
			id = it.RootRun.ID // a root run's id is its trace's
		}
		out = append(out, listed{id: id, start: s.startOf(it.RootRun.StartTime, id)})
	}
	return out, cursor(a.NextCursor), nil
}

// startOf parses a listed start time; an unreadable one is the time inside
// a UUIDv7 id, else now (a warning either way: the trace may then fall
// outside the window the engine keeps).
func (s *source) startOf(v, id string) time.Time {
	if t, err := convert.ParseTime(v); err == nil {
		return t
	}
	s.conv.warn()
	if t, ok := convert.UUIDv7Time(id); ok {
		return t
	}
	return s.now().UTC()
}

// post sends a JSON body and decodes the answer into dst. A refusal of the
// filter (the list queries carry it) names the filter key; a cursor the
// server refuses (400 or 422 for a request that carries one) is an invalid
// token: the engine restarts the query.
func (s *source) post(ctx context.Context, path string, body []byte, token, doing string, dst any) error {
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodPost, Path: path, Header: s.header, Body: body})
	if err != nil {
		if path == tracesQueryPath || path == threadsQueryPath {
			if fe := s.filterError(err); fe != nil {
				return fe
			}
		}
		return s.tokenError(doing, token, err)
	}
	if err := jsonAPI.Unmarshal(resp.Body, dst); err != nil {
		return fmt.Errorf("langsmith: %s: malformed answer: %w", doing, err)
	}
	return nil
}

func (s *source) tokenError(doing, token string, err error) error {
	var se *poll.StatusError
	err = s.apiError(doing, err)
	if token != "" && errors.As(err, &se) && (se.Status == http.StatusBadRequest || se.Status == http.StatusUnprocessableEntity) {
		return fmt.Errorf("%w: %w", poll.ErrInvalidToken, err)
	}
	return err
}

// cursor is a next_cursor: absent, null and "" all end the list.
func cursor(c *string) string {
	if c == nil {
		return ""
	}
	return *c
}

// formatTime writes RFC 3339 in UTC with microseconds (LangSmith's
// precision).
func formatTime(t time.Time) string {
	return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00")
}

// sessionsAnswer is the answer of GET /api/v1/sessions: TracerSession[].
type sessionsAnswer []struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// resolveProject turns project_name into the project's UUID, once: the v2
// endpoints take only ids.
func (s *source) resolveProject(ctx context.Context) error {
	if s.projectID != "" {
		return nil
	}
	q := url.Values{"name": {s.projectName}, "limit": {"100"}}
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodGet, Path: sessionsPath, Query: q, Header: s.header})
	if err != nil {
		return s.apiError("resolving project_name "+strconv.Quote(s.projectName), err)
	}
	var a sessionsAnswer
	if err := jsonAPI.Unmarshal(resp.Body, &a); err != nil {
		return fmt.Errorf("langsmith: resolving project_name %q: malformed answer: %w", s.projectName, err)
	}
	for _, p := range a {
		if p.Name == s.projectName && p.ID != "" {
			s.projectID = p.ID
			s.logger.Info("Resolved the LangSmith project", zap.String("project_name", s.projectName), zap.String("project_id", p.ID))
			return nil
		}
	}
	return fmt.Errorf("langsmith: project_name: no tracing project named %q in this workspace (check project_name, workspace_id and the endpoint's region)", s.projectName)
}
