package langwatch

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"slices"
	"time"

	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// How the legacy API is read.
//
// POST /api/trace/search never returns spans, and filters startDate /
// endDate on a hidden "occurred" anchor (the start of the first span the
// server received), which is at or after the started_at it reports. The
// source therefore windows on the reported started_at (a trace's Time) and
// asks the server for anchors in [from, to + legacyEndSlack]: every trace
// that started in the query's window is in there, whenever its first span
// arrived. The legacy scroll cursor is minted from started_at but compared
// with the anchor, so it can serve the same page forever; the source does
// not use it. It walks the window in sub-windows instead: a full page means
// the sub-window holds more traces than a page, and it is read again at
// half the width; a page that is not full is complete, and the next
// sub-window is sized from the density just seen. A millisecond that holds
// more than a page is read with a cursor at that exact millisecond.
//
// Each trace's spans come from GET /api/trace/{id}; a trace whose
// updated_at has not changed since the last read is taken from a cache.
const (
	// legacyEndSlack widens the anchor window past the query's end.
	legacyEndSlack = time.Hour
	// maxCacheBytes bounds the cached GET /api/trace/{id} answers.
	maxCacheBytes = 32 << 20
)

// legacyBody is the body of POST /api/trace/search, which rejects any key
// it does not know (HTTP 400): it carries only keys the endpoint has.
type legacyBody struct {
	StartDate     int64           `json:"startDate"`
	EndDate       int64           `json:"endDate"`
	PageSize      int             `json:"pageSize"`
	SortDirection string          `json:"sortDirection"`
	ScrollID      string          `json:"scrollId,omitempty"`
	Filters       json.RawMessage `json:"filters,omitempty"`
}

// legacyPage reads one sub-window of the query with the legacy API.
func (s *source) legacyPage(ctx context.Context, q poll.Query, tok token) (poll.Page, error) {
	from := q.From.UnixMilli()
	end := q.To.Add(legacyEndSlack).UnixMilli()
	a, w := from, end-from
	if tok.kind == tokWindow {
		a, w = tok.a, tok.w
	} else {
		s.cache.evictBefore(from)
	}
	hi := min(a+w, end)
	body := legacyBody{StartDate: a, EndDate: max(hi, a), PageSize: s.pageSize, SortDirection: sortAscending, Filters: s.filters}
	if tok.after != "" {
		ms := a
		body.ScrollID = encodeCursor(cursor{LastTimestamp: &ms, LastTraceID: tok.after, PageSize: s.pageSize, SortDirection: sortAscending})
	}
	raw, err := json.Marshal(body)
	if err != nil {
		return poll.Page{}, fmt.Errorf("langwatch: encoding request: %w", err)
	}
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodPost, Path: legacySearchPath, Header: s.header, Body: raw})
	if err != nil {
		return poll.Page{}, s.searchError("searching traces (legacy API)", err)
	}
	page, err := s.dec.decodeSearch(resp.Body)
	if err != nil {
		return poll.Page{}, fmt.Errorf("langwatch: searching traces (legacy API): %w", err)
	}
	out := poll.Page{Traces: make([]poll.Trace, 0, len(page.Traces))}
	for i := range page.Traces {
		tr, ok, err := s.legacyTrace(ctx, &page.Traces[i])
		if err != nil {
			return poll.Page{}, err
		}
		if ok {
			out.Traces = append(out.Traces, s.conv.trace(&tr, byStart))
		}
	}
	full := page.ScrollID != "" || len(page.Traces) >= s.pageSize
	out.Next = nextWindow(a, w, hi, end, full, page.Traces, s.pageSize)
	return out, nil
}

// nextWindow is the token of the sub-window after [a, hi] ("" when the
// query is done).
func nextWindow(a, w, hi, end int64, full bool, traces []traceRec, pageSize int) string {
	switch {
	case full && w > 0:
		return windowToken(a, w/2, "")
	case full && len(traces) > 0:
		// More than a page in one millisecond: go on after the last trace
		// (all of them share the anchor a, so a cursor at a is exact).
		return windowToken(a, 0, traces[len(traces)-1].TraceID)
	}
	next := hi + 1
	if next > end {
		return ""
	}
	// Aim at 3/4 of a page at the density just seen, growing at most 4x.
	grow := 4.0
	if n := len(traces); n > 0 {
		grow = min(grow, 0.75*float64(pageSize)/float64(n))
	}
	nw := int64(math.Max(1, float64(max(w, 1))*grow))
	return windowToken(next, min(nw, end-next), "")
}

// legacyTrace returns a trace of the legacy search with its spans and
// evaluations, from GET /api/trace/{id} or from the cache when its
// updated_at has not moved. ok is false when the trace is gone.
func (s *source) legacyTrace(ctx context.Context, listed *traceRec) (traceRec, bool, error) {
	if body := s.cache.get(listed.TraceID, listed.Updated); body != nil {
		if tr, err := s.dec.decodeTrace(body); err == nil {
			return tr, true, nil
		}
	}
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodGet, Path: legacyTracePath + url.PathEscape(listed.TraceID), Header: s.header})
	if err != nil {
		var se *poll.StatusError
		if errors.As(err, &se) && se.Status == http.StatusNotFound {
			s.logger.Debug("A listed trace is gone", zap.String("trace_id", listed.TraceID))
			return traceRec{}, false, nil
		}
		return traceRec{}, false, apiError("reading trace "+listed.TraceID+" (legacy API)", err)
	}
	tr, err := s.dec.decodeTrace(resp.Body)
	if err != nil {
		return traceRec{}, false, fmt.Errorf("langwatch: reading trace %s (legacy API): %w", listed.TraceID, err)
	}
	if tr.TraceID == "" {
		tr.TraceID = listed.TraceID
	}
	s.cache.put(listed.TraceID, tr.Updated, tr.Started, resp.Body)
	return tr, true, nil
}

// traceCache keeps GET /api/trace/{id} answers by trace and updated_at.
type traceCache struct {
	entries map[string]*cachedTrace
	bytes   int
}

type cachedTrace struct {
	updated, started int64
	body             []byte
}

func (c *traceCache) get(id string, updated int64) []byte {
	if e := c.entries[id]; e != nil && updated > 0 && e.updated == updated {
		return e.body
	}
	return nil
}

func (c *traceCache) put(id string, updated, started int64, body []byte) {
	if old := c.entries[id]; old != nil {
		c.bytes -= len(old.body)
		delete(c.entries, id)
	}
	if updated <= 0 || len(body) > maxCacheBytes/4 {
		return
	}
	c.entries[id] = &cachedTrace{updated: updated, started: started, body: body}
	c.bytes += len(body)
	if c.bytes > maxCacheBytes {
		c.shrink()
	}
}

// evictBefore forgets the traces that started before ms: queries move
// forward, and the engine ignores them.
func (c *traceCache) evictBefore(ms int64) {
	for id, e := range c.entries {
		if e.started < ms {
			c.bytes -= len(e.body)
			delete(c.entries, id)
		}
	}
}

// shrink forgets the oldest traces until the cache is at 3/4 of its bound.
func (c *traceCache) shrink() {
	type aged struct {
		id      string
		started int64
	}
	all := make([]aged, 0, len(c.entries))
	for id, e := range c.entries {
		all = append(all, aged{id, e.started})
	}
	slices.SortFunc(all, func(x, y aged) int { return cmp.Compare(x.started, y.started) })
	for _, a := range all {
		if c.bytes <= maxCacheBytes*3/4 {
			return
		}
		c.bytes -= len(c.entries[a.id].body)
		delete(c.entries, a.id)
	}
}
