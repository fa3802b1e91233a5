package langtracesim

import (
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// The keyword filter (the body's `keyword`, the only filter Langtrace
// honours for an API key). Langtrace's query builder lowercases it and adds
//
//	lower(CAST(attributes AS String)) LIKE '%kw%' OR
//	arrayExists(x -> lower(CAST(x AS String)) LIKE '%kw%', JSONExtractArrayRaw(events))
//
// to the WHERE clause of both the ranking subquery and the outer query
// (lib/services/query_builder_service.ts, GetTracesWithFilters): only the
// matching spans are read, traces are ranked by the earliest start among
// their matching spans, and each trace's group holds its matching spans
// only; total_pages counts the traces with a matching span. The keyword is
// matched as a plain substring of the stored JSON text (Langtrace escapes %
// and _ before the LIKE). The keyword is pasted into the SQL between single
// quotes: one with a quote fails the query, answered with the route's
// generic 400, as is a keyword that is not a string (toLowerCase throws).

// spanMatches reports whether the keyword kw (lowercase) is in span s's
// attributes column or in one of the elements of its events column, as
// trace i's ingest path stores them.
func spanMatches(rd renderer, tr *sim.Trace, s *sim.Span, kw string) bool {
	if strings.Contains(strings.ToLower(string(rd.attributes(tr, s))), kw) {
		return true
	}
	var events []json.RawMessage
	if json.Unmarshal(rd.events(s), &events) != nil {
		return false
	}
	for _, e := range events {
		if strings.Contains(strings.ToLower(string(e)), kw) {
			return true
		}
	}
	return false
}

// keywordIndex remembers, for the last keyword asked, which spans of each
// trace match, with the times that decide when and where they are listed.
type keywordIndex struct {
	data *sim.Dataset

	mu     sync.Mutex
	kw     string
	traces map[int][]keywordSpan
}

type keywordSpan struct {
	id            pcommon.SpanID
	appear, start time.Time
}

// matching returns the matching spans of trace i.
func (x *keywordIndex) matching(i int, kw string) []keywordSpan {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.kw != kw || x.traces == nil {
		x.kw, x.traces = kw, map[int][]keywordSpan{}
	}
	if spans, ok := x.traces[i]; ok {
		return spans
	}
	tr := x.data.Trace(i)
	rd := newRenderer(i)
	spans := []keywordSpan{}
	for k := range tr.Spans {
		s := &tr.Spans[k]
		if spanMatches(rd, &tr, s, kw) {
			spans = append(spans, keywordSpan{id: s.ID, appear: appearAt(s), start: s.Start})
		}
	}
	x.traces[i] = spans
	return spans
}

// list is what Langtrace lists at now for the keyword kw: the traces with a
// matching span it holds, ranked by the earliest start among those spans
// (the stored strings, descending; ties to the higher index).
func (x *keywordIndex) list(now time.Time, kw string) listing {
	type ranked struct {
		index int
		key   string
	}
	var all []ranked
	for i := range x.data.IndexAt(now) {
		var first time.Time
		for _, s := range x.matching(i, kw) {
			if !s.appear.After(now) && (first.IsZero() || s.start.Before(first)) {
				first = s.start
			}
		}
		if !first.IsZero() {
			all = append(all, ranked{i, newRenderer(i).time(first)})
		}
	}
	slices.SortFunc(all, func(a, b ranked) int {
		if c := strings.Compare(b.key, a.key); c != 0 {
			return c
		}
		return b.index - a.index
	})
	l := listing{head: make([]int, len(all))}
	for k, r := range all {
		l.head[k] = r.index
	}
	return l
}

// selects reports whether span id of trace i matches kw.
func (x *keywordIndex) selects(i int, kw string, id pcommon.SpanID) bool {
	return slices.ContainsFunc(x.matching(i, kw), func(s keywordSpan) bool { return s.id == id })
}
