package poll

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumererror"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Each test pins one rule of the poll engine.

func TestFirstPollUsesInitialLookbackAndSettleDelay(t *testing.T) {
	h := newHarness(t)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	require.Len(t, h.src.queries, 1)
	assert.Equal(t, t0.Add(-time.Hour), h.src.queries[0].From)
	assert.Equal(t, t0.Add(-30*time.Second), h.src.queries[0].To)
}

func TestSettledTraceIsEmittedOnce(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	p := h.poller()
	for range 3 {
		_, err := p.Poll(context.Background())
		require.NoError(t, err)
		h.clock.Advance(time.Minute)
	}
	assert.Equal(t, []pcommon.SpanID{spanID(1, 1), spanID(1, 2), spanID(1, 3)}, h.emitted())
}

func TestCheckpointMovesOnlyAfterSuccessfulConsume(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	var storedDuringConsume head
	h.next = consumerFunc(func(ctx context.Context, td ptrace.Traces) error {
		storedDuringConsume = h.storedHead()
		return h.sink.ConsumeTraces(ctx, td)
	})
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	assert.True(t, storedDuringConsume.Watermark.IsZero(), "checkpoint stored before ConsumeTraces returned")
	assert.Equal(t, t0.Add(-10*time.Minute), h.storedHead().Watermark, "the watermark is the newest trace handled")
	assert.Equal(t, 3, h.sink.SpanCount())
}

func TestCheckpointStaysOnConsumerError(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	h.next = consumertest.NewErr(errTransient)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.ErrorIs(t, err, errTransient)
	assert.True(t, h.storedHead().Watermark.IsZero(), "checkpoint moved although the consumer failed")

	// The same data is retried later: once the consumer recovers, every
	// span arrives, once.
	p.next = h.sink
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []pcommon.SpanID{spanID(1, 1), spanID(1, 2), spanID(1, 3)}, h.emitted())
	assert.False(t, h.storedHead().Watermark.IsZero())
}

func TestPermanentConsumerErrorIsSkipped(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	h.next = consumertest.NewErr(consumererror.NewPermanent(errTransient))
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err, "a permanent error must not fail the poll")
	assert.False(t, h.storedHead().Watermark.IsZero(), "checkpoint must move past dropped data")

	p.next = h.sink
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Empty(t, h.emitted(), "dropped spans must not be retried")
}

func TestResumeAfterRestartFromStorage(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	_, err := h.poller().Poll(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, h.sink.SpanCount())

	// Restart: a new poller over the same storage. Trace 1 is still inside
	// the overlap window and must not come again; trace 2 is new.
	h.clock.Advance(2 * time.Minute)
	h.src.set(done(1, t0.Add(-10*time.Minute)), done(2, t0.Add(time.Minute)))
	p := h.poller()
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	last := h.src.queries[len(h.src.queries)-1]
	assert.Equal(t, t0.Add(-10*time.Minute).Add(-5*time.Minute), last.From, "resumes at watermark minus overlap")
	assert.Equal(t, []pcommon.SpanID{spanID(1, 1), spanID(1, 2), spanID(1, 3), spanID(2, 1), spanID(2, 2), spanID(2, 3)}, h.emitted())
}

func TestInterruptedQueryResumesAtItsPageAfterRestart(t *testing.T) {
	h := newHarness(t)
	h.sched.MaxPagesPerPoll = 1
	h.src.pageSize = 1
	h.src.set(done(1, t0.Add(-30*time.Minute)), done(2, t0.Add(-20*time.Minute)), done(3, t0.Add(-10*time.Minute)))
	more, err := h.poller().Poll(context.Background())
	require.NoError(t, err)
	assert.True(t, more)
	assert.Equal(t, 3, h.sink.SpanCount())

	// Crash and restart: the stored query continues at page 1, not page 0.
	p := h.poller()
	for more = true; more; {
		more, err = p.Poll(context.Background())
		require.NoError(t, err)
	}
	assert.Equal(t, []string{"", "1", "2"}, h.src.tokens)
	assert.Len(t, h.emitted(), 9)
	assert.Equal(t, t0.Add(-10*time.Minute), h.storedHead().Watermark)
	assert.Nil(t, h.storedHead().Query)
}

func TestCorruptCheckpointFallsBackToInitialLookback(t *testing.T) {
	for name, corrupt := range map[string]func(*harness){
		"head": func(h *harness) {
			require.NoError(t, h.client.Set(context.Background(), "fake/proj", []byte("{not json")))
		},
		"ledger": func(h *harness) {
			require.NoError(t, h.client.Set(context.Background(), "fake/proj/emitted/0", []byte(`[{"id":"zz"}]`)))
		},
		"version": func(h *harness) {
			require.NoError(t, h.client.Set(context.Background(), "fake/proj", []byte(`{"version":99}`)))
		},
	} {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t)
			h.src.set(done(1, t0.Add(-10*time.Minute)))
			_, err := h.poller().Poll(context.Background())
			require.NoError(t, err)
			h.clock.Advance(time.Minute)
			corrupt(h)
			p := h.poller()
			_, err = p.Poll(context.Background())
			require.NoError(t, err, "a corrupt checkpoint is never fatal")
			last := h.src.queries[len(h.src.queries)-1]
			assert.Equal(t, h.clock.Now().Add(-time.Hour), last.From)
		})
	}
}

func TestChangedQueryDiscardsCheckpoint(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	_, err := h.poller().Poll(context.Background())
	require.NoError(t, err)
	p := h.poller()
	p.store.fingerprint = "another project"
	require.NoError(t, p.Load(context.Background()))
	assert.True(t, p.state.watermark.IsZero())
}

func TestUnsettledTraceWaitsForSettleDelay(t *testing.T) {
	h := newHarness(t)
	start := t0.Add(-2 * time.Minute)
	recent := fakeTrace{id: 1, start: start, spans: []fakeSpan{ // ended 10 s ago; settle_delay is 30 s
		{id: 1, start: 0, end: 110 * time.Second},
		{id: 2, parent: 1, start: time.Second, end: 110 * time.Second},
	}}
	h.src.set(recent, done(2, t0.Add(-10*time.Minute)))
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []pcommon.SpanID{spanID(2, 1), spanID(2, 2), spanID(2, 3)}, h.emitted(), "only the settled trace")
	assert.Equal(t, start, h.storedHead().Watermark, "checkpoint held at the pending trace")

	h.clock.Advance(25 * time.Second)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 5)
	assert.Equal(t, start, h.storedHead().Watermark, "the newest trace, now emitted")
	assert.Empty(t, h.storedHead().Pending)
}

func TestTraceStillChangingIsNotSettled(t *testing.T) {
	h := newHarness(t)
	tr := done(1, t0.Add(-5*time.Minute))
	conv := tr.convert()
	conv.Updated = t0.Add(-5 * time.Second) // the vendor changed it just now
	h.src.set(tr)
	p := h.poller()
	batch, _, pendingMin := p.selectSpans([]Trace{conv}, time.Time{}, h.clock.Now())
	assert.Equal(t, 0, batch.SpanCount())
	assert.Equal(t, tr.start, pendingMin)
}

func TestInProgressTraceIsHeldUntilItEnds(t *testing.T) {
	h := newHarness(t)
	open := fakeTrace{id: 1, start: t0.Add(-5 * time.Minute), spans: []fakeSpan{
		{id: 1, start: 0, end: 0},
		{id: 2, parent: 1, start: time.Second, end: 2 * time.Second},
	}}
	h.src.set(open)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	assert.Empty(t, h.emitted(), "a trace in progress is not emitted")
	assert.Equal(t, open.start, h.storedHead().Watermark)

	open.spans[0].end = 5*time.Minute + time.Second
	h.src.set(open)
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []pcommon.SpanID{spanID(1, 1), spanID(1, 2)}, h.emitted())
	root, _ := findSpan(h.sink.AllTraces(), spanID(1, 1))
	_, incomplete := root.Attributes().Get(AttrIncomplete)
	assert.False(t, incomplete)
}

func TestOpenTracePastMaxTraceWaitIsEmittedIncomplete(t *testing.T) {
	h := newHarness(t) // max_trace_wait 10m
	open := fakeTrace{id: 1, start: t0.Add(-11 * time.Minute), spans: []fakeSpan{
		{id: 1, start: 0, end: 0},
		{id: 2, parent: 1, start: time.Second, end: 2 * time.Second},
	}}
	h.src.set(open)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	assert.Empty(t, h.emitted(), "max_trace_wait counts from when the receiver first saw the trace")

	h.clock.Advance(10 * time.Minute)
	_, err = h.poller().Poll(context.Background()) // first sight survives a restart
	require.NoError(t, err)
	require.Equal(t, []pcommon.SpanID{spanID(1, 1), spanID(1, 2)}, h.emitted())
	root, _ := findSpan(h.sink.AllTraces(), spanID(1, 1))
	v, ok := root.Attributes().Get(AttrIncomplete)
	require.True(t, ok)
	assert.True(t, v.Bool())
	assert.Equal(t, pcommon.NewTimestampFromTime(h.clock.Now()), root.EndTimestamp(), "an open span ends when it was emitted")
	child, _ := findSpan(h.sink.AllTraces(), spanID(1, 2))
	_, ok = child.Attributes().Get(AttrIncomplete)
	assert.False(t, ok, "finished spans are not marked")

	// When the root finally ends it is not emitted a second time.
	open.spans[0].end = 22 * time.Minute
	h.src.set(open)
	h.clock.Advance(2 * time.Minute)
	_, err = h.poller().Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 2)
}

func TestLateSpanOfEmittedTraceIsEmittedAlone(t *testing.T) {
	h := newHarness(t)
	tr := done(1, t0.Add(-3*time.Minute)) // inside the overlap window
	h.src.set(tr)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	require.Len(t, h.emitted(), 3)

	tr.spans = append(tr.spans, fakeSpan{id: 4, parent: 1, start: 2 * time.Second, end: 3 * time.Second})
	h.src.set(tr)
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	all := h.sink.AllTraces()
	require.Len(t, all, 2)
	assert.Equal(t, 1, all[1].SpanCount(), "only the late span")
	assert.Equal(t, []pcommon.SpanID{spanID(1, 1), spanID(1, 2), spanID(1, 3), spanID(1, 4)}, h.emitted())
}

func TestLateSpanSurvivesRestart(t *testing.T) {
	h := newHarness(t)
	tr := done(1, t0.Add(-3*time.Minute))
	h.src.set(tr)
	_, err := h.poller().Poll(context.Background())
	require.NoError(t, err)

	tr.spans = append(tr.spans, fakeSpan{id: 4, parent: 1, start: 2 * time.Second, end: 3 * time.Second})
	h.src.set(tr)
	h.clock.Advance(time.Minute)
	_, err = h.poller().Poll(context.Background()) // restarted
	require.NoError(t, err)
	assert.Equal(t, []pcommon.SpanID{spanID(1, 1), spanID(1, 2), spanID(1, 3), spanID(1, 4)}, h.emitted())
}

func TestTraceSeenTwiceInOnePollIsEmittedOnce(t *testing.T) {
	h := newHarness(t)
	tr := done(1, t0.Add(-10*time.Minute))
	p := h.poller()
	batch, newly, _ := p.selectSpans([]Trace{tr.convert(), tr.convert()}, time.Time{}, h.clock.Now())
	assert.Equal(t, 3, batch.SpanCount())
	assert.Len(t, newly[traceID(1)].spans, 3)
}

func TestLedgerKeepsOnlyTheOverlapWindow(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-50*time.Minute)), done(2, t0.Add(-2*time.Minute)))
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	// Watermark t0-30s, overlap 5m: trace 1 (t0-50m) can never be read
	// again, trace 2 can.
	assert.NotContains(t, p.state.emitted, traceID(1))
	assert.Contains(t, p.state.emitted, traceID(2))

	restarted := h.poller()
	assert.Equal(t, 3, restarted.state.emitted.spanCount(), "the stored ledger is the pruned one")
}

func TestFetchErrorKeepsCheckpoint(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	h.src.err = errTransient
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.ErrorIs(t, err, errTransient)
	assert.True(t, h.storedHead().Watermark.IsZero())
}

func TestEmptyScanLeavesTheWatermarkOnTheData(t *testing.T) {
	h := newHarness(t)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	assert.True(t, h.storedHead().Watermark.IsZero(), "nothing seen: no watermark yet")

	h.src.set(done(1, t0.Add(-10*time.Minute)))
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	h.src.set()
	h.clock.Advance(time.Hour)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, t0.Add(-10*time.Minute), h.storedHead().Watermark, "a quiet vendor does not move the watermark")
	last := h.src.queries[len(h.src.queries)-1]
	assert.Equal(t, t0.Add(-15*time.Minute), last.From)
	assert.Equal(t, h.clock.Now().Add(-30*time.Second), last.To)
}

func TestShutdownDuringPoll(t *testing.T) {
	h := newHarness(t)
	p := h.poller()
	p.clock = RealClock{}
	h.src.block = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		p.Run(ctx, func(error) {})
		close(stopped)
	}()
	require.Eventually(t, func() bool {
		h.src.mu.Lock()
		defer h.src.mu.Unlock()
		return h.src.calls > 0
	}, 5*time.Second, time.Millisecond)
	cancel()
	select {
	case <-stopped:
	case <-time.After(5 * time.Second):
		t.Fatal("poller did not stop when its context ended during a poll")
	}
	assert.Equal(t, 0, h.sink.SpanCount())
}

type consumerFunc func(context.Context, ptrace.Traces) error

func (f consumerFunc) ConsumeTraces(ctx context.Context, td ptrace.Traces) error { return f(ctx, td) }
func (consumerFunc) Capabilities() consumer.Capabilities                         { return consumer.Capabilities{} }

func TestTracesBeforeTheWindowAreNeverEmittedAgain(t *testing.T) {
	h := newHarness(t)
	old := done(1, t0.Add(-50*time.Minute))
	h.src.set(old, done(2, t0.Add(-5*time.Minute)))
	_, err := h.poller().Poll(context.Background())
	require.NoError(t, err)
	require.Len(t, h.emitted(), 6)

	// Its ledger entry is pruned (it lies before watermark - overlap), and
	// a source without a time filter still returns it on a later page.
	h.clock.Advance(time.Minute)
	h.src.ignoreWindow = true
	p := h.poller()
	require.NotContains(t, p.state.emitted, traceID(1))
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 6, "a trace before the window must not be emitted twice")
}

func TestWatermarkNeverMovesBack(t *testing.T) {
	h := newHarness(t) // settle 30s, overlap 5m
	a := done(1, t0.Add(-3*time.Minute-45*time.Second))
	h.src.set(a)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	require.Len(t, h.emitted(), 3)

	// Two minutes on, a newer trace moves the watermark: trace 1 lies
	// before watermark - overlap, it leaves the window and the ledger.
	h.clock.Advance(2 * time.Minute)
	c := done(3, t0.Add(80*time.Second))
	h.src.set(a, c)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	wm := h.storedHead().Watermark
	require.Equal(t, c.start, wm)
	require.NotContains(t, p.state.emitted, traceID(1))

	// A trace that started before the watermark shows up only now (its
	// first span was exported late) and has not settled: it holds the
	// checkpoint, but must not pull it back over trace 1.
	b := fakeTrace{id: 2, start: t0.Add(time.Minute), spans: []fakeSpan{
		{id: 1, start: 0, end: 110 * time.Second},
		{id: 2, parent: 1, start: 100 * time.Second, end: 110 * time.Second},
	}}
	h.clock.Advance(time.Minute)
	h.src.set(a, b, c)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, wm, h.storedHead().Watermark, "the watermark stays while trace 2 is pending")

	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []pcommon.SpanID{spanID(1, 1), spanID(1, 2), spanID(1, 3), spanID(3, 1), spanID(3, 2), spanID(3, 3), spanID(2, 1), spanID(2, 2)}, h.emitted(),
		"trace 1 is not read again, trace 2 is emitted once settled")
}

// ctxStorage fails every operation on a done context, as storage clients
// backed by a database do.
type ctxStorage struct{ storage.Client }

func (c ctxStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return c.Client.Batch(ctx, ops...)
}

func TestSpansConsumedDuringShutdownAreRecorded(t *testing.T) {
	h := newHarness(t)
	h.client = ctxStorage{h.client}
	h.src.pageSize = 1
	h.src.set(done(1, t0.Add(-20*time.Minute)), done(2, t0.Add(-10*time.Minute)))
	ctx, cancel := context.WithCancel(context.Background())
	h.next = consumerFunc(func(c context.Context, td ptrace.Traces) error {
		cancel() // Shutdown arrives while the batch is being delivered
		return h.sink.ConsumeTraces(c, td)
	})
	_, err := h.poller().Poll(ctx)
	require.NoError(t, err)
	require.Equal(t, 6, h.sink.SpanCount())

	// After the restart nothing that reached the consumer comes again.
	h.next = h.sink
	h.clock.Advance(time.Minute)
	_, err = h.poller().Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 6, h.sink.SpanCount())
}
