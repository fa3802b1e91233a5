package llmtracereceiver

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// simulated is implemented by every vendor config: its simulator part.
type simulated interface {
	Simulator() sim.Part
}

// registeredParts returns the simulator part of every registered vendor,
// in registration order.
func registeredParts(t *testing.T) []sim.Part {
	t.Helper()
	var parts []sim.Part
	for _, b := range poll.Blocks(createDefaultConfig().(*Config)) {
		s, ok := b.New().(simulated)
		require.True(t, ok, "vendor %s has no simulator", b.Name)
		part := s.Simulator()
		require.Equal(t, b.Name, part.Name(), "the simulator of block %s has another name", b.Name)
		parts = append(parts, part)
	}
	return parts
}

// TestVendorsExactlyOnceAgainstTheSimulator runs every scenario of every
// registered vendor's simulator: the receiver on a clock 30 times faster
// than real time reads a backlog, then follows live traces (running traces,
// late spans, updates) through the scenario's faults, and is stopped and
// restarted from its checkpoint twice, once in the backlog and once while
// live traces arrive. Every span of the dataset must reach the sink exactly
// once, as the ground truth has it.
func TestVendorsExactlyOnceAgainstTheSimulator(t *testing.T) {
	if testing.Short() {
		t.Skip("every vendor against its simulator; about 40 s per scenario")
	}
	for _, part := range registeredParts(t) {
		for _, sc := range part.Scenarios() {
			name := part.Name()
			if sc.Name != "" {
				name += "/" + sc.Name
			}
			t.Run(name, func(t *testing.T) {
				if sc.Part == nil {
					sc.Part = part
				}
				runExactlyOnce(t, sc, nil)
			})
		}
	}
}

// runExactlyOnce runs one scenario (with m's faults when m is not nil) and
// returns the credentials the simulated vendor accepted.
func runExactlyOnce(t *testing.T, sc sim.Scenario, m *matrix) sim.Credentials {
	began := time.Now()
	part := sc.Part
	w := newSimWorld(t, simWorldConfig{dataset: sc.Dataset, backfill: sc.Backfill, perSecond: sc.PerSecond, speed: 30}, part)
	if m != nil {
		w.host = m.host(t.TempDir())
		w.set.Logger = m.logger
		w.offset = m.clockOffset
	}
	for _, rule := range sc.Faults {
		_, err := w.faults.AddString(rule)
		require.NoError(t, err)
	}
	block := part.ReceiverConfig(w.srv.URL(part.Name()), w.creds)
	for k, v := range sc.Config {
		block[k] = v
	}
	configure := func(c *Config) {
		// The overlap must cover the longest trace plus its late spans:
		// a vendor that shows only ended spans (Langtrace) reveals a
		// long-running root only when it ends, and a late span batch is
		// found only by a re-read.
		c.Overlap = sim.MaxTraceLag + 5*time.Minute
		// A late span is found at the next re-read of the overlap: the
		// overlap less the re-read interval must cover the longest lag.
		c.RereadInterval = 2 * time.Minute
		require.NoError(t, c.Unmarshal(confmap.NewFromStringMap(map[string]any{part.Name(): block})))
	}
	cfg := w.config(configure)
	want := w.expected(part)
	sink := new(consumertest.TracesSink)
	var restarts []string
	note := func() {
		at := w.clock.Now().Sub(w.data.Config().Origin.Add(w.backfill)).Round(time.Second)
		restarts = append(restarts, "stopped at +"+at.String()+" after "+strconv.Itoa(sink.SpanCount())+" spans")
	}

	// First receiver: stopped in the middle of the backlog.
	r := w.start(cfg, sink)
	simWaitFor(t, 60*time.Second, func() bool { return sink.SpanCount() >= want.SpanCount()/4 })
	require.NoError(t, r.Shutdown(context.Background()))
	note()

	// Half a minute down, then a second receiver on the same storage
	// resumes; it is stopped while live traces arrive.
	w.waitUntil(w.clock.Now().Add(30 * time.Second))
	r = w.start(cfg, sink)
	w.waitUntil(latest(w.data.StartOf(w.data.Len()-w.data.Len()/20), w.clock.Now().Add(30*time.Second)))
	require.NoError(t, r.Shutdown(context.Background()))
	note()

	// A minute down, then a third receiver until every trace has been
	// complete for a while. On a loaded machine the poller may lag the
	// simulated clock: give it time to catch up, then a few more polls for
	// duplicates to show.
	w.waitUntil(w.clock.Now().Add(time.Minute))
	if m != nil && m.atRestart != nil {
		cfg = w.config(func(c *Config) {
			configure(c)
			m.atRestart(c, block)
			require.NoError(t, c.Unmarshal(confmap.NewFromStringMap(map[string]any{part.Name(): block})))
		})
	}
	r = w.start(cfg, sink)
	w.waitUntil(w.allComplete().Add(cfg.SettleDelay + cfg.rereadInterval() + 3*cfg.PollInterval - w.offset))
	// (Not fatal: the comparison below says what is missing.)
	waitUntilOrLimit(time.Minute, func() bool { return sink.SpanCount() >= want.SpanCount() })
	w.waitUntil(w.clock.Now().Add(3 * cfg.PollInterval))
	require.NoError(t, r.Shutdown(context.Background()))

	got := mergeTraces(sink.AllTraces())
	diffs := sim.Compare(want, got, sim.CompareOptions{TimePrecision: sc.TimePrecision, MaxDiffs: 40})
	assert.Empty(t, diffs, "differences:\n%s", strings.Join(diffs, "\n"))
	injected := map[string]int{}
	for _, rule := range sc.Faults {
		kind := sim.FaultKind(strings.Split(rule, ":")[2])
		injected[string(kind)] = w.faults.Injected(kind)
		assert.NotZero(t, injected[string(kind)], "fault %s was injected", rule)
	}
	requests := w.srv.Requests(part.Name())
	t.Logf("%d traces, %d spans expected, %d received; %s", w.data.Len(), want.SpanCount(), got.SpanCount(), strings.Join(restarts, "; "))
	t.Logf("%d requests (%.1f per 1000 spans), faults injected: %v", requests, 1000*float64(requests)/float64(want.SpanCount()), injected)
	t.Logf("simulated %s in %s", w.clock.Now().Sub(w.data.Config().Origin.Add(w.backfill)).Round(time.Second), time.Since(began).Round(100*time.Millisecond))
	return w.creds
}

// waitUntilOrLimit polls cond until it holds or the real-time limit passes.
func waitUntilOrLimit(limit time.Duration, cond func() bool) {
	for deadline := time.Now().Add(limit); !cond() && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
}

// simWaitFor polls cond until it holds or the real-time limit passes.
func simWaitFor(t *testing.T, limit time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s", limit)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func latest(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
