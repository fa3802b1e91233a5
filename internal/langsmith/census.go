package langsmith

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// Why a census. LangSmith has no update-time filter and no run count per
// trace: a trace whose runs were all read may still get runs later (a late
// export batch, a root patched when it ends), so every query re-reads its
// window (the engine's overlap). Reading the runs of every trace of the
// overlap on every poll costs one request per trace per poll. Instead, at
// the start of a query the source lists the ids and end states of every run
// that started in the window with POST /api/v2/runs/query (1000 runs per
// request, four small fields each): a trace whose runs, ends and statuses
// are what they were when it was last read is answered from the cache of
// converted traces; only new and changed traces are read. A patch that
// changes a run but neither its end time nor its status (outputs written
// after the end) is not seen; the engine emits a span once anyway.
//
// Without the endpoint (404, 405 or 501: older self-hosted servers) every
// trace of the window is read on every poll.
const (
	censusPageSize = 1000
	// maxCachedSpans bounds the cache of converted traces; past it new
	// traces are not kept (they are read again next time).
	maxCachedSpans = 20000
)

// censusSelects are the Run fields a census needs.
var censusSelects = []string{"ID", "TRACE_ID", "END_TIME", "STATUS"}

// reads remembers converted traces and the census of the current query.
type reads struct {
	// census is the fingerprint of each trace's runs at the start of the
	// query; nil when no census was taken (everything is read).
	census   map[string]uint64
	disabled bool // runs/query is not offered
	cache    map[string]*cachedTrace
	spans    int
}

type cachedTrace struct {
	fp    uint64
	at    time.Time
	id    pcommon.TraceID
	spans int
	td    ptrace.Traces
}

func newReads() reads { return reads{cache: map[string]*cachedTrace{}} }

// cached returns a copy of a cached trace that the census shows unchanged.
func (r *reads) cached(id string) (poll.Trace, bool) {
	if r.census == nil {
		return poll.Trace{}, false
	}
	e := r.cache[id]
	fp, ok := r.census[id]
	if e == nil || !ok || fp != e.fp {
		return poll.Trace{}, false
	}
	td := ptrace.NewTraces()
	e.td.CopyTo(td)
	return poll.Trace{ID: e.id, Time: e.at, Spans: td}, true
}

// put keeps a copy of a converted trace (the engine takes ownership of
// tr) with the fingerprint of the runs it was converted from.
func (r *reads) put(id string, at time.Time, fp uint64, tr poll.Trace) {
	if old := r.cache[id]; old != nil {
		r.spans -= old.spans
		delete(r.cache, id)
	}
	n := tr.Spans.SpanCount()
	if r.spans+n > maxCachedSpans {
		return
	}
	td := ptrace.NewTraces()
	tr.Spans.CopyTo(td)
	r.cache[id] = &cachedTrace{fp: fp, at: at, id: tr.ID, spans: n, td: td}
	r.spans += n
}

// evict forgets the traces that started before t: queries move forward.
func (r *reads) evict(t time.Time) int {
	left := 0
	for id, e := range r.cache {
		if e.at.Before(t) {
			r.spans -= e.spans
			delete(r.cache, id)
			continue
		}
		left++
	}
	return left
}

// censusQuery is the body of POST /api/v2/runs/query.
type censusQuery struct {
	ProjectIDs   []string `json:"project_ids"`
	MinStartTime string   `json:"min_start_time"`
	MaxStartTime string   `json:"max_start_time"`
	Selects      []string `json:"selects"`
	PageSize     int      `json:"page_size"`
	Cursor       string   `json:"cursor,omitempty"`
}

// censusAnswer is the answer of POST /api/v2/runs/query.
type censusAnswer struct {
	Items []struct {
		ID      string  `json:"id"`
		TraceID string  `json:"trace_id"`
		EndTime *string `json:"end_time"`
		Status  string  `json:"status"`
	} `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// takeCensus starts a query: it forgets cached traces before the window and,
// when enough cached traces lie in it to pay for the census, takes one. A
// census that would cost more requests than it can save is abandoned.
func (s *source) takeCensus(ctx context.Context, q poll.Query) error {
	r := &s.reads
	r.census = nil
	inWindow := r.evict(q.From.Add(-runWindowSlack))
	if r.disabled || inWindow < 2 {
		return nil
	}
	body := censusQuery{
		ProjectIDs:   []string{s.projectID},
		MinStartTime: formatTime(q.From.Add(-runWindowSlack)),
		MaxStartTime: formatTime(s.now().Add(runWindowSlack)),
		Selects:      censusSelects,
		PageSize:     censusPageSize,
	}
	census := map[string]uint64{}
	for pages := 1; ; pages++ {
		b, err := jsonAPI.Marshal(body)
		if err != nil {
			return fmt.Errorf("langsmith: encoding the runs census: %w", err)
		}
		var a censusAnswer
		if err := s.post(ctx, runsQueryPath, b, "", "taking the runs census", &a); err != nil {
			return s.censusUnavailable(err)
		}
		for _, it := range a.Items {
			census[normUUID(it.TraceID)] += runHash(it.ID, it.EndTime, it.Status)
		}
		next := cursor(a.NextCursor)
		if next == "" {
			break
		}
		if next == body.Cursor || pages >= inWindow {
			s.logger.Debug("Runs census abandoned: it costs more than it saves", zap.Int("pages", pages), zap.Int("cached", inWindow))
			return nil
		}
		body.Cursor = next
	}
	r.census = census
	return nil
}

// censusUnavailable turns off the census on servers without runs/query;
// other errors fail the poll.
func (s *source) censusUnavailable(err error) error {
	var se *poll.StatusError
	if errors.As(err, &se) && (se.Status == http.StatusNotFound || se.Status == http.StatusMethodNotAllowed || se.Status == http.StatusNotImplemented) {
		s.reads.disabled = true
		s.logger.Warn("LangSmith offers no POST /api/v2/runs/query: every trace of the overlap is read on every poll", zap.Error(err))
		return nil
	}
	return err
}

// fingerprint sums the hashes of a trace's runs (order does not matter).
func fingerprint(runs []run) uint64 {
	var fp uint64
	for i := range runs {
		r := &runs[i]
		var end *string
		if r.EndTime != "" {
			end = &r.EndTime
		}
		fp += runHash(r.ID, end, r.Status)
	}
	return fp
}

// runHash hashes what the census compares of a run: its id, its end time
// (as an instant, whatever its spelling) and its status.
func runHash(id string, end *string, status string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(normUUID(id)))
	h.Write([]byte{0})
	if end != nil {
		if t, err := convert.ParseTime(*end); err == nil {
			h.Write(strconv.AppendInt(nil, t.UnixNano(), 10))
		} else {
			h.Write([]byte(*end))
		}
	}
	h.Write([]byte{0})
	h.Write([]byte(strings.ToLower(status)))
	return mix64(h.Sum64())
}

// mix64 spreads a hash before it is summed (splitmix64's finalizer).
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	return x ^ (x >> 31)
}
