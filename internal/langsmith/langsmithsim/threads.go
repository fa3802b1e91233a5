package langsmithsim

import (
	"hash/fnv"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// threadsQueryBody is threads.QueryThreadsRequestBody.
type threadsQueryBody struct {
	ProjectID    string `json:"project_id"`
	MinStartTime string `json:"min_start_time"`
	MaxStartTime string `json:"max_start_time"`
	Filter       string `json:"filter"`
	ThreadFilter string `json:"thread_filter"`
	TraceFilter  string `json:"trace_filter"`
	TreeFilter   string `json:"tree_filter"`
	PageSize     *int   `json:"page_size"`
	Cursor       string `json:"cursor"`
}

// threadRow is one thread of a threads/query answer.
type threadRow struct {
	id     string
	last   time.Time // its latest root start in the window: the sort key
	traces []*traceInfo
}

// threadsQuery serves POST /api/v2/threads/query: the threads with a root
// run that started in [min_start_time, max_start_time) (one that passes
// trace_filter when given), most recent activity first. As documented, a page may hold fewer threads than
// page_size and still carry a cursor: one page in three is cut short.
func (h *handler) threadsQuery(w http.ResponseWriter, r *http.Request, now time.Time) {
	var b threadsQueryBody
	if e := decodeBody(r, &b); e != nil {
		h.refuse(w, r, e)
		return
	}
	e := h.checkProject(b.ProjectID)
	rf, ef := parseRootFilter("trace_filter", b.TraceFilter)
	lo, hi, e2 := window(b.MinStartTime, b.MaxStartTime, now.Add(-24*time.Hour), now)
	size, e3 := pageSize(b.PageSize, 20, 100)
	qh := queryHash("threads", b.ProjectID, b.MinStartTime, b.MaxStartTime, b.TraceFilter)
	pos, e4 := decodeCursor(b.Cursor, qh)
	if e = firstOf(e, noFilters(b.Filter, b.ThreadFilter, b.TreeFilter), ef, e2, e3, e4); e != nil {
		h.refuse(w, r, e)
		return
	}
	rows := h.threadRows(lo, hi, now)
	if rf != nil {
		// trace_filter: the threads with a trace in the window whose root
		// passes; the thread's summary still covers all its traces there.
		rows = slices.DeleteFunc(rows, func(row *threadRow) bool {
			return !slices.ContainsFunc(row.traces, func(info *traceInfo) bool { return h.passes(rf, info, now) })
		})
	}
	if size > 1 && b.Cursor != "" && shortPage(b.Cursor) {
		size = (size + 1) / 2
	}
	page, more := pageOf(rows, size, func(t *threadRow) bool { return after(pos, startKey(t.last), t.id, false) })
	page = withDuplicates(r, rows, page)
	items := make([]any, 0, len(page))
	for _, row := range page {
		items = append(items, h.threadItem(row, now))
	}
	out := map[string]any{"items": items}
	if more {
		last := page[len(page)-1]
		out["next_cursor"] = encodeCursor(position{Key: startKey(last.last), ID: last.id, Query: qh})
	}
	writeJSON(w, http.StatusOK, out)
}

// shortPage tells, from the cursor, which pages are cut short: one in
// three, the same on every try.
func shortPage(cursor string) bool {
	h := fnv.New64a()
	h.Write([]byte(cursor))
	return sim.Mix(h.Sum64())%3 == 0
}

// threadRows groups the listed traces of the window by thread.
func (h *handler) threadRows(lo, hi, now time.Time) []*threadRow {
	byID := map[string]*threadRow{}
	var rows []*threadRow
	from, to := h.index.startRange(lo, hi, now)
	for i := from; i < to; i++ {
		info, ok := h.listedRoot(i, now)
		if !ok || info.thread == "" || !info.start.Before(hi) {
			continue
		}
		row := byID[info.thread]
		if row == nil {
			row = &threadRow{id: info.thread}
			byID[info.thread] = row
			rows = append(rows, row)
		}
		row.traces = append(row.traces, info)
		row.last = info.start
	}
	slices.SortFunc(rows, func(a, b *threadRow) int {
		if c := b.last.Compare(a.last); c != 0 {
			return c
		}
		return strings.Compare(b.id, a.id)
	})
	return rows
}

// threadItem is threads.ThreadListItem over the thread's traces of the
// window.
func (h *handler) threadItem(row *threadRow, now time.Time) map[string]any {
	first, last := row.traces[0], row.traces[len(row.traces)-1]
	var tokens, errored int
	var cost float64
	var latencies []float64
	for _, info := range row.traces {
		v := h.view(info, now)
		agg := v.aggregates(fields{"total_tokens": true, "total_cost": true})
		tokens += agg["total_tokens"].(int)
		cost += agg["total_cost"].(float64)
		if v.ended(0) {
			latencies = append(latencies, v.tr.Spans[0].End.Sub(v.tr.Spans[0].Start).Seconds())
			if v.tr.Spans[0].Error != nil {
				errored++
			}
		}
	}
	item := map[string]any{
		"thread_id": row.id, "count": len(row.traces), "start_time": timeText(last.start),
		"min_start_time": timeText(first.start), "max_start_time": timeText(last.start),
		"first_trace_id": uuidString(first.id), "last_trace_id": uuidString(last.id), "trace_id": uuidString(last.id),
		"total_tokens": tokens, "total_cost": round9(cost), "num_errored_turns": errored,
		"total_token_details": map[string]any{}, "total_cost_details": map[string]any{}, "feedback_stats": map[string]any{},
	}
	if len(latencies) > 0 {
		slices.Sort(latencies)
		item["latency_p50"] = latencies[len(latencies)/2]
		item["latency_p99"] = latencies[int(math.Ceil(0.99*float64(len(latencies))))-1]
	}
	return item
}

// threadTraces serves GET /api/v2/threads/{thread_id}/traces (the seed
// endpoint): every listed trace of the thread whose root passes filter,
// oldest first, no time filter.
func (h *handler) threadTraces(w http.ResponseWriter, r *http.Request, now time.Time) {
	q := r.URL.Query()
	thread, ok := pathParam(r, threadsPrefix, "/traces")
	e := h.checkProject(q.Get("project_id"))
	if e == nil && !ok {
		e = invalid("thread_id: malformed")
	}
	var sizeP *int
	if s := q.Get("page_size"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			e = firstOf(e, invalid("page_size: not an integer"))
		}
		sizeP = &n
	}
	size, e2 := pageSize(sizeP, 20, 100)
	sel, e3 := querySelects(r, threadTraceSelectFields, "trace_id")
	sel["trace_id"] = true // always returned
	qh := queryHash("thread", q.Get("project_id"), thread, strings.Join(q["selects"], ","), q.Get("filter"))
	pos, e4 := decodeCursor(q.Get("cursor"), qh)
	rf, ef := parseRootFilter("filter", q.Get("filter"))
	if e = firstOf(e, ef, e2, e3, e4); e != nil {
		h.refuse(w, r, e)
		return
	}
	var infos []*traceInfo
	for _, i := range h.index.threadTraces(thread, now) {
		if info, ok := h.listedRoot(i, now); ok && h.passes(rf, info, now) {
			infos = append(infos, info)
		}
	}
	page, more := pageOf(infos, size, func(t *traceInfo) bool { return after(pos, startKey(t.start), uuidString(t.id), true) })
	items := make([]any, 0, len(page))
	for _, info := range page {
		items = append(items, h.view(info, now).threadTrace(sel))
	}
	out := map[string]any{"items": items}
	if more {
		last := page[len(page)-1]
		out["next_cursor"] = encodeCursor(position{Key: startKey(last.start), ID: uuidString(last.id), Query: qh})
	}
	writeJSON(w, http.StatusOK, out)
}

// opCodes is the simulator's numeric op of each run type: LangSmith
// documents no mapping ("a numeric code ... for compatibility with legacy
// clients").
var opCodes = map[string]int{typeTool: 1, typeChain: 2, typeLLM: 3, typeRetriever: 4, typeEmbedding: 5}

// threadTrace renders threads.ThreadTraceListItem: the root run's fields,
// tokens and costs summed over the trace.
func (v *runView) threadTrace(sel fields) map[string]any {
	root := v.run(0, fields{"start_time": true, "end_time": true, "latency_seconds": true, "first_token_time": true,
		"error": true, "error_preview": true, "inputs": true, "outputs": true, "inputs_preview": true, "outputs_preview": true, "name": true})
	agg := v.aggregates(fields{"total_tokens": true, "total_cost": true})
	var u sim.Usage
	for k := range v.tr.Spans {
		if s := &v.tr.Spans[k]; v.exists(k) && v.ended(k) && (s.Kind == sim.KindLLM || s.Kind == sim.KindEmbedding) {
			u.Input, u.Output = u.Input+s.Usage.Input, u.Output+s.Usage.Output
		}
	}
	all := map[string]any{
		"thread_id": v.info.thread, "trace_id": uuidString(v.info.id), "op": opCodes[runType(v.tr.Spans[0].Kind)],
		"prompt_tokens": u.Input, "completion_tokens": u.Output, "total_tokens": agg["total_tokens"],
		"total_cost": agg["total_cost"], "prompt_cost": 0.0, "completion_cost": agg["total_cost"],
		"latency": root["latency_seconds"], "prompt_token_details": details(nil), "completion_token_details": details(nil),
		"prompt_cost_details": details(nil), "completion_cost_details": details(nil),
	}
	if end, ok := root["end_time"]; ok {
		all["end_time"] = end
	}
	for _, k := range []string{"start_time", "first_token_time", "error", "error_preview", "inputs", "outputs", "inputs_preview", "outputs_preview", "name"} {
		if val, ok := root[k]; ok {
			all[k] = val
		}
	}
	out := make(map[string]any, len(sel))
	for k := range sel {
		if val, ok := all[k]; ok && (val != nil || k == "end_time") {
			out[k] = val
		}
	}
	return out
}
