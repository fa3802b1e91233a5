package opik

import (
	"context"
	"math"
	"net/url"
	"slices"
	"sort"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// How the spans of a page of traces are read.
//
// The spans of a trace have UUIDv7 ids minted when each span started, at or
// after the trace's start, so the spans of a page of traces are read in bulk
// with GET /v1/private/spans over a from_time/to_time window and grouped by
// trace_id:
//
//   - the window starts spanWindowSlack before the page's oldest trace (ids
//     minted slightly before their trace's, clocks that disagree a little);
//   - it ends where the page's traces end (now for running ones), unless
//     reading that far costs more requests than reading the traces that run
//     past it one by one (chooseEnd);
//   - pages go from the newest traces to the oldest, so the windows of
//     consecutive pages join up: a page reads only what the pages before it
//     did not, and spans of traces on later pages wait in a cache (sweep);
//   - a trace that runs past the window, that has fewer spans than its
//     span_count, or that shows up on a second page (pages shift when traces
//     are inserted) is read with GET /v1/private/spans?trace_id=;
//   - a trace whose spans were all there and ended when last read (as many
//     as its span_count) and whose last_updated_at and span_count have not
//     changed since is not read again (settledCache): the overlap window the
//     engine reads on every poll then costs span requests only for traces
//     that changed.
const (
	spanWindowSlack = 5 * time.Second
	// maxCachedSpans bounds the sweep's cache; past it the sweep ends and
	// the next page starts a new one.
	maxCachedSpans = 20000
	// maxSettledSpans bounds the settled cache; past it traces are not
	// added (they are read again next time).
	maxSettledSpans = 20000
)

// sweep is the span reading state of the query being read. A page that does
// not continue the sweep (the first page, a page read again after an error,
// a token used after a restart) starts a new one and reads its whole window.
type sweep struct {
	q    poll.Query
	next int // the page that continues this sweep
	// end is where the first page's window ended: traces that may have spans
	// after it are read per trace.
	end time.Time
	// low is the start of the part already read: [low, end] is done.
	low   time.Time
	cache map[string][]*record // spans of traces on later pages, by trace id
	held  int                  // spans in cache
	// seen are the traces of the pages read; one seen again is read per
	// trace, as its spans were handed out with its first page.
	seen map[string]struct{}
}

// spansOf reads the spans of a page of traces, keyed by trace id, each
// trace's spans in id (creation) order.
func (s *source) spansOf(ctx context.Context, q poll.Query, page int, traces []record) (map[string][]*record, error) {
	r := s.newPageRead(q, page, traces)
	r.takeCached()
	from, w, err := r.readWindow(ctx)
	if err != nil {
		return nil, err
	}
	if err := r.readPerTrace(ctx, from, w); err != nil {
		return nil, err
	}
	r.keepSweep()
	return r.collect(), nil
}

// pageRead is the reading of one page's spans.
type pageRead struct {
	s      *source
	q      poll.Query
	page   int
	now    time.Time
	traces []record
	sw     *sweep
	// need are the page's traces whose spans must be read (the others are
	// in the settled cache); out holds the result, groups the spans read
	// so far per trace to read.
	need   []*record
	out    map[string][]*record
	groups map[string]map[string]*record
	oldest string // the smallest trace id of the page
	lists  int    // span list reads, for the log
}

// newPageRead takes the settled traces from the cache and continues the
// sweep, or starts a new one (the first page, a page read again after an
// error, a token used after a restart: the sweep was reset by FetchPage).
func (s *source) newPageRead(q poll.Query, page int, traces []record) *pageRead {
	r := &pageRead{s: s, q: q, page: page, now: s.now().UTC(), traces: traces,
		out: make(map[string][]*record, len(traces)), oldest: traces[0].ID}
	for i := range traces {
		tr := &traces[i]
		r.oldest = min(r.oldest, tr.ID)
		if spans, ok := s.settled.get(tr); ok {
			r.out[tr.ID] = spans
			continue
		}
		r.need = append(r.need, tr)
	}
	sw := s.sweep
	s.sweep = nil // set again once this page succeeded
	if sw == nil || sw.q != q || sw.next != page {
		s.settled.evict(q.From.Add(-spanWindowSlack))
		sw = &sweep{q: q, cache: map[string][]*record{}, seen: map[string]struct{}{}}
	}
	if len(r.need) > 0 && sw.end.IsZero() {
		// The sweep's first page with spans to read sets its end.
		var to time.Time
		if page == 1 {
			to = q.To // no trace of the query starts after the first page's
		}
		sw.end = chooseEnd(spanWindows(r.need, r.now), r.need, s.pageSize, to)
		sw.low = sw.end.Add(spanWindowSlack)
	}
	r.sw = sw
	return r
}

// takeCached starts each trace's group with the spans an earlier page of the
// sweep read for it, and drops the page's traces from the sweep's cache.
func (r *pageRead) takeCached() {
	r.groups = make(map[string]map[string]*record, len(r.need))
	for _, tr := range r.need {
		g := make(map[string]*record, max(int(tr.SpanCount), 4))
		for _, sp := range r.sw.cache[tr.ID] {
			g[sp.ID] = sp
		}
		r.groups[tr.ID] = g
	}
	for i := range r.traces {
		r.sw.held -= len(r.sw.cache[r.traces[i].ID])
		delete(r.sw.cache, r.traces[i].ID)
	}
}

// add files a span read: under its trace when the page needs it (the most
// recently updated copy wins), else in the sweep's cache when its trace is
// on a later page of this query (a smaller id, not before the query).
func (r *pageRead) add(sp *record) {
	if g, ok := r.groups[sp.TraceID]; ok {
		if old, dup := g[sp.ID]; !dup || old.LastUpdatedAt <= sp.LastUpdatedAt {
			g[sp.ID] = sp
		}
		return
	}
	sw := r.sw
	if sp.TraceID >= r.oldest || sw.cache == nil {
		return
	}
	if t, ok := convert.UUIDv7Time(sp.TraceID); ok && t.Before(r.q.From.Add(-spanWindowSlack)) {
		return
	}
	sw.cache[sp.TraceID] = append(sw.cache[sp.TraceID], sp)
	if sw.held++; sw.held > maxCachedSpans {
		sw.cache, sw.held = nil, 0
	}
}

// readWindow reads the page's bulk window of spans, the part of it the
// sweep has not read yet, and returns where the sweep's read part now
// starts and the page's span windows.
func (r *pageRead) readWindow(ctx context.Context) (time.Time, windows, error) {
	var w windows
	from := r.sw.low
	if len(r.need) == 0 {
		return from, w, nil
	}
	w = spanWindows(r.need, r.now)
	if from = chooseStart(w, r.traces, r.sw.low, r.s.pageSize); from.Before(r.sw.low) {
		if err := r.s.listAll(ctx, "spans", r.s.window(from, r.sw.low), r.add); err != nil {
			return from, w, err
		}
		r.sw.low = from
		r.lists++
	}
	return from, w, nil
}

// readPerTrace reads one by one the traces the window did not cover whole:
// one that runs past it or starts before it, one with fewer spans than its
// span_count, one seen on an earlier page of the sweep.
func (r *pageRead) readPerTrace(ctx context.Context, from time.Time, w windows) error {
	for i, tr := range r.need {
		_, again := r.sw.seen[tr.ID]
		covered := !w.starts[i].Before(from.Add(spanWindowSlack)) && !w.horizons[i].After(r.sw.end)
		if !again && covered && (tr.SpanCount < 0 || int64(len(r.groups[tr.ID])) >= tr.SpanCount) {
			continue
		}
		r.groups[tr.ID] = map[string]*record{}
		err := r.s.listAll(ctx, "spans of trace "+tr.ID, url.Values{"trace_id": {tr.ID}}, func(sp *record) {
			if sp.TraceID == "" {
				sp.TraceID = tr.ID
			}
			r.add(sp)
		})
		if err != nil {
			return err
		}
		r.lists++
	}
	return nil
}

// keepSweep hands the sweep on to the next page.
func (r *pageRead) keepSweep() {
	for i := range r.traces {
		r.sw.seen[r.traces[i].ID] = struct{}{}
	}
	if r.sw.cache != nil {
		r.sw.next = r.page + 1
		r.s.sweep = r.sw
	}
}

// collect orders each trace's spans, remembers the settled ones and returns
// every trace's spans.
func (r *pageRead) collect() map[string][]*record {
	total := 0
	for _, tr := range r.need {
		g := r.groups[tr.ID]
		spans := make([]*record, 0, len(g))
		for _, sp := range g {
			spans = append(spans, sp)
		}
		slices.SortFunc(spans, func(a, b *record) int { return strings.Compare(a.ID, b.ID) })
		r.out[tr.ID] = spans
		total += len(spans)
		r.s.settled.put(tr, spans)
	}
	r.s.logger.Debug("Read Opik spans", zap.Int("page", r.page), zap.Int("traces", len(r.traces)),
		zap.Int("traces_read", len(r.need)), zap.Int("spans_read", total), zap.Int("span_lists", r.lists),
		zap.Int("cached", r.sw.held), zap.Int("settled", r.s.settled.spans))
	return r.out
}

// windows are where the span ids of some traces are expected.
type windows struct {
	minStart, maxStart time.Time
	starts, horizons   []time.Time // per trace: its start; its end, now while it runs
}

func spanWindows(traces []*record, now time.Time) windows {
	w := windows{starts: make([]time.Time, len(traces)), horizons: make([]time.Time, len(traces))}
	for i, tr := range traces {
		st, end := traceSpan(tr, now)
		w.starts[i], w.horizons[i] = st, end
		if w.minStart.IsZero() || st.Before(w.minStart) {
			w.minStart = st
		}
		if st.After(w.maxStart) {
			w.maxStart = st
		}
	}
	return w
}

// chooseEnd picks where a new sweep's window ends. Each trace that runs past
// the end costs one per-trace request; each extension past the newest trace
// costs the span pages it adds: the traces' own spans plus those of the
// other traces expected there, at the traces' rate. On the first page of a
// query no other trace of the query starts after its newest one, so only the
// time past the query's end (to) counts. It returns the end with the lowest
// estimated number of requests (the later one on a tie).
func chooseEnd(w windows, traces []*record, pageSize int, to time.Time) time.Time {
	spans := 0.0
	for _, tr := range traces {
		spans += float64(max(tr.SpanCount, 1))
	}
	perTrace := spans / float64(len(traces))
	known := w.maxStart // no other trace starts in [minStart, known]
	if to.After(known) {
		known = to
	}
	traceRate := float64(len(traces)) / float64(max(known.Sub(w.minStart), time.Second)) // traces per ns
	pages := func(end time.Time) float64 {
		others := traceRate * float64(max(end.Sub(known), 0)) * perTrace
		return math.Ceil((spans + others) / float64(pageSize))
	}
	ends := slices.Clone(w.horizons)
	slices.SortFunc(ends, func(a, b time.Time) int { return a.Compare(b) })
	best, bestCost := w.maxStart, math.Inf(1)
	for _, end := range ends {
		if end.Before(w.maxStart) {
			continue
		}
		past := len(ends) - sort.Search(len(ends), func(j int) bool { return ends[j].After(end) })
		if cost := pages(end) + float64(past); cost <= bestCost {
			best, bestCost = end, cost
		}
	}
	return best
}

// chooseStart picks where a page's bulk window starts, given that spans
// after upper are read already. Each trace to read that starts before it
// costs one per-trace request; each earlier start costs the span pages it
// adds, estimated from the span_count of all the page's traces (those that
// need no reading too) that start in the window. It returns the start with
// the lowest estimated number of requests (the earlier one on a tie).
func chooseStart(w windows, page []record, upper time.Time, pageSize int) time.Time {
	type point struct {
		at    time.Time
		spans float64
	}
	all := make([]point, 0, len(page))
	for i := range page {
		st, _ := traceSpan(&page[i], upper)
		if st.Before(upper) {
			all = append(all, point{st, float64(max(page[i].SpanCount, 1))})
		}
	}
	slices.SortFunc(all, func(a, b point) int { return b.at.Compare(a.at) }) // newest first
	starts := slices.Clone(w.starts)
	slices.SortFunc(starts, func(a, b time.Time) int { return b.Compare(a) }) // newest first

	best, bestCost := starts[len(starts)-1].Add(-spanWindowSlack), math.Inf(1)
	spans, j := 0.0, 0
	for i, st := range starts {
		for ; j < len(all) && !all[j].at.Before(st); j++ {
			spans += all[j].spans
		}
		older := len(starts) - 1 - i // traces left to read one by one
		if cost := math.Ceil(spans/float64(pageSize)) + float64(older); cost <= bestCost {
			best, bestCost = st.Add(-spanWindowSlack), cost
		}
	}
	if !best.Before(upper) {
		return upper
	}
	return best
}

// traceSpan returns the range in which a trace's span ids are expected: from
// the trace's start (the earlier of its id time and start_time) to its end
// (now while it runs).
func traceSpan(tr *record, now time.Time) (time.Time, time.Time) {
	start, ok := convert.UUIDv7Time(tr.ID)
	if st, err := convert.ParseTime(tr.StartTime); err == nil && (!ok || st.Before(start)) {
		start, ok = st, true
	}
	if !ok {
		start = now
	}
	end := now
	if tr.EndTime != "" {
		if e, err := convert.ParseTime(tr.EndTime); err == nil {
			end = e
		}
	}
	if end.Before(start) {
		end = start
	}
	return start, end
}

// settledCache keeps the spans of traces whose spans were all there and
// ended when read. An update of an ended span that changes neither the
// trace's span_count nor its last_updated_at (a feedback score, say) is not
// seen; the engine emits a span once anyway.
type settledCache struct {
	m     map[string]*settledTrace
	spans int
}

type settledTrace struct {
	updated string // the trace's last_updated_at
	count   int64  // its span_count
	at      time.Time
	spans   []*record
}

// get returns the spans of a trace read complete before and unchanged
// since: same last_updated_at, same span_count.
func (c *settledCache) get(tr *record) ([]*record, bool) {
	e := c.m[tr.ID]
	if e == nil || tr.SpanCount != e.count || tr.LastUpdatedAt != e.updated {
		return nil, false
	}
	return e.spans, true
}

// put remembers a trace's spans if they are complete: every span ended, and
// as many spans as the trace's span_count says. The trace itself may still
// run: a new span changes its span_count.
func (c *settledCache) put(tr *record, spans []*record) {
	if tr.SpanCount < 0 || int64(len(spans)) != tr.SpanCount {
		delete(c.m, tr.ID)
		return
	}
	for _, sp := range spans {
		if sp.EndTime == "" {
			return
		}
	}
	if c.m == nil {
		c.m = map[string]*settledTrace{}
	}
	if old := c.m[tr.ID]; old != nil {
		c.spans -= len(old.spans)
	} else if c.spans+len(spans) > maxSettledSpans {
		return
	}
	at, _ := traceSpan(tr, time.Time{})
	c.m[tr.ID] = &settledTrace{updated: tr.LastUpdatedAt, count: tr.SpanCount, at: at, spans: spans}
	c.spans += len(spans)
}

// evict forgets the traces that started before t: queries move forward.
func (c *settledCache) evict(t time.Time) {
	for id, e := range c.m {
		if e.at.Before(t) {
			c.spans -= len(e.spans)
			delete(c.m, id)
		}
	}
}
