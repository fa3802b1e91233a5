// Package opiksim simulates Opik's read API over the simulator's dataset:
// GET /v1/private/traces and GET /v1/private/spans, offset pages of
// {page, size, total, content} newest id first, windowed by the time inside
// the UUIDv7 ids (from_time/to_time), with Opik's authentication, error
// bodies and rate-limit headers.
//
// # Mapping
//
// A dataset trace's root span is the Opik trace (Opik's trace is not a
// span): its id is the dataset trace ID as a UUID (a UUIDv7 of the root
// start), its times, name, input, output and error those of the root, its
// metadata, tags and thread_id the trace's (user_id goes into metadata).
// Like Opik, the server aggregates over the trace's spans as it holds them:
// usage (every key summed), total_estimated_cost, span_count,
// llm_span_count, has_tool_spans, providers and guardrails_validations.
//
// Every other dataset span is an Opik span. Its id is a UUIDv7: the span
// start's milliseconds, version 7, 12 bits derived from the span, then the
// dataset span ID as the last 8 bytes (dataset span IDs carry the UUID
// variant bits), so the converter's "last 8 bytes" gives the dataset ID
// back. parent_span_id is absent under the root. Types follow Opik's Python
// integrations: LLM and embedding spans are "llm" (embeddings named
// "embeddings <model>" with metadata type "*_embeddings"), tools "tool",
// guardrails "guardrail", agents, chains and retrievals "general". Model is
// the request model; provider is the string Opik's integrations write
// (openai, anthropic, gemini, mistral, bedrock, cohere; LiteLLM's names for
// the providers Opik has no integration of its own for).
//
// # When records exist
//
// Spans exist from their Visible time (the SDK flushes each span when it
// ends; a late batch arrives late). Traces follow the SDK flows:
//
//   - @track (most traces): the trace is written once, when the root ends
//     and is flushed (its Visible time), complete;
//   - the low-level client (every third trace; client.trace() ... end()):
//     the trace is created a moment after the root starts, without
//     end_time, output or error, and updated when the root's end is
//     flushed;
//   - long-running roots: created when the root starts (the dataset shows
//     them in progress), updated a moment after they end.
//
// last_updated_at is the record's last write (its creation, then the
// update); a span's is when it arrived. Aggregates change as spans arrive,
// last_updated_at does not (as in Opik, where spans are another table).
// Null fields are left out, as Opik's JSON does.
//
// # Query semantics
//
// from_time and to_time bound the time inside the id, both inclusive at
// millisecond precision (Opik turns them into the smallest and largest
// UUIDv7 of their millisecond: id BETWEEN lower(from) AND upper(to)); with
// both, from_time must be before to_time (400). size has no upper limit,
// as in Opik (@Min(1) only). The traces list evaluates filters on name,
// tags, metadata and thread_id (filter.go); filters on the spans list are
// not simulated (501). sorting, exclude and truncate are accepted and
// ignored (the dataset has no images to truncate).
package opiksim // import "github.com/llmtrace/llmtrace/internal/opik/opiksim"

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's name.
const Name = "opik"

// API paths, at the listener's root (the receiver's endpoint is the
// listener's URL, as it would be https://www.comet.com/opik/api).
const (
	tracesPath = "/v1/private/traces"
	spansPath  = "/v1/private/spans"
)

// Error bodies: Dropwizard's ErrorMessage {code, message} for exceptions
// thrown by Opik, and {errors: [...]} for bean-validation failures.
const (
	bodyNotAllowed = `{"code":401,"message":"User not allowed to access workspace"}`
	bodyForbidden  = `{"code":403,"message":"HTTP 403 Forbidden"}`
	bodyNotFound   = `{"code":404,"message":"HTTP 404 Not Found"}`
	bodyNoTrace    = `{"code":404,"message":"Trace not found"}`
	bodyNoMethod   = `{"code":405,"message":"HTTP 405 Method Not Allowed"}`
	bodyNoProject  = `{"code":400,"message":"Either 'project_name' or 'project_id' query params must be provided"}`
	bodyTimeOrder  = `{"code":400,"message":"Parameter 'from_time' must be before 'to_time'"}`
	bodyPageMin    = `{"errors":["query param page must be greater than or equal to 1"]}`
	bodySizeMin    = `{"errors":["query param size must be greater than or equal to 1"]}`
)

// defaultPageSize is Opik's default size.
const defaultPageSize = 10

// Part is the Opik simulator part. Its ground truth (Expected) names the
// project of the Env it serves; set Project to use another one, or to call
// Expected before Handler.
type Part struct {
	mu sync.Mutex
	// Project is the service.name and llmtrace.project of the ground
	// truth; default the Env's Creds.Project.
	Project string
	// RateLimit, when set, limits each endpoint the way Opik Cloud does;
	// zero means no limit (self-hosted Opik). Injected 429 faults need no
	// limit.
	RateLimit RateLimit
	// Filter is the filters parameter the receiver is configured with, for
	// the ground truth: Expected holds only the traces it selects. The
	// handler takes the filters from each request.
	Filter string
}

// RateLimit is a per-endpoint request budget per fixed window of simulated
// time. Over budget, a request gets 429 with RateLimit-Reset and Opik's
// Opik-<name>-Limit, -Remaining-Limit and -Remaining-Limit-TTL-Millis
// headers (those also come with every answer under a limit).
type RateLimit struct {
	Requests int
	Window   time.Duration
}

var (
	_ sim.Part    = (*Part)(nil)
	_ sim.Truther = (*Part)(nil)
)

// Name returns "opik".
func (p *Part) Name() string { return Name }

// ReceiverConfig is the opik block that polls this part.
func (p *Part) ReceiverConfig(endpoint string, creds sim.Credentials) map[string]any {
	return map[string]any{
		"endpoint":     endpoint,
		"api_key":      creds.APIKey,
		"workspace":    creds.Workspace,
		"project_name": creds.Project,
		"page_size":    500,
	}
}

// Scenarios are two runs. The main one: a backlog, then live traces;
// traces listed while their root runs (end_time null) and updated later;
// late span batches; 429 with RateLimit-Reset, a 5xx burst and repeated and
// shifted items across pages. The second reads through a filter (the
// production traces): only the traces it selects are expected.
func (p *Part) Scenarios() []sim.Scenario {
	return []sim.Scenario{{
		Dataset: sim.DatasetConfig{
			Seed:                20260302,
			Traces:              3300,
			LateFraction:        0.08,
			LongRunningFraction: 0.05,
		},
		Backfill:  25 * time.Minute, // 3000 traces at 2 per second
		PerSecond: 2,                // then 300 more over 150 s
		Faults: []string{
			"opik:GET /v1/private/traces:429-reset:every=13,seconds=2",
			"opik:GET /v1/private/spans:5xx:every=41,burst=3,status=503",
			"opik:GET /v1/private/traces:duplicate:every=5,count=4",
			"opik:GET /v1/private/traces:shift:every=9,count=2",
		},
	}, {
		Name:   "filter",
		Part:   &Part{Filter: ScenarioFilter},
		Config: map[string]any{"filter": ScenarioFilter},
		Dataset: sim.DatasetConfig{
			Seed:                20260312,
			Traces:              900,
			LateFraction:        0.08,
			LongRunningFraction: 0.05,
		},
		Backfill:  6 * time.Minute, // 720 traces at 2 per second
		PerSecond: 2,               // then 180 more over 90 s
		Faults: []string{
			"opik:GET /v1/private/traces:shift:every=7,count=2",
			"opik:GET /v1/private/spans:5xx:every=31,burst=2,status=503",
		},
	}}
}

// ScenarioFilter is the filter of the filtered scenario: the traces tagged
// production whose metadata says region us-east-1.
const ScenarioFilter = `[{"field":"tags","operator":"contains","value":"production"},` +
	`{"field":"metadata","key":"region","operator":"=","value":"us-east-1"}]`

// Handler serves the traces and spans lists from env.
func (p *Part) Handler(env *sim.Env) http.Handler {
	p.mu.Lock()
	if p.Project == "" {
		p.Project = env.Creds.Project
	}
	limit := p.RateLimit
	p.mu.Unlock()
	h := &handler{
		env:       env,
		index:     newIndex(env.Data),
		projectID: ProjectID(env.Creds.Project),
		user:      "admin",
		limiter:   newLimiter(limit),
		shifted:   map[string]int{},
	}
	if env.Creds.APIKey != "" {
		h.user = "sim-user"
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

// ProjectID is the id the simulated Opik gives the project named name: a
// UUIDv7-shaped id derived from the name.
func ProjectID(name string) string {
	sum := sha256.Sum256([]byte("opiksim project\x00" + name))
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = 0x70 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return uuidString(u)
}

type handler struct {
	env       *sim.Env
	index     *index
	projectID string
	user      string // created_by, last_updated_by
	limiter   *limiter

	mu sync.Mutex
	// shifted counts, per listing (path and query but page), the items the
	// shift fault pretended were inserted at the head since its page 1.
	shifted map[string]int
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var b *bucket // the endpoint's rate-limit bucket
	byID := ""
	switch {
	case r.URL.Path == tracesPath:
		b = &h.limiter.traces
	case r.URL.Path == spansPath:
		b = &h.limiter.spans
	case strings.HasPrefix(r.URL.Path, tracesPath+"/") && !strings.Contains(r.URL.Path[len(tracesPath)+1:], "/"):
		b, byID = &h.limiter.traces, r.URL.Path[len(tracesPath)+1:]
	default:
		writeError(w, http.StatusNotFound, bodyNotFound)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET,OPTIONS")
		writeError(w, http.StatusMethodNotAllowed, bodyNoMethod)
		return
	}
	if status, body := h.authenticate(r); status != 0 {
		writeError(w, status, body)
		return
	}
	now := h.env.Now()
	if !h.limiter.allow(b, now, w.Header()) {
		writeError(w, http.StatusTooManyRequests, `{"code":429,"message":"Too Many Requests: `+b.name+`"}`)
		return
	}
	if byID != "" {
		h.traceByID(w, byID, now)
		return
	}
	req, status, body := h.parse(r)
	if status != 0 {
		writeError(w, status, body)
		return
	}
	req.offset, req.shifted = h.offset(r, req)
	if r.URL.Path == tracesPath {
		writeJSON(w, http.StatusOK, h.tracesPage(req, now))
		return
	}
	writeJSON(w, http.StatusOK, h.spansPage(req, now))
}

// authenticate checks the headers the way Opik Cloud's RemoteAuthService
// does: the workspace first (blank or "default": 403), then the API key
// (missing or wrong: 401); a key for another workspace is refused with 401
// too. Without a configured key (self-hosted) nothing is checked.
func (h *handler) authenticate(r *http.Request) (int, string) {
	creds := h.env.Creds
	if creds.APIKey == "" {
		return 0, ""
	}
	ws := r.Header.Get("Comet-Workspace")
	if isBlank(ws) || strings.EqualFold(ws, "default") {
		return http.StatusForbidden, bodyForbidden
	}
	key := r.Header.Get("Authorization")
	if isBlank(key) || key != creds.APIKey {
		return http.StatusUnauthorized, bodyNotAllowed
	}
	if creds.Workspace != "" && ws != creds.Workspace {
		return http.StatusUnauthorized, bodyNotAllowed
	}
	return 0, ""
}

// request is a parsed list request.
type request struct {
	page, size int
	offset     int // of the first item, shift and duplicate faults applied
	shifted    int // items the shift fault pretends were inserted at the head
	from, to   time.Time
	hasFrom    bool
	hasTo      bool
	traceID    [16]byte
	hasTrace   bool
	spanType   string
	filters    []traceFilter // ANDed; none selects every trace
}

// parse reads the query the way Opik's resource does: a value that does not
// convert to the parameter's type is a 404 (JAX-RS), a failed constraint a
// 400.
func (h *handler) parse(r *http.Request) (request, int, string) {
	q := r.URL.Query()
	req := request{page: 1, size: defaultPageSize}
	for _, p := range []struct {
		name, body string
		dst        *int
	}{{"page", bodyPageMin, &req.page}, {"size", bodySizeMin, &req.size}} {
		v := q.Get(p.name)
		if v == "" {
			continue
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return req, http.StatusNotFound, bodyNotFound
		}
		if n < 1 {
			return req, http.StatusBadRequest, p.body
		}
		*p.dst = n
	}
	name, id := q.Get("project_name"), q.Get("project_id")
	if id != "" {
		if _, ok := parseUUID(id); !ok {
			return req, http.StatusNotFound, bodyNotFound
		}
	}
	switch project := h.env.Creds.Project; {
	case id != "":
		// project_id wins over project_name.
		if project != "" && id != h.projectID && id != project {
			return req, http.StatusNotFound, `{"code":404,"message":"Project id: ` + id + ` not found"}`
		}
	case isBlank(name):
		return req, http.StatusBadRequest, bodyNoProject
	case project != "" && name != project:
		return req, http.StatusNotFound, `{"code":404,"message":"Project name: ` + jsonEscape(name) + ` not found"}`
	}
	var err error
	if v := q.Get("from_time"); v != "" {
		if req.from, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return req, http.StatusNotFound, bodyNotFound
		}
		req.hasFrom = true
	}
	if v := q.Get("to_time"); v != "" {
		if req.to, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return req, http.StatusNotFound, bodyNotFound
		}
		req.hasTo = true
	}
	if req.hasFrom && req.hasTo && !req.from.Before(req.to) {
		return req, http.StatusBadRequest, bodyTimeOrder
	}
	if r.URL.Path == tracesPath {
		var status int
		var body string
		if req.filters, status, body = parseFilters(q.Get("filters")); status != 0 {
			return req, status, body
		}
	}
	if r.URL.Path == spansPath {
		if strings.TrimSpace(q.Get("filters")) != "" {
			return req, http.StatusNotImplemented, `{"code":501,"message":"simulator: filters on the spans list are not simulated"}`
		}
		if v := q.Get("trace_id"); v != "" {
			u, ok := parseUUID(v)
			if !ok {
				return req, http.StatusNotFound, bodyNotFound
			}
			req.traceID, req.hasTrace = u, true
		}
		switch t := q.Get("type"); t {
		case "", typeGeneral, typeTool, typeLLM, typeGuardrail:
			req.spanType = t
		default:
			return req, http.StatusNotFound, bodyNotFound
		}
	}
	return req, 0, ""
}

// offset is where the requested page starts. The shift fault pretends
// Count items were inserted at the head of the listing since its page 1
// (they push every later page down, so items repeat); the duplicate fault
// repeats the end of the previous page.
func (h *handler) offset(r *http.Request, req request) (offset, shifted int) {
	q := r.URL.Query()
	q.Del("page")
	key := r.URL.Path + "?" + q.Encode()
	ctx := r.Context()
	h.mu.Lock()
	if req.page == 1 {
		delete(h.shifted, key)
	}
	if f, ok := sim.ActiveFault(ctx, sim.FaultShift); ok {
		h.shifted[key] += f.Count
	}
	shifted = h.shifted[key]
	h.mu.Unlock()
	offset = (req.page-1)*req.size - shifted
	if f, ok := sim.ActiveFault(ctx, sim.FaultDuplicate); ok && req.page > 1 {
		offset -= f.Count
	}
	return max(offset, 0), shifted
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func writeError(w http.ResponseWriter, status int, body string) {
	writeJSON(w, status, []byte(body))
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

// jsonEscape escapes s for use inside a JSON string.
func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return string(b[1 : len(b)-1])
}
