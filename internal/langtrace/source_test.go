package langtrace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/llmtrace/llmtrace/internal/poll"
)

const testAPIKey = "ltk_3f9a0c2d4e6b8a1c3e5f7a9b0c2d4e6f"

// fakeServer serves POST /api/traces from a list of traces kept newest
// first, like Langtrace: offset pages, no time filter.
type fakeServer struct {
	t *testing.T

	mu       sync.Mutex
	traces   [][]map[string]any // newest first
	requests []tracesRequest
	headers  []http.Header
	// before runs under the lock before a page is served (to add traces
	// between requests).
	before func(page int)
	// status and body, when set, are served instead.
	status int
	body   string
}

func (f *fakeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Method != http.MethodPost || r.URL.Path != "/api/traces" {
		http.NotFound(w, r)
		return
	}
	raw, err := io.ReadAll(r.Body)
	require.NoError(f.t, err)
	var req tracesRequest
	require.NoError(f.t, json.Unmarshal(raw, &req))
	f.requests = append(f.requests, req)
	f.headers = append(f.headers, r.Header.Clone())
	if f.status != 0 {
		w.WriteHeader(f.status)
		_, _ = io.WriteString(w, f.body)
		return
	}
	if f.before != nil {
		f.before(req.Page)
	}
	total := max((len(f.traces)+req.PageSize-1)/req.PageSize, 1)
	from := min((req.Page-1)*req.PageSize, len(f.traces))
	to := min(from+req.PageSize, len(f.traces))
	w.Header().Set("Content-Type", "application/json")
	require.NoError(f.t, json.NewEncoder(w).Encode(map[string]any{"traces": map[string]any{
		"result":   f.traces[from:to],
		"metadata": map[string]any{"page": min(req.Page, total), "page_size": req.PageSize, "total_pages": total},
	}}))
}

// traceAt builds a one-span trace starting at t.
func traceAt(n int, t time.Time) []map[string]any {
	return []map[string]any{{
		"name":        fmt.Sprintf("span-%d", n),
		"trace_id":    fmt.Sprintf("0x%032x", n+1),
		"span_id":     fmt.Sprintf("0x%016x", n+1),
		"trace_state": "[]",
		"kind":        "2",
		"parent_id":   "",
		"start_time":  t.UTC().Format("2006-01-02T15:04:05.000000Z"),
		"end_time":    t.Add(time.Second).UTC().Format("2006-01-02T15:04:05.000000Z"),
		"attributes":  `{"gen_ai.system":"openai"}`,
		"status_code": "OK",
		"events":      "[]",
		"links":       "[]",
		"duration":    "1000000",
	}}
}

var testNow = time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)

// newestFirst builds n traces one minute apart, the first at testNow.
func newestFirst(n int) [][]map[string]any {
	out := make([][]map[string]any, n)
	for i := range out {
		out[i] = traceAt(i, testNow.Add(-time.Duration(i)*time.Minute))
	}
	return out
}

// newTestSource starts f and returns a source reading it.
func newTestSource(t *testing.T, f *fakeServer, pageSize int) (*source, *int) {
	t.Helper()
	f.t = t
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	api, err := poll.NewAPIClient(poll.APIClientSettings{
		Client:           srv.Client(),
		Endpoint:         srv.URL,
		MaxResponseBytes: 1 << 20,
		Secrets:          []string{testAPIKey},
	})
	require.NoError(t, err)
	cfg := NewDefaultConfig()
	cfg.ClientConfig.Endpoint = srv.URL
	cfg.APIKey = configopaque.String(testAPIKey)
	cfg.ProjectID = testProject
	cfg.PageSize = pageSize
	warnings := 0
	src, err := cfg.NewSource(poll.SourceSettings{API: api, Warn: func() { warnings++ }})
	require.NoError(t, err)
	return src.(*source), &warnings
}

func TestRequestShape(t *testing.T) {
	f := &fakeServer{traces: newestFirst(3)}
	src, _ := newTestSource(t, f, 2)
	q := poll.Query{From: testNow.Add(-time.Hour), To: testNow}

	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	assert.Len(t, page.Traces, 2)
	assert.Equal(t, "2", page.Next)

	_, err = src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: "2"})
	require.NoError(t, err)

	require.Len(t, f.requests, 2)
	assert.Equal(t, tracesRequest{ProjectID: testProject, Page: 1, PageSize: 2}, f.requests[0])
	assert.Equal(t, tracesRequest{ProjectID: testProject, Page: 2, PageSize: 2}, f.requests[1])
	for _, h := range f.headers {
		assert.Equal(t, testAPIKey, h.Get("x-api-key"))
		assert.Equal(t, "application/json", h.Get("Content-Type"))
	}
}

func TestRequestBodyFields(t *testing.T) {
	// The exact JSON field names the API reads.
	b, err := json.Marshal(tracesRequest{ProjectID: "p", Page: 1, PageSize: 100})
	require.NoError(t, err)
	assert.JSONEq(t, `{"projectId":"p","page":1,"pageSize":100}`, string(b))
}

func TestPagination(t *testing.T) {
	tests := []struct {
		name      string
		traces    int
		pageSize  int
		from      time.Duration // window start before testNow
		wantPages []int         // traces of the window per page until Next == ""
	}{
		{name: "all pages inside the window", traces: 5, pageSize: 2, from: time.Hour, wantPages: []int{2, 2, 1}},
		{name: "stops at total_pages", traces: 4, pageSize: 2, from: time.Hour, wantPages: []int{2, 2}},
		{name: "empty project", traces: 0, pageSize: 2, from: time.Hour, wantPages: []int{0}},
		// Traces at 0, -1m, -2m, ...: a window from -2m30s ends on page 2,
		// whose second trace (-3m) is older (returned, but the engine
		// ignores it).
		{name: "stops at the window start", traces: 10, pageSize: 2, from: 150 * time.Second, wantPages: []int{2, 1}},
		{name: "window start on a page boundary", traces: 10, pageSize: 2, from: 3*time.Minute + 30*time.Second, wantPages: []int{2, 2, 0}},
		{name: "no window start reads everything", traces: 3, pageSize: 1, from: 0, wantPages: []int{1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{traces: newestFirst(tt.traces)}
			src, warnings := newTestSource(t, f, tt.pageSize)
			q := poll.Query{To: testNow}
			if tt.from > 0 {
				q.From = testNow.Add(-tt.from)
			}
			var got []int
			token := ""
			for range 20 {
				page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token})
				require.NoError(t, err)
				inWindow := 0
				for _, tr := range page.Traces {
					if !tr.Time.Before(q.From) {
						inWindow++
					}
				}
				got = append(got, inWindow)
				if page.Next == "" {
					break
				}
				token = page.Next
			}
			assert.Equal(t, tt.wantPages, got)
			assert.Zero(t, *warnings)
		})
	}
}

func TestLastPage(t *testing.T) {
	from := testNow
	at := func(d time.Duration) poll.Trace { return poll.Trace{Time: from.Add(d)} }
	tests := []struct {
		name   string
		page   int
		meta   pageMeta
		traces []poll.Trace
		want   bool
	}{
		{name: "empty page", page: 1, meta: pageMeta{TotalPages: 5}, want: true},
		{name: "last page", page: 5, meta: pageMeta{TotalPages: 5}, traces: []poll.Trace{at(time.Hour)}, want: true},
		{name: "beyond the last page", page: 6, meta: pageMeta{TotalPages: 5}, traces: []poll.Trace{at(time.Hour)}, want: true},
		{name: "no metadata", page: 6, traces: []poll.Trace{at(time.Hour)}, want: false},
		{name: "all newer", page: 1, meta: pageMeta{TotalPages: 5}, traces: []poll.Trace{at(time.Hour), at(0)}, want: false},
		{name: "all older, within the ordering slack", page: 1, meta: pageMeta{TotalPages: 5}, traces: []poll.Trace{at(-time.Millisecond), at(-500 * time.Millisecond)}, want: true},
		{name: "one older beyond the slack", page: 1, meta: pageMeta{TotalPages: 5}, traces: []poll.Trace{at(time.Hour), at(-2 * time.Second)}, want: true},
		{name: "one older within the slack", page: 1, meta: pageMeta{TotalPages: 5}, traces: []poll.Trace{at(time.Hour), at(-time.Millisecond)}, want: false},
		{name: "unknown times do not end the query", page: 1, meta: pageMeta{TotalPages: 5}, traces: []poll.Trace{{}, at(-time.Millisecond)}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, (&source{}).lastPage(tt.page, tt.meta, tt.traces, from))
		})
	}
}

func TestInvalidTokenIsReportedToTheEngine(t *testing.T) {
	for _, token := range []string{"abc", "0", "-3"} {
		f := &fakeServer{traces: newestFirst(1)}
		src, _ := newTestSource(t, f, 10)
		_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{To: testNow}, Token: token})
		require.ErrorIs(t, err, poll.ErrInvalidToken, token)
		assert.Empty(t, f.requests, "nothing is requested with a token the source cannot use")
	}
}

func TestPageShiftBetweenRequests(t *testing.T) {
	// A new trace arrives after page 1 was read: the last trace of page 1
	// moves to page 2 and is returned twice, nothing is skipped.
	f := &fakeServer{traces: newestFirst(4)}
	f.before = func(page int) {
		if page == 2 {
			f.traces = append([][]map[string]any{traceAt(99, testNow.Add(time.Second))}, f.traces...)
		}
	}
	src, _ := newTestSource(t, f, 2)
	q := poll.Query{From: testNow.Add(-time.Hour), To: testNow}
	seen := map[string]int{}
	token := ""
	for range 10 {
		page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token})
		require.NoError(t, err)
		for _, tr := range page.Traces {
			seen[tr.ID.String()]++
		}
		if page.Next == "" {
			break
		}
		token = page.Next
	}
	for i := range 4 {
		assert.GreaterOrEqual(t, seen[fmt.Sprintf("%032x", i+1)], 1, "trace %d", i)
	}
	assert.Equal(t, 2, seen[fmt.Sprintf("%032x", 2)], "the shifted trace is seen twice")
}

func TestAPIErrors(t *testing.T) {
	tests := []struct {
		name     string
		status   int
		body     string
		wantMsg  string
		wantHint string
	}{
		{name: "bad key", status: 401, body: `{"error":"Unauthorized. Invalid API key"}`, wantMsg: "Unauthorized. Invalid API key", wantHint: "check api_key"},
		{name: "bad project", status: 404, body: `{"error":"No projects found"}`, wantMsg: "No projects found", wantHint: "check project_id"},
		{name: "page size", status: 400, body: `{"error":"Page size cannot be more than 100"}`, wantMsg: "Page size cannot be more than 100"},
		{name: "server exception", status: 400, body: `{"message":"Something went wrong while fetching traces"}`, wantMsg: "Something went wrong while fetching traces"},
		{name: "documented error object", status: 400, body: `{"error":{"message":"bad request"}}`, wantMsg: "bad request"},
		{name: "key echoed back", status: 401, body: `{"error":"invalid key ` + testAPIKey + `"}`, wantMsg: "invalid key [REDACTED]", wantHint: "check api_key"},
		{name: "not JSON", status: 403, body: `<html>Forbidden</html>`, wantMsg: "<html>Forbidden</html>", wantHint: "check api_key"},
		{name: "empty body", status: 404, body: ``, wantMsg: "Not Found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := &fakeServer{status: tt.status, body: tt.body}
			src, _ := newTestSource(t, f, 10)
			_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{To: testNow}})
			require.Error(t, err)
			msg := err.Error()
			assert.Contains(t, msg, tt.wantMsg)
			assert.Contains(t, msg, fmt.Sprintf("HTTP %d", tt.status))
			assert.Contains(t, msg, "langtrace")
			if tt.wantHint != "" {
				assert.Contains(t, msg, tt.wantHint)
			}
			assert.NotContains(t, msg, testAPIKey)

			var lerr *poll.APIError
			require.ErrorAs(t, err, &lerr)
			assert.Equal(t, tt.status, lerr.Status)
			var se *poll.StatusError
			require.ErrorAs(t, err, &se)
			assert.Equal(t, tt.status, se.Status)
		})
	}
}

func TestMalformedBodyIsAnError(t *testing.T) {
	f := &fakeServer{status: 200, body: `{"traces":{"result":[[{"name":`}
	src, _ := newTestSource(t, f, 10)
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{To: testNow}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "langtrace: page 1")
	assert.NotContains(t, err.Error(), testAPIKey)
}

func TestTransportErrorNamesTheVendor(t *testing.T) {
	api, err := poll.NewAPIClient(poll.APIClientSettings{
		Client: http.DefaultClient, Endpoint: "http://127.0.0.1:1", MaxResponseBytes: 1 << 20,
		Secrets: []string{testAPIKey},
	})
	require.NoError(t, err)
	cfg := NewDefaultConfig()
	cfg.APIKey = configopaque.String(testAPIKey)
	cfg.ProjectID = testProject
	src := newSource(&cfg, poll.SourceSettings{API: api})
	_, err = src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "langtrace: ")
	assert.NotContains(t, err.Error(), testAPIKey)
	var lerr *poll.APIError
	assert.False(t, errors.As(err, &lerr))
}

func TestWarningsReachTheEngine(t *testing.T) {
	tr := traceAt(0, testNow)
	tr[0]["kind"] = "SpanKind.WEIRD"
	tr[0]["attributes"] = `{"a":`
	f := &fakeServer{traces: [][]map[string]any{tr}}
	src, warnings := newTestSource(t, f, 10)
	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: poll.Query{To: testNow}})
	require.NoError(t, err)
	require.Len(t, page.Traces, 1)
	assert.Equal(t, 2, *warnings)
}
