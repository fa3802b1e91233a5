package langwatch

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/langwatch/langwatchsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// counter sits in front of a server and counts requests by "METHOD path"
// (trace reads as "GET /api/trace/{id}"), recording their headers and
// bodies.
type counter struct {
	mu      sync.Mutex
	counts  map[string]int
	headers []http.Header
	bodies  map[string][]string
	srv     *httptest.Server
}

func newCounter(t *testing.T, target string) *counter {
	t.Helper()
	u, err := url.Parse(target)
	require.NoError(t, err)
	proxy := httputil.NewSingleHostReverseProxy(u)
	c := &counter{counts: map[string]int{}, bodies: map[string][]string{}}
	c.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.Method + " " + r.URL.Path
		if strings.HasPrefix(r.URL.Path, "/api/trace/") && r.Method == http.MethodGet {
			key = "GET /api/trace/{id}"
		}
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(strings.NewReader(string(body)))
		c.mu.Lock()
		c.counts[key]++
		c.headers = append(c.headers, r.Header.Clone())
		c.bodies[key] = append(c.bodies[key], string(body))
		c.mu.Unlock()
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(c.srv.Close)
	return c
}

func (c *counter) count(key string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.counts[key]
}

func TestSourceSendsTheKeyAndProject(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 20}, nil)
	c := newCounter(t, w.srv.URL(Name))
	src := w.source(func(cfg *Config) { cfg.ClientConfig.Endpoint = c.srv.URL; cfg.ProjectID = simProject })
	_, _ = query(t, src, w.everything())
	require.NotEmpty(t, c.headers)
	for _, h := range c.headers {
		assert.Equal(t, simKey, h.Get("X-Auth-Token"))
		assert.Equal(t, simProject, h.Get("X-Project-Id"))
		assert.Empty(t, h.Get("Authorization"))
	}
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(c.bodies["POST /api/traces/search"][0]), &body))
	assert.Equal(t, map[string]any{
		"startDate": body["startDate"], "endDate": body["endDate"], "pageSize": 1000.0, "sortDirection": "asc",
		"dateField": "updated", "includeSpans": true, "format": "json",
	}, body, "the first page has no scrollId")
}

func TestSourceAuthErrors(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 20}, nil)
	for _, tc := range []struct {
		name string
		mut  func(*Config)
		want string
	}{
		{"wrong key", func(c *Config) { c.APIKey = "sk-lw-wrong" }, "langwatch: searching traces: HTTP 401: Unauthorized: Invalid credentials; check api_key"},
		{"another project", func(c *Config) { c.ProjectID = "project_other" }, "HTTP 401: Unauthorized: Invalid credentials"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := w.source(tc.mut)
			_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: w.everything()})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var ae *poll.APIError
			require.ErrorAs(t, err, &ae)
			assert.Equal(t, http.StatusUnauthorized, ae.Status)
		})
	}
}

func TestSourceFallsBackToTheLegacyAPIOnce(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 3, Traces: 60}, &langwatchsim.Part{LegacyOnly: true})
	c := newCounter(t, w.srv.URL(Name))
	src := w.source(func(cfg *Config) { cfg.ClientConfig.Endpoint = c.srv.URL })
	q := w.everything()
	first, _ := query(t, src, q)
	second, _ := query(t, src, q)
	assert.Equal(t, 1, c.count("POST /api/traces/search"), "the successor is probed once")
	assert.Equal(t, 1, w.logs.FilterMessageSnippet("without the incremental trace search").Len(), "logged once")
	assert.Equal(t, 60, c.count("GET /api/trace/{id}"), "each trace read once: the second query hits the cache")
	assert.Equal(t, union(first).SpanCount(), union(second).SpanCount())
	for _, b := range c.bodies["POST /api/trace/search"] {
		var m map[string]any
		require.NoError(t, json.Unmarshal([]byte(b), &m))
		for k := range m {
			assert.Contains(t, []string{"startDate", "endDate", "pageSize", "sortDirection", "scrollId"}, k, "only keys the legacy route knows")
		}
	}
}

// TestSourceLegacyMillisecondCursor: more traces than a page start within
// one millisecond; the source reads them with a cursor at that millisecond.
func TestSourceLegacyMillisecondCursor(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 5, Traces: 20, Interval: 200 * time.Microsecond}, &langwatchsim.Part{LegacyOnly: true})
	c := newCounter(t, w.srv.URL(Name))
	src := w.source(func(cfg *Config) { cfg.ClientConfig.Endpoint = c.srv.URL; cfg.PageSize = 1 })
	traces, _ := query(t, src, w.everything())
	diffs := sim.Compare(w.truth(w.data.Len()), union(traces), sim.CompareOptions{TimePrecision: time.Millisecond, MaxDiffs: 10})
	assert.Empty(t, diffs, strings.Join(diffs, "\n"))
	cursors := 0
	for _, b := range c.bodies["POST /api/trace/search"] {
		if strings.Contains(b, "scrollId") {
			cursors++
		}
	}
	assert.NotZero(t, cursors, "millisecond windows with more than a page were read by cursor")
}

func TestSourceWithoutUpdatedThroughUsesTheLegacyAPI(t *testing.T) {
	var legacy int
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case searchPath:
			// A server from before 2026-08 (dateField ignored or no snapshot).
			_, _ = io.WriteString(w, `{"traces":[],"pagination":{"totalHits":0}}`)
		case legacySearchPath:
			legacy++
			_, _ = io.WriteString(w, `{"traces":[],"pagination":{"totalHits":0}}`)
		}
	}))
	defer srv.Close()
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 1}, nil)
	src := w.source(func(c *Config) { c.ClientConfig.Endpoint = srv.URL })
	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: w.everything()})
	require.NoError(t, err)
	assert.Empty(t, page.Next)
	assert.Equal(t, 1, legacy)
	assert.Equal(t, modeLegacy, src.mode)
	assert.Equal(t, 1, w.logs.FilterMessageSnippet("without the incremental trace search").FilterFieldKey("reason").Len())
}

func TestSourceCursorRules(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 2, Traces: 50}, nil)
	src := w.source(func(c *Config) { c.PageSize = 10 })
	q := w.everything()
	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(page.Next, "s:"))
	cur, ok := decodeCursor(strings.TrimPrefix(page.Next, "s:"))
	require.True(t, ok, "LangWatch's cursor is base64 JSON")
	assert.Equal(t, 10, cur.PageSize)
	assert.Equal(t, "asc", cur.SortDirection)
	assert.Equal(t, "updated", cur.DateField)
	require.NotNil(t, cur.ScrollStart)

	t.Run("a cursor of another page size is refused, not sent", func(t *testing.T) {
		other := w.source(func(c *Config) { c.PageSize = 20 })
		_, err := other.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: page.Next})
		assert.ErrorIs(t, err, poll.ErrInvalidToken)
	})
	t.Run("the next page moves on", func(t *testing.T) {
		next, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: page.Next})
		require.NoError(t, err)
		assert.NotEqual(t, page.Traces[0].ID, next.Traces[0].ID)
	})
	t.Run("a cursor that does not move on is caught", func(t *testing.T) {
		// What a server that ignored the cursor answers: page 1's cursor
		// again, not past the one sent.
		back := cur
		back.LastTimestamp = ptr(*cur.LastTimestamp - 1)
		err := checkProgress(encodeCursor(cur), encodeCursor(back))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "ignored the scroll cursor")
		assert.NoError(t, checkProgress(encodeCursor(back), encodeCursor(cur)))
		assert.NoError(t, checkProgress("opaque", encodeCursor(cur)), "a cursor in another format is not judged")
	})
	t.Run("malformed tokens", func(t *testing.T) {
		for _, tok := range []string{"x", "s:", "c:1", "l:a:b", "l:1:-1", "l:1:5:id", "q:1"} {
			_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: tok})
			assert.ErrorIs(t, err, poll.ErrInvalidToken, tok)
		}
	})
}

// TestSimulatorRestartsOnMismatchedCursor shows the server's silent restart
// the source guards against: the same cursor with another pageSize gives
// page 1 again.
func TestSimulatorRestartsOnMismatchedCursor(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 2, Traces: 50}, nil)
	src := w.source(func(c *Config) { c.PageSize = 10 })
	q := w.everything()
	first, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	scroll := strings.TrimPrefix(first.Next, "s:")
	body := `{"startDate":` + jsonInt(q.From.UnixMilli()) + `,"endDate":` + jsonInt(q.To.UnixMilli()) +
		`,"pageSize":11,"sortDirection":"asc","dateField":"updated","includeSpans":true,"scrollId":"` + scroll + `"}`
	resp, err := src.api.Do(context.Background(), poll.Request{Method: http.MethodPost, Path: searchPath, Header: src.header, Body: []byte(body)})
	require.NoError(t, err)
	var d decoder
	again, err := d.decodeSearch(resp.Body)
	require.NoError(t, err)
	assert.Equal(t, first.Traces[0].ID, src.conv.traceID(again.Traces[0].TraceID), "page 1 again, without an error")
}

func TestSourceContinuesWhenTheServerClockLags(t *testing.T) {
	const lag = 2 * time.Minute
	w := newWorld(t, sim.DatasetConfig{Seed: 9, Traces: 200, Interval: 3 * time.Second}, &langwatchsim.Part{ClockLag: lag})
	w.clock.Set(w.data.StartOf(150)) // traces keep arriving and changing
	q := poll.Query{From: w.data.StartOf(0).Add(-time.Hour), To: w.clock.Now().Add(-30 * time.Second)}
	src := w.source(nil)
	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(page.Next, "c:"), "the scroll covered the window only up to the server's clock")
	before := w.clock.Now()
	rest, pages := query(t, src, q) // from the first page again, then the continuation
	_ = rest
	assert.Equal(t, 2, pages)
	assert.GreaterOrEqual(t, w.clock.Now().Sub(before), lag-30*time.Second-time.Millisecond, "it waited for the server to catch up")
	assert.GreaterOrEqual(t, w.logs.FilterMessageSnippet("clock is behind").Len(), 1)

	// A fresh read now, when the server's clock has passed the window's
	// end, sees exactly what the continued query saw.
	fresh, _ := query(t, w.source(nil), q)
	assert.Equal(t, traceIDs(fresh), traceIDs(rest))
	assert.Less(t, len(page.Traces), len(fresh), "the first scroll alone missed traces")
}

func TestSourceErrorsNameTheVendorsReasonsWithoutTheKey(t *testing.T) {
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 1}, nil)
	src := w.source(nil)
	for body, want := range map[string]string{
		`{"startDate":1,"endDate":"soon"}`:                  "endDate: Invalid date format",
		`{"startDate":1,"endDate":2,"pageOffset":2}`:        "pageOffset: pageOffset is no longer supported — offset pagination was removed.",
		`{"startDate":1,"endDate":2,"dateField":"changed"}`: "dateField: Invalid enum value. Expected 'occurred' | 'updated', received \"changed\"",
		`{"endDate":2,"pageSize":0}`:                        "startDate: Required; pageSize: Number must be greater than 0",
	} {
		_, err := src.api.Do(context.Background(), poll.Request{Method: http.MethodPost, Path: searchPath, Header: src.header, Body: []byte(body)})
		err = apiError("searching traces", err)
		require.Error(t, err)
		assert.Contains(t, err.Error(), "HTTP 422: validation_error: The request body didn't match the expected shape. (")
		assert.Contains(t, err.Error(), want)
	}

	leaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
		_, _ = io.WriteString(w, `{"message":"upstream refused token `+r.Header.Get("X-Auth-Token")+`"}`)
	}))
	defer leaky.Close()
	src = w.source(func(c *Config) { c.ClientConfig.Endpoint = leaky.URL })
	src.api, _ = poll.NewAPIClient(poll.APIClientSettings{Client: http.DefaultClient, Endpoint: leaky.URL, Secrets: []string{simKey}})
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: w.everything()})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), simKey)
	assert.Contains(t, err.Error(), "[REDACTED]")
}

func TestSourceSkipsALegacyTraceThatIsGone(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case searchPath:
			w.WriteHeader(http.StatusNotFound)
		case legacySearchPath:
			_, _ = io.WriteString(w, `{"traces":[{"trace_id":"trace_gone","timestamps":{"started_at":1,"updated_at":2}}],"pagination":{"totalHits":1}}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"Trace not found."}`)
		}
	}))
	defer srv.Close()
	w := newWorld(t, sim.DatasetConfig{Seed: 1, Traces: 1}, nil)
	src := w.source(func(c *Config) { c.ClientConfig.Endpoint = srv.URL })
	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: w.everything()})
	require.NoError(t, err)
	assert.Empty(t, page.Traces)
}

func TestLegacyWindows(t *testing.T) {
	for _, tc := range []struct {
		name     string
		a, w, hi int64
		full     bool
		n        int
		want     string
	}{
		{"full: half the width", 100, 64, 164, true, 10, "l:100:32"},
		{"full at one millisecond: cursor after the last trace", 100, 0, 100, true, 10, "l:100:0:t9"},
		{"not full: next window sized for 3/4 of a page", 100, 64, 164, false, 5, "l:165:96"},
		{"empty: grow 4x", 100, 64, 164, false, 0, "l:165:256"},
		{"at the end", 100, 900, 1000, false, 3, ""},
		{"clamped to the end", 100, 800, 900, false, 0, "l:901:99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			traces := make([]traceRec, tc.n)
			for i := range traces {
				traces[i].TraceID = "t" + string(rune('0'+i))
			}
			assert.Equal(t, tc.want, nextWindow(tc.a, tc.w, tc.hi, 1000, tc.full, traces, 10))
		})
	}
}

func traceIDs(traces []poll.Trace) []pcommon.TraceID {
	var ids []pcommon.TraceID
	for _, tr := range traces {
		if !slices.Contains(ids, tr.ID) {
			ids = append(ids, tr.ID)
		}
	}
	slices.SortFunc(ids, func(a, b pcommon.TraceID) int { return strings.Compare(a.String(), b.String()) })
	return ids
}

func ptr[T any](v T) *T { return &v }

func jsonInt(v int64) string { b, _ := json.Marshal(v); return string(b) }
