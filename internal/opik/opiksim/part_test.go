package opiksim

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

const (
	testKey       = "opik-key-123"
	testWorkspace = "acme"
	testProject   = "support-bot"
)

var cloudCreds = sim.Credentials{APIKey: testKey, Workspace: testWorkspace, Project: testProject}

// world is a part served by sim.Start over a dataset on a manual clock.
type world struct {
	t      *testing.T
	part   *Part
	data   *sim.Dataset
	clock  *sim.ManualClock
	faults *sim.Faults
	srv    *sim.Server
	creds  sim.Credentials
}

func newWorld(t *testing.T, cfg sim.DatasetConfig, creds sim.Credentials, part *Part) *world {
	t.Helper()
	if part == nil {
		part = &Part{}
	}
	data := sim.NewDataset(cfg)
	clock := sim.NewManualClock(data.StartOf(data.Len() - 1).Add(sim.MaxTraceLag))
	faults, err := sim.NewFaults()
	require.NoError(t, err)
	srv, err := sim.Start([]sim.Part{part}, &sim.Env{Data: data, Clock: clock, Creds: creds}, faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &world{t: t, part: part, data: data, clock: clock, faults: faults, srv: srv, creds: creds}
}

// get sends GET path?query with the world's credentials unless header is
// given, and returns the status, headers and body.
func (w *world) get(path string, query url.Values, header http.Header) (int, http.Header, string) {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.srv.URL(Name)+path+"?"+query.Encode(), nil)
	require.NoError(w.t, err)
	if header == nil {
		header = http.Header{}
		if w.creds.APIKey != "" {
			header.Set("authorization", w.creds.APIKey)
			header.Set("Comet-Workspace", w.creds.Workspace)
		}
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	return resp.StatusCode, resp.Header, string(body)
}

type page struct {
	Page    int              `json:"page"`
	Size    int              `json:"size"`
	Total   int              `json:"total"`
	Content []map[string]any `json:"content"`
}

// list GETs one page and decodes it.
func (w *world) list(path string, query url.Values) page {
	w.t.Helper()
	q := url.Values{"project_name": {w.creds.Project}}
	for k, v := range query {
		q[k] = v
	}
	status, _, body := w.get(path, q, nil)
	require.Equal(w.t, http.StatusOK, status, body)
	var p page
	require.NoError(w.t, json.Unmarshal([]byte(body), &p))
	return p
}

// all reads every page of a listing.
func (w *world) all(path string, query url.Values, size int) []map[string]any {
	w.t.Helper()
	var out []map[string]any
	for n := 1; ; n++ {
		q := url.Values{"page": {strconv.Itoa(n)}, "size": {strconv.Itoa(size)}}
		for k, v := range query {
			q[k] = v
		}
		p := w.list(path, q)
		require.Equal(w.t, len(p.Content), p.Size)
		out = append(out, p.Content...)
		if len(p.Content) < size {
			require.Equal(w.t, len(out), p.Total)
			return out
		}
	}
}

func smallDataset(n int) sim.DatasetConfig {
	return sim.DatasetConfig{Seed: 7, Traces: n, Interval: 2 * time.Second}
}

func ids(items []map[string]any) []string {
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it["id"].(string)
	}
	return out
}

func idTime(t *testing.T, id string) time.Time {
	at, ok := convert.UUIDv7Time(id)
	require.True(t, ok, id)
	return at
}

func TestAuth(t *testing.T) {
	q := url.Values{"project_name": {testProject}}
	hdr := func(kv ...string) http.Header {
		h := http.Header{}
		for i := 0; i < len(kv); i += 2 {
			h.Set(kv[i], kv[i+1])
		}
		return h
	}
	cloud := newWorld(t, smallDataset(5), cloudCreds, nil)
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
		body   string
	}{
		{"key and workspace", hdr("authorization", testKey, "Comet-Workspace", testWorkspace), 200, ""},
		{"Bearer prefix", hdr("authorization", "Bearer "+testKey, "Comet-Workspace", testWorkspace), 401, bodyNotAllowed},
		{"wrong key", hdr("authorization", "nope", "Comet-Workspace", testWorkspace), 401, bodyNotAllowed},
		{"no key", hdr("Comet-Workspace", testWorkspace), 401, bodyNotAllowed},
		{"other workspace", hdr("authorization", testKey, "Comet-Workspace", "other"), 401, bodyNotAllowed},
		{"no workspace", hdr("authorization", testKey), 403, bodyForbidden},
		{"default workspace", hdr("authorization", testKey, "Comet-Workspace", "Default"), 403, bodyForbidden},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{tracesPath, spansPath} {
				status, _, body := cloud.get(path, q, tc.header)
				assert.Equal(t, tc.status, status, body)
				if tc.body != "" {
					assert.JSONEq(t, tc.body, body)
				}
			}
		})
	}

	t.Run("self-hosted without a key", func(t *testing.T) {
		self := newWorld(t, smallDataset(5), sim.Credentials{Project: testProject}, nil)
		status, _, body := self.get(tracesPath, q, http.Header{})
		assert.Equal(t, 200, status, body)
		status, _, body = self.get(tracesPath, q, hdr("authorization", "anything", "Comet-Workspace", "whatever"))
		assert.Equal(t, 200, status, body)
		p := self.list(tracesPath, nil)
		assert.Equal(t, "admin", p.Content[0]["created_by"])
	})
}

func TestRequestErrors(t *testing.T) {
	w := newWorld(t, smallDataset(5), cloudCreds, nil)
	for _, tc := range []struct {
		name   string
		path   string
		query  string
		status int
		body   string
	}{
		{"unknown project", tracesPath, "project_name=other", 404, `{"code":404,"message":"Project name: other not found"}`},
		{"unknown project id", spansPath, "project_id=0194690a-1f2e-7c3d-8e4f-5a6b7c8d9e0f", 404, `{"code":404,"message":"Project id: 0194690a-1f2e-7c3d-8e4f-5a6b7c8d9e0f not found"}`},
		{"project id not a UUID", tracesPath, "project_id=abc", 404, bodyNotFound},
		{"no project", tracesPath, "page=1", 400, bodyNoProject},
		{"blank project", spansPath, "project_name=+", 400, bodyNoProject},
		{"page 0", tracesPath, "project_name=" + testProject + "&page=0", 400, bodyPageMin},
		{"size 0", spansPath, "project_name=" + testProject + "&size=0", 400, bodySizeMin},
		{"size not a number", tracesPath, "project_name=" + testProject + "&size=ten", 404, bodyNotFound},
		{"from after to", tracesPath, "project_name=" + testProject + "&from_time=2025-01-01T00:00:01Z&to_time=2025-01-01T00:00:00Z", 400, bodyTimeOrder},
		{"from equals to", spansPath, "project_name=" + testProject + "&from_time=2025-01-01T00:00:00Z&to_time=2025-01-01T00:00:00Z", 400, bodyTimeOrder},
		{"bad time", tracesPath, "project_name=" + testProject + "&from_time=yesterday", 404, bodyNotFound},
		{"bad trace id", spansPath, "project_name=" + testProject + "&trace_id=42", 404, bodyNotFound},
		{"bad type", spansPath, "project_name=" + testProject + "&type=agent", 404, bodyNotFound},
		{"unknown path", "/v1/private/traces/search", "project_name=" + testProject, 404, bodyNotFound},
		{"api prefix", "/api" + tracesPath, "project_name=" + testProject, 404, bodyNotFound},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := url.ParseQuery(tc.query)
			require.NoError(t, err)
			status, _, body := w.get(tc.path, q, nil)
			assert.Equal(t, tc.status, status, body)
			assert.JSONEq(t, tc.body, body)
		})
	}

	t.Run("project id", func(t *testing.T) {
		p := w.list(tracesPath, url.Values{"project_name": nil, "project_id": {ProjectID(testProject)}})
		assert.Equal(t, 5, p.Total)
		assert.Equal(t, ProjectID(testProject), p.Content[0]["project_id"])
	})
	t.Run("POST", func(t *testing.T) {
		resp, err := http.Post(w.srv.URL(Name)+tracesPath, "application/json", strings.NewReader("{}"))
		require.NoError(t, err)
		_ = resp.Body.Close()
		assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
	})
}

func TestNewestFirstAndPaging(t *testing.T) {
	w := newWorld(t, smallDataset(60), cloudCreds, nil)
	for _, path := range []string{tracesPath, spansPath} {
		t.Run(path, func(t *testing.T) {
			whole := w.list(path, url.Values{"size": {"100000"}})
			require.Equal(t, whole.Total, len(whole.Content))
			all := ids(whole.Content)
			assert.True(t, slices.IsSortedFunc(all, func(a, b string) int { return strings.Compare(b, a) }), "newest id first")
			assert.Len(t, slices.Compact(slices.Clone(all)), len(all), "no id twice")
			paged := ids(w.all(path, nil, 7))
			assert.Equal(t, all, paged)
			last := w.list(path, url.Values{"size": {"7"}, "page": {"1000"}})
			assert.Empty(t, last.Content)
			assert.Equal(t, whole.Total, last.Total)
			assert.Equal(t, 1000, last.Page)
		})
	}
	traces := w.all(tracesPath, nil, 25)
	assert.Len(t, traces, 60)
	for k, tr := range traces {
		i := 59 - k
		assert.Equal(t, uuidString(w.data.Trace(i).ID), tr["id"])
		at, err := time.Parse(time.RFC3339Nano, tr["start_time"].(string))
		require.NoError(t, err)
		assert.Equal(t, w.data.StartOf(i), at, "start_time keeps microseconds")
		assert.Equal(t, w.data.StartOf(i).Truncate(time.Millisecond), idTime(t, tr["id"].(string)), "the id holds the start")
	}
	spans := w.all(spansPath, nil, 100)
	n := 0
	for i := range 60 {
		n += len(w.data.Trace(i).Spans) - 1
	}
	assert.Len(t, spans, n, "every span but the roots")
}

func TestWindowByIDTime(t *testing.T) {
	w := newWorld(t, smallDataset(40), cloudCreds, nil)
	all := w.all(tracesPath, nil, 100)
	// A window whose ends are exactly the id times of two traces: both
	// ends are inclusive.
	newer, older := idTime(t, all[10]["id"].(string)), idTime(t, all[20]["id"].(string))
	q := url.Values{"from_time": {older.Format(time.RFC3339Nano)}, "to_time": {newer.Add(999 * time.Microsecond).Format(time.RFC3339Nano)}}
	got := w.all(tracesPath, q, 4)
	assert.Equal(t, ids(all[10:21]), ids(got))

	q.Set("from_time", older.Add(time.Millisecond).Format(time.RFC3339Nano))
	q.Set("to_time", newer.Add(-time.Microsecond).Format(time.RFC3339Nano))
	got = w.all(tracesPath, q, 100)
	assert.Equal(t, ids(all[11:20]), ids(got), "sub-millisecond bounds compare at millisecond precision")

	spans := w.all(spansPath, nil, 1000)
	from, to := older, newer
	var want []string
	for _, s := range spans {
		if at := idTime(t, s["id"].(string)); !at.Before(from) && !at.After(to) {
			want = append(want, s["id"].(string))
		}
	}
	require.NotEmpty(t, want)
	q = url.Values{"from_time": {from.Format(time.RFC3339Nano)}, "to_time": {to.Format(time.RFC3339Nano)}}
	assert.Equal(t, want, ids(w.all(spansPath, q, 13)))

	// trace_id and type narrow the span list.
	trace := all[5]["id"].(string)
	mine := w.all(spansPath, url.Values{"trace_id": {trace}}, 5)
	assert.Len(t, mine, int(all[5]["span_count"].(float64)))
	for _, s := range mine {
		assert.Equal(t, trace, s["trace_id"])
	}
	for _, s := range w.all(spansPath, url.Values{"type": {"llm"}}, 50) {
		assert.Equal(t, "llm", s["type"])
	}
}

// findTrace returns the first trace (index and full trace) that ok accepts.
func findTrace(t *testing.T, d *sim.Dataset, ok func(*sim.Trace) bool) (int, sim.Trace) {
	t.Helper()
	for i := range d.Len() {
		tr := d.Trace(i)
		if ok(&tr) {
			return i, tr
		}
	}
	t.Fatal("no such trace in the dataset")
	return 0, sim.Trace{}
}

// traceAt reads trace id at the world's current time; nil when not listed.
func (w *world) traceAt(id string) map[string]any {
	at := idTime(w.t, id)
	q := url.Values{"from_time": {at.Format(time.RFC3339Nano)}, "to_time": {at.Add(time.Millisecond).Format(time.RFC3339Nano)}}
	for _, tr := range w.all(tracesPath, q, 10) {
		if tr["id"] == id {
			return tr
		}
	}
	return nil
}

func TestLongRunningTraceEndsLater(t *testing.T) {
	cfg := smallDataset(200)
	cfg.LongRunningFraction = 0.3
	w := newWorld(t, cfg, cloudCreds, nil)
	i, full := findTrace(t, w.data, func(tr *sim.Trace) bool { return flowOf(tr) == flowLongRunning })
	root := full.Spans[0]
	id := uuidString(full.ID)

	w.clock.Set(root.Visible.Add(-time.Millisecond))
	assert.Nil(t, w.traceAt(id), "not yet recorded")

	w.clock.Set(root.Visible)
	tr := w.traceAt(id)
	require.NotNil(t, tr, "recorded when the root starts")
	assert.NotContains(t, tr, "end_time")
	assert.NotContains(t, tr, "output")
	assert.NotContains(t, tr, "duration")
	created := tr["last_updated_at"]
	assert.Equal(t, instant(root.Visible), created)

	w.clock.Set(root.End)
	tr = w.traceAt(id)
	assert.NotContains(t, tr, "end_time", "the update is written a moment after the end")
	assert.Equal(t, created, tr["last_updated_at"])

	info := newIndex(w.data).info(i)
	w.clock.Set(info.ended)
	tr = w.traceAt(id)
	assert.Equal(t, instant(root.End), tr["end_time"])
	assert.Equal(t, instant(info.ended), tr["last_updated_at"], "last_updated_at moves with the update")
	assert.Equal(t, created, tr["created_at"])
	assert.Equal(t, float64(root.End.Sub(root.Start).Microseconds())/1000, tr["duration"])
	if root.Error == nil {
		assert.Contains(t, tr, "output")
	}
}

func TestClientFlowTraceExistsBeforeItsRoot(t *testing.T) {
	w := newWorld(t, smallDataset(30), cloudCreds, nil)
	i, full := findTrace(t, w.data, func(tr *sim.Trace) bool { return flowOf(tr) == flowClient })
	info := newIndex(w.data).info(i)
	root := full.Spans[0]
	require.True(t, info.created.Before(root.Visible))
	w.clock.Set(info.created)
	tr := w.traceAt(uuidString(full.ID))
	require.NotNil(t, tr)
	assert.NotContains(t, tr, "end_time")
	assert.Equal(t, root.Name, tr["name"])

	// The receiver sees the trace in progress: its root has no end.
	converted := w.fetch(w.source(50), poll.Query{From: full.Spans[0].Start.Add(-time.Second), To: info.created})
	require.Len(t, converted, 1)
	assert.Zero(t, converted[0].Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).EndTimestamp())

	w.clock.Set(root.Visible)
	tr = w.traceAt(uuidString(full.ID))
	assert.Equal(t, instant(root.End), tr["end_time"])
	assert.Equal(t, instant(root.Visible), tr["last_updated_at"])
	converted = w.fetch(w.source(50), poll.Query{From: full.Spans[0].Start.Add(-time.Second), To: root.Visible})
	require.Len(t, converted, 1)
	assert.Equal(t, root.End, converted[0].Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).EndTimestamp().AsTime())
}

func TestLateSpan(t *testing.T) {
	cfg := smallDataset(100)
	cfg.LateFraction = 0.5
	w := newWorld(t, cfg, cloudCreds, nil)
	_, full := findTrace(t, w.data, func(tr *sim.Trace) bool {
		return flowOf(tr) == flowDecorator && tr.Spans[len(tr.Spans)-1].Name == "save_memory"
	})
	late := full.Spans[len(full.Spans)-1]
	root := full.Spans[0]
	require.True(t, late.Visible.After(root.Visible.Add(10*time.Second)))
	id := uuidString(full.ID)
	lateID := uuidString(sim.SpanUUIDv7(&late))

	w.clock.Set(late.Visible.Add(-time.Millisecond))
	tr := w.traceAt(id)
	require.NotNil(t, tr)
	assert.EqualValues(t, len(full.Spans)-2, tr["span_count"])
	spans := w.all(spansPath, url.Values{"trace_id": {id}}, 100)
	assert.NotContains(t, ids(spans), lateID)

	w.clock.Set(late.Visible)
	tr2 := w.traceAt(id)
	assert.EqualValues(t, len(full.Spans)-1, tr2["span_count"])
	assert.Equal(t, tr["last_updated_at"], tr2["last_updated_at"], "a new span does not touch the trace record")
	spans = w.all(spansPath, url.Values{"trace_id": {id}}, 100)
	require.Contains(t, ids(spans), lateID)
	for _, s := range spans {
		if s["id"] == lateID {
			assert.Equal(t, instant(late.Visible), s["last_updated_at"])
			assert.NotContains(t, s, "parent_span_id", "a child of the root")
			assert.Equal(t, "tool", s["type"])
		}
	}
}

func TestSpanFields(t *testing.T) {
	w := newWorld(t, smallDataset(80), cloudCreds, nil)
	byID := map[string]map[string]any{}
	for _, s := range w.all(spansPath, nil, 500) {
		byID[s["id"].(string)] = s
	}
	seen := map[string]bool{}
	for i := range w.data.Len() {
		tr := w.data.Trace(i)
		for k := 1; k < len(tr.Spans); k++ {
			s := &tr.Spans[k]
			got := byID[uuidString(sim.SpanUUIDv7(s))]
			require.NotNil(t, got)
			assert.Equal(t, spanType(s.Kind), got["type"])
			if s.ParentID == tr.Spans[0].ID {
				assert.NotContains(t, got, "parent_span_id")
			} else {
				parent := got["parent_span_id"].(string)
				assert.True(t, strings.HasSuffix(strings.ReplaceAll(parent, "-", ""), s.ParentID.String()))
				assert.Contains(t, byID, parent)
			}
			seen[got["type"].(string)] = true
			if s.Kind == sim.KindLLM && s.Error == nil {
				u := got["usage"].(map[string]any)
				assert.EqualValues(t, s.Usage.Input, u["prompt_tokens"])
				assert.EqualValues(t, s.Usage.Output, u["completion_tokens"])
				assert.Equal(t, s.Model, got["model"])
				assert.Contains(t, got, "provider")
			}
			if s.Error != nil {
				e := got["error_info"].(map[string]any)
				assert.Equal(t, s.Error.Message, e["message"])
				assert.NotContains(t, got, "output")
			}
		}
	}
	assert.Len(t, seen, 4, "every Opik span type")
}

func TestFaultsDuplicateAndShift(t *testing.T) {
	w := newWorld(t, smallDataset(30), cloudCreds, nil)
	clean := ids(w.all(tracesPath, nil, 10))

	_, err := w.faults.AddString("opik:GET /v1/private/traces:duplicate:every=2,count=2")
	require.NoError(t, err)
	p1 := w.list(tracesPath, url.Values{"size": {"10"}, "page": {"1"}})
	p2 := w.list(tracesPath, url.Values{"size": {"10"}, "page": {"2"}})
	assert.Equal(t, clean[:10], ids(p1.Content))
	assert.Equal(t, clean[8:18], ids(p2.Content), "page 2 repeats the end of page 1")
	assert.Equal(t, 30, p2.Total)
	w.faults.Clear()

	_, err = w.faults.AddString("opik:GET /v1/private/traces:shift:first=1,count=3")
	require.NoError(t, err)
	p1 = w.list(tracesPath, url.Values{"size": {"10"}, "page": {"1"}})
	p2 = w.list(tracesPath, url.Values{"size": {"10"}, "page": {"2"}})
	assert.Equal(t, clean[:10], ids(p1.Content))
	assert.Equal(t, clean[7:17], ids(p2.Content), "three inserted items push page 2 down")
	assert.Equal(t, 33, p2.Total)
}

func TestRateLimit(t *testing.T) {
	w := newWorld(t, smallDataset(5), cloudCreds, &Part{RateLimit: RateLimit{Requests: 2, Window: time.Minute}})
	q := url.Values{"project_name": {testProject}}
	now := w.clock.Now()
	ttl := time.Minute - time.Duration(now.UnixNano()%int64(time.Minute))
	for n := range 2 {
		status, h, _ := w.get(tracesPath, q, nil)
		require.Equal(t, 200, status)
		assert.Equal(t, "get_traces", h.Get("Opik-Get-Traces-Limit"))
		assert.Equal(t, strconv.Itoa(1-n), h.Get("Opik-Get-Traces-Remaining-Limit"))
	}
	status, h, body := w.get(tracesPath, q, nil)
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.JSONEq(t, `{"code":429,"message":"Too Many Requests: get_traces"}`, body)
	assert.Equal(t, strconv.FormatInt(int64((ttl+time.Second-1)/time.Second), 10), h.Get("RateLimit-Reset"))
	assert.Equal(t, strconv.FormatInt(ttl.Milliseconds(), 10), h.Get("Opik-Get-Traces-Remaining-Limit-TTL-Millis"))
	assert.Equal(t, "0", h.Get("Opik-Get-Traces-Remaining-Limit"))

	status, h, _ = w.get(spansPath, q, nil)
	assert.Equal(t, 200, status, "buckets are per endpoint")
	assert.Equal(t, "get_spans", h.Get("Opik-Get-Spans-Limit"))

	w.clock.Advance(ttl)
	status, _, _ = w.get(tracesPath, q, nil)
	assert.Equal(t, 200, status, "a new window")
}

// source is the receiver's Opik source (the real client and conversion)
// reading the world's part.
func (w *world) source(pageSize int) poll.Source {
	w.t.Helper()
	return newOpikSource(w.t, w.srv.URL(Name), w.creds, pageSize)
}

// fetch runs a whole query of src.
func (w *world) fetch(src poll.Source, q poll.Query) []poll.Trace {
	w.t.Helper()
	var out []poll.Trace
	token := ""
	for {
		p, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token})
		require.NoError(w.t, err)
		out = append(out, p.Traces...)
		if token = p.Next; token == "" {
			return out
		}
	}
}

// TestConvertedEqualsExpected reads the whole dataset through the real
// Opik source and conversion: what they make of what the part serves is
// the part's ground truth.
func TestConvertedEqualsExpected(t *testing.T) {
	cfg := smallDataset(400)
	cfg.LateFraction = 0.2
	cfg.LongRunningFraction = 0.1
	w := newWorld(t, cfg, cloudCreds, nil)
	traces := w.fetch(w.source(100), poll.Query{From: w.data.StartOf(0).Add(-time.Minute), To: w.clock.Now()})
	got := ptrace.NewTraces()
	for _, tr := range traces {
		tr.Spans.ResourceSpans().MoveAndAppendTo(got.ResourceSpans())
	}
	want := sim.ExpectedRange(w.data, 0, w.data.Len(), w.part.Expected)
	assert.Equal(t, want.SpanCount(), got.SpanCount())
	assert.Empty(t, sim.Compare(want, got, sim.CompareOptions{MaxDiffs: 20}))
	t.Logf("%d traces, %d spans, %d requests", w.data.Len(), got.SpanCount(), w.srv.Requests(Name))
}

func TestTraceByIDAnswersWhatTheListShows(t *testing.T) {
	w := newWorld(t, smallDataset(40), cloudCreds, nil)
	full := w.data.Trace(7)
	id := uuidString(full.ID)
	listed := w.traceAt(id)
	require.NotNil(t, listed)

	status, _, body := w.get(tracesPath+"/"+id, nil, nil)
	require.Equal(t, http.StatusOK, status, body)
	var got map[string]any
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, listed, got, "the trace by id is the trace the list shows")

	status, _, body = w.get(tracesPath+"/0190a1b2-0000-7000-8000-000000000000", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.JSONEq(t, `{"code":404,"message":"Trace not found"}`, body)
	status, _, _ = w.get(tracesPath+"/not-a-uuid", nil, nil)
	assert.Equal(t, http.StatusNotFound, status)
	status, _, _ = w.get(tracesPath+"/"+id, nil, http.Header{})
	assert.Equal(t, http.StatusForbidden, status, "authenticated like the list")
}

func TestTheSourceRefreshesATraceByID(t *testing.T) {
	w := newWorld(t, smallDataset(40), cloudCreds, nil)
	src, ok := w.source(100).(poll.Refresher)
	require.True(t, ok, "the Opik source can read traces by id")
	full := w.data.Trace(11)
	id := uuidString(full.ID)
	got, err := src.Refresh(context.Background(), []poll.TraceRef{{Key: id}, {Key: "0190a1b2-0000-7000-8000-000000000000"}})
	require.NoError(t, err)
	require.Len(t, got, 1, "a trace Opik does not have is left out")
	assert.Equal(t, id, got[0].Key)
	assert.Equal(t, full.ID, got[0].ID)
	assert.Equal(t, len(full.Spans), got[0].Spans.SpanCount(), "the trace whole: its root and every span")
}
