package opik

import (
	"context"
	"errors"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// t0 is the start of the generated data.
var t0 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.UTC)

const project = "support-bot"

func hourQuery() poll.Query { return poll.Query{From: t0, To: t0.Add(time.Hour)} }

// spanCount counts the spans of a converted trace, root included.
func spanCount(tr poll.Trace) int { return tr.Spans.SpanCount() }

func traceIDs(traces []poll.Trace) map[string]int {
	out := map[string]int{}
	for _, tr := range traces {
		out[tr.ID.String()]++
	}
	return out
}

func hexID(uuid string) string { return strings.ReplaceAll(uuid, "-", "") }

func TestFetchPageRequests(t *testing.T) {
	fake := newFakeOpik(t, project)
	fake.add(genDataset(genOptions{start: t0, traces: 3, every: 2 * time.Second, seed: 1}))
	cfg := testConfig(project)
	cfg.PageSize = 50
	ts := startSource(t, fake, cfg)
	ts.now = func() time.Time { return t0.Add(time.Hour) }

	q := poll.Query{From: t0.Add(-time.Second), To: t0.Add(time.Hour)}
	page, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	assert.Empty(t, page.Next)
	assert.Len(t, page.Traces, 3)
	require.Equal(t, 2, fake.count(""), "one traces list and one bulk span list")

	tr := fake.request(0)
	assert.Equal(t, "/v1/private/traces", tr.URL.Path)
	assert.Equal(t, map[string][]string{
		"project_name": {project},
		"page":         {"1"},
		"size":         {"50"},
		"from_time":    {"2026-03-02T09:59:59Z"},
		"to_time":      {"2026-03-02T11:00:00Z"},
		"truncate":     {"false"},
	}, map[string][]string(tr.URL.Query()))

	sp := fake.request(1)
	assert.Equal(t, "/v1/private/spans", sp.URL.Path)
	sq := sp.URL.Query()
	assert.Equal(t, project, sq.Get("project_name"))
	assert.Equal(t, "false", sq.Get("truncate"))
	assert.Equal(t, "1", sq.Get("page"))
	assert.Equal(t, "50", sq.Get("size"))
	assert.Empty(t, sq.Get("trace_id"))
	from, err := time.Parse(time.RFC3339Nano, sq.Get("from_time"))
	require.NoError(t, err)
	to, err := time.Parse(time.RFC3339Nano, sq.Get("to_time"))
	require.NoError(t, err)
	for _, tr := range page.Traces {
		assert.False(t, tr.Time.Before(from.Add(spanWindowSlack)), "span window starts at the oldest trace")
		root := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
		assert.False(t, root.EndTimestamp().AsTime().After(to), "span window covers the traces' ends")
	}
}

func TestAuthHeaders(t *testing.T) {
	tests := []struct {
		name, key, workspace string
	}{
		{name: "cloud: bare key and workspace", key: "sk-test-123", workspace: "acme"},
		{name: "self-hosted: no auth headers"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeOpik(t, project)
			fake.key, fake.workspace = tt.key, tt.workspace
			fake.add(genDataset(genOptions{start: t0, traces: 2, every: time.Second, seed: 2}))
			cfg := testConfig(project)
			cfg.APIKey, cfg.Workspace = configopaque.String(tt.key), tt.workspace
			ts := startSource(t, fake, cfg)
			_, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery()})
			require.NoError(t, err)
			require.Positive(t, fake.count(""))
			for i := range fake.count("") {
				h := fake.request(i).Header
				if tt.key == "" {
					assert.NotContains(t, h, "Authorization")
					assert.NotContains(t, h, "Comet-Workspace")
					continue
				}
				assert.Equal(t, []string{tt.key}, h.Values("Authorization"), "the bare key, no Bearer prefix")
				assert.Equal(t, []string{tt.workspace}, h.Values("Comet-Workspace"))
			}
		})
	}
}

func TestProjectID(t *testing.T) {
	const id = "0194690a-1f2e-7c3d-8e4f-5a6b7c8d9e0f"
	fake := newFakeOpik(t, id)
	cfg := NewDefaultConfig()
	cfg.ProjectID = id
	ts := startSource(t, fake, cfg)
	_, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery()})
	require.NoError(t, err)
	q := fake.request(0).URL.Query()
	assert.Equal(t, id, q.Get("project_id"))
	assert.False(t, q.Has("project_name"))
}

func TestPagination(t *testing.T) {
	fake := newFakeOpik(t, project)
	data := genDataset(genOptions{start: t0, traces: 25, every: 10 * time.Second, seed: 3})
	fake.add(data)
	cfg := testConfig(project)
	cfg.PageSize = 10
	ts := startSource(t, fake, cfg)
	ts.now = func() time.Time { return t0.Add(2 * time.Hour) }

	traces, tokens := ts.fetchAll(t, hourQuery())
	assert.Equal(t, []string{"2", "3", ""}, tokens)
	ids := traceIDs(traces)
	assert.Len(t, ids, 25)
	for _, n := range ids {
		assert.Equal(t, 1, n)
	}
	assertComplete(t, data, traces)
	for i := 1; i < len(traces); i++ {
		assert.False(t, traces[i].Time.After(traces[i-1].Time), "newest first")
	}

	// A restart resumes from a stored token: page 3 holds the 5 oldest.
	ts2 := startSource(t, fake, cfg)
	page, err := ts2.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery(), Token: "3"})
	require.NoError(t, err)
	assert.Empty(t, page.Next)
	require.Len(t, page.Traces, 5)
	for i, tr := range page.Traces {
		assert.Equal(t, traces[20+i].ID, tr.ID)
		assert.Equal(t, spanCount(traces[20+i]), spanCount(tr))
	}

	_, err = ts2.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery(), Token: "x"})
	assert.ErrorContains(t, err, "invalid page token")
}

// assertComplete checks that every trace of data came back with all its
// spans, each under the right parent.
func assertComplete(t *testing.T, data *dataset, traces []poll.Trace) {
	t.Helper()
	want := map[string]int{}
	for _, sp := range data.spans {
		want[hexID(sp["trace_id"].(string))]++
	}
	got := map[string]poll.Trace{}
	for _, tr := range traces {
		got[tr.ID.String()] = tr
	}
	for _, tr := range data.traces {
		id := hexID(tr["id"].(string))
		g, ok := got[id]
		if !assert.True(t, ok, "trace %s missing", id) {
			continue
		}
		assert.Equal(t, want[id]+1, spanCount(g), "spans of trace %s", id)
		ss := g.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		ids := map[string]bool{}
		for i := range ss.Len() {
			ids[ss.At(i).SpanID().String()] = true
		}
		for i := 1; i < ss.Len(); i++ {
			assert.True(t, ids[ss.At(i).ParentSpanID().String()], "parent of span %d of %s", i, id)
		}
	}
}

func TestPerTraceFallback(t *testing.T) {
	rng := rand.New(rand.NewPCG(4, 4))
	fake := newFakeOpik(t, project)
	short := &dataset{}
	for i := range 20 {
		tr, spans := genTrace(rng, i, t0.Add(time.Duration(i)*2*time.Second), 5*time.Second, 8, false)
		short.traces = append(short.traces, tr)
		short.spans = append(short.spans, spans...)
	}
	fake.add(short)

	// A trace that ran for 3 hours, long past the query's end: reading its
	// late spans in bulk would read everything after the window.
	longTr, longSpans := genTrace(rng, 100, t0.Add(10*time.Second), 3*time.Hour, 6, false)
	// A trace with a span whose id was minted a minute before the trace's:
	// outside the bulk window, caught by span_count.
	oddTr, oddSpans := genTrace(rng, 101, t0.Add(20*time.Second), 5*time.Second, 4, false)
	early := t0.Add(-time.Minute)
	oddSpans[1]["id"] = uuidV7(rng, early)
	for _, sp := range oddSpans {
		if sp["type"] == "tool" {
			sp["parent_span_id"] = nil
		}
	}
	extra := &dataset{traces: []map[string]any{longTr, oddTr}, spans: append(longSpans, oddSpans...)}
	fake.add(extra)

	cfg := testConfig(project)
	cfg.PageSize = 100
	ts := startSource(t, fake, cfg)
	ts.now = func() time.Time { return t0.Add(4 * time.Hour) }
	traces, _ := ts.fetchAll(t, hourQuery())
	assert.Len(t, traces, 22)
	assertComplete(t, short, traces)
	assertComplete(t, extra, traces)
	assert.Zero(t, ts.warns)

	var perTrace []string
	for i := range fake.count("") {
		if id := fake.request(i).URL.Query().Get("trace_id"); id != "" {
			perTrace = append(perTrace, id)
		}
	}
	assert.ElementsMatch(t, []string{longTr["id"].(string), oddTr["id"].(string)}, perTrace)
}

func TestRunningTrace(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	fake := newFakeOpik(t, project)
	start := t0.Add(30 * time.Minute)
	tr, spans := genTrace(rng, 1, start, 20*time.Second, 3, true)
	spans = spans[:2] // the third has not been flushed yet
	tr["span_count"] = 2
	fake.add(&dataset{traces: []map[string]any{tr}, spans: spans})
	cfg := testConfig(project)
	ts := startSource(t, fake, cfg)
	now := start.Add(15 * time.Second)
	ts.now = func() time.Time { return now }

	page, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery()})
	require.NoError(t, err)
	require.Len(t, page.Traces, 1)
	first := page.Traces[0]
	root := first.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	assert.Zero(t, root.EndTimestamp(), "end_time null: in progress")
	assert.Equal(t, 3, spanCount(first))
	assert.Equal(t, 2, fake.count(""), "a recent running trace is covered by the bulk read")

	// Later the trace ends and its last span arrives.
	now = start.Add(time.Hour)
	end := start.Add(20 * time.Second)
	last := map[string]any{
		"id": uuidV7(rng, start.Add(18*time.Second)), "trace_id": tr["id"], "name": "final_answer", "type": "llm",
		"start_time": isoTime(start.Add(18 * time.Second)), "end_time": isoTime(end),
		"last_updated_at": isoTime(end.Add(time.Second)), "usage": map[string]any{"prompt_tokens": 10},
	}
	fake.add(&dataset{spans: []map[string]any{last}})
	fake.update(tr["id"].(string), func(m map[string]any) {
		m["end_time"] = isoTime(end)
		m["last_updated_at"] = isoTime(end.Add(time.Second))
		m["span_count"] = 3
	})
	fake.update(spans[1]["id"].(string), func(m map[string]any) { m["end_time"] = isoTime(end.Add(-time.Second)) })

	page, err = ts.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery()})
	require.NoError(t, err)
	require.Len(t, page.Traces, 1)
	second := page.Traces[0]
	assert.Equal(t, first.ID, second.ID)
	assert.Equal(t, 4, spanCount(second), "the new span is returned")
	assert.True(t, second.Updated.After(first.Updated), "Updated moves")
	ss := second.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range ss.Len() {
		assert.NotZero(t, ss.At(i).EndTimestamp(), "span %s ended", ss.At(i).Name())
	}
}

func TestAPIErrors(t *testing.T) {
	const key = "sk-secret-key-42"
	tests := []struct {
		name    string
		status  int
		body    string
		project string
		want    string
	}{
		{name: "401", status: http.StatusUnauthorized, body: `{"code":401,"message":"API key ` + key + ` is invalid"}`, want: "authentication failed"},
		{name: "403", status: http.StatusForbidden, body: `{"code":403,"message":"forbidden"}`, want: `access denied: check that the api_key may read workspace "acme"`},
		{name: "404 from the fake: unknown project", project: "other", want: `project "support-bot" not found`},
		{name: "400", status: http.StatusBadRequest, body: `{"errors":["bad"]}`, want: "request rejected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFakeOpik(t, tt.project)
			if tt.project == "" {
				fake.project = project
			}
			fake.key, fake.workspace = key, "acme"
			if tt.status != 0 {
				fake.before = func(*http.Request, int) (int, http.Header, string) { return tt.status, nil, tt.body }
			}
			cfg := testConfig(project)
			cfg.APIKey, cfg.Workspace = key, "acme"
			ts := startSource(t, fake, cfg)
			_, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery()})
			require.Error(t, err)
			assert.ErrorContains(t, err, tt.want)
			assert.NotContains(t, err.Error(), key)
			var se *poll.StatusError
			require.True(t, errors.As(err, &se))
			assert.Equal(t, 1, fake.count(""), "not retried")
		})
	}
}

func TestRateLimited(t *testing.T) {
	fake := newFakeOpik(t, project)
	fake.add(genDataset(genOptions{start: t0, traces: 2, every: time.Second, seed: 6}))
	fake.before = func(_ *http.Request, n int) (int, http.Header, string) {
		if n == 1 {
			return http.StatusTooManyRequests, http.Header{"Ratelimit-Reset": {"1"}}, "Too Many Requests: getTraces"
		}
		return 0, nil, ""
	}
	ts := startSource(t, fake, testConfig(project))
	page, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery()})
	require.NoError(t, err)
	assert.Len(t, page.Traces, 2)
	require.Len(t, ts.clock.sleeps, 1, "one wait")
	assert.InDelta(t, time.Second, ts.clock.sleeps[0], float64(100*time.Millisecond), "waited RateLimit-Reset")
	assert.Equal(t, 3, fake.count(""))
}

func TestPagesShiftWithoutSkips(t *testing.T) {
	fake := newFakeOpik(t, project)
	data := genDataset(genOptions{start: t0, traces: 30, every: 30 * time.Second, seed: 7})
	fake.add(data)
	cfg := testConfig(project)
	cfg.PageSize = 10
	ts := startSource(t, fake, cfg)
	ts.now = func() time.Time { return t0.Add(2 * time.Hour) }
	q := hourQuery()

	page, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	all := page.Traces
	// Traces flushed late with ids inside the window push the rest back.
	late := genDataset(genOptions{start: t0.Add(20 * time.Minute), traces: 5, every: 10 * time.Second, seed: 8})
	fake.add(late)
	// And new traces after the query's to_time never enter it.
	fake.add(genDataset(genOptions{start: q.To.Add(time.Second), traces: 5, every: time.Second, seed: 9}))
	for token := page.Next; token != ""; token = page.Next {
		page, err = ts.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token, Continued: true})
		require.NoError(t, err)
		all = append(all, page.Traces...)
	}
	ids := traceIDs(all)
	for _, tr := range data.traces {
		assert.Positive(t, ids[hexID(tr["id"].(string))], "trace skipped")
	}
	assertComplete(t, data, all)
	for _, tr := range all {
		assert.False(t, tr.Time.After(q.To), "outside the window")
	}
}

func TestEmptyWindow(t *testing.T) {
	fake := newFakeOpik(t, project)
	ts := startSource(t, fake, testConfig(project))
	page, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{From: t0, To: t0}})
	require.NoError(t, err, "from == to is widened: Opik rejects from_time >= to_time")
	assert.Empty(t, page.Traces)
	assert.Empty(t, page.Next)
	assert.Equal(t, 1, fake.count(""))
}

// TestRequestsPer1000Spans reads an hour of realistic traffic (about one
// trace every 1.2 s, 8 spans each on average, some long or running traces)
// and measures the HTTP requests needed.
func TestRequestsPer1000Spans(t *testing.T) {
	for _, size := range []int{500, 2000} {
		fake := newFakeOpik(t, project)
		data := genDataset(genOptions{start: t0, traces: 3000, every: 600 * time.Millisecond, seed: 10})
		fake.add(data)
		cfg := testConfig(project)
		cfg.PageSize = size
		ts := startSourceWith(t, fake, cfg, 64<<20)
		ts.now = func() time.Time { return t0.Add(time.Hour + 5*time.Minute) }
		traces, _ := ts.fetchAll(t, hourQuery())
		assertComplete(t, data, traces)
		spans := 0
		for _, tr := range traces {
			spans += spanCount(tr)
		}
		perTrace := 0
		for i := range fake.count("") {
			if fake.request(i).URL.Query().Has("trace_id") {
				perTrace++
			}
		}
		reqs := fake.count("")
		per1000 := float64(reqs) * 1000 / float64(spans)
		t.Logf("page_size %d: %d traces, %d spans (roots included), %d requests (%d traces lists, %d per-trace span lists): %.2f requests per 1000 spans",
			size, len(traces), spans, reqs, fake.count(tracesPath), perTrace, per1000)
		assert.Less(t, per1000, 3.0)
	}

	if testing.Short() {
		return
	}
	// Steady state: the engine's default schedule polls every minute a
	// window from 10 minutes (the overlap) before the last one's end to now
	// minus 30 s (settle_delay), so each trace is in about 11 queries; the
	// fake shows only what exists at each poll (running traces and spans
	// have no end yet, spans appear as they start).
	data := genDataset(genOptions{start: t0, traces: 3000, every: 1200 * time.Millisecond, seed: 10})
	want := map[string]int{}
	for _, sp := range data.spans {
		want[hexID(sp["trace_id"].(string))]++
	}
	for _, size := range []int{500, 2000} {
		fake := newFakeOpik(t, project)
		fake.add(data)
		cfg := testConfig(project)
		cfg.PageSize = size
		ts := startSourceWith(t, fake, cfg, 64<<20)
		last := map[string]int{}
		polls := 0
		var now time.Time
		fake.now = func() time.Time { return now }
		ts.now = func() time.Time { return now }
		for now = t0.Add(11 * time.Minute); !now.After(t0.Add(75 * time.Minute)); now = now.Add(time.Minute) {
			to := now.Add(-30 * time.Second)
			traces, _ := ts.fetchAll(t, poll.Query{From: to.Add(-time.Minute - 10*time.Minute), To: to})
			polls++
			for _, tr := range traces {
				last[tr.ID.String()] = spanCount(tr)
			}
		}
		spans := 0
		for id, n := range want {
			assert.Equal(t, n+1, last[id], "trace %s last seen complete", id)
			spans += n + 1
		}
		perTrace := 0
		for i := range fake.count("") {
			if fake.request(i).URL.Query().Has("trace_id") {
				perTrace++
			}
		}
		reqs := fake.count("")
		t.Logf("steady state, page_size %d, 50 traces/min, overlap 10m, every 1m: %d requests (%d traces lists, %d per-trace span lists) "+
			"for %d spans: %.1f requests per 1000 spans, %.1f per poll",
			size, reqs, fake.count(tracesPath), perTrace, spans, float64(reqs)*1000/float64(spans), float64(reqs)/float64(polls))
	}
}

func TestMalformedAnswersNeverQuoteTheKey(t *testing.T) {
	const key = "opik-secret-key-5c1d9e"
	for _, body := range []string{
		`not json at all ` + key,
		`["a list", "` + key + `"]`,
		`{"content": [{"id": "` + key + `", "name": tru`,
	} {
		fake := newFakeOpik(t, "demo")
		fake.before = func(*http.Request, int) (int, http.Header, string) { return http.StatusOK, nil, body }
		cfg := testConfig("demo")
		cfg.APIKey, cfg.Workspace = key, "ws"
		ts := startSource(t, fake, cfg)
		_, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: hourQuery()})
		require.Error(t, err, body)
		assert.NotContains(t, err.Error(), key, body)
	}
}

func TestPagingFollowsTotalPastAShortPage(t *testing.T) {
	tests := []struct {
		name       string
		page, size int
		n          int
		total      int64
		want       bool
	}{
		{"full page, more in total", 1, 5, 5, 12, true},
		{"short page, total says more", 1, 5, 3, 8, true},
		{"short page, total reached", 2, 5, 3, 8, false},
		{"full page, total reached", 2, 5, 5, 10, false},
		{"empty page", 2, 5, 0, 12, false},
		{"no total, full page", 1, 5, 5, -1, true},
		{"no total, short page", 1, 5, 4, -1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, more(tt.page, tt.size, listPage{Content: make([]record, tt.n), Total: tt.total}))
		})
	}
}
