package promptlayer

import (
	"context"
	"encoding/json"
	"flag"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/poll"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// checkGolden compares td with a golden file (rewritten with -update).
func checkGolden(t *testing.T, name string, td ptrace.Traces) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		require.NoError(t, golden.WriteTracesToFile(path, td))
	}
	want, err := golden.ReadTraces(path)
	require.NoError(t, err)
	require.NoError(t, ptracetest.CompareTraces(want, td))
}

func assertAttrs(t *testing.T, m pcommon.Map, want map[string]any) {
	t.Helper()
	assert.Equal(t, want, m.AsRaw())
}

func spanNamed(td ptrace.Traces, name string) (ptrace.Span, pcommon.Resource) {
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		spans := rss.At(i).ScopeSpans().At(0).Spans()
		for k := range spans.Len() {
			if spans.At(k).Name() == name {
				return spans.At(k), rss.At(i).Resource()
			}
		}
	}
	return ptrace.NewSpan(), pcommon.NewResource()
}

func query(from, to string) poll.Query {
	f, _ := time.Parse(time.RFC3339Nano, from)
	tt, _ := time.Parse(time.RFC3339Nano, to)
	return poll.Query{From: f, To: tt}
}

// TestDocumentedChainGolden runs the chain over PromptLayer's own documented
// answers: the search example (item 12345), the Get Request example
// (request 12345 of trace a1b2...) and the seed page's Get Trace example.
func TestDocumentedChainGolden(t *testing.T) {
	f := newFakePL(t)
	f.file("POST /api/public/v2/requests/search", "search.json")
	f.file("GET /api/public/v2/requests/12345", "get_request.json")
	f.file("GET /api/public/v2/traces/a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", "seed_trace.json")
	src := newFakeSource(t, f, nil)

	q := query("2024-04-03T00:00:00Z", "2025-03-16T00:00:00Z")
	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	assert.Equal(t, "2", page.Next, "has_next: the next search page")
	require.Len(t, page.Traces, 1)
	assert.Zero(t, src.warns)
	tr := page.Traces[0]
	checkGolden(t, "seed_golden.yaml", tr.Spans)

	assert.Equal(t, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", tr.ID.String(), "the 32 hex digits are the trace ID")
	assert.Equal(t, time.Date(2025, 3, 15, 10, 30, 0, 0, time.UTC), tr.Time,
		"the latest request_start_time of the trace's request logs: the search item's, as the detail example is older")
	assert.True(t, tr.Updated.IsZero())
	require.Equal(t, 1, tr.Spans.SpanCount())
	s, res := spanNamed(tr.Spans, "llm_call")
	assertAttrs(t, res.Attributes(), map[string]any{"service.name": "promptlayer", "llmtrace.vendor": "promptlayer", "llmtrace.project": src.conv.project})
	assert.Equal(t, "a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6", s.TraceID().String())
	assert.Equal(t, "1a2b3c4d5e6f7a8b", s.SpanID().String())
	assert.True(t, s.ParentSpanID().IsEmpty(), "parent_id null: a root")
	assert.Equal(t, "2024-04-03T20:57:25Z", s.StartTimestamp().AsTime().Format(time.RFC3339Nano))
	assert.Equal(t, "2024-04-03T20:57:26Z", s.EndTimestamp().AsTime().Format(time.RFC3339Nano))
	assert.Equal(t, ptrace.SpanKindUnspecified, s.Kind(), "the example has no kind")
	assert.Equal(t, ptrace.StatusCodeUnset, s.Status().Code())
	assertAttrs(t, s.Attributes(), map[string]any{
		"promptlayer.request_log_id": int64(12345),
		"gen_ai.operation.name":      "chat",
		"gen_ai.request.model":       "gpt-4",
		"gen_ai.provider.name":       "openai",
		"gen_ai.usage.input_tokens":  int64(12),
		"gen_ai.usage.output_tokens": int64(25),
		"gen_ai.prompt.name":         "support-response",
		"gen_ai.input.messages":      `[{"role":"user","parts":[{"type":"text","content":"Hello, world!"}]}]`,
		"promptlayer.price":          0.00123,
	})

	reqs := f.requests()
	require.Len(t, reqs, 3, "one search, one request log, one trace")
	for _, r := range reqs {
		assert.Equal(t, testKey, r.key, "X-API-KEY on every request")
	}
	var body map[string]any
	require.NoError(t, json.Unmarshal([]byte(reqs[0].body), &body))
	assert.Equal(t, map[string]any{
		"filter_group": map[string]any{"logic": "AND", "filters": []any{map[string]any{
			"field": "request_start_time", "operator": "between",
			"value": []any{"2024-04-03T00:00:00.000000Z", "2025-03-16T00:00:00.000000Z"},
		}}},
		"sort_by": "request_start_time", "sort_order": "asc", "page": float64(1), "per_page": float64(25),
		"include_prompt_name": true,
	}, body)
}

// TestSerializerShapeGolden converts the span shape of the first spec
// (start/end, context, kind, status, attributes, resource, events, links),
// spans of two resources, a request log whose price is still null, and a
// request log without a trace.
func TestSerializerShapeGolden(t *testing.T) {
	f := newFakePL(t)
	f.answer("POST /api/public/v2/requests/search", http.StatusOK, `{"success":true,"items":[
		{"id":88231,"request_start_time":"2026-03-20T14:02:11.300125Z","price":null,"prompt_name":null,"status":"SUCCESS"},
		{"id":90017,"request_start_time":"2026-03-20T14:05:00.100000Z","price":0.0000248,"prompt_name":"conversation-title",
		 "status":"ERROR","error_type":"PROVIDER_TIMEOUT","error_message":"Request timed out after 30s"}],
		"page":1,"pages":1,"per_page":25,"total":2,"has_next":false,"has_prev":false,"next_num":null,"prev_num":null}`)
	f.file("GET /api/public/v2/requests/88231", "request_88231.json")
	f.file("GET /api/public/v2/requests/90017", "request_untraced.json")
	f.file("GET /api/public/v2/traces/4bf92f3577b34da6a3ce929d0e0e4736", "trace_serializer.json")
	src := newFakeSource(t, f, nil)

	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: query("2026-03-20T14:00:00Z", "2026-03-20T14:10:00Z")})
	require.NoError(t, err)
	assert.Empty(t, page.Next)
	require.Len(t, page.Traces, 2)
	assert.Zero(t, src.warns)
	assert.Equal(t, 1, f.count("GET /api/public/v2/requests/88231"), "read once: by the search, not again for the trace's span")

	tr := page.Traces[0]
	checkGolden(t, "serializer_golden.yaml", tr.Spans)
	assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", tr.ID.String())
	assert.Equal(t, time.Date(2026, 3, 20, 14, 2, 11, 300125000, time.UTC), tr.Time)
	require.Equal(t, 2, tr.Spans.ResourceSpans().Len(), "one ResourceSpans per resource")

	root, res := spanNamed(tr.Spans, "answer_question")
	assertAttrs(t, res.Attributes(), map[string]any{
		"service.name": "support-bot", "service.version": "1.4.2", "telemetry.sdk.language": "python",
		"telemetry.sdk.name": "opentelemetry", "llmtrace.vendor": "promptlayer", "llmtrace.project": src.conv.project,
	})
	assert.Equal(t, "https://opentelemetry.io/schemas/1.26.0", tr.Spans.ResourceSpans().At(0).SchemaUrl())
	assert.Equal(t, ptrace.SpanKindInternal, root.Kind())
	assert.Equal(t, "2026-03-20T14:02:11.25Z", root.StartTimestamp().AsTime().Format(time.RFC3339Nano))
	assert.Equal(t, "2026-03-20T14:02:14.03125Z", root.EndTimestamp().AsTime().Format(time.RFC3339Nano))
	assert.Empty(t, root.TraceState().AsRaw(), `"[]" is an empty trace state`)
	assertAttrs(t, root.Attributes(), map[string]any{
		"function_name":  "answer_question",
		"function_input": "{'args': (), 'kwargs': {'question': 'Where is my order A-10421?'}}",
		"retries":        int64(0), "sampled": true, "score": 0.75, "labels": []any{"support", "web"},
	})

	llm, _ := spanNamed(tr.Spans, "openai.chat")
	assert.Equal(t, root.SpanID(), llm.ParentSpanID())
	assert.Equal(t, ptrace.SpanKindClient, llm.Kind())
	assert.Equal(t, ptrace.StatusCodeOk, llm.Status().Code())
	assert.Equal(t, "congo=t61rcWkgMzE", llm.TraceState().AsRaw())
	assertAttrs(t, llm.Attributes(), map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o", "gen_ai.provider.name": "openai",
		"gen_ai.request.temperature": 0.2, "gen_ai.usage.input_tokens": int64(412), "gen_ai.usage.output_tokens": int64(38),
		"gen_ai.response.finish_reasons": []any{"stop"},
		"promptlayer.request_log_id":     int64(88231),
		"gen_ai.input.messages": `[{"role":"system","parts":[{"type":"text","content":"You are a support assistant. Use the tools to look orders up."}]},` +
			`{"role":"user","parts":[{"type":"text","content":"Where is my order A-10421?"}]}]`,
	})
	require.Equal(t, 1, llm.Events().Len())
	ev := llm.Events().At(0)
	assert.Equal(t, "gen_ai.content.prompt", ev.Name())
	assert.Equal(t, "2026-03-20T14:02:11.3002Z", ev.Timestamp().AsTime().Format(time.RFC3339Nano), "nanoseconds since the epoch")
	assertAttrs(t, ev.Attributes(), map[string]any{"gen_ai.prompt": "Where is my order A-10421?"})
	require.Equal(t, 1, llm.Links().Len())
	l := llm.Links().At(0)
	assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", l.TraceID().String())
	assert.Equal(t, "b7ad6b7169203331", l.SpanID().String())
	assert.Equal(t, "vendor=a", l.TraceState().AsRaw())
	assertAttrs(t, l.Attributes(), map[string]any{"link.kind": "follows_from"})

	tool, toolRes := spanNamed(tr.Spans, "lookup_order")
	assert.Equal(t, "order-service", toolRes.Attributes().AsRaw()["service.name"])
	assert.Equal(t, ptrace.StatusCodeError, tool.Status().Code())
	assert.Equal(t, "TimeoutError: order service did not answer in 1s", tool.Status().Message())
	require.Equal(t, 1, tool.Events().Len())
	assert.Equal(t, "2026-03-20T14:02:14.0009Z", tool.Events().At(0).Timestamp().AsTime().Format(time.RFC3339Nano))

	untraced := page.Traces[1]
	checkGolden(t, "untraced_golden.yaml", untraced.Spans)
	wantTrace, wantSpan := logIDs(src.conv.project, 90017)
	assert.Equal(t, wantTrace, untraced.ID)
	assert.Equal(t, time.Date(2026, 3, 20, 14, 5, 0, 100000000, time.UTC), untraced.Time)
	u, ures := spanNamed(untraced.Spans, "conversation-title")
	assert.Equal(t, wantSpan, u.SpanID())
	assert.True(t, u.ParentSpanID().IsEmpty())
	assert.Equal(t, ptrace.SpanKindClient, u.Kind())
	assert.Equal(t, ptrace.StatusCodeError, u.Status().Code())
	assert.Equal(t, "Request timed out after 30s", u.Status().Message())
	assert.Equal(t, "2026-03-20T14:05:30.1Z", u.EndTimestamp().AsTime().Format(time.RFC3339Nano))
	assertAttrs(t, ures.Attributes(), map[string]any{"service.name": "promptlayer", "llmtrace.vendor": "promptlayer", "llmtrace.project": src.conv.project})
	assertAttrs(t, u.Attributes(), map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.request.model": "claude-3-5-haiku", "gen_ai.provider.name": "anthropic",
		"gen_ai.usage.input_tokens": int64(31), "gen_ai.usage.output_tokens": int64(0), "gen_ai.prompt.name": "conversation-title",
		"gen_ai.input.messages": `[{"role":"system","parts":[{"type":"text","content":"Write a short title (max 6 words) for this conversation."}]},` +
			`{"role":"user","parts":[{"type":"text","content":"My invoice for March is missing."}]}]`,
		"promptlayer.price": 0.0000248, "promptlayer.request_log_id": int64(90017), "promptlayer.status": "ERROR",
	})
}
