package promptlayersim

import (
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Search limits and defaults (SearchRequestLogsRequest).
const (
	maxPerPage     = 25
	defaultPerPage = 10
)

var (
	sortFields = []string{"request_start_time", "input_tokens", "output_tokens", "cost", "latency_ms", "status"}
	sortOrders = []string{"asc", "desc"}
	// filterFields and filterOperators are the spec's enums; filter.go
	// says which are simulated.
	filterFields = []string{"pl_id", "prompt_id", "engine", "provider_type", "input_text", "output_text",
		"prompt_version_number", "input_tokens", "output_tokens", "cost", "latency_ms", "request_start_time",
		"request_end_time", "status", "is_json", "is_tool_call", "is_plain_text", "tags", "metadata_keys", "metadata",
		"tool_names", "output", "output_keys", "input_variables", "input_variable_keys", "user_intent", "agent_intent"}
	filterOperators = []string{"is", "is_not", "in", "not_in", "contains", "not_contains", "starts_with", "ends_with",
		"eq", "neq", "gt", "gte", "lt", "lte", "between", "before", "after", "is_true", "is_false", "is_empty",
		"is_not_empty", "is_null", "is_not_null", "key_equals", "key_not_equals", "key_contains"}
)

// searchRequest is a validated search body.
type searchRequest struct {
	page, perPage     int
	sortBy, sortOrder string
	includePrompt     bool
	filter            *group
	// key identifies the search without its page (shift fault).
	key string
}

// group is a filter group: conditions and nested groups joined by logic.
type group struct {
	or     bool
	conds  []cond
	groups []*group
}

// validation collects FastAPI/pydantic v2 errors: {"detail": [{type, loc,
// msg, input[, ctx]}]}, members in pydantic's order (a client that reads a
// cut body sees type, loc and msg first).
type validation struct {
	detail []validationError
}

type validationError struct {
	Type  string         `json:"type"`
	Loc   []any          `json:"loc"`
	Msg   string         `json:"msg"`
	Input any            `json:"input"`
	Ctx   map[string]any `json:"ctx,omitempty"`
}

func (v *validation) add(typ string, loc []any, msg string, input any, ctx map[string]any) {
	v.detail = append(v.detail, validationError{Type: typ, Loc: loc, Msg: msg, Input: input, Ctx: ctx})
}

func (v *validation) body() []byte {
	b, _ := json.Marshal(map[string]any{"detail": v.detail})
	return b
}

// badFilter is a filter the server refuses with 400 (ErrorResponse).
type badFilter string

// search answers POST /api/public/v2/requests/search: the rate limit first
// (every authenticated request counts), then the body.
func (h *handler) search(w http.ResponseWriter, r *http.Request) {
	now := h.env.Now()
	if !h.limiter.allow(r.Header.Get("X-API-KEY"), now) {
		h.part.limited.Add(1)
		writeJSON(w, http.StatusTooManyRequests, []byte(bodyRateLimited))
		return
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, []byte(`{"success":false,"message":"Invalid request body."}`))
		return
	}
	req, v, bad := parseSearch(raw)
	switch {
	case v != nil:
		writeJSON(w, http.StatusUnprocessableEntity, v.body())
		return
	case bad != "":
		b, _ := json.Marshal(map[string]any{"success": false, "message": string(bad)})
		writeJSON(w, http.StatusBadRequest, b)
		return
	}
	writeJSON(w, http.StatusOK, h.searchPage(r, req, now))
}

// parseSearch validates a search body the way the server's pydantic model
// does, collecting every error; a filter the simulator does not evaluate is
// a 400.
func parseSearch(raw []byte) (searchRequest, *validation, badFilter) {
	req := searchRequest{page: 1, perPage: defaultPerPage}
	v := &validation{}
	if len(bytes.TrimSpace(raw)) == 0 {
		v.add("missing", []any{"body"}, "Field required", nil, nil)
		return req, v, ""
	}
	if !json.Valid(raw) {
		v.add("json_invalid", []any{"body", 0}, "JSON decode error", map[string]any{}, map[string]any{"error": "Expecting value"})
		return req, v, ""
	}
	var body map[string]json.RawMessage
	if json.Unmarshal(raw, &body) != nil || body == nil {
		v.add("model_attributes_type", []any{"body"}, "Input should be a valid dictionary or object to extract fields from", decoded(raw), nil)
		return req, v, ""
	}
	req.page = intField(v, body, "page", 1, 1, 0)
	req.perPage = intField(v, body, "per_page", defaultPerPage, 1, maxPerPage)
	req.sortBy = enumField(v, body, []any{"body"}, "sort_by", sortFields)
	req.sortOrder = enumField(v, body, []any{"body"}, "sort_order", sortOrders)
	if b, ok := body["include_prompt_name"]; ok && string(b) != "null" {
		if err := json.Unmarshal(b, &req.includePrompt); err != nil {
			v.add("bool_type", []any{"body", "include_prompt_name"}, "Input should be a valid boolean", decoded(b), nil)
		}
	}
	var bad badFilter
	if f, ok := body["filter_group"]; ok && string(f) != "null" {
		req.filter, bad = parseGroup(v, f, []any{"body", "filter_group"})
	}
	if q, ok := body["q"]; ok && string(q) != "null" && string(q) != `""` {
		bad = "simulator: free-text search (q) is not simulated"
	}
	if len(v.detail) == 0 && req.sortOrder != "" && req.sortBy == "" {
		v.add("value_error", []any{"body"}, "Value error, sort_order must be provided together with sort_by", decodedObject(body), map[string]any{"error": map[string]any{}})
	}
	if len(v.detail) > 0 {
		return req, v, ""
	}
	delete(body, "page")
	key, _ := json.Marshal(body)
	req.key = string(key)
	return req, nil, bad
}

// intField reads an optional integer member within [lo, hi] (hi 0: none).
func intField(v *validation, body map[string]json.RawMessage, name string, def, lo, hi int) int {
	raw, ok := body[name]
	if !ok || string(raw) == "null" {
		return def
	}
	loc := []any{"body", name}
	var f float64
	if err := json.Unmarshal(raw, &f); err != nil {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			v.add("int_type", loc, "Input should be a valid integer", decoded(raw), nil)
			return def
		}
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil {
			v.add("int_parsing", loc, "Input should be a valid integer, unable to parse string as an integer", s, nil)
			return def
		}
		f = float64(n)
	}
	if f != math.Trunc(f) {
		v.add("int_from_float", loc, "Input should be a valid integer, got a number with a fractional part", f, nil)
		return def
	}
	n := int(f)
	switch {
	case n < lo:
		v.add("greater_than_equal", loc, "Input should be greater than or equal to "+strconv.Itoa(lo), n, map[string]any{"ge": lo})
	case hi > 0 && n > hi:
		v.add("less_than_equal", loc, "Input should be less than or equal to "+strconv.Itoa(hi), n, map[string]any{"le": hi})
	}
	return n
}

// enumField reads an optional member that must be one of values.
func enumField(v *validation, body map[string]json.RawMessage, loc []any, name string, values []string) string {
	raw, ok := body[name]
	if !ok || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && slices.Contains(values, s) {
		return s
	}
	expected := enumText(values)
	v.add("enum", append(slices.Clone(loc), name), "Input should be "+expected, decoded(raw), map[string]any{"expected": expected})
	return ""
}

// enumText spells values as pydantic does: 'a', 'b' or 'c'.
func enumText(values []string) string {
	q := make([]string, len(values))
	for i, s := range values {
		q[i] = "'" + s + "'"
	}
	if len(q) == 1 {
		return q[0]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

// parseGroup reads a StructuredFilterGroup {logic, filters}.
func parseGroup(v *validation, raw json.RawMessage, loc []any) (*group, badFilter) {
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) != nil || obj == nil {
		v.add("model_attributes_type", loc, "Input should be a valid dictionary or object to extract fields from", decoded(raw), nil)
		return nil, ""
	}
	g := &group{}
	if l, ok := obj["logic"]; ok {
		var s string
		if json.Unmarshal(l, &s) != nil || (s != "AND" && s != "OR") {
			v.add("enum", append(loc, "logic"), "Input should be 'AND' or 'OR'", decoded(l), map[string]any{"expected": "'AND' or 'OR'"})
		}
		g.or = s == "OR"
	}
	filters, ok := obj["filters"]
	if !ok {
		v.add("missing", append(loc, "filters"), "Field required", decodedObject(obj), nil)
		return g, ""
	}
	var items []json.RawMessage
	if json.Unmarshal(filters, &items) != nil {
		v.add("list_type", append(loc, "filters"), "Input should be a valid list", decoded(filters), nil)
		return g, ""
	}
	var bad badFilter
	for n, item := range items {
		iloc := append(slices.Clone(loc), "filters", n)
		var probe map[string]json.RawMessage
		_ = json.Unmarshal(item, &probe)
		if _, nested := probe["filters"]; nested {
			sub, b := parseGroup(v, item, iloc)
			g.groups = append(g.groups, sub)
			bad = cmp.Or(bad, b)
			continue
		}
		c, b := parseFilter(v, probe, item, iloc)
		g.conds = append(g.conds, c)
		bad = cmp.Or(bad, b)
	}
	return g, bad
}

func parseISO(s string) (time.Time, bool) {
	t, err := convert.ParseTime(s)
	return t, err == nil && strings.ContainsAny(s, "-T")
}

func decoded(raw json.RawMessage) any {
	var x any
	_ = json.Unmarshal(raw, &x)
	return x
}

func decodedObject(obj map[string]json.RawMessage) any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = decoded(v)
	}
	return out
}

// matches evaluates the group on a request log.
func (g *group) matches(r logRef) bool {
	if g == nil {
		return true
	}
	n := 0
	for _, c := range g.conds {
		if c.matches(r) {
			n++
		}
	}
	for _, sub := range g.groups {
		if sub.matches(r) {
			n++
		}
	}
	if g.or {
		return n > 0 || len(g.conds)+len(g.groups) == 0
	}
	return n == len(g.conds)+len(g.groups)
}

// bounds is the request_start_time range a group confines the logs to, for
// the index scan (zero: open).
func (g *group) bounds() (from, to time.Time) {
	if g == nil || g.or {
		return time.Time{}, time.Time{}
	}
	for _, c := range g.conds {
		if c.field != "request_start_time" {
			continue
		}
		switch c.op {
		case "between", "is":
			from, to = later(from, c.from), earlier(to, c.to)
		case "after":
			from = later(from, c.from)
		case "before":
			to = earlier(to, c.from)
		}
	}
	return from, to
}

func later(a, b time.Time) time.Time {
	if a.IsZero() || b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if a.IsZero() || b.Before(a) {
		return b
	}
	return a
}

// searchPage lists the matching request logs at now, sorted, and renders
// the requested page. The shift fault pretends items were inserted at the
// head since page 1 (they push later pages down, so items repeat); the
// duplicate fault repeats the end of the previous page at the start of this
// one (the page is longer by that much).
func (h *handler) searchPage(r *http.Request, req searchRequest, now time.Time) []byte {
	from, to := req.filter.bounds()
	list := h.index.logs(from, to, now, req.filter.matches)
	sortLogs(list, req, now)

	ctx := r.Context()
	h.mu.Lock()
	if req.page == 1 {
		delete(h.shifted, req.key)
	}
	if f, ok := sim.ActiveFault(ctx, sim.FaultShift); ok {
		h.shifted[req.key] += f.Count
	}
	shifted := h.shifted[req.key]
	h.mu.Unlock()
	offset := (req.page-1)*req.perPage - shifted
	lo := min(max(offset, 0), len(list))
	hi := min(max(offset+req.perPage, 0), len(list))
	if f, ok := sim.ActiveFault(ctx, sim.FaultDuplicate); ok && req.page > 1 {
		// The page starts earlier, repeating the previous page's last
		// items; it still ends where it would have, so nothing is skipped.
		lo = min(max(offset-f.Count, 0), hi)
	}
	total := len(list) + shifted
	return h.renderSearch(list[lo:hi], req, total, now)
}

// sortLogs orders request logs by sort_by (default request_start_time) and
// sort_order (default desc), ties by id.
func sortLogs(list []logRef, req searchRequest, now time.Time) {
	desc := req.sortOrder != "asc"
	if req.sortBy == "" {
		desc = true
	}
	key := func(r logRef) float64 {
		l := r.log
		switch req.sortBy {
		case "input_tokens":
			return float64(l.in)
		case "output_tokens":
			return float64(l.out)
		case "cost":
			if l.pricedAt.After(now) {
				return -1 // null
			}
			return l.cost
		case "latency_ms":
			return float64(l.end.Sub(l.start).Microseconds())
		case "status":
			if l.failed {
				return 1 // ERROR before SUCCESS
			}
			return 2
		}
		return float64(l.start.UnixMicro())
	}
	slices.SortStableFunc(list, func(a, b logRef) int {
		c := cmp.Compare(key(a), key(b))
		if desc {
			c = -c
		}
		if c == 0 {
			c = cmp.Compare(a.log.id, b.log.id)
		}
		return c
	})
}
