package poll

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/metadata"
)

// t0 is the fake clock's start.
var t0 = time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is a manual clock whose Sleep advances time at once.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock { return &fakeClock{now: t0} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	if d > 0 {
		c.now = c.now.Add(d)
	}
	return nil
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// fakeSpan describes one span of a fakeTrace.
type fakeSpan struct {
	id     byte
	parent byte
	start  time.Duration // offset from the trace's start
	end    time.Duration // 0: in progress
}

// fakeTrace is a trace the fake source serves.
type fakeTrace struct {
	id    byte
	start time.Time
	spans []fakeSpan
}

func traceID(b byte) pcommon.TraceID  { return pcommon.TraceID{15: b} }
func spanID(t, s byte) pcommon.SpanID { return pcommon.SpanID{0: t, 7: s} }

func (f fakeTrace) convert() Trace {
	td, spans := NewTraceSpans("fake", "proj", "", len(f.spans))
	for _, s := range f.spans {
		sp := spans.AppendEmpty()
		sp.SetTraceID(traceID(f.id))
		sp.SetSpanID(spanID(f.id, s.id))
		if s.parent != 0 {
			sp.SetParentSpanID(spanID(f.id, s.parent))
		}
		sp.SetName("span-" + strconv.Itoa(int(s.id)))
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(f.start.Add(s.start)))
		if s.end != 0 {
			sp.SetEndTimestamp(pcommon.NewTimestampFromTime(f.start.Add(s.end)))
		}
	}
	return Trace{ID: traceID(f.id), Time: f.start, Spans: td}
}

// fakeSource serves its traces newest first in pages of pageSize, with the
// page number as token.
type fakeSource struct {
	mu       sync.Mutex
	traces   []fakeTrace
	pageSize int
	err      error
	calls    int
	queries  []Query
	tokens   []string
	// ignoreWindow returns every trace, like an API without a time filter.
	ignoreWindow bool
	// block, when set, makes FetchPage wait until it is closed or ctx ends.
	block chan struct{}
	// onFetch, when set, is called at the start of every FetchPage.
	onFetch func()
}

func (s *fakeSource) set(traces ...fakeTrace) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.traces = traces
}

func (s *fakeSource) FetchPage(ctx context.Context, r PageRequest) (Page, error) {
	q, token := r.Query, r.Token
	if s.onFetch != nil {
		s.onFetch()
	}
	s.mu.Lock()
	s.calls++
	s.queries = append(s.queries, q)
	s.tokens = append(s.tokens, token)
	block, err := s.block, s.err
	s.mu.Unlock()
	if block != nil {
		select {
		case <-block:
		case <-ctx.Done():
			return Page{}, ctx.Err()
		}
	}
	if err != nil {
		return Page{}, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	size := s.pageSize
	if size == 0 {
		size = 100
	}
	page := 0
	if token != "" {
		page, _ = strconv.Atoi(token)
	}
	var in []fakeTrace
	for i := len(s.traces) - 1; i >= 0; i-- { // newest first
		if s.ignoreWindow || !s.traces[i].start.Before(q.From) {
			in = append(in, s.traces[i])
		}
	}
	lo := min(page*size, len(in))
	hi := min(lo+size, len(in))
	out := Page{}
	for _, tr := range in[lo:hi] {
		out.Traces = append(out.Traces, tr.convert())
	}
	if hi < len(in) {
		out.Next = strconv.Itoa(page + 1)
	}
	return out, nil
}

// harness wires a Poller to a fake source, a fake clock, a sink and a
// storage client, as the receiver does.
type harness struct {
	t      *testing.T
	src    *fakeSource
	clock  *fakeClock
	sink   *consumertest.TracesSink
	next   consumer.Traces
	client storage.Client
	sched  Schedule
	paging string
}

func newHarness(t *testing.T) *harness {
	return &harness{
		t:      t,
		src:    &fakeSource{},
		clock:  newFakeClock(),
		sink:   new(consumertest.TracesSink),
		client: storagetest.NewInMemoryClient(component.KindReceiver, component.MustNewID("llmtrace"), ""),
		sched: Schedule{
			PollInterval:    time.Minute,
			InitialLookback: time.Hour,
			SettleDelay:     30 * time.Second,
			MaxTraceWait:    10 * time.Minute,
			Overlap:         5 * time.Minute,
			MaxPagesPerPoll: 10,
		},
	}
}

// poller builds a fresh poller (as after a restart) over the same storage
// and loads its checkpoint.
func (h *harness) poller() *Poller {
	p := h.newPoller()
	require.NoError(h.t, p.Load(context.Background()))
	return p
}

// newPoller builds a fresh poller without loading its checkpoint.
func (h *harness) newPoller() *Poller {
	next := h.next
	if next == nil {
		next = h.sink
	}
	set := receivertest.NewNopSettings(metadata.Type)
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set})
	require.NoError(h.t, err)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(h.t, err)
	p := &Poller{
		src:     h.src,
		sched:   h.sched,
		clock:   h.clock,
		store:   &checkpointStore{client: h.client, key: "fake/proj", fingerprint: "fp1", paging: h.paging, overlap: h.sched.Overlap, logger: zap.NewNop()},
		retry:   configretry.BackOffConfig{Enabled: true, InitialInterval: time.Second, Multiplier: 2, MaxInterval: time.Minute},
		next:    next,
		obs:     obs,
		tel:     newTelemetry(tb, "fake"),
		logger:  zap.NewNop(),
		format:  "fake_json",
		content: true,
	}
	return p
}

// emitted lists the span IDs the sink received, in order.
func (h *harness) emitted() []pcommon.SpanID {
	var ids []pcommon.SpanID
	for _, td := range h.sink.AllTraces() {
		rss := td.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					ids = append(ids, spans.At(k).SpanID())
				}
			}
		}
	}
	return ids
}

func (h *harness) storedHead() head {
	raw, err := h.client.Get(context.Background(), "fake/proj")
	require.NoError(h.t, err)
	var hd head
	if raw != nil {
		require.NoError(h.t, json.Unmarshal(raw, &hd))
	}
	return hd
}

func findSpan(td []ptrace.Traces, id pcommon.SpanID) (ptrace.Span, bool) {
	for _, t := range td {
		rss := t.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			sss := rss.At(i).ScopeSpans()
			for j := 0; j < sss.Len(); j++ {
				spans := sss.At(j).Spans()
				for k := 0; k < spans.Len(); k++ {
					if spans.At(k).SpanID() == id {
						return spans.At(k), true
					}
				}
			}
		}
	}
	return ptrace.Span{}, false
}

// done is a finished trace of three spans that started at start.
func done(id byte, start time.Time) fakeTrace {
	return fakeTrace{id: id, start: start, spans: []fakeSpan{
		{id: 1, start: 0, end: 3 * time.Second},
		{id: 2, parent: 1, start: time.Second, end: 2 * time.Second},
		{id: 3, parent: 1, start: 2 * time.Second, end: 3 * time.Second},
	}}
}

var errTransient = errors.New("backend unavailable")

func ptraceCopy(td ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	td.CopyTo(out)
	return out
}
