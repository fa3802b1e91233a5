package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"
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
	// Overlap is re-read before the watermark on every query, so that late
	// spans of recent traces are still found.
	Overlap time.Duration
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

// Load reads the source's checkpoint; it must be called before Poll.
func (p *Poller) Load(ctx context.Context) error {
	st, err := p.store.load(ctx)
	if err != nil {
		return err
	}
	p.state = st
	if !st.watermark.IsZero() {
		p.logger.Info("Resuming from checkpoint", zap.Time("watermark", st.watermark), zap.Int("ledger_spans", st.emitted.spanCount()))
	}
	return nil
}

// Run polls immediately and then every poll interval until ctx is done.
// report receives each poll's outcome (nil on success).
func (p *Poller) Run(ctx context.Context, report func(error)) {
	if p.state == nil {
		if err := p.Load(ctx); err != nil {
			if ctx.Err() != nil {
				return
			}
			p.logger.Error("Cannot read checkpoint; starting from initial_lookback", zap.Error(err))
			p.state = &state{emitted: ledger{}}
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
	q := p.state.query
	if q == nil {
		q = p.newQuery()
	}
	for range max(p.sched.MaxPagesPerPoll, 1) {
		req := PageRequest{Query: Query{From: q.From, To: q.To}, Token: q.Token, Continued: p.continued == q && q.Token != ""}
		p.continued = nil
		page, err := p.src.FetchPage(ctx, req)
		if errors.Is(err, ErrInvalidToken) && q.Token != "" {
			p.logger.Warn("The source cannot use the stored page token; reading the query again from its first page", zap.Error(err))
			q.Token = ""
			page, err = p.src.FetchPage(ctx, PageRequest{Query: req.Query})
		}
		if err != nil {
			return false, fmt.Errorf("failed to fetch page: %w", err)
		}
		batch, newly, pendingMin := p.selectSpans(page.Traces, q.From, p.clock.Now())
		if n := batch.SpanCount(); n > 0 {
			if err := p.consume(ctx, batch, n); err != nil {
				return false, err
			}
		}
		p.state.emitted.merge(newly)
		if !pendingMin.IsZero() && (q.PendingMin.IsZero() || pendingMin.Before(q.PendingMin)) {
			q.PendingMin = pendingMin
		}
		// What was consumed is recorded even when a shutdown has
		// cancelled ctx meanwhile: otherwise a restart emits it again.
		storeCtx := context.WithoutCancel(ctx)
		if page.Next == "" {
			return false, p.finish(storeCtx, q)
		}
		q.Token = page.Next
		p.state.query = q
		p.continued = q
		if err := p.store.appendPage(storeCtx, p.state, newly); err != nil {
			p.logger.Error("Cannot store checkpoint; a restart would re-read this query", zap.Error(err))
		}
	}
	return true, nil
}

// newQuery opens a window from the watermark (minus the overlap), or from
// initial_lookback without a checkpoint, to now minus the settle delay.
func (p *Poller) newQuery() *queryState {
	now := p.clock.Now()
	from := now.Add(-p.sched.InitialLookback)
	if !p.state.watermark.IsZero() {
		from = p.state.watermark.Add(-p.sched.Overlap)
	}
	to := now.Add(-p.sched.SettleDelay)
	if to.Before(from) {
		to = from
	}
	return &queryState{From: from, To: to}
}

// finish completes a query: the watermark moves to its end, held back by
// traces still pending, and the ledger keeps only what the next query's
// overlap can see again. The watermark never moves back: the ledger was
// pruned at the old watermark, so an earlier window would emit again traces
// it no longer knows. A pending trace that showed up behind the watermark
// stays in the window all the same: the next query starts where this one
// did.
func (p *Poller) finish(ctx context.Context, q *queryState) error {
	wm := q.To
	if !q.PendingMin.IsZero() && q.PendingMin.Before(wm) {
		wm = q.PendingMin
	}
	if wm.Before(p.state.watermark) {
		wm = p.state.watermark
	}
	p.state.watermark = wm
	p.state.query = nil
	p.state.emitted.prune(wm.Add(-p.sched.Overlap))
	if err := p.store.compact(ctx, p.state); err != nil {
		p.logger.Error("Cannot store checkpoint; a restart would re-read this query", zap.Error(err))
	}
	p.tel.checkpointLag(ctx, p.clock.Now().Sub(wm))
	return nil
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
//     and it has not changed for settle_delay; after max_trace_wait it is
//     emitted with what exists, in-progress spans marked incomplete;
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
	pending := func(t time.Time) {
		if pendingMin.IsZero() || t.Before(pendingMin) {
			pendingMin = t
		}
	}
	for i := range traces {
		tr := &traces[i]
		if tr.Time.Before(from) {
			continue
		}
		first, last, complete := spanTimes(tr)
		if tr.Updated.After(last) {
			last = tr.Updated
		}
		prior := p.state.emitted[tr.ID]
		already := newly[tr.ID]
		forced := now.Sub(first) >= p.sched.MaxTraceWait
		settled := complete && now.Sub(last) >= p.sched.SettleDelay
		if prior == nil && already == nil && !settled && !forced {
			pending(tr.Time)
			continue
		}
		var picked []pcommon.SpanID
		held := false
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
		if held {
			pending(tr.Time)
		}
		if len(picked) == 0 {
			continue
		}
		newly.merge(ledger{tr.ID: {time: tr.Time, spans: picked}})
		tr.Spans.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out, newly, pendingMin
}

// spanTimes returns a trace's earliest start, its latest start or end, and
// whether every span has ended.
func spanTimes(tr *Trace) (first, last time.Time, complete bool) {
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
	return lo.AsTime(), hi.AsTime(), complete
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
