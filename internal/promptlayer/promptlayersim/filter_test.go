package promptlayersim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// searchAll reads every page of a search with the given filter group
// members and returns the request logs served, by id.
func (w *world) searchAll(filters string) map[float64]map[string]any {
	w.t.Helper()
	out := map[float64]map[string]any{}
	for n := 1; ; n++ {
		body := `{"per_page":25,"page":` + strconv.Itoa(n) + `,"filter_group":{"logic":"AND","filters":[` + filters + `]}}`
		status, _, answer := w.do(http.MethodPost, searchPath, body)
		require.Equal(w.t, http.StatusOK, status, answer)
		var p page
		require.NoError(w.t, json.Unmarshal([]byte(answer), &p))
		for _, it := range p.Items {
			out[it["id"].(float64)] = it
		}
		if n >= p.Pages {
			return out
		}
	}
}

func tagsOf(it map[string]any) []any { tags, _ := it["tags_array"].([]any); return tags }

func metadataOf(it map[string]any, key string) (any, bool) {
	list, _ := it["metadata"].([]any)
	for _, m := range list {
		if v, ok := m.(map[string]any)[key]; ok {
			return v, true
		}
	}
	return nil, false
}

func TestFiltersSelectTheRequestLogsPromptLayerWould(t *testing.T) {
	w := newWorld(t, smallDataset(60), &Part{SearchLimit: -1})
	const window = `{"field":"request_start_time","operator":"after","value":"2000-01-01T00:00:00Z"}`
	all := w.searchAll(window)
	require.NotEmpty(t, all)
	var engine string
	for _, it := range all {
		engine = it["engine"].(string)
		break
	}
	tests := []struct {
		name, filter string
		want         func(map[string]any) bool
	}{
		{"tag contains", `{"field":"tags","operator":"contains","value":"staging"}`,
			func(it map[string]any) bool { return slices.Contains(tagsOf(it), any("staging")) }},
		{"tags in", `{"field":"tags","operator":"in","value":["beta","mobile"]}`,
			func(it map[string]any) bool {
				return slices.Contains(tagsOf(it), any("beta")) || slices.Contains(tagsOf(it), any("mobile"))
			}},
		{"tags not_contains", `{"field":"tags","operator":"not_contains","value":"production"}`,
			func(it map[string]any) bool { return !slices.Contains(tagsOf(it), any("production")) }},
		{"metadata key_equals", `{"field":"metadata","operator":"key_equals","nested_key":"region","value":"us-east-1"}`,
			func(it map[string]any) bool { v, _ := metadataOf(it, "region"); return v == "us-east-1" }},
		{"metadata is_not_empty", `{"field":"metadata","operator":"is_not_empty","nested_key":"customer_tier"}`,
			func(it map[string]any) bool { _, ok := metadataOf(it, "customer_tier"); return ok }},
		{"engine is", `{"field":"engine","operator":"is","value":"` + engine + `"}`,
			func(it map[string]any) bool { return it["engine"] == engine }},
		{"provider_type not_in", `{"field":"provider_type","operator":"not_in","value":["openai"]}`,
			func(it map[string]any) bool { return it["provider_type"] != "openai" }},
		{"an OR group", `{"logic":"OR","filters":[{"field":"tags","operator":"contains","value":"staging"},{"field":"engine","operator":"is","value":"` + engine + `"}]}`,
			func(it map[string]any) bool {
				return slices.Contains(tagsOf(it), any("staging")) || it["engine"] == engine
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.searchAll(window + "," + tt.filter)
			n := 0
			for id, it := range all {
				_, served := got[id]
				assert.Equal(t, tt.want(it), served, "request log %v", id)
				if served {
					n++
				}
			}
			assert.Len(t, got, n)
			assert.Positive(t, n)
			assert.Less(t, n, len(all))
		})
	}
}

func TestFiltersPromptLayerRefuses(t *testing.T) {
	w := newWorld(t, smallDataset(5), &Part{SearchLimit: -1})
	for filter, want := range map[string]string{
		`{"field":"tags","operator":"key_equals","value":"x"}`:           "Invalid operator 'key_equals' for field 'tags'",
		`{"field":"metadata","operator":"key_equals","value":"x"}`:       "nested_key is required for field 'metadata'",
		`{"field":"tags","operator":"in","value":"production"}`:          "Invalid value for tags: in takes a non-empty list of strings",
		`{"field":"engine","operator":"is","value":["gpt-4o"]}`:          "Invalid value for engine: is takes a string",
		`{"field":"input_text","operator":"contains","value":"refund"}`:  "simulator: filters on input_text are not simulated",
		`{"field":"provider_type","operator":"contains","value":"open"}`: "Invalid operator 'contains' for field 'provider_type'",
	} {
		status, _, body := w.do(http.MethodPost, searchPath, `{"filter_group":{"filters":[`+filter+`]}}`)
		assert.Equal(t, http.StatusBadRequest, status, filter)
		assert.JSONEq(t, `{"success":false,"message":"`+want+`"}`, body, filter)
	}
}

func TestExpectedHoldsOnlyTheFilteredTraces(t *testing.T) {
	d := sim.NewDataset(smallDataset(60))
	p := &Part{Filter: ScenarioFilter()}
	p.Handler(&sim.Env{Data: d, Creds: testCreds})
	all := &Part{}
	all.Handler(&sim.Env{Data: d, Creds: testCreds})
	kept := 0
	for i := range d.Len() {
		tr := d.Trace(i)
		match := slices.Contains(tr.Tags, "production") && tr.Metadata["region"] == "us-east-1"
		got, unfiltered := p.Expected(tr), all.Expected(tr)
		if match {
			assert.Equal(t, unfiltered.SpanCount(), got.SpanCount(), "trace %d is expected whole", i)
			kept++
		} else {
			assert.Zero(t, got.SpanCount(), "trace %d", i)
		}
	}
	assert.Positive(t, kept)
	assert.Less(t, kept, d.Len())
}
