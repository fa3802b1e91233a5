package langwatch

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/llmtrace/llmtrace/internal/langwatch/langwatchsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

const (
	simKey     = "sk-lw-sim-key-0123456789"
	simProject = "project_support_bot"
)

// world is a LangWatch simulator part served on a manual clock, and what a
// test needs to point sources at it.
type world struct {
	t      *testing.T
	part   *langwatchsim.Part
	data   *sim.Dataset
	clock  *sim.ManualClock
	faults *sim.Faults
	srv    *sim.Server
	logs   *observer.ObservedLogs
	warns  int
}

func newWorld(t *testing.T, cfg sim.DatasetConfig, part *langwatchsim.Part) *world {
	t.Helper()
	if part == nil {
		part = &langwatchsim.Part{}
	}
	data := sim.NewDataset(cfg)
	clock := sim.NewManualClock(data.StartOf(data.Len() - 1).Add(sim.MaxTraceLag + langwatchsim.MaxEvaluationLag))
	faults, err := sim.NewFaults()
	require.NoError(t, err)
	srv, err := sim.Start([]sim.Part{part}, &sim.Env{Data: data, Clock: clock, Creds: sim.Credentials{APIKey: simKey, Project: simProject}}, faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &world{t: t, part: part, data: data, clock: clock, faults: faults, srv: srv}
}

// manualClock is the world's clock as a poll.Clock: sleeping moves it.
type manualClock struct{ c *sim.ManualClock }

func (m manualClock) Now() time.Time { return m.c.Now() }

func (m manualClock) Sleep(ctx context.Context, d time.Duration) error {
	if d > 0 {
		m.c.Advance(d)
	}
	return ctx.Err()
}

// source builds a source against the world with the simulator's key; mut
// adjusts the block first.
func (w *world) source(mut func(*Config)) *source {
	w.t.Helper()
	c := NewDefaultConfig()
	c.ClientConfig.Endpoint = w.srv.URL(Name)
	c.APIKey = configopaque.String(simKey)
	if mut != nil {
		mut(&c)
	}
	require.NoError(w.t, c.Validate())
	core, logs := observer.New(zap.DebugLevel)
	w.logs = logs
	clock := manualClock{w.clock}
	api, err := poll.NewAPIClient(poll.APIClientSettings{
		Client: http.DefaultClient, Endpoint: c.ClientConfig.Endpoint, MaxResponseBytes: 256 << 20,
		Secrets: []string{simKey}, Clock: clock,
	})
	require.NoError(w.t, err)
	src, err := c.NewSource(poll.SourceSettings{Vendor: Name, Logger: zap.New(core), API: api, Warn: func() { w.warns++ }, Clock: clock})
	require.NoError(w.t, err)
	return src.(*source)
}

// query walks every page of q, as the engine does without restarts.
func query(t *testing.T, src poll.Source, q poll.Query) (traces []poll.Trace, pages int) {
	t.Helper()
	token := ""
	for {
		page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token, Continued: token != ""})
		require.NoError(t, err)
		pages++
		traces = append(traces, page.Traces...)
		if page.Next == "" {
			return traces, pages
		}
		require.Less(t, pages, 10000, "the query does not end")
		token = page.Next
	}
}

// union keeps each span once (the last one read), as the engine's ledger
// makes the output.
func union(traces []poll.Trace) ptrace.Traces {
	type key struct {
		t pcommon.TraceID
		s pcommon.SpanID
	}
	seen := map[key]bool{}
	out := ptrace.NewTraces()
	for i := len(traces) - 1; i >= 0; i-- {
		tr := traces[i]
		rss := tr.Spans.ResourceSpans()
		for r := 0; r < rss.Len(); r++ {
			ss := rss.At(r).ScopeSpans()
			for j := 0; j < ss.Len(); j++ {
				ss.At(j).Spans().RemoveIf(func(s ptrace.Span) bool {
					k := key{s.TraceID(), s.SpanID()}
					if seen[k] {
						return true
					}
					seen[k] = true
					return false
				})
			}
		}
		rss.MoveAndAppendTo(out.ResourceSpans())
	}
	return out
}

// truth is the ground truth of traces [0, n) of the world.
func (w *world) truth(n int) ptrace.Traces {
	return sim.ExpectedRange(w.data, 0, n, sim.TruthFor(w.part, sim.Credentials{APIKey: simKey, Project: simProject}))
}
