package langwatchsim

import (
	"cmp"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// scrollCursor is LangWatch's ClickHouseScrollCursor, base64 JSON in the
// scrollId.
type scrollCursor struct {
	LastTimestamp int64  `json:"lastTimestamp"`
	LastTraceID   string `json:"lastTraceId"`
	PageSize      int    `json:"pageSize"`
	SortDirection string `json:"sortDirection"`
	DateField     string `json:"dateField,omitempty"`
	ScrollStart   *int64 `json:"scrollStart,omitempty"`
}

// row is a trace of a search with its position on the axis.
type row struct {
	x   *traceInfo
	key int64 // epoch ms on the axis
}

// pagination is the answer's pagination; nil members are left out.
type pagination struct {
	TotalHits      int     `json:"totalHits"`
	ScrollID       *string `json:"scrollId,omitempty"`
	UpdatedThrough *int64  `json:"updatedThrough,omitempty"`
}

// search runs a search the way getAllTracesForProject does.
func (h *handler) search(r *http.Request, req searchRequest, legacy bool) []byte {
	now := h.env.Now()
	cur := parseCursor(req)
	updatedAxis := req.dateField == "updated"
	versionAt, scrollStart, end := now, (*int64)(nil), req.end
	if updatedAxis {
		versionAt, scrollStart, end = h.snapshot(cur, now, end)
	}
	rows := h.rows(req, end, versionAt, now, updatedAxis)
	total := len(rows)
	rows = h.afterCursor(r, rows, cur, req.sortDirection)
	if len(rows) > req.pageSize {
		rows = rows[:req.pageSize]
	}
	v := view{summaryAt: versionAt, spansAt: now, spans: req.includeSpans && !legacy}
	traces := make([]any, 0, len(rows))
	var last traceJSON
	for _, rw := range rows {
		t := h.render(rw.x, v)
		last = t
		switch {
		case req.format == "digest":
			traces = append(traces, h.digest(t, legacy))
			continue
		case !legacy:
			t.PlatformURL = h.platformURL(t.TraceID)
		}
		traces = append(traces, t)
	}
	p := pagination{TotalHits: total}
	if len(rows) == req.pageSize && len(rows) > 0 {
		p.ScrollID = nextCursor(req, last, scrollStart, legacy)
	}
	if scrollStart != nil {
		p.UpdatedThrough = &end
	}
	// LangWatch streams the traces first, then the pagination.
	return marshal(struct {
		Traces     []any      `json:"traces"`
		Pagination pagination `json:"pagination"`
	}{traces, p})
}

// snapshot pins the updated axis's scroll: each trace is read at its latest
// version no later than the scroll's start, pinned on page 1 and carried in
// the cursor (a cursor without it leaves the scroll uncapped); the window
// ends there at the latest.
func (h *handler) snapshot(cur *scrollCursor, now time.Time, end int64) (versionAt time.Time, scrollStart *int64, newEnd int64) {
	versionAt = now
	switch {
	case cur == nil:
		s := h.stamp(now)
		scrollStart = &s
	case cur.ScrollStart != nil:
		scrollStart = cur.ScrollStart
	}
	if scrollStart == nil {
		return versionAt, nil, end
	}
	// UpdatedAt has millisecond precision: the snapshot holds what changed
	// up to the end of scrollStart's millisecond.
	if v := time.UnixMilli(*scrollStart).Add(h.lag + time.Millisecond - 1); v.Before(now) {
		versionAt = v
	}
	return versionAt, scrollStart, min(end, *scrollStart)
}

// nextCursor mints the scrollId after a full page. It seeks on the axis's
// column but, on the occurred axis, takes the last trace's reported
// started_at (which can be before its OccurredAt), as LangWatch does.
func nextCursor(req searchRequest, last traceJSON, scrollStart *int64, legacy bool) *string {
	c := scrollCursor{LastTraceID: last.TraceID, PageSize: req.pageSize, SortDirection: req.sortDirection, ScrollStart: scrollStart}
	c.LastTimestamp = last.Timestamps.StartedAt
	if req.dateField == "updated" {
		c.LastTimestamp = last.Timestamps.UpdatedAt
	}
	if !legacy {
		c.DateField = req.dateField
	}
	raw, _ := json.Marshal(c)
	s := base64.StdEncoding.EncodeToString(raw)
	return &s
}

// parseCursor reads the request's scrollId; a cursor that does not decode,
// or was minted for another pageSize, sortDirection or dateField, is
// ignored: the scroll silently starts again.
func parseCursor(req searchRequest) *scrollCursor {
	if req.scrollID == "" {
		return nil
	}
	raw, err := base64.StdEncoding.DecodeString(req.scrollID)
	if err != nil {
		return nil
	}
	var c scrollCursor
	if json.Unmarshal(raw, &c) != nil {
		return nil
	}
	field := cmp.Or(c.DateField, "occurred")
	if c.SortDirection != req.sortDirection || c.PageSize != req.pageSize || field != req.dateField ||
		(c.ScrollStart != nil && *c.ScrollStart <= 0) {
		return nil
	}
	return &c
}

// rows lists the traces of the window, ordered on the axis then trace_id.
func (h *handler) rows(req searchRequest, end int64, versionAt, now time.Time, updatedAxis bool) []row {
	var lo, hi int
	if updatedAxis {
		// A trace changes from its start until maxChangeLag later.
		lo, hi = h.index.startedBetween(time.UnixMilli(req.start).Add(h.lag-maxChangeLag), time.UnixMilli(end).Add(h.lag), now)
	} else {
		// Its anchor is the start of one of its spans.
		lo, hi = h.index.startedBetween(time.UnixMilli(req.start).Add(-sim.MaxTraceLag), time.UnixMilli(end), now)
	}
	var rows []row
	for i := lo; i < hi; i++ {
		x := h.index.info(i)
		if !x.exists(versionAt) || (len(req.traceIDs) > 0 && !slices.Contains(req.traceIDs, x.id)) ||
			(len(req.filters) > 0 && !x.filtersMatch(req.filters, versionAt)) {
			continue
		}
		key := x.anchor().UnixMilli()
		if updatedAxis {
			key = h.stamp(x.updated(versionAt))
		}
		if key >= req.start && key <= end {
			rows = append(rows, row{x, key})
		}
	}
	desc := req.sortDirection == "desc"
	slices.SortFunc(rows, func(a, b row) int {
		c := cmp.Or(cmp.Compare(a.key, b.key), strings.Compare(a.x.id, b.x.id))
		if desc {
			return -c
		}
		return c
	})
	return rows
}

// afterCursor drops the rows up to the cursor. The duplicate fault steps
// back over Count rows of the previous page.
func (h *handler) afterCursor(r *http.Request, rows []row, cur *scrollCursor, dir string) []row {
	if cur == nil {
		return rows
	}
	desc := dir == "desc"
	k := slices.IndexFunc(rows, func(rw row) bool {
		c := cmp.Or(cmp.Compare(rw.key, cur.LastTimestamp), strings.Compare(rw.x.id, cur.LastTraceID))
		if desc {
			return c < 0
		}
		return c > 0
	})
	if k < 0 {
		return nil
	}
	if f, ok := sim.ActiveFault(r.Context(), sim.FaultDuplicate); ok {
		k = max(k-f.Count, 0)
	}
	return rows[k:]
}

// digest is a trace in format "digest".
func (h *handler) digest(t traceJSON, legacy bool) map[string]any {
	d := map[string]any{
		"trace_id": t.TraceID, "formatted_trace": asciiTree(t.Spans), "input": t.Input, "output": t.Output,
		"timestamps": t.Timestamps, "metadata": t.Metadata, "error": t.Error, "evaluations": t.Evaluations,
	}
	if !legacy {
		d["platformUrl"] = h.platformURL(t.TraceID)
	}
	return d
}
