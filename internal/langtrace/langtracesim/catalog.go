package langtracesim

import (
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// catalog knows which traces Langtrace lists at a given moment and in which
// order, without generating the whole dataset on every request. Traces that
// started more than sim.MaxTraceLag ago are complete, so all of them are
// listed, in index order; only the recent ones need their spans' times,
// which the catalog keeps per trace until the trace is old.
type catalog struct {
	data *sim.Dataset

	mu     sync.Mutex
	recent map[int]*traceTimes
}

// traceTimes holds, per span, when it exists in Langtrace (it has ended and
// its export has arrived) and its start, sorted by the former.
type traceTimes struct {
	spans []spanTimes
}

type spanTimes struct {
	appear, start time.Time
}

// appearAt is when Langtrace holds span s: once it has ended and its
// export has arrived (only ended spans are exported).
func appearAt(s *sim.Span) time.Time {
	if s.End.After(s.Visible) {
		return s.End
	}
	return s.Visible
}

func newTraceTimes(tr *sim.Trace) *traceTimes {
	tt := &traceTimes{spans: make([]spanTimes, len(tr.Spans))}
	for i := range tr.Spans {
		s := &tr.Spans[i]
		tt.spans[i] = spanTimes{appear: appearAt(s), start: s.Start}
	}
	slices.SortFunc(tt.spans, func(a, b spanTimes) int { return a.appear.Compare(b.appear) })
	return tt
}

// firstStart is the earliest start of the spans that exist at now, false
// when none does.
func (tt *traceTimes) firstStart(now time.Time) (time.Time, bool) {
	var first time.Time
	for _, s := range tt.spans {
		if s.appear.After(now) {
			break
		}
		if first.IsZero() || s.start.Before(first) {
			first = s.start
		}
	}
	return first, !first.IsZero()
}

func newCatalog(d *sim.Dataset) *catalog {
	return &catalog{data: d, recent: map[int]*traceTimes{}}
}

// listing is the traces Langtrace lists at one moment, newest first: the
// recent ones in head (sorted), then every index below old, descending.
type listing struct {
	head []int
	old  int
}

func (l listing) len() int { return len(l.head) + l.old }

// at returns the index of the trace at position pos (0-based).
func (l listing) at(pos int) int {
	if pos < len(l.head) {
		return l.head[pos]
	}
	return l.old - 1 - (pos - len(l.head))
}

// list returns what Langtrace lists at now. Traces are ranked like the
// server's ORDER BY min(start_time) DESC, a comparison of the stored
// strings; ties go to the higher index. (Old traces are ranked by index,
// which matches the strings' order unless two traces start within the same
// millisecond.)
func (c *catalog) list(now time.Time) listing {
	d := c.data
	old := d.IndexAt(now.Add(-sim.MaxTraceLag))
	n := d.IndexAt(now)
	type ranked struct {
		index int
		key   string
	}
	var recent []ranked
	c.mu.Lock()
	for i := old; i < n; i++ {
		tt := c.recent[i]
		if tt == nil {
			tr := d.Trace(i)
			tt = newTraceTimes(&tr)
			c.recent[i] = tt
		}
		if first, ok := tt.firstStart(now); ok {
			layout := layoutMicro
			if pathOf(i) == pathOTLP {
				layout = layoutMilli
			}
			recent = append(recent, ranked{i, first.UTC().Format(layout)})
		}
	}
	if len(c.recent) > 2*(n-old)+256 {
		for i := range c.recent {
			if i < old {
				delete(c.recent, i)
			}
		}
	}
	c.mu.Unlock()
	slices.SortFunc(recent, func(a, b ranked) int {
		if c := strings.Compare(b.key, a.key); c != 0 {
			return c
		}
		return b.index - a.index
	})
	l := listing{head: make([]int, len(recent)), old: old}
	for i, r := range recent {
		l.head[i] = r.index
	}
	return l
}
