package langsmith

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/collector/receiver/receivertest"

	"github.com/llmtrace/llmtrace/internal/langsmith/langsmithsim"
	"github.com/llmtrace/llmtrace/internal/metadata"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// steppingClock is the simulated clock for the engine: its sleeps move it.
type steppingClock struct{ c *sim.ManualClock }

func (s steppingClock) Now() time.Time { return s.c.Now() }
func (s steppingClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		s.c.Advance(d)
	}
	return ctx.Err()
}

// TestRequestsPerThousandSpans runs the real poll engine (no faults, no
// restarts) over the scenarios' datasets, polling every 20 s of simulated
// time as the shared test does, and reports the requests per endpoint next
// to the API's minimum for the same data: every trace's runs read once
// (GET .../runs admits no batching), the discovery list paged at 100, the
// project resolved once; in threads mode also one listing per thread.
func TestRequestsPerThousandSpans(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the engine over 3000 traces per mode")
	}
	for _, mode := range []string{DiscoveryTraces, DiscoveryThreads} {
		t.Run(mode, func(t *testing.T) {
			part := &langsmithsim.Part{ThreadsOnly: mode == DiscoveryThreads}
			now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
			dc := sim.DatasetConfig{Seed: 20261127, Traces: 3000, LateFraction: 0.08, LongRunningFraction: 0.05}
			dc.PlaceLive(now, 22*time.Minute, 2)
			w := newSimWorld(t, part, dc)
			w.clock.Set(now)
			sink := runEngine(t, w, w.config(nil))
			want := sim.ExpectedRange(w.data, 0, w.data.Len(), sim.TruthFor(part, w.creds))
			diffs := sim.Compare(want, mergeAll(sink), sim.CompareOptions{MaxDiffs: 5})
			require.Empty(t, diffs, strings.Join(diffs, "\n"))
			spans := want.SpanCount()
			total := 0
			var lines []string
			for k, n := range w.paths {
				total += n
				lines = append(lines, fmt.Sprintf("%-34s %6d (%6.1f per 1000 spans)", k, n, 1000*float64(n)/float64(spans)))
			}
			sort.Strings(lines)
			traces, threads, late := 0, map[string]bool{}, 0
			for i := range w.data.Len() {
				tr := w.data.Trace(i)
				if part.ThreadsOnly && tr.ThreadID == "" {
					continue
				}
				traces++
				threads[tr.ThreadID] = true
				for _, s := range tr.Spans {
					if s.Visible.Sub(s.End) > 10*time.Second {
						late++
						break
					}
				}
			}
			minimum := 1 + (traces+99)/100 + traces
			if part.ThreadsOnly {
				minimum = 1 + (len(threads)+99)/100 + len(threads) + traces
			}
			t.Logf("%d traces (%d with a late batch), %d spans\n%s\ntotal %d (%.1f per 1000 spans); API minimum %d (%.1f per 1000 spans), %d (%.1f) if every late batch costs one more read",
				traces, late, spans, strings.Join(lines, "\n"), total, 1000*float64(total)/float64(spans),
				minimum, 1000*float64(minimum)/float64(spans), minimum+late, 1000*float64(minimum+late)/float64(spans))
		})
	}
}

// runEngine polls with the real engine until every trace has been complete
// for a while: poll every 20 s, settle 30 s, overlap 15 min (the shared
// test's schedule).
func runEngine(t *testing.T, w *simWorld, cfg *Config) *consumertest.TracesSink {
	t.Helper()
	set := receivertest.NewNopSettings(metadata.Type)
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: set.ID, Transport: "http", ReceiverCreateSettings: set})
	require.NoError(t, err)
	tel, err := metadata.NewTelemetryBuilder(set.TelemetrySettings)
	require.NoError(t, err)
	sink := new(consumertest.TracesSink)
	clock := steppingClock{w.clock}
	sched := poll.Schedule{PollInterval: 20 * time.Second, InitialLookback: 27 * time.Minute, SettleDelay: 30 * time.Second,
		MaxTraceWait: 20 * time.Minute, Overlap: sim.MaxTraceLag + 2*time.Minute, MaxPagesPerPoll: 50}
	p, err := poll.New(context.Background(), componenttest.NewNopHost(), Name, cfg, nil, poll.Settings{
		Receiver: set, Schedule: sched, Retry: configretry.NewDefaultBackOffConfig(), MaxResponseBytes: 64 << 20,
		Clock: clock, Next: sink, ObsReport: obs, Telemetry: tel,
	})
	require.NoError(t, err)
	defer p.Close()
	ctx := context.Background()
	require.NoError(t, p.Load(ctx))
	end := w.data.StartOf(w.data.Len() - 1).Add(sim.MaxTraceLag + 2*time.Minute)
	for w.clock.Now().Before(end) {
		started := w.clock.Now()
		for {
			more, err := p.Poll(ctx)
			require.NoError(t, err)
			if !more {
				break
			}
		}
		if next := started.Add(sched.PollInterval); next.After(w.clock.Now()) {
			w.clock.Set(next)
		}
	}
	return sink
}

func mergeAll(sink *consumertest.TracesSink) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, td := range sink.AllTraces() {
		td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}
