package promptlayer

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/promptlayer/promptlayersim"
	"github.com/llmtrace/llmtrace/internal/sim"
)

var simCreds = sim.Credentials{APIKey: "pl_sim_0123456789abcdef", Project: "support-bot"}

// simClock is the simulator's manual clock as the engine's clock: Sleep
// moves simulated time on at once.
type simClock struct{ c *sim.ManualClock }

func (c simClock) Now() time.Time { return c.c.Now() }

func (c simClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d > 0 {
		c.c.Advance(d)
	}
	return nil
}

// simWorld is the part served over a dataset on a manual clock.
type simWorld struct {
	t      *testing.T
	part   *promptlayersim.Part
	data   *sim.Dataset
	clock  *sim.ManualClock
	faults *sim.Faults
	srv    *sim.Server
	warns  int
	mu     sync.Mutex
}

func newSimWorld(t *testing.T, cfg sim.DatasetConfig, part *promptlayersim.Part) *simWorld {
	t.Helper()
	if part == nil {
		part = &promptlayersim.Part{}
	}
	data := sim.NewDataset(cfg)
	clock := sim.NewManualClock(data.StartOf(data.Len() - 1).Add(sim.MaxTraceLag))
	faults, err := sim.NewFaults()
	require.NoError(t, err)
	srv, err := sim.Start([]sim.Part{part}, &sim.Env{Data: data, Clock: clock, Creds: simCreds}, faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &simWorld{t: t, part: part, data: data, clock: clock, faults: faults, srv: srv}
}

// source builds the receiver's source against the world, on its clock.
func (w *simWorld) source(mutate func(*Config)) *source {
	w.t.Helper()
	c := NewDefaultConfig()
	c.ClientConfig.Endpoint = w.srv.URL(Name)
	c.APIKey = configopaque.String(simCreds.APIKey)
	if mutate != nil {
		mutate(&c)
	}
	require.NoError(w.t, c.Validate())
	api, err := poll.NewAPIClient(poll.APIClientSettings{
		Client: http.DefaultClient, Endpoint: c.ClientConfig.Endpoint, MaxResponseBytes: 64 << 20,
		Limits: c.Limits(), Secrets: []string{simCreds.APIKey}, Clock: simClock{w.clock},
	})
	require.NoError(w.t, err)
	src, err := c.NewSource(poll.SourceSettings{Vendor: Name, API: api, Clock: simClock{w.clock}, Warn: func() {
		w.mu.Lock()
		w.warns++
		w.mu.Unlock()
	}})
	require.NoError(w.t, err)
	return src.(*source)
}

// readAll reads every page of a query, each following the previous one.
func readAll(t *testing.T, src poll.Source, q poll.Query) ([]poll.Trace, int) {
	t.Helper()
	var out []poll.Trace
	token, pages := "", 0
	for {
		page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token, Continued: token != ""})
		require.NoError(t, err)
		pages++
		out = append(out, page.Traces...)
		if page.Next == "" {
			return out, pages
		}
		token = page.Next
	}
}

// merged puts converted traces into one ptrace.Traces, each span once.
func merged(traces []poll.Trace) ptrace.Traces {
	td := ptrace.NewTraces()
	seen := map[[24]byte]bool{}
	for _, tr := range traces {
		tr.Spans.ResourceSpans().RemoveIf(func(rs ptrace.ResourceSpans) bool {
			rs.ScopeSpans().RemoveIf(func(ss ptrace.ScopeSpans) bool {
				ss.Spans().RemoveIf(func(s ptrace.Span) bool {
					var k [24]byte
					tid, sid := s.TraceID(), s.SpanID()
					copy(k[:16], tid[:])
					copy(k[16:], sid[:])
					if seen[k] {
						return true
					}
					seen[k] = true
					return false
				})
				return ss.Spans().Len() == 0
			})
			return rs.ScopeSpans().Len() == 0
		})
		tr.Spans.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return td
}

func TestConverterOutputIsTheGroundTruth(t *testing.T) {
	w := newSimWorld(t, sim.DatasetConfig{Seed: 7, Traces: 120, Interval: 5 * time.Second}, &promptlayersim.Part{SearchLimit: -1})
	src := w.source(nil)
	q := poll.Query{From: w.data.StartOf(0).Add(-time.Minute), To: w.clock.Now()}
	traces, _ := readAll(t, src, q)
	want := sim.ExpectedRange(w.data, 0, w.data.Len(), w.part.Expected)
	got := merged(traces)
	diffs := sim.Compare(want, got, sim.CompareOptions{MaxDiffs: 30})
	assert.Empty(t, diffs, strings.Join(diffs, "\n"))
	assert.Zero(t, w.warns, "conversion warnings")
	for _, tr := range traces {
		assert.False(t, tr.Time.Before(q.From), "trace %s placed before the window", tr.ID)
	}
	t.Logf("%d traces, %d spans expected, %d got, %d requests", w.data.Len(), want.SpanCount(), got.SpanCount(), w.srv.Requests(Name))
}
