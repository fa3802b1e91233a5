package langsmithsim

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

func TestFilterGrammar(t *testing.T) {
	for _, ok := range []string{
		`eq(name, "agent")`,
		` and( eq(metadata_key, 'region') , eq(metadata_value, "us-east-1") ) `,
		`or(eq(status, "error"), and(neq(run_type, "llm"), eq(name, "a \"quoted\" name")))`,
		`gt(latency, 2.5)`,
		`search("refund")`,
		`has(tags, "production")`,
	} {
		_, err := parseFilterExpr(ok)
		assert.NoError(t, err, ok)
	}
	for expr, want := range map[string]string{
		`eq(name, "agent"`:          "unexpected end of expression",
		`eq(name, "agent)`:          "unterminated string",
		`equals(name, "agent")`:     `unknown comparator "equals"`,
		`eq(colour, "red")`:         `unknown field "colour"`,
		`eq("name", "agent")`:       "eq() takes a field and a value",
		`and(name)`:                 `and() takes comparisons, not "name"`,
		`eq(name, "a") eq(name, 1)`: "unexpected",
		`name`:                      `"name" is not a comparison`,
		`eq(name, eq(name, "a"))`:   "compares a field with a value",
	} {
		_, err := parseFilterExpr(expr)
		require.Error(t, err, expr)
		assert.Contains(t, err.Error(), want, expr)
	}
}

func TestFilterOnRootRuns(t *testing.T) {
	w := newWorldWith(t, &Part{}, sim.DatasetConfig{Seed: 5, Traces: 80})
	w.clock.Set(w.data.StartOf(79).Add(sim.MaxTraceLag))
	list := func(filter string) (map[string]map[string]any, int, string) {
		body := map[string]any{"project_id": ProjectID(testCreds.Project), "min_start_time": "2026-01-01T00:00:00Z",
			"selects": []string{"ID", "NAME", "RUN_TYPE", "STATUS", "METADATA"}, "page_size": 100}
		if filter != "" {
			body["trace_filter"] = filter
		}
		status, b := w.post(tracesQueryPath, body)
		if status != http.StatusOK {
			return nil, status, string(b)
		}
		out := map[string]map[string]any{}
		for _, it := range decode[map[string]any](t, b)["items"].([]any) {
			root := it.(map[string]any)["root_run"].(map[string]any)
			out[root["id"].(string)] = root
		}
		return out, status, ""
	}
	all, _, _ := list("")
	require.Len(t, all, 80)
	meta := func(r map[string]any, k string) any { return r["metadata"].(map[string]any)[k] }
	name := all[firstKey(all)]["name"].(string)
	tests := []struct {
		filter string
		want   func(r map[string]any) bool
	}{
		{`and(eq(metadata_key, "region"), eq(metadata_value, "us-east-1"))`, func(r map[string]any) bool { return meta(r, "region") == "us-east-1" }},
		{`eq(metadata_value, "staging")`, func(r map[string]any) bool { return meta(r, "environment") == "staging" }},
		{`eq(metadata_key, "customer_tier")`, func(r map[string]any) bool { return meta(r, "customer_tier") != nil }},
		{`and(eq(metadata_key, "region"), neq(metadata_value, "us-east-1"))`, func(r map[string]any) bool { return meta(r, "region") != "us-east-1" }},
		{`or(eq(run_type, "llm"), eq(status, "ERROR"))`, func(r map[string]any) bool { return r["run_type"] == "LLM" || r["status"] == "ERROR" }},
		{`and(eq(name, "` + name + `"), eq(status, "success"))`, func(r map[string]any) bool {
			return r["name"] == name && r["status"] == "SUCCESS"
		}},
	}
	for _, tt := range tests {
		got, status, body := list(tt.filter)
		require.Equal(t, http.StatusOK, status, body)
		n := 0
		for id, r := range all {
			_, in := got[id]
			assert.Equal(t, tt.want(r), in, "%s: root %s", tt.filter, id)
			if in {
				n++
			}
		}
		assert.Len(t, got, n, tt.filter)
	}

	_, status, body := list(`eq(colour, "red")`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.JSONEq(t, `{"type":"about:blank","title":"Bad Request","status":400,"detail":"invalid trace_filter: unknown field \"colour\"","instance":"/api/v2/traces/query"}`, body)
	_, status, body = list(`has(tags, "production")`)
	assert.Equal(t, http.StatusNotImplemented, status, "a valid filter the simulator does not evaluate")
	assert.Contains(t, body, "has()")
}

func firstKey(m map[string]map[string]any) string {
	for k := range m {
		return k
	}
	return ""
}

func TestFilterOnThreads(t *testing.T) {
	w := newWorldWith(t, &Part{}, sim.DatasetConfig{Seed: 9, Traces: 120})
	w.clock.Set(w.data.StartOf(119).Add(sim.MaxTraceLag))
	const f = `and(eq(metadata_key, "region"), eq(metadata_value, "eu-west-1"))`
	body := map[string]any{"project_id": ProjectID(testCreds.Project), "min_start_time": "2026-01-01T00:00:00Z", "page_size": 100}
	status, b := w.post(threadsQueryPath, body)
	require.Equal(t, http.StatusOK, status, string(b))
	all := decode[map[string]any](t, b)["items"].([]any)
	body["trace_filter"] = f
	status, b = w.post(threadsQueryPath, body)
	require.Equal(t, http.StatusOK, status, string(b))
	filtered := decode[map[string]any](t, b)["items"].([]any)
	assert.NotEmpty(t, filtered)
	assert.Less(t, len(filtered), len(all))

	// A thread is kept when one of its traces passes; its own traces'
	// filter keeps exactly those.
	for _, it := range all {
		th := it.(map[string]any)
		id := th["thread_id"].(string)
		var passing int
		for _, i := range w.index.threadTraces(id, w.clock.Now()) {
			if w.data.Trace(i).Metadata["region"] == "eu-west-1" {
				passing++
			}
		}
		kept := false
		for _, f := range filtered {
			kept = kept || f.(map[string]any)["thread_id"] == id
		}
		assert.Equal(t, passing > 0, kept, "thread %s", id)
		q := url.Values{"project_id": {ProjectID(testCreds.Project)}, "filter": {f}, "page_size": {"100"}}
		status, tb := w.do(http.MethodGet, threadsPrefix+url.PathEscape(id)+"/traces", q, nil, w.header)
		require.Equal(t, http.StatusOK, status, string(tb))
		assert.Len(t, decode[map[string]any](t, tb)["items"].([]any), passing, "thread %s", id)
		if kept {
			assert.Equal(t, th["count"], filteredCount(filtered, id), "the summary counts every trace of the thread")
		}
	}
}

func filteredCount(items []any, id string) any {
	for _, it := range items {
		if it.(map[string]any)["thread_id"] == id {
			return it.(map[string]any)["count"]
		}
	}
	return nil
}

func TestExpectedHoldsOnlyTheFilteredTraces(t *testing.T) {
	d := sim.NewDataset(sim.DatasetConfig{Seed: 4, Traces: 60, Origin: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)})
	p := &Part{Project: "support-bot", Filter: ScenarioFilter}
	kept := 0
	for i := range d.Len() {
		tr := d.Trace(i)
		want := tr.Metadata["region"] == "us-east-1"
		got := p.Expected(tr).SpanCount() > 0
		assert.Equal(t, want, got, "trace %d", i)
		if got {
			kept++
		}
	}
	assert.Positive(t, kept)
	assert.Less(t, kept, d.Len())
	assert.True(t, strings.HasPrefix(ScenarioFilter, "and("))
}
