package langsmithsim

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// runSelectFields are the RunSelectField values (45, SDK 2026-08).
var runSelectFields = setOf("ID", "NAME", "RUN_TYPE", "STATUS", "START_TIME", "END_TIME", "LATENCY_SECONDS",
	"FIRST_TOKEN_TIME", "ERROR", "ERROR_PREVIEW", "EXTRA", "METADATA", "EVENTS", "INPUTS", "INPUTS_PREVIEW", "OUTPUTS",
	"OUTPUTS_PREVIEW", "MANIFEST", "PARENT_RUN_IDS", "PROJECT_ID", "TRACE_ID", "THREAD_ID", "DOTTED_ORDER", "IS_ROOT",
	"REFERENCE_EXAMPLE_ID", "REFERENCE_DATASET_ID", "TOTAL_TOKENS", "PROMPT_TOKENS", "COMPLETION_TOKENS", "TOTAL_COST",
	"PROMPT_COST", "COMPLETION_COST", "PROMPT_TOKEN_DETAILS", "COMPLETION_TOKEN_DETAILS", "PROMPT_COST_DETAILS",
	"COMPLETION_COST_DETAILS", "PRICE_MODEL_ID", "TAGS", "APP_PATH", "ATTACHMENTS", "THREAD_EVALUATION_TIME",
	"IS_IN_DATASET", "LAST_QUEUED_AT", "SHARE_URL", "FEEDBACK_STATS")

// threadTraceSelectFields are the ThreadTraceSelectField values (24).
var threadTraceSelectFields = setOf("THREAD_ID", "TRACE_ID", "OP", "PROMPT_TOKENS", "COMPLETION_TOKENS", "TOTAL_TOKENS",
	"START_TIME", "END_TIME", "LATENCY", "FIRST_TOKEN_TIME", "INPUTS_PREVIEW", "OUTPUTS_PREVIEW", "INPUTS", "OUTPUTS",
	"ERROR", "PROMPT_COST", "COMPLETION_COST", "TOTAL_COST", "PROMPT_TOKEN_DETAILS", "COMPLETION_TOKEN_DETAILS",
	"PROMPT_COST_DETAILS", "COMPLETION_COST_DETAILS", "NAME", "ERROR_PREVIEW")

// traceAggregateFields go to trace_aggregates in traces/query answers.
var traceAggregateFields = setOf("TOTAL_TOKENS", "TOTAL_COST", "FIRST_TOKEN_TIME")

func setOf(names ...string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// badRequest is an answer to a request the API refuses.
type badRequest struct {
	status        int
	title, detail string
}

func (h *handler) refuse(w http.ResponseWriter, r *http.Request, b *badRequest) {
	writeProblem(w, b.status, b.title, b.detail, r.URL.Path)
}

func invalid(detail string) *badRequest {
	return &badRequest{http.StatusBadRequest, "Bad Request", detail}
}

func unprocessable(detail string) *badRequest {
	return &badRequest{http.StatusUnprocessableEntity, "Unprocessable Entity", detail}
}

// checkProject validates a project id: missing (400), not a UUID (422), not
// this project (404, "session not found").
func (h *handler) checkProject(id string) *badRequest {
	switch _, ok := convert.UUIDBytes(id); {
	case id == "":
		return invalid("project_id is required")
	case !ok:
		return unprocessable("project_id: invalid UUID " + strconv.Quote(id))
	case !strings.EqualFold(id, h.projectID):
		return &badRequest{http.StatusNotFound, "Not Found", "session not found"}
	}
	return nil
}

// selects validates selects against an enum and returns the fields to
// render (their JSON names); none selected is only always.
func selects(names []string, enum map[string]bool, always string) (fields, *badRequest) {
	f := fields{always: true}
	if len(names) > 0 {
		f = fields{}
	}
	for _, n := range names {
		if !enum[n] {
			return nil, invalid("selects: invalid value " + strconv.Quote(n))
		}
		f[strings.ToLower(n)] = true
	}
	return f, nil
}

// window parses a pair of optional RFC 3339 bounds with their defaults.
func window(minS, maxS string, defMin, defMax time.Time) (time.Time, time.Time, *badRequest) {
	lo, hi := defMin, defMax
	var err error
	if minS != "" {
		if lo, err = time.Parse(time.RFC3339Nano, minS); err != nil {
			return lo, hi, invalid("min_start_time: not an RFC 3339 date-time")
		}
	}
	if maxS != "" {
		if hi, err = time.Parse(time.RFC3339Nano, maxS); err != nil {
			return lo, hi, invalid("max_start_time: not an RFC 3339 date-time")
		}
	}
	return lo, hi, nil
}

func pageSize(n *int, def, maxN int) (int, *badRequest) {
	if n == nil {
		return def, nil
	}
	if *n < 1 || *n > maxN {
		return 0, invalid("page_size must be between 1 and " + strconv.Itoa(maxN))
	}
	return *n, nil
}

// noFilters refuses filter expressions: the simulator does not evaluate
// them, and answering as if it did would hide a receiver that relies on
// them.
func noFilters(fs ...string) *badRequest {
	for _, f := range fs {
		if f != "" {
			return &badRequest{http.StatusNotImplemented, "Not Implemented", "the simulator does not evaluate filter expressions"}
		}
	}
	return nil
}

// position is a cursor's content: the sort key of the last item served and
// a hash of the query it belongs to.
type position struct {
	Key   int64  `json:"k"`
	ID    string `json:"i"`
	Query string `json:"q"`
}

// queryHash identifies a listing's parameters (not its cursor or page size).
func queryHash(parts ...string) string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return base64.RawURLEncoding.EncodeToString(sum[:9])
}

func encodeCursor(p position) string {
	b, _ := json.Marshal(p)
	return base64.StdEncoding.EncodeToString(b)
}

// decodeCursor reads a cursor of the listing q ("" is the first page).
func decodeCursor(c, q string) (*position, *badRequest) {
	if c == "" {
		return nil, nil
	}
	b, err := base64.StdEncoding.DecodeString(c)
	var p position
	if err != nil || json.Unmarshal(b, &p) != nil {
		return nil, invalid("cursor: malformed")
	}
	if p.Query != q {
		return nil, invalid("cursor: belongs to another query")
	}
	return &p, nil
}

// after reports whether (key, id) comes after p in descending order (or
// ascending when asc).
func after(p *position, key int64, id string, asc bool) bool {
	if p == nil {
		return true
	}
	if asc {
		return key > p.Key || key == p.Key && id > p.ID
	}
	return key < p.Key || key == p.Key && id < p.ID
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"title":"Internal Server Error","status":500}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeProblem answers RFC 7807 problem details, as every v2 error is.
func writeProblem(w http.ResponseWriter, status int, title, detail, instance string) {
	writeJSON(w, status, map[string]any{
		"type": "about:blank", "title": title, "status": status, "detail": detail, "instance": instance,
	})
}

// decodeBody reads a JSON request body.
func decodeBody(r *http.Request, dst any) *badRequest {
	if err := json.NewDecoder(r.Body).Decode(dst); err != nil {
		return invalid("malformed JSON body: " + err.Error())
	}
	return nil
}

// view renders trace info as it is at now.
func (h *handler) view(info *traceInfo, now time.Time) *runView {
	tr := h.env.Data.Trace(info.i)
	return newRunView(&tr, info, now, h.projectID)
}

// listedRoot reports whether trace i is listed at now: its root run exists.
func (h *handler) listedRoot(i int, now time.Time) (*traceInfo, bool) {
	info := h.index.info(i)
	return info, !info.root().posted.After(now)
}

// startKey is a start time as a cursor key.
func startKey(t time.Time) int64 { return t.UnixNano() }

// sessions serves GET /api/v1/sessions: the projects, filtered by exact
// name. v1 answers TracerSession objects with naive ISO times.
func (h *handler) sessions(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	project := h.env.Creds.Project
	if name := q.Get("name"); name != "" && name != project {
		writeJSON(w, http.StatusOK, []any{})
		return
	}
	naive := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000") }
	start := h.env.Data.Config().Origin.Add(-time.Hour)
	s := map[string]any{
		"id": h.projectID, "name": project, "tenant_id": h.tenantID(), "start_time": naive(start), "end_time": nil,
		"description": nil, "extra": map[string]any{}, "default_dataset_id": nil, "reference_dataset_id": nil,
		"trace_tier": "longlived", "run_count": nil, "last_run_start_time": nil,
	}
	if n := h.env.Data.IndexAt(now); n > 0 {
		s["last_run_start_time"] = naive(h.env.Data.StartOf(n - 1))
	}
	writeJSON(w, http.StatusOK, []any{s})
}

func (h *handler) tenantID() string {
	if h.workspaceID != "" {
		return h.workspaceID
	}
	return derivedUUID("tenant")
}

// pathParam returns the escaped path segment after prefix, unescaped.
func pathParam(r *http.Request, prefix, suffix string) (string, bool) {
	p := strings.TrimSuffix(strings.TrimPrefix(r.URL.EscapedPath(), prefix), suffix)
	v, err := url.PathUnescape(p)
	return v, err == nil && v != ""
}

// querySelects parses the repeated selects of a GET request.
func querySelects(r *http.Request, enum map[string]bool, always string) (fields, *badRequest) {
	return selects(r.URL.Query()["selects"], enum, always)
}
