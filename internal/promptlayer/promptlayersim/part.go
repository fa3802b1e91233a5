// Package promptlayersim simulates PromptLayer's read API over the
// simulator's dataset: the request-log chain POST
// /api/public/v2/requests/search -> GET /api/public/v2/requests/{id} -> GET
// /api/public/v2/traces/{trace_id}, with PromptLayer's authentication
// (X-API-KEY), the search's 10-requests-per-minute limit and its 429 body,
// FastAPI's 422 validation errors, both documented span shapes, request logs
// with and without a trace, prices that are null right after ingest, and
// open traces that gain spans later.
//
// # Mapping
//
// Most dataset traces are traced: every span is a PromptLayer span, with the
// dataset's trace and span IDs as 32 and 16 hex digits, and every LLM and
// embedding span also made a request log (PromptLayer derives request logs
// from GenAI spans) whose trace_id is the trace's. A fraction of the traces
// (UntracedFraction, chosen by trace) were not traced: the application only
// logged its LLM calls, so each LLM span is a request log whose trace_id is
// null, and nothing else of the trace exists.
//
// Each traced trace was sent one of two ways (chosen by trace): by
// OpenTelemetry GenAI instrumentation (spans carry gen_ai.* attributes and
// the chat messages) or by PromptLayer's own SDK (spans carry
// function_name, function_input, function_output; LLM spans node_type and
// provider; the GenAI details live in the request logs only). It is served
// in one of the two span shapes (Shape, by default chosen by trace): the
// first spec's serializer (start/end, per-span trace_id and context,
// "SpanKind.CLIENT", "StatusCode.ERROR", event timestamps in nanoseconds)
// or the current example ({trace_id, spans} with start_time/end_time,
// "SPAN_KIND_CLIENT"/"CLIENT", "STATUS_CODE_ERROR"/"ERROR", ISO event
// timestamps).
//
// # When things exist
//
// A span exists once it has ended and its export has arrived (only ended
// spans are exported): a long-running root appears when it ends, a late
// span batch late. A request log exists with its span; it is priced
// (price, null before) one to eight seconds later.
//
// # Query semantics
//
// The search filters on request_start_time and request_end_time (is,
// before, after: exclusive; between: inclusive), engine, provider_type,
// tags and metadata (filter.go), in AND/OR groups; other filter fields and
// q are answered 400 (not simulated). It sorts by any
// sort_by (ties by id), by default request_start_time desc, and pages
// Flask-SQLAlchemy style (page, pages, has_next, next_num, ...).
package promptlayersim // import "github.com/llmtrace/llmtrace/internal/promptlayer/promptlayersim"

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's name.
const Name = "promptlayer"

// API paths.
const (
	searchPath    = "/api/public/v2/requests/search"
	requestPrefix = "/api/public/v2/requests/"
	tracePrefix   = "/api/public/v2/traces/"
)

// Error bodies. PromptLayer's ErrorResponse {success, message}; FastAPI's
// own answers for unknown routes and methods.
const (
	bodyUnauthorized  = `{"success":false,"message":"Authentication failed."}`
	bodyTraceNotFound = `{"success":false,"message":"Trace not found."}`
	bodyLogNotFound   = `{"success":false,"message":"Request not found."}`
	bodyRateLimited   = `{"success":false,"message":"Rate limit exceeded. Please retry later."}`
	bodyNoRoute       = `{"detail":"Not Found"}`
	bodyNoMethod      = `{"detail":"Method Not Allowed"}`
)

// Defaults of the Part's settings.
const (
	DefaultUntracedFraction = 0.2
	DefaultSearchLimit      = 10 // per minute
)

// Part is the PromptLayer simulator part. Its ground truth (Expected) uses
// the credentials of the Env it serves.
type Part struct {
	// UntracedFraction of the dataset's traces were not traced (their LLM
	// calls are request logs without a trace). Zero means
	// DefaultUntracedFraction, below zero none.
	UntracedFraction float64
	// Shape is the span shape of trace answers; ShapeMixed (the default)
	// picks one per trace.
	Shape Shape
	// SearchLimit is how many searches an API key may make per minute
	// (sliding window); zero means DefaultSearchLimit, below zero none.
	SearchLimit int
	// Filter is the structured filter the receiver is configured with
	// (added to its time filter), for the ground truth: Expected holds the
	// traced traces with a request log that passes it, and the untraced
	// request logs that pass it. The handler takes the filters from each
	// request.
	Filter map[string]any

	mu    sync.Mutex
	creds sim.Credentials
	// limited counts searches answered 429 by the rate limit (not injected
	// faults).
	limited atomic.Int64
	served  [numEndpoints]atomic.Int64
}

var (
	_ sim.Part    = (*Part)(nil)
	_ sim.Truther = (*Part)(nil)
)

// Endpoints of the read chain, for the request counts.
const (
	EndpointSearch  = iota // POST /api/public/v2/requests/search
	EndpointRequest        // GET /api/public/v2/requests/{id}
	EndpointTrace          // GET /api/public/v2/traces/{trace_id}
	numEndpoints
)

// Name returns "promptlayer".
func (p *Part) Name() string { return Name }

// ReceiverConfig is the promptlayer block that polls this part. It sets no
// service_name: the spans' own resource names the service.
func (p *Part) ReceiverConfig(endpoint string, creds sim.Credentials) map[string]any {
	return map[string]any{
		"endpoint":  endpoint,
		"api_key":   creds.APIKey,
		"page_size": 25,
	}
}

// Scenarios are two runs. The search allows 10 requests a minute, and polls
// read their overlap again, so the datasets are small: 124 traces (a fifth
// untraced), 94 of them a backlog of 12.5 minutes, the rest arriving live
// over 4 minutes, about 22 request logs a minute. Late span batches,
// long-running roots, prices filled in late, search pages that shift and
// repeat items, a 5xx burst and dropped connections. The second run reads
// through a structured filter group (tags and a metadata value).
func (p *Part) Scenarios() []sim.Scenario {
	return []sim.Scenario{{
		Dataset: sim.DatasetConfig{
			Seed:                20260314,
			Traces:              124,
			LateFraction:        0.1,
			LongRunningFraction: 0.05,
		},
		EndToEnd:  sim.EndToEnd{Traces: 60, RequestDelay: 30 * time.Millisecond}, // 10 searches per minute
		Backfill:  12*time.Minute + 30*time.Second,                               // 94 traces at one per 8 s
		PerSecond: 1.0 / 8,                                                       // then 30 more over 4 minutes
		Faults: []string{
			"promptlayer:POST " + searchPath + ":shift:every=4,count=2",
			"promptlayer:POST " + searchPath + ":duplicate:every=5,count=3",
			"promptlayer:GET " + tracePrefix + "*:5xx:every=60,burst=2,status=502",
			"promptlayer:GET " + requestPrefix + "*:reset:every=97",
		},
		TimePrecision: time.Microsecond,
	}, {
		Name:   "filter",
		Part:   &Part{Filter: ScenarioFilter()},
		Config: map[string]any{"filter": ScenarioFilter()},
		Dataset: sim.DatasetConfig{
			Seed:                20260315,
			Traces:              124,
			LateFraction:        0.1,
			LongRunningFraction: 0.05,
		},
		Backfill:  12*time.Minute + 30*time.Second,
		PerSecond: 1.0 / 8,
		Faults: []string{
			"promptlayer:POST " + searchPath + ":shift:every=4,count=2",
			"promptlayer:GET " + tracePrefix + "*:5xx:every=40,burst=2,status=502",
		},
		TimePrecision: time.Microsecond,
	}}
}

// ScenarioFilter is the filter of the filtered scenario: a group, the
// request logs tagged production whose metadata says region us-east-1.
func ScenarioFilter() map[string]any {
	return map[string]any{"logic": "AND", "filters": []any{
		map[string]any{"field": "tags", "operator": "contains", "value": "production"},
		map[string]any{"field": "metadata", "operator": "key_equals", "nested_key": "region", "value": "us-east-1"},
	}}
}

// filter parses Filter, nil without one.
func (p *Part) filter() *group {
	p.mu.Lock()
	f := p.Filter
	p.mu.Unlock()
	if len(f) == 0 {
		return nil
	}
	raw, err := json.Marshal(map[string]any{"filter_group": map[string]any{"filters": []any{f}}})
	if err != nil {
		panic("promptlayersim: Part.Filter: " + err.Error())
	}
	req, v, bad := parseSearch(raw)
	if v != nil || bad != "" {
		panic(fmt.Sprintf("promptlayersim: Part.Filter: %s %s", v.body(), bad))
	}
	return req.filter
}

// RateLimited is how many searches the part answered 429 because the
// client went over the search limit.
func (p *Part) RateLimited() int { return int(p.limited.Load()) }

// Served is how many requests of an endpoint (Endpoint*) reached the part
// (injected faults answer before the part).
func (p *Part) Served(endpoint int) int { return int(p.served[endpoint].Load()) }

func (p *Part) untraced() float64 {
	switch f := p.UntracedFraction; {
	case f == 0:
		return DefaultUntracedFraction
	case f < 0:
		return 0
	default:
		return f
	}
}

func (p *Part) credentials() sim.Credentials {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.creds
}

// Handler serves the read chain from env.
func (p *Part) Handler(env *sim.Env) http.Handler {
	p.mu.Lock()
	p.creds = env.Creds
	p.mu.Unlock()
	limit := p.SearchLimit
	if limit == 0 {
		limit = DefaultSearchLimit
	}
	return &handler{part: p, env: env, index: newIndex(p, env.Data), limiter: newLimiter(limit, time.Minute), shifted: map[string]int{}}
}

type handler struct {
	part    *Part
	env     *sim.Env
	index   *index
	limiter *limiter

	mu sync.Mutex
	// shifted counts, per search (body without page), the items the shift
	// fault pretended were inserted at the head since its page 1.
	shifted map[string]int
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == searchPath && r.Method == http.MethodPost:
		if h.authenticated(w, r) {
			h.part.served[EndpointSearch].Add(1)
			h.search(w, r)
		}
	case strings.HasPrefix(path, requestPrefix) && !strings.Contains(path[len(requestPrefix):], "/"):
		// GET /requests/search lands here too, as in FastAPI: "search"
		// is no request id (422).
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, []byte(bodyNoMethod))
			return
		}
		if h.authenticated(w, r) {
			h.part.served[EndpointRequest].Add(1)
			h.requestLog(w, path[len(requestPrefix):])
		}
	case strings.HasPrefix(path, tracePrefix) && !strings.Contains(path[len(tracePrefix):], "/"):
		if r.Method != http.MethodGet {
			writeJSON(w, http.StatusMethodNotAllowed, []byte(bodyNoMethod))
			return
		}
		if h.authenticated(w, r) {
			h.part.served[EndpointTrace].Add(1)
			h.trace(w, path[len(tracePrefix):])
		}
	default:
		writeJSON(w, http.StatusNotFound, []byte(bodyNoRoute))
	}
}

// authenticated checks X-API-KEY (any case of the header name); without
// configured credentials any key is accepted, but one must be sent.
func (h *handler) authenticated(w http.ResponseWriter, r *http.Request) bool {
	key := r.Header.Get("X-API-KEY")
	if want := h.env.Creds.APIKey; key == "" || (want != "" && key != want) {
		writeJSON(w, http.StatusUnauthorized, []byte(bodyUnauthorized))
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// limiter is the search's rate limit: at most n accepted requests per
// sliding window per API key. Refused requests do not count.
type limiter struct {
	n      int
	window time.Duration
	mu     sync.Mutex
	recent map[string][]time.Time // accepted requests per key, oldest first
}

func newLimiter(n int, window time.Duration) *limiter {
	return &limiter{n: n, window: window, recent: map[string][]time.Time{}}
}

// allow reports whether key may search at now, and counts it if so.
func (l *limiter) allow(key string, now time.Time) bool {
	if l.n < 0 {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	times := l.recent[key]
	for len(times) > 0 && !times[0].After(now.Add(-l.window)) {
		times = times[1:]
	}
	if len(times) >= l.n {
		l.recent[key] = times
		return false
	}
	l.recent[key] = append(times, now)
	return true
}
