package poll

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Each test pins a rule that a storage fault, a configuration change or a
// wrong clock once broke.

var errStorage = errors.New("storage unavailable")

// flakyStorage fails the Batch calls and the Get calls whose 1-based
// numbers are listed.
type flakyStorage struct {
	storage.Client
	mu                 sync.Mutex
	batches, gets      int
	failBatch, failGet map[int]bool
}

func (f *flakyStorage) Batch(ctx context.Context, ops ...*storage.Operation) error {
	f.mu.Lock()
	f.batches++
	fail := f.failBatch[f.batches]
	f.mu.Unlock()
	if fail {
		return errStorage
	}
	return f.Client.Batch(ctx, ops...)
}

func (f *flakyStorage) Get(ctx context.Context, key string) ([]byte, error) {
	f.mu.Lock()
	f.gets++
	fail := f.failGet[f.gets]
	f.mu.Unlock()
	if fail {
		return nil, errStorage
	}
	return f.Client.Get(ctx, key)
}

func TestFailedLedgerWriteIsNeverOverwritten(t *testing.T) {
	h := newHarness(t)
	h.sched.MaxPagesPerPoll = 2
	h.sched.Overlap = time.Hour // the next query re-reads all three
	h.src.pageSize = 1
	h.src.set(done(1, t0.Add(-30*time.Minute)), done(2, t0.Add(-20*time.Minute)), done(3, t0.Add(-10*time.Minute)))
	// The write after page 1 fails once.
	h.client = &flakyStorage{Client: h.client, failBatch: map[int]bool{1: true}}
	more, err := h.poller().Poll(context.Background())
	require.NoError(t, err)
	require.True(t, more)
	require.Equal(t, 6, h.sink.SpanCount())

	// Crash and restart on the same storage: what pages 1 and 2 emitted is
	// known, page 3 is read, and no span comes twice.
	p := h.poller()
	for more = true; more; {
		more, err = p.Poll(context.Background())
		require.NoError(t, err)
	}
	h.clock.Advance(time.Minute)
	_, err = h.poller().Poll(context.Background())
	require.NoError(t, err)
	assert.ElementsMatch(t, []pcommon.SpanID{
		spanID(1, 1), spanID(1, 2), spanID(1, 3), spanID(2, 1), spanID(2, 2), spanID(2, 3), spanID(3, 1), spanID(3, 2), spanID(3, 3),
	}, h.emitted())
}

func TestStorageReadErrorAtStartIsRetriedNotTakenForNoCheckpoint(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	_, err := h.poller().Poll(context.Background())
	require.NoError(t, err)
	good := h.storedHead()
	require.False(t, good.Watermark.IsZero())

	// The restarted poller's first two reads fail.
	h.client = &flakyStorage{Client: h.client, failGet: map[int]bool{1: true, 2: true}}
	p := &Poller{}
	*p = *h.newPoller()
	ctx, cancel := context.WithCancel(context.Background())
	var reports []error
	h.src.onFetch = func() { cancel() } // stop after the first query starts
	p.Run(ctx, func(err error) { reports = append(reports, err) })

	require.GreaterOrEqual(t, len(reports), 2)
	assert.ErrorIs(t, reports[0], errStorage, "the read error is reported as the component's status")
	last := h.src.queries[len(h.src.queries)-1]
	assert.Equal(t, good.Watermark.Add(-h.sched.Overlap), last.From, "resumed from the checkpoint, not initial_lookback")
	assert.Equal(t, good.Watermark, h.storedHead().Watermark, "the good checkpoint is not overwritten")
	assert.Equal(t, 3, h.sink.SpanCount())
}

func TestLongerOverlapAfterRestartNeverReemits(t *testing.T) {
	h := newHarness(t) // overlap 5m
	h.src.set(done(1, t0.Add(-20*time.Minute)), done(2, t0.Add(-10*time.Minute)))
	_, err := h.poller().Poll(context.Background())
	require.NoError(t, err)
	require.Equal(t, 6, h.sink.SpanCount())

	// The ledger forgot trace 1 (before watermark - 5m); the user raises
	// overlap to 30m and restarts.
	h.sched.Overlap = 30 * time.Minute
	h.clock.Advance(time.Minute)
	_, err = h.poller().Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 6, h.sink.SpanCount(), "nothing is emitted twice")
	last := h.src.queries[len(h.src.queries)-1]
	assert.Equal(t, t0.Add(-15*time.Minute), last.From, "the window starts where the ledger's record starts")
}

func TestPageSizeChangeRestartsTheInterruptedQuery(t *testing.T) {
	h := newHarness(t)
	h.sched.MaxPagesPerPoll = 1
	h.src.pageSize = 1
	h.src.set(done(1, t0.Add(-40*time.Minute)), done(2, t0.Add(-30*time.Minute)), done(3, t0.Add(-20*time.Minute)), done(4, t0.Add(-10*time.Minute)))
	h.paging = "page_size=1"
	_, err := h.poller().Poll(context.Background())
	require.NoError(t, err)
	_, err = h.poller().Poll(context.Background())
	require.NoError(t, err)
	require.Equal(t, "2", h.storedHead().Query.Token)

	// Restart with page_size 2: page "2" would now start at the fifth
	// trace and skip the third and fourth.
	h.paging = "page_size=2"
	h.src.pageSize = 2
	h.sched.MaxPagesPerPoll = 10
	_, err = h.poller().Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 12, "every trace once")
	assert.Equal(t, "", h.src.tokens[2], "the query restarted from its first page")
}

func TestTraceStampedHoursAheadIsForcedAfterMaxTraceWait(t *testing.T) {
	h := newHarness(t) // max_trace_wait 10m
	ahead := fakeTrace{id: 1, start: t0.Add(-time.Minute), spans: []fakeSpan{
		{id: 1, start: 3 * time.Hour, end: 0}, // a vendor clock 3h ahead
		{id: 2, parent: 1, start: 3*time.Hour + time.Second, end: 3*time.Hour + 2*time.Second},
	}}
	h.src.set(ahead)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	require.Empty(t, h.emitted())
	h.clock.Advance(11 * time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 2, "forced max_trace_wait after the receiver first saw it")
	assert.Equal(t, t0.Add(-time.Minute), h.storedHead().Watermark, "and it no longer holds the watermark")
}

func TestRunningTraceStampedHoursBehindIsNotForcedAtFirstSight(t *testing.T) {
	h := newHarness(t) // max_trace_wait 10m, lookback 1h
	behind := fakeTrace{id: 1, start: t0.Add(-2 * time.Minute), spans: []fakeSpan{
		{id: 1, start: -3 * time.Hour, end: 0}, // a vendor clock 3h behind
		{id: 2, parent: 1, start: -3*time.Hour + time.Second, end: -3*time.Hour + 2*time.Second},
	}}
	h.src.set(behind)
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	assert.Empty(t, h.emitted(), "a running trace is not emitted incomplete at first sight")

	behind.spans[0].end = -3*time.Hour + 5*time.Second
	h.src.set(behind)
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 2)
	root, _ := findSpan(h.sink.AllTraces(), spanID(1, 1))
	_, incomplete := root.Attributes().Get(AttrIncomplete)
	assert.False(t, incomplete, "emitted complete once it ended")
}

func TestClockAheadThenCorrectedLosesNothing(t *testing.T) {
	h := newHarness(t) // settle 30s, overlap 5m, poll 1m
	var traces []fakeTrace
	add := func(id byte, at time.Time) { traces = append(traces, done(id, at)); h.src.set(traces...) }
	add(1, t0.Add(-10*time.Minute))
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)

	// The host clock jumps 2h ahead for three polls; traces keep arriving
	// at the real time.
	real := t0
	h.clock.Advance(2 * time.Hour)
	for i := range 3 {
		real = real.Add(time.Minute)
		add(byte(2+i), real.Add(-40*time.Second))
		h.clock.Advance(time.Minute)
		_, err = p.Poll(context.Background())
		require.NoError(t, err)
	}
	// Corrected: back to the real time. Traces keep arriving.
	h.clock.now = real
	for i := range 5 {
		real = real.Add(time.Minute)
		add(byte(5+i), real.Add(-40*time.Second))
		h.clock.Advance(time.Minute)
		_, err = p.Poll(context.Background())
		require.NoError(t, err)
	}
	h.clock.Advance(time.Minute)
	_, err = h.poller().Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 3*len(traces), "every trace once: none lost in the gap, none twice")
	seen := map[pcommon.SpanID]int{}
	for _, id := range h.emitted() {
		seen[id]++
	}
	for id, n := range seen {
		assert.Equal(t, 1, n, "span %s", id)
	}
}

func TestSourceErrorsAreScrubbedByTheEngine(t *testing.T) {
	h := newHarness(t)
	h.src.err = errors.New(`decoding "{\"key\": \"` + secret + `\"...`)
	p := h.poller()
	api, err := NewAPIClient(APIClientSettings{Client: http.DefaultClient, Endpoint: "http://127.0.0.1:1", Secrets: []string{secret}})
	require.NoError(t, err)
	p.api = api
	_, err = p.Poll(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
}

// tokenSource refuses every token but "" and serves one page.
type tokenSource struct{ fakeSource }

func (s *tokenSource) FetchPage(ctx context.Context, r PageRequest) (Page, error) {
	if r.Token != "" {
		s.tokens = append(s.tokens, r.Token)
		return Page{}, fmt.Errorf("fake: page %q: %w", r.Token, ErrInvalidToken)
	}
	return s.fakeSource.FetchPage(ctx, r)
}

func TestInvalidTokenRestartsTheQueryFromItsFirstPage(t *testing.T) {
	h := newHarness(t)
	h.src.set(done(1, t0.Add(-10*time.Minute)))
	p := h.poller()
	p.state.query = &queryState{From: t0.Add(-time.Hour), To: t0, Token: "expired-cursor"}
	src := &tokenSource{}
	src.set(done(1, t0.Add(-10*time.Minute)))
	p.src = src
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []string{"expired-cursor", ""}, src.tokens)
	assert.Equal(t, 3, h.sink.SpanCount())
}

// BenchmarkReReadLargeTrace re-reads a 20,000-span trace that was already
// emitted, as every poll of the overlap does: deduplication must cost O(1)
// per span.
func BenchmarkReReadLargeTrace(b *testing.B) {
	h := newHarness(&testing.T{})
	big := fakeTrace{id: 1, start: t0.Add(-10 * time.Minute)}
	for i := range 20000 {
		big.spans = append(big.spans, fakeSpan{id: byte(i), start: time.Second, end: 2 * time.Second})
	}
	// Distinct span IDs beyond one byte.
	conv := big.convert()
	spans := conv.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	ids := make([]pcommon.SpanID, spans.Len())
	for i := range spans.Len() {
		id := pcommon.SpanID{0: 1, 5: byte(i >> 16), 6: byte(i >> 8), 7: byte(i)}
		spans.At(i).SetSpanID(id)
		ids[i] = id
	}
	p := h.newPoller()
	p.state = newState()
	p.state.emitted.add(traceID(1), big.start, ids...)
	b.ResetTimer()
	for range b.N {
		tr := Trace{ID: traceID(1), Time: big.start, Spans: ptraceCopy(conv.Spans)}
		batch, _, _ := p.selectSpans([]Trace{tr}, time.Time{}, t0)
		if batch.SpanCount() != 0 {
			b.Fatal("re-read emitted spans again")
		}
	}
}

func TestVersion1CheckpointIsMigratedNotDiscarded(t *testing.T) {
	h := newHarness(t) // overlap 5m
	ctx := context.Background()
	wm := t0.Add(-2 * time.Minute)
	tr := done(1, t0.Add(-4*time.Minute))
	var raw []byte
	for _, s := range []pcommon.SpanID{spanID(1, 1), spanID(1, 2), spanID(1, 3)} {
		raw = append(raw, s[:]...)
	}
	seg := fmt.Sprintf(`[{"id":%q,"t":%d,"s":%q}]`, traceID(1).String(), tr.start.UnixNano(), base64.StdEncoding.EncodeToString(raw))
	require.NoError(t, h.client.Set(ctx, "fake/proj/emitted/0", []byte(seg)))
	require.NoError(t, h.client.Set(ctx, "fake/proj", []byte(fmt.Sprintf(`{"version":1,"fingerprint":"fp1","watermark":%q,"segments":1}`, wm.Format(time.RFC3339Nano)))))

	h.src.set(tr, done(2, t0.Add(-time.Minute-30*time.Second)))
	p := h.poller()
	_, err := p.Poll(ctx)
	require.NoError(t, err)
	assert.Equal(t, []pcommon.SpanID{spanID(2, 1), spanID(2, 2), spanID(2, 3)}, h.emitted(), "trace 1 was emitted before the upgrade")
	assert.Equal(t, wm.Add(-5*time.Minute), h.src.queries[0].From)
	assert.Equal(t, checkpointVersion, h.storedHead().Version)
}

func TestCaptureContentOffRemovesContentAfterConversion(t *testing.T) {
	h := newHarness(t)
	tr := done(1, t0.Add(-10*time.Minute))
	conv := tr.convert()
	sp := conv.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	sp.Attributes().PutStr("gen_ai.input.messages", `[{"role":"user","parts":[{"type":"text","content":"my secret question"}]}]`)
	sp.Attributes().PutStr("opik.output", `{"answer":"a private answer"}`)
	sp.Attributes().PutInt("gen_ai.usage.input_tokens", 12)
	ev := sp.Events().AppendEmpty()
	ev.SetName("gen_ai.content.prompt")
	ev.Attributes().PutStr("gen_ai.prompt", "my secret question")
	src := &staticSource{traces: []Trace{conv}}
	p := h.poller()
	p.src = src
	p.content = false
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	require.Equal(t, 3, h.sink.SpanCount())
	got, ok := findSpan(h.sink.AllTraces(), spanID(1, 1))
	require.True(t, ok)
	assert.Equal(t, map[string]any{"gen_ai.usage.input_tokens": int64(12)}, got.Attributes().AsRaw(), "content removed, token counts kept")
	require.Equal(t, 1, got.Events().Len(), "the event stays")
	assert.Zero(t, got.Events().At(0).Attributes().Len())
}

// staticSource serves its traces on one page.
type staticSource struct{ traces []Trace }

func (s *staticSource) FetchPage(context.Context, PageRequest) (Page, error) {
	return Page{Traces: s.traces}, nil
}

func TestOverlapIsReReadOnItsOwnCadence(t *testing.T) {
	h := newHarness(t) // overlap 5m, poll 1m, settle 30s
	h.sched.RereadInterval = 3 * time.Minute
	tr := done(1, t0.Add(-4*time.Minute))
	h.src.set(tr, done(2, t0.Add(-2*time.Minute)))
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	require.Len(t, h.emitted(), 6)
	wm := h.storedHead().Watermark
	require.Equal(t, t0.Add(-2*time.Minute), wm)

	// Trace 1 gets a late span; the next polls read only what is new.
	tr.spans = append(tr.spans, fakeSpan{id: 4, parent: 1, start: 2 * time.Second, end: 3 * time.Second})
	h.src.set(tr, done(2, t0.Add(-2*time.Minute)))
	for range 2 {
		h.clock.Advance(time.Minute)
		_, err = p.Poll(context.Background())
		require.NoError(t, err)
		last := h.src.queries[len(h.src.queries)-1]
		assert.Equal(t, wm.Add(-90*time.Second), last.From, "between re-reads: from the watermark less poll interval and settle delay")
	}
	assert.Len(t, h.emitted(), 6, "the late span waits for the re-read")

	// Three minutes after the last re-read, the overlap is read again.
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	last := h.src.queries[len(h.src.queries)-1]
	assert.Equal(t, wm.Add(-5*time.Minute), last.From)
	assert.Len(t, h.emitted(), 7, "and the late span is emitted, once")
}

func TestAFailedFirstPageKeepsTheInitialWindow(t *testing.T) {
	h := newHarness(t) // initial_lookback 1h
	first := done(1, t0.Add(-58*time.Minute))
	h.src.set(first)
	h.src.err = errTransient
	p := h.poller()
	_, err := p.Poll(context.Background())
	require.Error(t, err)

	// The vendor recovers ten minutes later: the first window still starts
	// an hour before the first poll, and the oldest trace is read.
	h.clock.Advance(10 * time.Minute)
	h.src.err = nil
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	last := h.src.queries[len(h.src.queries)-1]
	assert.Equal(t, t0.Add(-time.Hour), last.From)
	assert.Len(t, h.emitted(), 3)
}

func TestALongQueryKeepsItsLedgerBounded(t *testing.T) {
	h := newHarness(t) // overlap 5m, lookback 1h
	h.src.pageSize = 2
	var traces []fakeTrace
	for i := range 40 { // one trace every 80 s over the last hour, newest first
		traces = append(traces, done(byte(i+1), t0.Add(-time.Hour+time.Duration(i)*80*time.Second+time.Minute)))
	}
	h.src.set(traces...)
	p := h.poller()
	p.ledgerLimit = 30 // spans
	maxSeen := 0
	h.src.onFetch = func() { maxSeen = max(maxSeen, p.state.emitted.spanCount()) }
	for more := true; more; {
		var err error
		more, err = p.Poll(context.Background())
		require.NoError(t, err)
	}
	require.Len(t, h.emitted(), 120)
	assert.LessOrEqual(t, maxSeen, 30+3*2*2, "the ledger stays near its limit: the limit, the last two pages")
	assert.Less(t, p.state.emitted.spanCount(), 30)

	// Nothing is emitted twice: not by the next query, not after a restart.
	h.clock.Advance(time.Minute)
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	h.clock.Advance(time.Minute)
	_, err = h.poller().Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 120)
}
