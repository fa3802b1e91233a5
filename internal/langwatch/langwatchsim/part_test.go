package langwatchsim

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

const (
	testKey     = "sk-lw-test-key"
	testProject = "project_support"
)

var creds = sim.Credentials{APIKey: testKey, Project: testProject}

// world is a part served by sim.Start over a dataset on a manual clock.
type world struct {
	t      *testing.T
	part   *Part
	data   *sim.Dataset
	clock  *sim.ManualClock
	faults *sim.Faults
	srv    *sim.Server
	spec   *spec
}

func newWorld(t *testing.T, cfg sim.DatasetConfig, part *Part) *world {
	t.Helper()
	if part == nil {
		part = &Part{}
	}
	data := sim.NewDataset(cfg)
	clock := sim.NewManualClock(data.StartOf(data.Len() - 1).Add(sim.MaxTraceLag + MaxEvaluationLag))
	faults, err := sim.NewFaults()
	require.NoError(t, err)
	srv, err := sim.Start([]sim.Part{part}, &sim.Env{Data: data, Clock: clock, Creds: creds}, faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return &world{t: t, part: part, data: data, clock: clock, faults: faults, srv: srv, spec: loadSpec(t)}
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(a.body, &m), string(a.body))
	return m
}

// do sends a request with the given headers (the test key as X-Auth-Token
// when nil) and checks the answer against the spec when it documents it.
func (w *world) do(method, path, body string, header http.Header) answer {
	w.t.Helper()
	req, err := http.NewRequest(method, w.srv.URL(Name)+path, strings.NewReader(body))
	require.NoError(w.t, err)
	if header == nil {
		header = http.Header{"X-Auth-Token": {testKey}}
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	defer func() { _ = resp.Body.Close() }()
	data, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	a := answer{resp.StatusCode, resp.Header, data}
	w.checkSpec(method, path, a)
	return a
}

func (w *world) checkSpec(method, path string, a answer) {
	w.t.Helper()
	op := ""
	switch {
	case path == searchPath:
		op = "/api/traces/search"
	case path == legacySearchPath:
		op = "/api/trace/search"
		if a.status != http.StatusOK {
			return // the hand-written legacy operation documents only 200 and, for GET, 400
		}
	case strings.HasPrefix(path, tracePrefix):
		op = "/api/traces/{traceId}"
	case strings.HasPrefix(path, legacyTracePrefix):
		op = "/api/trace/{id}"
		if a.status != http.StatusOK {
			return
		}
	}
	if op == "" || !strings.HasPrefix(a.header.Get("Content-Type"), "application/json") {
		return
	}
	violations := w.spec.check(op, strings.ToLower(method), a.status, a.body)
	assert.Empty(w.t, violations, "%s %s: answer %d does not follow the spec", method, path, a.status)
}

// window is a search body over the whole dataset.
func (w *world) window(extra string) string {
	from := w.data.StartOf(0).Add(-time.Hour).UnixMilli()
	to := w.clock.Now().UnixMilli()
	return `{"startDate":` + strconv.FormatInt(from, 10) + `,"endDate":` + strconv.FormatInt(to, 10) + extra + `}`
}

func TestAuthentication(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 5}, nil)
	basic := func(project, token string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte(project+":"+token))}}
	}
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
		body   string
		legacy string
	}{
		{"X-Auth-Token", http.Header{"X-Auth-Token": {testKey}}, 200, "", ""},
		{"Bearer", http.Header{"Authorization": {"Bearer " + testKey}}, 200, "", ""},
		{"Bearer with the project", http.Header{"Authorization": {"bearer " + testKey}, "X-Project-Id": {testProject}}, 200, "", ""},
		{"Basic", basic(testProject, testKey), 200, "", ""},
		{"a malformed Basic falls through to X-Auth-Token", http.Header{"Authorization": {"Basic !!"}, "X-Auth-Token": {testKey}}, 200, "", ""},
		{"none", http.Header{}, 401, bodyNoCredentials, bodyLegacyNoCredentials},
		{"empty Bearer", http.Header{"Authorization": {"Bearer  "}}, 401, bodyNoCredentials, bodyLegacyNoCredentials},
		{"wrong key", http.Header{"X-Auth-Token": {"sk-lw-other"}}, 401, bodyBadCredentials, bodyLegacyBadToken},
		{"key of another project", http.Header{"X-Auth-Token": {testKey}, "X-Project-Id": {"project_other"}}, 401, bodyBadCredentials, bodyLegacyBadToken},
		{"Basic of another project", basic("project_other", testKey), 401, bodyBadCredentials, bodyLegacyBadToken},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := w.do(http.MethodPost, searchPath, w.window(""), tc.header)
			assert.Equal(t, tc.status, a.status, string(a.body))
			l := w.do(http.MethodPost, legacySearchPath, w.window(""), tc.header)
			assert.Equal(t, tc.status, l.status, string(l.body))
			if tc.status != 200 {
				assert.JSONEq(t, tc.body, string(a.body))
				assert.JSONEq(t, tc.legacy, string(l.body))
				assert.Empty(t, l.header.Get("Deprecation"), "the legacy headers come after authentication")
			}
		})
	}
}

func TestSuccessorValidation(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 5}, nil)
	for _, tc := range []struct {
		name, body string
		status     int
		fields     []any
	}{
		{"unknown keys are stripped", w.window(`,"colour":"blue","pageSize":10`), 200, nil},
		{"dates as ISO strings", `{"startDate":"2020-01-01T00:00:00Z","endDate":"2100-01-01"}`, 200, nil},
		{"missing dates", `{}`, 422, []any{"startDate", "endDate"}},
		{"page size zero", w.window(`,"pageSize":0`), 422, []any{"pageSize"}},
		{"fractional page size", w.window(`,"pageSize":2.5`), 422, []any{"pageSize"}},
		{"pageOffset", w.window(`,"pageOffset":1000`), 422, []any{"pageOffset"}},
		{"pageOffset 0 is fine", w.window(`,"pageOffset":0`), 200, nil},
		{"dateField", w.window(`,"dateField":"created"`), 422, []any{"dateField"}},
		{"includeSpans not a boolean", w.window(`,"includeSpans":"yes"`), 422, []any{"includeSpans"}},
		{"unknown filter", w.window(`,"filters":{"spans.vendor":["x"]}`), 422, []any{"filters.spans.vendor"}},
		{"projection is not simulated", w.window(`,"select":["trace_id"]`), 422, []any{"select"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := w.do(http.MethodPost, searchPath, tc.body, nil)
			require.Equal(t, tc.status, a.status, string(a.body))
			if tc.status == 422 {
				m := a.json(t)
				assert.Equal(t, "validation_error", m["error"])
				assert.Equal(t, tc.fields, m["fields"])
				reasons := m["reasons"].([]any)
				require.Len(t, reasons, len(tc.fields))
				assert.Equal(t, "schema_failure", reasons[0].(map[string]any)["code"])
			}
		})
	}
	a := w.do(http.MethodPost, searchPath, `{"startDate":`, nil)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.Equal(t, "malformed_request", a.json(t)["error"])
}

func TestLegacyBodyIsStrict(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 5}, nil)
	a := w.do(http.MethodPost, legacySearchPath, w.window(`,"includeSpans":true,"dateField":"updated"`), nil)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.JSONEq(t, `{"error":"Validation error: Unrecognized key(s) in object: 'dateField', 'includeSpans'"}`, string(a.body))
	a = w.do(http.MethodPost, legacySearchPath, w.window(`,"pageSize":"10"`), nil)
	assert.Equal(t, http.StatusBadRequest, a.status)
	assert.JSONEq(t, `{"error":"Validation error: Expected number, received string at \"pageSize\""}`, string(a.body))
	a = w.do(http.MethodPost, legacySearchPath, `not json`, nil)
	assert.JSONEq(t, `{"error":"Invalid body"}`, string(a.body))

	ok := w.do(http.MethodPost, legacySearchPath, w.window(`,"pageSize":3,"sortDirection":"asc","query":"","filters":{},"scrollId":null`), nil)
	require.Equal(t, http.StatusOK, ok.status)
	assert.Equal(t, "true", ok.header.Get("Deprecation"))
	assert.Equal(t, `</api/traces/search>; rel="successor-version"`, ok.header.Get("Link"))
	for _, tr := range ok.json(t)["traces"].([]any) {
		assert.Equal(t, []any{}, tr.(map[string]any)["spans"], "the legacy search never returns spans")
		assert.NotContains(t, tr, "platformUrl")
	}
}

// search runs a successor search and returns its traces and pagination.
func (w *world) search(t *testing.T, extra string) ([]map[string]any, map[string]any) {
	t.Helper()
	a := w.do(http.MethodPost, searchPath, w.window(extra), nil)
	require.Equal(t, http.StatusOK, a.status, string(a.body))
	m := a.json(t)
	var traces []map[string]any
	for _, tr := range m["traces"].([]any) {
		traces = append(traces, tr.(map[string]any))
	}
	return traces, m["pagination"].(map[string]any)
}

func TestScrollCursor(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 2, Traces: 25}, nil)
	opts := `,"pageSize":10,"sortDirection":"asc","dateField":"updated"`
	page1, p1 := w.search(t, opts)
	require.Len(t, page1, 10)
	assert.Equal(t, 25.0, p1["totalHits"])
	scroll := p1["scrollId"].(string)
	raw, err := base64.StdEncoding.DecodeString(scroll)
	require.NoError(t, err)
	var cur scrollCursor
	require.NoError(t, json.Unmarshal(raw, &cur))
	assert.Equal(t, page1[9]["trace_id"], cur.LastTraceID)
	assert.Equal(t, page1[9]["timestamps"].(map[string]any)["updated_at"], float64(cur.LastTimestamp))
	require.NotNil(t, cur.ScrollStart)
	assert.Equal(t, float64(*cur.ScrollStart), p1["updatedThrough"], "min(endDate, scrollStart)")

	page2, _ := w.search(t, opts+`,"scrollId":"`+scroll+`"`)
	assert.NotEqual(t, page1[0]["trace_id"], page2[0]["trace_id"])
	page3, p3 := w.search(t, opts+`,"scrollId":"`+page2Scroll(t, w, opts, scroll)+`"`)
	assert.Len(t, page3, 5)
	assert.NotContains(t, p3, "scrollId", "no scrollId once a page is not full")

	for name, extra := range map[string]string{
		"another pageSize":      `,"pageSize":11,"sortDirection":"asc","dateField":"updated"`,
		"another sortDirection": `,"pageSize":10,"sortDirection":"ASC","dateField":"updated"`,
		"another axis":          `,"pageSize":10,"sortDirection":"asc","dateField":"occurred"`,
	} {
		first, _ := w.search(t, extra)
		again, _ := w.search(t, extra+`,"scrollId":"`+scroll+`"`)
		assert.Equal(t, first[0]["trace_id"], again[0]["trace_id"], "%s: the cursor is silently ignored", name)
	}
	again, _ := w.search(t, opts+`,"scrollId":"bm90IGpzb24="`)
	assert.Equal(t, page1[0]["trace_id"], again[0]["trace_id"], "an undecodable cursor: page 1")
}

func page2Scroll(t *testing.T, w *world, opts, scroll string) string {
	_, p := w.search(t, opts+`,"scrollId":"`+scroll+`"`)
	return p["scrollId"].(string)
}

// TestOccurredCursorQuirk: on the occurred axis the cursor takes the last
// trace's started_at while the window and the seek use its OccurredAt.
func TestOccurredCursorQuirk(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 4, Traces: 40}, nil)
	page, p := w.search(t, `,"pageSize":5,"sortDirection":"asc"`)
	raw, _ := base64.StdEncoding.DecodeString(p["scrollId"].(string))
	var cur scrollCursor
	require.NoError(t, json.Unmarshal(raw, &cur))
	assert.Equal(t, page[4]["timestamps"].(map[string]any)["started_at"], float64(cur.LastTimestamp))
	assert.Equal(t, "occurred", cur.DateField)
}

func TestUpdatesAfterFirstSight(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 6, Traces: 40, LongRunningFraction: 1}, nil)
	x := newIndex(w.data).info(10)
	tr := w.data.Trace(10)
	// Just after the first span arrived: the trace exists, without its
	// running root.
	w.clock.Set(x.inserted())
	first := w.one(t, x.id)
	firstSpans := len(first["spans"].([]any))
	assert.Less(t, firstSpans, len(tr.Spans))
	assert.Equal(t, float64(x.inserted().UnixMilli()), first["timestamps"].(map[string]any)["updated_at"])
	// Once the root has ended and arrived, and its evaluations are done.
	w.clock.Set(x.changes[len(x.changes)-1])
	last := w.one(t, x.id)
	assert.Len(t, last["spans"].([]any), len(tr.Spans))
	assert.Greater(t, last["timestamps"].(map[string]any)["updated_at"], first["timestamps"].(map[string]any)["updated_at"])
	for _, e := range last["evaluations"].([]any) {
		assert.Contains(t, []any{"processed", "skipped", "error"}, e.(map[string]any)["status"])
	}
}

// one reads a trace through the successor search filtered by its id.
func (w *world) one(t *testing.T, id string) map[string]any {
	t.Helper()
	traces, _ := w.search(t, `,"dateField":"updated","includeSpans":true,"traceIds":["`+id+`"]`)
	require.Len(t, traces, 1)
	return traces[0]
}

func TestLegacyIDsForPartOfTheData(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 8, Traces: 50}, nil)
	traces, _ := w.search(t, `,"includeSpans":true,"pageSize":1000`)
	legacy := 0
	for _, tr := range traces {
		id := tr["trace_id"].(string)
		spans := tr["spans"].([]any)
		if strings.HasPrefix(id, "trace_") {
			legacy++
			assert.Len(t, id, 27)
			for _, s := range spans {
				assert.True(t, strings.HasPrefix(s.(map[string]any)["span_id"].(string), "span_"))
			}
			continue
		}
		assert.Len(t, id, 32)
		for _, s := range spans {
			assert.Len(t, s.(map[string]any)["span_id"].(string), 16)
		}
	}
	assert.Equal(t, 10, legacy, "one trace in five")
}

func TestSingleTraceReads(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 3, Traces: 30}, nil)
	x := newIndex(w.data).info(0)
	a := w.do(http.MethodGet, legacyTracePrefix+x.id, "", nil)
	require.Equal(t, http.StatusOK, a.status)
	assert.Equal(t, "true", a.header.Get("Deprecation"))
	assert.Equal(t, "</api/traces/"+x.id+`?format=json>; rel="successor-version"`, a.header.Get("Link"))
	m := a.json(t)
	assert.NotEmpty(t, m["ascii_tree"])
	assert.Len(t, m["spans"].([]any), len(w.data.Trace(0).Spans))

	assert.Equal(t, http.StatusOK, w.do(http.MethodGet, tracePrefix+x.id, "", nil).status)
	assert.Equal(t, http.StatusOK, w.do(http.MethodGet, tracePrefix+x.id[:12], "", nil).status, "a unique prefix")
	missing := w.do(http.MethodGet, legacyTracePrefix+"trace_nothere", "", nil)
	assert.Equal(t, http.StatusNotFound, missing.status)
	assert.JSONEq(t, bodyLegacyNotFound, string(missing.body))
	amb := w.do(http.MethodGet, tracePrefix+x.id[:8], "", nil)
	if amb.status == http.StatusConflict {
		assert.NotEmpty(t, amb.json(t)["candidateTraceIds"])
	}
}

func TestLegacyOnlyServer(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 3, Traces: 5}, &Part{LegacyOnly: true})
	a := w.do(http.MethodPost, searchPath, w.window(""), nil)
	assert.Equal(t, http.StatusNotFound, a.status)
	assert.Contains(t, a.header.Get("Content-Type"), "text/html")
	assert.Equal(t, http.StatusOK, w.do(http.MethodPost, legacySearchPath, w.window(""), nil).status)
}

func TestClockLag(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 3, Traces: 5}, &Part{ClockLag: time.Minute})
	_, p := w.search(t, `,"dateField":"updated"`)
	assert.Equal(t, float64(w.clock.Now().Add(-time.Minute).UnixMilli()), p["updatedThrough"], "the server's clock is a minute behind")
}

func TestDuplicateFault(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 2, Traces: 25}, nil)
	opts := `,"pageSize":10,"sortDirection":"asc","dateField":"updated"`
	page1, p1 := w.search(t, opts)
	_, err := w.faults.AddString("langwatch:POST /api/traces/search:duplicate:count=3")
	require.NoError(t, err)
	page2, _ := w.search(t, opts+`,"scrollId":"`+p1["scrollId"].(string)+`"`)
	assert.Equal(t, page1[7]["trace_id"], page2[0]["trace_id"], "3 traces of page 1 again")
}

func TestScenarioFaultsParse(t *testing.T) {
	for _, sc := range (&Part{}).Scenarios() {
		for _, f := range sc.Faults {
			_, err := sim.ParseRule(f)
			assert.NoError(t, err, f)
		}
	}
}
