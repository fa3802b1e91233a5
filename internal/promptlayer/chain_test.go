package promptlayer

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/llmtrace/llmtrace/internal/metadata"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/promptlayer/promptlayersim"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// chainWorld runs the part's main scenario against the poll engine on a
// virtual clock: every wait (poll interval, rate limit, retry back-off)
// moves simulated time on at once, so a half-hour run takes about a second
// and is the same on every machine.
type chainWorld struct {
	t       *testing.T
	part    *promptlayersim.Part
	sc      sim.Scenario
	data    *sim.Dataset
	clock   *sim.ManualClock
	faults  *sim.Faults
	srv     *sim.Server
	cfg     *Config
	sched   poll.Schedule
	storage *storagetest.TestClient
	sink    *consumertest.TracesSink
}

func newChainWorld(t *testing.T, part *promptlayersim.Part) *chainWorld {
	t.Helper()
	sc := part.Scenarios()[0]
	start := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	sc.Dataset.PlaceLive(start, sc.Backfill, sc.PerSecond)
	w := &chainWorld{t: t, part: part, sc: sc, data: sim.NewDataset(sc.Dataset), clock: sim.NewManualClock(start)}
	var err error
	w.faults, err = sim.NewFaults()
	require.NoError(t, err)
	for _, rule := range sc.Faults {
		_, err := w.faults.AddString(rule)
		require.NoError(t, err)
	}
	w.srv, err = sim.Start([]sim.Part{part}, &sim.Env{Data: w.data, Clock: w.clock, Creds: simCreds}, w.faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.srv.Close() })

	cfg := NewDefaultConfig()
	block := part.ReceiverConfig(w.srv.URL(Name), simCreds)
	require.NoError(t, confmap.NewFromStringMap(block).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	w.cfg = &cfg
	// The shared simulator test's schedule, reread_interval at its default
	// (overlap / 4).
	overlap := sim.MaxTraceLag + 2*time.Minute
	w.sched = poll.Schedule{
		PollInterval: 20 * time.Second, InitialLookback: sc.Backfill + 5*time.Minute, SettleDelay: 30 * time.Second,
		MaxTraceWait: 20 * time.Minute, Overlap: overlap, RereadInterval: overlap / 4, MaxPagesPerPoll: 50,
	}
	w.storage = storagetest.NewInMemoryClient(component.KindReceiver, component.MustNewID("llmtrace"), "")
	w.sink = new(consumertest.TracesSink)
	return w
}

// run starts a poller from the stored checkpoint and polls as the receiver
// does until the clock reaches until or stop holds after a poll.
func (w *chainWorld) run(until time.Time, stop func() bool) {
	w.t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set})
	require.NoError(w.t, err)
	tb, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(w.t, err)
	retry := configretry.NewDefaultBackOffConfig()
	retry.InitialInterval = time.Second
	p, err := poll.New(context.Background(), componenttest.NewNopHost(), Name, w.cfg, w.storage, poll.Settings{
		Receiver: set, Schedule: w.sched, Retry: retry, MaxResponseBytes: 64 << 20,
		Clock: simClock{w.clock}, Next: w.sink, ObsReport: obs, Telemetry: tb,
	})
	require.NoError(w.t, err)
	defer p.Close()
	require.NoError(w.t, p.Load(context.Background()))
	for w.clock.Now().Before(until) {
		started := w.clock.Now()
		more, err := p.Poll(context.Background())
		require.NoError(w.t, err)
		if stop != nil && stop() {
			return
		}
		if next := started.Add(w.sched.PollInterval); !more && w.clock.Now().Before(next) {
			w.clock.Set(next)
		}
	}
}

// runChain is the shared simulator test's run on a virtual clock: a backlog
// read in part, a restart from its checkpoint in the middle of a query,
// live traces, a second restart, until every trace has been complete for a
// while. It returns what the sink received and the restart points.
func runChain(t *testing.T, part *promptlayersim.Part) (w *chainWorld, want, got ptrace.Traces, stops [2]int) {
	w = newChainWorld(t, part)
	want = sim.ExpectedRange(w.data, 0, w.data.Len(), part.Expected)
	// A small page cap interrupts the backlog's query, so that the first
	// restart resumes it from a stored page token.
	w.sched.MaxPagesPerPoll = 3
	w.run(w.clock.Now().Add(time.Hour), func() bool { return w.sink.SpanCount() >= want.SpanCount()/4 })
	stops[0] = w.sink.SpanCount()
	w.sched.MaxPagesPerPoll = 50
	w.clock.Advance(30 * time.Second)
	w.run(w.data.StartOf(w.data.Len()-w.data.Len()/20), nil)
	stops[1] = w.sink.SpanCount()
	w.clock.Advance(time.Minute)
	allComplete := w.data.StartOf(w.data.Len() - 1).Add(sim.MaxTraceLag)
	w.run(allComplete.Add(w.sched.SettleDelay+6*w.sched.PollInterval), nil)

	got = ptrace.NewTraces()
	for _, td := range w.sink.AllTraces() {
		cp := ptrace.NewTraces()
		td.CopyTo(cp)
		cp.ResourceSpans().MoveAndAppendTo(got.ResourceSpans())
	}
	return w, want, got, stops
}

// TestExactlyOnceThroughTheChain: every span of the scenario arrives
// exactly once, through restarts and faults; the requests per endpoint are
// reported next to the API's minimum for the same data.
func TestExactlyOnceThroughTheChain(t *testing.T) {
	part := &promptlayersim.Part{}
	w, want, got, stops := runChain(t, part)
	diffs := sim.Compare(want, got, sim.CompareOptions{TimePrecision: w.sc.TimePrecision, MaxDiffs: 40})
	assert.Empty(t, diffs, "differences:\n%s", strings.Join(diffs, "\n"))
	for _, rule := range w.sc.Faults {
		assert.NotZero(t, w.faults.Injected(sim.FaultKind(strings.Split(rule, ":")[2])), "fault %s was injected", rule)
	}

	c := part.Census(w.data)
	spans := float64(want.SpanCount())
	per1000 := func(n int) float64 { return 1000 * float64(n) / spans }
	t.Logf("%d traces (%d traced, %d untraced request logs), %d request logs, %d spans expected, %d received; restarts after %d and %d spans",
		w.data.Len(), c.Traces, c.UntracedLogs, c.RequestLogs, want.SpanCount(), got.SpanCount(), stops[0], stops[1])
	t.Logf("%d requests in all (%.0f per 1000 spans), %d searches answered 429 by the search limit",
		w.srv.Requests(Name), per1000(w.srv.Requests(Name)), part.RateLimited())
	for _, e := range []struct {
		name     string
		endpoint int
		minimum  int
	}{
		// The API's minimum for the same data: every request log listed
		// once at 25 per search, read once, and every traced trace read
		// once when complete.
		{"POST /api/public/v2/requests/search", promptlayersim.EndpointSearch, (c.RequestLogs + MaxPageSize - 1) / MaxPageSize},
		{"GET /api/public/v2/requests/{id}", promptlayersim.EndpointRequest, c.RequestLogs},
		{"GET /api/public/v2/traces/{id}", promptlayersim.EndpointTrace, c.Traces},
	} {
		n := part.Served(e.endpoint)
		t.Logf("%-38s %5d served (%6.1f per 1000 spans); API minimum %4d (%6.1f per 1000 spans)", e.name, n, per1000(n), e.minimum, per1000(e.minimum))
	}
}

// TestSearchLimitIsKeptClientSide: the same run provokes not one 429 from
// the search limit. The source does not pace itself: the API client keeps
// to Config.Limits (the search path's rate).
func TestSearchLimitIsKeptClientSide(t *testing.T) {
	if testing.Short() {
		t.Skip("needs the API client's per-path rate limit (poll.Limits.Paths)")
	}
	part := &promptlayersim.Part{}
	runChain(t, part)
	assert.Zero(t, part.RateLimited(), "searches refused with 429 by the search limit: the API client must keep to Config.Limits().Paths")
}
