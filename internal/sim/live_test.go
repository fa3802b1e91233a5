package sim

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// findTrace returns the first trace index for which ok holds.
func findTrace(t *testing.T, d *Dataset, ok func(Trace) bool) (int, Trace) {
	t.Helper()
	for i := range d.Len() {
		if tr := d.Trace(i); ok(tr) {
			return i, tr
		}
	}
	t.Fatal("no such trace in the dataset")
	return 0, Trace{}
}

func TestTracesAppearOverTime(t *testing.T) {
	now := time.Date(2026, 5, 4, 10, 0, 0, 0, time.UTC)
	cfg := DatasetConfig{Seed: 4, Traces: 100_000}
	cfg.PlaceLive(now, time.Hour, 2) // 2 traces per second, one hour of history
	d := NewDataset(cfg)
	clock := NewManualClock(now)

	started := d.IndexAt(clock.Now())
	assert.InDelta(t, 7200, started, 1, "traces started during the backfill")
	_, ok := d.View(started, clock.Now())
	assert.False(t, ok, "a trace that has not started is not visible")

	prev := started
	for range 10 {
		clock.Advance(30 * time.Second)
		n := d.IndexAt(clock.Now())
		assert.InDelta(t, prev+60, n, 1, "30 s at 2 traces/s")
		prev = n
	}
	// A trace started a few minutes ago is complete; the newest are not yet
	// visible at all (their first span has not ended).
	old := d.IndexAt(clock.Now().Add(-MaxTraceLag)) - 1
	v, ok := d.View(old, clock.Now())
	require.True(t, ok)
	assert.Equal(t, d.Trace(old), v)
	newest := d.IndexAt(clock.Now()) - 1
	_, ok = d.View(newest, d.StartOf(newest))
	assert.False(t, ok, "nothing visible at the root start of a normal trace")
}

func TestLongRunningRootIsInProgressThenEnds(t *testing.T) {
	d := NewDataset(DatasetConfig{Seed: 8, Traces: 2000})
	i, full := findTrace(t, d, func(tr Trace) bool { return tr.Spans[0].Visible.Before(tr.Spans[0].End) })
	root := full.Spans[0]
	require.GreaterOrEqual(t, root.End.Sub(root.Start), minLongRunning)
	require.LessOrEqual(t, root.End.Sub(root.Start), maxLongRunning+traceTimeBudget)

	clock := NewManualClock(root.Visible.Add(-time.Millisecond))
	v, ok := d.View(i, clock.Now())
	if ok {
		assert.Nil(t, v.Root(), "root not visible before its Visible")
	}

	clock.Set(root.Visible)
	v, ok = d.View(i, clock.Now())
	require.True(t, ok)
	r := v.Root()
	require.NotNil(t, r, "the vendor shows the root from its start on")
	assert.True(t, r.End.IsZero(), "in progress: no end")
	assert.Nil(t, r.Output)
	assert.Equal(t, root.Start, r.Start)
	assert.True(t, r.VisibleAt(clock.Now()))
	assert.False(t, root.EndedAt(clock.Now()))

	clock.Set(root.End.Add(-time.Microsecond))
	v, _ = d.View(i, clock.Now())
	assert.True(t, v.Root().End.IsZero(), "still in progress just before its end")
	assert.Len(t, v.Spans, len(full.Spans), "children ended long before")

	clock.Set(root.End)
	v, _ = d.View(i, clock.Now())
	assert.Equal(t, root.End, v.Root().End, "ended")
	assert.Equal(t, full.Root().Output, v.Root().Output)
	assert.Equal(t, full, v)
	assert.Equal(t, root.End, full.CompleteAt())
}

func TestLateSpanArrivesAfterTheTraceEnded(t *testing.T) {
	d := NewDataset(DatasetConfig{Seed: 8, Traces: 2000, LongRunningFraction: -1})
	var late Span
	i, full := findTrace(t, d, func(tr Trace) bool {
		for _, s := range tr.Spans {
			if s.Visible.Sub(tr.Spans[0].End) >= minLateDelay {
				late = s
				return true
			}
		}
		return false
	})
	root := full.Spans[0]
	assert.Equal(t, root.ID, late.ParentID)
	assert.False(t, late.End.After(root.End), "the late span lies within its parent")
	assert.LessOrEqual(t, late.Visible.Sub(root.End), maxLateDelay)

	// Everything else has arrived a few seconds after the end.
	var atEnd time.Time
	for _, s := range full.Spans {
		if s.ID != late.ID && s.Visible.After(atEnd) {
			atEnd = s.Visible
		}
	}
	assert.Less(t, atEnd.Sub(root.End), maxExportDelay+time.Millisecond)
	v, ok := d.View(i, atEnd)
	require.True(t, ok)
	assert.Len(t, v.Spans, len(full.Spans)-1)
	for _, s := range v.Spans {
		assert.NotEqual(t, late.ID, s.ID, "late span visible at trace end")
		assert.False(t, s.End.IsZero())
	}
	v, _ = d.View(i, late.Visible.Add(-time.Microsecond))
	assert.Len(t, v.Spans, len(full.Spans)-1)

	v, _ = d.View(i, late.Visible)
	assert.Len(t, v.Spans, len(full.Spans))
	assert.Equal(t, late.Visible, full.CompleteAt())
}

func TestViewGrowsSpanBySpan(t *testing.T) {
	d := NewDataset(DatasetConfig{Seed: 12, Traces: 200})
	i, full := findTrace(t, d, func(tr Trace) bool { return len(tr.Spans) >= 8 })
	prev := 0
	for at := full.Spans[0].Start; !at.After(full.CompleteAt()); at = at.Add(100 * time.Millisecond) {
		v, ok := d.View(i, at)
		n := 0
		if ok {
			n = len(v.Spans)
			for _, s := range v.Spans {
				require.True(t, s.VisibleAt(at))
			}
		}
		require.GreaterOrEqual(t, n, prev, "spans never disappear")
		prev = n
	}
	v, _ := d.View(i, full.CompleteAt())
	assert.Equal(t, full, v)
}

func TestLiveClock(t *testing.T) {
	origin := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	c := &LiveClock{Start: time.Now().Add(-2 * time.Second), Origin: origin, Speed: 60}
	got := c.Now().Sub(origin)
	assert.GreaterOrEqual(t, got, 120*time.Second)
	assert.Less(t, got, 150*time.Second)

	c = NewLiveClock(origin, 0) // zero speed runs at real time
	time.Sleep(20 * time.Millisecond)
	got = c.Now().Sub(origin)
	assert.GreaterOrEqual(t, got, 20*time.Millisecond)
	assert.Less(t, got, 5*time.Second)
}

func TestManualClockIsSafeForConcurrentUse(t *testing.T) {
	c := NewManualClock(time.Unix(0, 0))
	done := make(chan struct{})
	for range 4 {
		go func() {
			defer func() { done <- struct{}{} }()
			for range 1000 {
				c.Advance(time.Millisecond)
				_ = c.Now()
			}
		}()
	}
	for range 4 {
		<-done
	}
	assert.Equal(t, time.Unix(4, 0), c.Now())
	c.Set(time.Unix(1, 0))
	assert.Equal(t, time.Unix(1, 0), c.Now())
}
