// Package langwatchsim simulates LangWatch's trace read API over the
// simulator's dataset: the successor POST /api/traces/search (with
// includeSpans, dateField and LangWatch's keyset scroll) and GET
// /api/traces/{id}, and the deprecated POST /api/trace/search and GET
// /api/trace/{id}, with LangWatch's authentication, body validation and
// error bodies. LegacyOnly serves an older self-hosted server, without the
// successor.
//
// # Mapping
//
// LangWatch stores OTel spans; the REST span is re-derived on read. A
// dataset span becomes a span with LangWatch's type (llm for chat and
// embedding calls, rag for retrievals, agent, tool, guardrail, chain), its
// typed input and output (chat_messages for chat calls, text or json
// otherwise), metrics from its usage and cost, error {has_error, message,
// stacktrace} and, for streamed calls, first_token_at; params is every
// stored attribute un-flattened at the dots. Chat calls carry model (the
// response model, else the request model) and vendor; retrievals their
// documents as contexts. Times are epoch milliseconds.
//
// Every fifth trace (index 3 mod 5) was sent by a legacy REST-collector
// SDK: nanoid ids (trace_..., span_...), provider spellings of that time
// (google, mistral, bedrock), the request model, and params holding only
// LangWatch's own keys (langwatch.span.type, langwatch.params, the typed
// input and output). The others have the 32/16-digit hex ids of OTLP.
//
// # When things exist and change
//
// OTel SDKs export a span when it ends: a span exists from its Visible time
// (a long-running root from its end). A trace exists once its first span
// has arrived; its updated_at is its last change: a span arriving, or one
// of its evaluations finishing. 55% of the traces get one or two
// evaluations, scheduled 2-6 s after the root arrived; they show as
// scheduled, then in_progress, then with their result (processed, skipped
// or error) up to MaxEvaluationLag after the root.
//
// # Query semantics
//
// startDate and endDate are inclusive epoch ms (or date strings). The
// occurred axis filters on the trace's OccurredAt (the start of the first
// span it received, which is at or after the started_at it reports); the
// updated axis on updated_at, each trace at its latest version no later
// than the scroll's start (pinned on the first page and carried in the
// cursor), and answers updatedThrough = min(endDate, scrollStart).
// Ordering is by the axis, then trace_id, "desc" unless sortDirection is
// anything else. A scrollId (base64 JSON cursor) comes only with a full
// page; a cursor whose pageSize, sortDirection or dateField differs from
// the request, or that does not decode, is silently ignored (page 1
// again). On the occurred axis the cursor is minted from the last trace's
// started_at and compared with OccurredAt, as LangWatch does. The legacy
// search never returns spans. ClockLag makes the server's clock (updated_at,
// inserted_at, the scroll's start) run behind the simulated time.
package langwatchsim // import "github.com/llmtrace/llmtrace/internal/langwatch/langwatchsim"

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's name.
const Name = "langwatch"

// API paths.
const (
	searchPath        = "/api/traces/search"
	tracePrefix       = "/api/traces/"
	legacySearchPath  = "/api/trace/search"
	legacyTracePrefix = "/api/trace/"
)

// Error bodies.
const (
	bodyNoCredentials       = `{"error":"Unauthorized","message":"Authentication required. Use Authorization: Basic base64(projectId:token), Authorization: Bearer <token>, or X-Auth-Token header."}`
	bodyBadCredentials      = `{"error":"Unauthorized","message":"Invalid credentials"}`
	bodyLegacyNoCredentials = `{"message":"Authentication token is required. Use X-Auth-Token header, Authorization: Bearer token, or Authorization: Basic base64(projectId:token)."}`
	bodyLegacyBadToken      = `{"message":"Invalid auth token."}`
	bodyMalformed           = `{"error":"malformed_request","message":"The request body could not be parsed.","target":"json","detail":"Malformed JSON in request body","fault":"customer"}`
	bodyLegacyMalformed     = `{"error":"Invalid body"}`
	bodyLegacyNotFound      = `{"message":"Trace not found."}`
	bodyNotFound            = `{"error":"Trace not found.","message":"Trace not found."}`
	bodyHonoNotFound        = "404 Not Found"
	bodyNextNotFound        = "<!DOCTYPE html><html><head><title>404: This page could not be found</title></head><body>404: This page could not be found.</body></html>"
)

// Part is the LangWatch simulator part. Its ground truth (Expected) names
// the project of the Env it serves; set Project to use another one, or to
// call Expected before Handler.
type Part struct {
	mu sync.Mutex
	// Project is the project_id of the served traces and the
	// service.name and llmtrace.project of the ground truth; default the
	// Env's Creds.Project.
	Project string
	// LegacyOnly serves a self-hosted server older than the successor API:
	// POST /api/traces/search and GET /api/traces/{id} answer 404.
	LegacyOnly bool
	// ClockLag is how far the server's clock runs behind the simulated
	// time.
	ClockLag time.Duration
	// Filter is the filter the receiver is configured with (the search's
	// filters), for the ground truth: Expected holds only the traces it
	// selects once complete. The handler takes the filters from each
	// request.
	Filter map[string]any
}

var (
	_ sim.Part    = (*Part)(nil)
	_ sim.Truther = (*Part)(nil)
)

// Name returns "langwatch".
func (p *Part) Name() string { return Name }

// ReceiverConfig is the langwatch block that polls this part: the key
// selects the project, as with a LangWatch project key.
func (p *Part) ReceiverConfig(endpoint string, creds sim.Credentials) map[string]any {
	return map[string]any{
		"endpoint":  endpoint,
		"api_key":   creds.APIKey,
		"page_size": 200,
	}
}

// Scenarios are two runs: the successor API through a backlog and live traces (late
// spans, long-running roots, evaluations that finish after the trace was
// first read), with 5xx bursts, connection resets, truncated answers and
// rows repeated across pages; and an older server with only the legacy API
// (the fallback: search without spans plus one read per trace).
func (p *Part) Scenarios() []sim.Scenario {
	return []sim.Scenario{{
		Dataset: sim.DatasetConfig{
			Seed:                20260303,
			Traces:              3300,
			LateFraction:        0.08,
			LongRunningFraction: 0.05,
		},
		Backfill:  25 * time.Minute, // 3000 traces at 2 per second
		PerSecond: 2,                // then 300 more over 150 s
		Faults: []string{
			"langwatch:POST /api/traces/search:5xx:every=11,burst=2,status=503",
			"langwatch:POST /api/traces/search:reset:every=17",
			"langwatch:POST /api/traces/search:truncated:every=29",
			"langwatch:POST /api/traces/search:duplicate:every=3,count=40",
		},
		TimePrecision: time.Millisecond,
	}, {
		Name: "legacy",
		Part: &Part{LegacyOnly: true},
		Dataset: sim.DatasetConfig{
			Seed:                20260304,
			Traces:              1500,
			LateFraction:        0.08,
			LongRunningFraction: 0.05,
		},
		Backfill:  10 * time.Minute, // 1200 traces at 2 per second
		PerSecond: 2,                // then 300 more over 150 s
		Faults: []string{
			"langwatch:POST /api/trace/search:5xx:every=13,status=503",
			"langwatch:GET /api/trace:5xx:every=97,burst=2,status=502",
			"langwatch:GET /api/trace:reset:every=211",
		},
		TimePrecision: time.Millisecond,
	}, {
		Name:   "filter",
		Part:   &Part{Filter: ScenarioFilter()},
		Config: map[string]any{"filter": ScenarioFilter()},
		Dataset: sim.DatasetConfig{
			Seed:                20260313,
			Traces:              900,
			LateFraction:        0.08,
			LongRunningFraction: 0.05,
		},
		Backfill:  6 * time.Minute, // 720 traces at 2 per second
		PerSecond: 2,               // then 180 more over 90 s
		Faults: []string{
			"langwatch:POST /api/traces/search:5xx:every=11,burst=2,status=503",
			"langwatch:POST /api/traces/search:duplicate:every=3,count=10",
		},
		TimePrecision: time.Millisecond,
	}}
}

// ScenarioFilter is the filter of the filtered scenario: the traces
// labelled production whose metadata says region us-east-1.
func ScenarioFilter() map[string]any {
	return map[string]any{
		"metadata.labels": []any{"production"},
		"metadata.value":  map[string]any{"region": []any{"us-east-1"}},
	}
}

// Handler serves the trace read API from env.
func (p *Part) Handler(env *sim.Env) http.Handler {
	p.mu.Lock()
	if p.Project == "" {
		p.Project = env.Creds.Project
	}
	project := p.Project
	legacyOnly, lag := p.LegacyOnly, p.ClockLag
	p.mu.Unlock()
	if project == "" {
		project = "project_sim"
	}
	return &handler{env: env, index: newIndex(env.Data), project: project, legacyOnly: legacyOnly, lag: lag}
}

func (p *Part) project() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Project
}

// filters parses Filter (nil without one).
func (p *Part) filters() map[string]filterParam {
	p.mu.Lock()
	f := p.Filter
	p.mu.Unlock()
	if len(f) == 0 {
		return nil
	}
	raw, err := json.Marshal(f)
	if err != nil {
		panic("langwatchsim: Part.Filter: " + err.Error())
	}
	var vs []violation
	fs := checkFilters(raw, func(field, _, msg string) { vs = append(vs, violation{field: field, message: msg}) })
	if len(vs) > 0 {
		panic(fmt.Sprintf("langwatchsim: Part.Filter: %v", vs))
	}
	return fs
}

type handler struct {
	env        *sim.Env
	index      *index
	project    string
	legacyOnly bool
	lag        time.Duration
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	switch {
	case path == searchPath && r.Method == http.MethodPost && !h.legacyOnly:
		h.serveSearch(w, r, false)
	case path == legacySearchPath && r.Method == http.MethodPost:
		h.serveSearch(w, r, true)
	case strings.HasPrefix(path, tracePrefix) && r.Method == http.MethodGet && !h.legacyOnly && path != searchPath:
		h.serveTrace(w, r, strings.TrimPrefix(path, tracePrefix), false)
	case strings.HasPrefix(path, legacyTracePrefix) && r.Method == http.MethodGet && path != legacySearchPath:
		h.serveTrace(w, r, strings.TrimPrefix(path, legacyTracePrefix), true)
	case h.legacyOnly:
		// The older server's Next.js pages router.
		writeBody(w, http.StatusNotFound, "text/html; charset=utf-8", []byte(bodyNextNotFound))
	default:
		writeBody(w, http.StatusNotFound, "text/plain; charset=UTF-8", []byte(bodyHonoNotFound))
	}
}

// authenticate checks the credentials the way extractCredentials and the
// token resolver do: Basic base64(projectId:token), then Bearer <token>,
// then X-Auth-Token, with an optional X-Project-Id that must name the key's
// project. It answers 401 itself, in the route's shape.
func (h *handler) authenticate(w http.ResponseWriter, r *http.Request, legacy bool) bool {
	token, project, found := credentials(r)
	ok := found && h.tokenValid(token) && (project == "" || project == h.project)
	switch {
	case ok:
		return true
	case !found && legacy:
		writeJSON(w, http.StatusUnauthorized, []byte(bodyLegacyNoCredentials))
	case !found:
		writeJSON(w, http.StatusUnauthorized, []byte(bodyNoCredentials))
	case legacy:
		writeJSON(w, http.StatusUnauthorized, []byte(bodyLegacyBadToken))
	default:
		writeJSON(w, http.StatusUnauthorized, []byte(bodyBadCredentials))
	}
	return false
}

func (h *handler) tokenValid(token string) bool {
	if key := h.env.Creds.APIKey; key != "" {
		return token == key
	}
	return token != ""
}

// credentials extracts token and project id from the request headers.
func credentials(r *http.Request) (token, project string, ok bool) {
	auth := r.Header.Get("Authorization")
	if len(auth) > 6 && strings.EqualFold(auth[:6], "basic ") {
		if raw, err := base64.StdEncoding.DecodeString(auth[6:]); err == nil {
			if p, t, found := strings.Cut(string(raw), ":"); found && p != "" && t != "" {
				return t, p, true
			}
		}
	}
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		if t := strings.TrimSpace(auth[7:]); t != "" {
			return t, r.Header.Get("X-Project-Id"), true
		}
	}
	if t := r.Header.Get("X-Auth-Token"); t != "" {
		return t, r.Header.Get("X-Project-Id"), true
	}
	return "", "", false
}

// serveSearch answers both searches.
func (h *handler) serveSearch(w http.ResponseWriter, r *http.Request, legacy bool) {
	if !h.authenticate(w, r, legacy) {
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	req, violations, malformed := parseSearch(body, legacy)
	switch {
	case malformed && legacy:
		writeJSON(w, http.StatusBadRequest, []byte(bodyLegacyMalformed))
		return
	case malformed:
		writeJSON(w, http.StatusBadRequest, []byte(bodyMalformed))
		return
	case len(violations) > 0 && legacy:
		writeJSON(w, http.StatusBadRequest, legacyValidationBody(violations))
		return
	case len(violations) > 0:
		writeJSON(w, http.StatusUnprocessableEntity, validationBody(violations))
		return
	case req.unsimulated != "":
		writeJSON(w, http.StatusNotImplemented, marshal(map[string]string{"error": "not_implemented", "message": req.unsimulated}))
		return
	}
	if legacy {
		w.Header().Set("Deprecation", "true")
		w.Header().Set("Link", `</api/traces/search>; rel="successor-version"`)
	}
	writeJSON(w, http.StatusOK, h.search(r, req, legacy))
}

// serveTrace answers GET /api/traces/{id} (a full id or a unique prefix of
// at least 8 characters) and the legacy GET /api/trace/{id}.
func (h *handler) serveTrace(w http.ResponseWriter, r *http.Request, id string, legacy bool) {
	if !h.authenticate(w, r, legacy) {
		return
	}
	now := h.env.Now()
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if legacy {
		w.Header().Set("Deprecation", "true")
		w.Header().Set("Link", "</api/traces/"+id+"?format="+format+`>; rel="successor-version"`)
	}
	x, found := h.index.byID(id, now)
	if !found && !legacy && len(id) >= 8 {
		var candidates []string
		x, candidates = h.byPrefix(id, now)
		if len(candidates) > 1 {
			writeJSON(w, http.StatusConflict, marshal(map[string]any{
				"message": "Trace ID prefix " + strconv.Quote(id) + " is ambiguous", "candidateTraceIds": candidates,
			}))
			return
		}
		found = x != nil
	}
	if !found || !x.exists(now) {
		if legacy {
			writeJSON(w, http.StatusNotFound, []byte(bodyLegacyNotFound))
		} else {
			writeJSON(w, http.StatusNotFound, []byte(bodyNotFound))
		}
		return
	}
	t := h.render(x, view{summaryAt: now, spansAt: now, spans: true})
	tree := asciiTree(t.Spans)
	t.ASCIITree = &tree
	if !legacy {
		t.PlatformURL = h.platformURL(x.id)
	}
	writeJSON(w, http.StatusOK, marshal(t))
}

// byPrefix finds the traces whose id starts with prefix.
func (h *handler) byPrefix(prefix string, now time.Time) (*traceInfo, []string) {
	var hit *traceInfo
	var ids []string
	for i := range h.env.Data.IndexAt(now) {
		if x := h.index.info(i); strings.HasPrefix(x.id, prefix) && x.exists(now) {
			hit = x
			ids = append(ids, x.id)
		}
	}
	return hit, ids
}

func (h *handler) platformURL(traceID string) string {
	return "https://app.langwatch.ai/" + h.project + "/traces/" + traceID
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	writeBody(w, status, "application/json", body)
}

func writeBody(w http.ResponseWriter, status int, contentType string, body []byte) {
	w.Header().Set("Content-Type", contentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
