package promptlayersim

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

const testKey = "pl_sim_key_42"

var testCreds = sim.Credentials{APIKey: testKey, Project: "support-bot"}

// world is the part served by sim.Start over a dataset on a manual clock.
type world struct {
	t      *testing.T
	part   *Part
	data   *sim.Dataset
	clock  *sim.ManualClock
	faults *sim.Faults
	url    string
}

func newWorld(t *testing.T, cfg sim.DatasetConfig, part *Part) *world {
	t.Helper()
	if part == nil {
		part = &Part{}
	}
	data := sim.NewDataset(cfg)
	clock := sim.NewManualClock(data.StartOf(data.Len() - 1).Add(sim.MaxTraceLag))
	faults, err := sim.NewFaults()
	require.NoError(t, err)
	srv, err := sim.Start([]sim.Part{part}, &sim.Env{Data: data, Clock: clock, Creds: testCreds}, faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &world{t: t, part: part, data: data, clock: clock, faults: faults, url: srv.URL(Name)}
}

func smallDataset(n int) sim.DatasetConfig {
	return sim.DatasetConfig{Seed: 99, Traces: n, Interval: 10 * time.Second, Origin: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}
}

// do sends a request with the test key (unless key is given) and returns the
// status, headers and body.
func (w *world) do(method, path, body string, key ...string) (int, http.Header, string) {
	w.t.Helper()
	req, err := http.NewRequest(method, w.url+path, strings.NewReader(body))
	require.NoError(w.t, err)
	k := testKey
	if len(key) > 0 {
		k = key[0]
	}
	if k != "" {
		req.Header.Set("X-Api-Key", k) // the SDKs' spelling
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	return resp.StatusCode, resp.Header, string(b)
}

type page struct {
	Items   []map[string]any `json:"items"`
	Page    int              `json:"page"`
	Pages   int              `json:"pages"`
	PerPage int              `json:"per_page"`
	Total   int              `json:"total"`
	HasNext bool             `json:"has_next"`
	HasPrev bool             `json:"has_prev"`
	NextNum *int             `json:"next_num"`
	PrevNum *int             `json:"prev_num"`
}

// search posts a body and decodes the 200 answer.
func (w *world) search(body string) page {
	w.t.Helper()
	status, _, b := w.do(http.MethodPost, searchPath, body)
	require.Equal(w.t, http.StatusOK, status, b)
	var p page
	require.NoError(w.t, json.Unmarshal([]byte(b), &p))
	return p
}

func between(from, to time.Time, order string, page, perPage int) string {
	return fmt.Sprintf(`{"filter_group":{"logic":"AND","filters":[{"field":"request_start_time","operator":"between","value":["%s","%s"]}]},
		"sort_by":"request_start_time","sort_order":"%s","page":%d,"per_page":%d,"include_prompt_name":true}`,
		from.UTC().Format(time.RFC3339Nano), to.UTC().Format(time.RFC3339Nano), order, page, perPage)
}

// allLogs is what the dataset holds as request logs at now, by brute force.
func allLogs(p *Part, d *sim.Dataset, now time.Time, from, to time.Time) []int64 {
	var ids []int64
	for i := range d.Len() {
		tr := d.Trace(i)
		untraced := unit(sim.Mix(uint64(i)^0x5eed_0f_9a11)) < p.untraced()
		for k := range tr.Spans {
			s := &tr.Spans[k]
			if isLog(s, untraced) && !appearAt(s).After(now) && !s.Start.Before(from) && !s.Start.After(to) {
				ids = append(ids, RequestID(i, k))
			}
		}
	}
	return ids
}

func TestAuthAndRoutes(t *testing.T) {
	w := newWorld(t, smallDataset(5), nil)
	for _, key := range []string{"", "wrong"} {
		status, _, body := w.do(http.MethodPost, searchPath, `{}`, key)
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.JSONEq(t, bodyUnauthorized, body)
	}
	for _, tc := range []struct {
		method, path string
		status       int
		body         string
	}{
		{http.MethodGet, "/api/public/v2/nothing", 404, `{"detail":"Not Found"}`},
		{http.MethodPost, "/api/public/v2/requests/1", 405, `{"detail":"Method Not Allowed"}`},
		{http.MethodDelete, "/api/public/v2/traces/" + strings.Repeat("a", 32), 405, `{"detail":"Method Not Allowed"}`},
		{http.MethodGet, searchPath, 422, `{"detail":[{"type":"int_parsing","loc":["path","request_id"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"search"}]}`},
		{http.MethodGet, "/api/public/v2/requests/0", 422, `{"detail":[{"type":"greater_than_equal","loc":["path","request_id"],"msg":"Input should be greater than or equal to 1","input":"0","ctx":{"ge":1}}]}`},
		{http.MethodGet, "/api/public/v2/requests/12", 404, bodyLogNotFound},
		{http.MethodGet, "/api/public/v2/traces/xyz", 404, bodyTraceNotFound},
		{http.MethodGet, "/api/public/v2/traces/" + strings.Repeat("0", 32), 404, bodyTraceNotFound},
		// Announced, undocumented, not simulated: the path is the trace
		// route's, which takes GET only.
		{http.MethodPost, "/api/public/v2/traces/search", 405, `{"detail":"Method Not Allowed"}`},
	} {
		status, _, body := w.do(tc.method, tc.path, "")
		assert.Equal(t, tc.status, status, tc.method+" "+tc.path)
		assert.JSONEq(t, tc.body, body, tc.method+" "+tc.path)
	}
}

// TestValidationErrors: FastAPI's 422 bodies, every problem at once, and
// 400 for what the simulator does not evaluate.
func TestValidationErrors(t *testing.T) {
	w := newWorld(t, smallDataset(5), &Part{SearchLimit: -1})
	for _, tc := range []struct {
		name, body string
		status     int
		want       string
	}{
		{"per_page over 25", `{"per_page":30}`, 422,
			`{"detail":[{"type":"less_than_equal","loc":["body","per_page"],"msg":"Input should be less than or equal to 25","input":30,"ctx":{"le":25}}]}`},
		{"sort_order without sort_by", `{"sort_order":"asc"}`, 422,
			`{"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, sort_order must be provided together with sort_by","input":{"sort_order":"asc"},"ctx":{"error":{}}}]}`},
		{"every problem at once", `{"page":0,"per_page":"x","sort_by":"price"}`, 422,
			`{"detail":[{"type":"greater_than_equal","loc":["body","page"],"msg":"Input should be greater than or equal to 1","input":0,"ctx":{"ge":1}},
			{"type":"int_parsing","loc":["body","per_page"],"msg":"Input should be a valid integer, unable to parse string as an integer","input":"x"},
			{"type":"enum","loc":["body","sort_by"],"msg":"Input should be 'request_start_time', 'input_tokens', 'output_tokens', 'cost', 'latency_ms' or 'status'","input":"price","ctx":{"expected":"'request_start_time', 'input_tokens', 'output_tokens', 'cost', 'latency_ms' or 'status'"}}]}`},
		{"no body", ``, 422, `{"detail":[{"type":"missing","loc":["body"],"msg":"Field required","input":null}]}`},
		{"not JSON", `{"page":`, 422, `{"detail":[{"type":"json_invalid","loc":["body",0],"msg":"JSON decode error","input":{},"ctx":{"error":"Expecting value"}}]}`},
		{"filters missing", `{"filter_group":{"logic":"AND"}}`, 422,
			`{"detail":[{"type":"missing","loc":["body","filter_group","filters"],"msg":"Field required","input":{"logic":"AND"}}]}`},
		{"unknown field", `{"filter_group":{"filters":[{"field":"trace_id","operator":"is","value":"x"}]}}`, 422,
			`{"detail":[{"type":"enum","loc":["body","filter_group","filters",0,"field"],"msg":"Input should be ` + enumText(filterFields) + `","input":"trace_id","ctx":{"expected":"` + enumText(filterFields) + `"}}]}`},
		{"a filter that is not simulated", `{"filter_group":{"filters":[{"field":"cost","operator":"gte","value":0.1}]}}`, 400,
			`{"success":false,"message":"simulator: filters on cost are not simulated"}`},
		{"a bad time", `{"filter_group":{"filters":[{"field":"request_start_time","operator":"after","value":"yesterday"}]}}`, 400,
			`{"success":false,"message":"Invalid value for request_start_time: expected an ISO 8601 datetime (between: [start, end])"}`},
	} {
		status, _, body := w.do(http.MethodPost, searchPath, tc.body)
		assert.Equal(t, tc.status, status, tc.name)
		assert.JSONEq(t, tc.want, body, tc.name)
	}
}

// TestSearchLimit: 10 searches a minute per key (sliding), the 11th gets
// 429 with PromptLayer's body and no Retry-After; refused ones do not count.
func TestSearchLimit(t *testing.T) {
	w := newWorld(t, smallDataset(5), nil)
	start := w.clock.Now()
	for i := range 10 {
		w.clock.Set(start.Add(time.Duration(i) * 5 * time.Second))
		status, _, body := w.do(http.MethodPost, searchPath, `{}`)
		require.Equal(t, http.StatusOK, status, body)
	}
	status, h, body := w.do(http.MethodPost, searchPath, `{}`)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, `{"success":false,"message":"Rate limit exceeded. Please retry later."}`, body)
	assert.Empty(t, h.Get("Retry-After"))
	assert.Empty(t, h.Get("RateLimit-Reset"))
	assert.Equal(t, 1, w.part.RateLimited())

	w.clock.Set(start.Add(time.Minute)) // the first search leaves the window
	status, _, _ = w.do(http.MethodPost, searchPath, `{}`)
	assert.Equal(t, http.StatusOK, status)
	status, _, _ = w.do(http.MethodPost, searchPath, `{}`)
	assert.Equal(t, http.StatusTooManyRequests, status)
	// Other endpoints are not limited.
	for range 20 {
		status, _, _ := w.do(http.MethodGet, "/api/public/v2/requests/1", "")
		assert.Equal(t, http.StatusNotFound, status)
	}
	assert.Equal(t, 2, w.part.RateLimited())
	assert.Equal(t, 13, w.part.Served(EndpointSearch), "refused searches reached the part too")
}

// TestSearchPagesTheWindow: pages of a between window hold exactly the
// request logs the dataset has there, once each, in start order.
func TestSearchPagesTheWindow(t *testing.T) {
	w := newWorld(t, smallDataset(60), &Part{SearchLimit: -1})
	from, to := w.data.StartOf(10), w.data.StartOf(40)
	want := allLogs(w.part, w.data, w.clock.Now(), from, to)
	require.Greater(t, len(want), 60)
	for _, order := range []string{"asc", "desc"} {
		var got []int64
		var starts []string
		for n := 1; ; n++ {
			p := w.search(between(from, to, order, n, 25))
			assert.Equal(t, len(want), p.Total)
			assert.Equal(t, (len(want)+24)/25, p.Pages)
			assert.Equal(t, n > 1, p.HasPrev)
			for _, it := range p.Items {
				got = append(got, int64(it["id"].(float64)))
				starts = append(starts, it["request_start_time"].(string))
				_, hasPrompt := it["prompt_name"]
				assert.True(t, hasPrompt, "include_prompt_name")
			}
			if !p.HasNext {
				assert.Nil(t, p.NextNum)
				break
			}
			assert.Equal(t, n+1, *p.NextNum)
		}
		assert.ElementsMatch(t, want, got, order)
		sorted := slices.IsSorted(starts)
		if order == "desc" {
			slices.Reverse(starts)
			sorted = slices.IsSorted(starts)
		}
		assert.True(t, sorted, "sorted by request_start_time %s", order)
	}
	// after is exclusive, between inclusive.
	first := w.search(between(from, to, "asc", 1, 1)).Items[0]
	at, err := time.Parse(time.RFC3339Nano, first["request_start_time"].(string))
	require.NoError(t, err)
	p := w.search(between(at, at, "asc", 1, 25))
	assert.Equal(t, 1, p.Total)
	p = w.search(fmt.Sprintf(`{"filter_group":{"filters":[{"field":"request_start_time","operator":"after","value":"%s"},
		{"field":"request_start_time","operator":"before","value":"%s"}]},"per_page":25}`, at.Format(time.RFC3339Nano), to.Format(time.RFC3339Nano)))
	assert.Equal(t, len(want)-1, p.Total)
	_, hasPrompt := p.Items[0]["prompt_name"]
	assert.False(t, hasPrompt, "prompt_name only with include_prompt_name")
}

// TestRequestLogsAppearAndArePricedLate: a request log exists once its span
// has been exported; its price is null for the first seconds.
func TestRequestLogsAppearAndArePricedLate(t *testing.T) {
	w := newWorld(t, smallDataset(20), &Part{SearchLimit: -1})
	tr := w.data.Trace(7)
	info := w.part.newTraceInfo(&tr)
	require.NotEmpty(t, info.logs)
	l := info.logs[0]
	path := fmt.Sprintf("/api/public/v2/requests/%d", l.id)

	w.clock.Set(l.visible.Add(-time.Millisecond))
	status, _, _ := w.do(http.MethodGet, path, "")
	assert.Equal(t, http.StatusNotFound, status, "not exported yet")
	assert.NotContains(t, w.search(between(l.start, l.start, "asc", 1, 25)).Items, l.id)

	w.clock.Set(l.visible)
	status, _, body := w.do(http.MethodGet, path, "")
	require.Equal(t, http.StatusOK, status)
	var d map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &d))
	assert.Nil(t, d["price"], "not priced yet")
	if info.untraced {
		assert.Nil(t, d["trace_id"])
	} else {
		assert.Equal(t, hex.EncodeToString(tr.ID[:]), d["trace_id"])
	}
	assert.Equal(t, tr.Spans[l.k].Model, d["model"])
	assert.Equal(t, tr.Spans[l.k].Start.UTC().Format(isoZ), d["request_start_time"])
	items := w.search(between(l.start, l.start, "asc", 1, 25)).Items
	require.Len(t, items, 1)
	assert.Nil(t, items[0]["price"])

	w.clock.Set(l.pricedAt)
	_, _, body = w.do(http.MethodGet, path, "")
	require.NoError(t, json.Unmarshal([]byte(body), &d))
	assert.InDelta(t, tr.Spans[l.k].Cost, d["price"], 1e-12)
	assert.GreaterOrEqual(t, l.pricedAt.Sub(l.visible), minPriceDelay)
	assert.Less(t, l.pricedAt.Sub(l.visible), maxPriceDelay)
}

// TestTracesGainSpans: a trace answer holds the spans exported so far, in
// the shape chosen for the trace; untraced traces have none.
func TestTracesGainSpans(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 5, Traces: 200, Interval: 10 * time.Second, LateFraction: 0.5, LongRunningFraction: 0.3}, &Part{SearchLimit: -1})
	shapes := map[Shape]int{}
	grew, untraced := 0, 0
	for i := range w.data.Len() {
		tr := w.data.Trace(i)
		info := w.part.newTraceInfo(&tr)
		path := "/api/public/v2/traces/" + hex.EncodeToString(tr.ID[:])
		if info.untraced {
			untraced++
			status, _, _ := w.do(http.MethodGet, path, "")
			assert.Equal(t, http.StatusNotFound, status)
			continue
		}
		shapes[info.shape]++
		first := slices.MinFunc(info.appear, func(a, b time.Time) int { return a.Compare(b) })
		last := slices.MaxFunc(info.appear, func(a, b time.Time) int { return a.Compare(b) })
		w.clock.Set(first.Add(-time.Millisecond))
		status, _, _ := w.do(http.MethodGet, path, "")
		assert.Equal(t, http.StatusNotFound, status)
		w.clock.Set(first)
		early := w.spans(path, info.shape)
		w.clock.Set(last)
		all := w.spans(path, info.shape)
		assert.Len(t, all, len(tr.Spans))
		if len(early) < len(all) {
			grew++
		}
	}
	assert.Positive(t, untraced)
	assert.Positive(t, shapes[ShapeSerializer])
	assert.Positive(t, shapes[ShapeExample])
	assert.Greater(t, grew, 150, "traces whose spans arrive over time")
}

// spans GETs a trace and checks the members of its shape.
func (w *world) spans(path string, shape Shape) []map[string]any {
	w.t.Helper()
	status, _, body := w.do(http.MethodGet, path, "")
	require.Equal(w.t, http.StatusOK, status)
	var ans map[string]any
	require.NoError(w.t, json.Unmarshal([]byte(body), &ans))
	_, hasTraceID := ans["trace_id"]
	assert.Equal(w.t, shape == ShapeExample, hasTraceID)
	var out []map[string]any
	for _, s := range ans["spans"].([]any) {
		m := s.(map[string]any)
		if shape == ShapeSerializer {
			assert.Contains(w.t, m, "start")
			assert.Contains(w.t, m, "context")
			assert.True(w.t, strings.HasPrefix(m["kind"].(string), "SpanKind."))
			assert.True(w.t, strings.HasSuffix(m["start"].(string), "+00:00"))
		} else {
			assert.Contains(w.t, m, "start_time")
			assert.NotContains(w.t, m, "context")
			assert.True(w.t, strings.HasSuffix(m["start_time"].(string), "Z"))
		}
		out = append(out, m)
	}
	return out
}

func TestShapeAndPathSpellings(t *testing.T) {
	assert.Equal(t, "SpanKind.CLIENT", kindText(sim.KindLLM, ShapeSerializer, ingestOTel))
	assert.Equal(t, "SPAN_KIND_INTERNAL", kindText(sim.KindTool, ShapeExample, ingestOTel))
	assert.Equal(t, "CLIENT", kindText(sim.KindRetrieval, ShapeExample, ingestSDK))
	assert.Equal(t, "StatusCode.ERROR", statusText(true, ShapeSerializer, ingestSDK))
	assert.Equal(t, "STATUS_CODE_UNSET", statusText(false, ShapeExample, ingestOTel))
	assert.Equal(t, "ERROR", statusText(true, ShapeExample, ingestSDK))
	assert.Equal(t, "2026-03-01T09:00:00+00:00", pyISO(time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)))
	assert.Equal(t, "2026-03-01T09:00:00.000250+00:00", pyISO(time.Date(2026, 3, 1, 9, 0, 0, 250000, time.UTC)))
}

// TestCensusMatchesTheTruth: the request logs and traces the part counts
// are the ones its ground truth holds.
func TestCensusMatchesTheTruth(t *testing.T) {
	w := newWorld(t, smallDataset(80), nil)
	c := w.part.Census(w.data)
	traces := map[string]bool{}
	untracedSpans := 0
	for i := range w.data.Len() {
		td := w.part.Expected(w.data.Trace(i))
		for r := range td.ResourceSpans().Len() {
			rs := td.ResourceSpans().At(r)
			name, _ := rs.Resource().Attributes().Get("service.name")
			spans := rs.ScopeSpans().At(0).Spans()
			if name.Str() == defaultService {
				untracedSpans += spans.Len()
				continue
			}
			traces[spans.At(0).TraceID().String()] = true
		}
	}
	assert.Equal(t, c.Traces, len(traces))
	assert.Equal(t, c.UntracedLogs, untracedSpans)
	assert.Positive(t, c.UntracedLogs)
}

// TestDuplicateAndShiftFaults: pages with repeated and shifted items still
// cover every request log of the window (items repeat, none is skipped).
func TestDuplicateAndShiftFaults(t *testing.T) {
	w := newWorld(t, smallDataset(60), &Part{SearchLimit: -1})
	for _, rule := range []string{
		Name + ":POST " + searchPath + ":duplicate:every=2,count=3",
		Name + ":POST " + searchPath + ":shift:every=3,count=2",
	} {
		_, err := w.faults.AddString(rule)
		require.NoError(t, err)
	}
	from, to := w.data.StartOf(0), w.data.StartOf(59)
	want := allLogs(w.part, w.data, w.clock.Now(), from, to)
	seen := map[int64]int{}
	for n := 1; ; n++ {
		p := w.search(between(from, to, "asc", n, 12))
		for _, it := range p.Items {
			seen[int64(it["id"].(float64))]++
		}
		if !p.HasNext {
			break
		}
	}
	repeats := 0
	for _, id := range want {
		assert.Positive(t, seen[id], "request log %d skipped", id)
		repeats += seen[id] - 1
	}
	assert.Len(t, seen, len(want))
	assert.Positive(t, repeats, "the faults repeated items")
	assert.Positive(t, w.faults.Injected(sim.FaultDuplicate))
	assert.Positive(t, w.faults.Injected(sim.FaultShift))
}
