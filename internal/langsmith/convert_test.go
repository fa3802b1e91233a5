package langsmith

import (
	"context"
	"encoding/hex"
	"flag"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/spantest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	return string(b)
}

// seedWorld serves the seed page's thread traces answer and the documented
// runs of its trace, for discovery: threads.
func seedWorld(t *testing.T) *fakeLangSmith {
	f := newFake(t)
	f.json("POST "+threadsQueryPath, 200, `{"items":[{"thread_id":"`+seedThreadID+`","count":1,"first_trace_id":"`+seedTraceID+`","last_trace_id":"`+seedTraceID+`"}]}`)
	seed := readFile(t, "seed_thread_traces.json")
	f.on("GET /api/v2/threads/*", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if r.URL.Query().Get("cursor") != "" {
			_, _ = w.Write([]byte(`{"items":[]}`))
			return
		}
		_, _ = w.Write([]byte(seed))
	})
	f.json("GET /api/v2/traces/"+seedTraceID+"/runs", 200, readFile(t, "runs.json"))
	return f
}

// TestConvertGolden reads the seed page's sample (GET
// /api/v2/threads/{thread_id}/traces) and the documented runs of its trace
// through the source, and checks every field of the result.
func TestConvertGolden(t *testing.T) {
	f := seedWorld(t)
	cfg := f.config()
	cfg.Discovery = DiscoveryThreads
	warns := 0
	src := newTestSource(t, cfg, &warns)
	q := poll.Query{From: time.Date(2025, 1, 15, 11, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 15, 13, 0, 0, 0, time.UTC)}
	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	assert.Empty(t, page.Next)
	require.Len(t, page.Traces, 1)
	tr := page.Traces[0]
	assert.Zero(t, warns, "conversion warnings")

	path := filepath.Join("testdata", "trace_golden.yaml")
	if *update {
		require.NoError(t, golden.WriteTracesToFile(path, tr.Spans))
	}
	want, err := golden.ReadTraces(path)
	require.NoError(t, err)
	require.NoError(t, ptracetest.CompareTraces(want, tr.Spans))

	assert.Equal(t, "018e4c7ea9fb7ef0a5b66ea3a82e9327", hex.EncodeToString(tr.ID[:]), "trace id = the trace UUID's bytes")
	assert.Equal(t, time.Date(2025, 1, 15, 12, 0, 0, 0, time.UTC), tr.Time, "the seed's start_time")
	assert.True(t, tr.Updated.IsZero(), "LangSmith has no update time")
	spantest.AssertAttrs(t, tr.Spans.ResourceSpans().At(0).Resource().Attributes(), map[string]any{
		"service.name": testProjectID, "llmtrace.vendor": "langsmith", "llmtrace.project": testProjectID,
	})
	spans := spantest.SpansByName(tr.Spans)
	require.Len(t, spans, 7)
	checkGoldenRoot(t, spans["support_agent"])
	checkGoldenLLM(t, spans["ChatOpenAI"], spans["support_agent"])
	checkGoldenTool(t, spans["lookup_order"])
	checkGoldenRetrieval(t, spans["order_docs"], spans["embeddings text-embedding-3-small"])
	prompt, pending := spans["ChatPromptTemplate"], spans["format_answer"]
	assert.Equal(t, spans["support_agent"].SpanID(), prompt.ParentSpanID(), "parent from dotted_order (no parent_run_ids; dashless uuids, trailing dot)")
	spantest.AssertAttrs(t, prompt.Attributes(), map[string]any{"langsmith.span.kind": "prompt"})
	spantest.AssertNoAttrs(t, prompt.Attributes(), "gen_ai.operation.name")
	assert.Zero(t, pending.EndTimestamp(), "PENDING, end_time null: in progress")
	assert.Equal(t, ptrace.StatusCodeUnset, pending.Status().Code())
	spantest.AssertNoAttrs(t, pending.Attributes(), "langsmith.outputs")
}

func checkGoldenRoot(t *testing.T, root ptrace.Span) {
	assert.Equal(t, "a5b66ea3a82e9327", root.SpanID().String(), "span id = the run UUID's last 8 bytes")
	assert.True(t, root.ParentSpanID().IsEmpty())
	assert.Equal(t, ptrace.SpanKindInternal, root.Kind())
	assert.Equal(t, ptrace.StatusCodeOk, root.Status().Code(), "SUCCESS is OK")
	assert.Equal(t, "2025-01-15T12:00:01.5Z", root.EndTimestamp().AsTime().Format(time.RFC3339Nano))
	spantest.AssertAttrs(t, root.Attributes(), map[string]any{
		"langsmith.run_id":                          seedTraceID,
		"langsmith.span.kind":                       "chain",
		"langsmith.span.tags":                       "production",
		"gen_ai.conversation.id":                    seedThreadID,
		"langsmith.metadata.user_id":                "u-42",
		"langsmith.metadata.sampled":                true,
		"langsmith.metadata.weight":                 0.5,
		"langsmith.extra.runtime":                   map[string]any{"sdk": "langsmith-py", "sdk_version": "0.4.21", "platform": "Linux-6.8.0-x86_64"},
		"langsmith.inputs":                          `{"question": "Where is my order #1234?"}`,
		"langsmith.outputs":                         `{"output": "Order #1234 ships tomorrow."}`,
		"langsmith.prompt_tokens":                   int64(200),
		"langsmith.completion_tokens":               int64(150),
		"langsmith.total_tokens":                    int64(350),
		"langsmith.total_cost":                      0.000525,
		"langsmith.prompt_token_details.cache_read": int64(64),
		"langsmith.reference_example_id":            "b2c3d4e5-f6a7-4b5c-9d0e-1f2a3b4c5d6e",
		"langsmith.reference_dataset_id":            "c3d4e5f6-a7b8-4c5d-0e1f-2a3b4c5d6e7f",
	})
	spantest.AssertNoAttrs(t, root.Attributes(), "gen_ai.usage.input_tokens", "gen_ai.usage.cache_read.input_tokens", "gen_ai.operation.name")
	require.Equal(t, 2, root.Events().Len())
	assert.Equal(t, "start", root.Events().At(0).Name())
	assert.Equal(t, root.EndTimestamp(), root.Events().At(1).Timestamp())
}

func checkGoldenLLM(t *testing.T, llm, root ptrace.Span) {
	assert.Equal(t, "9f2b3d4e5f6a7b8c", llm.SpanID().String())
	assert.Equal(t, root.SpanID(), llm.ParentSpanID(), "last of parent_run_ids")
	assert.Equal(t, ptrace.SpanKindClient, llm.Kind())
	assert.Equal(t, "2025-01-15T12:00:00.012345Z", llm.StartTimestamp().AsTime().Format(time.RFC3339Nano), "microseconds kept")
	spantest.AssertAttrs(t, llm.Attributes(), map[string]any{
		"gen_ai.operation.name":                    "chat",
		"gen_ai.request.model":                     "gpt-4o",
		"gen_ai.provider.name":                     "openai",
		"gen_ai.response.model":                    "gpt-4o-2024-08-06",
		"gen_ai.response.id":                       "chatcmpl-A1b2C3",
		"gen_ai.request.temperature":               0.2,
		"gen_ai.request.max_tokens":                int64(512),
		"gen_ai.request.top_p":                     1.0,
		"gen_ai.request.stream":                    true,
		"gen_ai.request.choice.count":              int64(1),
		"gen_ai.usage.input_tokens":                int64(200),
		"gen_ai.usage.output_tokens":               int64(150),
		"gen_ai.usage.total_tokens":                int64(350),
		"gen_ai.usage.cache_read.input_tokens":     int64(64),
		"gen_ai.usage.reasoning.output_tokens":     int64(32),
		"gen_ai.response.time_to_first_chunk":      0.3,
		"gen_ai.conversation.id":                   seedThreadID,
		"langsmith.prompt_cost":                    0.0002,
		"langsmith.completion_cost":                0.0003,
		"langsmith.prompt_cost_details.cache_read": 0.000016,
		"langsmith.span.tags":                      "production,gpt-4",
		"langsmith.metadata.ls_model_type":         "chat",
		"langsmith.extra.batch_size":               int64(1),
		"gen_ai.input.messages": `[{"role":"system","parts":[{"type":"text","content":"You are a support agent."}]},` +
			`{"role":"user","parts":[{"type":"text","content":"Where is my order #1234?"}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_abc","name":"lookup_order",` +
			`"arguments":{"order_id":"1234"}}],"finish_reason":"tool_calls"}]`,
		"gen_ai.tool.definitions": `[{"function":{"name":"lookup_order","parameters":{"properties":{"order_id":{"type":"string"}},"type":"object"}},"type":"function"}]`,
	})
	reasons, _ := llm.Attributes().Get("gen_ai.response.finish_reasons")
	assert.Equal(t, []any{"tool_calls"}, reasons.Slice().AsRaw())
	require.Equal(t, 3, llm.Events().Len())
	tok := llm.Events().At(1)
	assert.Equal(t, "new_token", tok.Name())
	assert.Equal(t, "2025-01-15T12:00:00.312Z", tok.Timestamp().AsTime().Format(time.RFC3339Nano))
	spantest.AssertAttrs(t, tok.Attributes(), map[string]any{"token": "Let", "chunk": map[string]any{"index": int64(0)}})
}

func checkGoldenTool(t *testing.T, tool ptrace.Span) {
	assert.Equal(t, ptrace.SpanKindInternal, tool.Kind())
	assert.Equal(t, ptrace.StatusCodeError, tool.Status().Code())
	assert.Equal(t, "order service timed out", tool.Status().Message(), "the exception line of the stored traceback")
	spantest.AssertAttrs(t, tool.Attributes(), map[string]any{
		"gen_ai.operation.name": "execute_tool",
		"gen_ai.tool.name":      "lookup_order",
		"error.type":            "langchain_core.tools.base.ToolException",
		"langsmith.inputs":      `{"input": "{'order_id': '1234'}"}`,
	})
	spantest.AssertNoAttrs(t, tool.Attributes(), "gen_ai.usage.input_tokens", "langsmith.outputs")
	require.Equal(t, 3, tool.Events().Len())
	ex := tool.Events().At(0)
	assert.Equal(t, "exception", ex.Name())
	assert.Equal(t, tool.EndTimestamp(), ex.Timestamp())
	st, _ := ex.Attributes().Get("exception.stacktrace")
	assert.Contains(t, st.Str(), "Traceback (most recent call last):")
	spantest.AssertAttrs(t, ex.Attributes(), map[string]any{"exception.type": "langchain_core.tools.base.ToolException", "exception.message": "order service timed out"})
}

func checkGoldenRetrieval(t *testing.T, retr, emb ptrace.Span) {
	assert.Equal(t, ptrace.SpanKindClient, retr.Kind())
	spantest.AssertAttrs(t, retr.Attributes(), map[string]any{"gen_ai.operation.name": "retrieval", "gen_ai.conversation.id": "sess-7"})
	assert.Equal(t, "5f8e2a1c3b4d6e7f", emb.SpanID().String(), "OTEL_SPAN_ID, which an OTel-ingested run's UUID also ends with")
	assert.Equal(t, retr.SpanID(), emb.ParentSpanID())
	assert.Equal(t, ptrace.SpanKindClient, emb.Kind())
	spantest.AssertAttrs(t, emb.Attributes(), map[string]any{
		"gen_ai.operation.name":     "embeddings",
		"gen_ai.request.model":      "text-embedding-3-small",
		"gen_ai.provider.name":      "openai",
		"gen_ai.usage.input_tokens": int64(5),
		"langsmith.total_cost":      1e-7,
	})
}

// TestGoldenRequests checks what the golden run asked: the seed endpoint
// with project_id, page_size and selects; the runs with every select the
// conversion uses and both start-time bounds; the headers.
func TestGoldenRequests(t *testing.T) {
	f := seedWorld(t)
	cfg := f.config()
	cfg.Discovery = DiscoveryThreads
	cfg.PageSize = 50
	src := newTestSource(t, cfg, nil)
	q := poll.Query{From: time.Date(2025, 1, 15, 11, 0, 0, 0, time.UTC), To: time.Date(2025, 1, 15, 13, 0, 0, 0, time.UTC)}
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: q})
	require.NoError(t, err)
	reqs := f.requests()
	require.Len(t, reqs, 4, "threads/query, two pages of the thread's traces (the seed has a next_cursor), the runs")
	for _, r := range reqs {
		assert.Equal(t, testKey, r.Header.Get("X-Api-Key"))
		assert.Equal(t, testWorkspace, r.Header.Get("X-Tenant-Id"))
	}
	assert.JSONEq(t, `{"project_id":"`+testProjectID+`","min_start_time":"2025-01-15T11:00:00.000000Z",`+
		`"max_start_time":"2025-01-15T13:00:00.000001Z","page_size":50}`, reqs[0].Body)
	seedQ, err := url.ParseQuery(reqs[1].Query)
	require.NoError(t, err)
	assert.Equal(t, url.Values{"project_id": {testProjectID}, "page_size": {"50"}, "selects": {"TRACE_ID", "START_TIME"}}, seedQ)
	next, _ := url.ParseQuery(reqs[2].Query)
	assert.Equal(t, "eyJydW5zX2N1cnNvciI6Imx0KGN1cnNvciwiLi4uIikifQ==", next.Get("cursor"), "the seed's next_cursor")
	runsQ, err := url.ParseQuery(reqs[3].Query)
	require.NoError(t, err)
	assert.Equal(t, runSelects, runsQ["selects"])
	assert.Equal(t, "2025-01-15T11:59:00.000000Z", runsQ.Get("min_start_time"), "a minute before the root's start")
	assert.NotEmpty(t, runsQ.Get("max_start_time"))
	assert.Equal(t, testProjectID, runsQ.Get("project_id"))
}
