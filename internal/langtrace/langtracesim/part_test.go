package langtracesim

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

const (
	testKey     = "ltk_sim_0123456789abcdef"
	testProject = "cm2ohrwqd0001l7ahy3vquh7t"
)

var origin = time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)

// world is one simulator serving the part on a manual clock.
type world struct {
	t      *testing.T
	part   *Part
	data   *sim.Dataset
	clock  *sim.ManualClock
	faults *sim.Faults
	url    string
}

func newWorld(t *testing.T, cfg sim.DatasetConfig, now time.Time) *world {
	t.Helper()
	if cfg.Origin.IsZero() {
		cfg.Origin = origin
	}
	w := &world{t: t, part: &Part{}, data: sim.NewDataset(cfg), clock: sim.NewManualClock(now)}
	var err error
	w.faults, err = sim.NewFaults()
	require.NoError(t, err)
	env := &sim.Env{Data: w.data, Clock: w.clock, Creds: sim.Credentials{APIKey: testKey, Project: testProject}}
	srv, err := sim.Start([]sim.Part{w.part}, env, w.faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	w.url = srv.URL(Name)
	return w
}

// post sends a raw request and returns the status and body.
func (w *world) post(path, key, body string) (int, string) {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.url+path, strings.NewReader(body))
	require.NoError(w.t, err)
	if key != "" {
		req.Header.Set("x-api-key", key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(w.t, err)
	defer func() { _ = resp.Body.Close() }()
	b, err := io.ReadAll(resp.Body)
	require.NoError(w.t, err)
	return resp.StatusCode, string(b)
}

// rawPage is a response decoded only as far as the outer JSON goes.
type rawPage struct {
	Traces struct {
		Result   [][]map[string]any `json:"result"`
		Metadata struct {
			Page       int `json:"page"`
			PageSize   int `json:"page_size"`
			TotalPages int `json:"total_pages"`
		} `json:"metadata"`
	} `json:"traces"`
}

func (w *world) rawPage(page, size int) rawPage {
	w.t.Helper()
	status, body := w.post("/api/traces", testKey, `{"projectId":"`+testProject+`","page":`+strconv.Itoa(page)+`,"pageSize":`+strconv.Itoa(size)+`}`)
	require.Equal(w.t, http.StatusOK, status, body)
	var p rawPage
	require.NoError(w.t, json.Unmarshal([]byte(body), &p))
	return p
}

// source is the receiver's Langtrace source pointed at the simulator.
type source struct {
	poll.Source
	warnings int
}

func (w *world) source(pageSize int) *source {
	w.t.Helper()
	s := &source{}
	s.Source = newLangtraceSource(w.t, w.url, testKey, testProject, pageSize, func() { s.warnings++ })
	return s
}

// fetch reads one page through the receiver's source.
func (s *source) fetch(t *testing.T, page int) poll.Page {
	t.Helper()
	p, err := s.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{}, Token: strconv.Itoa(page)})
	require.NoError(t, err)
	return p
}

// fetchAll reads every page, in order.
func (s *source) fetchAll(t *testing.T) [][]poll.Trace {
	t.Helper()
	var pages [][]poll.Trace
	token := ""
	for {
		p, err := s.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{}, Token: token})
		require.NoError(t, err)
		pages = append(pages, p.Traces)
		if p.Next == "" {
			return pages
		}
		token = p.Next
	}
}

func spanIDs(tr poll.Trace) []pcommon.SpanID {
	var ids []pcommon.SpanID
	spans := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for k := 0; k < spans.Len(); k++ {
		ids = append(ids, spans.At(k).SpanID())
	}
	slices.SortFunc(ids, func(a, b pcommon.SpanID) int { return strings.Compare(a.String(), b.String()) })
	return ids
}

// heldSpans is what Langtrace holds of trace i at now: its visible, ended
// spans, sorted by id.
func heldSpans(d *sim.Dataset, i int, now time.Time) []pcommon.SpanID {
	tr, ok := d.View(i, now)
	if !ok {
		return nil
	}
	var ids []pcommon.SpanID
	for _, s := range tr.Spans {
		if !s.End.IsZero() {
			ids = append(ids, s.ID)
		}
	}
	slices.SortFunc(ids, func(a, b pcommon.SpanID) int { return strings.Compare(a.String(), b.String()) })
	return ids
}

// listedByBruteForce ranks every trace Langtrace holds at now the way the
// server does (min(start_time) string DESC), generating all of them.
func listedByBruteForce(d *sim.Dataset, now time.Time) []int {
	type ranked struct {
		i   int
		key string
	}
	var all []ranked
	for i := 0; i < d.IndexAt(now); i++ {
		tr, ok := d.View(i, now)
		if !ok {
			continue
		}
		var key string
		for _, s := range tr.Spans {
			if s.End.IsZero() {
				continue
			}
			k := newRenderer(i).time(s.Start)
			if key == "" || k < key {
				key = k
			}
		}
		if key != "" {
			all = append(all, ranked{i, key})
		}
	}
	slices.SortFunc(all, func(a, b ranked) int {
		if c := strings.Compare(b.key, a.key); c != 0 {
			return c
		}
		return b.i - a.i
	})
	out := make([]int, len(all))
	for k, r := range all {
		out[k] = r.i
	}
	return out
}

func TestErrorsAreTheServers(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 50}, origin.Add(time.Hour))
	good := `{"projectId":"` + testProject + `","page":1,"pageSize":10}`
	for _, tc := range []struct {
		name, path, key, body string
		status                int
		want                  string
	}{
		{"wrong key", "/api/traces", "ltk_wrong", good, 401, bodyUnauthorized},
		{"no key", "/api/traces", "", good, 401, bodyUnauthorized},
		{"other project", "/api/traces", testKey, `{"projectId":"cmother","page":1,"pageSize":10}`, 404, bodyNoProject},
		{"page size over 100", "/api/traces", testKey, `{"projectId":"` + testProject + `","page":1,"pageSize":101}`, 400, bodyPageSize},
		{"malformed body", "/api/traces", testKey, `{"projectId":`, 400, bodyFailed},
		{"page 0", "/api/traces", testKey, `{"projectId":"` + testProject + `","page":0,"pageSize":10}`, 400, bodyFailed},
		{"no page size", "/api/traces", testKey, `{"projectId":"` + testProject + `","page":1}`, 400, bodyFailed},
		{"numeric strings", "/api/traces", testKey, `{"projectId":"` + testProject + `","page":"1","pageSize":"100"}`, 200, ""},
		{"page size 100", "/api/traces", testKey, `{"projectId":"` + testProject + `","page":1,"pageSize":100}`, 200, ""},
		{"other path", "/api/trace", testKey, good, 404, "404: This page could not be found."},
		{"session-only route", "/api/spans", testKey, good, 404, "404: This page could not be found."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body := w.post(tc.path, tc.key, tc.body)
			assert.Equal(t, tc.status, status)
			if tc.want != "" {
				assert.Equal(t, tc.want, body)
			}
		})
	}
	resp, err := http.Get(w.url + "/api/traces")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusMethodNotAllowed, resp.StatusCode)
}

func TestPagesListTracesNewestFirst(t *testing.T) {
	// Dense traces, many still growing: the recent ones are ranked from
	// their spans, the old ones by index.
	cfg := sim.DatasetConfig{Seed: 7, Traces: 3000, Interval: 300 * time.Millisecond, LateFraction: 0.3, LongRunningFraction: 0.3}
	now := origin.Add(10 * time.Minute)
	w := newWorld(t, cfg, now)
	want := listedByBruteForce(w.data, now)
	require.Greater(t, len(want), 1500)
	require.Less(t, len(want), w.data.IndexAt(now), "some started traces are not listed yet")

	const size = 97
	src := w.source(size)
	pages := src.fetchAll(t)
	require.Len(t, pages, (len(want)+size-1)/size)
	for k, page := range pages {
		wantIDs := map[pcommon.TraceID]int{}
		for _, i := range want[k*size : min((k+1)*size, len(want))] {
			wantIDs[w.data.Trace(i).ID] = i
		}
		require.Len(t, page, len(wantIDs), "page %d", k+1)
		for _, tr := range page {
			i, ok := wantIDs[tr.ID]
			require.True(t, ok, "page %d: trace %s is not ranked there", k+1, tr.ID)
			assert.Equal(t, heldSpans(w.data, i, now), spanIDs(tr), "trace %d", i)
		}
	}
	assert.Zero(t, src.warnings)

	last := w.rawPage(len(pages), size).Traces.Metadata
	assert.Equal(t, len(pages), last.Page)
	assert.Equal(t, size, last.PageSize)
	assert.Equal(t, len(pages), last.TotalPages)

	past := w.rawPage(len(pages)+3, size).Traces
	assert.Empty(t, past.Result)
	assert.Equal(t, len(pages), past.Metadata.Page, "clamped")
	assert.Equal(t, len(pages), past.Metadata.TotalPages)
}

func TestEmptyProjectHasOnePage(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 10}, origin.Add(-time.Hour))
	p := w.rawPage(1, 10).Traces
	assert.Empty(t, p.Result)
	assert.Equal(t, 1, p.Metadata.TotalPages)
	assert.Equal(t, 1, p.Metadata.Page)
}

func TestPagesShiftAsTimeAdvances(t *testing.T) {
	cfg := sim.DatasetConfig{Seed: 3, Traces: 1000}
	w := newWorld(t, cfg, origin.Add(5*time.Minute))
	src := w.source(20)
	positions := func() map[pcommon.TraceID]int {
		pos := map[pcommon.TraceID]int{}
		for k, i := range listedByBruteForce(w.data, w.clock.Now()) {
			pos[w.data.Trace(i).ID] = k
		}
		return pos
	}
	before, posBefore := src.fetch(t, 2).Traces, positions()
	w.clock.Advance(30 * time.Second)
	posAfter := positions()
	arrived := len(posAfter) - len(posBefore)
	assert.InDelta(t, 30, arrived, 3, "about one trace per second arrived")
	for _, tr := range before {
		assert.Equal(t, posBefore[tr.ID]+arrived, posAfter[tr.ID], "every listed trace moved down by the arrivals")
	}
	// Page 2 now holds what page 1 held before, and more recent traces.
	after := src.fetch(t, 2).Traces
	for _, tr := range after {
		k := posAfter[tr.ID]
		assert.True(t, k >= 20 && k < 40)
	}
}

func TestOnlyEndedSpansAreServed(t *testing.T) {
	cfg := sim.DatasetConfig{Seed: 11, Traces: 400, LateFraction: 1, LongRunningFraction: 0.5}
	w := newWorld(t, cfg, origin)
	// Trace i whose root stays in progress for minutes and that has a late
	// span.
	var long sim.Trace
	for i := 0; i < 400; i++ {
		tr := w.data.Trace(i)
		root := tr.Root()
		if root.End.Sub(root.Start) > 3*time.Minute {
			long = tr
			break
		}
	}
	require.NotNil(t, long.Root())
	root := long.Root()
	var late *sim.Span
	for k := range long.Spans {
		if s := &long.Spans[k]; s.Visible.Sub(s.End) >= 20*time.Second {
			late = s
		}
	}
	require.NotNil(t, late)
	src := w.source(100)
	find := func() (poll.Trace, bool) {
		for _, page := range src.fetchAll(t) {
			for _, tr := range page {
				if tr.ID == long.ID {
					return tr, true
				}
			}
		}
		return poll.Trace{}, false
	}

	// A minute in: the children are there, the root (in progress) is not.
	w.clock.Set(root.Start.Add(time.Minute))
	tr, ok := find()
	require.True(t, ok)
	ids := spanIDs(tr)
	assert.NotContains(t, ids, root.ID, "an in-progress span does not exist in Langtrace")
	assert.NotContains(t, ids, late.ID)
	assert.Equal(t, heldSpans(w.data, long.Index, w.clock.Now()), ids)
	spans := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for k := 0; k < spans.Len(); k++ {
		assert.NotZero(t, spans.At(k).EndTimestamp())
	}

	// Once the root has ended and its export arrived, it is listed; the
	// late span comes after.
	w.clock.Set(appearAt(root))
	tr, _ = find()
	assert.Contains(t, spanIDs(tr), root.ID)
	if appearAt(late).After(appearAt(root)) {
		assert.NotContains(t, spanIDs(tr), late.ID)
	}
	w.clock.Set(long.CompleteAt())
	tr, _ = find()
	assert.Contains(t, spanIDs(tr), late.ID)
	assert.Len(t, spanIDs(tr), len(long.Spans))
}

var (
	hex0x  = regexp.MustCompile(`^0x[0-9a-f]{32}$`)
	hex32  = regexp.MustCompile(`^[0-9a-f]{32}$`)
	span0x = regexp.MustCompile(`^0x[0-9a-f]{16}$`)
	span16 = regexp.MustCompile(`^[0-9a-f]{16}$`)
)

func TestIDFormatsAndSpellings(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 5, Traces: 60}, origin.Add(2*time.Hour))
	raw := w.rawPage(1, 60).Traces.Result
	require.Len(t, raw, 60)
	byID := map[pcommon.TraceID]sim.Trace{}
	for i := range 60 {
		tr := w.data.Trace(i)
		byID[tr.ID] = tr
	}
	seen := map[ingestPath]int{}
	spellings := map[bool]int{}
	for _, group := range raw {
		tid := group[0]["trace_id"].(string)
		var path ingestPath
		var id pcommon.TraceID
		switch {
		case hex0x.MatchString(tid):
			path = pathPython
			copy(id[:], mustHex(t, tid[2:]))
		case hex32.MatchString(tid):
			path = pathTypeScript
			copy(id[:], mustHex(t, tid))
		default:
			path = pathOTLP
			b, err := base64.StdEncoding.DecodeString(tid)
			require.NoError(t, err, tid)
			require.Len(t, b, 16)
			copy(id[:], b)
		}
		tr, ok := byID[id]
		require.True(t, ok, "trace id %s decodes to a dataset trace", tid)
		assert.Equal(t, pathOf(tr.Index), path, "trace %d", tr.Index)
		seen[path]++
		for _, s := range group {
			sid := s["span_id"].(string)
			switch path {
			case pathPython:
				assert.Regexp(t, span0x, sid)
				assert.Equal(t, "[]", s["trace_state"])
				assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, s["start_time"])
			case pathTypeScript:
				assert.Regexp(t, span16, sid)
				if s["events"] != "[]" {
					assert.Contains(t, s["events"], `"time":[`)
				}
				assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`, s["start_time"])
			case pathOTLP:
				b, err := base64.StdEncoding.DecodeString(sid)
				require.NoError(t, err)
				assert.Len(t, b, 8)
				assert.Regexp(t, `^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$`, s["start_time"])
				assert.Regexp(t, `^(STATUS_CODE_OK|STATUS_CODE_ERROR|UNSET)$`, s["status_code"])
			}
			_, isString := s["kind"].(string)
			_, durString := s["duration"].(string)
			assert.Equal(t, isString, durString)
			assert.Equal(t, numbersAsStrings(tr.Index), isString)
			spellings[isString]++
			for _, col := range []string{"attributes", "events", "links"} {
				text, ok := s[col].(string)
				require.True(t, ok, "%s is a JSON string", col)
				assert.True(t, json.Valid([]byte(text)), "%s holds JSON", col)
			}
		}
	}
	assert.Len(t, seen, 3)
	assert.Len(t, spellings, 2)

	// Through the receiver's source every format decodes to the dataset's
	// ids.
	src := w.source(60)
	for _, tr := range src.fetch(t, 1).Traces {
		want, ok := byID[tr.ID]
		require.True(t, ok)
		var ids []pcommon.SpanID
		for _, s := range want.Spans {
			ids = append(ids, s.ID)
		}
		slices.SortFunc(ids, func(a, b pcommon.SpanID) int { return strings.Compare(a.String(), b.String()) })
		assert.Equal(t, ids, spanIDs(tr), "trace %d", want.Index)
	}
	assert.Zero(t, src.warnings)
}

func TestContentIsTripleEncoded(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 5, Traces: 30}, origin.Add(2*time.Hour))
	found := map[ingestPath]bool{}
	for _, group := range w.rawPage(1, 30).Traces.Result {
		for _, s := range group {
			var events []map[string]any
			require.NoError(t, json.Unmarshal([]byte(s["events"].(string)), &events))
			for _, ev := range events {
				if ev["name"] != "gen_ai.content.prompt" {
					continue
				}
				prompt, ok := ev["attributes"].(map[string]any)["gen_ai.prompt"].(string)
				require.True(t, ok, "the prompt is a JSON string inside the events string")
				var msgs []map[string]any
				require.NoError(t, json.Unmarshal([]byte(prompt), &msgs))
				require.NotEmpty(t, msgs)
				assert.NotEmpty(t, msgs[0]["role"])
				tid := s["trace_id"].(string)
				python := strings.HasPrefix(prompt, `[{"role": "`)
				switch {
				case hex0x.MatchString(tid):
					found[pathPython] = true
					assert.True(t, python, "python's json.dumps separators: %.40s", prompt)
				case hex32.MatchString(tid):
					found[pathTypeScript] = true
					assert.False(t, python, "JSON.stringify separators: %.40s", prompt)
				}
			}
		}
	}
	assert.True(t, found[pathPython] && found[pathTypeScript])
}

func TestConverterOutputIsTheGroundTruth(t *testing.T) {
	cfg := sim.DatasetConfig{Seed: 42, Traces: 400, ErrorFraction: 0.2, LateFraction: 0.2, LongRunningFraction: 0.2}
	w := newWorld(t, cfg, origin)
	w.clock.Set(w.data.StartOf(cfg.Traces - 1).Add(sim.MaxTraceLag))
	src := w.source(100)
	byID := map[pcommon.TraceID]sim.Trace{}
	for i := range cfg.Traces {
		tr := w.data.Trace(i)
		byID[tr.ID] = tr
	}
	compared, spans, errored := 0, 0, 0
	for _, page := range src.fetchAll(t) {
		for _, got := range page {
			tr, ok := byID[got.ID]
			require.True(t, ok, "trace %s is in the dataset", got.ID)
			i := tr.Index
			want := w.part.Expected(tr)
			diffs := sim.Compare(want, got.Spans, sim.CompareOptions{MaxDiffs: 10})
			assert.Empty(t, diffs, "trace %d (%v path)", i, pathOf(i))
			compared++
			spans += want.SpanCount()
			for _, s := range tr.Spans {
				if s.Error != nil {
					errored++
				}
			}
		}
	}
	assert.Equal(t, cfg.Traces, compared)
	assert.Zero(t, src.warnings, "conversion warnings")
	assert.Greater(t, errored, 20)
	t.Logf("%d traces, %d spans (%d failed) match the ground truth", compared, spans, errored)
}

func TestExpectedAccountsForWhatLangtraceDrops(t *testing.T) {
	d := sim.NewDataset(sim.DatasetConfig{Seed: 9, Traces: 60, ErrorFraction: 0.5, Origin: origin})
	p := &Part{Project: testProject}
	for i := range 60 {
		tr := d.Trace(i)
		want := p.Expected(tr)
		res := want.ResourceSpans().At(0).Resource().Attributes().AsRaw()
		assert.Equal(t, map[string]any{"service.name": testProject, "llmtrace.vendor": "langtrace", "llmtrace.project": testProject}, res)
		spans := want.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		for k := 0; k < spans.Len(); k++ {
			s, ds := spans.At(k), tr.Spans[k]
			assert.Empty(t, s.Status().Message(), "Langtrace drops the status description")
			if pathOf(i) == pathOTLP {
				assert.Zero(t, s.StartTimestamp()%pcommon.Timestamp(time.Millisecond))
			} else {
				assert.Equal(t, ds.Start, s.StartTimestamp().AsTime().UTC())
			}
		}
	}
}

func TestDuplicateAndShiftFaults(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 2, Traces: 500}, origin.Add(3*time.Hour))
	src := w.source(10)
	ids := func(p poll.Page) []pcommon.TraceID {
		var out []pcommon.TraceID
		for _, tr := range p.Traces {
			out = append(out, tr.ID)
		}
		return out
	}
	listed := listedByBruteForce(w.data, w.clock.Now())
	pos := func(ps ...poll.Page) []int {
		var out []int
		for _, p := range ps {
			for _, id := range ids(p) {
				out = append(out, slices.IndexFunc(listed, func(i int) bool { return w.data.Trace(i).ID == id }))
			}
		}
		slices.Sort(out)
		return out
	}
	seq := func(from, to int) []int {
		var out []int
		for k := from; k < to; k++ {
			out = append(out, k)
		}
		return out
	}

	src.fetch(t, 1)
	_, err := w.faults.AddString("langtrace:POST /api/traces:duplicate:first=1,count=3")
	require.NoError(t, err)
	p2 := src.fetch(t, 2)
	assert.Equal(t, seq(7, 20), pos(p2), "the end of page 1 is repeated at the head of page 2")
	assert.Len(t, p2.Traces, 13, "the page grows by the repeated traces")
	p3 := src.fetch(t, 3)
	assert.Equal(t, seq(20, 30), pos(p3))

	w.faults.Clear()
	_, err = w.faults.AddString("langtrace:POST /api/traces:shift:first=1,count=4")
	require.NoError(t, err)
	src.fetch(t, 1) // a new scan; its request takes the fault
	p2 = src.fetch(t, 2)
	p3 = src.fetch(t, 3)
	assert.Equal(t, seq(6, 16), pos(p2), "four traces pretended to arrive: page 2 starts four earlier")
	assert.Equal(t, seq(16, 26), pos(p3), "and stays shifted: nothing is skipped")
	assert.Equal(t, 1, w.faults.Injected(sim.FaultShift))
	assert.Equal(t, 1, w.faults.Injected(sim.FaultDuplicate))
	meta := w.rawPage(1, 10).Traces.Metadata // page 1 starts a new scan
	assert.Equal(t, (len(listed)+9)/10, meta.TotalPages)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b := make([]byte, len(s)/2)
	for k := range b {
		n, err := strconv.ParseUint(s[2*k:2*k+2], 16, 8)
		require.NoError(t, err)
		b[k] = byte(n)
	}
	return b
}

func TestJSONStyles(t *testing.T) {
	v := []any{map[string]any{"role": "user", "content": "Café \"ok\"\n", "n": 1, "t": 1.0, "p": 0.25, "x": nil, "b": true, "s": []string{"a"}}}
	assert.Equal(t, `[{"role":"user","b":true,"content":"Café \"ok\"\n","n":1,"p":0.25,"s":["a"],"t":1,"x":null}]`,
		string(appendValue(nil, v, styleJS)))
	assert.Equal(t, `[{"role": "user", "b": true, "content": "Caf\u00e9 \"ok\"\n", "n": 1, "p": 0.25, "s": ["a"], "t": 1.0, "x": null}]`,
		string(appendValue(nil, v, stylePython)))
	assert.Equal(t, `"\ud83d\ude00"`, string(appendString(nil, "😀", stylePython)))
	var back []any
	require.NoError(t, json.Unmarshal(appendValue(nil, v, stylePython), &back))
}
