package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"strconv"
	"time"

	"go.uber.org/zap"
)

// progressLogEvery spaces the progress lines of a backfill.
const progressLogEvery = 30 * time.Second

// progress follows how far a long query (a backfill) has read its window,
// for the log and the backfill_progress gauge. The position is inferred from
// the times of the traces read: a source that lists newest first has read
// down to the oldest trace seen, one that lists oldest first up to the
// newest; the order shows from whether later pages hold older traces.
type progress struct {
	q        *queryState
	backfill bool
	started  time.Time
	lastLog  time.Time
	requests int64 // the API client's count when the query started
	spans    int
	pages    int
	first    time.Time // mean time of the first page with traces
	min, max time.Time
	// order is -1 for newest first, +1 for oldest first, 0 not known yet.
	order int
}

// progressBegin starts following q. A query is a backfill when the backlog
// it covers, its window less the overlap it re-reads, is longer than five
// poll intervals and two minutes.
func (p *Poller) progressBegin(q *queryState, now time.Time) {
	pr := &p.progress
	if pr.q == q {
		return // the same query, continued in another poll
	}
	*pr = progress{q: q, started: now, lastLog: now, requests: p.apiRequests()}
	backlog := q.To.Sub(q.From)
	if !p.state.watermark.IsZero() {
		backlog -= p.sched.Overlap
	}
	pr.backfill = backlog > max(5*p.sched.PollInterval, 2*time.Minute)
}

// progressPage accounts for one page and logs at most every 30 s.
func (p *Poller) progressPage(ctx context.Context, traces []Trace, emitted int, now time.Time) {
	pr := &p.progress
	pr.pages++
	pr.spans += emitted
	var sum time.Duration
	n := 0
	for i := range traces {
		t := traces[i].Time
		if t.Before(pr.q.From) || t.After(pr.q.To) {
			continue
		}
		pr.min, pr.max = earliest(pr.min, t), latest(pr.max, t)
		sum += t.Sub(pr.q.From)
		n++
	}
	if n > 0 {
		mean := pr.q.From.Add(sum / time.Duration(n))
		switch {
		case pr.first.IsZero():
			pr.first = mean
		case pr.order == 0 && mean.Before(pr.first):
			pr.order = -1
		case pr.order == 0 && mean.After(pr.first):
			pr.order = 1
		}
	}
	if !pr.backfill {
		return
	}
	f := pr.fraction()
	p.tel.backfillProgress(ctx, f)
	if now.Sub(pr.lastLog) < progressLogEvery {
		return
	}
	pr.lastLog = now
	elapsed := now.Sub(pr.started)
	fields := []zap.Field{
		zap.String("read", percent(f)), zap.Time("position", pr.position()),
		zap.Time("window_start", pr.q.From), zap.Time("window_end", pr.q.To),
		zap.Int("spans_emitted", pr.spans), zap.Int64("requests", p.apiRequests()-pr.requests),
		zap.Duration("elapsed", elapsed.Round(time.Second)),
	}
	if f > 0.01 {
		fields = append(fields, zap.Duration("estimated_time_left", time.Duration(float64(elapsed)*(1-f)/f).Round(time.Second)))
	}
	p.logger.Info("Backfill in progress", fields...)
}

// progressEnd closes the query: a finished backfill logs its totals.
func (p *Poller) progressEnd(ctx context.Context, now time.Time) {
	pr := &p.progress
	if pr.backfill {
		p.logger.Info("Backfill finished", zap.Time("window_start", pr.q.From), zap.Time("window_end", pr.q.To),
			zap.Int("spans_emitted", pr.spans), zap.Int64("requests", p.apiRequests()-pr.requests),
			zap.Int("pages", pr.pages), zap.Duration("took", now.Sub(pr.started).Round(time.Second)))
	}
	p.tel.backfillProgress(ctx, 1)
	*pr = progress{}
}

// position is how far on the window's axis the query has read.
func (pr *progress) position() time.Time {
	switch {
	case pr.min.IsZero():
		return pr.q.From
	case pr.order < 0:
		return pr.min
	default:
		return pr.max
	}
}

// fraction is the share of the window read, 0 to 1.
func (pr *progress) fraction() float64 {
	span := pr.q.To.Sub(pr.q.From)
	if span <= 0 || pr.min.IsZero() {
		return 0
	}
	var done time.Duration
	if pr.order < 0 {
		done = pr.q.To.Sub(pr.min)
	} else {
		done = pr.max.Sub(pr.q.From)
	}
	return min(max(float64(done)/float64(span), 0), 1)
}

// percent formats a fraction as "42.5%".
func percent(f float64) string { return strconv.FormatFloat(100*f, 'f', 1, 64) + "%" }

// apiRequests is how many requests the source's API client has sent.
func (p *Poller) apiRequests() int64 {
	if p.api == nil {
		return 0
	}
	return p.api.Requests()
}
