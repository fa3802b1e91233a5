package langtrace

import (
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/golden"
	"github.com/open-telemetry/opentelemetry-collector-contrib/pkg/pdatatest/ptracetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

const testProject = "cm2ohrwqd0001l7ahy3vquh7t"

// convertPage converts a response body and counts the warnings.
func convertPage(t *testing.T, body []byte) ([]poll.Trace, pageMeta, int) {
	t.Helper()
	warnings := 0
	c := newConverter(testProject, "", func() { warnings++ })
	traces, meta, err := c.page(body)
	require.NoError(t, err)
	return traces, meta, warnings
}

// spansOf returns the span slice of a converted trace.
func spansOf(tr poll.Trace) ptrace.SpanSlice {
	return tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
}

func TestSeedResponse(t *testing.T) {
	body, err := os.ReadFile(filepath.Join("testdata", "seed_response.json"))
	require.NoError(t, err)
	traces, meta, warnings := convertPage(t, body)
	assert.Equal(t, pageMeta{Page: 1, PageSize: 1, TotalPages: 10}, meta)
	assert.Zero(t, warnings)
	require.Len(t, traces, 1)
	tr := traces[0]

	goldenPath := filepath.Join("testdata", "seed_traces.yaml")
	if *update {
		require.NoError(t, golden.WriteTraces(t, goldenPath, tr.Spans))
	}
	want, err := golden.ReadTraces(goldenPath)
	require.NoError(t, err)
	require.NoError(t, ptracetest.CompareTraces(want, tr.Spans))

	wantTraceID := mustHex(t, "ebc4fe02c5291fdb1981228f49030cc4")
	assert.Equal(t, pcommon.TraceID(wantTraceID), tr.ID)
	assert.Equal(t, time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC), tr.Time)
	assert.True(t, tr.Updated.IsZero())

	res := tr.Spans.ResourceSpans().At(0).Resource().Attributes().AsRaw()
	assert.Equal(t, map[string]any{
		poll.AttrServiceName: testProject, poll.AttrVendor: "langtrace", poll.AttrProject: testProject,
	}, res)
	assert.Equal(t, poll.ScopeName, tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Scope().Name())

	spans := spansOf(tr)
	require.Equal(t, 1, spans.Len())
	s := spans.At(0)
	assert.Equal(t, pcommon.TraceID(wantTraceID), s.TraceID())
	assert.Equal(t, pcommon.SpanID(mustHex(t, "1c164d07b2c0fe71")), s.SpanID())
	assert.True(t, s.ParentSpanID().IsEmpty(), "root span")
	assert.Equal(t, "openai.chat.completions.create", s.Name())
	assert.Equal(t, ptrace.SpanKindInternal, s.Kind(), "kind 0 is INTERNAL in the SDK numbering")
	assert.Empty(t, s.TraceState().AsRaw())
	assert.Equal(t, time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC), s.StartTimestamp().AsTime())
	assert.Equal(t, time.Date(2024, 8, 8, 21, 25, 31, 83383000, time.UTC), s.EndTimestamp().AsTime())
	assert.Equal(t, ptrace.StatusCodeOk, s.Status().Code())
	assert.Empty(t, s.Status().Message())
	assert.Equal(t, 0, s.Links().Len())

	prompt := "You are a friendly customer support agent for Langtrace AI. You are helping a user with a question. Please provide a helpful response. Important: The response should be helpful and informative. DO NOT make up any information. Given some Context and a User Question, answer the question based on the provided context."
	completion := "Hello! I'm doing well, thank you! How can I assist you today with Langtrace or any of your questions?"

	// Every attribute Langtrace sent, in order and with its JSON type, then
	// the current GenAI names.
	attrs := s.Attributes()
	wantAttrs := []struct {
		key string
		typ pcommon.ValueType
		val any
	}{
		{"langtrace.service.name", pcommon.ValueTypeStr, "OpenAI"},
		{"langtrace.service.type", pcommon.ValueTypeStr, "llm"},
		{"langtrace.service.version", pcommon.ValueTypeStr, "1.37.1"},
		{"langtrace.version", pcommon.ValueTypeStr, "2.2.17"},
		{"langtrace.sdk.name", pcommon.ValueTypeStr, "langtrace-python-sdk"},
		{"url.full", pcommon.ValueTypeStr, "https://api.openai.com/v1/"},
		{"url.path", pcommon.ValueTypeStr, "/chat/completions"},
		{"gen_ai.operation.name", pcommon.ValueTypeStr, "chat"},
		{"gen_ai.request.model", pcommon.ValueTypeStr, "gpt-4o-mini"},
		{"gen_ai.request.stream", pcommon.ValueTypeBool, false},
		{"gen_ai.system", pcommon.ValueTypeStr, "openai"},
		{"gen_ai.response.model", pcommon.ValueTypeStr, "gpt-4o-mini-2024-07-18"},
		{"gen_ai.system_fingerprint", pcommon.ValueTypeStr, "fp_48196bc67a"},
		{"gen_ai.usage.input_tokens", pcommon.ValueTypeInt, int64(357)},
		{"gen_ai.usage.output_tokens", pcommon.ValueTypeInt, int64(24)},
		{"gen_ai.usage.total_tokens", pcommon.ValueTypeInt, int64(381)},
		{"gen_ai.provider.name", pcommon.ValueTypeStr, "openai"},
		{"gen_ai.input.messages", pcommon.ValueTypeStr, `[{"role":"system","parts":[{"type":"text","content":"` + prompt + `"}]}]`},
		{"gen_ai.output.messages", pcommon.ValueTypeStr, `[{"role":"assistant","parts":[{"type":"text","content":"` + completion + `"}]}]`},
	}
	require.Equal(t, len(wantAttrs), attrs.Len())
	i := 0
	for k, v := range attrs.All() {
		w := wantAttrs[i]
		assert.Equal(t, w.key, k, "attribute %d", i)
		assert.Equal(t, w.typ, v.Type(), k)
		assert.Equal(t, w.val, v.AsRaw(), k)
		i++
	}

	require.Equal(t, 2, s.Events().Len())
	ev := s.Events().At(0)
	assert.Equal(t, "gen_ai.content.prompt", ev.Name())
	assert.Equal(t, time.Date(2024, 8, 8, 21, 25, 30, 276067000, time.UTC), ev.Timestamp().AsTime())
	assert.Equal(t, map[string]any{genai.PromptDeprecated: []any{map[string]any{"role": "system", "content": prompt}}}, ev.Attributes().AsRaw())
	ev = s.Events().At(1)
	assert.Equal(t, "gen_ai.content.completion", ev.Name())
	assert.Equal(t, time.Date(2024, 8, 8, 21, 25, 31, 83279000, time.UTC), ev.Timestamp().AsTime())
	assert.Equal(t, map[string]any{genai.CompletionDeprecated: []any{map[string]any{"role": "assistant", "content": completion}}}, ev.Attributes().AsRaw())
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	require.NoError(t, err)
	return b
}

// Test spans are built from a span in the current server's shape (every
// column a string) with per-case changes.

const (
	testTraceHex  = "ebc4fe02c5291fdb1981228f49030cc4"
	testSpanHex   = "1c164d07b2c0fe71"
	testParentHex = "00f067aa0ba902b7"
)

func baseSpan() map[string]any {
	return map[string]any{
		"name":        "openai.chat.completions.create",
		"trace_id":    "0x" + testTraceHex,
		"span_id":     "0x" + testSpanHex,
		"trace_state": "[]",
		"kind":        "2",
		"parent_id":   "0x" + testParentHex,
		"start_time":  "2024-08-08T21:25:30.275984Z",
		"end_time":    "2024-08-08T21:25:31.083383Z",
		"attributes":  `{"gen_ai.system":"openai"}`,
		"status_code": "OK",
		"events":      "[]",
		"links":       "[]",
		"duration":    "807399",
	}
}

// with returns span with the given fields set; a nil value removes it.
func with(span map[string]any, kv ...any) map[string]any {
	for i := 0; i < len(kv); i += 2 {
		k := kv[i].(string)
		if kv[i+1] == nil {
			delete(span, k)
			continue
		}
		span[k] = kv[i+1]
	}
	return span
}

// pageOf builds a response body with the given traces.
func pageOf(t *testing.T, traces ...[]map[string]any) []byte {
	t.Helper()
	if traces == nil {
		traces = [][]map[string]any{}
	}
	b, err := json.Marshal(map[string]any{"traces": map[string]any{
		"result":   traces,
		"metadata": map[string]any{"page": 1, "page_size": 100, "total_pages": 1},
	}})
	require.NoError(t, err)
	return b
}

// jsonString encodes v as JSON text, as Langtrace stores attributes,
// events and links.
func jsonString(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

// convertSpan converts a page holding only span.
func convertSpan(t *testing.T, span map[string]any) (ptrace.Span, int) {
	t.Helper()
	traces, _, warnings := convertPage(t, pageOf(t, []map[string]any{span}))
	require.Len(t, traces, 1)
	require.Equal(t, 1, spansOf(traces[0]).Len())
	return spansOf(traces[0]).At(0), warnings
}

func b64(t *testing.T, h string) string {
	return base64.StdEncoding.EncodeToString(mustHex(t, h))
}

func TestIDs(t *testing.T) {
	traceID := pcommon.TraceID(mustHex(t, testTraceHex))
	spanID := pcommon.SpanID(mustHex(t, testSpanHex))
	parentID := pcommon.SpanID(mustHex(t, testParentHex))
	tests := []struct {
		name                string
		trace, span, parent any
		wantParent          pcommon.SpanID
		wantWarnings        int
	}{
		{name: "0x hex (python SDK)", trace: "0x" + testTraceHex, span: "0x" + testSpanHex, parent: "0x" + testParentHex, wantParent: parentID},
		{name: "plain hex (TypeScript SDK, OTLP/JSON)", trace: testTraceHex, span: testSpanHex, parent: testParentHex, wantParent: parentID},
		{name: "upper-case hex", trace: "0X" + "EBC4FE02C5291FDB1981228F49030CC4", span: "1C164D07B2C0FE71", parent: testParentHex, wantParent: parentID},
		{name: "base64 (OTLP/protobuf ingest)", trace: b64(t, testTraceHex), span: b64(t, testSpanHex), parent: b64(t, testParentHex), wantParent: parentID},
		{name: "empty parent is root", trace: testTraceHex, span: testSpanHex, parent: ""},
		{name: "null parent is root", trace: testTraceHex, span: testSpanHex, parent: nil},
		{name: "all-zero parent is root", trace: testTraceHex, span: testSpanHex, parent: "0x0000000000000000"},
		{name: "python None parent is root", trace: testTraceHex, span: testSpanHex, parent: "None"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			span := with(baseSpan(), "trace_id", tt.trace, "span_id", tt.span, "parent_id", tt.parent)
			if tt.parent == nil {
				span["parent_id"] = nil // JSON null
			}
			s, warnings := convertSpan(t, span)
			assert.Equal(t, traceID, s.TraceID())
			assert.Equal(t, spanID, s.SpanID())
			assert.Equal(t, tt.wantParent, s.ParentSpanID())
			assert.Equal(t, tt.wantWarnings, warnings)
		})
	}
}

func TestUnparseableIDsAreHashedDeterministically(t *testing.T) {
	span := func() map[string]any {
		return with(baseSpan(), "trace_id", "trace-abc", "span_id", "span-1", "parent_id", "span-0")
	}
	a, warnings := convertSpan(t, span())
	assert.Equal(t, 3, warnings, "trace id, span id and parent id")
	b, _ := convertSpan(t, span())
	assert.False(t, a.TraceID().IsEmpty())
	assert.False(t, a.SpanID().IsEmpty())
	assert.False(t, a.ParentSpanID().IsEmpty())
	assert.Equal(t, a.TraceID(), b.TraceID())
	assert.Equal(t, a.SpanID(), b.SpanID())
	assert.Equal(t, a.ParentSpanID(), b.ParentSpanID())

	// The parent's hashed id matches the hashed span id of the parent.
	parent, _ := convertSpan(t, with(span(), "span_id", "span-0", "parent_id", ""))
	assert.Equal(t, parent.SpanID(), a.ParentSpanID())

	// A span without any id still gets stable ids.
	c, warnings := convertSpan(t, with(baseSpan(), "trace_id", nil, "span_id", nil))
	assert.Equal(t, 2, warnings)
	d, _ := convertSpan(t, with(baseSpan(), "trace_id", nil, "span_id", nil))
	assert.False(t, c.TraceID().IsEmpty())
	assert.Equal(t, c.TraceID(), d.TraceID())
	assert.Equal(t, c.SpanID(), d.SpanID())
}

func TestKind(t *testing.T) {
	tests := []struct {
		kind        any // nil: field missing
		want        ptrace.SpanKind
		wantWarning bool
	}{
		{kind: 0, want: ptrace.SpanKindInternal},
		{kind: "0", want: ptrace.SpanKindInternal},
		{kind: "1", want: ptrace.SpanKindServer},
		{kind: 2, want: ptrace.SpanKindClient},
		{kind: "2", want: ptrace.SpanKindClient},
		{kind: 2.0, want: ptrace.SpanKindClient},
		{kind: "3", want: ptrace.SpanKindProducer},
		{kind: "4", want: ptrace.SpanKindConsumer},
		{kind: "SpanKind.CLIENT", want: ptrace.SpanKindClient},
		{kind: "SpanKind.SERVER", want: ptrace.SpanKindServer},
		{kind: "SPAN_KIND_CLIENT", want: ptrace.SpanKindClient},
		{kind: "SPAN_KIND_CONSUMER", want: ptrace.SpanKindConsumer},
		{kind: "SPAN_KIND_UNSPECIFIED", want: ptrace.SpanKindUnspecified},
		{kind: "CLIENT", want: ptrace.SpanKindClient},
		{kind: "producer", want: ptrace.SpanKindProducer},
		{kind: "INTERNAL", want: ptrace.SpanKindInternal},
		{kind: nil, want: ptrace.SpanKindUnspecified},
		{kind: "", want: ptrace.SpanKindUnspecified},
		{kind: "5", want: ptrace.SpanKindUnspecified, wantWarning: true},
		{kind: -1, want: ptrace.SpanKindUnspecified, wantWarning: true},
		{kind: "NaN", want: ptrace.SpanKindUnspecified, wantWarning: true},
		{kind: "SpanKind.BOGUS", want: ptrace.SpanKindUnspecified, wantWarning: true},
		{kind: map[string]any{"x": 1}, want: ptrace.SpanKindUnspecified, wantWarning: true},
	}
	for _, tt := range tests {
		t.Run(jsonString(t, tt.kind), func(t *testing.T) {
			s, warnings := convertSpan(t, with(baseSpan(), "kind", tt.kind))
			assert.Equal(t, tt.want, s.Kind())
			assert.Equal(t, tt.wantWarning, warnings > 0)
		})
	}
}

func TestDurationIsIgnored(t *testing.T) {
	for _, d := range []any{"807399", 807399, 807.399, "807.399", "garbage", map[string]any{}, nil} {
		t.Run(jsonString(t, d), func(t *testing.T) {
			s, warnings := convertSpan(t, with(baseSpan(), "duration", d))
			assert.Zero(t, warnings)
			assert.Equal(t, time.Date(2024, 8, 8, 21, 25, 31, 83383000, time.UTC), s.EndTimestamp().AsTime())
		})
	}
}

func TestTimestamps(t *testing.T) {
	tests := []struct {
		name         string
		start, end   any // nil: field missing
		wantStart    time.Time
		wantEnd      time.Time // zero: in progress
		wantWarnings int
	}{
		{name: "microseconds (python SDK)", start: "2024-08-08T21:25:30.275984Z", end: "2024-08-08T21:25:31.083383Z",
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC), wantEnd: time.Date(2024, 8, 8, 21, 25, 31, 83383000, time.UTC)},
		{name: "milliseconds (OTLP ingest)", start: "2024-08-08T21:25:30.275Z", end: "2024-08-08T21:25:31.083Z",
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275000000, time.UTC), wantEnd: time.Date(2024, 8, 8, 21, 25, 31, 83000000, time.UTC)},
		{name: "no fraction", start: "2024-08-08T21:25:30Z", end: "2024-08-08T21:25:31Z",
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 0, time.UTC), wantEnd: time.Date(2024, 8, 8, 21, 25, 31, 0, time.UTC)},
		{name: "no zone is UTC", start: "2024-08-08 21:25:30.275984", end: "2024-08-08T21:25:31.083383",
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC), wantEnd: time.Date(2024, 8, 8, 21, 25, 31, 83383000, time.UTC)},
		{name: "offset", start: "2024-08-08T23:25:30.275984+02:00", end: "2024-08-08T21:25:31.083383Z",
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC), wantEnd: time.Date(2024, 8, 8, 21, 25, 31, 83383000, time.UTC)},
		{name: "hrtime pairs (TypeScript SDK)", start: []any{1723152330, 275984123}, end: []any{1723152331, 83383456},
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275984123, time.UTC), wantEnd: time.Date(2024, 8, 8, 21, 25, 31, 83383456, time.UTC)},
		{name: "epoch milliseconds", start: 1723152330275, end: "1723152331083",
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275000000, time.UTC), wantEnd: time.Date(2024, 8, 8, 21, 25, 31, 83000000, time.UTC)},
		{name: "missing end: in progress", start: "2024-08-08T21:25:30.275984Z", end: nil,
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC)},
		{name: "empty end: in progress", start: "2024-08-08T21:25:30.275984Z", end: "",
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC)},
		{name: "unreadable end", start: "2024-08-08T21:25:30.275984Z", end: "yesterday",
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC), wantWarnings: 1},
		{name: "bad hrtime", start: "2024-08-08T21:25:30.275984Z", end: []any{1, 2, 3},
			wantStart: time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC), wantWarnings: 1},
		{name: "missing start takes the end", start: nil, end: "2024-08-08T21:25:31.083383Z",
			wantStart: time.Date(2024, 8, 8, 21, 25, 31, 83383000, time.UTC), wantEnd: time.Date(2024, 8, 8, 21, 25, 31, 83383000, time.UTC), wantWarnings: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			traces, _, warnings := convertPage(t, pageOf(t, []map[string]any{with(baseSpan(), "start_time", tt.start, "end_time", tt.end)}))
			require.Len(t, traces, 1)
			s := spansOf(traces[0]).At(0)
			assert.Equal(t, tt.wantStart, s.StartTimestamp().AsTime())
			if tt.wantEnd.IsZero() {
				assert.Equal(t, pcommon.Timestamp(0), s.EndTimestamp(), "in progress")
			} else {
				assert.Equal(t, tt.wantEnd, s.EndTimestamp().AsTime())
			}
			assert.Equal(t, tt.wantWarnings, warnings)
			if tt.start != nil {
				assert.Equal(t, tt.wantStart, traces[0].Time)
			}
		})
	}
}

func TestStatus(t *testing.T) {
	tests := []struct {
		name        string
		fields      []any
		want        ptrace.StatusCode
		wantMessage string
		wantWarning bool
	}{
		{name: "OK", fields: []any{"status_code", "OK"}, want: ptrace.StatusCodeOk},
		{name: "ERROR", fields: []any{"status_code", "ERROR"}, want: ptrace.StatusCodeError},
		{name: "UNSET", fields: []any{"status_code", "UNSET"}, want: ptrace.StatusCodeUnset},
		{name: "lower case", fields: []any{"status_code", "error"}, want: ptrace.StatusCodeError},
		{name: "STATUS_CODE_OK (OTLP/protobuf ingest)", fields: []any{"status_code", "STATUS_CODE_OK"}, want: ptrace.StatusCodeOk},
		{name: "STATUS_CODE_ERROR", fields: []any{"status_code", "STATUS_CODE_ERROR"}, want: ptrace.StatusCodeError},
		{name: "STATUS_CODE_UNSET", fields: []any{"status_code", "STATUS_CODE_UNSET"}, want: ptrace.StatusCodeUnset},
		{name: "StatusCode.ERROR (python)", fields: []any{"status_code", "StatusCode.ERROR"}, want: ptrace.StatusCodeError},
		{name: "number 0", fields: []any{"status_code", 0}, want: ptrace.StatusCodeUnset},
		{name: "number 1", fields: []any{"status_code", 1}, want: ptrace.StatusCodeOk},
		{name: "number 2", fields: []any{"status_code", 2}, want: ptrace.StatusCodeError},
		{name: "numeric string", fields: []any{"status_code", "2"}, want: ptrace.StatusCodeError},
		{name: "missing", fields: []any{"status_code", nil}, want: ptrace.StatusCodeUnset},
		{name: "empty", fields: []any{"status_code", ""}, want: ptrace.StatusCodeUnset},
		{name: "unknown", fields: []any{"status_code", "FINE"}, want: ptrace.StatusCodeUnset, wantWarning: true},
		{name: "out of range", fields: []any{"status_code", 7}, want: ptrace.StatusCodeUnset, wantWarning: true},
		{name: "status_message", fields: []any{"status_code", "ERROR", "status_message", "rate limited"}, want: ptrace.StatusCodeError, wantMessage: "rate limited"},
		{name: "status object (python to_json)", fields: []any{"status_code", nil, "status", map[string]any{"status_code": "ERROR", "description": "boom"}},
			want: ptrace.StatusCodeError, wantMessage: "boom"},
		{name: "status object (OTLP)", fields: []any{"status_code", nil, "status", map[string]any{"code": 2, "message": "timeout"}},
			want: ptrace.StatusCodeError, wantMessage: "timeout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings := convertSpan(t, with(baseSpan(), tt.fields...))
			assert.Equal(t, tt.want, s.Status().Code())
			assert.Equal(t, tt.wantMessage, s.Status().Message())
			assert.Equal(t, tt.wantWarning, warnings > 0)
		})
	}
}

func TestAttributes(t *testing.T) {
	tests := []struct {
		name         string
		attributes   any
		want         map[string]any
		wantWarnings int
	}{
		{
			name:       "JSON types are kept",
			attributes: `{"s":"x","i":42,"neg":-7,"f":0.25,"e":1e3,"big":123456789012345678901,"t":true,"n":null,"a":[1,"two",3.5,false],"o":{"k":[{"d":1}]},"u":"caf\u00e9 \ud83d\ude00"}`,
			want: map[string]any{
				"s": "x", "i": int64(42), "neg": int64(-7), "f": 0.25, "e": 1000.0, "big": 123456789012345678901.0, "t": true, "n": nil,
				"a": []any{int64(1), "two", 3.5, false}, "o": map[string]any{"k": []any{map[string]any{"d": int64(1)}}}, "u": "café 😀",
			},
		},
		{name: "already decoded object", attributes: map[string]any{"i": 1, "s": "x"}, want: map[string]any{"i": int64(1), "s": "x"}},
		{name: "empty", attributes: "", want: map[string]any{}},
		{name: "null", attributes: nil, want: map[string]any{}},
		{name: "empty object", attributes: "{}", want: map[string]any{}},
		{name: "malformed: what was read is kept", attributes: `{"a":1,"b":"two","c":`, want: map[string]any{"a": int64(1), "b": "two"}, wantWarnings: 1},
		{name: "malformed: bad value", attributes: `{"a":1,"b":tru,"c":3}`, want: map[string]any{"a": int64(1)}, wantWarnings: 1},
		{name: "not JSON", attributes: `not json`, want: map[string]any{}, wantWarnings: 1},
		{name: "not an object", attributes: `[1,2]`, want: map[string]any{}, wantWarnings: 1},
		{name: "trailing data", attributes: `{"a":1} x`, want: map[string]any{"a": int64(1)}, wantWarnings: 1},
		{name: "repeated key keeps the last value", attributes: `{"a":1,"a":2}`, want: map[string]any{"a": int64(2)}},
		{name: "escaped key", attributes: `{"a\"b":1}`, want: map[string]any{`a"b`: int64(1)}},
		{name: "invalid UTF-8 is replaced", attributes: "{\"a\":\"x\xffy\"}", want: map[string]any{"a": "x\uFFFDy"}},
		{name: "number as attribute value", attributes: 5, want: map[string]any{}, wantWarnings: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings := convertSpan(t, with(baseSpan(), "attributes", tt.attributes))
			assert.Equal(t, tt.want, s.Attributes().AsRaw())
			assert.Equal(t, tt.wantWarnings, warnings)
		})
	}
}

func TestGenAIAttributes(t *testing.T) {
	tests := []struct {
		name       string
		attributes map[string]any
		want       map[string]any
	}{
		{
			name:       "provider from gen_ai.system",
			attributes: map[string]any{"gen_ai.system": "Anthropic"},
			want:       map[string]any{"gen_ai.system": "Anthropic", "gen_ai.provider.name": "anthropic"},
		},
		{
			name:       "provider already set is kept",
			attributes: map[string]any{"gen_ai.system": "openai", "gen_ai.provider.name": "azure.ai.openai"},
			want:       map[string]any{"gen_ai.system": "openai", "gen_ai.provider.name": "azure.ai.openai"},
		},
		{
			name:       "deprecated token names get the current ones",
			attributes: map[string]any{"gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.completion_tokens": 5},
			want: map[string]any{
				"gen_ai.usage.prompt_tokens": int64(10), "gen_ai.usage.completion_tokens": int64(5),
				"gen_ai.usage.input_tokens": int64(10), "gen_ai.usage.output_tokens": int64(5),
			},
		},
		{
			name:       "tokens as strings (OTLP ingest) become Int",
			attributes: map[string]any{"gen_ai.usage.input_tokens": "357", "gen_ai.usage.output_tokens": "24", "gen_ai.usage.total_tokens": "381", "gen_ai.usage.prompt_tokens": "357"},
			want: map[string]any{
				"gen_ai.usage.input_tokens": int64(357), "gen_ai.usage.output_tokens": int64(24), "gen_ai.usage.total_tokens": int64(381),
				"gen_ai.usage.prompt_tokens": int64(357),
			},
		},
		{
			name:       "deprecated string tokens alias as Int",
			attributes: map[string]any{"gen_ai.usage.completion_tokens": "12"},
			want:       map[string]any{"gen_ai.usage.completion_tokens": int64(12), "gen_ai.usage.output_tokens": int64(12)},
		},
		{
			name:       "current names are not overwritten",
			attributes: map[string]any{"gen_ai.usage.prompt_tokens": 10, "gen_ai.usage.input_tokens": 11},
			want:       map[string]any{"gen_ai.usage.prompt_tokens": int64(10), "gen_ai.usage.input_tokens": int64(11)},
		},
		{
			name:       "non-numeric token strings are left alone",
			attributes: map[string]any{"gen_ai.usage.input_tokens": "n/a", "gen_ai.request.max_tokens": "100"},
			want:       map[string]any{"gen_ai.usage.input_tokens": "n/a", "gen_ai.request.max_tokens": "100"},
		},
		{
			name:       "no GenAI attributes",
			attributes: map[string]any{"langtrace.service.name": "chromadb", "db.system": "chromadb"},
			want:       map[string]any{"langtrace.service.name": "chromadb", "db.system": "chromadb"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings := convertSpan(t, with(baseSpan(), "attributes", jsonString(t, tt.attributes)))
			assert.Equal(t, tt.want, s.Attributes().AsRaw())
			assert.Zero(t, warnings)
		})
	}
}

func TestEvents(t *testing.T) {
	prompt := `[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi?"}]`
	completion := `[{"role": "assistant", "content": "Hello."}]`
	tests := []struct {
		name         string
		events       any
		wantEvents   []map[string]any // name, time, attributes
		wantSpan     map[string]any   // span attributes
		wantWarnings int
	}{
		{
			name: "python SDK: ISO timestamps, content as JSON strings",
			events: jsonString(t, []any{
				map[string]any{"name": "gen_ai.content.prompt", "timestamp": "2024-08-08T21:25:30.276067Z", "attributes": map[string]any{"gen_ai.prompt": prompt}},
				map[string]any{"name": "gen_ai.content.completion", "timestamp": "2024-08-08T21:25:31.083279Z", "attributes": map[string]any{"gen_ai.completion": completion}},
			}),
			wantEvents: []map[string]any{
				{"name": "gen_ai.content.prompt", "time": time.Date(2024, 8, 8, 21, 25, 30, 276067000, time.UTC), "attributes": map[string]any{
					"gen_ai.prompt": []any{map[string]any{"role": "system", "content": "Be brief."}, map[string]any{"role": "user", "content": "Hi?"}}}},
				{"name": "gen_ai.content.completion", "time": time.Date(2024, 8, 8, 21, 25, 31, 83279000, time.UTC), "attributes": map[string]any{
					"gen_ai.completion": []any{map[string]any{"role": "assistant", "content": "Hello."}}}},
			},
			wantSpan: map[string]any{
				"gen_ai.input.messages":  `[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},{"role":"user","parts":[{"type":"text","content":"Hi?"}]}]`,
				"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"Hello."}]}]`,
			},
		},
		{
			name: "TypeScript SDK: hrtime pairs, typed attributes",
			events: jsonString(t, []any{
				map[string]any{"name": "retry", "time": []any{1723152330, 276067001}, "attributes": map[string]any{"attempt": 2, "backoff": 0.5, "final": false, "codes": []any{429, 503}}},
			}),
			wantEvents: []map[string]any{
				{"name": "retry", "time": time.Date(2024, 8, 8, 21, 25, 30, 276067001, time.UTC), "attributes": map[string]any{
					"attempt": int64(2), "backoff": 0.5, "final": false, "codes": []any{int64(429), int64(503)}}},
			},
		},
		{
			name: "OTLP ingest: millisecond time, attributes as a JSON string",
			events: jsonString(t, []any{
				map[string]any{"name": "gen_ai.content.completion", "time": "2024-08-08T21:25:31.083Z", "attributes": jsonString(t, map[string]any{"gen_ai.completion": completion})},
			}),
			wantEvents: []map[string]any{
				{"name": "gen_ai.content.completion", "time": time.Date(2024, 8, 8, 21, 25, 31, 83000000, time.UTC), "attributes": map[string]any{
					"gen_ai.completion": []any{map[string]any{"role": "assistant", "content": "Hello."}}}},
			},
			wantSpan: map[string]any{"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"text","content":"Hello."}]}]`},
		},
		{
			name: "inline array",
			events: []any{
				map[string]any{"name": "exception", "timestamp": "2024-08-08T21:25:31Z", "attributes": map[string]any{"exception.type": "ValueError", "exception.message": "bad"}},
			},
			wantEvents: []map[string]any{
				{"name": "exception", "time": time.Date(2024, 8, 8, 21, 25, 31, 0, time.UTC), "attributes": map[string]any{"exception.type": "ValueError", "exception.message": "bad"}},
			},
		},
		{
			name: "plain text prompt stays a string, no messages",
			events: jsonString(t, []any{
				map[string]any{"name": "gen_ai.content.prompt", "timestamp": "2024-08-08T21:25:30Z", "attributes": map[string]any{"gen_ai.prompt": "Tell me a joke"}},
			}),
			wantEvents: []map[string]any{
				{"name": "gen_ai.content.prompt", "time": time.Date(2024, 8, 8, 21, 25, 30, 0, time.UTC), "attributes": map[string]any{"gen_ai.prompt": "Tell me a joke"}},
			},
		},
		{
			name: "malformed nested prompt: raw string kept",
			events: jsonString(t, []any{
				map[string]any{"name": "gen_ai.content.prompt", "timestamp": "2024-08-08T21:25:30Z", "attributes": map[string]any{"gen_ai.prompt": `[{"role": "user", "content": "Hi`}},
			}),
			wantEvents: []map[string]any{
				{"name": "gen_ai.content.prompt", "time": time.Date(2024, 8, 8, 21, 25, 30, 0, time.UTC), "attributes": map[string]any{"gen_ai.prompt": `[{"role": "user", "content": "Hi`}},
			},
			wantWarnings: 1,
		},
		{
			name: "JSON that is not chat messages: decoded, no messages",
			events: jsonString(t, []any{
				map[string]any{"name": "gen_ai.content.prompt", "timestamp": "2024-08-08T21:25:30Z", "attributes": map[string]any{"gen_ai.prompt": `{"query": "docs", "k": 4}`}},
			}),
			wantEvents: []map[string]any{
				{"name": "gen_ai.content.prompt", "time": time.Date(2024, 8, 8, 21, 25, 30, 0, time.UTC), "attributes": map[string]any{"gen_ai.prompt": map[string]any{"query": "docs", "k": int64(4)}}},
			},
		},
		{
			name: "tool calls go through genai.ChatMessages",
			events: jsonString(t, []any{
				map[string]any{"name": "gen_ai.content.completion", "timestamp": "2024-08-08T21:25:30Z", "attributes": map[string]any{
					"gen_ai.completion": `[{"role": "assistant", "content": null, "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]}]`}},
			}),
			wantEvents: []map[string]any{
				{"name": "gen_ai.content.completion", "time": time.Date(2024, 8, 8, 21, 25, 30, 0, time.UTC), "attributes": map[string]any{
					"gen_ai.completion": []any{map[string]any{"role": "assistant", "content": nil, "tool_calls": []any{map[string]any{
						"id": "call_1", "type": "function", "function": map[string]any{"name": "get_weather", "arguments": `{"city": "Paris"}`}}}}}}},
			},
			wantSpan: map[string]any{
				"gen_ai.output.messages": `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"city":"Paris"}}]}]`,
			},
		},
		{
			name:         "malformed events string: events read so far are kept",
			events:       `[{"name":"first","timestamp":"2024-08-08T21:25:30Z","attributes":{}},{"name":"second","timest`,
			wantEvents:   []map[string]any{{"name": "first", "time": time.Date(2024, 8, 8, 21, 25, 30, 0, time.UTC), "attributes": map[string]any{}}, {"name": "second", "time": time.Time{}, "attributes": map[string]any{}}},
			wantWarnings: 1,
		},
		{name: "not JSON", events: "nope", wantWarnings: 1},
		{name: "empty string", events: ""},
		{name: "null", events: nil},
		{
			name:         "unreadable event time",
			events:       `[{"name":"e","timestamp":"soon"}]`,
			wantEvents:   []map[string]any{{"name": "e", "time": time.Time{}, "attributes": map[string]any{}}},
			wantWarnings: 1,
		},
		{
			name:         "element that is not an object",
			events:       `[42, {"name":"e","timestamp":"2024-08-08T21:25:30Z"}]`,
			wantEvents:   []map[string]any{{"name": "e", "time": time.Date(2024, 8, 8, 21, 25, 30, 0, time.UTC), "attributes": map[string]any{}}},
			wantWarnings: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings := convertSpan(t, with(baseSpan(), "attributes", "{}", "events", tt.events))
			var got []map[string]any
			for _, ev := range s.Events().All() {
				var ts time.Time
				if ev.Timestamp() != 0 {
					ts = ev.Timestamp().AsTime()
				}
				got = append(got, map[string]any{"name": ev.Name(), "time": ts, "attributes": ev.Attributes().AsRaw()})
			}
			assert.Equal(t, tt.wantEvents, got)
			wantSpan := tt.wantSpan
			if wantSpan == nil {
				wantSpan = map[string]any{}
			}
			assert.Equal(t, wantSpan, s.Attributes().AsRaw())
			assert.Equal(t, tt.wantWarnings, warnings)
		})
	}
}

func TestMessagesAttributesAreNotOverwritten(t *testing.T) {
	events := jsonString(t, []any{map[string]any{"name": "gen_ai.content.prompt", "timestamp": "2024-08-08T21:25:30Z",
		"attributes": map[string]any{"gen_ai.prompt": `[{"role": "user", "content": "Hi"}]`}}})
	s, _ := convertSpan(t, with(baseSpan(), "attributes", `{"gen_ai.input.messages":"[]"}`, "events", events))
	assert.Equal(t, map[string]any{"gen_ai.input.messages": "[]"}, s.Attributes().AsRaw())
}

func TestOutputMessagesGetFinishReasons(t *testing.T) {
	events := jsonString(t, []any{map[string]any{"name": "gen_ai.content.completion", "timestamp": "2024-08-08T21:25:30Z",
		"attributes": map[string]any{"gen_ai.completion": `[{"role": "assistant", "content": "Done."}]`}}})
	s, _ := convertSpan(t, with(baseSpan(), "attributes", `{"gen_ai.response.finish_reasons":["stop"]}`, "events", events))
	v, ok := s.Attributes().Get(genai.OutputMessages)
	require.True(t, ok)
	assert.Equal(t, `[{"role":"assistant","parts":[{"type":"text","content":"Done."}],"finish_reason":"stop"}]`, v.Str())
}

func TestContentAsSpanAttributes(t *testing.T) {
	s, warnings := convertSpan(t, with(baseSpan(), "attributes", jsonString(t, map[string]any{
		"gen_ai.prompt": `[{"role": "user", "content": "Hi"}]`,
	})))
	assert.Zero(t, warnings)
	assert.Equal(t, map[string]any{
		"gen_ai.prompt":         []any{map[string]any{"role": "user", "content": "Hi"}},
		"gen_ai.input.messages": `[{"role":"user","parts":[{"type":"text","content":"Hi"}]}]`,
	}, s.Attributes().AsRaw())
}

// plainMessages must agree with genai.ChatMessages on every value it
// accepts.
func TestPlainMessagesMatchesChatMessages(t *testing.T) {
	for _, in := range []string{
		`[{"role":"system","content":"Be brief."},{"role":"user","content":"Hi?"}]`,
		`[{"role":"assistant","content":""}]`,
		`[{"content":"x","role":"user"}]`,
		`[{"role":"user","content":"x","name":"bob"}]`,
		`[{"role":"tool","content":"42"}]`,
		`[{"role":"","content":"x"}]`,
		`[{"role":"user"}]`,
		`[{"role":"user","content":[{"type":"text","text":"x"}]}]`,
		`[[{"role":"user","content":"x"}]]`,
		`[]`,
		`[1]`,
	} {
		t.Run(in, func(t *testing.T) {
			v := pcommon.NewValueEmpty()
			var raw any
			require.NoError(t, json.Unmarshal([]byte(in), &raw))
			require.NoError(t, v.FromRaw(raw))
			fast, ok := newConverter(testProject, "", nil).plainMessages(v)
			if !ok {
				return
			}
			slow, ok := genai.ChatMessages(in)
			require.True(t, ok)
			assert.Equal(t, genai.MessagesJSON(slow), genai.MessagesJSON(fast))
		})
	}
}

func TestLinks(t *testing.T) {
	linkTrace := "4bf92f3577b34da6a3ce929d0e0e4736"
	linkSpan := "00f067aa0ba902b7"
	tests := []struct {
		name         string
		links        any
		want         []map[string]any
		wantWarnings int
	}{
		{
			name: "python to_json shape",
			links: jsonString(t, []any{map[string]any{
				"context":    map[string]any{"trace_id": "0x" + linkTrace, "span_id": "0x" + linkSpan, "trace_state": "[]"},
				"attributes": map[string]any{"link.kind": "follows", "n": 1},
			}}),
			want: []map[string]any{{"trace": linkTrace, "span": linkSpan, "state": "", "attributes": map[string]any{"link.kind": "follows", "n": int64(1)}}},
		},
		{
			name: "OTLP shape with KeyValue attributes and base64 ids",
			links: jsonString(t, []any{map[string]any{
				"traceId": b64(t, linkTrace), "spanId": b64(t, linkSpan), "traceState": "rojo=00f067aa0ba902b7",
				"attributes": []any{
					map[string]any{"key": "s", "value": map[string]any{"stringValue": "x"}},
					map[string]any{"key": "i", "value": map[string]any{"intValue": "7"}},
					map[string]any{"key": "d", "value": map[string]any{"doubleValue": 1.5}},
					map[string]any{"key": "b", "value": map[string]any{"boolValue": true}},
					map[string]any{"key": "a", "value": map[string]any{"arrayValue": map[string]any{"values": []any{map[string]any{"stringValue": "y"}}}}},
					map[string]any{"key": "m", "value": map[string]any{"kvlistValue": map[string]any{"values": []any{map[string]any{"key": "k", "value": map[string]any{"intValue": 3}}}}}},
					map[string]any{"key": "raw", "value": map[string]any{"bytesValue": "AQI="}},
				},
				"droppedAttributesCount": 2,
			}}),
			want: []map[string]any{{"trace": linkTrace, "span": linkSpan, "state": "rojo=00f067aa0ba902b7", "attributes": map[string]any{
				"s": "x", "i": int64(7), "d": 1.5, "b": true, "a": []any{"y"}, "m": map[string]any{"k": int64(3)}, "raw": []byte{1, 2},
			}}},
		},
		{
			name:         "link without valid ids is dropped",
			links:        jsonString(t, []any{map[string]any{"context": map[string]any{"trace_id": "nope", "span_id": "0x" + linkSpan}}}),
			wantWarnings: 1,
		},
		{name: "empty list", links: "[]"},
		{name: "malformed", links: `[{"traceId":`, wantWarnings: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, warnings := convertSpan(t, with(baseSpan(), "links", tt.links))
			var got []map[string]any
			for _, l := range s.Links().All() {
				got = append(got, map[string]any{"trace": l.TraceID().String(), "span": l.SpanID().String(), "state": l.TraceState().AsRaw(), "attributes": l.Attributes().AsRaw()})
			}
			assert.Equal(t, tt.want, got)
			assert.Equal(t, tt.wantWarnings, warnings)
		})
	}
}

func TestTraceState(t *testing.T) {
	tests := []struct {
		in          any
		want        string
		wantWarning bool
	}{
		{in: "[]", want: ""},
		{in: "", want: ""},
		{in: nil, want: ""},
		{in: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7", want: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{in: "['{key=congo, value=t61rcWkgMzE}', '{key=rojo, value=00f067aa0ba902b7}']", want: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{in: `[["congo","t61rcWkgMzE"],["rojo","00f067aa0ba902b7"]]`, want: "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
		{in: `{"congo":"t61rcWkgMzE"}`, want: "congo=t61rcWkgMzE"},
		{in: `[["congo"]]`, wantWarning: true},
		{in: `[[`, wantWarning: true},
	}
	for _, tt := range tests {
		t.Run(jsonString(t, tt.in), func(t *testing.T) {
			s, warnings := convertSpan(t, with(baseSpan(), "trace_state", tt.in))
			assert.Equal(t, tt.want, s.TraceState().AsRaw())
			assert.Equal(t, tt.wantWarning, warnings > 0)
		})
	}
}

func TestNullAndMissingFields(t *testing.T) {
	span := map[string]any{}
	for k := range baseSpan() {
		span[k] = nil
	}
	span["trace_id"] = testTraceHex
	span["span_id"] = testSpanHex
	s, warnings := convertSpan(t, span)
	assert.Zero(t, warnings)
	assert.Equal(t, pcommon.SpanID(mustHex(t, testSpanHex)), s.SpanID())
	assert.Empty(t, s.Name())
	assert.Equal(t, ptrace.SpanKindUnspecified, s.Kind())
	assert.Equal(t, pcommon.Timestamp(0), s.StartTimestamp())
	assert.Equal(t, pcommon.Timestamp(0), s.EndTimestamp())

	s, warnings = convertSpan(t, map[string]any{"span_id": testSpanHex, "trace_id": testTraceHex})
	assert.Zero(t, warnings)
	assert.Equal(t, pcommon.SpanID(mustHex(t, testSpanHex)), s.SpanID())
}

func TestUnexpectedFieldTypes(t *testing.T) {
	s, warnings := convertSpan(t, with(baseSpan(),
		"name", []any{"x"}, "trace_state", map[string]any{}, "status_code", []any{}, "events", 3, "links", true))
	assert.Equal(t, 5, warnings)
	assert.Empty(t, s.Name())
	assert.Equal(t, pcommon.SpanID(mustHex(t, testSpanHex)), s.SpanID())
}

func TestTraceGrouping(t *testing.T) {
	root := with(baseSpan(), "span_id", "0x1111111111111111", "parent_id", "", "start_time", "2024-08-08T21:25:30.100000Z")
	child := with(baseSpan(), "span_id", "0x2222222222222222", "parent_id", "0x1111111111111111", "start_time", "2024-08-08T21:25:30.200000Z")
	other := with(baseSpan(), "trace_id", "0x0af7651916cd43dd8448eb211c80319c", "span_id", "0x3333333333333333", "parent_id", "")

	t.Run("one trace per group, time is the earliest start", func(t *testing.T) {
		traces, _, _ := convertPage(t, pageOf(t, []map[string]any{child, root}, []map[string]any{other}))
		require.Len(t, traces, 2)
		assert.Equal(t, time.Date(2024, 8, 8, 21, 25, 30, 100000000, time.UTC), traces[0].Time)
		assert.Equal(t, 2, spansOf(traces[0]).Len())
		assert.Equal(t, "0af7651916cd43dd8448eb211c80319c", traces[1].ID.String())
	})
	t.Run("the same id spelled twice is one trace", func(t *testing.T) {
		b64Child := with(baseSpan(), "trace_id", b64(t, testTraceHex), "span_id", b64(t, "2222222222222222"), "start_time", "2024-08-08T21:25:30.050000Z")
		traces, _, _ := convertPage(t, pageOf(t, []map[string]any{root}, []map[string]any{b64Child, root}))
		require.Len(t, traces, 1)
		assert.Equal(t, 2, spansOf(traces[0]).Len())
		assert.Equal(t, time.Date(2024, 8, 8, 21, 25, 30, 50000000, time.UTC), traces[0].Time)
	})
	t.Run("a flat span list is grouped by trace id", func(t *testing.T) {
		b, err := json.Marshal(map[string]any{"traces": map[string]any{"result": []any{root, other, child}}})
		require.NoError(t, err)
		traces, _, _ := convertPage(t, b)
		require.Len(t, traces, 2)
		assert.Equal(t, 2, spansOf(traces[0]).Len())
	})
	t.Run("a row stored twice is one span, the ended copy wins", func(t *testing.T) {
		open := with(baseSpan(), "span_id", "0x2222222222222222", "end_time", "")
		traces, _, _ := convertPage(t, pageOf(t, []map[string]any{open, root, child, child}))
		require.Len(t, traces, 1)
		spans := spansOf(traces[0])
		require.Equal(t, 2, spans.Len())
		assert.Equal(t, "2222222222222222", spans.At(0).SpanID().String())
		assert.NotZero(t, spans.At(0).EndTimestamp())
	})
	t.Run("empty groups are skipped", func(t *testing.T) {
		traces, _, _ := convertPage(t, pageOf(t, []map[string]any{}, []map[string]any{root}))
		require.Len(t, traces, 1)
	})
	t.Run("service name", func(t *testing.T) {
		c := newConverter(testProject, "checkout", nil)
		traces, _, err := c.page(pageOf(t, []map[string]any{root}))
		require.NoError(t, err)
		v, _ := traces[0].Spans.ResourceSpans().At(0).Resource().Attributes().Get(poll.AttrServiceName)
		assert.Equal(t, "checkout", v.Str())
	})
}

func TestMalformedResponse(t *testing.T) {
	for _, body := range []string{
		``, `[]`, `{}`, `{"traces":`, `{"traces":{"result":[[{"name":"x"`, `{"traces":{"result":[]}} trailing`, `<html>`,
		`{"traces":{"result":[[{"name":"\u12"}]]}}`,
	} {
		t.Run(body, func(t *testing.T) {
			c := newConverter(testProject, "", nil)
			_, _, err := c.page([]byte(body))
			assert.Error(t, err)
		})
	}
}

func TestMetadata(t *testing.T) {
	c := newConverter(testProject, "", nil)
	_, meta, err := c.page([]byte(`{"traces":{"metadata":{"page":"3","page_size":50,"total_pages":"7"},"result":null}}`))
	require.NoError(t, err)
	assert.Equal(t, pageMeta{Page: 3, PageSize: 50, TotalPages: 7}, meta)
}

// FuzzConvertPage checks that no body makes the conversion panic, and that
// every converted span has ids.
func FuzzConvertPage(f *testing.F) {
	seed, err := os.ReadFile(filepath.Join("testdata", "seed_response.json"))
	require.NoError(f, err)
	f.Add(seed)
	f.Add(benchPage(2, 3))
	f.Add([]byte(`{"traces":{"result":[[{"trace_id":"q","events":"[{\"time\":[1,2],\"attributes\":\"{\\\"gen_ai.prompt\\\":\\\"[{}]\\\"}\"}]","links":"[{\"attributes\":[{\"key\":\"k\",\"value\":{\"kvlistValue\":{\"values\":[]}}}]}]"}]]}}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := newConverter(testProject, "", nil)
		traces, _, err := c.page(body)
		if err != nil {
			return
		}
		for _, tr := range traces {
			assert.False(t, tr.ID.IsEmpty())
			for _, s := range spansOf(tr).All() {
				assert.False(t, s.SpanID().IsEmpty())
				assert.Equal(t, tr.ID, s.TraceID())
			}
		}
	})
}
