package langsmith

import (
	"context"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap/zaptest"

	"github.com/llmtrace/llmtrace/internal/langsmith/langsmithsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// simWorld is the simulator on a manual clock and a source polling it.
type simWorld struct {
	t      *testing.T
	clock  *sim.ManualClock
	data   *sim.Dataset
	part   *langsmithsim.Part
	srv    *sim.Server
	faults *sim.Faults
	creds  sim.Credentials
	warns  int
	mu     sync.Mutex
	paths  map[string]int // requests per "METHOD path-kind"
}

var testCreds = sim.Credentials{APIKey: "lsv2_sk_simulated-key-0123", Workspace: "acme", Project: "support-bot"}

func newSimWorld(t *testing.T, part *langsmithsim.Part, dc sim.DatasetConfig) *simWorld {
	t.Helper()
	if dc.Origin.IsZero() {
		dc.Origin = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	}
	w := &simWorld{t: t, data: sim.NewDataset(dc), part: part, creds: testCreds, paths: map[string]int{}}
	w.clock = sim.NewManualClock(dc.Origin)
	var err error
	w.faults, err = sim.NewFaults()
	require.NoError(t, err)
	w.srv, err = sim.Start([]sim.Part{countingPart{part, w}}, &sim.Env{Data: w.data, Clock: w.clock, Creds: w.creds}, w.faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = w.srv.Close() })
	return w
}

// config is the receiver block of the part, with extra keys.
func (w *simWorld) config(extra map[string]any) *Config {
	block := w.part.ReceiverConfig(w.srv.URL(Name), w.creds)
	for k, v := range extra {
		block[k] = v
	}
	cfg := NewDefaultConfig()
	require.NoError(w.t, confmap.NewFromStringMap(block).Unmarshal(&cfg))
	require.NoError(w.t, cfg.Validate())
	return &cfg
}

// countingPart serves the part and counts its requests by method and path
// shape.
type countingPart struct {
	*langsmithsim.Part
	w *simWorld
}

func (c countingPart) Handler(env *sim.Env) http.Handler {
	h := c.Part.Handler(env)
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + pathKind(r.URL.Path)
		c.w.mu.Lock()
		c.w.paths[key]++
		c.w.mu.Unlock()
		h.ServeHTTP(rw, r)
	})
}

func pathKind(p string) string {
	switch {
	case strings.HasPrefix(p, "/api/v2/traces/") && strings.HasSuffix(p, "/runs"):
		return "/api/v2/traces/{id}/runs"
	case strings.HasPrefix(p, "/api/v2/threads/") && strings.HasSuffix(p, "/traces"):
		return "/api/v2/threads/{id}/traces"
	}
	return p
}

func (w *simWorld) source(cfg *Config) *source {
	api, err := poll.NewAPIClient(poll.APIClientSettings{
		Client: http.DefaultClient, Endpoint: cfg.ClientConfig.Endpoint,
		MaxResponseBytes: 64 << 20, Secrets: []string{string(cfg.APIKey)}, Clock: manualClock{w.clock},
		Logger: zaptest.NewLogger(w.t),
	})
	require.NoError(w.t, err)
	src, err := cfg.NewSource(poll.SourceSettings{Vendor: Name, API: api, Clock: manualClock{w.clock}, Logger: zaptest.NewLogger(w.t),
		Warn: func() { w.mu.Lock(); w.warns++; w.mu.Unlock() }})
	require.NoError(w.t, err)
	return src.(*source)
}

// manualClock lets the API client and the source read the simulated time;
// its sleeps are real (short) ones.
type manualClock struct{ c *sim.ManualClock }

func (m manualClock) Now() time.Time { return m.c.Now() }
func (m manualClock) Sleep(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(min(d, 10*time.Millisecond)):
		return nil
	}
}

// query reads every page of a query and returns the traces by id (the
// last version of each).
func (w *simWorld) query(src *source, q poll.Query) (map[string]poll.Trace, int) {
	w.t.Helper()
	out := map[string]poll.Trace{}
	token, pages := "", 0
	for {
		page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token, Continued: token != ""})
		require.NoError(w.t, err)
		pages++
		for _, tr := range page.Traces {
			out[tr.ID.String()] = tr
		}
		if page.Next == "" {
			return out, pages
		}
		token = page.Next
	}
}

func (w *simWorld) requests(kind string) int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.paths[kind]
}

// TestConvertedEqualsExpected reads a settled dataset through the source
// and compares every span with the part's ground truth, in both discovery
// modes.
func TestConvertedEqualsExpected(t *testing.T) {
	for _, mode := range []string{DiscoveryTraces, DiscoveryThreads} {
		t.Run(mode, func(t *testing.T) {
			part := &langsmithsim.Part{ThreadsOnly: mode == DiscoveryThreads}
			w := newSimWorld(t, part, sim.DatasetConfig{Seed: 7, Traces: 240, LateFraction: 0.1, LongRunningFraction: 0.05})
			end := w.data.StartOf(w.data.Len() - 1)
			w.clock.Set(end.Add(sim.MaxTraceLag))
			src := w.source(w.config(nil))
			got, _ := w.query(src, poll.Query{From: w.data.Config().Origin, To: end})
			all := ptrace.NewTraces()
			for _, tr := range got {
				tr.Spans.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
			}
			want := sim.ExpectedRange(w.data, 0, w.data.Len(), sim.TruthFor(part, w.creds))
			diffs := sim.Compare(want, all, sim.CompareOptions{MaxDiffs: 20})
			assert.Empty(t, diffs, strings.Join(diffs, "\n"))
			assert.Zero(t, w.warns, "conversion warnings")
			assert.Positive(t, want.SpanCount())
			t.Logf("%d spans, requests: %v", want.SpanCount(), w.paths)
		})
	}
}
