package langwatch

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/spantest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// base is 2025-11-21T12:00:00Z, the time of testdata/search_spans.json.
var base = time.Date(2025, 11, 21, 12, 0, 0, 0, time.UTC)

func at(ms int) time.Time { return base.Add(time.Duration(ms) * time.Millisecond) }

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return body
}

// checkGolden compares td with the golden file name (rewritten with
// -update).
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

// TestSeedSearchSample decodes the seed page's sample answer of the legacy
// POST /api/trace/search: no spans (the legacy search never has them), the
// scroll cursor, the trace-level fields, its stale shapes (error as a
// string, input.satisfaction_score), and an evaluation whose status is
// not final, which gives no span.
func TestSeedSearchSample(t *testing.T) {
	var d decoder
	page, err := d.decodeSearch(readTestdata(t, "seed_search.json"))
	require.NoError(t, err)
	assert.Equal(t, int64(1254), page.TotalHits)
	assert.Equal(t, "123", page.ScrollID)
	assert.False(t, page.HasThrough)
	require.Len(t, page.Traces, 1)
	tr := &page.Traces[0]
	assert.Equal(t, "<string>", tr.TraceID)
	assert.Equal(t, int64(123), tr.Started)
	assert.Equal(t, int64(123), tr.Updated)
	assert.Empty(t, tr.Spans)
	require.Len(t, tr.Evaluations, 1)
	assert.Equal(t, 0.0+123, *tr.Evaluations[0].Score)

	warns := 0
	c := newConverter("", "", func() { warns++ }, nil)
	got := c.trace(tr, byStart)
	assert.Zero(t, warns)
	assert.Equal(t, convert.HashTraceID("langwatch", "<string>", "<string>"), got.ID, "a non-hex trace id is hashed with the project")
	assert.Equal(t, time.UnixMilli(123).UTC(), got.Time, "the legacy search windows on started_at")
	assert.Equal(t, time.UnixMilli(123).UTC(), got.Updated)
	assert.Zero(t, got.Spans.SpanCount(), "no spans, and the evaluation's status is not final")
	res := got.Spans.ResourceSpans().At(0).Resource().Attributes()
	spantest.AssertAttrs(t, res, map[string]any{"service.name": "<string>", "llmtrace.vendor": "langwatch", "llmtrace.project": "<string>"})
}

// TestLegacyTraceGolden converts the documented answer of GET
// /api/trace/{id} (the OpenAPI example): legacy nanoid ids, a span without
// a name, params of the REST collector, an errored evaluation.
func TestLegacyTraceGolden(t *testing.T) {
	var d decoder
	rec, err := d.decodeTrace(readTestdata(t, "trace_get.json"))
	require.NoError(t, err)
	warns := 0
	c := newConverter("", "", func() { warns++ }, nil)
	tr := c.trace(&rec, byStart)
	assert.Zero(t, warns)
	checkGolden(t, "trace_get_golden.yaml", tr.Spans)

	assert.Equal(t, convert.HashTraceID("langwatch", "KAXYxPR8MUgTcP8CF193y", "trace_BKZL_X0TKSD4oa1aBJTc_"), tr.ID)
	assert.Equal(t, time.UnixMilli(1721382486868).UTC(), tr.Time)
	assert.Equal(t, time.UnixMilli(1721382492894).UTC(), tr.Updated)
	res := tr.Spans.ResourceSpans().At(0).Resource().Attributes()
	spantest.AssertAttrs(t, res, map[string]any{"service.name": "KAXYxPR8MUgTcP8CF193y", "llmtrace.project": "KAXYxPR8MUgTcP8CF193y"})

	spans := spantest.SpansByName(tr.Spans)
	require.Len(t, spans, 2)
	llm := spans["llm"]
	assert.Equal(t, convert.HashSpanID("langwatch", "KAXYxPR8MUgTcP8CF193y", "span_h1xUkcUJilhudDrLeQbR_"), llm.SpanID())
	assert.Equal(t, convert.HashSpanID("langwatch", "KAXYxPR8MUgTcP8CF193y", "span_ijZNjUMTz3ys0Z0YKwF_T"), llm.ParentSpanID(), "a parent outside the data keeps its link")
	assert.Equal(t, ptrace.SpanKindClient, llm.Kind())
	assert.Equal(t, time.UnixMilli(1721382486895).UTC(), llm.StartTimestamp().AsTime())
	assert.Equal(t, time.UnixMilli(1721382488392).UTC(), llm.EndTimestamp().AsTime())
	spantest.AssertAttrs(t, llm.Attributes(), map[string]any{
		"langwatch.span.type":                 "llm",
		"gen_ai.operation.name":               "chat",
		"gen_ai.request.model":                "openai/gpt-4o",
		"stream":                              true,
		"temperature":                         int64(1),
		"gen_ai.usage.input_tokens":           int64(20),
		"gen_ai.usage.output_tokens":          int64(7),
		"langwatch.tokens.estimated":          true,
		"gen_ai.response.time_to_first_chunk": 1.422,
		"gen_ai.input.messages": `[{"role":"system","parts":[{"type":"text","content":"You are a helpful assistant that only reply in short tweet-like responses, using lots of emojis."}]},` +
			`{"role":"user","parts":[{"type":"text","content":"hi"}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"Hey there! 👋😊"}]}]`,
	})
	require.Equal(t, 1, llm.Events().Len())
	assert.Equal(t, "first_token", llm.Events().At(0).Name())
	assert.Equal(t, time.UnixMilli(1721382488317).UTC(), llm.Events().At(0).Timestamp().AsTime())

	ev := spans["Ragas Answer Relevancy"]
	assert.Equal(t, convert.HashSpanID("langwatch", "KAXYxPR8MUgTcP8CF193y", "evaluation", "check_VCagriZHNWICSOM09dXjM"), ev.SpanID())
	assert.True(t, ev.ParentSpanID().IsEmpty(), "no root in the data: the evaluation has no parent")
	assert.Equal(t, time.UnixMilli(1721382493358).UTC(), ev.StartTimestamp().AsTime(), "inserted_at without started_at")
	assert.Equal(t, time.UnixMilli(1721383657788).UTC(), ev.EndTimestamp().AsTime(), "updated_at without finished_at")
	assert.Equal(t, ptrace.StatusCodeError, ev.Status().Code())
	assert.Equal(t, "fetch failed", ev.Status().Message())
	spantest.AssertAttrs(t, ev.Attributes(), map[string]any{
		"langwatch.span.type": "evaluation", "gen_ai.evaluation.name": "Ragas Answer Relevancy",
		"langwatch.evaluation.id": "check_VCagriZHNWICSOM09dXjM", "langwatch.evaluation.type": "ragas/response_relevancy",
		"langwatch.evaluation.status": "error",
	})
}

// TestSearchGolden converts an answer of POST /api/traces/search with
// includeSpans: every span type, params flattened back, typed inputs and
// outputs, metrics, an error, contexts, trace-level fields on the root,
// evaluations (one still running), and a legacy trace with nanoid ids.
func TestSearchGolden(t *testing.T) {
	var d decoder
	page, err := d.decodeSearch(readTestdata(t, "search_spans.json"))
	require.NoError(t, err)
	assert.True(t, page.HasThrough)
	assert.Equal(t, at(120000).UnixMilli(), page.UpdatedThrough)
	assert.Empty(t, page.ScrollID)
	require.Len(t, page.Traces, 2)
	warns := 0
	c := newConverter("", "", func() { warns++ }, nil)
	modern := c.trace(&page.Traces[0], byUpdate)
	legacy := c.trace(&page.Traces[1], byUpdate)
	assert.Zero(t, warns)
	checkGolden(t, "search_golden.yaml", modern.Spans)
	checkGolden(t, "search_legacy_golden.yaml", legacy.Spans)

	assert.Equal(t, "5f2b4c8e91d04a7b8c3e2f1a0b9c8d7e", modern.ID.String(), "32 hex digits are the trace id as it is")
	assert.Equal(t, at(61000), modern.Time, "content time: the errored evaluation finished last")
	assert.Equal(t, at(61000), modern.Updated)

	spans := spantest.SpansByName(modern.Spans)
	require.Len(t, spans, 8, "6 spans and 2 finished evaluations")
	root := spans["support-agent"]
	assert.Equal(t, "a1b2c3d4e5f60718", root.SpanID().String())
	assert.True(t, root.ParentSpanID().IsEmpty())
	assert.Equal(t, ptrace.SpanKindInternal, root.Kind())
	spantest.AssertAttrs(t, root.Attributes(), map[string]any{
		"gen_ai.conversation.id":         "thread_9f2c",
		"user.id":                        "user_42",
		"langwatch.metadata.customer_id": "cust_7",
		"langwatch.metadata.labels":      []any{"production", "support"},
		"langwatch.metadata.topic_id":    "topic_billing",
		"langwatch.metadata.app_version": "2.3.1",
		"langwatch.metadata.models":      []any{"gpt-4o-2024-08-06"},
		"langwatch.platform_url":         "https://app.langwatch.ai/acme-support-Xk2p/traces/5f2b4c8e91d04a7b8c3e2f1a0b9c8d7e",
		"gen_ai.operation.name":          "invoke_agent",
		"gen_ai.agent.name":              "support-agent",
		"metadata.customer_tier":         "gold",
		"langwatch.input":                `{"type":"json","value":{"question":"Where is my order A-1042?"}}`,
	})

	for _, s := range []ptrace.Span{spans["lookup_order"], spans["vector_search"], spans["output_moderation"]} {
		assert.Equal(t, root.SpanID(), s.ParentSpanID())
		spantest.AssertNoAttrs(t, s.Attributes(), "gen_ai.conversation.id", "user.id", "langwatch.platform_url")
	}
	tool := spans["lookup_order"]
	spantest.AssertAttrs(t, tool.Attributes(), map[string]any{
		"gen_ai.operation.name":      "execute_tool",
		"gen_ai.tool.call.arguments": map[string]any{"order_id": "A-1042"},
		"langwatch.output":           `{"type":"json","value":{"status":"shipped","eta":"2025-11-22"}}`,
	})
	rag := spans["vector_search"]
	spantest.AssertAttrs(t, rag.Attributes(), map[string]any{
		"gen_ai.operation.name":  "retrieval",
		"langwatch.rag.contexts": []any{map[string]any{"document_id": "doc-17", "chunk_id": "3", "content": "Orders ship within 2 days."}},
		"db.system.name":         "qdrant",
		"retrieval.top_k":        int64(1),
		"langwatch.input":        `{"type":"text","value":"shipping policy for delayed orders"}`,
	})
	guard := spans["output_moderation"]
	spantest.AssertAttrs(t, guard.Attributes(), map[string]any{
		"langwatch.output": `{"type":"guardrail_result","value":{"status":"processed","passed":true,"score":0.02,"details":null}}`,
	})
	spantest.AssertNoAttrs(t, guard.Attributes(), "gen_ai.operation.name", "gen_ai.output.messages")

	relevancy := spans["Answer Relevancy"]
	assert.Equal(t, root.SpanID(), relevancy.ParentSpanID())
	assert.Equal(t, at(10500), relevancy.StartTimestamp().AsTime())
	assert.Equal(t, at(21000), relevancy.EndTimestamp().AsTime())
	spantest.AssertAttrs(t, relevancy.Attributes(), map[string]any{
		"gen_ai.evaluation.score.value": 0.91, "gen_ai.evaluation.explanation": "The answer addresses the question.",
		"langwatch.evaluation.passed": true, "langwatch.evaluation.is_guardrail": false,
		"langwatch.evaluation.evaluator_id": "evaluator_7mQ2x",
	})
	assert.Equal(t, ptrace.StatusCodeError, spans["Faithfulness"].Status().Code())
	assert.NotContains(t, spans, "Moderation", "an evaluation in progress is not a span yet")

	checkLLMSpans(t, modern.Spans)

	assert.Equal(t, at(7200), legacy.Time, "inserted_at, after its span ended")
	lspans := spantest.SpansByName(legacy.Spans)
	llm := lspans["llm"]
	assert.Equal(t, convert.HashTraceID("langwatch", "project_acme_support", "trace_Yy0XWu6BOwwnrkLtQh9Ji"), llm.TraceID())
	assert.Equal(t, convert.HashSpanID("langwatch", "project_acme_support", "span_h1xUkcUJilhudDrLeQbR_"), llm.SpanID())
	spantest.AssertAttrs(t, llm.Attributes(), map[string]any{
		"gen_ai.operation.name": "chat", "gen_ai.request.model": "anthropic/claude-3-5-sonnet",
		"gen_ai.provider.name": "anthropic", "temperature": 0.7, "stream": false, "user.id": "user_7",
		"langwatch.input": `{"type":"text","value":"Summarize the refund policy."}`,
	})
	spantest.AssertNoAttrs(t, llm.Attributes(), "gen_ai.input.messages", "gen_ai.response.time_to_first_chunk")
}

// checkLLMSpans checks the two chat calls of search_spans.json.
func checkLLMSpans(t *testing.T, td ptrace.Traces) {
	t.Helper()
	spans := spantest.SpansByName(td)
	ok, failed := spans["chat gpt-4o"], spans["chat gpt-4o (retry)"]
	assert.Equal(t, ptrace.SpanKindClient, ok.Kind())
	spantest.AssertAttrs(t, ok.Attributes(), map[string]any{
		"gen_ai.request.model":                 "gpt-4o",
		"gen_ai.response.model":                "gpt-4o-2024-08-06",
		"gen_ai.provider.name":                 "openai",
		"gen_ai.request.temperature":           0.2,
		"gen_ai.request.max_tokens":            int64(512),
		"gen_ai.request.stream":                true,
		"gen_ai.request.stop_sequences":        []any{"###"},
		"gen_ai.response.finish_reasons":       []any{"tool_calls"},
		"gen_ai.usage.input_tokens":            int64(812),
		"gen_ai.usage.output_tokens":           int64(24),
		"gen_ai.usage.cache_read.input_tokens": int64(512),
		"langwatch.cost":                       0.00227,
		"langwatch.tokens.estimated":           false,
		"server.address":                       "api.openai.com",
		"server.port":                          int64(443),
		"gen_ai.response.time_to_first_chunk":  0.605,
		"gen_ai.input.messages": `[{"role":"system","parts":[{"type":"text","content":"You are a support agent for Acme. Answer briefly."}]},` +
			`{"role":"user","parts":[{"type":"text","content":"Where is my order A-1042?"}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_Q2x9","name":"lookup_order","arguments":{"order_id":"A-1042"}}]}]`,
	})
	spantest.AssertNoAttrs(t, ok.Attributes(), "gen_ai.usage.reasoning.output_tokens", "gen_ai.usage.cache_write.input_tokens")

	assert.Equal(t, "Rate limit reached for gpt-4o", failed.Status().Message())
	spantest.AssertAttrs(t, failed.Attributes(), map[string]any{
		"gen_ai.request.model": "gpt-4o", "gen_ai.provider.name": "azure.ai.openai", "error.type": "openai.RateLimitError",
	})
	require.Equal(t, 1, failed.Events().Len())
	ev := failed.Events().At(0)
	assert.Equal(t, "exception", ev.Name())
	assert.Equal(t, failed.EndTimestamp(), ev.Timestamp())
	spantest.AssertAttrs(t, ev.Attributes(), map[string]any{
		"exception.message":    "Rate limit reached for gpt-4o",
		"exception.stacktrace": "Traceback (most recent call last):\n  File \"agent.py\", line 88, in answer\nopenai.RateLimitError: Rate limit reached for gpt-4o",
	})
	msgs, _ := failed.Attributes().Get("gen_ai.input.messages")
	assert.Contains(t, msgs.Str(), `{"role":"tool","parts":[{"type":"tool_call_response","id":"call_Q2x9","response":"{\"status\":\"shipped\"}"}]}`)
}
