package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// AttrIncomplete marks spans emitted after max_trace_wait while still in
// progress; their end time is the moment they were emitted.
const AttrIncomplete = "llmtrace.incomplete"

// Schedule is the timing configuration shared by all pollers.
type Schedule struct {
	PollInterval    time.Duration
	InitialLookback time.Duration
	SettleDelay     time.Duration
	MaxTraceWait    time.Duration
	// Overlap is re-read before the watermark, so that late spans of recent
	// traces are still found.
	Overlap time.Duration
	// RereadInterval spaces the queries that re-read the whole overlap; the
	// queries in between start shortly before the watermark and read only
	// what is new. Zero re-reads the overlap on every query.
	RereadInterval time.Duration
	// MaxPagesPerPoll caps one poll; an interrupted query resumes at once.
	MaxPagesPerPoll int
}

// Poller polls one source and emits its spans exactly once.
type Poller struct {
	src    Source
	http   *http.Client
	sched  Schedule
	retry  configretry.BackOffConfig
	clock  Clock
	store  *checkpointStore
	state  *state
	next   consumer.Traces
	obs    *receiverhelper.ObsReport
	tel    *telemetry
	logger *zap.Logger
	format string
	api    *APIClient
	// content is capture_content: false removes prompts, completions,
	// messages and tool content from every span after conversion.
	content bool
	// lastReread is when the last query that re-read the whole overlap
	// started (zero: none yet in this process).
	lastReread time.Time
	// progress follows the current query for the backfill log and gauge.
	progress progress
	// ledgerLimit overrides maxLedgerSpans (tests).
	ledgerLimit int
	// lastPages are the time ranges of the last two pages read.
	lastPages [2]timeRange
	// refresher is the source when it can read traces by ID.
	refresher Refresher
	// toldCovers is set once the log said that the window starts where the
	// ledger's record does.
	toldCovers bool
	// continued is the query whose next page directly follows a
	// successful FetchPage in this process.
	continued *queryState
}

// Close releases the poller's HTTP connections. Call it once Run has
// returned.
func (p *Poller) Close() {
	if p.http != nil {
		p.http.CloseIdleConnections()
	}
}

// Load reads the source's checkpoint; it must be called before Poll. A
// storage error is returned (nothing is replaced: the caller retries); a
// corrupt checkpoint is logged and replaced by an empty one.
func (p *Poller) Load(ctx context.Context) error {
	st, err := p.store.load(ctx)
	if errors.Is(err, errCorrupt) {
		p.logger.Error("Checkpoint is corrupt; starting from initial_lookback", zap.Error(err))
	} else if err != nil {
		return err
	}
	p.state = st
	if !st.watermark.IsZero() {
		p.logger.Info("Resuming from checkpoint", zap.Time("watermark", st.watermark),
			zap.Int("ledger_spans", st.emitted.spanCount()), zap.Int("pending_traces", len(st.pending)))
	}
	return nil
}

// Run reads the checkpoint (retrying while storage fails), then polls
// immediately and every poll interval until ctx is done. report receives
// each poll's outcome (nil on success).
func (p *Poller) Run(ctx context.Context, report func(error)) {
	retries := newBackoff(p.retry)
	for p.state == nil {
		err := p.Load(ctx)
		if err == nil {
			break
		}
		if ctx.Err() != nil {
			return
		}
		wait := retries.NextBackOff()
		p.logger.Error("Cannot read checkpoint; retrying (nothing is polled until it is read)", zap.Error(err), zap.Duration("backoff", wait))
		report(err)
		if p.clock.Sleep(ctx, wait) != nil {
			return
		}
	}
	for {
		started := p.clock.Now()
		more, err := p.Poll(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			p.logger.Error("Poll failed; retrying at the next interval", zap.Error(err))
		}
		report(err)
		if more && err == nil {
			continue
		}
		if err := p.clock.Sleep(ctx, started.Add(p.sched.PollInterval).Sub(p.clock.Now())); err != nil {
			return
		}
	}
}

// Poll runs one query of the source, or continues the interrupted one, for
// at most MaxPagesPerPoll pages. It reports whether the query still has
// pages to read.
func (p *Poller) Poll(ctx context.Context) (bool, error) {
	// What was consumed is recorded even when a shutdown has cancelled ctx
	// meanwhile: otherwise a restart emits it again.
	storeCtx := context.WithoutCancel(ctx)
	if len(p.state.unsaved) > 0 {
		// A previous write failed: nothing is read before it is stored.
		if err := p.persist(ctx, storeCtx); err != nil {
			return false, err
		}
	}
	q := p.state.query
	if q == nil {
		var full bool
		q, full = p.newQuery()
		// The query is kept from now on: a first page that fails is read
		// again over the same window, not over one that slid on with the
		// clock (a first window sliding past initial_lookback's start
		// would lose the traces there).
		p.state.query = q
		if full {
			// A re-read of the overlap: the pending traces it no longer
			// covers are read by ID (those it covers are listed again).
			if err := p.refreshPending(ctx, storeCtx, q); err != nil {
				return false, err
			}
		}
	}
	p.progressBegin(q, p.clock.Now())
	for range max(p.sched.MaxPagesPerPoll, 1) {
		page, err := p.fetch(ctx, q)
		if err != nil {
			return false, p.scrub(fmt.Errorf("failed to fetch page: %w", err))
		}
		now := p.clock.Now()
		n, pendingMin, err := p.emit(ctx, page.Traces, q.From, now)
		if err != nil {
			return false, err
		}
		q.PendingMin = earliest(q.PendingMin, pendingMin)
		q.Newest = latestInWindow(q.Newest, page.Traces, q)
		p.progressPage(ctx, page.Traces, n, now)
		p.bound(storeCtx, q, page.Traces)
		if page.Next == "" {
			return false, p.finish(ctx, storeCtx, q)
		}
		q.Token = page.Next
		p.state.query = q
		p.continued = q
		if err := p.persist(ctx, storeCtx); err != nil {
			return false, err
		}
	}
	return true, nil
}

// emit decides what of traces to emit now, hands it to the next consumer and
// records it in the ledger (to be stored by the caller). It returns the
// number of spans emitted and the earliest Time of a trace left pending.
func (p *Poller) emit(ctx context.Context, traces []Trace, from, now time.Time) (int, time.Time, error) {
	if !p.content {
		for i := range traces {
			genai.RemoveContent(traces[i].Spans)
		}
	}
	batch, newly, pendingMin := p.selectSpans(traces, from, now)
	n := batch.SpanCount()
	if n > 0 {
		if err := p.consume(ctx, batch, n); err != nil {
			return 0, time.Time{}, err
		}
	}
	p.state.emitted.merge(newly)
	p.state.unsaved.merge(newly)
	return n, pendingMin, nil
}

// maxLedgerSpans is the size past which a long query (a backfill) prunes its
// record of emitted spans before it ends (about 65 bytes per span).
const maxLedgerSpans = 100_000

// bound keeps the ledger of a long query to what can be seen again: the
// traces the next query's overlap will read, the traces of the last two
// pages (a page that shifts shows them again), and the pending ones. What is
// dropped can no longer be read: the window of the next query starts after
// it (newQuery starts no window before what the ledger covers).
func (p *Poller) bound(ctx context.Context, q *queryState, traces []Trace) {
	st := p.state
	lo, hi := p.lastPages[1].lo, p.lastPages[1].hi
	p.lastPages[0], p.lastPages[1] = p.lastPages[1], timeRangeOf(traces)
	lo, hi = earliest(lo, p.lastPages[1].lo), latest(hi, p.lastPages[1].hi)
	limit := p.ledgerLimit
	if limit == 0 {
		limit = maxLedgerSpans
	}
	if st.emitted.spanCount() <= limit {
		return
	}
	next := q.Newest
	if p.refresher == nil {
		next = earliest(q.Newest, q.PendingMin)
	}
	cutoff := next.Add(-p.sched.Overlap)
	if next.IsZero() || cutoff.Before(st.covers) {
		return
	}
	before := st.emitted.spanCount()
	st.emitted.prune(cutoff, func(id pcommon.TraceID, t time.Time) bool {
		return st.pending[id] != nil || (!lo.IsZero() && !t.Before(lo) && !t.After(hi))
	})
	st.covers = cutoff
	if after := st.emitted.spanCount(); after < before {
		p.logger.Debug("Pruned the record of emitted spans during a long query", zap.Int("spans_before", before), zap.Int("spans_after", after), zap.Time("covers", cutoff))
		if err := p.store.compact(ctx, st); err != nil {
			p.logger.Warn("Cannot compact checkpoint; the pages carry on", zap.Error(err))
		}
	}
}

// timeRange is the earliest and latest Time of traces.
type timeRange struct{ lo, hi time.Time }

func timeRangeOf(traces []Trace) timeRange {
	var r timeRange
	for i := range traces {
		r.lo, r.hi = earliest(r.lo, traces[i].Time), latest(r.hi, traces[i].Time)
	}
	return r
}

// maxRefreshPerPoll bounds the traces one poll refreshes; the others wait
// for the next poll.
const maxRefreshPerPoll = 100

// refreshPending reads again, by ID, the pending traces that the new query's
// window q no longer covers (a source that is a Refresher does not hold its
// watermark at them). A trace the vendor no longer has is forgotten; a
// failed refresh is logged and tried again at the next query.
func (p *Poller) refreshPending(ctx, storeCtx context.Context, q *queryState) error {
	if p.refresher == nil || len(p.state.pending) == 0 {
		return nil
	}
	refs := make([]TraceRef, 0, len(p.state.pending))
	for id, pt := range p.state.pending {
		if pt.time.Before(q.From) && pt.key != "" {
			refs = append(refs, TraceRef{ID: id, Key: pt.key, Time: pt.time})
		}
	}
	if len(refs) == 0 {
		return nil
	}
	slices.SortFunc(refs, func(a, b TraceRef) int { return p.state.pending[a.ID].first.Compare(p.state.pending[b.ID].first) })
	refs = refs[:min(len(refs), maxRefreshPerPoll)]
	traces, err := p.refresher.Refresh(ctx, refs)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		p.logger.Warn("Cannot refresh pending traces; trying again at the next query", zap.Int("traces", len(refs)), zap.Error(p.scrub(err)))
		return nil
	}
	got := make(map[pcommon.TraceID]bool, len(traces))
	for i := range traces {
		got[traces[i].ID] = true
	}
	for _, r := range refs {
		if !got[r.ID] {
			p.logger.Debug("A pending trace is gone from the vendor; forgetting it", zap.String("trace_id", r.ID.String()))
			delete(p.state.pending, r.ID)
		}
	}
	if _, _, err := p.emit(ctx, traces, time.Time{}, p.clock.Now()); err != nil {
		return err
	}
	p.logger.Debug("Refreshed pending traces", zap.Int("asked", len(refs)), zap.Int("got", len(traces)))
	return p.persist(ctx, storeCtx)
}

// fetch reads the query's next page; a token the source cannot use
// restarts the query from its first page.
func (p *Poller) fetch(ctx context.Context, q *queryState) (Page, error) {
	req := PageRequest{Query: Query{From: q.From, To: q.To}, Token: q.Token, Continued: p.continued == q && q.Token != ""}
	p.continued = nil
	page, err := p.src.FetchPage(ctx, req)
	if errors.Is(err, ErrInvalidToken) && q.Token != "" {
		p.logger.Warn("The source cannot use the stored page token; reading the query again from its first page", zap.Error(p.scrub(err)))
		q.Token = ""
		page, err = p.src.FetchPage(ctx, PageRequest{Query: req.Query})
	}
	return page, err
}

// persist stores the checkpoint after a page. A failed write is retried
// with backoff until it succeeds: the next page is not read before what
// this one emitted is stored, or a restart would emit it again. A shutdown
// ends the retries (a last write is tried) and is reported as an error.
func (p *Poller) persist(ctx, storeCtx context.Context) error {
	retries := newBackoff(p.retry)
	for {
		err := p.store.appendPage(storeCtx, p.state)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil {
			if err = p.store.appendPage(storeCtx, p.state); err == nil {
				return nil
			}
			p.logger.Error("Cannot store checkpoint at shutdown; a restart may emit the spans of the last page again",
				zap.Int("unsaved_spans", p.state.unsaved.spanCount()), zap.Error(err))
			return err
		}
		wait := retries.NextBackOff()
		p.logger.Error("Cannot store checkpoint; retrying before reading on", zap.Error(err), zap.Duration("backoff", wait))
		if p.clock.Sleep(ctx, wait) != nil {
			continue // one last try above
		}
	}
}

// newQuery opens a window from the watermark minus the overlap (never
// before what the ledger covers), or from initial_lookback without a
// checkpoint, to now minus the settle delay; between re-reads of the
// overlap (reread_interval), from shortly before the watermark. It reports
// whether the window re-reads the whole overlap.
func (p *Poller) newQuery() (*queryState, bool) {
	now := p.clock.Now()
	st := p.state
	to := now.Add(-p.sched.SettleDelay)
	if st.watermark.IsZero() {
		from := now.Add(-p.sched.InitialLookback)
		st.covers = from
		p.lastReread = now // a first window reads everything
		return &queryState{From: from, To: latest(to, from)}, true
	}
	if ahead := st.watermark.Sub(to); ahead > 0 {
		// Written while the local clock ran ahead (or by a version that
		// moved the watermark with the clock): read on from it, and up to
		// it so that nothing the vendor has before it waits for the
		// clock.
		p.logger.Warn("The checkpoint is ahead of the local clock; was the clock ahead when it was written? Reading on from the checkpoint",
			zap.Time("watermark", st.watermark), zap.Duration("ahead", ahead))
		to = st.watermark
	}
	from := st.watermark.Add(-p.sched.Overlap)
	full := true
	if p.sched.RereadInterval > 0 && !p.lastReread.IsZero() && now.Sub(p.lastReread) < p.sched.RereadInterval {
		// Only what is new since the watermark; traces made visible
		// slightly out of order are within the slack, later ones are found
		// by the next re-read of the overlap.
		from = latest(from, st.watermark.Add(-min(p.sched.Overlap, p.sched.PollInterval+p.sched.SettleDelay)))
		full = false
	} else {
		p.lastReread = now
	}
	if from.Before(st.covers) {
		// The overlap grew since the ledger was pruned: re-reading before
		// what the ledger covers would emit again what it forgot.
		if !p.toldCovers {
			p.toldCovers = true
			p.logger.Info("overlap is longer than what the checkpoint's record of emitted spans covers; reading from where the record starts, the longer overlap takes full effect as the watermark moves on",
				zap.Time("from", st.covers), zap.Duration("overlap", p.sched.Overlap))
		}
		from = st.covers
	}
	return &queryState{From: from, To: latest(to, from)}, full
}

// finish completes a query: the watermark moves to the newest trace the
// query saw in its window (not to the window's end: the local clock may be
// wrong, the data is not), held back by traces still pending, and never
// back. The ledger keeps only what the next query's overlap can see again.
func (p *Poller) finish(ctx, storeCtx context.Context, q *queryState) error {
	st := p.state
	wm := q.Newest
	if p.refresher == nil && !q.PendingMin.IsZero() && q.PendingMin.Before(wm) {
		// Without a way to read a trace by ID, the next window must cover
		// every trace still pending.
		wm = q.PendingMin
	}
	if wm.Before(st.watermark) || wm.IsZero() {
		wm = st.watermark
	}
	st.watermark = wm // zero while nothing was ever seen: no checkpoint yet
	p.progressEnd(storeCtx, p.clock.Now())
	st.query = nil
	p.continued = nil
	if cutoff := wm.Add(-p.sched.Overlap); !wm.IsZero() && cutoff.After(st.covers) {
		st.covers = cutoff
		// A pending trace keeps its record (some of its spans may be
		// emitted already): a Refresher reads it again by ID.
		st.emitted.prune(cutoff, func(id pcommon.TraceID, _ time.Time) bool { return st.pending[id] != nil })
		for id, pt := range st.pending {
			if pt.time.Before(cutoff) && (p.refresher == nil || pt.key == "") {
				delete(st.pending, id)
			}
		}
	}
	if err := p.store.compact(storeCtx, st); err != nil {
		// The compaction carries every unsaved entry; a page write does too.
		p.logger.Error("Cannot compact checkpoint; storing it as a page", zap.Error(err))
		if err := p.persist(ctx, storeCtx); err != nil {
			return err
		}
	}
	// The lag is how far behind now the source is read: the window's end,
	// or the earliest trace still pending.
	p.tel.checkpointLag(storeCtx, p.clock.Now().Sub(earliest(q.To, q.PendingMin)))
	return nil
}

// scrub keeps the source's secrets out of an error the engine logs or
// reports.
func (p *Poller) scrub(err error) error {
	if p.api == nil {
		return err
	}
	return p.api.ScrubError(err)
}

func latest(a, b time.Time) time.Time {
	if a.Before(b) {
		return b
	}
	return a
}

// earliest is the earlier of a and b, ignoring a zero one.
func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

// latestInWindow is the latest Time in [q.From, q.To] of newest and the
// traces'.
func latestInWindow(newest time.Time, traces []Trace, q *queryState) time.Time {
	for i := range traces {
		t := traces[i].Time
		if t.After(newest) && !t.Before(q.From) && !t.After(q.To) {
			newest = t
		}
	}
	return newest
}

// consume hands a batch to the next consumer. A permanent error drops the
// batch (logged and counted); any other error is returned so that the
// same data is read again at the next poll.
func (p *Poller) consume(ctx context.Context, td ptrace.Traces, n int) error {
	obsCtx := p.obs.StartTracesOp(ctx)
	err := p.next.ConsumeTraces(obsCtx, td)
	p.obs.EndTracesOp(obsCtx, p.format, n, err)
	switch {
	case err == nil:
		p.tel.spansEmitted(ctx, n)
		return nil
	case consumererror.IsPermanent(err):
		p.logger.Error("Next consumer rejected spans permanently; dropping them", zap.Int("spans", n), zap.Error(err))
		p.tel.spansSkipped(ctx, n, "permanent_consumer_error")
		return nil
	default:
		return fmt.Errorf("next consumer refused %d spans, they will be read again: %w", n, err)
	}
}

// selectSpans decides, trace by trace, which spans to emit now:
//   - a trace never emitted is emitted whole once all its spans have ended
//     and it has not changed for settle_delay; max_trace_wait after the
//     receiver first saw it, it is emitted with what exists, in-progress
//     spans marked incomplete (counted on the local clock from first sight,
//     so that vendor clocks ahead or behind neither hold nor rush it);
//   - a trace already emitted gets only its new, ended spans (late spans).
//
// Traces before the window's start are ignored: the ledger no longer knows
// them, and they were handled by an earlier query. It returns the spans to
// emit, the ledger of what they are, and the earliest Time of a trace that
// stays pending.
func (p *Poller) selectSpans(traces []Trace, from, now time.Time) (ptrace.Traces, ledger, time.Time) {
	out := ptrace.NewTraces()
	newly := ledger{}
	var pendingMin time.Time
	for i := range traces {
		tr := &traces[i]
		if tr.Time.Before(from) {
			continue
		}
		picked, held := p.pick(tr, newly, now)
		if held {
			pendingMin = earliest(pendingMin, tr.Time)
			if pt := p.state.pending[tr.ID]; pt == nil {
				p.state.pending[tr.ID] = &pendingTrace{key: tr.Key, time: tr.Time, first: now}
			} else if tr.Time.After(pt.time) {
				pt.time = tr.Time
			}
		} else {
			delete(p.state.pending, tr.ID)
		}
		if len(picked) == 0 {
			continue
		}
		newly.add(tr.ID, tr.Time, picked...)
		tr.Spans.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out, newly, pendingMin
}

// pick removes from tr the spans not to emit now and returns the IDs of
// those left; held reports that some of the trace waits (it has not
// settled, or has spans in progress).
func (p *Poller) pick(tr *Trace, newly ledger, now time.Time) (picked []pcommon.SpanID, held bool) {
	_, complete, last := spanTimes(tr)
	if tr.Updated.After(last) {
		last = tr.Updated
	}
	prior, already := p.state.emitted[tr.ID], newly[tr.ID]
	first := now
	if pt := p.state.pending[tr.ID]; pt != nil {
		first = pt.first
	}
	// A trace the ledger no longer covers cannot wait for a later window
	// (none starts before the ledger) unless the source reads it by ID.
	forced := now.Sub(first) >= p.sched.MaxTraceWait || (p.refresher == nil && tr.Time.Before(p.state.covers))
	settled := complete && now.Sub(last) >= p.sched.SettleDelay
	if prior == nil && already == nil && !settled && !forced {
		return nil, true
	}
	nowTS := pcommon.NewTimestampFromTime(now)
	eachSpanRemoveIf(tr.Spans, func(s ptrace.Span) bool {
		id := s.SpanID()
		if (prior != nil && prior.has(id)) || (already != nil && already.has(id)) {
			return true
		}
		if s.EndTimestamp() == 0 {
			if !forced {
				held = true
				return true
			}
			s.SetEndTimestamp(max(nowTS, s.StartTimestamp()))
			s.Attributes().PutBool(AttrIncomplete, true)
		}
		picked = append(picked, id)
		return false
	})
	return picked, held
}

// spanTimes returns a trace's earliest start, whether every span has ended,
// and its latest start or end.
func spanTimes(tr *Trace) (first time.Time, complete bool, last time.Time) {
	complete = true
	var lo, hi pcommon.Timestamp
	rss := tr.Spans.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				st, end := s.StartTimestamp(), s.EndTimestamp()
				if lo == 0 || st < lo {
					lo = st
				}
				hi = max(hi, st, end)
				if end == 0 {
					complete = false
				}
			}
		}
	}
	return lo.AsTime(), complete, hi.AsTime()
}

// eachSpanRemoveIf removes the spans for which drop returns true, and then
// any scope or resource left empty.
func eachSpanRemoveIf(td ptrace.Traces, drop func(ptrace.Span) bool) {
	td.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
		rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
			ss.Spans().RemoveIf(drop)
			return ss.Spans().Len() == 0
		})
		return rs.ScopeSpans().Len() == 0
	})
}
