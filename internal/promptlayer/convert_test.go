package promptlayer

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
)

const quirkTrace = "4bf92f3577b34da6a3ce929d0e0e4736"

// convertOne converts a trace answer holding the given span members (with
// span_id 00f067aa0ba902b7 unless the members set one) and returns its only
// span, its resource and the warnings counted.
func convertOne(t *testing.T, members string, logs map[int64]*requestLog, service string) (ptrace.Span, pcommon.Resource, int) {
	t.Helper()
	fields := []string{`"name":"s"`}
	for _, def := range []struct{ key, member string }{
		{`"span_id"`, `"span_id":"00f067aa0ba902b7"`},
		{`"start`, `"start_time":"2026-03-20T14:02:11Z"`},
		{`"end`, `"end_time":"2026-03-20T14:02:12Z"`},
	} {
		if !strings.Contains(members, def.key) {
			fields = append(fields, def.member)
		}
	}
	if members = strings.Trim(members, ","); members != "" {
		fields = append(fields, members)
	}
	body := `{"success":true,"spans":[{` + strings.Join(fields, ",") + `}]}`
	warns := 0
	c := newConverter("key-test", service, func() { warns++ })
	id, err := convert.TraceID(quirkTrace)
	require.NoError(t, err)
	td, _, err := c.trace(id, []byte(body), func(id int64) *requestLog { return logs[id] }, time.Date(2026, 3, 20, 14, 0, 0, 0, time.UTC))
	require.NoError(t, err)
	require.Equal(t, 1, td.SpanCount())
	rs := td.ResourceSpans().At(0)
	return rs.ScopeSpans().At(0).Spans().At(0), rs.Resource(), warns
}

func ts(s string) pcommon.Timestamp {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return pcommon.NewTimestampFromTime(t)
}

// TestSpanQuirks: one row per rule of the span conversion (README mapping
// table); warns is the conversion warnings the row must count.
func TestSpanQuirks(t *testing.T) {
	tests := []struct {
		name    string
		members string
		warns   int
		check   func(t *testing.T, s ptrace.Span, res pcommon.Resource)
	}{
		{"escapes as Python's json.dumps writes them", `"name":"caf\u00e9 \"quoted\" \ud83d\ude00","span_id":"\u0030\u0030f067aa0ba902b7","x\u00e9":1`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, "café \"quoted\" 😀", s.Name())
			assert.Equal(t, "00f067aa0ba902b7", s.SpanID().String())
			assert.Equal(t, map[string]any{"promptlayer.xé": int64(1)}, s.Attributes().AsRaw())
		}},
		{"invalid UTF-8 is replaced", "\"name\":\"a\xffb\"", 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, "a\uFFFDb", s.Name())
		}},
		{"upper-case hex span id", `"span_id":"00F067AA0BA902B7"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, "00f067aa0ba902b7", s.SpanID().String())
		}},
		{"span id from context when span_id is absent", `"span_id":null,"context":{"trace_id":"` + quirkTrace + `","span_id":"b9c7c989f97918e1","trace_state":"[]"}`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, "b9c7c989f97918e1", s.SpanID().String())
		}},
		{"non-hex span id is hashed", `"span_id":"span-1"`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, convert.HashSpanID(Name, quirkTrace, "span-1"), s.SpanID())
		}},
		{"no span id at all: hash of trace, name and times", `"span_id":null`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, convert.HashSpanID(Name, quirkTrace, "s", "2026-03-20T14:02:11Z", "2026-03-20T14:02:12Z"), s.SpanID())
		}},
		{"parent_id null is a root", `"parent_id":null`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.True(t, s.ParentSpanID().IsEmpty())
		}},
		{"a parent not among the spans is kept (it may arrive later)", `"parent_id":"b9c7c989f97918e1"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, "b9c7c989f97918e1", s.ParentSpanID().String())
		}},
		{"a span that is its own parent becomes a root", `"parent_id":"00f067aa0ba902b7"`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.True(t, s.ParentSpanID().IsEmpty())
			assert.Equal(t, "00f067aa0ba902b7", s.Attributes().AsRaw()["promptlayer.parent_id"])
		}},
		{"a span's own trace_id that disagrees is kept aside", `"trace_id":"0af7651916cd43dd8448eb211c80319c"`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, quirkTrace, s.TraceID().String(), "every span of a trace answer belongs to the trace read")
			assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", s.Attributes().AsRaw()["promptlayer.trace_id"])
		}},
		{"nanosecond precision and offsets", `"start_time":"2026-03-20T16:02:11.123456789+02:00","end_time":"2026-03-20T14:02:12.5Z"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ts("2026-03-20T14:02:11.123456789Z"), s.StartTimestamp())
			assert.Equal(t, ts("2026-03-20T14:02:12.5Z"), s.EndTimestamp())
		}},
		{"no zone is UTC", `"start_time":"2026-03-20T14:02:11.25","end_time":"2026-03-20T14:02:12"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ts("2026-03-20T14:02:11.25Z"), s.StartTimestamp())
		}},
		{"epoch numbers (ingest sends nanoseconds)", `"start_time":1774015331123456789,"end_time":1774015332000`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ts("2026-03-20T14:02:11.123456789Z"), s.StartTimestamp())
			assert.Equal(t, ts("2026-03-20T14:02:12Z"), s.EndTimestamp(), "milliseconds, by magnitude")
		}},
		{"start/end of the first spec's serializer", `"start":"2026-03-20T14:02:11.250000+00:00","end":"2026-03-20T14:02:14+00:00"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ts("2026-03-20T14:02:11.25Z"), s.StartTimestamp())
			assert.Equal(t, ts("2026-03-20T14:02:14Z"), s.EndTimestamp())
		}},
		{"start_time wins over start", `"start":"2026-03-20T14:00:00Z","start_time":"2026-03-20T14:02:11Z"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ts("2026-03-20T14:02:11Z"), s.StartTimestamp())
		}},
		{"end null: in progress", `"end_time":null`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Zero(t, s.EndTimestamp())
		}},
		{"unreadable start falls back to the end", `"start_time":"yesterday"`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ts("2026-03-20T14:02:12Z"), s.StartTimestamp())
		}},
		{"unreadable start and no end: the fallback", `"start_time":"yesterday","end_time":null`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ts("2026-03-20T14:00:00Z"), s.StartTimestamp())
		}},
		{"unreadable end is the start", `"end_time":"soon"`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, s.StartTimestamp(), s.EndTimestamp())
		}},
		{"kind in any case", `"kind":"client"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.SpanKindClient, s.Kind())
		}},
		{"kind SpanKind.*", `"kind":"SpanKind.PRODUCER"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.SpanKindProducer, s.Kind())
		}},
		{"kind SPAN_KIND_*", `"kind":"SPAN_KIND_SERVER"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.SpanKindServer, s.Kind())
		}},
		{"kind as an OTLP number", `"kind":5`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.SpanKindConsumer, s.Kind())
		}},
		{"unknown kind", `"kind":"SpanKind.AGENT"`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.SpanKindUnspecified, s.Kind())
		}},
		{"status ERROR with its description", `"status":{"status_code":"error","description":"boom"}`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.StatusCodeError, s.Status().Code())
			assert.Equal(t, "boom", s.Status().Message())
		}},
		{"status STATUS_CODE_ERROR", `"status":{"status_code":"STATUS_CODE_ERROR","description":null}`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.StatusCodeError, s.Status().Code())
			assert.Empty(t, s.Status().Message())
		}},
		{"status OK keeps no description", `"status":{"status_code":"StatusCode.OK","description":"fine"}`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.StatusCodeOk, s.Status().Code())
			assert.Empty(t, s.Status().Message())
		}},
		{"status as a number, or a bare string", `"status":2`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.StatusCodeError, s.Status().Code())
		}},
		{"unknown status", `"status":{"status_code":"StatusCode.MAYBE"}`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, ptrace.StatusCodeUnset, s.Status().Code())
		}},
		{"attributes keep their JSON types", `"attributes":{"n":3,"f":1.5,"b":false,"s":"x","l":[1,2],"m":{"k":"v"},"z":null}`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, map[string]any{"n": int64(3), "f": 1.5, "b": false, "s": "x", "l": []any{int64(1), int64(2)}, "m": map[string]any{"k": "v"}, "z": nil}, s.Attributes().AsRaw())
		}},
		{"attributes that are no object", `"attributes":"a=b"`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Zero(t, s.Attributes().Len())
		}},
		{"members without a mapping are kept; id is not", `"id":77,"trace_name":"checkout","score":{"v":1}`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, map[string]any{"promptlayer.trace_name": "checkout", "promptlayer.score": map[string]any{"v": int64(1)}}, s.Attributes().AsRaw())
		}},
		{"request_log_id as a numeric string", `"request_log_id":"7"`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, int64(7), s.Attributes().AsRaw()["promptlayer.request_log_id"])
			assert.Equal(t, "gpt-4o", s.Attributes().AsRaw()["gen_ai.request.model"], "enriched")
		}},
		{"request_log_id true or null means none", `"request_log_id":true`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Zero(t, s.Attributes().Len())
		}},
		{"request_log_id that is no id", `"request_log_id":-3`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Zero(t, s.Attributes().Len())
		}},
		{"trace state kept", `"context":{"trace_state":"congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"}`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Equal(t, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", s.TraceState().AsRaw())
		}},
		{"Python's empty trace state", `"context":{"trace_state":"TraceState([])"}`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Empty(t, s.TraceState().AsRaw())
		}},
		{"a trace state that is no W3C string", `"context":{"trace_state":"[('k', 'v')]"}`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			assert.Empty(t, s.TraceState().AsRaw())
		}},
		{"event without a timestamp is at the span's start", `"events":[{"name":"retry","attributes":{"attempt":2}}]`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			require.Equal(t, 1, s.Events().Len())
			assert.Equal(t, s.StartTimestamp(), s.Events().At(0).Timestamp())
			assert.Equal(t, map[string]any{"attempt": int64(2)}, s.Events().At(0).Attributes().AsRaw())
		}},
		{"event that is no object", `"events":["boom",{"name":"ok","timestamp":"2026-03-20T14:02:11.5Z","attributes":null}]`, 1, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			require.Equal(t, 1, s.Events().Len())
			assert.Equal(t, ts("2026-03-20T14:02:11.5Z"), s.Events().At(0).Timestamp())
		}},
		{"link with flat ids", `"span_id":"00f067aa0ba902b7","links":[{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"}]`, 0, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			require.Equal(t, 1, s.Links().Len())
			assert.Equal(t, "b7ad6b7169203331", s.Links().At(0).SpanID().String())
		}},
		{"link with ids that are no hex", `"span_id":"00f067aa0ba902b7","links":[{"context":{"trace_id":"t-1","span_id":"s-1"}}]`, 2, func(t *testing.T, s ptrace.Span, _ pcommon.Resource) {
			require.Equal(t, 1, s.Links().Len())
			assert.Equal(t, convert.TraceIDOrHash("t-1", Name, quirkTrace), s.Links().At(0).TraceID())
		}},
		{"no resource: service.name promptlayer", ``, 0, func(t *testing.T, _ ptrace.Span, res pcommon.Resource) {
			assert.Equal(t, map[string]any{"service.name": "promptlayer", "llmtrace.vendor": "promptlayer", "llmtrace.project": "key-test"}, res.Attributes().AsRaw())
		}},
		{"the resource's service.name is kept; llmtrace.* are the receiver's", `"resource":{"attributes":{"service.name":"bot","llmtrace.vendor":"x","host.name":"h1"},"schema_url":""}`, 0, func(t *testing.T, _ ptrace.Span, res pcommon.Resource) {
			assert.Equal(t, map[string]any{"service.name": "bot", "host.name": "h1", "llmtrace.vendor": "promptlayer", "llmtrace.project": "key-test"}, res.Attributes().AsRaw())
		}},
		{"a resource service.name that is no string", `"resource":{"attributes":{"service.name":7}}`, 0, func(t *testing.T, _ ptrace.Span, res pcommon.Resource) {
			assert.Equal(t, "promptlayer", res.Attributes().AsRaw()["service.name"])
		}},
	}
	logs := map[int64]*requestLog{7: {ID: 7, Model: "gpt-4o"}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, res, warns := convertOne(t, tc.members, logs, "")
			assert.Equal(t, tc.warns, warns, "warnings")
			tc.check(t, s, res)
		})
	}
}

func TestConfiguredServiceNameWins(t *testing.T) {
	_, res, _ := convertOne(t, `"resource":{"attributes":{"service.name":"bot"}}`, nil, "support")
	assert.Equal(t, "support", res.Attributes().AsRaw()["service.name"])
}

func TestSpansOfOneResourceShareIt(t *testing.T) {
	body := `{"success":true,"spans":[
		{"span_id":"0000000000000001","resource":{"attributes":{"service.name":"a"}}},
		{"span_id":"0000000000000002","resource":{"attributes":{"service.name":"b"}}},
		{"span_id":"0000000000000003","resource":{"attributes":{"service.name":"a"}}}]}`
	td, _, err := newConverter("p", "", nil).trace(pcommon.TraceID{1}, []byte(body), nil, time.Time{})
	require.NoError(t, err)
	require.Equal(t, 2, td.ResourceSpans().Len())
	assert.Equal(t, 2, td.ResourceSpans().At(0).ScopeSpans().At(0).Spans().Len())
	assert.Equal(t, 1, td.ResourceSpans().At(1).ScopeSpans().At(0).Spans().Len())
}

// TestEnrichmentQuirks: what a request log adds to its span.
func TestEnrichmentQuirks(t *testing.T) {
	tests := []struct {
		name    string
		members string
		log     requestLog
		want    map[string]any
	}{
		{"the span's own attributes win", `"attributes":{"gen_ai.request.model":"gpt-4o-2024-08-06","gen_ai.usage.input_tokens":10}`,
			requestLog{Model: "gpt-4o", InputTokens: 12, HasInput: true, OutputTokens: 3, HasOutput: true},
			map[string]any{"gen_ai.request.model": "gpt-4o-2024-08-06", "gen_ai.usage.input_tokens": int64(10), "gen_ai.usage.output_tokens": int64(3)}},
		{"price null right after ingest is left out", ``, requestLog{Model: "m"}, map[string]any{"gen_ai.request.model": "m"}},
		{"price 0 is a price", ``, requestLog{HasPrice: true}, map[string]any{"promptlayer.price": 0.0}},
		{"amazon.bedrock", ``, requestLog{Provider: "amazon.bedrock"}, map[string]any{"gen_ai.provider.name": "aws.bedrock"}},
		{"openai.azure", ``, requestLog{Provider: "openai.azure"}, map[string]any{"gen_ai.provider.name": "azure.ai.openai"}},
		{"google", ``, requestLog{Provider: "google"}, map[string]any{"gen_ai.provider.name": "gcp.gemini"}},
		{"vertexai", ``, requestLog{Provider: "vertexai"}, map[string]any{"gen_ai.provider.name": "gcp.vertex_ai"}},
		{"an unknown provider, lower-cased", ``, requestLog{Provider: "HuggingFace"}, map[string]any{"gen_ai.provider.name": "huggingface"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.log.ID = 7
			s, _, warns := convertOne(t, tc.members+`,"request_log_id":7`, map[int64]*requestLog{7: &tc.log}, "")
			assert.Zero(t, warns)
			want := map[string]any{"promptlayer.request_log_id": int64(7)}
			for k, v := range tc.want {
				want[k] = v
			}
			assert.Equal(t, want, s.Attributes().AsRaw())
		})
	}
}

// TestRequestLogQuirks: what the request log detail says.
func TestRequestLogQuirks(t *testing.T) {
	tests := []struct {
		name  string
		body  string
		check func(t *testing.T, r *requestLog)
	}{
		{"embeddings by the model's api_type", `{"prompt_blueprint":{"prompt_template":{"type":"completion","content":[{"type":"text","text":"x"}]},"metadata":{"model":{"api_type":"embeddings"}}}}`,
			func(t *testing.T, r *requestLog) {
				assert.Equal(t, "embeddings", r.Operation)
				assert.Empty(t, r.Messages)
			}},
		{"a completion template", `{"prompt_blueprint":{"prompt_template":{"type":"completion"}}}`,
			func(t *testing.T, r *requestLog) { assert.Equal(t, "text_completion", r.Operation) }},
		{"no template", `{"prompt_blueprint":{}}`,
			func(t *testing.T, r *requestLog) { assert.Empty(t, r.Operation) }},
		{"provider and model from the blueprint when the log lacks them", `{"prompt_blueprint":{"metadata":{"model":{"provider":"anthropic","name":"claude-sonnet-4"}}}}`,
			func(t *testing.T, r *requestLog) {
				assert.Equal(t, "anthropic", r.Provider)
				assert.Equal(t, "claude-sonnet-4", r.Model)
			}},
		{"trace_id null: no trace", `{"trace_id":null,"price":null}`,
			func(t *testing.T, r *requestLog) { assert.Empty(t, r.TraceID); assert.False(t, r.HasPrice) }},
		{"tool calls and tool results", `{"prompt_blueprint":{"prompt_template":{"type":"chat","messages":[
			{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_order","arguments":"{\"id\":\"A-1\"}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":[{"type":"text","text":"shipped"}]}]}}}`,
			func(t *testing.T, r *requestLog) {
				assert.JSONEq(t, `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_order","arguments":{"id":"A-1"}}]},
					{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"shipped"}]}]`, r.Messages)
			}},
		{"messages that are no chat messages", `{"prompt_blueprint":{"prompt_template":{"type":"chat","messages":[3]}}}`,
			func(t *testing.T, r *requestLog) { assert.Empty(t, r.Messages); assert.Equal(t, 1, r.Problems) }},
		{"an unreadable time", `{"request_start_time":"noon"}`,
			func(t *testing.T, r *requestLog) { assert.True(t, r.Start.IsZero()); assert.Equal(t, 1, r.Problems) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := decodeRequest([]byte(tc.body))
			require.NoError(t, err)
			tc.check(t, r)
		})
	}
}

// TestUntracedNames: the span of a request log without a trace is named
// after its prompt, else its operation and model.
func TestUntracedNames(t *testing.T) {
	c := newConverter("p", "", nil)
	at := time.Date(2026, 3, 20, 14, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		log  requestLog
		want string
	}{
		{requestLog{PromptName: "support-answer", Model: "gpt-4o", Operation: "chat"}, "support-answer"},
		{requestLog{Model: "gpt-4o", Operation: "chat"}, "chat gpt-4o"},
		{requestLog{Model: "gpt-4o"}, "gpt-4o"},
		{requestLog{}, "request 42"},
	} {
		tc.log.ID, tc.log.Start = 42, at
		tr := c.logTrace(&tc.log)
		s := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
		assert.Equal(t, tc.want, s.Name())
	}
	tr := c.logTrace(&requestLog{ID: 42, Start: at, Status: "WARNING"})
	s := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0)
	assert.Equal(t, ptrace.StatusCodeUnset, s.Status().Code())
	assert.Equal(t, "WARNING", s.Attributes().AsRaw()["promptlayer.status"])
	assert.Equal(t, s.StartTimestamp(), s.EndTimestamp(), "no end: the start")
	wantTrace, wantSpan := logIDs("p", 42)
	assert.Equal(t, convert.HashTraceID("promptlayer", "p", "request_log", "42"), wantTrace, "the documented derivation")
	assert.Equal(t, convert.HashSpanID("promptlayer", "p", "request_log", "42"), wantSpan)
	assert.Equal(t, wantTrace, tr.ID)
	other, _ := logIDs("key-another-workspace", 42)
	assert.NotEqual(t, wantTrace, other, "the same request id in another workspace or deployment is another trace")
}

func TestParseKindAndStatus(t *testing.T) {
	for in, want := range map[string]ptrace.SpanKind{
		"": ptrace.SpanKindUnspecified, "INTERNAL": ptrace.SpanKindInternal, "SpanKind.SERVER": ptrace.SpanKindServer,
		"span_kind_client": ptrace.SpanKindClient, "Producer": ptrace.SpanKindProducer, "3": ptrace.SpanKindClient,
		"SPAN_KIND_UNSPECIFIED": ptrace.SpanKindUnspecified,
	} {
		got, ok := parseKind(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"9", "-1", "SpanKind.", "CLIENTS"} {
		_, ok := parseKind(bad)
		assert.False(t, ok, bad)
	}
	for in, want := range map[string]ptrace.StatusCode{
		"": ptrace.StatusCodeUnset, "StatusCode.UNSET": ptrace.StatusCodeUnset, "ok": ptrace.StatusCodeOk,
		"STATUS_CODE_ERROR": ptrace.StatusCodeError, "statuscode.error": ptrace.StatusCodeError, "1": ptrace.StatusCodeOk,
	} {
		got, ok := parseStatus(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"3", "FAILED"} {
		_, ok := parseStatus(bad)
		assert.False(t, ok, bad)
	}
}
