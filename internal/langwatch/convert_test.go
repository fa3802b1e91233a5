package langwatch

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/spantest"
)

const (
	qTrace = "0af7651916cd43dd8448eb211c80319c"
	qRoot  = "b7ad6b7169203331"
	qChild = "00f067aa0ba902b7"
)

// convertOne converts a search answer holding one trace with the given span
// objects (and trace members), and returns it with the warnings counted.
func convertOne(t *testing.T, traceMembers string, spans ...string) (tr converted, warns int) {
	t.Helper()
	if traceMembers != "" {
		traceMembers = "," + traceMembers
	}
	body := `{"traces":[{"trace_id":"` + qTrace + `","project_id":"p1","timestamps":{"started_at":1000,"inserted_at":2000,"updated_at":3000}` +
		traceMembers + `,"spans":[` + strings.Join(spans, ",") + `]}],"pagination":{"totalHits":1,"updatedThrough":9000}}`
	var d decoder
	page, err := d.decodeSearch([]byte(body))
	require.NoError(t, err)
	require.Len(t, page.Traces, 1)
	c := newConverter("", "", func() { warns++ }, func() time.Time { return time.Unix(99, 0) })
	return converted{c.trace(&page.Traces[0], byUpdate)}, warns
}

// converted is a converted trace, for the table tests.
type converted struct{ poll.Trace }

// span is a span object with the given extra members.
func span(id, parent, members string) string {
	p := "null"
	if parent != "" {
		p = `"` + parent + `"`
	}
	s := `{"span_id":"` + id + `","parent_id":` + p + `,"trace_id":"` + qTrace + `"`
	if !strings.Contains(members, `"timestamps"`) {
		s += `,"timestamps":{"started_at":1000,"finished_at":2000}`
	}
	if members != "" {
		s += "," + members
	}
	return s + "}"
}

func (tr converted) only(t *testing.T) ptrace.Span {
	t.Helper()
	ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	require.Equal(t, 1, ss.Len())
	return ss.At(0)
}

func attrs(s ptrace.Span) map[string]any { return s.Attributes().AsRaw() }

func TestConvertQuirks(t *testing.T) {
	for _, tc := range []struct {
		name    string
		members string
		warns   int
		check   func(t *testing.T, s ptrace.Span)
	}{
		{"hex ids are the bytes", `"type":"span"`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, qTrace, s.TraceID().String())
			assert.Equal(t, qChild, s.SpanID().String())
		}},
		{"upper-case hex ids are the same bytes", ``, 0, func(t *testing.T, s ptrace.Span) {}},
		{"no type: span, INTERNAL, name from the type", ``, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, ptrace.SpanKindInternal, s.Kind())
			assert.Equal(t, "span", s.Name())
			assert.Equal(t, "span", attrs(s)["langwatch.span.type"])
		}},
		{"server", `"type":"server"`, 0, func(t *testing.T, s ptrace.Span) { assert.Equal(t, ptrace.SpanKindServer, s.Kind()) }},
		{"client", `"type":"client"`, 0, func(t *testing.T, s ptrace.Span) { assert.Equal(t, ptrace.SpanKindClient, s.Kind()) }},
		{"producer", `"type":"producer"`, 0, func(t *testing.T, s ptrace.Span) { assert.Equal(t, ptrace.SpanKindProducer, s.Kind()) }},
		{"consumer", `"type":"consumer"`, 0, func(t *testing.T, s ptrace.Span) { assert.Equal(t, ptrace.SpanKindConsumer, s.Kind()) }},
		{"workflow implies invoke_workflow", `"type":"workflow"`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, ptrace.SpanKindInternal, s.Kind())
			assert.Equal(t, "invoke_workflow", attrs(s)["gen_ai.operation.name"])
		}},
		{"unknown type kept", `"type":"module","name":"dspy.Predict"`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, "module", attrs(s)["langwatch.span.type"])
			assert.NotContains(t, attrs(s), "gen_ai.operation.name")
		}},
		{"params operation wins over the type", `"type":"llm","params":{"gen_ai":{"operation":{"name":"embeddings"}}}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, "embeddings", attrs(s)["gen_ai.operation.name"])
		}},
		{"params request model wins over model", `"type":"llm","model":"gpt-4o-2024-08-06","params":{"gen_ai":{"request":{"model":"gpt-4o"}}}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, "gpt-4o", attrs(s)["gen_ai.request.model"])
		}},
		{"vendor normalised, over gen_ai.provider.name", `"type":"llm","vendor":"Vertex AI","params":{"gen_ai":{"system":"vertex_ai"}}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, genai.ProviderGCPVertexAI, attrs(s)["gen_ai.provider.name"])
			assert.Equal(t, "vertex_ai", attrs(s)["gen_ai.system"], "the original attribute stays")
		}},
		{"params JSON types", `"params":{"a":{"int":3,"float":0.5,"exp":1e3,"big":12345678901234567890,"neg":-2,"str":"x","t":true,"nil":null,"arr":[1,"b",{"c":1}],"empty":{}}}`, 0, func(t *testing.T, s ptrace.Span) {
			a := attrs(s)
			assert.Equal(t, int64(3), a["a.int"])
			assert.Equal(t, 0.5, a["a.float"])
			assert.Equal(t, 1000.0, a["a.exp"])
			assert.Equal(t, 12345678901234567890.0, a["a.big"])
			assert.Equal(t, int64(-2), a["a.neg"])
			assert.Equal(t, "x", a["a.str"])
			assert.Equal(t, true, a["a.t"])
			assert.Nil(t, a["a.nil"])
			assert.Contains(t, a, "a.nil", "null is an empty value")
			assert.Equal(t, []any{int64(1), "b", map[string]any{"c": int64(1)}}, a["a.arr"], "arrays are leaves")
			assert.NotContains(t, a, "a.empty")
		}},
		{"structured attributes stay whole", `"params":{"gen_ai":{"tool":{"call":{"result":{"ok":true}}},"system_instructions":[{"type":"text","content":"Be brief."}]},"langwatch":{"params":{"temperature":0}}}`, 0, func(t *testing.T, s ptrace.Span) {
			a := attrs(s)
			assert.Equal(t, map[string]any{"ok": true}, a["gen_ai.tool.call.result"])
			assert.Equal(t, []any{map[string]any{"type": "text", "content": "Be brief."}}, a["gen_ai.system_instructions"])
			assert.Equal(t, map[string]any{"temperature": int64(0)}, a["langwatch.params"])
		}},
		{"dotted keys inside params", `"params":{"gen_ai":{"request.model":"m"},"http.method":"GET"}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, "m", attrs(s)["gen_ai.request.model"])
			assert.Equal(t, "GET", attrs(s)["http.method"])
		}},
		{"message attributes without typed values stay", `"params":{"gen_ai":{"input":{"messages":[{"role":"user","content":"hi"}]}}}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, []any{map[string]any{"role": "user", "content": "hi"}}, attrs(s)["gen_ai.input.messages"])
		}},
		{"params not an object", `"params":"temperature=1"`, 1, func(t *testing.T, s ptrace.Span) {}},
		{"params truncated", `"params":{"a":1}`, 0, func(t *testing.T, s ptrace.Span) { assert.Equal(t, int64(1), attrs(s)["a"]) }},
		{"fractional tokens are rounded", `"metrics":{"prompt_tokens":10.6,"completion_tokens":2}`, 1, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, int64(11), attrs(s)["gen_ai.usage.input_tokens"])
			assert.Equal(t, int64(2), attrs(s)["gen_ai.usage.output_tokens"])
		}},
		{"every token metric", `"metrics":{"prompt_tokens":100,"completion_tokens":50,"reasoning_tokens":30,"cache_read_input_tokens":64,"cache_creation_input_tokens":16,"cost":0.5,"tokens_estimated":true}`, 0, func(t *testing.T, s ptrace.Span) {
			spantest.AssertAttrs(t, s.Attributes(), map[string]any{
				"gen_ai.usage.input_tokens": int64(100), "gen_ai.usage.output_tokens": int64(50),
				"gen_ai.usage.reasoning.output_tokens": int64(30), "gen_ai.usage.cache_read.input_tokens": int64(64),
				"gen_ai.usage.cache_write.input_tokens": int64(16), "langwatch.cost": 0.5, "langwatch.tokens.estimated": true,
			})
		}},
		{"metrics win over params", `"metrics":{"prompt_tokens":7},"params":{"gen_ai":{"usage":{"input_tokens":"7"}}}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, int64(7), attrs(s)["gen_ai.usage.input_tokens"])
		}},
		{"metrics null", `"metrics":null`, 0, func(t *testing.T, s ptrace.Span) { assert.NotContains(t, attrs(s), "gen_ai.usage.input_tokens") }},
		{"metric of another type", `"metrics":{"prompt_tokens":"7"}`, 1, func(t *testing.T, s ptrace.Span) {
			assert.NotContains(t, attrs(s), "gen_ai.usage.input_tokens")
		}},
		{"error without stacktrace", `"error":{"has_error":true,"message":"boom","stacktrace":[]}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, ptrace.StatusCodeError, s.Status().Code())
			assert.Equal(t, "boom", s.Status().Message())
			assert.Equal(t, "_OTHER", attrs(s)["error.type"])
			require.Equal(t, 1, s.Events().Len())
			assert.Equal(t, map[string]any{"exception.message": "boom"}, s.Events().At(0).Attributes().AsRaw())
		}},
		{"error has_error false is no error", `"error":{"has_error":false,"message":"x"}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, ptrace.StatusCodeUnset, s.Status().Code())
		}},
		{"error as a bare string (stale spec)", `"error":"boom"`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, "boom", s.Status().Message())
		}},
		{"first token before the start: event only", `"timestamps":{"started_at":1000,"first_token_at":900,"finished_at":2000}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, 1, s.Events().Len())
			assert.NotContains(t, attrs(s), "gen_ai.response.time_to_first_chunk")
		}},
		{"first token null", `"timestamps":{"started_at":1000,"first_token_at":null,"finished_at":2000}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, 0, s.Events().Len())
		}},
		{"finished_at missing: in progress", `"timestamps":{"started_at":1000}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, pcommon.Timestamp(0), s.EndTimestamp())
			assert.Equal(t, time.UnixMilli(1000).UTC(), s.StartTimestamp().AsTime())
		}},
		{"started_at missing: the end", `"timestamps":{"finished_at":2000}`, 1, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, s.EndTimestamp(), s.StartTimestamp())
		}},
		{"text input", `"input":{"type":"text","value":"hello"}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, `{"type":"text","value":"hello"}`, attrs(s)["langwatch.input"])
			assert.NotContains(t, attrs(s), "gen_ai.input.messages")
		}},
		{"raw and list outputs kept as they are", `"output":{"type":"list","value":[{"type":"raw","value":"<b>x</b>"}]}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, `{"type":"list","value":[{"type":"raw","value":"<b>x</b>"}]}`, attrs(s)["langwatch.output"])
		}},
		{"value without a type", `"input":{"value":"x"}`, 1, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, `{"value":"x"}`, attrs(s)["langwatch.input"])
		}},
		{"chat messages that are not messages", `"input":{"type":"chat_messages","value":[1,2]}`, 1, func(t *testing.T, s ptrace.Span) {
			assert.NotContains(t, attrs(s), "gen_ai.input.messages")
		}},
		{"chat messages with content parts", `"input":{"type":"chat_messages","value":[{"role":"user","content":[{"type":"text","text":"hi"},{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, `[{"role":"user","parts":[{"type":"text","content":"hi"},{"type":"uri","modality":"image","uri":"https://x/y.png"}]}]`, attrs(s)["gen_ai.input.messages"])
		}},
		{"contexts as strings", `"type":"rag","contexts":["a","b"]`, 0, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, []any{"a", "b"}, attrs(s)["langwatch.rag.contexts"])
			assert.Equal(t, "retrieval", attrs(s)["gen_ai.operation.name"])
		}},
		{"a string where a string belongs is not a problem; a number is", `"name":42`, 1, func(t *testing.T, s ptrace.Span) {
			assert.Equal(t, "42", s.Name())
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := qChild
			if strings.HasPrefix(tc.name, "upper-case") {
				id = strings.ToUpper(qChild)
			}
			tr, warns := convertOne(t, "", span(id, qRoot, tc.members))
			assert.Equal(t, tc.warns, warns, "warnings")
			s := tr.only(t)
			assert.Equal(t, qChild, s.SpanID().String())
			assert.Equal(t, qRoot, s.ParentSpanID().String())
			tc.check(t, s)
		})
	}
}

func TestConvertIDs(t *testing.T) {
	for _, tc := range []struct {
		name, id string
		want     pcommon.SpanID
	}{
		{"16 hex digits", "00f067aa0ba902b7", pcommon.SpanID{0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7}},
		{"legacy nanoid", "span_h1xUkcUJilhudDrLeQbR_", convert.HashSpanID("langwatch", "p1", "span_h1xUkcUJilhudDrLeQbR_")},
		{"15 hex digits are not an OTel id", "0f067aa0ba902b7", convert.HashSpanID("langwatch", "p1", "0f067aa0ba902b7")},
		{"32 hex digits (a UUID without dashes) are hashed", qTrace, convert.HashSpanID("langwatch", "p1", qTrace)},
		{"base64 of 8 bytes is not read as base64", "APBnqgupArc=", convert.HashSpanID("langwatch", "p1", "APBnqgupArc=")},
		{"all zero is not a valid id", "0000000000000000", convert.HashSpanID("langwatch", "p1", "0000000000000000")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConverter("", "", nil, nil)
			c.cur = "p1"
			assert.Equal(t, tc.want, c.spanID(tc.id))
		})
	}
	c := newConverter("", "", nil, nil)
	c.cur = "p1"
	assert.Equal(t, convert.HashTraceID("langwatch", "p1", "trace_Yy0XWu6BOwwnrkLtQh9Ji"), c.traceID("trace_Yy0XWu6BOwwnrkLtQh9Ji"))
	assert.Equal(t, qTrace, c.traceID(strings.ToUpper(qTrace)).String())
	assert.Equal(t, convert.HashTraceID("langwatch", "p1", "00000000000000000000000000000000"), c.traceID("00000000000000000000000000000000"))
}

func TestConvertSpanIDQuirks(t *testing.T) {
	t.Run("null parent is a root", func(t *testing.T) {
		tr, _ := convertOne(t, "", span(qRoot, "", ""))
		assert.True(t, tr.only(t).ParentSpanID().IsEmpty())
	})
	t.Run("a span its own parent becomes a root", func(t *testing.T) {
		tr, warns := convertOne(t, "", span(qRoot, qRoot, ""))
		assert.Equal(t, 1, warns)
		assert.True(t, tr.only(t).ParentSpanID().IsEmpty())
	})
	t.Run("spans without ids stay apart", func(t *testing.T) {
		tr, warns := convertOne(t, "", span("", "", ""), span("", "", ""))
		assert.Equal(t, 2, warns)
		ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		require.Equal(t, 2, ss.Len())
		assert.NotEqual(t, ss.At(0).SpanID(), ss.At(1).SpanID())
		again, _ := convertOne(t, "", span("", "", ""), span("", "", ""))
		assert.Equal(t, ss.At(1).SpanID(), again.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(1).SpanID(), "deterministic")
	})
	t.Run("legacy ids keep parent links", func(t *testing.T) {
		tr, _ := convertOne(t, "", span("span_root", "", ""), span("span_child", "span_root", ""))
		ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		assert.Equal(t, ss.At(0).SpanID(), ss.At(1).ParentSpanID())
	})
}

func TestConvertTraceFields(t *testing.T) {
	tr, warns := convertOne(t, `"metadata":{"thread_id":"th","user_id":"u","customer_id":"c","labels":["a"],"nested":{"k":1},"user_id_2":null,"thread_id_num":5},"platformUrl":"https://x/traces/1"`,
		span(qRoot, "", ""), span(qChild, qRoot, ""), span("1111111111111111", "ffffffffffffffff", ""))
	assert.Zero(t, warns)
	ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	root := ss.At(0)
	spantest.AssertAttrs(t, root.Attributes(), map[string]any{
		"gen_ai.conversation.id": "th", "user.id": "u", "langwatch.metadata.customer_id": "c",
		"langwatch.metadata.labels": []any{"a"}, "langwatch.metadata.nested": map[string]any{"k": int64(1)},
		"langwatch.metadata.thread_id_num": int64(5), "langwatch.platform_url": "https://x/traces/1",
	})
	spantest.AssertNoAttrs(t, root.Attributes(), "langwatch.metadata.user_id_2")
	for i := 1; i < 3; i++ {
		spantest.AssertNoAttrs(t, ss.At(i).Attributes(), "gen_ai.conversation.id", "user.id", "langwatch.platform_url")
	}
	t.Run("a trace of orphans has no root: no trace fields", func(t *testing.T) {
		tr, _ := convertOne(t, `"metadata":{"user_id":"u"}`, span(qChild, qRoot, ""))
		spantest.AssertNoAttrs(t, tr.only(t).Attributes(), "user.id")
	})
	t.Run("two roots both carry them", func(t *testing.T) {
		tr, _ := convertOne(t, `"metadata":{"user_id":"u"}`, span(qRoot, "", ""), span(qChild, "", ""))
		ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		assert.Equal(t, "u", attrs(ss.At(0))["user.id"])
		assert.Equal(t, "u", attrs(ss.At(1))["user.id"])
	})
	t.Run("metadata not an object", func(t *testing.T) {
		_, warns := convertOne(t, `"metadata":["x"]`, span(qRoot, "", ""))
		assert.Equal(t, 1, warns)
	})
}

func TestConvertEvaluations(t *testing.T) {
	evals := `"evaluations":[
		{"evaluation_id":"e1","evaluator_id":"ev","span_id":"` + qChild + `","name":"Toxicity","type":"azure/content_safety","status":"processed","passed":false,"score":0.8,"label":"toxic","details":"insult","timestamps":{"inserted_at":5000,"started_at":5100,"finished_at":5300}},
		{"evaluation_id":"e2","evaluator_id":"ev2","name":"Custom","status":"skipped","details":"no input","timestamps":{"inserted_at":5000}},
		{"evaluation_id":"e3","name":"Late","status":"scheduled","timestamps":{"inserted_at":5000}},
		{"evaluation_id":"e4","name":"Running","status":"in_progress","timestamps":{"inserted_at":5000,"started_at":5010}},
		{"evaluation_id":"e5","name":"Broken","status":"error","timestamps":{"inserted_at":5000,"started_at":5010,"finished_at":5020}}]`
	tr, warns := convertOne(t, evals, span(qRoot, "", ""), span(qChild, qRoot, ""))
	assert.Zero(t, warns)
	require.Equal(t, 5, tr.Spans.SpanCount(), "2 spans, 3 finished evaluations")
	spans := spantest.SpansByName(tr.Spans)
	tox := spans["Toxicity"]
	assert.Equal(t, convert.HashSpanID("langwatch", "p1", "evaluation", "e1"), tox.SpanID())
	assert.Equal(t, qChild, tox.ParentSpanID().String(), "under the span it evaluated")
	assert.Equal(t, time.UnixMilli(5100).UTC(), tox.StartTimestamp().AsTime())
	assert.Equal(t, time.UnixMilli(5300).UTC(), tox.EndTimestamp().AsTime())
	spantest.AssertAttrs(t, tox.Attributes(), map[string]any{
		"gen_ai.evaluation.name": "Toxicity", "gen_ai.evaluation.score.value": 0.8, "gen_ai.evaluation.score.label": "toxic",
		"gen_ai.evaluation.explanation": "insult", "langwatch.evaluation.passed": false, "langwatch.evaluation.type": "azure/content_safety",
	})
	skipped := spans["Custom"]
	assert.Equal(t, qRoot, skipped.ParentSpanID().String(), "under the root")
	assert.Equal(t, skipped.StartTimestamp(), skipped.EndTimestamp(), "only inserted_at: a point in time")
	assert.Equal(t, ptrace.StatusCodeUnset, skipped.Status().Code())
	assert.Equal(t, "evaluation failed", spans["Broken"].Status().Message())
	assert.Equal(t, time.UnixMilli(5300).UTC(), tr.Time, "content time: the last finished evaluation")
}

func TestPositionOnTheAxis(t *testing.T) {
	c := newConverter("", "", nil, func() time.Time { return time.Unix(99, 0) })
	rec := traceRec{Started: 1000, Inserted: 2000, Updated: 9000, Spans: []spanRec{{Started: 1000, Finished: 4000, HasFinished: true}}}
	assert.Equal(t, time.UnixMilli(4000).UTC(), c.position(&rec, byUpdate), "the latest content, not updated_at")
	assert.Equal(t, time.UnixMilli(1000).UTC(), c.position(&rec, byStart))
	warns := 0
	c.warn = func() { warns++ }
	assert.Equal(t, time.Unix(99, 0).UTC(), c.position(&traceRec{}, byUpdate), "nothing known: now")
	assert.Equal(t, 1, warns)
	assert.Equal(t, time.UnixMilli(9000).UTC(), c.position(&traceRec{Updated: 9000}, byStart))
}

func TestProjectAndService(t *testing.T) {
	body := `{"traces":[{"trace_id":"` + qTrace + `","project_id":"from-trace","spans":[]}],"pagination":{"totalHits":1}}`
	var d decoder
	page, err := d.decodeSearch([]byte(body))
	require.NoError(t, err)
	for _, tc := range []struct{ project, service, wantProject, wantService string }{
		{"", "", "from-trace", "from-trace"},
		{"configured", "", "configured", "configured"},
		{"", "svc", "from-trace", "svc"},
	} {
		tr := newConverter(tc.project, tc.service, nil, nil).trace(&page.Traces[0], byUpdate)
		res := tr.Spans.ResourceSpans().At(0).Resource().Attributes().AsRaw()
		assert.Equal(t, tc.wantProject, res["llmtrace.project"])
		assert.Equal(t, tc.wantService, res["service.name"])
	}
}

// TestPlainChatMatchesGenAI holds the fast reader of plain chat messages to
// genai.ChatMessages on the same JSON.
func TestPlainChatMatchesGenAI(t *testing.T) {
	for _, value := range []string{
		`[{"role":"user","content":"hi"}]`,
		`[{"role":"system","content":""},{"role":"user","content":"a\"b\u00e9"}]`,
		`[{"role":"assistant","content":null}]`,
		`[{"role":"tool","content":"42","tool_call_id":"c1"}]`,
		`[{"role":"user","content":"x","name":"bob"}]`,
		`[[{"role":"user","content":"nested"}]]`,
		`[]`,
		`[{"content":"no role"}]`,
		`[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"b\":1,\"a\":[2.50,\"x\"]}"}}]}]`,
		`[{"role":"assistant","content":"let me check","tool_calls":[{"id":"c1","function":{"name":"f","arguments":"not json"}},{"id":"c2","function":{"name":"g","arguments":"[1] x"}}]}]`,
		`[{"role":"assistant","tool_calls":[{"id":"c1","function":{"name":"f","arguments":""}}]}]`,
		`[{"role":"assistant","tool_calls":[{"name":"langchain_style","args":{}}]}]`,
		`[{"role":"tool","tool_call_id":"c1","content":null}]`,
		`[{"role":"function","name":"f","content":"{\"ok\":true}"}]`,
		`[{"role":"assistant","content":"done","finish_reason":"stop"}]`,
		`[{"role":"user","content":"x","tool_calls":[]}]`,
		`[{"role":"user"}]`,
		`[{"role":"user","content":[{"type":"text","text":"parts"}]}]`,
	} {
		c := newConverter("", "", nil, nil)
		got, _, ok := c.readTyped([]byte(`{"type":"chat_messages","value":` + value + `}`))
		v, err := decodeNumbers(value)
		require.NoError(t, err)
		want, wantOK := genai.ChatMessages(v)
		assert.Equal(t, wantOK, ok, value)
		assert.Equal(t, genai.MessagesJSON(want), genai.MessagesJSON(got), value)
	}
}

// readTyped reads one typed value on its own, as the decoding and the
// conversion read the typed values of an answer.
func (c *converter) readTyped(raw []byte) ([]genai.Message, string, bool) {
	var d decoder
	d.start(raw)
	_, rec := d.readTyped()
	return c.typedMessages(raw, &rec, &d)
}
