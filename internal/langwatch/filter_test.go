package langwatch

import (
	"context"
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/llmtrace/llmtrace/internal/langwatch/langwatchsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

func TestFilterConfig(t *testing.T) {
	path := t.TempDir() + "/langwatch.yaml"
	require.NoError(t, os.WriteFile(path, []byte(`
api_key: sk-lw-key
filter:
  metadata.labels: [production]
  traces.error: [false]
  metadata.value:
    region: [us-east-1, eu-west-1]
`), 0o600))
	cm, err := confmaptest.LoadConf(path)
	require.NoError(t, err)
	cfg := NewDefaultConfig()
	require.NoError(t, cm.Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	const sent = `{"metadata.labels":["production"],"metadata.value":{"region":["us-east-1","eu-west-1"]},"traces.error":["false"]}`
	assert.JSONEq(t, sent, filtersText(cfg.Filter), "YAML's false is LangWatch's \"false\"")
	assert.Equal(t, []string{"", "filter", sent}, cfg.Identity())
	other := cfg
	other.Filter = map[string]any{"metadata.labels": []any{"staging"}}
	assert.NotEqual(t, cfg.Identity(), other.Identity(), "another filter is another checkpoint")
	none := cfg
	none.Filter = nil
	assert.Equal(t, []string{""}, none.Identity(), "no filter keeps the identity checkpoints were written with")

	for _, tc := range []struct {
		filter map[string]any
		want   string
	}{
		{map[string]any{"metadata.labels": "production"}, "filter: metadata.labels: must be a list of values (e.g. [production]) or a map of keys to lists (e.g. {environment: [production]}), not string"},
		{map[string]any{"metadata.value": map[string]any{"region": "us"}}, "filter: metadata.value: region: must be a list of values"},
		{map[string]any{"x": map[string]any{"a": map[string]any{"b": map[string]any{"c": []any{"d"}}}}}, "filter: x: a: b: keys nest two levels at most"},
		{map[string]any{"metadata.labels": []any{map[string]any{"a": 1}}}, "filter: metadata.labels: values must be strings (or numbers, booleans)"},
	} {
		c := NewDefaultConfig()
		c.APIKey = "k"
		c.Filter = tc.filter
		err := c.Validate()
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
	c := NewDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{"api_key": "k", "filter": map[string]any{}}).Unmarshal(&c))
	require.NoError(t, c.Validate())
	assert.Equal(t, []string{""}, c.Identity(), "an empty filter is none")
}

func TestFilterIsSentWithTheWindow(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		w := newWorld(t, sim.DatasetConfig{Seed: 4, Traces: 30}, &langwatchsim.Part{LegacyOnly: legacy})
		c := newCounter(t, w.srv.URL(Name))
		src := w.source(func(cfg *Config) {
			cfg.ClientConfig.Endpoint = c.srv.URL
			cfg.Filter = map[string]any{"metadata.labels": []any{"production"}}
		})
		q := w.everything()
		_, _ = query(t, src, q)
		path := "POST /api/traces/search"
		if legacy {
			path = "POST /api/trace/search"
		}
		require.NotEmpty(t, c.bodies[path], path)
		for _, b := range c.bodies[path] {
			var body map[string]any
			require.NoError(t, json.Unmarshal([]byte(b), &body))
			assert.Equal(t, map[string]any{"metadata.labels": []any{"production"}}, body["filters"], path)
			assert.NotNil(t, body["startDate"], "the window still applies")
			assert.NotNil(t, body["endDate"], "the window still applies")
		}
	}
}

// TestFilterSelectsTracesFromTheSimulator reads a simulated project through
// a filter on labels and a metadata value: exactly the traces the
// simulated LangWatch selects come out, whole, and nothing else.
func TestFilterSelectsTracesFromTheSimulator(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		part := &langwatchsim.Part{LegacyOnly: legacy}
		w := newWorld(t, sim.DatasetConfig{Seed: 12, Traces: 150}, part)
		filter := langwatchsim.ScenarioFilter()
		src := w.source(func(cfg *Config) { cfg.ProjectID = simProject; cfg.Filter = filter })
		traces, _ := query(t, src, w.everything())
		got := union(traces)
		truth := &langwatchsim.Part{Project: simProject, Filter: filter}
		want := sim.ExpectedRange(w.data, 0, 150, truth.Expected)
		assert.Empty(t, sim.Compare(want, got, sim.CompareOptions{TimePrecision: 1e6, MaxDiffs: 20}), "legacy %v", legacy)
		all := w.truth(150)
		assert.Positive(t, got.SpanCount())
		assert.Less(t, got.SpanCount(), all.SpanCount()/2)
		t.Logf("legacy %v: %d of %d spans", legacy, got.SpanCount(), all.SpanCount())
	}
}

func TestFilterRejectedByLangWatch(t *testing.T) {
	for _, tc := range []struct {
		legacy bool
		want   string
	}{
		{false, "langwatch: filter rejected by LangWatch (HTTP 422): validation_error: The request body didn't match the expected shape. (filters.metadata.colour: Invalid enum value. Expected one of the filter fields, received 'metadata.colour'): check langwatch.filter"},
		{true, `langwatch: filter rejected by LangWatch (HTTP 400): Validation error: Invalid enum value. Expected one of the filter fields, received 'metadata.colour' at "filters.metadata.colour": check langwatch.filter`},
	} {
		w := newWorld(t, sim.DatasetConfig{Seed: 4, Traces: 10}, &langwatchsim.Part{LegacyOnly: tc.legacy})
		src := w.source(func(cfg *Config) { cfg.Filter = map[string]any{"metadata.colour": []any{"red"}} })
		_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: w.everything()})
		require.Error(t, err)
		assert.Equal(t, tc.want, err.Error())
		assert.NotContains(t, err.Error(), simKey)
		var fe *poll.FilterError
		require.ErrorAs(t, err, &fe)
		var se *poll.StatusError
		require.ErrorAs(t, err, &se)
	}
	// A refusal that is not about the filters stays LangWatch's own.
	w := newWorld(t, sim.DatasetConfig{Seed: 4, Traces: 10}, nil)
	src := w.source(func(cfg *Config) {
		cfg.Filter = map[string]any{"metadata.labels": []any{"x"}}
		cfg.ProjectID = "project_other"
	})
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: w.everything()})
	require.ErrorAs(t, err, new(*poll.APIError))
	assert.Equal(t, http.StatusUnauthorized, err.(*poll.APIError).Status)
}
