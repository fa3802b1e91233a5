// Package langtracesim simulates Langtrace's read API, POST /api/traces,
// over the simulator's dataset: offset pages of traces newest first, each
// trace the array of its ended spans with every column a string, in the
// three shapes Langtrace's ingest paths store (python SDK, TypeScript SDK,
// OTLP protobuf). The body's keyword narrows the read to the spans that
// contain it (keyword.go).
package langtracesim // import "github.com/llmtrace/llmtrace/internal/langtrace/langtracesim"

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's name.
const Name = "langtrace"

// tracesPath is the only route an API key may read.
const tracesPath = "/api/traces"

// maxPageSize is the largest pageSize the server accepts.
const maxPageSize = 100

// The server's error bodies (app/api/traces/route.ts).
const (
	bodyUnauthorized = `{"error":"Unauthorized. Invalid API key"}`
	bodyNoProject    = `{"error":"No projects found"}`
	bodyPageSize     = `{"error":"Page size cannot be more than 100"}`
	bodyFailed       = `{"message":"Something went wrong while fetching traces"}`
)

// Part is the Langtrace simulator part. Its ground truth (Expected) names
// the project of the Env it serves; set Project to use another one, or to
// call Expected before Handler.
type Part struct {
	mu sync.Mutex
	// Project is the service.name and llmtrace.project of the ground
	// truth; default the Env's Creds.Project.
	Project string
	// Keyword is the filter the receiver is configured with, for the
	// ground truth: Expected holds only the spans Langtrace returns for
	// it. The handler takes the keyword from each request.
	Keyword string
}

var (
	_ sim.Part    = (*Part)(nil)
	_ sim.Truther = (*Part)(nil)
)

// Name returns "langtrace".
func (p *Part) Name() string { return Name }

// ReceiverConfig is the langtrace block that polls this part.
func (p *Part) ReceiverConfig(endpoint string, creds sim.Credentials) map[string]any {
	return map[string]any{
		"endpoint":   endpoint,
		"api_key":    creds.APIKey,
		"project_id": creds.Project,
		"page_size":  100,
	}
}

// Scenarios are two runs. The main one: a backlog, then live arrivals that
// shift pages during reads, the shift and duplicate pagination faults, a
// 5xx burst, 429 with Retry-After, in-progress traces and late spans. The
// second reads through a keyword filter (mixed case, as users type it):
// only the spans that contain it are expected.
func (p *Part) Scenarios() []sim.Scenario {
	return []sim.Scenario{{
		Dataset:   sim.DatasetConfig{Seed: 20260301, Traces: 3000},
		Backfill:  15 * time.Minute, // 2700 traces at 3 per second
		PerSecond: 3,                // then 300 more over 100 s
		Faults: []string{
			"langtrace:POST /api/traces:shift:every=3,count=2",
			"langtrace:POST /api/traces:duplicate:every=7,count=3",
			"langtrace:POST /api/traces:5xx:every=50,burst=3,status=502",
			"langtrace:POST /api/traces:429-retry-after:every=37,seconds=2",
		},
		TimePrecision: time.Microsecond,
	}, {
		Name:      "keyword",
		Part:      &Part{Keyword: ScenarioKeyword},
		Config:    map[string]any{"filter": ScenarioKeyword},
		Dataset:   sim.DatasetConfig{Seed: 20260311, Traces: 900},
		Backfill:  4 * time.Minute, // 720 traces at 3 per second
		PerSecond: 3,               // then 180 more over 60 s
		Faults: []string{
			"langtrace:POST /api/traces:shift:every=3,count=2",
			"langtrace:POST /api/traces:5xx:every=40,burst=2,status=502",
		},
		TimePrecision: time.Microsecond,
	}}
}

// ScenarioKeyword is the keyword of the filtered scenario: the OpenAI
// calls (their attributes name the provider), spelled as users write it.
const ScenarioKeyword = "OpenAI"

// Handler serves POST /api/traces from env.
func (p *Part) Handler(env *sim.Env) http.Handler {
	p.mu.Lock()
	if p.Project == "" {
		p.Project = env.Creds.Project
	}
	p.mu.Unlock()
	return &handler{env: env, catalog: newCatalog(env.Data), keywords: &keywordIndex{data: env.Data}}
}

func (p *Part) project() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Project
}

func (p *Part) keyword() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.Keyword
}

type handler struct {
	env      *sim.Env
	catalog  *catalog
	keywords *keywordIndex

	mu sync.Mutex
	// shifted counts the traces the shift fault pretended arrived at the
	// head since the scan's page 1: they push every later page down.
	shifted int
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != tracesPath {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = io.WriteString(w, "404: This page could not be found.")
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		w.WriteHeader(http.StatusMethodNotAllowed)
		return
	}
	creds := h.env.Creds
	if key := r.Header.Get("x-api-key"); key == "" || (creds.APIKey != "" && key != creds.APIKey) {
		writeJSON(w, http.StatusUnauthorized, []byte(bodyUnauthorized))
		return
	}
	req, ok := readRequest(r)
	if !ok {
		writeJSON(w, http.StatusBadRequest, []byte(bodyFailed))
		return
	}
	if req.pageSize > maxPageSize {
		writeJSON(w, http.StatusBadRequest, []byte(bodyPageSize))
		return
	}
	if creds.Project != "" && req.projectID != creds.Project {
		writeJSON(w, http.StatusNotFound, []byte(bodyNoProject))
		return
	}
	writeJSON(w, http.StatusOK, h.page(r, req))
}

type request struct {
	projectID      string
	page, pageSize int
	keyword        string // lowercase; "" reads every span
}

// readRequest reads the JSON body. Like the server (JavaScript arithmetic
// on the fields, then a ClickHouse query), it accepts numbers and numeric
// strings and fails on anything that does not make a valid LIMIT/OFFSET,
// on a keyword that is not a string (keyword.toLowerCase() throws) and on
// one with a single quote (it ends the SQL string it is pasted into).
func readRequest(r *http.Request) (request, bool) {
	var body struct {
		ProjectID any `json:"projectId"`
		Page      any `json:"page"`
		PageSize  any `json:"pageSize"`
		Keyword   any `json:"keyword"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		return request{}, false
	}
	project, _ := body.ProjectID.(string)
	page, ok1 := intOf(body.Page)
	size, ok2 := intOf(body.PageSize)
	if project == "" || !ok1 || !ok2 || page < 1 || size < 1 {
		return request{}, false
	}
	kw, isString := body.Keyword.(string)
	if (body.Keyword != nil && !isString) || strings.Contains(kw, "'") {
		return request{}, false
	}
	return request{projectID: project, page: page, pageSize: size, keyword: strings.ToLower(kw)}, true
}

func intOf(v any) (int, bool) {
	var f float64
	switch x := v.(type) {
	case float64:
		f = x
	case string:
		var err error
		if f, err = strconv.ParseFloat(strings.TrimSpace(x), 64); err != nil {
			return 0, false
		}
	default:
		return 0, false
	}
	if f != math.Trunc(f) || math.Abs(f) > 1<<31 {
		return 0, false
	}
	return int(f), true
}

// page builds the answer for one request: the listed traces at offset
// (page-1)*pageSize, less the traces the shift fault pretends arrived, and
// with the end of the previous page repeated when the duplicate fault is
// on.
func (h *handler) page(r *http.Request, req request) []byte {
	now := h.env.Now()
	ctx := r.Context()
	h.mu.Lock()
	if req.page == 1 {
		h.shifted = 0
	}
	if f, ok := sim.ActiveFault(ctx, sim.FaultShift); ok {
		h.shifted += f.Count
	}
	shifted := h.shifted
	h.mu.Unlock()

	l := h.catalog.list(now)
	if req.keyword != "" {
		l = h.keywords.list(now, req.keyword)
	}
	total := l.len() + shifted
	totalPages := max((total+req.pageSize-1)/req.pageSize, 1)
	offset := (req.page-1)*req.pageSize - shifted
	from, to := max(offset, 0), min(max(offset+req.pageSize, 0), l.len())
	if f, ok := sim.ActiveFault(ctx, sim.FaultDuplicate); ok && req.page > 1 {
		from = max(from-f.Count, 0)
	}

	type group struct {
		json   []byte
		maxEnd string
	}
	groups := make([]group, 0, max(to-from, 0))
	for pos := from; pos < to; pos++ {
		i := l.at(pos)
		tr, ok := h.env.Data.View(i, now)
		if !ok {
			continue
		}
		// Only ended spans exist, and with a keyword only those that
		// contain it are read; rows come in the order they were inserted.
		tr.Spans = slices.DeleteFunc(tr.Spans, func(s sim.Span) bool {
			return s.End.IsZero() || (req.keyword != "" && !h.keywords.selects(i, req.keyword, s.ID))
		})
		if len(tr.Spans) == 0 {
			continue
		}
		slices.SortStableFunc(tr.Spans, func(a, b sim.Span) int { return appearAt(&a).Compare(appearAt(&b)) })
		rd := newRenderer(i)
		g := group{json: rd.appendTrace(nil, &tr)}
		for k := range tr.Spans {
			if e := rd.time(tr.Spans[k].End); e > g.maxEnd {
				g.maxEnd = e
			}
		}
		groups = append(groups, g)
	}
	// The page's groups come ordered by max(end_time) DESC.
	slices.SortStableFunc(groups, func(a, b group) int { return strings.Compare(b.maxEnd, a.maxEnd) })

	out := append(make([]byte, 0, 64<<10), `{"traces":{"result":[`...)
	for k, g := range groups {
		if k > 0 {
			out = append(out, ',')
		}
		out = append(out, g.json...)
	}
	out = append(out, `],"metadata":{"page":`...)
	out = strconv.AppendInt(out, int64(min(req.page, totalPages)), 10)
	out = append(out, `,"page_size":`...)
	out = strconv.AppendInt(out, int64(req.pageSize), 10)
	out = append(out, `,"total_pages":`...)
	out = strconv.AppendInt(out, int64(totalPages), 10)
	return append(out, "}}}"...)
}

func writeJSON(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
