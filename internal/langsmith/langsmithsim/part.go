// Package langsmithsim simulates LangSmith's v2 ("SmithDB") read API over
// the simulator's dataset: POST /api/v2/traces/query, GET
// /api/v2/traces/{trace_id}/runs, POST /api/v2/threads/query, GET
// /api/v2/threads/{thread_id}/traces (the seed endpoint), POST
// /api/v2/runs/query, and GET /api/v1/sessions to resolve a project name,
// with LangSmith's authentication (x-api-key, X-Tenant-Id), strict selects,
// cursors and RFC 7807 problem details.
//
// # Mapping
//
// Every dataset span is a run; the root run's id is the trace's UUID (a
// UUIDv7 of the root start), other run ids are UUIDv7 of the run's start
// ending in the dataset span ID (index.go). One trace in seven was ingested
// over OTLP: its run ids are 8 zero bytes and the span id, its metadata
// carries OTEL_TRACE_ID and OTEL_SPAN_ID, it has no LangChain events. Run
// types follow LangChain and the SDK: LLM, TOOL, RETRIEVER, EMBEDDING, and
// CHAIN for agents (LangGraph graphs), chains and guardrails. LLM calls are
// recorded by a LangChain chat model (serialised messages in, LLMResult
// out), by wrap_openai (the OpenAI request and response as they are), or by
// OTLP ingest ({"messages": [...]}); model and provider are in metadata
// (ls_model_name, ls_provider with LangChain's provider names), the request
// parameters in extra.invocation_params. Threaded traces carry their thread
// in metadata under thread_id, session_id or conversation_id, and in the
// run's thread_id; thread ids are UUIDs, plain strings, or strings with a
// slash and a space.
//
// # When runs exist
//
// See index.go: runs that last a second or more are created PENDING at
// their start and patched at their end (seen before they end, changed after
// first sight); long-running roots stay PENDING with end_time null for
// minutes; late export batches arrive late; OTLP traces arrive span by span.
// A trace is listed once its root run exists.
//
// # Query semantics
//
// traces/query windows root start times [min_start_time, max_start_time),
// newest first; threads/query lists threads with a root start in the
// window, most recent activity first, and may answer short pages that
// still carry a cursor; a thread's traces come oldest first, without a time
// filter; traces/{id}/runs filters run start times inclusively and needs
// both bounds or neither (422); runs/query lists runs newest first. Cursors
// encode a position (the sort key of the last item) and the query they
// belong to: they stay valid, and one used with another query is a 400.
// Without selects a run is only its id (a thread trace only its trace_id);
// unselected fields are absent. Filter expressions on root runs
// (traces/query and threads/query trace_filter, a thread's traces' filter)
// are parsed and evaluated for and, or, eq and neq on name, run_type,
// status and metadata (filter.go); what the part does not evaluate, and
// every other filter parameter, is refused (501, as LangSmith refuses
// filters a deployment cannot evaluate), so nothing relies on it
// unnoticed.
package langsmithsim // import "github.com/llmtrace/llmtrace/internal/langsmith/langsmithsim"

import (
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's name.
const Name = "langsmith"

// Part is the LangSmith simulator part.
type Part struct {
	mu sync.Mutex
	// Project is the service.name and llmtrace.project of the ground truth;
	// default the Env's Creds.Project.
	Project string
	// ThreadsOnly makes the part the threads-mode variant: its receiver
	// block sets discovery: threads, and its ground truth holds only the
	// traces that belong to a thread (the only ones that mode can see).
	ThreadsOnly bool
	// NoRunsQuery serves an older self-hosted LangSmith without POST
	// /api/v2/runs/query (404).
	NoRunsQuery bool
	// Filter is the filter expression the receiver is configured with, for
	// the ground truth: Expected holds only the traces whose root run
	// passes it once complete. The handler takes filters from each
	// request.
	Filter string
}

var (
	_ sim.Part    = (*Part)(nil)
	_ sim.Truther = (*Part)(nil)
)

// Name returns "langsmith".
func (p *Part) Name() string { return Name }

// ReceiverConfig is the langsmith block that polls this part. The simulated
// key is org-scoped when creds name a workspace: the block then sends its
// UUID.
func (p *Part) ReceiverConfig(endpoint string, creds sim.Credentials) map[string]any {
	block := map[string]any{
		"endpoint":     endpoint,
		"api_key":      creds.APIKey,
		"project_name": creds.Project,
		"page_size":    100,
	}
	if creds.Workspace != "" {
		block["workspace_id"] = WorkspaceID(creds.Workspace)
	}
	if p.ThreadsOnly {
		block["discovery"] = "threads"
	}
	return block
}

// Scenarios are three runs: every trace (discovery: traces), then threaded
// traces only (discovery: threads) on a part whose ground truth holds only
// those, then every trace through a filter on the root run's metadata.
// They have a backlog, then live traces; PENDING roots that end minutes
// later, runs created PENDING and patched, late export batches,
// OTLP-ingested traces; 429 with Retry-After, 5xx bursts and items
// repeated across pages.
func (p *Part) Scenarios() []sim.Scenario {
	dataset := func(seed uint64) sim.DatasetConfig {
		return sim.DatasetConfig{Seed: seed, Traces: 3000, LateFraction: 0.08, LongRunningFraction: 0.05}
	}
	return []sim.Scenario{{
		Dataset:   dataset(20261127),
		EndToEnd:  sim.EndToEnd{Traces: 500, RequestDelay: 40 * time.Millisecond}, // one runs read per trace
		Backfill:  22 * time.Minute,                                               // 2640 traces at 2 per second
		PerSecond: 2,                                                              // then 360 more over 180 s
		Faults: []string{
			"langsmith:POST /api/v2/traces/query:429-retry-after:every=7,seconds=2",
			"langsmith:GET /api/v2/traces:5xx:every=41,burst=3,status=503",
			"langsmith:POST /api/v2/traces/query:duplicate:every=5,count=3",
			"langsmith:POST /api/v2/runs/query:5xx:every=3,status=502",
		},
	}, {
		Name:      "threads",
		Part:      &Part{ThreadsOnly: true},
		Config:    map[string]any{"discovery": "threads"},
		Dataset:   dataset(20261128),
		Backfill:  22 * time.Minute,
		PerSecond: 2,
		Faults: []string{
			"langsmith:POST /api/v2/threads/query:429-retry-after:every=5,seconds=1",
			"langsmith:GET /api/v2/threads:5xx:every=31,burst=2,status=503",
			"langsmith:POST /api/v2/threads/query:duplicate:every=4,count=2",
		},
	}, {
		Name:      "filter",
		Part:      &Part{Filter: ScenarioFilter},
		Config:    map[string]any{"filter": ScenarioFilter},
		Dataset:   sim.DatasetConfig{Seed: 20261129, Traces: 900, LateFraction: 0.08, LongRunningFraction: 0.05},
		Backfill:  6 * time.Minute, // 720 traces at 2 per second
		PerSecond: 2,               // then 180 more over 90 s
		Faults: []string{
			"langsmith:POST /api/v2/traces/query:duplicate:every=5,count=3",
			"langsmith:GET /api/v2/traces:5xx:every=41,burst=2,status=503",
		},
	}}
}

// ScenarioFilter is the filter of the filtered scenario: the traces whose
// root run's metadata says region us-east-1 (traces/query's trace_filter).
const ScenarioFilter = `and(eq(metadata_key, "region"), eq(metadata_value, "us-east-1"))`

// Handler serves the API from env.
func (p *Part) Handler(env *sim.Env) http.Handler {
	p.mu.Lock()
	if p.Project == "" {
		p.Project = env.Creds.Project
	}
	noRunsQuery := p.NoRunsQuery
	p.mu.Unlock()
	h := &handler{
		env:         env,
		index:       newIndex(env.Data),
		projectID:   ProjectID(env.Creds.Project),
		noRunsQuery: noRunsQuery,
	}
	if env.Creds.Workspace != "" {
		h.workspaceID = WorkspaceID(env.Creds.Workspace)
	}
	return h
}

func (p *Part) project() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Project
}

func (p *Part) filter() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Filter
}

// API paths.
const (
	sessionsPath     = "/api/v1/sessions"
	tracesQueryPath  = "/api/v2/traces/query"
	threadsQueryPath = "/api/v2/threads/query"
	runsQueryPath    = "/api/v2/runs/query"
	tracesPrefix     = "/api/v2/traces/"
	threadsPrefix    = "/api/v2/threads/"
)

type handler struct {
	env         *sim.Env
	index       *index
	projectID   string
	workspaceID string // "" when the key is not org-scoped
	noRunsQuery bool
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	v2 := strings.HasPrefix(path, "/api/v2/")
	if !h.authenticate(w, r, v2) {
		return
	}
	now := h.env.Now()
	switch {
	case path == sessionsPath && r.Method == http.MethodGet:
		h.sessions(w, r, now)
	case path == tracesQueryPath && r.Method == http.MethodPost:
		h.tracesQuery(w, r, now)
	case path == threadsQueryPath && r.Method == http.MethodPost:
		h.threadsQuery(w, r, now)
	case path == runsQueryPath && r.Method == http.MethodPost && !h.noRunsQuery:
		h.runsQuery(w, r, now)
	case strings.HasPrefix(path, tracesPrefix) && strings.HasSuffix(path, "/runs") && r.Method == http.MethodGet:
		h.traceRuns(w, r, strings.TrimSuffix(strings.TrimPrefix(path, tracesPrefix), "/runs"), now)
	case strings.HasPrefix(r.URL.EscapedPath(), threadsPrefix) && strings.HasSuffix(path, "/traces") && r.Method == http.MethodGet:
		h.threadTraces(w, r, now)
	case v2:
		writeProblem(w, http.StatusNotFound, "Not Found", "no route for "+r.Method+" "+path, path)
	default:
		writeJSON(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	}
}

// authenticate checks the headers the way LangSmith's auth layer does: the
// API key (missing or wrong: 401), then, for an org-scoped key, the
// workspace (missing: 403 with the org_scoped_key_requires_workspace code
// the SDKs look for; another workspace: 403).
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request, v2 bool) bool {
	creds := h.env.Creds
	if key := r.Header.Get("X-Api-Key"); creds.APIKey != "" && key != creds.APIKey {
		if v2 {
			writeProblem(w, http.StatusUnauthorized, "Unauthorized", "missing or invalid API key", r.URL.Path)
		} else {
			writeJSON(w, http.StatusUnauthorized, map[string]any{"detail": "Invalid token"})
		}
		return false
	}
	if h.workspaceID == "" {
		return true
	}
	switch tenant := r.Header.Get("X-Tenant-Id"); {
	case tenant == "":
		writeJSON(w, http.StatusForbidden, map[string]any{
			"error":   "org_scoped_key_requires_workspace",
			"message": "This API key is org-scoped and requires a workspace: send X-Tenant-Id.",
		})
		return false
	case !strings.EqualFold(tenant, h.workspaceID):
		if v2 {
			writeProblem(w, http.StatusForbidden, "Forbidden", "the API key has no access to workspace "+tenant, r.URL.Path)
		} else {
			writeJSON(w, http.StatusForbidden, map[string]any{"detail": "Forbidden"})
		}
		return false
	}
	return true
}
