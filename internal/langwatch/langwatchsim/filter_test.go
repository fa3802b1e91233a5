package langwatchsim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// searchIDs runs one search of the whole dataset with includeSpans and
// returns the traces served, by id.
func (w *world) searchIDs(legacy bool, filters string) map[string]map[string]any {
	w.t.Helper()
	path, extra := searchPath, `,"includeSpans":true`
	if legacy {
		path, extra = legacySearchPath, ""
	}
	body := fmt.Sprintf(`{"startDate":0,"endDate":%d,"pageSize":1000%s`, w.clock.Now().UnixMilli(), extra)
	if filters != "" {
		body += `,"filters":` + filters
	}
	a := w.do(http.MethodPost, path, body+"}", nil)
	require.Equal(w.t, http.StatusOK, a.status, string(a.body))
	out := map[string]map[string]any{}
	for _, tr := range a.json(w.t)["traces"].([]any) {
		m := tr.(map[string]any)
		out[m["trace_id"].(string)] = m
	}
	return out
}

func labelled(tr map[string]any, label string) bool {
	labels, _ := tr["metadata"].(map[string]any)["labels"].([]any)
	return slices.Contains(labels, any(label))
}

func hasModel(tr map[string]any, model string) bool {
	for _, s := range tr["spans"].([]any) {
		if m, _ := s.(map[string]any)["model"].(string); m == model {
			return true
		}
	}
	return false
}

func TestFiltersSelectTheTracesLangWatchWould(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 21, Traces: 120}, nil)
	all := w.searchIDs(false, "")
	require.Len(t, all, 120)
	var model string
	for _, tr := range all {
		for _, s := range tr["spans"].([]any) {
			if m, ok := s.(map[string]any)["model"].(string); ok && model == "" {
				model = m
			}
		}
	}
	tests := []struct {
		name, filters string
		want          func(map[string]any) bool
	}{
		{"labels", `{"metadata.labels":["staging"]}`, func(tr map[string]any) bool { return labelled(tr, "staging") }},
		{"labels, any of", `{"metadata.labels":["staging","beta"]}`,
			func(tr map[string]any) bool { return labelled(tr, "staging") || labelled(tr, "beta") }},
		{"metadata value", `{"metadata.value":{"region":["eu-west-1"]}}`,
			func(tr map[string]any) bool { return tr["metadata"].(map[string]any)["region"] == "eu-west-1" }},
		{"fields ANDed", `{"metadata.labels":["production"],"metadata.value":{"region":["eu-west-1"]}}`,
			func(tr map[string]any) bool {
				return labelled(tr, "production") && tr["metadata"].(map[string]any)["region"] == "eu-west-1"
			}},
		{"metadata key", `{"metadata.key":["customer_tier"]}`,
			func(tr map[string]any) bool { _, ok := tr["metadata"].(map[string]any)["customer_tier"]; return ok }},
		{"span model", `{"spans.model":["` + model + `"]}`, func(tr map[string]any) bool { return hasModel(tr, model) }},
		{"empty list adds nothing", `{"metadata.labels":[]}`, func(map[string]any) bool { return true }},
		{"value without key matches nothing", `{"metadata.value":["eu-west-1"]}`, func(map[string]any) bool { return false }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for _, legacy := range []bool{false, true} {
				got := w.searchIDs(legacy, tt.filters)
				n := 0
				for id, tr := range all {
					_, served := got[id]
					assert.Equal(t, tt.want(tr), served, "trace %s (legacy %v)", id, legacy)
					if served {
						n++
					}
				}
				assert.Len(t, got, n)
			}
		})
	}
}

func TestFiltersLangWatchRefuses(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 2, Traces: 5}, nil)
	body := func(filters string) string {
		return fmt.Sprintf(`{"startDate":0,"endDate":%d,"filters":%s}`, w.clock.Now().UnixMilli(), filters)
	}
	a := w.do(http.MethodPost, searchPath, body(`{"metadata.labels":"production"}`), nil)
	assert.Equal(t, http.StatusUnprocessableEntity, a.status)
	m := a.json(t)
	assert.Equal(t, []any{"filters.metadata.labels"}, m["fields"])
	assert.Equal(t, "invalid_union", m["reasons"].([]any)[0].(map[string]any)["meta"].(map[string]any)["type"])

	a = w.do(http.MethodPost, legacySearchPath, body(`{"metadata.colour":["x"]}`), nil)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.JSONEq(t, `{"error":"Validation error: Invalid enum value. Expected one of the filter fields, received 'metadata.colour' at \"filters.metadata.colour\""}`, string(a.body))

	// A valid filter the simulator does not evaluate: 501, the
	// simulator's own answer (LangWatch's spec has none to check against).
	for _, b := range []string{body(`{"evaluations.passed":{"ev_1":["true"]}}`), `{"startDate":0,"endDate":1,"negateFilters":true,"filters":{"metadata.labels":["x"]}}`} {
		req, err := http.NewRequest(http.MethodPost, w.srv.URL(Name)+searchPath, strings.NewReader(b))
		require.NoError(t, err)
		req.Header.Set("X-Auth-Token", testKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusNotImplemented, resp.StatusCode, b)
	}
}

func TestExpectedHoldsOnlyTheFilteredTraces(t *testing.T) {
	d := sim.NewDataset(sim.DatasetConfig{Seed: 8, Traces: 60})
	p := &Part{Project: testProject, Filter: ScenarioFilter()}
	kept := 0
	for i := range d.Len() {
		tr := d.Trace(i)
		want := slices.Contains(tr.Tags, "production") && tr.Metadata["region"] == "us-east-1"
		got := p.Expected(tr).SpanCount() > 0
		assert.Equal(t, want, got, "trace %d", i)
		if got {
			kept++
		}
	}
	assert.Positive(t, kept)
	assert.Less(t, kept, d.Len())
}
