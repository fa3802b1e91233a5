package llmtracereceiver

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/extension/xextension/storage"

	"github.com/llmtrace/llmtrace/internal/langtrace/langtracesim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// TestLangtraceSimulatorExactlyOnce runs the receiver against the Langtrace
// simulator on a clock 30 times faster than real time: a backlog of traces,
// live arrivals that shift pages during reads, the shift and duplicate
// pagination faults, a 5xx burst, 429 with Retry-After, in-progress traces
// and late spans, and a restart from the checkpoint halfway through. Every
// span of the dataset must reach the sink exactly once.
func TestLangtraceSimulatorExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the simulator; about 35 s")
	}
	began := time.Now()
	part := &langtracesim.Part{}
	w := newSimWorld(t, simWorldConfig{
		dataset:   sim.DatasetConfig{Seed: 20260301, Traces: 3000},
		backfill:  15 * time.Minute, // 2700 traces at 3 per second
		perSecond: 3,                // then 300 more over 100 s
		speed:     30,
	}, part)
	for _, rule := range []string{
		"langtrace:POST /api/traces:shift:every=3,count=2",
		"langtrace:POST /api/traces:duplicate:every=7,count=3",
		"langtrace:POST /api/traces:5xx:every=50,burst=3,status=502",
		"langtrace:POST /api/traces:429-retry-after:every=37,seconds=2",
	} {
		_, err := w.faults.AddString(rule)
		require.NoError(t, err)
	}

	cfg := w.config(func(c *Config) {
		lt := c.Langtrace.GetOrInsertDefault()
		lt.ClientConfig.Endpoint = w.srv.URL(langtracesim.Name)
		lt.APIKey = configopaque.String(w.creds.APIKey)
		lt.ProjectID = w.creds.Project
		lt.PageSize = 100
		// Langtrace lists a trace from its first exported span on and has
		// no notion of a trace in progress: a root that runs for 10
		// minutes, or a late batch after it, can only be found again by
		// re-reading. The overlap must cover the longest such lag, plus
		// the settle delay and a poll interval.
		c.Overlap = sim.MaxTraceLag + 2*time.Minute
	})
	sink := new(consumertest.TracesSink)

	// First receiver: reads the backlog, then follows the live traces
	// until it is stopped in the middle of a query.
	first := w.start(cfg, sink)
	ltWaitFor(t, 20*time.Second, func() bool { return w.srv.Requests(langtracesim.Name) >= 70 })
	require.NoError(t, first.Shutdown(context.Background()))
	stoppedAt, spansBefore := w.clock.Now(), sink.SpanCount()
	require.NotZero(t, spansBefore)
	cp := ltCheckpoint(t, w, cfg, first)
	t.Logf("stopped after %d spans; checkpoint: watermark %s before now, interrupted query at page %q",
		spansBefore, stoppedAt.Sub(cp.Watermark).Round(time.Second), cp.Query.Token)

	// A minute of downtime (pages shift under the interrupted query),
	// then a new receiver on the same storage resumes from the checkpoint.
	w.waitUntil(stoppedAt.Add(time.Minute))
	second := w.start(cfg, sink)
	want := w.expected(part)
	w.waitUntil(w.allComplete().Add(cfg.SettleDelay + 3*cfg.PollInterval))
	// On a loaded machine the poller may lag the simulated clock: give it
	// time to catch up, then a few more polls for duplicates to show.
	ltWaitFor(t, time.Minute, func() bool { return sink.SpanCount() >= want.SpanCount() })
	w.waitUntil(w.clock.Now().Add(3 * cfg.PollInterval))
	require.NoError(t, second.Shutdown(context.Background()))

	got := mergeTraces(sink.AllTraces())
	diffs := sim.Compare(want, got, sim.CompareOptions{TimePrecision: time.Microsecond, MaxDiffs: 40})
	assert.Empty(t, diffs, "differences:\n%s", strings.Join(diffs, "\n"))

	requests := w.srv.Requests(langtracesim.Name)
	injected := map[sim.FaultKind]int{}
	for _, k := range []sim.FaultKind{sim.FaultShift, sim.FaultDuplicate, sim.Fault5xx, sim.Fault429RetryAfter} {
		injected[k] = w.faults.Injected(k)
		assert.NotZero(t, injected[k], "fault %s was injected", k)
	}
	t.Logf("%d traces, %d spans expected, %d received (%d before the restart at %s)",
		w.data.Len(), want.SpanCount(), got.SpanCount(), spansBefore, stoppedAt.Sub(w.data.Config().Origin).Round(time.Second))
	t.Logf("%d requests (%.1f per 1000 spans), faults injected: %v", requests, 1000*float64(requests)/float64(want.SpanCount()), injected)
	t.Logf("simulated %s in %s", w.clock.Now().Sub(w.data.Config().Origin.Add(w.backfill)).Round(time.Second), time.Since(began).Round(100*time.Millisecond))
}

// ltHead is the part of the stored checkpoint head the test looks at.
type ltHead struct {
	Watermark time.Time `json:"watermark"`
	Query     struct {
		Token string `json:"token"`
	} `json:"query"`
}

// ltCheckpoint reads the Langtrace checkpoint a stopped receiver left in the
// world's storage.
func ltCheckpoint(t *testing.T, w *simWorld, cfg *Config, r *tracesReceiver) ltHead {
	t.Helper()
	ctx := context.Background()
	ext, ok := w.host.GetExtensions()[*cfg.StorageID].(storage.Extension)
	require.True(t, ok)
	client, err := ext.GetClient(ctx, component.KindReceiver, r.set.ID, "")
	require.NoError(t, err)
	defer func() { require.NoError(t, client.Close(ctx)) }()
	raw, err := client.Get(ctx, poll.CheckpointKey(langtracesim.Name, w.creds.Project))
	require.NoError(t, err)
	var h ltHead
	require.NoError(t, json.Unmarshal(raw, &h))
	return h
}

// ltWaitFor polls cond until it holds or the real-time limit passes.
func ltWaitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Errorf("condition not met within %s", limit)
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}
