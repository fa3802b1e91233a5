package promptlayer

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/promptlayer/promptlayersim"
	"github.com/llmtrace/llmtrace/internal/sim"
)

func TestFilterConfig(t *testing.T) {
	path := t.TempDir() + "/promptlayer.yaml"
	require.NoError(t, os.WriteFile(path, []byte(`
api_key: pl_abc
filter:
  logic: OR
  filters:
    - {field: tags, operator: contains, value: production}
    - {field: metadata, operator: key_equals, nested_key: user_id, value: customer_123}
`), 0o600))
	cm, err := confmaptest.LoadConf(path)
	require.NoError(t, err)
	cfg := NewDefaultConfig()
	require.NoError(t, cm.Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	const sent = `{"filters":[{"field":"tags","operator":"contains","value":"production"},` +
		`{"field":"metadata","nested_key":"user_id","operator":"key_equals","value":"customer_123"}],"logic":"OR"}`
	assert.Equal(t, sent, filterText(cfg.Filter))
	assert.Equal(t, []string{cfg.KeyScope(), "filter", sent}, cfg.Identity())
	none := cfg
	none.Filter = nil
	assert.Equal(t, []string{cfg.KeyScope()}, none.Identity(), "no filter keeps the identity checkpoints were written with")
	one := cfg
	one.Filter = map[string]any{"field": "engine", "operator": "in", "value": []any{"gpt-4o", "gpt-4o-mini"}}
	assert.NoError(t, one.Validate(), "a single filter")
	assert.NotEqual(t, cfg.Identity(), one.Identity(), "another filter is another checkpoint")

	for _, tc := range []struct {
		filter map[string]any
		want   string
	}{
		{map[string]any{"field": "tags"}, "filter: operator must be a non-empty string (a filter is {field, operator, value, nested_key}, a group {logic, filters})"},
		{map[string]any{"logic": "XOR", "filters": []any{map[string]any{"field": "tags", "operator": "is_empty"}}}, `filter: logic must be "AND" or "OR"`},
		{map[string]any{"filters": []any{}}, "filter: filters must be a non-empty list of filters"},
		{map[string]any{"filters": []any{"tags"}}, "filter: filters[0] must be a filter {field, operator, value}"},
		{map[string]any{"filters": []any{map[string]any{"filters": []any{map[string]any{"operator": "is"}}}}}, "filter: filters[0].filters[0]: field must be a non-empty string"},
		{map[string]any{"field": "metadata", "operator": "key_equals", "nested_key": 3, "value": "x"}, "filter: nested_key must be a string"},
	} {
		c := NewDefaultConfig()
		c.APIKey = "k"
		c.Filter = tc.filter
		err := c.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
}

func TestFilterIsAddedToTheTimeFilter(t *testing.T) {
	f := newFakePL(t)
	f.answer(searchRoute, http.StatusOK, searchBody(false))
	src := newFakeSource(t, f, func(c *Config) {
		c.Filter = map[string]any{"field": "tags", "operator": "contains", "value": "production"}
	})
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
	require.NoError(t, err)
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(f.requests()[0].body), &body))
	assert.Equal(t, map[string]any{"logic": "AND", "filters": []any{
		map[string]any{"field": "request_start_time", "operator": "between",
			"value": []any{minute.From.UTC().Format(timeLayout), minute.To.UTC().Format(timeLayout)}},
		map[string]any{"field": "tags", "operator": "contains", "value": "production"},
	}}, body["filter_group"], "the window, and the filter")
}

// TestFilterSelectsFromTheSimulator reads a settled simulated workspace
// through a filter group: exactly the traces with a request log that passes
// it (read whole), and the untraced request logs that pass it.
func TestFilterSelectsFromTheSimulator(t *testing.T) {
	part := &promptlayersim.Part{SearchLimit: -1}
	w := newSimWorld(t, sim.DatasetConfig{Seed: 41, Traces: 80}, part)
	filter := promptlayersim.ScenarioFilter()
	src := w.source(func(c *Config) { c.Filter = filter })
	q := poll.Query{From: w.data.StartOf(0).Add(-sim.MaxTraceLag), To: w.clock.Now()}
	traces, _ := readAll(t, src, q)
	got := merged(traces)
	truth := &promptlayersim.Part{Filter: filter}
	truth.Handler(&sim.Env{Data: w.data, Creds: simCreds})
	want := sim.ExpectedRange(w.data, 0, w.data.Len(), truth.Expected)
	assert.Empty(t, sim.Compare(want, got, sim.CompareOptions{TimePrecision: 1000, MaxDiffs: 20}))
	all := sim.ExpectedRange(w.data, 0, w.data.Len(), sim.TruthFor(part, simCreds))
	assert.Positive(t, got.SpanCount())
	assert.Less(t, got.SpanCount(), all.SpanCount()/2)
	t.Logf("%d of %d spans; searches %d, request reads %d, trace reads %d", got.SpanCount(), all.SpanCount(),
		part.Served(promptlayersim.EndpointSearch), part.Served(promptlayersim.EndpointRequest), part.Served(promptlayersim.EndpointTrace))
}

func TestFilterRejectedByPromptLayer(t *testing.T) {
	part := &promptlayersim.Part{SearchLimit: -1}
	w := newSimWorld(t, sim.DatasetConfig{Seed: 41, Traces: 5}, part)
	for _, tc := range []struct {
		filter map[string]any
		want   string
	}{
		{map[string]any{"field": "tags", "operator": "key_equals", "value": "production"},
			"promptlayer: filter rejected by PromptLayer (HTTP 400): Invalid operator 'key_equals' for field 'tags': check promptlayer.filter"},
		{map[string]any{"field": "trace_id", "operator": "is", "value": "x"},
			"promptlayer: filter rejected by PromptLayer (HTTP 422): body.filter_group.filters.1.field: Input should be 'pl_id', "},
		{map[string]any{"logic": "AND", "filters": []any{map[string]any{"field": "tags", "operator": "near"}}},
			"promptlayer: filter rejected by PromptLayer (HTTP 422): body.filter_group.filters.1.filters.0.operator: Input should be 'is', "},
	} {
		src := w.source(func(c *Config) { c.Filter = tc.filter })
		_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{From: w.data.StartOf(0), To: w.clock.Now()}})
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
		assert.Contains(t, err.Error(), ": check promptlayer.filter")
		t.Log(err)
		assert.NotContains(t, err.Error(), simCreds.APIKey)
		require.ErrorAs(t, err, new(*poll.FilterError))
		require.ErrorAs(t, err, new(*poll.StatusError))
	}
	// A 422 about the rest of the search is no filter error.
	f := newFakePL(t)
	f.answer(searchRoute, http.StatusUnprocessableEntity, `{"detail":[{"type":"less_than_equal","loc":["body","per_page"],"msg":"Input should be less than or equal to 25"}]}`)
	src := newFakeSource(t, f, func(c *Config) { c.Filter = map[string]any{"field": "tags", "operator": "is_empty"} })
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
	require.ErrorAs(t, err, new(*poll.APIError))
}
