package opiksim

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// tagged reports whether a served trace has a tag containing s, any case.
func tagged(tr map[string]any, s string) bool {
	tags, _ := tr["tags"].([]any)
	return slices.ContainsFunc(tags, func(t any) bool { return strings.Contains(strings.ToLower(t.(string)), s) })
}

func metadataIs(tr map[string]any, key, value string) bool {
	m, _ := tr["metadata"].(map[string]any)
	v, ok := m[key].(string)
	return ok && strings.EqualFold(v, value)
}

func TestFiltersSelectTheTracesOpikWould(t *testing.T) {
	w := newWorld(t, smallDataset(120), cloudCreds, nil)
	all := w.all(tracesPath, nil, 50)
	require.Len(t, all, 120)
	tests := []struct {
		name, filters string
		want          func(map[string]any) bool
	}{
		{"tag contains", `[{"field":"tags","operator":"contains","value":"PROD"}]`,
			func(tr map[string]any) bool { return tagged(tr, "prod") }},
		{"tag is", `[{"field":"tags","operator":"=","value":"staging"}]`,
			func(tr map[string]any) bool { return tagged(tr, "staging") }},
		{"metadata key, URL-decoded value", `[{"field":"metadata","key":"region","operator":"=","value":"us%2Deast-1"}]`,
			func(tr map[string]any) bool { return metadataIs(tr, "region", "us-east-1") }},
		{"metadata JSONPath key", `[{"field":"metadata","key":"$.environment","operator":"!=","value":"production"}]`,
			func(tr map[string]any) bool { return !metadataIs(tr, "environment", "production") }},
		{"both, ANDed", `[{"field":"tags","operator":"contains","value":"production"},{"field":"metadata","key":"region","operator":"=","value":"eu-west-1"}]`,
			func(tr map[string]any) bool { return tagged(tr, "production") && metadataIs(tr, "region", "eu-west-1") }},
		{"name", `[{"field":"name","operator":"starts_with","value":"` + all[0]["name"].(string)[:3] + `"}]`,
			func(tr map[string]any) bool {
				return strings.HasPrefix(strings.ToLower(tr["name"].(string)), strings.ToLower(all[0]["name"].(string)[:3]))
			}},
		{"thread", `[{"field":"thread_id","operator":"contains","value":"thread_"}]`,
			func(tr map[string]any) bool {
				id, _ := tr["thread_id"].(string)
				return strings.Contains(id, "thread_")
			}},
		{"no tags", `[{"field":"tags","operator":"is_empty","value":""}]`,
			func(tr map[string]any) bool { tags, _ := tr["tags"].([]any); return len(tags) == 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := w.all(tracesPath, url.Values{"filters": {tt.filters}}, 20)
			var want []any
			for _, tr := range all {
				if tt.want(tr) {
					want = append(want, tr["id"])
				}
			}
			var ids []any
			for _, tr := range got {
				ids = append(ids, tr["id"])
			}
			assert.Equal(t, want, ids, "the traces that pass, newest first; total counts them")
		})
	}
}

func TestFiltersOpikRefuses(t *testing.T) {
	w := newWorld(t, smallDataset(5), cloudCreds, nil)
	tests := []struct {
		filters string
		status  int
		body    string
	}{
		{`[{"field":"tags","operator":"contains"`, 400, `{"code":400,"message":"Invalid filters query parameter '[{\"field\":\"tags\",\"operator\":\"contains\"'"}`},
		{`[{"field":"colour","operator":"=","value":"red"}]`, 400, `{"code":400,"message":"Invalid filters query parameter '[{\"field\":\"colour\",\"operator\":\"=\",\"value\":\"red\"}]'"}`},
		{`[{"field":"tags","operator":"like","value":"x"}]`, 400, `{"code":400,"message":"Invalid filters query parameter '[{\"field\":\"tags\",\"operator\":\"like\",\"value\":\"x\"}]'"}`},
		{`[{"field":"tags","operator":"is_empty"}]`, 400, `{"code":400,"message":"Invalid filters query parameter '[{\"field\":\"tags\",\"operator\":\"is_empty\"}]'"}`},
		{`[{"field":"tags","operator":">","value":"x"}]`, 400, `{"code":400,"message":"Invalid operator '>' for field 'tags' of type 'LIST'"}`},
		{`[{"field":"metadata","operator":"=","value":"x"}]`, 400, `{"code":400,"message":"Invalid value 'x' or key '' for field 'metadata' of type 'DICTIONARY'"}`},
		{`[{"field":"name","operator":"=","value":" "}]`, 400, `{"code":400,"message":"Invalid value ' ' or key '' for field 'name' of type 'STRING'"}`},
		{`[{"field":"tags","operator":"contains","value":"100%"}]`, 400, `{"code":400,"message":"Invalid filter '100%'"}`},
		{`[{"field":"duration","operator":">","value":"3"}]`, 501, `{"code":501,"message":"simulator: filters on the trace field 'duration' are not simulated"}`},
	}
	for _, tt := range tests {
		q := url.Values{"project_name": {testProject}, "filters": {tt.filters}}
		status, _, body := w.get(tracesPath, q, nil)
		assert.Equal(t, tt.status, status, tt.filters)
		assert.JSONEq(t, tt.body, body, tt.filters)
	}
	status, _, body := w.get(spansPath, url.Values{"project_name": {testProject}, "filters": {`[{"field":"type","operator":"=","value":"llm"}]`}}, nil)
	assert.Equal(t, http.StatusNotImplemented, status, body)
}

func TestExpectedHoldsOnlyTheFilteredTraces(t *testing.T) {
	d := sim.NewDataset(smallDataset(60))
	p := &Part{Project: testProject, Filter: ScenarioFilter}
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
