package langsmith

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/langsmith/langsmithsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

const regionFilter = langsmithsim.ScenarioFilter

func TestFilterConfig(t *testing.T) {
	cfg := NewDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"api_key": "lsv2_pt_x", "project_name": "support-bot", "filter": ` has(tags, "production") `,
	}).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, []string{"", "support-bot", "", DiscoveryTraces, "filter", `has(tags, "production")`}, cfg.Identity())
	other := cfg
	other.Filter = `has(tags, "staging")`
	assert.NotEqual(t, cfg.Identity(), other.Identity(), "another filter is another checkpoint")
	none := cfg
	none.Filter = ""
	assert.Equal(t, []string{"", "support-bot", "", DiscoveryTraces}, none.Identity(), "no filter keeps the identity checkpoints were written with")

	for _, ok := range []string{
		regionFilter,
		`eq(name, "agent (v2)")`,
		`and(eq(run_type, "llm"), or(has(tags, "a)"), eq(status, 'error')))`,
		`search("it's \"quoted\"")`,
	} {
		cfg.Filter = ok
		assert.NoError(t, cfg.Validate(), ok)
	}
	for _, tc := range []struct{ filter, want string }{
		{`tags = production`, "filter: must be a LangSmith filter expression such as"},
		{`has(tags, "production"`, "filter: must be a LangSmith filter expression such as"},
		{`has(tags, "production))`, "filter: a string is not closed"},
		{`and(eq(name, "a"), eq(name, "b")))`, "filter: unbalanced parentheses at character 33"},
		{`eq(name, "a") and(eq(name, "b"))`, "filter: unbalanced parentheses at character 13"},
		{`and(eq(name, "a")`, "filter: unbalanced parentheses"},
	} {
		cfg.Filter = tc.filter
		err := cfg.Validate()
		require.Error(t, err, tc.filter)
		assert.Contains(t, err.Error(), tc.want, tc.filter)
	}
}

// recordingPart records the bodies and queries of the requests to a part.
type recordingPart struct {
	*langsmithsim.Part
	mu   sync.Mutex
	seen map[string][]string // "METHOD path-kind" -> bodies (POST) or raw queries (GET)
}

func (p *recordingPart) Handler(env *sim.Env) http.Handler {
	h := p.Part.Handler(env)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		rec := string(body)
		if r.Method == http.MethodGet {
			rec = r.URL.RawQuery
		}
		p.mu.Lock()
		p.seen[r.Method+" "+pathKind(r.URL.Path)] = append(p.seen[r.Method+" "+pathKind(r.URL.Path)], rec)
		p.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func TestFilterIsSentWithTheWindow(t *testing.T) {
	for _, mode := range []string{DiscoveryTraces, DiscoveryThreads} {
		t.Run(mode, func(t *testing.T) {
			rec := &recordingPart{Part: &langsmithsim.Part{ThreadsOnly: mode == DiscoveryThreads}, seen: map[string][]string{}}
			w := newSimWorld(t, rec.Part, sim.DatasetConfig{Seed: 3, Traces: 60})
			// Serve the recording part instead of the world's.
			srv, err := sim.Start([]sim.Part{rec}, &sim.Env{Data: w.data, Clock: w.clock, Creds: w.creds}, nil, nil)
			require.NoError(t, err)
			t.Cleanup(func() { _ = srv.Close() })
			end := w.data.StartOf(59)
			w.clock.Set(end.Add(sim.MaxTraceLag))
			cfg := w.config(map[string]any{"endpoint": srv.URL(Name), "filter": regionFilter})
			got, _ := w.query(w.source(cfg), poll.Query{From: w.data.StartOf(20), To: end})
			assert.NotEmpty(t, got)

			list := "POST /api/v2/traces/query"
			if mode == DiscoveryThreads {
				list = "POST /api/v2/threads/query"
			}
			require.NotEmpty(t, rec.seen[list])
			for _, b := range rec.seen[list] {
				var body map[string]any
				require.NoError(t, json.Unmarshal([]byte(b), &body))
				assert.Equal(t, regionFilter, body["trace_filter"])
				assert.Equal(t, formatTime(w.data.StartOf(20)), body["min_start_time"], "the window still applies")
				assert.NotEmpty(t, body["max_start_time"])
			}
			if mode == DiscoveryThreads {
				// A thread's traces are listed whole (its summary counts
				// them all); traces/query tells which pass, by id.
				require.NotEmpty(t, rec.seen["GET /api/v2/threads/{id}/traces"])
				for _, raw := range rec.seen["GET /api/v2/threads/{id}/traces"] {
					q, err := url.ParseQuery(raw)
					require.NoError(t, err)
					assert.False(t, q.Has("filter"))
				}
				require.NotEmpty(t, rec.seen["POST /api/v2/traces/query"])
				for _, b := range rec.seen["POST /api/v2/traces/query"] {
					var body map[string]any
					require.NoError(t, json.Unmarshal([]byte(b), &body))
					assert.Equal(t, regionFilter, body["trace_filter"])
					assert.NotEmpty(t, body["trace_ids"])
					assert.Equal(t, formatTime(w.data.StartOf(20)), body["min_start_time"])
				}
			}
			for _, b := range rec.seen["POST /api/v2/runs/query"] {
				assert.NotContains(t, b, "filter", "the census lists every run of the window")
			}
		})
	}
}

// TestFilterSelectsTracesFromTheSimulator reads a settled simulated project
// through a metadata filter in both discovery modes: exactly the traces the
// ground truth selects come out.
func TestFilterSelectsTracesFromTheSimulator(t *testing.T) {
	for _, mode := range []string{DiscoveryTraces, DiscoveryThreads} {
		t.Run(mode, func(t *testing.T) {
			part := &langsmithsim.Part{ThreadsOnly: mode == DiscoveryThreads}
			w := newSimWorld(t, part, sim.DatasetConfig{Seed: 7, Traces: 200, LateFraction: 0.1})
			end := w.data.StartOf(w.data.Len() - 1)
			w.clock.Set(end.Add(sim.MaxTraceLag))
			got, _ := w.query(w.source(w.config(map[string]any{"filter": regionFilter})), poll.Query{From: w.data.Config().Origin, To: end})
			all := ptrace.NewTraces()
			for _, tr := range got {
				tr.Spans.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
			}
			truth := &langsmithsim.Part{Project: w.creds.Project, ThreadsOnly: part.ThreadsOnly, Filter: regionFilter}
			want := sim.ExpectedRange(w.data, 0, w.data.Len(), truth.Expected)
			assert.Empty(t, sim.Compare(want, all, sim.CompareOptions{MaxDiffs: 20}))
			unfiltered := sim.ExpectedRange(w.data, 0, w.data.Len(), sim.TruthFor(part, w.creds))
			assert.Positive(t, all.SpanCount())
			assert.Less(t, all.SpanCount(), unfiltered.SpanCount()/2)
			t.Logf("%d of %d spans; requests %v", all.SpanCount(), unfiltered.SpanCount(), w.paths)
		})
	}
}

// TestFilterThreadsModeWithTheEngine runs the engine over live traces in
// threads mode through the filter: every selected span exactly once. (The
// shared scenario runs traces mode.)
func TestFilterThreadsModeWithTheEngine(t *testing.T) {
	if testing.Short() {
		t.Skip("engine run over simulated time")
	}
	part := &langsmithsim.Part{ThreadsOnly: true}
	w := newSimWorld(t, part, sim.DatasetConfig{Seed: 31, Traces: 240, LateFraction: 0.08, LongRunningFraction: 0.05})
	cfg := w.config(map[string]any{"filter": regionFilter})
	sink := runEngine(t, w, cfg)
	truth := &langsmithsim.Part{Project: w.creds.Project, ThreadsOnly: true, Filter: regionFilter}
	want := sim.ExpectedRange(w.data, 0, w.data.Len(), truth.Expected)
	assert.Empty(t, sim.Compare(want, mergeAll(sink), sim.CompareOptions{MaxDiffs: 20}))
	assert.Positive(t, want.SpanCount())
	t.Logf("%d spans; requests %v", want.SpanCount(), w.paths)
}

func TestFilterRejectedByLangSmith(t *testing.T) {
	for _, mode := range []string{DiscoveryTraces, DiscoveryThreads} {
		w := newSimWorld(t, &langsmithsim.Part{}, sim.DatasetConfig{Seed: 3, Traces: 20})
		w.clock.Set(w.data.StartOf(19).Add(sim.MaxTraceLag))
		cfg := w.config(map[string]any{"discovery": mode, "filter": `eq(colour, "red")`})
		_, err := w.source(cfg).FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{From: w.data.Config().Origin, To: w.clock.Now()}})
		require.Error(t, err)
		assert.Equal(t, `langsmith: filter rejected by LangSmith (HTTP 400): Bad Request: invalid trace_filter: unknown field "colour": check langsmith.filter`, err.Error(), mode)
		assert.NotContains(t, err.Error(), w.creds.APIKey)
		require.ErrorAs(t, err, new(*poll.FilterError))
		require.ErrorAs(t, err, new(*poll.StatusError))
		assert.NotErrorIs(t, err, poll.ErrInvalidToken)
	}
	// A refusal on a page with a cursor is still the filter's, not the
	// cursor's: the engine would otherwise restart the query forever.
	w := newSimWorld(t, &langsmithsim.Part{}, sim.DatasetConfig{Seed: 3, Traces: 20})
	src := w.source(w.config(map[string]any{"filter": `eq(colour, "red")`}))
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{From: w.data.Config().Origin, To: w.clock.Now()}, Token: "abc"})
	require.ErrorAs(t, err, new(*poll.FilterError))
	assert.NotErrorIs(t, err, poll.ErrInvalidToken)
}
