package langtracesim

import (
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// readAllRaw reads every page of the listing, with or without a keyword
// (a JSON value), and returns the spans served, by span_id, and the pages'
// groups.
func (w *world) readAllRaw(keyword string) (map[string]map[string]any, [][][]map[string]any) {
	w.t.Helper()
	spans := map[string]map[string]any{}
	var pages [][][]map[string]any
	for page := 1; ; page++ {
		body := `{"projectId":"` + testProject + `","page":` + strconv.Itoa(page) + `,"pageSize":50`
		if keyword != "" {
			body += `,"keyword":` + keyword
		}
		status, answer := w.post("/api/traces", testKey, body+"}")
		require.Equal(w.t, http.StatusOK, status, answer)
		var p rawPage
		require.NoError(w.t, json.Unmarshal([]byte(answer), &p))
		pages = append(pages, p.Traces.Result)
		for _, g := range p.Traces.Result {
			for _, s := range g {
				spans[s["span_id"].(string)] = s
			}
		}
		if page >= p.Traces.Metadata.TotalPages {
			return spans, pages
		}
	}
}

// containsKeyword is Langtrace's keyword condition, written out from the
// stored columns of a served span: the lowercase attributes text, or one
// element of the events array, contains the lowercase keyword.
func containsKeyword(t *testing.T, s map[string]any, kw string) bool {
	t.Helper()
	kw = strings.ToLower(kw)
	if strings.Contains(strings.ToLower(s["attributes"].(string)), kw) {
		return true
	}
	var events []json.RawMessage
	require.NoError(t, json.Unmarshal([]byte(s["events"].(string)), &events))
	return slices.ContainsFunc(events, func(e json.RawMessage) bool { return strings.Contains(strings.ToLower(string(e)), kw) })
}

func TestKeywordServesOnlyTheSpansThatContainIt(t *testing.T) {
	cfg := sim.DatasetConfig{Seed: 11, Traces: 150, ErrorFraction: 0.2}
	w := newWorld(t, cfg, origin)
	w.clock.Set(w.data.StartOf(cfg.Traces - 1).Add(sim.MaxTraceLag))
	all, _ := w.readAllRaw("")

	for _, kw := range []string{"Anthropic", "openai.RateLimitError", "thread_"} {
		t.Run(kw, func(t *testing.T) {
			got, pages := w.readAllRaw(strconv.Quote(kw))
			want := 0
			for id, s := range all {
				match := containsKeyword(t, s, kw)
				_, served := got[id]
				assert.Equal(t, match, served, "span %s (%s): contains %q = %v", id, s["name"], kw, match)
				if match {
					want++
				}
			}
			assert.Len(t, got, want)
			assert.NotZero(t, want, "the keyword selects some spans")
			assert.Less(t, want, len(all), "the keyword selects a subset")
			// Traces are ranked by their earliest matching span, newest
			// first, across pages (within a page Langtrace orders the
			// groups by their latest end); each group is one trace.
			prevOldest := ""
			for k, groups := range pages {
				oldest, newest := "", ""
				for _, g := range groups {
					first := ""
					for _, s := range g {
						if st := s["start_time"].(string); first == "" || st < first {
							first = st
						}
						assert.Equal(t, g[0]["trace_id"], s["trace_id"])
					}
					oldest, newest = minStr(oldest, first), max(newest, first)
				}
				if k > 0 {
					assert.LessOrEqual(t, newest, prevOldest, "page %d is not older than the one before", k+1)
				}
				prevOldest = oldest
			}
		})
	}
}

func TestKeywordThatBreaksTheQueryIsRefused(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 3, Traces: 5}, origin)
	w.clock.Set(w.data.StartOf(4).Add(sim.MaxTraceLag))
	for _, kw := range []string{`"o'reilly"`, `42`, `true`, `["a"]`} {
		status, body := w.post("/api/traces", testKey, `{"projectId":"`+testProject+`","page":1,"pageSize":10,"keyword":`+kw+`}`)
		assert.Equal(t, http.StatusBadRequest, status, kw)
		assert.JSONEq(t, bodyFailed, body, kw)
	}
	for _, kw := range []string{`null`, `""`} {
		status, body := w.post("/api/traces", testKey, `{"projectId":"`+testProject+`","page":1,"pageSize":10,"keyword":`+kw+`}`)
		assert.Equal(t, http.StatusOK, status, kw)
		var p rawPage
		require.NoError(t, json.Unmarshal([]byte(body), &p))
		assert.Len(t, p.Traces.Result, 5, "keyword %s reads everything", kw)
	}
}

func minStr(a, b string) string {
	if a == "" || b < a {
		return b
	}
	return a
}
