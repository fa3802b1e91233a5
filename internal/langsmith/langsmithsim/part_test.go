package langsmithsim

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

var testCreds = sim.Credentials{APIKey: "lsv2_sk_sim", Workspace: "acme", Project: "support-bot"}

type world struct {
	t      *testing.T
	data   *sim.Dataset
	clock  *sim.ManualClock
	srv    *sim.Server
	faults *sim.Faults
	index  *index
	header http.Header
}

func newWorld(t *testing.T, part *Part) *world {
	return newWorldWith(t, part, sim.DatasetConfig{Seed: 11, Traces: 200, LateFraction: 0.1, LongRunningFraction: 0.1})
}

func newWorldWith(t *testing.T, part *Part, dc sim.DatasetConfig) *world {
	t.Helper()
	dc.Origin = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	data := sim.NewDataset(dc)
	clock := sim.NewManualClock(dc.Origin)
	faults, err := sim.NewFaults()
	require.NoError(t, err)
	srv, err := sim.Start([]sim.Part{part}, &sim.Env{Data: data, Clock: clock, Creds: testCreds}, faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	h := http.Header{}
	h.Set("X-Api-Key", testCreds.APIKey)
	h.Set("X-Tenant-Id", WorkspaceID(testCreds.Workspace))
	return &world{t: t, data: data, clock: clock, srv: srv, faults: faults, index: newIndex(data), header: h}
}

func (w *world) idx() *index { return w.index }

func (w *world) do(method, path string, query url.Values, body any, header http.Header) (int, []byte) {
	w.t.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		require.NoError(w.t, err)
		rd = bytes.NewReader(b)
	}
	u := w.srv.URL(Name) + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequest(method, u, rd)
	require.NoError(w.t, err)
	req.Header = header.Clone()
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	return resp.StatusCode, b
}

func (w *world) post(path string, body any) (int, []byte) {
	return w.do(http.MethodPost, path, nil, body, w.header)
}

// get requests path with query pairs (a []string value repeats the key).
func (w *world) get(path string, pairs ...any) (int, []byte) {
	q := url.Values{}
	for i := 0; i < len(pairs); i += 2 {
		switch v := pairs[i+1].(type) {
		case string:
			q.Add(pairs[i].(string), v)
		case []string:
			q[pairs[i].(string)] = v
		}
	}
	return w.do(http.MethodGet, path, q, nil, w.header)
}

func pathEscape(s string) string { return url.PathEscape(s) }

func decode[T any](t *testing.T, b []byte) T {
	t.Helper()
	var v T
	require.NoError(t, json.Unmarshal(b, &v), string(b))
	return v
}

type runsAnswer struct {
	Items []map[string]any `json:"items"`
}

func (w *world) runs(i int, selects ...string) []map[string]any {
	w.t.Helper()
	status, body := w.get(tracesPrefix+uuidString(w.index.info(i).id)+"/runs", "project_id", ProjectID(testCreds.Project), "selects", selects)
	require.Equal(w.t, 200, status, string(body))
	return decode[runsAnswer](w.t, body).Items
}

func TestAuth(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(20))
	path := sessionsPath + "?name=" + testCreds.Project
	wrongKey := w.header.Clone()
	wrongKey.Set("X-Api-Key", "nope")
	status, body := w.do(http.MethodGet, path, nil, nil, wrongKey)
	assert.Equal(t, 401, status)
	assert.JSONEq(t, `{"detail":"Invalid token"}`, string(body), "v1: FastAPI's body")
	status, body = w.do(http.MethodPost, tracesQueryPath, nil, map[string]any{}, wrongKey)
	assert.Equal(t, 401, status)
	assert.Equal(t, "Unauthorized", decode[map[string]any](t, body)["title"], "v2: problem details")

	noTenant := w.header.Clone()
	noTenant.Del("X-Tenant-Id")
	for _, p := range []string{path, tracesQueryPath} {
		status, body = w.do(http.MethodPost, p, nil, map[string]any{}, noTenant)
		if p == path {
			status, body = w.do(http.MethodGet, p, nil, nil, noTenant)
		}
		assert.Equal(t, 403, status)
		assert.Equal(t, "org_scoped_key_requires_workspace", decode[map[string]any](t, body)["error"], "the code the SDKs look for")
	}
	otherTenant := w.header.Clone()
	otherTenant.Set("X-Tenant-Id", WorkspaceID("other"))
	status, _ = w.do(http.MethodPost, tracesQueryPath, nil, map[string]any{}, otherTenant)
	assert.Equal(t, 403, status)

	status, body = w.do(http.MethodGet, path, nil, nil, w.header)
	require.Equal(t, 200, status)
	sessions := decode[[]map[string]any](t, body)
	require.Len(t, sessions, 1)
	assert.Equal(t, ProjectID(testCreds.Project), sessions[0]["id"])
	status, body = w.get(sessionsPath, "name", "support") // exact names only
	assert.Equal(t, 200, status)
	assert.JSONEq(t, `[]`, string(body))
}

func TestStrictSelects(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(199).Add(sim.MaxTraceLag))
	for _, r := range w.runs(3) {
		assert.Equal(t, []string{"id"}, keys(r), "without selects only id")
	}
	for _, r := range w.runs(3, "NAME", "START_TIME") {
		assert.Equal(t, []string{"name", "start_time"}, keys(r), "only the selected fields, not even id")
	}
	status, body := w.get(tracesPrefix+uuidString(w.index.info(3).id)+"/runs", "project_id", ProjectID(testCreds.Project), "selects", []string{"NAME", "COLOR"})
	assert.Equal(t, 400, status)
	assert.Contains(t, string(body), `invalid value \"COLOR\"`)

	status, body = w.post(tracesQueryPath, map[string]any{"project_id": ProjectID(testCreds.Project), "min_start_time": timeText(w.data.StartOf(0))})
	require.Equal(t, 200, status)
	items := decode[struct{ Items []map[string]any }](t, body).Items
	require.Len(t, items, 20, "the default page size")
	assert.Equal(t, []string{"root_run"}, keys(items[0]))
	assert.Equal(t, []string{"id"}, keys(items[0]["root_run"].(map[string]any)))
	status, body = w.post(tracesQueryPath, map[string]any{"project_id": ProjectID(testCreds.Project), "selects": []string{"TOTAL_TOKENS", "NAME"}})
	require.Equal(t, 200, status)
	item := decode[struct{ Items []map[string]any }](t, body).Items[0]
	assert.Equal(t, []string{"root_run", "trace_aggregates"}, keys(item), "aggregates are routed to trace_aggregates")
	assert.Equal(t, []string{"total_tokens"}, keys(item["trace_aggregates"].(map[string]any)))
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestRunTimeBounds(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(199).Add(sim.MaxTraceLag))
	info := w.index.info(5)
	path := tracesPrefix + uuidString(info.id) + "/runs"
	pid := ProjectID(testCreds.Project)
	status, body := w.get(path, "project_id", pid, "min_start_time", timeText(info.start))
	assert.Equal(t, 422, status, "one bound alone")
	assert.Contains(t, string(body), "passed together")
	all := w.runs(5, "ID", "START_TIME")
	second := info.runs[1].start
	status, body = w.get(path, "project_id", pid, "selects", []string{"START_TIME"}, "min_start_time", timeText(second), "max_start_time", timeText(second))
	require.Equal(t, 200, status)
	got := decode[runsAnswer](t, body).Items
	require.NotEmpty(t, got, "both bounds inclusive")
	for _, r := range got {
		assert.Equal(t, timeText(second), r["start_time"])
	}
	assert.Greater(t, len(all), len(got))
	for i := 1; i < len(all); i++ {
		assert.LessOrEqual(t, all[i-1]["start_time"], all[i]["start_time"], "start_time order")
	}
	status, _ = w.get(path, "project_id", pid, "filter", `eq(run_type, "llm")`)
	assert.Equal(t, 501, status, "filters are not evaluated")
}

// TestTracesQueryWindowAndCursors pages through a window: newest first,
// [min, max), no item twice or missed, cursors bound to their query.
func TestTracesQueryWindowAndCursors(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(199).Add(sim.MaxTraceLag))
	pid := ProjectID(testCreds.Project)
	lo, hi := w.data.StartOf(20), w.data.StartOf(150)
	body := map[string]any{"project_id": pid, "selects": []string{"TRACE_ID", "START_TIME"}, "min_start_time": timeText(lo), "max_start_time": timeText(hi), "page_size": 17}
	var got []string
	var starts []string
	for page := 0; ; page++ {
		status, b := w.post(tracesQueryPath, body)
		require.Equal(t, 200, status, string(b))
		a := decode[struct {
			Items []struct {
				RootRun map[string]any `json:"root_run"`
			}
			NextCursor *string `json:"next_cursor"`
		}](t, b)
		for _, it := range a.Items {
			got = append(got, it.RootRun["trace_id"].(string))
			starts = append(starts, it.RootRun["start_time"].(string))
		}
		if a.NextCursor == nil {
			break
		}
		body["cursor"] = *a.NextCursor
		require.Less(t, page, 20)
	}
	var want []string
	for i := 149; i >= 20; i-- {
		want = append(want, uuidString(w.index.info(i).id))
	}
	assert.Equal(t, want, got, "every trace of [min, max) once, newest first")
	assert.True(t, slices.IsSortedFunc(starts, func(a, b string) int { return strings.Compare(b, a) }))

	body["min_start_time"] = timeText(w.data.StartOf(0))
	status, b := w.post(tracesQueryPath, body)
	assert.Equal(t, 400, status, "a cursor of another query")
	assert.Contains(t, string(b), "another query")
	body["cursor"] = "!!"
	status, _ = w.post(tracesQueryPath, body)
	assert.Equal(t, 400, status)
}

// TestPendingRootEndsLater: a long-running root is listed PENDING with
// end_time null, its children arrive, and it ends minutes later.
func TestPendingRootEndsLater(t *testing.T) {
	w := newWorld(t, &Part{})
	i := slices.IndexFunc(seq(200), func(i int) bool {
		tr := w.data.Trace(i)
		return tr.Spans[0].Visible.Before(tr.Spans[0].End)
	})
	require.GreaterOrEqual(t, i, 0)
	tr := w.data.Trace(i)
	w.clock.Set(tr.Spans[0].Visible.Add(time.Millisecond))
	root := w.runs(i, "ID", "STATUS", "END_TIME", "OUTPUTS")[0]
	assert.Equal(t, "PENDING", root["status"])
	assert.Contains(t, root, "end_time")
	assert.Nil(t, root["end_time"], "JSON null while running")
	assert.NotContains(t, root, "outputs")
	w.clock.Set(tr.Spans[0].End)
	root = w.runs(i, "ID", "STATUS", "END_TIME")[0]
	assert.NotEqual(t, "PENDING", root["status"])
	assert.Equal(t, timeText(tr.Spans[0].End), root["end_time"])
}

func seq(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

// TestRunsPatchedAfterFirstSight: a run that lasts a second or more is
// created PENDING at its start and patched when its end arrives; a short
// one appears complete; a late batch appears late.
func TestRunsPatchedAfterFirstSight(t *testing.T) {
	w := newWorld(t, &Part{})
	var early, late int
	for i := range 200 {
		info := w.index.info(i)
		if info.otel {
			continue
		}
		tr := w.data.Trace(i)
		for k := 1; k < len(tr.Spans); k++ {
			s, ri := &tr.Spans[k], &info.runs[k]
			switch {
			case isLate(s):
				late++
				assert.Equal(t, s.Visible, ri.posted, "a late batch is created when it arrives")
			case s.End.Sub(s.Start) >= earlyPostAfter:
				early++
				assert.True(t, ri.posted.Before(s.End) && ri.posted.After(s.Start), "created after its start, before its end")
				assert.Equal(t, s.Visible, ri.patched)
				if early == 1 {
					w.clock.Set(ri.posted)
					r := w.findRun(i, k)
					assert.Equal(t, "PENDING", r["status"])
					assert.NotContains(t, r, "outputs")
					assert.Equal(t, 0.0, r["total_tokens"])
					w.clock.Set(ri.patched)
					r = w.findRun(i, k)
					assert.NotEqual(t, "PENDING", r["status"])
				}
			default:
				assert.Equal(t, ri.posted, ri.patched, "created complete")
			}
		}
	}
	assert.Positive(t, early)
	assert.Positive(t, late)
}

func (w *world) findRun(i, k int) map[string]any {
	id := uuidString(w.index.info(i).runs[k].uuid)
	for _, r := range w.runs(i, "ID", "STATUS", "OUTPUTS", "TOTAL_TOKENS") {
		if r["id"] == id {
			return r
		}
	}
	w.t.Fatalf("run %s not served", id)
	return nil
}

// TestOTelIngestedRuns: ids of 8 zero bytes and the span id, OTEL_* ids in
// metadata, the trace UUID unchanged.
func TestOTelIngestedRuns(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(199).Add(sim.MaxTraceLag))
	i := slices.IndexFunc(seq(200), func(i int) bool { return w.index.info(i).otel })
	require.GreaterOrEqual(t, i, 0)
	tr := w.data.Trace(i)
	runs := w.runs(i, "ID", "TRACE_ID", "METADATA", "EVENTS", "PARENT_RUN_IDS")
	require.Len(t, runs, len(tr.Spans))
	for k, r := range runs {
		id := r["id"].(string)
		assert.True(t, strings.HasPrefix(id, "00000000-0000-0000-"), id)
		md := r["metadata"].(map[string]any)
		assert.Equal(t, hex.EncodeToString(tr.ID[:]), md["OTEL_TRACE_ID"])
		assert.Equal(t, strings.ReplaceAll(id[19:], "-", ""), md["OTEL_SPAN_ID"])
		assert.Equal(t, uuidString(tr.ID), r["trace_id"])
		assert.Empty(t, r["events"])
		if k == 0 {
			assert.NotEqual(t, r["trace_id"], id, "an OTel root's id is not its trace's")
		}
	}
}

// TestThreads: threads/query lists threads active in the window, most
// recent first, with short pages that still carry a cursor; a thread's
// traces come oldest first, whatever the window; unthreaded traces are in
// no thread; thread ids with a slash and a space are escaped.
func TestThreads(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(199).Add(sim.MaxTraceLag))
	pid := ProjectID(testCreds.Project)
	body := map[string]any{"project_id": pid, "min_start_time": timeText(w.data.StartOf(40)), "max_start_time": timeText(w.data.StartOf(160)), "page_size": 2}
	var threads []map[string]any
	short := 0
	for page := 0; ; page++ {
		status, b := w.post(threadsQueryPath, body)
		require.Equal(t, 200, status, string(b))
		a := decode[struct {
			Items      []map[string]any
			NextCursor *string `json:"next_cursor"`
		}](t, b)
		threads = append(threads, a.Items...)
		if a.NextCursor == nil {
			break
		}
		if len(a.Items) < 2 {
			short++
		}
		body["cursor"] = *a.NextCursor
		require.Less(t, page, 50)
	}
	assert.Positive(t, short, "short pages with a cursor")
	want := map[string]int{}
	for i := 40; i < 160; i++ {
		if th := w.index.info(i).thread; th != "" {
			want[th]++
		}
	}
	got := map[string]int{}
	var slashed string
	for k, th := range threads {
		id := th["thread_id"].(string)
		got[id] = int(th["count"].(float64))
		if k > 0 {
			assert.GreaterOrEqual(t, threads[k-1]["max_start_time"], th["max_start_time"], "most recent activity first")
		}
		if strings.Contains(id, "/") {
			slashed = id
		}
	}
	assert.Equal(t, want, got, "each thread once, with its traces in the window")
	require.NotEmpty(t, slashed)

	status, b := w.do(http.MethodGet, threadsPrefix+url.PathEscape(slashed)+"/traces", url.Values{"project_id": {pid}}, nil, w.header)
	require.Equal(t, 200, status, string(b))
	items := decode[struct{ Items []map[string]any }](t, b).Items
	var ids []string
	for i := range 200 {
		if w.index.info(i).thread == slashed {
			ids = append(ids, uuidString(w.index.info(i).id))
		}
	}
	require.Len(t, items, len(ids), "every trace of the thread, also outside the window")
	for k, it := range items {
		assert.Equal(t, []string{"trace_id"}, keys(it), "without selects only trace_id")
		assert.Equal(t, ids[k], it["trace_id"], "oldest first")
	}
}

func TestRunsQuery(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(199).Add(sim.MaxTraceLag))
	pid := ProjectID(testCreds.Project)
	lo, hi := w.data.StartOf(10), w.data.StartOf(30)
	body := map[string]any{"project_ids": []string{pid}, "selects": []string{"ID", "TRACE_ID", "START_TIME"}, "min_start_time": timeText(lo), "max_start_time": timeText(hi), "page_size": 25}
	var got []map[string]any
	for {
		status, b := w.post(runsQueryPath, body)
		require.Equal(t, 200, status, string(b))
		a := decode[struct {
			Items      []map[string]any
			NextCursor *string `json:"next_cursor"`
		}](t, b)
		got = append(got, a.Items...)
		if a.NextCursor == nil {
			break
		}
		body["cursor"] = *a.NextCursor
	}
	want := 0
	for i := 0; i < 40; i++ {
		for _, r := range w.index.info(i).runs {
			if !r.start.Before(lo) && !r.start.After(hi) {
				want++
			}
		}
	}
	assert.Len(t, got, want)
	for k := 1; k < len(got); k++ {
		assert.GreaterOrEqual(t, got[k-1]["start_time"], got[k]["start_time"], "newest first")
	}

	old := newWorld(t, &Part{NoRunsQuery: true})
	status, _ := old.post(runsQueryPath, map[string]any{"project_ids": []string{pid}})
	assert.Equal(t, 404, status, "an older self-hosted server")
}

func TestDuplicateFault(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(199).Add(sim.MaxTraceLag))
	_, err := w.faults.AddString(Name + ":POST " + tracesQueryPath + ":duplicate:every=2,count=3")
	require.NoError(t, err)
	body := map[string]any{"project_id": ProjectID(testCreds.Project), "selects": []string{"TRACE_ID"}, "min_start_time": timeText(w.data.StartOf(0)), "page_size": 10}
	seen := map[string]int{}
	for {
		status, b := w.post(tracesQueryPath, body)
		require.Equal(t, 200, status)
		a := decode[struct {
			Items []struct {
				RootRun map[string]any `json:"root_run"`
			}
			NextCursor *string `json:"next_cursor"`
		}](t, b)
		for _, it := range a.Items {
			seen[it.RootRun["trace_id"].(string)]++
		}
		if a.NextCursor == nil {
			break
		}
		body["cursor"] = *a.NextCursor
	}
	assert.Len(t, seen, 200, "nothing skipped")
	dups := 0
	for _, n := range seen {
		dups += n - 1
	}
	assert.Positive(t, dups, "items repeated across pages")
}

// TestExpectedThreadsOnly: the threads variant expects only threaded
// traces, the main part all.
func TestExpectedThreadsOnly(t *testing.T) {
	d := sim.NewDataset(sim.DatasetConfig{Seed: 3, Traces: 40})
	main, threads := &Part{Project: "p"}, &Part{Project: "p", ThreadsOnly: true}
	for i := range 40 {
		tr := d.Trace(i)
		assert.Equal(t, len(tr.Spans), main.Expected(tr).SpanCount())
		if tr.ThreadID == "" {
			assert.Zero(t, threads.Expected(tr).SpanCount())
		} else {
			assert.Equal(t, len(tr.Spans), threads.Expected(tr).SpanCount())
		}
	}
	assert.Equal(t, "threads", threads.ReceiverConfig("http://x", testCreds)["discovery"])
	assert.Equal(t, WorkspaceID("acme"), main.ReceiverConfig("http://x", testCreds)["workspace_id"])
}
