package langsmith

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/langsmith/langsmithsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

func fetch(t *testing.T, src *source, q poll.Query, token string) (poll.Page, error) {
	t.Helper()
	return src.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token, Continued: token != ""})
}

func TestProjectNameResolvedOnce(t *testing.T) {
	w := newSimWorld(t, &langsmithsim.Part{}, sim.DatasetConfig{Seed: 1, Traces: 30})
	w.clock.Set(w.data.StartOf(29).Add(sim.MaxTraceLag))
	src := w.source(w.config(nil))
	q := poll.Query{From: w.data.Config().Origin, To: w.data.StartOf(29)}
	for range 3 {
		w.query(src, q)
	}
	assert.Equal(t, 1, w.requests("GET /api/v1/sessions"))
	assert.Equal(t, langsmithsim.ProjectID(w.creds.Project), src.projectID)
}

func TestMissingProjectNamesTheKey(t *testing.T) {
	w := newSimWorld(t, &langsmithsim.Part{}, sim.DatasetConfig{Seed: 1, Traces: 3})
	src := w.source(w.config(map[string]any{"project_name": "no-such-project"}))
	_, err := fetch(t, src, poll.Query{From: w.data.Config().Origin, To: w.data.Config().Origin.Add(time.Hour)}, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `project_name: no tracing project named "no-such-project"`)
}

func TestEndpointWithAPIPrefix(t *testing.T) {
	w := newSimWorld(t, &langsmithsim.Part{}, sim.DatasetConfig{Seed: 2, Traces: 20})
	w.clock.Set(w.data.StartOf(19).Add(sim.MaxTraceLag))
	for _, suffix := range []string{"/api", "/api/v1", "/api/v1/"} {
		cfg := w.config(map[string]any{"endpoint": w.srv.URL(Name) + suffix})
		assert.Equal(t, w.srv.URL(Name), cfg.ClientConfig.Endpoint)
		got, _ := w.query(w.source(cfg), poll.Query{From: w.data.Config().Origin, To: w.data.StartOf(19)})
		assert.Len(t, got, 20, suffix)
	}
}

// TestErrorsSayWhatToFix: problem details (title and detail) are
// surfaced, the org-scoped 403 names workspace_id, the key never shows.
func TestErrorsSayWhatToFix(t *testing.T) {
	tests := []struct {
		name, body string
		status     int
		want       []string
	}{
		{"problem details", `{"type":"about:blank","title":"Bad Request","status":400,"detail":"page_size must be between 1 and 100","instance":"/api/v2/traces/query"}`, 400,
			[]string{"langsmith: listing traces: HTTP 400: Bad Request: page_size must be between 1 and 100"}},
		{"remedy", `{"title":"Not Implemented","status":501,"detail":"scoped filters are unavailable","remedy":"upgrade to v0.17"}`, 501,
			[]string{"Not Implemented: scoped filters are unavailable: upgrade to v0.17", "v0.16 or later"}},
		{"org-scoped key", `{"error":"org_scoped_key_requires_workspace","message":"This API key is org-scoped."}`, 403,
			[]string{"HTTP 403: org_scoped_key_requires_workspace: This API key is org-scoped.", "set langsmith.workspace_id"}},
		{"unauthorized, key scrubbed", `{"title":"Unauthorized","status":401,"detail":"invalid key ` + testKey + `"}`, 401,
			[]string{"invalid key [REDACTED]", "check langsmith.api_key"}},
		{"not json", `<html>bad gateway</html>`, 418, []string{"HTTP 418: <html>bad gateway</html>"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			f.json("POST "+tracesQueryPath, tt.status, tt.body)
			src := newTestSource(t, f.config(), nil)
			_, err := fetch(t, src, poll.Query{From: time.Unix(0, 0), To: time.Unix(60, 0)}, "")
			require.Error(t, err)
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
			assert.NotContains(t, err.Error(), testKey)
			var ae *poll.APIError
			assert.True(t, errors.As(err, &ae))
		})
	}
}

// TestOrgScopedKeyAgainstTheSimulator: without workspace_id the simulated
// org-scoped key is refused with the hint.
func TestOrgScopedKeyAgainstTheSimulator(t *testing.T) {
	w := newSimWorld(t, &langsmithsim.Part{}, sim.DatasetConfig{Seed: 1, Traces: 3})
	cfg := w.config(nil)
	cfg.WorkspaceID = ""
	_, err := fetch(t, w.source(cfg), poll.Query{From: w.data.Config().Origin, To: w.data.Config().Origin.Add(time.Hour)}, "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "set langsmith.workspace_id")
}

func TestRefusedCursorIsAnInvalidToken(t *testing.T) {
	w := newSimWorld(t, &langsmithsim.Part{}, sim.DatasetConfig{Seed: 4, Traces: 50})
	w.clock.Set(w.data.StartOf(49).Add(sim.MaxTraceLag))
	src := w.source(w.config(map[string]any{"page_size": 10}))
	q := poll.Query{From: w.data.Config().Origin, To: w.data.StartOf(49)}
	page, err := fetch(t, src, q, "")
	require.NoError(t, err)
	require.NotEmpty(t, page.Next)
	// The same token resumes the same query, also in a new process.
	again, err := w.source(w.config(map[string]any{"page_size": 10})).FetchPage(context.Background(), poll.PageRequest{Query: q, Token: page.Next})
	require.NoError(t, err)
	assert.Len(t, again.Traces, 10)
	// Used with another window, the server refuses it.
	_, err = fetch(t, src, poll.Query{From: q.From.Add(time.Second), To: q.To}, page.Next)
	require.Error(t, err)
	assert.True(t, errors.Is(err, poll.ErrInvalidToken), err.Error())
}

// TestPendingRootStaysPending: a trace whose root is PENDING is returned
// with the root in progress, then complete once it ends.
func TestPendingRootStaysPending(t *testing.T) {
	w := newSimWorld(t, &langsmithsim.Part{}, sim.DatasetConfig{Seed: 5, Traces: 60, LongRunningFraction: 0.3})
	var i int
	var tr sim.Trace
	for i = range 60 {
		if tr = w.data.Trace(i); tr.Spans[0].Visible.Before(tr.Spans[0].End) {
			break
		}
	}
	require.True(t, tr.Spans[0].Visible.Before(tr.Spans[0].End))
	src := w.source(w.config(nil))
	q := poll.Query{From: tr.Spans[0].Start, To: tr.Spans[0].Start}
	w.clock.Set(tr.Spans[0].Visible.Add(time.Minute))
	got, _ := w.query(src, q)
	root := rootOf(t, got[poll.Trace{ID: tr.ID}.ID.String()])
	assert.Zero(t, root.EndTimestamp(), "in progress")
	w.clock.Set(tr.Spans[0].End.Add(time.Second))
	got, _ = w.query(src, q)
	root = rootOf(t, got[poll.Trace{ID: tr.ID}.ID.String()])
	assert.Equal(t, tr.Spans[0].End, root.EndTimestamp().AsTime())
}

func rootOf(t *testing.T, tr poll.Trace) ptrace.Span {
	t.Helper()
	ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range ss.Len() {
		if ss.At(i).ParentSpanID().IsEmpty() {
			return ss.At(i)
		}
	}
	t.Fatal("no root")
	return ptrace.Span{}
}

// TestCensusReadsOnlyChangedTraces: a second query over the same window
// reads only the traces whose runs changed (a late batch, a root that
// ended), and returns the others from the cache; without runs/query every
// trace is read again.
func TestCensusReadsOnlyChangedTraces(t *testing.T) {
	for _, old := range []bool{false, true} {
		name := "runs/query"
		if old {
			name = "older server"
		}
		t.Run(name, func(t *testing.T) {
			w := newSimWorld(t, &langsmithsim.Part{NoRunsQuery: old}, sim.DatasetConfig{Seed: 6, Traces: 120, LateFraction: 0.3})
			end := w.data.StartOf(119)
			w.clock.Set(end.Add(2 * time.Minute))
			src := w.source(w.config(nil))
			q := poll.Query{From: w.data.Config().Origin, To: end}
			w.query(src, q)
			first := w.requests("GET /api/v2/traces/{id}/runs")
			assert.Equal(t, 120, first)
			w.clock.Set(end.Add(sim.MaxTraceLag))
			got, _ := w.query(src, q)
			second := w.requests("GET /api/v2/traces/{id}/runs") - first
			if old {
				assert.Equal(t, 120, second)
				assert.Zero(t, w.requests("POST /api/v2/runs/query")-1, "tried once, then off")
			} else {
				assert.Less(t, second, 60, "only the changed traces")
				assert.Positive(t, second, "the late batches")
				assert.Positive(t, w.requests("POST /api/v2/runs/query"))
			}
			all := 0
			for _, tr := range got {
				all += tr.Spans.SpanCount()
			}
			want := sim.ExpectedRange(w.data, 0, w.data.Len(), sim.TruthFor(w.part, w.creds)).SpanCount()
			assert.Equal(t, want, all, "every span, late ones included")
		})
	}
}

// TestThreadsModeSeesThreadedTracesOnly, and lists an unchanged thread
// once.
func TestThreadsModeSeesThreadedTracesOnly(t *testing.T) {
	w := newSimWorld(t, &langsmithsim.Part{ThreadsOnly: true}, sim.DatasetConfig{Seed: 8, Traces: 80})
	end := w.data.StartOf(79)
	w.clock.Set(end.Add(sim.MaxTraceLag))
	src := w.source(w.config(nil))
	q := poll.Query{From: w.data.Config().Origin, To: end}
	got, _ := w.query(src, q)
	threaded := 0
	for i := range 80 {
		tr := w.data.Trace(i)
		_, ok := got[poll.Trace{ID: tr.ID}.ID.String()]
		assert.Equal(t, tr.ThreadID != "", ok, "trace %d", i)
		if tr.ThreadID != "" {
			threaded++
		}
	}
	assert.Len(t, got, threaded)
	listed := w.requests("GET /api/v2/threads/{id}/traces")
	w.query(src, q)
	assert.Equal(t, listed, w.requests("GET /api/v2/threads/{id}/traces"), "unchanged threads are not listed again")
}

func TestTracesCarryTheConfiguredServiceName(t *testing.T) {
	f := seedWorld(t)
	cfg := f.config()
	cfg.Discovery, cfg.ServiceName = DiscoveryThreads, "support"
	cfg.APIKey = configopaque.String(testKey)
	page, err := fetch(t, newTestSource(t, cfg, nil), poll.Query{From: time.Date(2025, 1, 15, 11, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 15, 13, 0, 0, 0, time.UTC)}, "")
	require.NoError(t, err)
	sn, _ := page.Traces[0].Spans.ResourceSpans().At(0).Resource().Attributes().Get("service.name")
	assert.Equal(t, "support", sn.Str())
}

func TestThreadIDsAreEscaped(t *testing.T) {
	f := newFake(t)
	f.json("POST "+threadsQueryPath, 200, `{"items":[{"thread_id":"support/42 chat"}]}`)
	f.json("GET /api/v2/threads/*", 200, `{"items":[]}`)
	cfg := f.config()
	cfg.Discovery = DiscoveryThreads
	_, err := fetch(t, newTestSource(t, cfg, nil), poll.Query{From: time.Unix(0, 0), To: time.Unix(60, 0)}, "")
	require.NoError(t, err)
	reqs := f.requests()
	require.Len(t, reqs, 2)
	assert.Equal(t, "/api/v2/threads/support/42 chat/traces", reqs[1].Path)
	assert.Equal(t, "/api/v2/threads/support%2F42%20chat/traces", reqs[1].RawPath)
	assert.Equal(t, http.MethodGet, reqs[1].Method)
	assert.True(t, strings.HasPrefix(reqs[1].Query, "page_size="))
}
