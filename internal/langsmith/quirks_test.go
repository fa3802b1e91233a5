package langsmith

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/spantest"
)

const (
	qTrace = "0194694c-5e3b-726b-b2a7-4de452e6b438"
	qRunA  = "0194694c-5f03-70c6-a6a3-a4506513270e"
	qRunB  = "0194694c-6287-7893-923f-0824128b2f33"
)

// convertRuns decodes a runs answer and converts it as the source does.
func convertRuns(t *testing.T, body string) (poll.Trace, int) {
	t.Helper()
	p, err := decodeRuns([]byte(body))
	require.NoError(t, err)
	warns := 0
	c := newConverter("proj", "svc", func() { warns++ })
	return c.trace(qTrace, time.Date(2025, 1, 15, 9, 30, 0, 0, time.UTC), p.Items), warns
}

// TestConvertQuirks: one rule of the mapping per row. Runs are JSON objects
// without braces, joined into {"items":[...]}; the last run is checked.
func TestConvertQuirks(t *testing.T) {
	root := `"id":"` + qTrace + `","trace_id":"` + qTrace + `","name":"root","run_type":"CHAIN","status":"SUCCESS","start_time":"2025-01-15T09:30:00Z","end_time":"2025-01-15T09:30:05Z","parent_run_ids":[]`
	child := func(fields string) string {
		return `"id":"` + qRunA + `","trace_id":"` + qTrace + `","name":"child","run_type":"CHAIN","status":"SUCCESS","start_time":"2025-01-15T09:30:01Z","end_time":"2025-01-15T09:30:02Z","parent_run_ids":["` + qTrace + `"]` + fields
	}
	tests := []struct {
		name  string
		runs  []string
		warns int
		check func(t *testing.T, tr poll.Trace, s ptrace.Span)
	}{
		{"span id: OTEL_SPAN_ID wins over the UUID", []string{root, child(`,"metadata":{"OTEL_SPAN_ID":"00f067aa0ba902b7"}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "00f067aa0ba902b7", s.SpanID().String())
			}},
		{"span id: OTel-ingested UUID (8 zero bytes) gives the span id", []string{root, strings.Replace(child(``), qRunA, "00000000-0000-0000-00f0-67aa0ba902b7", 1)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "00f067aa0ba902b7", s.SpanID().String())
			}},
		{"span id: UUIDv7 gives its last 8 bytes, not LangSmith's first 8", []string{root, child(``)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "a6a3a4506513270e", s.SpanID().String())
			}},
		{"span id: an invalid OTEL_SPAN_ID falls back to the UUID (warning)", []string{root, child(`,"metadata":{"OTEL_SPAN_ID":"not-hex"}`)}, 1,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "a6a3a4506513270e", s.SpanID().String())
			}},
		{"span id: an id that is no UUID is hashed (warning), never dropped", []string{root, strings.Replace(child(``), qRunA, "run-17", 1)}, 1,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) { assert.False(t, s.SpanID().IsEmpty()) }},
		{"parent: the last of parent_run_ids", []string{root, strings.Replace(child(``), qRunA, qRunB, 1), child(`,"parent_run_ids":["` + qTrace + `","` + qRunB + `"]`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "923f0824128b2f33", s.ParentSpanID().String())
			}},
		{"parent: dotted_order when parent_run_ids is absent", []string{root, strings.Replace(child(``), `,"parent_run_ids":["`+qTrace+`"]`, `,"dotted_order":"20250115T093000000000Z`+qTrace+`.20250115T093001000000Z`+qRunA+`"`, 1)}, 0,
			func(t *testing.T, tr poll.Trace, s ptrace.Span) {
				assert.Equal(t, "b2a74de452e6b438", s.ParentSpanID().String())
			}},
		{"parent not among the runs (not ingested yet): linked by its UUID", []string{child(`,"parent_run_ids":["` + qTrace + `","` + qRunB + `"]`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "923f0824128b2f33", s.ParentSpanID().String())
			}},
		{"a run that is its own parent becomes a root (warning)", []string{child(`,"parent_run_ids":["` + qRunA + `"]`)}, 1,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.True(t, s.ParentSpanID().IsEmpty())
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"langsmith.parent_run_id": qRunA})
			}},
		{"end_time null: in progress", []string{root, child(`,"status":"PENDING","end_time":null`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Zero(t, s.EndTimestamp())
				assert.Equal(t, ptrace.StatusCodeUnset, s.Status().Code())
			}},
		{"status PENDING with an end_time: still in progress", []string{root, child(`,"status":"PENDING"`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) { assert.Zero(t, s.EndTimestamp()) }},
		{"v1 naive times are UTC, lowercase run_type and status", []string{root, child(`,"start_time":"2025-01-15T09:30:01.250000","end_time":"2025-01-15T09:30:02.5","run_type":"llm","status":"success"`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "2025-01-15T09:30:01.25Z", s.StartTimestamp().AsTime().Format(time.RFC3339Nano))
				assert.Equal(t, ptrace.SpanKindClient, s.Kind())
				assert.Equal(t, ptrace.StatusCodeOk, s.Status().Code())
			}},
		{"unreadable start: the time inside the UUIDv7 (warning)", []string{root, child(`,"start_time":"yesterday"`)}, 1,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, time.UnixMilli(0x194694c5f03).UTC(), s.StartTimestamp().AsTime())
			}},
		{"error without a traceback: the text is the message, type _OTHER", []string{root, child(`,"status":"ERROR","error":"context deadline exceeded"`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, ptrace.StatusCodeError, s.Status().Code())
				assert.Equal(t, "context deadline exceeded", s.Status().Message())
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"error.type": "_OTHER"})
				spantest.AssertAttrs(t, s.Events().At(0).Attributes(), map[string]any{"exception.message": "context deadline exceeded"})
			}},
		{"error traceback: the last line's type and message", []string{root, child(`,"status":"ERROR","error":"Traceback (most recent call last):\n  File \"a.py\", line 1, in f\n    g()\nopenai.RateLimitError: Error code: 429 - {'code': 'rate_limit_exceeded'}\n"`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "Error code: 429 - {'code': 'rate_limit_exceeded'}", s.Status().Message())
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"error.type": "openai.RateLimitError"})
			}},
		{"status ERROR without error text", []string{root, child(`,"status":"ERROR"`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, ptrace.StatusCodeError, s.Status().Code())
			}},
		{"an unknown status is kept", []string{root, child(`,"status":"CANCELLED"`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, ptrace.StatusCodeUnset, s.Status().Code())
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"langsmith.status": "CANCELLED"})
			}},
		{"v1 costs as decimal strings", []string{root, child(`,"run_type":"LLM","total_cost":"0.0025","prompt_cost":"0.002"`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"langsmith.total_cost": 0.0025, "langsmith.prompt_cost": 0.002})
			}},
		{"tokens of a chain are not its usage", []string{root, child(`,"prompt_tokens":10,"completion_tokens":5,"total_tokens":15`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"langsmith.prompt_tokens": int64(10), "langsmith.total_tokens": int64(15)})
				spantest.AssertNoAttrs(t, s.Attributes(), "gen_ai.usage.input_tokens")
			}},
		{"zero tokens are left out", []string{root, child(`,"run_type":"LLM","prompt_tokens":0,"completion_tokens":0,"total_tokens":0`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertNoAttrs(t, s.Attributes(), "gen_ai.usage.input_tokens")
			}},
		{"usage from the outputs when the run has no counts", []string{root, child(`,"run_type":"LLM","outputs":{"choices":[{"message":{"role":"assistant","content":"hi"},"finish_reason":"stop"}],"model":"gpt-4o-mini-2024-07-18","id":"chatcmpl-9","usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{
					"gen_ai.usage.input_tokens": int64(12), "gen_ai.usage.output_tokens": int64(3),
					"gen_ai.response.model": "gpt-4o-mini-2024-07-18", "gen_ai.response.id": "chatcmpl-9",
					"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"hi"}],"finish_reason":"stop"}]`,
				})
			}},
		{"v1: metadata inside extra", []string{root, child(`,"extra":{"metadata":{"ls_provider":"anthropic","ls_model_name":"claude-3-5-sonnet"},"invocation_params":{"max_tokens_to_sample":300}},"run_type":"LLM"`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{
					"gen_ai.provider.name": "anthropic", "gen_ai.request.model": "claude-3-5-sonnet",
					"langsmith.metadata.ls_provider": "anthropic", "gen_ai.request.max_tokens": int64(300),
				})
				spantest.AssertNoAttrs(t, s.Attributes(), "langsmith.extra.metadata")
			}},
		{"model from invocation_params; providers normalised", []string{root, child(`,"run_type":"LLM","metadata":{"ls_provider":"google_vertexai"},"extra":{"invocation_params":{"model_id":"gemini-1.5-pro","stop":["\n\n"],"seed":7}}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{
					"gen_ai.request.model": "gemini-1.5-pro", "gen_ai.provider.name": "gcp.vertex_ai",
					"gen_ai.request.stop_sequences": []any{"\n\n"}, "gen_ai.request.seed": int64(7),
				})
			}},
		{"ls_* metadata when invocation_params lacks the parameter", []string{root, child(`,"run_type":"LLM","metadata":{"ls_temperature":0,"ls_max_tokens":64,"ls_stop":"END"}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{
					"gen_ai.request.temperature": 0.0, "gen_ai.request.max_tokens": int64(64), "gen_ai.request.stop_sequences": []any{"END"},
				})
			}},
		{"completion models: text_completion and prompts", []string{root, child(`,"run_type":"LLM","metadata":{"ls_model_type":"llm"},"inputs":{"prompts":["Say hi"]},"outputs":{"generations":[[{"text":"hi","generation_info":{"finish_reason":"length"}}]]}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{
					"gen_ai.operation.name":  "text_completion",
					"gen_ai.input.messages":  `[{"role":"user","parts":[{"type":"text","content":"Say hi"}]}]`,
					"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"hi"}],"finish_reason":"length"}]`,
				})
			}},
		{"a traced function's string output on an LLM run", []string{root, child(`,"run_type":"LLM","outputs":{"output":"Paris."}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"Paris."}]}]`})
			}},
		{"inputs that are not messages: raw only; {} left out", []string{root, child(`,"inputs":{"query":"shoes","k":5},"outputs":{}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"langsmith.inputs": `{"query":"shoes","k":5}`})
				spantest.AssertNoAttrs(t, s.Attributes(), "gen_ai.input.messages", "langsmith.outputs")
			}},
		{"conversation: the thread_id field wins over metadata", []string{root, child(`,"thread_id":"t-1","metadata":{"session_id":"s-1"}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"gen_ai.conversation.id": "t-1"})
			}},
		{"conversation: metadata thread_id, session_id, conversation_id in that order", []string{root, child(`,"metadata":{"conversation_id":"c-1","session_id":"s-1"}`)}, 0,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"gen_ai.conversation.id": "s-1"})
			}},
		{"events: kwargs typed; an unreadable time is the span's start (warning)", []string{root, child(`,"events":[{"name":"retry","time":"soon","kwargs":{"attempt":2}}]`)}, 1,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				ev := s.Events().At(0)
				assert.Equal(t, s.StartTimestamp(), ev.Timestamp())
				spantest.AssertAttrs(t, ev.Attributes(), map[string]any{"attempt": int64(2)})
			}},
		{"fields of the wrong type: warning, run kept", []string{root, child(`,"name":7,"tags":"x","prompt_tokens":"many","inputs":"text"`)}, 4,
			func(t *testing.T, _ poll.Trace, s ptrace.Span) {
				assert.Equal(t, "7", s.Name())
				spantest.AssertAttrs(t, s.Attributes(), map[string]any{"langsmith.inputs": `"text"`})
			}},
		{"trace id from trace_id, the listed id when absent", []string{strings.Replace(child(``), `"trace_id":"`+qTrace+`",`, ``, 1)}, 0,
			func(t *testing.T, tr poll.Trace, _ ptrace.Span) {
				assert.Equal(t, "0194694c5e3b726bb2a74de452e6b438", tr.ID.String())
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tr, warns := convertRuns(t, `{"items":[{`+strings.Join(tt.runs, `},{`)+`}]}`)
			assert.Equal(t, tt.warns, warns, "warnings")
			ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
			require.Equal(t, len(tt.runs), ss.Len())
			tt.check(t, tr, ss.At(ss.Len()-1))
		})
	}
}

func TestParseError(t *testing.T) {
	tests := []struct{ text, typ, msg string }{
		{"boom", "", "boom"},
		{"  boom\n", "", "boom"},
		{"Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n    raise KeyError('k')\nKeyError: 'k'", "KeyError", "'k'"},
		{"Traceback (most recent call last):\n  File \"x.py\", line 1, in f\n    raise StopIteration\nStopIteration", "StopIteration", "StopIteration"},
		{"Traceback (most recent call last):\n  File \"x.py\", line 1\nValueError: line one\nline two", "ValueError", "line one\nline two"},
		{"Traceback (most recent call last):\nnot a frame", "", "Traceback (most recent call last):\nnot a frame"},
		{"Traceback (most recent call last):\n  File \"x.py\"\nsomething went wrong: here", "", "something went wrong: here"},
	}
	for _, tt := range tests {
		typ, msg := parseError(tt.text)
		assert.Equal(t, tt.typ, typ, tt.text)
		assert.Equal(t, tt.msg, msg, tt.text)
	}
}

func TestDecodeRunsMalformed(t *testing.T) {
	for _, body := range []string{``, `[]`, `{"items":[{"id":"x"`, `{"items":[{"id":}]}`, `<html>`} {
		_, err := decodeRuns([]byte(body))
		assert.Error(t, err, body)
	}
}

func TestDottedParent(t *testing.T) {
	for in, want := range map[string]string{
		"":                                      "",
		"20250115T120000000000Z" + qTrace:       "",
		"20250115T120000000000Z" + qTrace + ".": "",
		"20250115T120000000000Z" + qTrace + ".20250115T120000000001Z" + qRunA:                           qTrace,
		"a.20250115T120000000000Z018e4c7ea9fb7ef0a5b66ea3a82e9327.20250115T120000000001Z" + qRunA + ".": "018e4c7ea9fb7ef0a5b66ea3a82e9327",
	} {
		assert.Equal(t, want, dottedParent(in), in)
	}
}

// TestSameMillisecondRunsKeepDistinctSpanIDs: UUIDv7 runs created in the
// same millisecond share their first 8 bytes but for 12 random bits (and
// the SDK's monotonic counter can make those equal too); LangSmith's own
// exporter would give them one span id. The last 8 bytes keep them apart.
func TestSameMillisecondRunsKeepDistinctSpanIDs(t *testing.T) {
	runs := []string{
		`{"id":"` + qTrace + `","trace_id":"` + qTrace + `","start_time":"2025-01-15T09:30:00Z"}`,
		`{"id":"0194694c-5f03-70c6-a6a3-a4506513270e","trace_id":"` + qTrace + `","parent_run_ids":["` + qTrace + `"],"start_time":"2025-01-15T09:30:00Z"}`,
		`{"id":"0194694c-5f03-70c6-9f1e-00c2b44d9a71","trace_id":"` + qTrace + `","parent_run_ids":["` + qTrace + `"],"start_time":"2025-01-15T09:30:00Z"}`,
	}
	tr, warns := convertRuns(t, `{"items":[`+strings.Join(runs, ",")+`]}`)
	assert.Zero(t, warns)
	ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	assert.NotEqual(t, ss.At(1).SpanID(), ss.At(2).SpanID())
	assert.Equal(t, ss.At(0).SpanID(), ss.At(1).ParentSpanID())
	assert.Equal(t, ss.At(0).SpanID(), ss.At(2).ParentSpanID())
}
