package llmtracereceiver

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/metadata"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// simWorld runs vendor simulators on an accelerated clock that the receiver
// under test shares, so minutes of vendor time (settle delays, long-running
// traces, late spans) pass in seconds.
type simWorld struct {
	t        *testing.T
	speed    float64
	clock    *sim.LiveClock
	data     *sim.Dataset
	srv      *sim.Server
	faults   *sim.Faults
	parts    []sim.Part
	creds    sim.Credentials
	host     component.Host
	backfill time.Duration
	// set is shared by every receiver the world starts: the same receiver
	// ID across restarts, as in a collector, so storage clients match.
	set receiver.Settings
	// offset is how far the receiver's clock is off the vendor's.
	offset time.Duration
}

// simWorldConfig shapes a simulated world: backfill worth of traces already
// exist at start, then new ones start at perSecond (vendor time) until
// dataset.Traces are used up.
type simWorldConfig struct {
	dataset   sim.DatasetConfig
	backfill  time.Duration
	perSecond float64
	speed     float64
}

func newSimWorld(t *testing.T, wc simWorldConfig, parts ...sim.Part) *simWorld {
	t.Helper()
	now := time.Now().UTC()
	clock := sim.NewLiveClock(now, wc.speed)
	wc.dataset.PlaceLive(now, wc.backfill, wc.perSecond)
	data := sim.NewDataset(wc.dataset)
	faults, err := sim.NewFaults()
	require.NoError(t, err)
	creds := sim.Credentials{APIKey: "sim-secret-key-0123456789", Workspace: "sim-workspace", Project: "sim-project"}
	srv, err := sim.Start(parts, &sim.Env{Data: data, Clock: clock, Creds: creds}, faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &simWorld{
		t: t, speed: wc.speed, clock: clock, data: data, srv: srv, faults: faults, parts: parts, creds: creds,
		host:     storagetest.NewStorageHost().WithFileBackedStorageExtension("sim", t.TempDir()),
		backfill: wc.backfill,
		set:      testSettings(),
	}
}

// config is a receiver configuration with a schedule fit for the simulated
// world and checkpoints in a file-backed storage extension; mutate adds the
// vendor blocks.
func (w *simWorld) config(mutate func(*Config)) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.PollInterval = 20 * time.Second
	cfg.InitialLookback = w.backfill + 5*time.Minute
	cfg.SettleDelay = 30 * time.Second
	cfg.MaxTraceWait = 20 * time.Minute
	// The overlap must cover the longest trace plus its late spans: a
	// vendor that shows only ended spans (Langtrace) reveals a long-running
	// root only when it ends.
	cfg.Overlap = sim.MaxTraceLag + 5*time.Minute
	cfg.RereadInterval = 2 * time.Minute
	cfg.RetryOnFailure.InitialInterval = time.Second
	id := storagetest.NewStorageID("sim")
	cfg.StorageID = &id
	mutate(cfg)
	require.NoError(w.t, cfg.Validate())
	return cfg
}

// start creates and starts a receiver on the world's clock.
func (w *simWorld) start(cfg *Config, next consumer.Traces) *tracesReceiver {
	w.t.Helper()
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{ReceiverID: w.set.ID, Transport: "http", ReceiverCreateSettings: w.set})
	require.NoError(w.t, err)
	r := newTracesReceiver(cfg, w.set, next, obs)
	r.clock = scaledClock{clock: w.clock, speed: w.speed, offset: w.offset}
	require.NoError(w.t, r.Start(context.Background(), w.host))
	w.t.Cleanup(func() { _ = r.Shutdown(context.Background()) })
	return r
}

// waitUntil sleeps until the world's clock reaches at.
func (w *simWorld) waitUntil(at time.Time) {
	if d := at.Sub(w.clock.Now()); d > 0 {
		time.Sleep(time.Duration(float64(d) / w.speed))
	}
}

// allComplete is when every trace of the dataset has ended and every late
// span has arrived.
func (w *simWorld) allComplete() time.Time {
	return w.data.StartOf(w.data.Len() - 1).Add(sim.MaxTraceLag)
}

// expected is the ground truth of the whole dataset as part serves it.
func (w *simWorld) expected(part sim.Part) ptrace.Traces {
	return sim.ExpectedRange(w.data, 0, w.data.Len(), sim.TruthFor(part, w.creds))
}

// scaledClock lets the poll engine run on the simulated clock: its sleeps
// take 1/speed of the simulated duration.
type scaledClock struct {
	clock  *sim.LiveClock
	speed  float64
	offset time.Duration // a host clock that is off
}

func (c scaledClock) Now() time.Time { return c.clock.Now().Add(c.offset) }

func (c scaledClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(time.Duration(float64(d) / c.speed))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// mergeTraces puts everything a sink received into one ptrace.Traces.
func mergeTraces(all []ptrace.Traces) ptrace.Traces {
	out := ptrace.NewTraces()
	for _, td := range all {
		cp := ptrace.NewTraces()
		td.CopyTo(cp)
		cp.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

// testSettings are nop receiver settings; LLMTRACE_TEST_LOG=1 logs the
// receivers at debug level on stderr.
func testSettings() receiver.Settings {
	set := receivertest.NewNopSettings(metadata.Type)
	if os.Getenv("LLMTRACE_TEST_LOG") == "1" {
		set.Logger, _ = zap.NewDevelopment()
	}
	return set
}
