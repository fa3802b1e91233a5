package llmtracereceiver

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/llmtrace/llmtrace/internal/opik/opiksim"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// TestOpikSimulatorExactlyOnce runs the receiver against the Opik simulator
// on a clock 30 times faster than real time: a backlog of traces, then live
// ones; traces listed while their root runs (end_time null) and updated
// later; late span batches; 429 with RateLimit-Reset, a 5xx burst and
// repeated items across pages; and two restarts from the checkpoint, one
// in the backlog and one while live traces arrive. Every span of the
// dataset must reach the sink exactly once.
func TestOpikSimulatorExactlyOnce(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end against the simulator; about 40 s")
	}
	began := time.Now()
	part := &opiksim.Part{}
	w := newSimWorld(t, simWorldConfig{
		dataset: sim.DatasetConfig{
			Seed:                20260302,
			Traces:              3300,
			LateFraction:        0.08,
			LongRunningFraction: 0.05,
		},
		backfill:  25 * time.Minute, // 3000 traces at 2 per second
		perSecond: 2,                // then 300 more over 150 s
		speed:     30,
	}, part)
	for _, rule := range []string{
		"opik:GET /v1/private/traces:429-reset:every=13,seconds=2",
		"opik:GET /v1/private/spans:5xx:every=41,burst=3,status=503",
		"opik:GET /v1/private/traces:duplicate:every=5,count=4",
		"opik:GET /v1/private/traces:shift:every=9,count=2",
	} {
		_, err := w.faults.AddString(rule)
		require.NoError(t, err)
	}

	cfg := w.config(func(c *Config) {
		o := c.Opik.GetOrInsertDefault()
		o.ClientConfig.Endpoint = w.srv.URL(opiksim.Name)
		o.APIKey = configopaque.String(w.creds.APIKey)
		o.Workspace = w.creds.Workspace
		o.ProjectName = w.creds.Project
		o.PageSize = 500
		// Opik lists a running trace (end_time null), which holds the
		// watermark back; but a late span batch reaches Opik after its
		// trace was emitted, up to MaxTraceLag after the trace's id time,
		// and only a re-read finds it. The overlap must cover that lag,
		// plus the settle delay and a poll interval.
		c.Overlap = sim.MaxTraceLag + 2*time.Minute
	})
	sink := new(consumertest.TracesSink)

	// First receiver: starts on the backlog and is stopped in the middle
	// of it.
	r := w.start(cfg, sink)
	opikWaitFor(t, 20*time.Second, func() bool { return sink.SpanCount() >= 5000 })
	require.NoError(t, r.Shutdown(context.Background()))
	restarts := []string{opikRestartNote(w, sink)}

	// Half a minute down, then a second receiver on the same storage
	// resumes; it is stopped while live traces arrive.
	w.waitUntil(w.clock.Now().Add(30 * time.Second))
	r = w.start(cfg, sink)
	w.waitUntil(w.data.StartOf(w.data.Len() - 150))
	require.NoError(t, r.Shutdown(context.Background()))
	restarts = append(restarts, opikRestartNote(w, sink))

	// A minute down, then a third receiver until every trace has been
	// complete for a while.
	w.waitUntil(w.clock.Now().Add(time.Minute))
	r = w.start(cfg, sink)
	w.waitUntil(w.allComplete().Add(cfg.SettleDelay + 3*cfg.PollInterval))
	require.NoError(t, r.Shutdown(context.Background()))

	want := w.expected(part)
	got := mergeTraces(sink.AllTraces())
	diffs := sim.Compare(want, got, sim.CompareOptions{MaxDiffs: 40})
	assert.Empty(t, diffs, "differences:\n%s", strings.Join(diffs, "\n"))

	requests := w.srv.Requests(opiksim.Name)
	injected := map[sim.FaultKind]int{}
	for _, k := range []sim.FaultKind{sim.Fault429Reset, sim.Fault5xx, sim.FaultDuplicate, sim.FaultShift} {
		injected[k] = w.faults.Injected(k)
		assert.NotZero(t, injected[k], "fault %s was injected", k)
	}
	t.Logf("%d traces, %d spans expected, %d received; restarts: %s",
		w.data.Len(), want.SpanCount(), got.SpanCount(), strings.Join(restarts, "; "))
	t.Logf("%d requests (%.1f per 1000 spans), faults injected: %v",
		requests, 1000*float64(requests)/float64(want.SpanCount()), injected)
	long, late := opikDatasetShape(w.data)
	t.Logf("%d long-running roots (listed with end_time null), %d late span batches", long, late)
	t.Logf("simulated %s in %s", w.clock.Now().Sub(w.data.Config().Origin.Add(w.backfill)).Round(time.Second),
		time.Since(began).Round(100*time.Millisecond))
}

// opikRestartNote says when a receiver stopped and how far it had come.
func opikRestartNote(w *simWorld, sink *consumertest.TracesSink) string {
	at := w.clock.Now().Sub(w.data.Config().Origin.Add(w.backfill)).Round(time.Second)
	return "stopped at +" + at.String() + " after " + strconv.Itoa(sink.SpanCount()) + " spans"
}

// opikWaitFor polls cond until it holds or the real-time limit passes.
func opikWaitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// opikDatasetShape counts the traces with a long-running root and those
// with a span that reaches the vendor long after it ended.
func opikDatasetShape(d *sim.Dataset) (long, late int) {
	for i := range d.Len() {
		tr := d.Trace(i)
		if root := tr.Root(); root.Visible.Before(root.End) {
			long++
		}
		for _, s := range tr.Spans[1:] {
			if s.Visible.Sub(s.End) >= 20*time.Second {
				late++
				break
			}
		}
	}
	return long, late
}
