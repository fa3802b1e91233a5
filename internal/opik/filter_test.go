package opik

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/opik/opiksim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

const productionFilter = `[{"field":"tags","operator":"contains","value":"production"}]`

func TestFilterConfig(t *testing.T) {
	cfg := NewDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"project_name": "search",
		"filter":       "[ {\"field\": \"tags\", \"operator\": \"contains\", \"value\": \"production\"} ]\n",
	}).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, []string{"", "search", "", "filter", productionFilter}, cfg.Identity(), "compacted")
	other := cfg
	other.Filter = `[{"field":"tags","operator":"contains","value":"staging"}]`
	assert.NotEqual(t, cfg.Identity(), other.Identity(), "another filter is another checkpoint")
	none := cfg
	none.Filter = ""
	assert.Equal(t, []string{"", "search", ""}, none.Identity(), "no filter keeps the identity checkpoints were written with")

	tests := []struct{ filter, want string }{
		{`tags contains production`, "filter: not a JSON array of Opik filters such as"},
		{`{"field":"tags","operator":"contains","value":"production"}`, "filter: not a JSON array of Opik filters"},
		{`[]`, "filter: the array holds no filter; remove the key to read every trace"},
		{`[{"operator":"=","value":"x"}]`, `filter: filter 1: "field" must be a non-empty string`},
		{`[{"field":"tags","operator":"contains","value":"a"},{"field":"tags","value":"b"}]`, `filter: filter 2: "operator" must be a non-empty string`},
		{`[{"field":"tags","operator":"is_empty"}]`, `filter: filter 1: "value" is required by Opik (use "" with is_empty and is_not_empty)`},
		{`[{"field":"metadata","key":7,"operator":"=","value":"x"}]`, `filter: filter 1: "key" must be a string`},
		{`[{"field":"tags","operator":"=","value":["a"]}]`, `filter: filter 1: "value" must be a string`},
	}
	for _, tt := range tests {
		c := cfg
		c.Filter = tt.filter
		err := c.Validate()
		require.Error(t, err, tt.filter)
		assert.Contains(t, err.Error(), tt.want, tt.filter)
	}
	c := cfg
	c.Filter = `[{"field":"usage.total_tokens","operator":">","value":1000},{"field":"tags","operator":"is_empty","value":""}]`
	assert.NoError(t, c.Validate(), "numbers are Opik strings; fields and operators are left to Opik")
}

func TestFilterIsSentWithTheWindow(t *testing.T) {
	fake := newFakeOpik(t, project)
	fake.add(genDataset(genOptions{start: t0, traces: 3, every: 2 * time.Second, seed: 1}))
	cfg := testConfig(project)
	cfg.PageSize = 50
	cfg.Filter = "[ " + productionFilter[1:]
	require.NoError(t, cfg.Validate())
	ts := startSource(t, fake, cfg)
	ts.now = func() time.Time { return t0.Add(time.Hour) }

	q := poll.Query{From: t0.Add(-time.Second), To: t0.Add(time.Hour)}
	_, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	require.Equal(t, 2, fake.count(""))
	tq := fake.request(0).URL.Query()
	assert.Equal(t, productionFilter, tq.Get("filters"), "the filter, compacted")
	assert.Equal(t, "2026-03-02T09:59:59Z", tq.Get("from_time"), "the window still applies")
	assert.Equal(t, "2026-03-02T11:00:00Z", tq.Get("to_time"))
	sq := fake.request(1).URL.Query()
	assert.Equal(t, "/v1/private/spans", fake.request(1).URL.Path)
	assert.False(t, sq.Has("filters"), "trace filters are no span filters")
}

// simSource reads a simulated Opik project through the receiver's source.
func simSource(t *testing.T, filter string) (poll.Source, *sim.Dataset, *sim.ManualClock) {
	t.Helper()
	creds := sim.Credentials{APIKey: "opik-sim-key-0123456789", Workspace: "acme", Project: "support-bot"}
	data := sim.NewDataset(sim.DatasetConfig{Seed: 5, Traces: 160, Interval: 2 * time.Second})
	clock := sim.NewManualClock(data.StartOf(159).Add(sim.MaxTraceLag))
	srv, err := sim.Start([]sim.Part{&opiksim.Part{}}, &sim.Env{Data: data, Clock: clock, Creds: creds}, nil, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	cfg := NewDefaultConfig()
	cfg.ClientConfig.Endpoint = srv.URL(Name)
	cfg.APIKey, cfg.Workspace, cfg.ProjectName, cfg.PageSize = configopaque.String(creds.APIKey), creds.Workspace, creds.Project, 25
	cfg.Filter = filter
	require.NoError(t, cfg.Validate())
	api, err := poll.NewAPIClient(poll.APIClientSettings{Client: http.DefaultClient, Endpoint: cfg.ClientConfig.Endpoint, Secrets: []string{creds.APIKey}})
	require.NoError(t, err)
	src, err := cfg.NewSource(poll.SourceSettings{Vendor: Name, API: api, Clock: simClock{clock}, Warn: func() { t.Error("conversion warning") }})
	require.NoError(t, err)
	return src, data, clock
}

// simClock is the simulator's clock as the source's.
type simClock struct{ c *sim.ManualClock }

func (c simClock) Now() time.Time { return c.c.Now() }

func (c simClock) Sleep(context.Context, time.Duration) error { return nil }

func readWindow(t *testing.T, src poll.Source, q poll.Query) ptrace.Traces {
	t.Helper()
	out := ptrace.NewTraces()
	token := ""
	for {
		page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token, Continued: token != ""})
		require.NoError(t, err)
		for _, tr := range page.Traces {
			tr.Spans.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
		}
		if page.Next == "" {
			return out
		}
		token = page.Next
	}
}

func TestFilterSelectsTracesFromTheSimulator(t *testing.T) {
	src, data, clock := simSource(t, opiksim.ScenarioFilter)
	// The window is the second half of the dataset.
	got := readWindow(t, src, poll.Query{From: data.StartOf(80), To: clock.Now()})
	truth := &opiksim.Part{Project: "support-bot", Filter: opiksim.ScenarioFilter}
	want := sim.ExpectedRange(data, 80, 160, truth.Expected)
	assert.Empty(t, sim.Compare(want, got, sim.CompareOptions{MaxDiffs: 20}))
	assert.Positive(t, got.SpanCount())
	everything := sim.ExpectedRange(data, 80, 160, (&opiksim.Part{Project: "support-bot"}).Expected)
	assert.Less(t, got.SpanCount(), everything.SpanCount()/2)
	t.Logf("%d of the window's %d spans pass the filter", got.SpanCount(), everything.SpanCount())
}

func TestFilterRejectedByOpik(t *testing.T) {
	tests := []struct{ filter, want string }{
		{`[{"field":"colour","operator":"=","value":"red"}]`,
			`opik: filter rejected by Opik (HTTP 400): Invalid filters query parameter '[{"field":"colour","operator":"=","value":"red"}]': check opik.filter`},
		{`[{"field":"tags","operator":">","value":"x"}]`,
			`opik: filter rejected by Opik (HTTP 400): Invalid operator '>' for field 'tags' of type 'LIST': check opik.filter`},
	}
	for _, tt := range tests {
		src, data, clock := simSource(t, tt.filter)
		_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{From: data.StartOf(0), To: clock.Now()}})
		require.Error(t, err)
		assert.Equal(t, tt.want, err.Error())
		assert.NotContains(t, err.Error(), "opik-sim-key-0123456789")
		var fe *poll.FilterError
		require.ErrorAs(t, err, &fe)
		var se *poll.StatusError
		require.ErrorAs(t, err, &se)
	}
}
