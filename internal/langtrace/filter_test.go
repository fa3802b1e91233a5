package langtrace

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/langtrace/langtracesim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

func TestFilterConfig(t *testing.T) {
	cfg := NewDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"api_key": "lt-key", "project_id": "proj-1", "filter": "Production",
	}).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "Production", cfg.Filter)
	assert.Equal(t, []string{"proj-1", "filter", "production"}, cfg.Identity(), "Langtrace lowercases the keyword")

	same := cfg
	same.Filter = "PRODUCTION"
	assert.Equal(t, cfg.Identity(), same.Identity(), "a keyword that differs in case selects the same spans")
	other := cfg
	other.Filter = "staging"
	assert.NotEqual(t, cfg.Identity(), other.Identity(), "another keyword is another checkpoint")
	none := cfg
	none.Filter = ""
	assert.Equal(t, []string{"proj-1"}, none.Identity(), "no filter keeps the identity checkpoints were written with")

	for _, bad := range []string{"o'reilly", `C:\temp`} {
		cfg.Filter = bad
		err := cfg.Validate()
		require.Error(t, err, bad)
		assert.Contains(t, err.Error(), "filter: Langtrace's keyword cannot contain a single quote (') or a backslash (\\)")
	}
}

func TestFilterIsSentAndTheWindowStillApplies(t *testing.T) {
	f := &fakeServer{traces: newestFirst(10)}
	src, _ := newTestSource(t, f, 2)
	src.keyword = "Production"
	// The window holds the 3 newest traces; traces are one minute apart.
	q := poll.Query{From: testNow.Add(-150 * time.Second), To: testNow}
	var got int
	token := ""
	for {
		page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token})
		require.NoError(t, err)
		got += len(page.Traces)
		if page.Next == "" {
			break
		}
		token = page.Next
	}
	require.Len(t, f.requests, 2, "the source stops at the window's start, keyword or not")
	for i, r := range f.requests {
		assert.Equal(t, tracesRequest{ProjectID: testProject, Page: i + 1, PageSize: 2, Keyword: "Production"}, r)
	}
	assert.Equal(t, 4, got)
}

func TestFilterRejected(t *testing.T) {
	f := &fakeServer{status: http.StatusBadRequest, body: `{"message":"Something went wrong while fetching traces"}`}
	src, _ := newTestSource(t, f, 10)
	src.keyword = "prod"
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{To: testNow}})
	require.Error(t, err)
	assert.Equal(t, "langtrace: filter rejected by Langtrace (HTTP 400): Something went wrong while fetching traces: check langtrace.filter", err.Error())
	assert.NotContains(t, err.Error(), testAPIKey)
	var fe *poll.FilterError
	require.ErrorAs(t, err, &fe)
	var se *poll.StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadRequest, se.Status)

	// Langtrace's own page-size refusal is not about the keyword.
	f.body = `{"error":"Page size cannot be more than 100"}`
	_, err = src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{To: testNow}})
	require.ErrorAs(t, err, new(*poll.APIError))
	assert.NotContains(t, err.Error(), "filter")
	// Without a keyword the generic failure is Langtrace's own.
	src.keyword = ""
	f.body = `{"message":"Something went wrong while fetching traces"}`
	_, err = src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{To: testNow}})
	require.ErrorAs(t, err, new(*poll.APIError))
	assert.NotContains(t, err.Error(), "filter")
}

// TestFilterSelectsSpansFromTheSimulator reads a simulated project through
// the keyword: exactly the spans the simulated Langtrace returns for it come
// out, converted as the ground truth has them, and nothing else.
func TestFilterSelectsSpansFromTheSimulator(t *testing.T) {
	const key, project = "ltk_sim_filter_0123456789", "cm2filterproject0001"
	data := sim.NewDataset(sim.DatasetConfig{Seed: 77, Traces: 200, ErrorFraction: 0.1})
	clock := sim.NewManualClock(data.StartOf(199).Add(sim.MaxTraceLag))
	srv, err := sim.Start([]sim.Part{&langtracesim.Part{}}, &sim.Env{Data: data, Clock: clock, Creds: sim.Credentials{APIKey: key, Project: project}}, nil, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })

	read := func(filter string) ptrace.Traces {
		cfg := NewDefaultConfig()
		cfg.ClientConfig.Endpoint = srv.URL(Name)
		cfg.APIKey, cfg.ProjectID, cfg.PageSize, cfg.Filter = configopaque.String(key), project, 30, filter
		require.NoError(t, cfg.Validate())
		api, err := poll.NewAPIClient(poll.APIClientSettings{Client: http.DefaultClient, Endpoint: cfg.ClientConfig.Endpoint, Secrets: []string{key}})
		require.NoError(t, err)
		src, err := cfg.NewSource(poll.SourceSettings{Vendor: Name, API: api, Warn: func() { t.Error("conversion warning") }})
		require.NoError(t, err)
		// The window is the second half of the dataset.
		q := poll.Query{From: data.StartOf(100), To: clock.Now()}
		out := ptrace.NewTraces()
		token := ""
		for {
			page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token, Continued: token != ""})
			require.NoError(t, err)
			for _, tr := range page.Traces {
				if !tr.Time.Before(q.From) { // what the engine keeps
					tr.Spans.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
				}
			}
			if page.Next == "" {
				return out
			}
			token = page.Next
		}
	}
	// Expected: the matching spans of every trace whose earliest matching
	// span starts in the window (a trace's place in Langtrace's listing).
	truth := &langtracesim.Part{Project: project, Keyword: "Anthropic"}
	want := ptrace.NewTraces()
	from := pcommon.NewTimestampFromTime(data.StartOf(100))
	for i := range 200 {
		td := truth.Expected(data.Trace(i))
		if td.SpanCount() == 0 {
			continue
		}
		spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		first := spans.At(0).StartTimestamp()
		for k := 1; k < spans.Len(); k++ {
			first = min(first, spans.At(k).StartTimestamp())
		}
		if first >= from {
			td.ResourceSpans().MoveAndAppendTo(want.ResourceSpans())
		}
	}
	got := read("Anthropic")
	assert.Empty(t, sim.Compare(want, got, sim.CompareOptions{MaxDiffs: 20}))
	all := read("")
	assert.Positive(t, got.SpanCount())
	assert.Less(t, got.SpanCount(), all.SpanCount()/2, "the keyword selects a small part of the window")
	t.Logf("keyword Anthropic: %d of %d spans of the window", got.SpanCount(), all.SpanCount())
}
