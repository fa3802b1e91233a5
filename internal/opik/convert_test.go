package opik

import (
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/spantest"
)

var update = flag.Bool("update", false, "rewrite the golden files")

// Ids of testdata/traces.json and testdata/spans.json.
const (
	goldenTraceID = "0194694c-5e3b-726b-b2a7-4de452e6b438"
	goldenLLM     = "0194694c-5f03-70c6-a6a3-a4506513270e"
	goldenTool    = "0194694c-6287-7893-923f-0824128b2f33"
	goldenGeneral = "0194694c-65a7-7951-9d9d-c9f81818e811"
	goldenGuard   = "0194694c-6737-781f-a8e2-5d940ed90475"
)

func readPage(t *testing.T, name string) listPage {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	p, err := decodePage(body)
	require.NoError(t, err)
	return p
}

// convertPages converts a traces answer and a spans answer as the source
// does (spans grouped by trace, in id order).
func convertPages(t *testing.T, traces, spans listPage, warns *int) []poll.Trace {
	t.Helper()
	c := newConverter("weather-app", "", func() { *warns++ })
	var out []poll.Trace
	for i := range traces.Content {
		tr := &traces.Content[i]
		var mine []*record
		for j := range spans.Content {
			if spans.Content[j].TraceID == tr.ID {
				mine = append(mine, &spans.Content[j])
			}
		}
		slices.SortFunc(mine, func(a, b *record) int { return strings.Compare(a.ID, b.ID) })
		out = append(out, c.trace(tr, mine))
	}
	return out
}

func TestConvertGolden(t *testing.T) {
	warns := 0
	got := convertPages(t, readPage(t, "traces.json"), readPage(t, "spans.json"), &warns)
	require.Len(t, got, 1)
	tr := got[0]
	assert.Zero(t, warns)

	path := filepath.Join("testdata", "trace_golden.yaml")
	if *update {
		require.NoError(t, golden.WriteTracesToFile(path, tr.Spans))
	}
	want, err := golden.ReadTraces(path)
	require.NoError(t, err)
	require.NoError(t, ptracetest.CompareTraces(want, tr.Spans))

	// The key fields, explicitly.
	assert.Equal(t, "0194694c5e3b726bb2a74de452e6b438", hex.EncodeToString(tr.ID[:]))
	assert.Equal(t, time.Date(2025, 1, 15, 9, 30, 0, 123e6, time.UTC), tr.Time, "the UUIDv7 time of the trace id")
	assert.Equal(t, time.Date(2025, 1, 15, 9, 30, 5, 1000, time.UTC), tr.Updated, "max last_updated_at")

	res := tr.Spans.ResourceSpans().At(0).Resource().Attributes()
	spantest.AssertAttrs(t, res, map[string]any{"service.name": "weather-app", "llmtrace.vendor": "opik", "llmtrace.project": "weather-app"})

	spans := spantest.SpansByName(tr.Spans)
	require.Len(t, spans, 5)
	root, llm, tool, general, guard := spans["weather-agent"], spans["chat_completion"], spans["get_weather"], spans["format_answer"], spans["output_guardrail"]

	assert.Equal(t, "b2a74de452e6b438", root.SpanID().String(), "root span id = last 8 bytes of the trace UUID")
	assert.True(t, root.ParentSpanID().IsEmpty())
	assert.Equal(t, ptrace.SpanKindInternal, root.Kind())
	assert.Equal(t, "2025-01-15T09:30:00.123456Z", root.StartTimestamp().AsTime().Format(time.RFC3339Nano))
	assert.Equal(t, "2025-01-15T09:30:02.654321Z", root.EndTimestamp().AsTime().Format(time.RFC3339Nano))
	assert.Equal(t, ptrace.StatusCodeError, root.Status().Code())
	assert.Equal(t, "get_weather timed out after 2s", root.Status().Message())
	spantest.AssertAttrs(t, root.Attributes(), map[string]any{
		"gen_ai.conversation.id":    "thread-7f3a",
		"opik.usage.prompt_tokens":  int64(120),
		"opik.total_estimated_cost": 0.00123,
		"opik.span_count":           int64(4),
		"opik.metadata.retries":     int64(0),
		"opik.metadata.sampled":     true,
		"opik.metadata.score":       0.75,
		"opik.ttft":                 412.5,
		"opik.environment":          "production",
		"opik.source":               "sdk",
		"opik.has_tool_spans":       true,
		"error.type":                "ToolTimeoutError",
	})
	for _, k := range []string{"gen_ai.usage.input_tokens", "opik.duration", "opik.project_id", "opik.span_id"} {
		_, ok := root.Attributes().Get(k)
		assert.False(t, ok, "root must not have %s", k)
	}
	user, _ := root.Attributes().Get("opik.metadata.user")
	assert.Equal(t, map[string]any{"id": "u-42", "tier": "pro"}, user.Map().AsRaw())
	tags, _ := root.Attributes().Get("opik.tags")
	assert.Equal(t, []any{"production", "weather"}, tags.Slice().AsRaw())
	scores, _ := root.Attributes().Get("opik.feedback_scores")
	assert.Equal(t, []any{map[string]any{"name": "helpfulness", "value": 0.9, "source": "ui", "category_name": "good", "reason": "Answered the question"}}, scores.Slice().AsRaw())
	guardrails, _ := root.Attributes().Get("opik.guardrails")
	assert.Equal(t, goldenGuard, guardrails.Slice().At(0).Map().AsRaw()["span_id"])

	assert.Equal(t, "a6a3a4506513270e", llm.SpanID().String(), "span id = last 8 bytes of the span UUID")
	assert.Equal(t, root.SpanID(), llm.ParentSpanID())
	assert.Equal(t, ptrace.SpanKindClient, llm.Kind())
	assert.Equal(t, "2025-01-15T09:30:01.212345Z", llm.EndTimestamp().AsTime().Format(time.RFC3339Nano))
	spantest.AssertAttrs(t, llm.Attributes(), map[string]any{
		"opik.span_id":                         goldenLLM,
		"opik.span.type":                       "llm",
		"gen_ai.operation.name":                "chat",
		"gen_ai.request.model":                 "gpt-4o-2024-08-06",
		"gen_ai.response.model":                "gpt-4o-2024-08-06",
		"gen_ai.response.id":                   "chatcmpl-A1b2C3",
		"gen_ai.provider.name":                 "openai",
		"opik.provider":                        "openai",
		"gen_ai.usage.input_tokens":            int64(120),
		"gen_ai.usage.output_tokens":           int64(25),
		"gen_ai.usage.total_tokens":            int64(145),
		"gen_ai.usage.cache_read.input_tokens": int64(64),
		"gen_ai.usage.reasoning.output_tokens": int64(0),
		"gen_ai.request.temperature":           0.2,
		"gen_ai.request.max_tokens":            int64(512),
		"opik.usage.original_usage.prompt_tokens_details.cached_tokens": int64(64),
		"opik.total_estimated_cost_version":                             "v1",
	})
	reasons, _ := llm.Attributes().Get("gen_ai.response.finish_reasons")
	assert.Equal(t, []any{"tool_calls"}, reasons.Slice().AsRaw())
	spantest.AssertAttrs(t, llm.Attributes(), map[string]any{
		"gen_ai.input.messages": `[{"role":"system","parts":[{"type":"text","content":"You are a weather assistant."}]},` +
			`{"role":"user","parts":[{"type":"text","content":"What's the weather in Paris?"}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather",` +
			`"arguments":{"city":"Paris"}}],"finish_reason":"tool_calls"}]`,
	})
	spantest.AssertAttrs(t, root.Attributes(), map[string]any{
		"gen_ai.input.messages":  `[{"role":"user","parts":[{"type":"text","content":"What's the weather in Paris?"}]}]`,
		"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"It is 18°C and sunny in Paris."}]}]`,
	})
	in, _ := llm.Attributes().Get("opik.input")
	assert.JSONEq(t, rawSpan(t, goldenLLM, "input"), in.Str(), "the raw input is kept")

	assert.Equal(t, llm.SpanID(), tool.ParentSpanID(), "parent_span_id")
	assert.Equal(t, ptrace.SpanKindInternal, tool.Kind())
	spantest.AssertAttrs(t, tool.Attributes(), map[string]any{
		"gen_ai.operation.name": "execute_tool",
		"gen_ai.tool.name":      "get_weather",
		"opik.span.type":        "tool",
		"opik.input":            `{"city": "Paris", "unit": "celsius"}`,
	})
	_, ok := tool.Attributes().Get("gen_ai.input.messages")
	assert.False(t, ok, "tool input is not chat messages")

	assert.Equal(t, root.SpanID(), general.ParentSpanID())
	assert.Equal(t, ptrace.StatusCodeError, general.Status().Code())
	assert.Equal(t, "unit missing in tool result", general.Status().Message())
	assert.Equal(t, "2025-01-15T09:30:02.4002003Z", general.EndTimestamp().AsTime().Format(time.RFC3339Nano), "nanoseconds kept")
	require.Equal(t, 1, general.Events().Len())
	ev := general.Events().At(0)
	assert.Equal(t, "exception", ev.Name())
	assert.Equal(t, general.EndTimestamp(), ev.Timestamp())
	spantest.AssertAttrs(t, ev.Attributes(), map[string]any{"exception.type": "ValueError", "exception.message": "unit missing in tool result"})
	spantest.AssertAttrs(t, general.Attributes(), map[string]any{"opik.input": "18,sunny", "error.type": "ValueError", "opik.metadata.formatter": "v2"})

	spantest.AssertAttrs(t, guard.Attributes(), map[string]any{"opik.span.type": "guardrail", "opik.guardrail.result": "failed"})
	checks, _ := guard.Attributes().Get("opik.guardrail.checks")
	assert.Equal(t, []any{map[string]any{"name": "TOPIC", "result": "passed"}, map[string]any{"name": "PII", "result": "failed"}}, checks.Slice().AsRaw())
}

// rawSpan returns a field of a span of testdata/spans.json as JSON text.
func rawSpan(t *testing.T, id, field string) string {
	body, err := os.ReadFile(filepath.Join("testdata", "spans.json"))
	require.NoError(t, err)
	var p struct{ Content []map[string]json.RawMessage }
	require.NoError(t, json.Unmarshal(body, &p))
	for _, s := range p.Content {
		if string(s["id"]) == `"`+id+`"` {
			return string(s[field])
		}
	}
	t.Fatalf("no span %s", id)
	return ""
}

// one converts a trace JSON object and span JSON objects.
func one(t *testing.T, trace string, spans ...string) (poll.Trace, int) {
	t.Helper()
	traces, err := decodePage([]byte(`{"content":[` + trace + `]}`))
	require.NoError(t, err)
	sp, err := decodePage([]byte(`{"content":[` + strings.Join(spans, ",") + `]}`))
	require.NoError(t, err)
	warns := 0
	got := convertPages(t, traces, sp, &warns)
	require.Len(t, got, 1)
	return got[0], warns
}

const (
	qTrace = "0194694c-5e3b-726b-b2a7-4de452e6b438"
	qSpanA = "0194694c-5f03-70c6-a6a3-a4506513270e"
	qSpanB = "0194694c-6287-7893-923f-0824128b2f33"
)

func TestConvertQuirks(t *testing.T) {
	baseTrace := `{"id":"` + qTrace + `","name":"t","start_time":"2025-01-15T09:30:00.123Z","end_time":"2025-01-15T09:30:05Z"}`
	span := func(id, fields string) string {
		return `{"id":"` + id + `","trace_id":"` + qTrace + `","name":"s","type":"general","start_time":"2025-01-15T09:30:01Z","end_time":"2025-01-15T09:30:02Z"` + fields + `}`
	}
	tests := []struct {
		name  string
		trace string
		spans []string
		warns int
		check func(t *testing.T, tr poll.Trace, root, span ptrace.Span)
	}{
		{
			name:  "trace end_time null: root in progress",
			trace: `{"id":"` + qTrace + `","name":"t","start_time":"2025-01-15T09:30:00.123Z","end_time":null}`,
			spans: []string{span(qSpanA, `,"end_time":null`)},
			check: func(t *testing.T, _ poll.Trace, root, sp ptrace.Span) {
				assert.Zero(t, root.EndTimestamp())
				assert.Zero(t, sp.EndTimestamp())
				assert.NotZero(t, root.StartTimestamp())
			},
		},
		{
			name:  "duration decimal ignored, ISO fractions kept",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"start_time":"2025-01-15T09:30:01.000001Z","end_time":"2025-01-15T09:30:01.5000015Z","duration":99999.75`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				assert.Equal(t, 500000500*time.Nanosecond, sp.EndTimestamp().AsTime().Sub(sp.StartTimestamp().AsTime()))
				_, ok := sp.Attributes().Get("opik.duration")
				assert.False(t, ok)
			},
		},
		{
			name:  "usage with original_usage keys",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"type":"llm","usage":{"prompt_tokens":1000,"completion_tokens":200,"total_tokens":1200,`+
				`"original_usage.input_tokens":100,"original_usage.cache_read_input_tokens":800,"original_usage.cache_creation_input_tokens":100,`+
				`"original_usage.completion_tokens_details.reasoning_tokens":50,"custom":7.5}`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{
					"gen_ai.usage.input_tokens":              int64(1000),
					"gen_ai.usage.output_tokens":             int64(200),
					"gen_ai.usage.total_tokens":              int64(1200),
					"gen_ai.usage.cache_read.input_tokens":   int64(800),
					"gen_ai.usage.cache_write.input_tokens":  int64(100),
					"gen_ai.usage.reasoning.output_tokens":   int64(50),
					"opik.usage.original_usage.input_tokens": int64(100),
					"opik.usage.custom":                      7.5,
				})
			},
		},
		{
			name:  "trace usage stays opik.usage only",
			trace: `{"id":"` + qTrace + `","name":"t","start_time":"2025-01-15T09:30:00.123Z","usage":{"prompt_tokens":5}}`,
			check: func(t *testing.T, _ poll.Trace, root, _ ptrace.Span) {
				spantest.AssertAttrs(t, root.Attributes(), map[string]any{"opik.usage.prompt_tokens": int64(5)})
				_, ok := root.Attributes().Get("gen_ai.usage.input_tokens")
				assert.False(t, ok)
			},
		},
		{
			name:  "parent missing: attached to the root with a warning",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"parent_span_id":"0194694c-0000-7000-8000-00000000dead"`)},
			warns: 1,
			check: func(t *testing.T, _ poll.Trace, root, sp ptrace.Span) {
				assert.Equal(t, root.SpanID(), sp.ParentSpanID())
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{"opik.parent_span_id": "0194694c-0000-7000-8000-00000000dead"})
			},
		},
		{
			name:  "parent present",
			trace: baseTrace,
			spans: []string{span(qSpanA, ``), span(qSpanB, `,"parent_span_id":"`+qSpanA+`"`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				assert.Equal(t, "a6a3a4506513270e", sp.ParentSpanID().String())
			},
		},
		{
			name:  "parents in a cycle: the loop is cut at the root with a warning",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"parent_span_id":"`+qSpanB+`"`), span(qSpanB, `,"parent_span_id":"`+qSpanA+`"`)},
			warns: 1,
			check: func(t *testing.T, tr poll.Trace, root, b ptrace.Span) {
				a := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1)
				assert.Equal(t, root.SpanID(), a.ParentSpanID())
				assert.Equal(t, a.SpanID(), b.ParentSpanID())
			},
		},
		{
			name:  "no id time and no start: the trace is placed at its last update",
			trace: `{"id":"3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b","name":"t","start_time":null,"last_updated_at":"2025-01-15T09:31:00Z"}`,
			warns: 1,
			check: func(t *testing.T, tr poll.Trace, root, _ ptrace.Span) {
				assert.Equal(t, time.Date(2025, 1, 15, 9, 31, 0, 0, time.UTC), tr.Time)
				assert.Equal(t, tr.Time, root.StartTimestamp().AsTime())
			},
		},
		{
			name:  "error_info: status, error.type and exception event",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"error_info":{"exception_type":"RateLimitError","message":"429 from provider","traceback":"tb"}`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				assert.Equal(t, ptrace.StatusCodeError, sp.Status().Code())
				assert.Equal(t, "429 from provider", sp.Status().Message())
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{"error.type": "RateLimitError"})
				require.Equal(t, 1, sp.Events().Len())
				assert.Equal(t, sp.EndTimestamp(), sp.Events().At(0).Timestamp())
				spantest.AssertAttrs(t, sp.Events().At(0).Attributes(), map[string]any{
					"exception.type": "RateLimitError", "exception.message": "429 from provider", "exception.stacktrace": "tb",
				})
			},
		},
		{
			name:  "error_info on a span in progress: event at its start; no type",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"end_time":null,"error_info":{"message":"boom"}`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				assert.Equal(t, sp.StartTimestamp(), sp.Events().At(0).Timestamp())
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{"error.type": "_OTHER"})
			},
		},
		{
			name:  "input not chat messages: raw JSON only",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"input":{"query":"shoes","k":5},"output":["a","b"]`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{"opik.input": `{"query":"shoes","k":5}`, "opik.output": `["a","b"]`})
				_, ok := sp.Attributes().Get("gen_ai.input.messages")
				assert.False(t, ok)
			},
		},
		{
			name:  "messages as a JSON string",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"input":"[{\"role\":\"user\",\"content\":\"hi\"}]"`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{
					"opik.input":            `[{"role":"user","content":"hi"}]`,
					"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"hi"}]}]`,
				})
			},
		},
		{
			name:  "null, {} and [] skipped",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"input":null,"output":{ },"tags":[],"comments":[ ]`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				for _, k := range []string{"opik.input", "opik.output", "opik.tags", "opik.comments"} {
					_, ok := sp.Attributes().Get(k)
					assert.False(t, ok, k)
				}
			},
		},
		{
			name:  "UUID v4 trace id: bytes kept, time from start_time",
			trace: `{"id":"3f1a2b4c-5d6e-4f70-8a9b-0c1d2e3f4a5b","name":"t","start_time":"2025-01-15T09:30:00.5Z","end_time":"2025-01-15T09:30:01Z"}`,
			check: func(t *testing.T, tr poll.Trace, root, _ ptrace.Span) {
				assert.Equal(t, "3f1a2b4c5d6e4f708a9b0c1d2e3f4a5b", hex.EncodeToString(tr.ID[:]))
				assert.Equal(t, "8a9b0c1d2e3f4a5b", root.SpanID().String())
				assert.Equal(t, time.Date(2025, 1, 15, 9, 30, 0, 5e8, time.UTC), tr.Time)
			},
		},
		{
			name:  "id that is no UUID: hashed with a warning, never dropped",
			trace: `{"id":"not-a-uuid","name":"t","start_time":"2025-01-15T09:30:00.5Z","end_time":"2025-01-15T09:30:01Z"}`,
			warns: 2, // trace id and root span id
			check: func(t *testing.T, tr poll.Trace, root, _ ptrace.Span) {
				assert.False(t, tr.ID.IsEmpty())
				assert.False(t, root.SpanID().IsEmpty())
			},
		},
		{
			name:  "field of the wrong type: warning, span kept",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"name":42,"tags":"x","usage":[1]`)},
			warns: 2,
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				assert.Equal(t, "42", sp.Name())
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{"opik.tags": "x"})
			},
		},
		{
			name:  "unreadable start_time: id time, warning",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"start_time":"yesterday"`)},
			warns: 1,
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				assert.Equal(t, time.Date(2025, 1, 15, 9, 30, 0, 323e6, time.UTC), sp.StartTimestamp().AsTime())
			},
		},
		{
			name:  "unknown fields kept under opik., project and duration dropped",
			trace: `{"id":"` + qTrace + `","name":"t","start_time":"2025-01-15T09:30:00.123Z","project_id":"p","duration":3.5,"new_field":{"a":[1,2]}}`,
			check: func(t *testing.T, _ poll.Trace, root, _ ptrace.Span) {
				v, ok := root.Attributes().Get("opik.new_field")
				require.True(t, ok)
				assert.Equal(t, map[string]any{"a": []any{int64(1), int64(2)}}, v.Map().AsRaw())
				_, ok = root.Attributes().Get("opik.project_id")
				assert.False(t, ok)
			},
		},
		{
			name:  "embeddings llm span",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"type":"llm","name":"embed","metadata":{"type":"openai_embeddings"}`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{"gen_ai.operation.name": "embeddings"})
			},
		},
		{
			name:  "cost as a string (older servers)",
			trace: baseTrace,
			spans: []string{span(qSpanA, `,"total_estimated_cost":"0.0025"`)},
			check: func(t *testing.T, _ poll.Trace, _, sp ptrace.Span) {
				spantest.AssertAttrs(t, sp.Attributes(), map[string]any{"opik.total_estimated_cost": 0.0025})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, warns := one(t, tt.trace, tt.spans...)
			assert.Equal(t, tt.warns, warns, "warnings")
			ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
			root := ss.At(0)
			span := ptrace.NewSpan()
			if ss.Len() > 1 {
				span = ss.At(ss.Len() - 1)
			}
			tt.check(t, tr, root, span)
		})
	}
}

func TestDecodePageMalformed(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"content":[{"id":"x"`, `{"content":[{"id":}]}`, `<html>`} {
		_, err := decodePage([]byte(body))
		assert.Error(t, err, body)
	}
}

// TestPlainChatMatchesGenAI checks the fast path against genai.ChatMessages.
func TestPlainChatMatchesGenAI(t *testing.T) {
	inputs := []string{
		`[{"role":"user","content":"hi"}]`,
		`[{"role":"system","content":"be brief"},{"role":"user","content":""}]`,
		`[[{"role":"user","content":"nested"}]]`,
		`[]`,
		`{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}],"model":"m"}`,
		`{"messages":[]}`,
		`{"messages":"no"}`,
		`{"messages":[{"role":"user","content":[{"type":"text","text":"parts"}]}]}`,
		`{"messages":[{"role":"tool","content":"42","tool_call_id":"c1"}]}`,
		`{"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop","logprobs":null}],"id":"x","model":"m"}`,
		`{"choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}`,
		`{"choices":[{"text":"legacy","finish_reason":null}]}`,
		`{"choices":"x","role":"assistant","content":"y"}`,
		`{"role":"assistant","content":"It is sunny."}`,
		`{"role":"assistant","content":""}`,
		`{"role":"assistant","content":"x","name":"bot"}`,
		`{"role":"user"}`,
		`{"type":"human","content":"lc"}`,
		`{"lc":1,"type":"constructor","id":["langchain","schema","messages","HumanMessage"],"kwargs":{"content":"hi"}}`,
		`{"city":"Paris","role":"x"}`,
		`{"content":"no role"}`,
		`"a string"`,
		`[1,2]`,
	}
	c := newConverter(project, "", nil)
	for _, i := range []int{0, 1, 4, 9, 13, 14} {
		_, _, sure := c.plainChat([]byte(inputs[i]))
		assert.True(t, sure, "fast path for %s", inputs[i])
	}
	for _, in := range inputs {
		var v any
		require.NoError(t, json.Unmarshal([]byte(in), &v), in)
		want, wantOK := genai.ChatMessages(v)
		got, gotOK := c.chatMessages([]byte(in))
		assert.Equal(t, wantOK, gotOK, in)
		if wantOK && gotOK {
			assert.Equal(t, genai.MessagesJSON(want), genai.MessagesJSON(got), in)
		}
	}
}
