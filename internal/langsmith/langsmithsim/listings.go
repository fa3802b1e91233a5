package langsmithsim

import (
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// tracesQueryBody is query.QueryTracesRequestBody.
type tracesQueryBody struct {
	ProjectID    string   `json:"project_id"`
	MinStartTime string   `json:"min_start_time"`
	MaxStartTime string   `json:"max_start_time"`
	TraceFilter  string   `json:"trace_filter"`
	TreeFilter   string   `json:"tree_filter"`
	TraceIDs     []string `json:"trace_ids"`
	Selects      []string `json:"selects"`
	PageSize     *int     `json:"page_size"`
	Cursor       string   `json:"cursor"`
}

// tracesQuery serves POST /api/v2/traces/query: the root runs whose start
// lies in [min_start_time, max_start_time) and that pass trace_filter,
// newest first.
func (h *handler) tracesQuery(w http.ResponseWriter, r *http.Request, now time.Time) {
	var b tracesQueryBody
	if e := decodeBody(r, &b); e != nil {
		h.refuse(w, r, e)
		return
	}
	e := h.checkProject(b.ProjectID)
	if e == nil {
		e = noFilters(b.TreeFilter)
	}
	rf, ef := parseRootFilter("trace_filter", b.TraceFilter)
	lo, hi, e2 := window(b.MinStartTime, b.MaxStartTime, now.Add(-24*time.Hour), now)
	size, e3 := pageSize(b.PageSize, 20, 100)
	sel, e4 := selects(b.Selects, runSelectFields, "id")
	qh := queryHash("traces", b.ProjectID, b.MinStartTime, b.MaxStartTime, strings.Join(b.TraceIDs, ","), strings.Join(b.Selects, ","), b.TraceFilter)
	pos, e5 := decodeCursor(b.Cursor, qh)
	if e = firstOf(e, ef, e2, e3, e4, e5); e != nil {
		h.refuse(w, r, e)
		return
	}
	ids := map[string]bool{}
	for _, id := range b.TraceIDs {
		ids[strings.ToLower(id)] = true
	}
	var infos []*traceInfo
	from, to := h.index.startRange(lo, hi, now)
	for i := to - 1; i >= from; i-- {
		info, ok := h.listedRoot(i, now)
		if ok && info.start.Before(hi) && (len(ids) == 0 || ids[uuidString(info.id)]) && h.passes(rf, info, now) {
			infos = append(infos, info)
		}
	}
	page, more := pageOf(infos, size, func(t *traceInfo) bool { return after(pos, startKey(t.start), uuidString(t.id), false) })
	page = withDuplicates(r, infos, page)
	rootSel, aggSel := fields{}, fields{}
	for f := range sel {
		if traceAggregateFields[strings.ToUpper(f)] {
			aggSel[f] = true
		} else {
			rootSel[f] = true
		}
	}
	items := make([]any, 0, len(page))
	for _, info := range page {
		v := h.view(info, now)
		item := map[string]any{"root_run": v.run(0, rootSel)}
		if len(aggSel) > 0 {
			item["trace_aggregates"] = v.aggregates(aggSel)
		}
		items = append(items, item)
	}
	out := map[string]any{"items": items}
	if more {
		last := page[len(page)-1]
		out["next_cursor"] = encodeCursor(position{Key: startKey(last.start), ID: uuidString(last.id), Query: qh})
	}
	writeJSON(w, http.StatusOK, out)
}

func firstOf(es ...*badRequest) *badRequest {
	for _, e := range es {
		if e != nil {
			return e
		}
	}
	return nil
}

// pageOf returns the first size items after the cursor (keep says which
// come after it) and whether more follow.
func pageOf[T any](all []T, size int, keep func(T) bool) ([]T, bool) {
	start := slices.IndexFunc(all, keep)
	if start < 0 {
		return nil, false
	}
	end := min(start+size, len(all))
	return all[start:end], end < len(all)
}

// withDuplicates repeats, under the duplicate fault, the Count items served
// just before this page at its head (an at-least-once page boundary).
func withDuplicates[T comparable](r *http.Request, all, page []T) []T {
	f, ok := sim.ActiveFault(r.Context(), sim.FaultDuplicate)
	if !ok || len(page) == 0 {
		return page
	}
	at := slices.Index(all, page[0])
	if at <= 0 {
		return page
	}
	return append(slices.Clone(all[max(at-f.Count, 0):at]), page...)
}

// aggregates are the trace_aggregates: totals over every run of the trace.
func (v *runView) aggregates(sel fields) map[string]any {
	var tokens int
	var cost float64
	var first time.Time
	for k := range v.tr.Spans {
		s := &v.tr.Spans[k]
		if !v.exists(k) || !v.ended(k) || (s.Kind != sim.KindLLM && s.Kind != sim.KindEmbedding) {
			continue
		}
		tokens += s.Usage.Total()
		cost += s.Cost
		if ft := v.firstToken(k); ft != nil && (first.IsZero() || v.ttft(s).Before(first)) {
			first = v.ttft(s)
		}
	}
	out := map[string]any{}
	if sel["total_tokens"] {
		out["total_tokens"] = tokens
	}
	if sel["total_cost"] {
		out["total_cost"] = round9(cost)
	}
	if sel["first_token_time"] && !first.IsZero() {
		out["first_token_time"] = timeText(first)
	}
	return out
}

// traceRuns serves GET /api/v2/traces/{trace_id}/runs: the runs of a trace
// whose start lies within both bounds (inclusive; both or neither), in start
// order, no cursor.
func (h *handler) traceRuns(w http.ResponseWriter, r *http.Request, traceID string, now time.Time) {
	q := r.URL.Query()
	u, ok := convert.UUIDBytes(traceID)
	e := h.checkProject(q.Get("project_id"))
	if e == nil && !ok {
		e = unprocessable("trace_id: invalid UUID " + traceID)
	}
	minS, maxS := q.Get("min_start_time"), q.Get("max_start_time")
	if e == nil && (minS == "") != (maxS == "") {
		e = unprocessable("min_start_time and max_start_time must be passed together")
	}
	lo, hi, e2 := window(minS, maxS, time.Time{}, time.Time{})
	sel, e3 := querySelects(r, runSelectFields, "id")
	if e = firstOf(e, noFilters(q.Get("filter")), e2, e3); e != nil {
		h.refuse(w, r, e)
		return
	}
	items := []any{}
	if info, ok := h.index.byID(u, now); ok {
		v := h.view(info, now)
		order := make([]int, 0, len(info.runs))
		for k := range info.runs {
			st := info.runs[k].start
			if v.exists(k) && (lo.IsZero() || !st.Before(lo)) && (hi.IsZero() || !st.After(hi)) {
				order = append(order, k)
			}
		}
		slices.SortStableFunc(order, func(a, b int) int { return info.runs[a].start.Compare(info.runs[b].start) })
		for _, k := range order {
			items = append(items, v.run(k, sel))
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

// runsQueryBody is query.QueryRunsRequestBody.
type runsQueryBody struct {
	ProjectIDs         []string `json:"project_ids"`
	ReferenceDatasetID string   `json:"reference_dataset_id"`
	MinStartTime       string   `json:"min_start_time"`
	MaxStartTime       string   `json:"max_start_time"`
	Filter             string   `json:"filter"`
	TraceFilter        string   `json:"trace_filter"`
	TreeFilter         string   `json:"tree_filter"`
	IsRoot             *bool    `json:"is_root"`
	TraceID            string   `json:"trace_id"`
	Selects            []string `json:"selects"`
	PageSize           *int     `json:"page_size"`
	Cursor             string   `json:"cursor"`
}

// runRef is one listed run.
type runRef struct {
	info *traceInfo
	k    int
}

// runsQuery serves POST /api/v2/runs/query: the runs whose start lies in
// [min_start_time, max_start_time], newest first.
func (h *handler) runsQuery(w http.ResponseWriter, r *http.Request, now time.Time) {
	var b runsQueryBody
	if e := decodeBody(r, &b); e != nil {
		h.refuse(w, r, e)
		return
	}
	var e *badRequest
	switch {
	case len(b.ProjectIDs) == 0 && b.ReferenceDatasetID == "":
		e = invalid("project_ids or reference_dataset_id is required")
	case len(b.ProjectIDs) > 0 && b.ReferenceDatasetID != "":
		e = invalid("set exactly one of project_ids and reference_dataset_id")
	case b.ReferenceDatasetID != "":
		e = &badRequest{http.StatusNotFound, "Not Found", "dataset not found"}
	default:
		for _, id := range b.ProjectIDs {
			if e = h.checkProject(id); e != nil {
				break
			}
		}
	}
	lo, hi, e2 := window(b.MinStartTime, b.MaxStartTime, now.Add(-24*time.Hour), now)
	size, e3 := pageSize(b.PageSize, 100, 1000)
	sel, e4 := selects(b.Selects, runSelectFields, "id")
	qh := queryHash("runs", strings.Join(b.ProjectIDs, ","), b.MinStartTime, b.MaxStartTime, b.TraceID, strings.Join(b.Selects, ","))
	if b.IsRoot != nil {
		qh = queryHash(qh, "root", map[bool]string{true: "t", false: "f"}[*b.IsRoot])
	}
	pos, e5 := decodeCursor(b.Cursor, qh)
	if e = firstOf(e, noFilters(b.Filter, b.TraceFilter, b.TreeFilter), e2, e3, e4, e5); e != nil {
		h.refuse(w, r, e)
		return
	}
	refs := h.runsIn(lo, hi, now, strings.ToLower(b.TraceID), b.IsRoot)
	key := func(x runRef) (int64, string) {
		return startKey(x.info.runs[x.k].start), uuidString(x.info.runs[x.k].uuid)
	}
	page, more := pageOf(refs, size, func(x runRef) bool { k, id := key(x); return after(pos, k, id, false) })
	items := make([]any, 0, len(page))
	views := map[*traceInfo]*runView{}
	for _, x := range page {
		v := views[x.info]
		if v == nil {
			v = h.view(x.info, now)
			views[x.info] = v
		}
		items = append(items, v.run(x.k, sel))
	}
	out := map[string]any{"items": items}
	if more {
		k, id := key(page[len(page)-1])
		out["next_cursor"] = encodeCursor(position{Key: k, ID: id, Query: qh})
	}
	writeJSON(w, http.StatusOK, out)
}

// runsIn lists the existing runs whose start lies in [lo, hi], newest
// first. Runs start within their trace's first sim.MaxTraceLag.
func (h *handler) runsIn(lo, hi, now time.Time, traceID string, isRoot *bool) []runRef {
	var refs []runRef
	from, to := h.index.startRange(lo.Add(-sim.MaxTraceLag), hi, now)
	for i := from; i < to; i++ {
		info := h.index.info(i)
		if traceID != "" && uuidString(info.id) != traceID {
			continue
		}
		for k := range info.runs {
			ri := &info.runs[k]
			if ri.posted.After(now) || ri.start.Before(lo) || ri.start.After(hi) || (isRoot != nil && *isRoot != (k == 0)) {
				continue
			}
			refs = append(refs, runRef{info, k})
		}
	}
	slices.SortFunc(refs, func(a, b runRef) int {
		if c := b.info.runs[b.k].start.Compare(a.info.runs[a.k].start); c != 0 {
			return c
		}
		return strings.Compare(uuidString(b.info.runs[b.k].uuid), uuidString(a.info.runs[a.k].uuid))
	})
	return refs
}
