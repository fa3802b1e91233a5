package convert

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// langtraceAttrs is the "attributes" string of the Langtrace docs sample
// span (seeds/langtrace-post-traces.txt), already unquoted once.
const langtraceAttrs = `{"langtrace.service.name":"OpenAI","langtrace.service.type":"llm","langtrace.service.version":"1.37.1","langtrace.version":"2.2.17","langtrace.sdk.name":"langtrace-python-sdk","url.full":"https://api.openai.com/v1/","url.path":"/chat/completions","gen_ai.operation.name":"chat","gen_ai.request.model":"gpt-4o-mini","gen_ai.request.stream":false,"gen_ai.system":"openai","gen_ai.response.model":"gpt-4o-mini-2024-07-18","gen_ai.system_fingerprint":"fp_48196bc67a","gen_ai.usage.input_tokens":357,"gen_ai.usage.output_tokens":24,"gen_ai.usage.total_tokens":381}`

// benchAttrs extends the sample to ~20 keys of mixed types, with a nested
// object and arrays, as real spans carry.
const benchAttrs = `{"langtrace.service.name":"OpenAI","langtrace.service.type":"llm","langtrace.service.version":"1.37.1","langtrace.version":"2.2.17","langtrace.sdk.name":"langtrace-python-sdk","url.full":"https://api.openai.com/v1/","url.path":"/chat/completions","gen_ai.operation.name":"chat","gen_ai.request.model":"gpt-4o-mini","gen_ai.request.stream":false,"gen_ai.request.temperature":0.7,"gen_ai.request.top_p":1.0,"gen_ai.request.max_tokens":1024,"gen_ai.request.stop_sequences":["\n\n","END"],"gen_ai.system":"openai","gen_ai.response.model":"gpt-4o-mini-2024-07-18","gen_ai.response.finish_reasons":["stop"],"gen_ai.system_fingerprint":"fp_48196bc67a","gen_ai.usage.input_tokens":357,"gen_ai.usage.output_tokens":24,"gen_ai.usage.total_tokens":381,"llm.invocation_parameters":{"seed":42,"user":null,"n":1,"response_format":{"type":"text"}},"langtrace.testId":"","http.max.retries":2,"http.timeout":null}`

func TestJSONToMapLangtraceSample(t *testing.T) {
	m := pcommon.NewMap()
	if err := JSONToMap([]byte(langtraceAttrs), m); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"langtrace.service.name":     "OpenAI",
		"langtrace.service.type":     "llm",
		"langtrace.service.version":  "1.37.1",
		"langtrace.version":          "2.2.17",
		"langtrace.sdk.name":         "langtrace-python-sdk",
		"url.full":                   "https://api.openai.com/v1/",
		"url.path":                   "/chat/completions",
		"gen_ai.operation.name":      "chat",
		"gen_ai.request.model":       "gpt-4o-mini",
		"gen_ai.request.stream":      false,
		"gen_ai.system":              "openai",
		"gen_ai.response.model":      "gpt-4o-mini-2024-07-18",
		"gen_ai.system_fingerprint":  "fp_48196bc67a",
		"gen_ai.usage.input_tokens":  int64(357),
		"gen_ai.usage.output_tokens": int64(24),
		"gen_ai.usage.total_tokens":  int64(381),
	}
	if got := m.AsRaw(); !reflect.DeepEqual(got, want) {
		t.Errorf("JSONToMap =\n%#v\nwant\n%#v", got, want)
	}
	v, _ := m.Get("gen_ai.usage.input_tokens")
	if v.Type() != pcommon.ValueTypeInt || v.Int() != 357 {
		t.Errorf("input_tokens = %s %v, want Int 357", v.Type(), v.AsRaw())
	}
	// Document order is kept.
	var keys []string
	m.Range(func(k string, _ pcommon.Value) bool { keys = append(keys, k); return true })
	if keys[0] != "langtrace.service.name" || keys[len(keys)-1] != "gen_ai.usage.total_tokens" {
		t.Errorf("key order = %v", keys)
	}
}

func TestPutJSON(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want any // AsRaw form; float64/int64/string/bool/nil/[]any/map[string]any
		typ  pcommon.ValueType
	}{
		{name: "int", in: `357`, want: int64(357), typ: pcommon.ValueTypeInt},
		{name: "negative int", in: `-42`, want: int64(-42), typ: pcommon.ValueTypeInt},
		{name: "minus zero int", in: `-0`, want: int64(0), typ: pcommon.ValueTypeInt},
		{name: "max int64", in: `9223372036854775807`, want: int64(math.MaxInt64), typ: pcommon.ValueTypeInt},
		{name: "min int64", in: `-9223372036854775808`, want: int64(math.MinInt64), typ: pcommon.ValueTypeInt},
		{name: "beyond int64 is double", in: `9223372036854775808`, want: float64(9223372036854775808), typ: pcommon.ValueTypeDouble},
		{name: "float", in: `0.7`, want: 0.7, typ: pcommon.ValueTypeDouble},
		{name: "float with zero fraction stays double", in: `1.0`, want: 1.0, typ: pcommon.ValueTypeDouble},
		{name: "exponent is double", in: `1e3`, want: 1000.0, typ: pcommon.ValueTypeDouble},
		{name: "negative exponent", in: `-2.5E-3`, want: -0.0025, typ: pcommon.ValueTypeDouble},
		{name: "string", in: `"gpt-4o-mini"`, want: "gpt-4o-mini", typ: pcommon.ValueTypeStr},
		{name: "string escapes", in: `"a\"b\\c\n\u00e9\ud83d\ude00/"`, want: "a\"b\\c\né😀/", typ: pcommon.ValueTypeStr},
		{name: "empty string", in: `""`, want: "", typ: pcommon.ValueTypeStr},
		{name: "invalid utf8 replaced", in: "\"a\xffb\"", want: "a\uFFFDb", typ: pcommon.ValueTypeStr},
		{name: "each invalid byte replaced", in: "\"\xc8\xc8\"", want: "\uFFFD\uFFFD", typ: pcommon.ValueTypeStr},
		{name: "true", in: `true`, want: true, typ: pcommon.ValueTypeBool},
		{name: "false", in: `false`, want: false, typ: pcommon.ValueTypeBool},
		{name: "null", in: `null`, want: nil, typ: pcommon.ValueTypeEmpty},
		{name: "surrounding whitespace", in: " \n\t42\r\n ", want: int64(42), typ: pcommon.ValueTypeInt},
		{name: "array mixed", in: `[1, "a", null, [true, 2.5], {}]`, want: []any{int64(1), "a", nil, []any{true, 2.5}, map[string]any{}}, typ: pcommon.ValueTypeSlice},
		{name: "empty array", in: `[]`, want: []any{}, typ: pcommon.ValueTypeSlice},
		{name: "nested object", in: `{"a":{"b":[1,2.5,"c"]},"d":null}`, want: map[string]any{"a": map[string]any{"b": []any{int64(1), 2.5, "c"}}, "d": nil}, typ: pcommon.ValueTypeMap},
		{name: "duplicate key last wins", in: `{"a":1,"a":"two"}`, want: map[string]any{"a": "two"}, typ: pcommon.ValueTypeMap},
		{name: "empty key", in: `{"":1,"x":2}`, want: map[string]any{"": int64(1), "x": int64(2)}, typ: pcommon.ValueTypeMap},
		{name: "invalid utf8 key replaced", in: "{\"\xca\":\"\"}", want: map[string]any{"\uFFFD": ""}, typ: pcommon.ValueTypeMap},
		{name: "escaped key", in: `{"a\u002eb":1}`, want: map[string]any{"a.b": int64(1)}, typ: pcommon.ValueTypeMap},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			m.PutStr("other", "kept")
			if err := PutJSON(m, "k", []byte(tt.in)); err != nil {
				t.Fatalf("PutJSON(%q) error: %v", tt.in, err)
			}
			v, ok := m.Get("k")
			if !ok {
				t.Fatal("key not stored")
			}
			if v.Type() != tt.typ {
				t.Errorf("type = %s, want %s", v.Type(), tt.typ)
			}
			if got := v.AsRaw(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("PutJSON(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			if m.Len() != 2 {
				t.Errorf("map has %d keys, want 2", m.Len())
			}
		})
	}
}

func TestPutJSONMalformedLeavesDestUnchanged(t *testing.T) {
	bad := []string{
		``, ` `, `{`, `{"a":}`, `{"a" 1}`, `{"a":1,}`, `{a:1}`, `[1,]`, `[1 2]`, `[`, `tru`, `nul`, `falsey`,
		`01`, `1.`, `.5`, `-`, `+1`, `1e`, `1.2.3`, `"abc`, `"\x"`, "\"a\tb\"", `{"a":1} x`, `{} {}`, `1 2`, `NaN`,
		`{"a":[1,{"b":}]}`, `1e400`, `[1e400]`, `-1e999`,
	}
	for _, in := range bad {
		t.Run(in, func(t *testing.T) {
			m := pcommon.NewMap()
			m.PutStr("k", "old")
			if err := PutJSON(m, "k", []byte(in)); err == nil {
				t.Fatalf("PutJSON(%q) succeeded, want error (value %v)", in, m.AsRaw())
			}
			if got := m.AsRaw(); !reflect.DeepEqual(got, map[string]any{"k": "old"}) {
				t.Errorf("dest changed to %#v", got)
			}
			// Absent key stays absent.
			m2 := pcommon.NewMap()
			_ = PutJSON(m2, "k", []byte(in))
			if m2.Len() != 0 {
				t.Errorf("dest got %#v", m2.AsRaw())
			}
		})
	}
}

func TestJSONToMap(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    map[string]any // full content of dest afterwards (dest starts with "pre":"x")
		wantErr string
	}{
		{name: "types", in: `{"i":1,"f":1.5,"s":"x","b":true,"n":null,"a":[1],"o":{"k":"v"}}`,
			want: map[string]any{"pre": "x", "i": int64(1), "f": 1.5, "s": "x", "b": true, "n": nil, "a": []any{int64(1)}, "o": map[string]any{"k": "v"}}},
		{name: "overwrites existing key", in: `{"pre":2}`, want: map[string]any{"pre": int64(2)}},
		{name: "empty object", in: `{}`, want: map[string]any{"pre": "x"}},
		{name: "null is empty object", in: ` null `, want: map[string]any{"pre": "x"}},
		{name: "array is not an object", in: `[1,2]`, want: map[string]any{"pre": "x"}, wantErr: "JSON value is an array, want an object"},
		{name: "string is not an object", in: `"{}"`, want: map[string]any{"pre": "x"}, wantErr: "JSON value is a string"},
		{name: "empty input", in: ``, want: map[string]any{"pre": "x"}, wantErr: "empty input"},
		{name: "garbage", in: `<html>`, want: map[string]any{"pre": "x"}, wantErr: "malformed JSON"},
		{name: "truncated keeps complete members", in: `{"a":1,"b":"x","c":[1,`,
			want: map[string]any{"pre": "x", "a": int64(1), "b": "x"}, wantErr: "malformed JSON"},
		{name: "missing close brace keeps members", in: `{"a":1,"b":2`,
			want: map[string]any{"pre": "x", "a": int64(1), "b": int64(2)}, wantErr: "malformed JSON"},
		{name: "bad value in the middle", in: `{"a":1,"b":tru,"c":3}`,
			want: map[string]any{"pre": "x", "a": int64(1)}, wantErr: "malformed JSON"},
		{name: "bad member removes overwritten key", in: `{"a":1,"pre":[1,}`,
			want: map[string]any{"a": int64(1)}, wantErr: "malformed JSON"},
		{name: "trailing data", in: `{"a":1}{"b":2}`,
			want: map[string]any{"pre": "x", "a": int64(1)}, wantErr: "data after the top-level value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := pcommon.NewMap()
			m.PutStr("pre", "x")
			err := JSONToMap([]byte(tt.in), m)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("JSONToMap(%q) error: %v", tt.in, err)
			case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("JSONToMap(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			if got := m.AsRaw(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("JSONToMap(%q) dest =\n%#v\nwant\n%#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestJSONToMapDeepNestingDoesNotPanic(t *testing.T) {
	deep := `{"a":` + strings.Repeat("[", 20000) + strings.Repeat("]", 20000) + `}`
	m := pcommon.NewMap()
	if err := JSONToMap([]byte(deep), m); err == nil {
		t.Error("want a depth error")
	}
	ok := `{"a":` + strings.Repeat("[", 100) + `1` + strings.Repeat("]", 100) + `}`
	if err := JSONToMap([]byte(ok), pcommon.NewMap()); err != nil {
		t.Errorf("100 levels: %v", err)
	}
}

type sample struct {
	A int    `json:"a"`
	B string `json:"b"`
}

func TestSetValue(t *testing.T) {
	ts := time.Date(2024, 8, 8, 21, 25, 30, 275984000, time.UTC)
	pv := pcommon.NewValueSlice()
	pv.Slice().AppendEmpty().SetInt(7)
	tests := []struct {
		name string
		in   any
		want any
		typ  pcommon.ValueType
	}{
		{name: "nil", in: nil, want: nil, typ: pcommon.ValueTypeEmpty},
		{name: "string", in: "x", want: "x", typ: pcommon.ValueTypeStr},
		{name: "bool", in: true, want: true, typ: pcommon.ValueTypeBool},
		{name: "float64 stays double", in: 357.0, want: 357.0, typ: pcommon.ValueTypeDouble},
		{name: "float32", in: float32(0.5), want: 0.5, typ: pcommon.ValueTypeDouble},
		{name: "json.Number int", in: json.Number("357"), want: int64(357), typ: pcommon.ValueTypeInt},
		{name: "json.Number float", in: json.Number("0.25"), want: 0.25, typ: pcommon.ValueTypeDouble},
		{name: "json.Number huge", in: json.Number("12345678901234567890"), want: 12345678901234567890.0, typ: pcommon.ValueTypeDouble},
		{name: "json.Number junk", in: json.Number("12ab"), want: "12ab", typ: pcommon.ValueTypeStr},
		{name: "json.Number out of range", in: json.Number("1e400"), want: "1e400", typ: pcommon.ValueTypeStr},
		{name: "int", in: 5, want: int64(5), typ: pcommon.ValueTypeInt},
		{name: "int8", in: int8(-5), want: int64(-5), typ: pcommon.ValueTypeInt},
		{name: "int64", in: int64(math.MinInt64), want: int64(math.MinInt64), typ: pcommon.ValueTypeInt},
		{name: "uint32", in: uint32(7), want: int64(7), typ: pcommon.ValueTypeInt},
		{name: "uint64 small", in: uint64(7), want: int64(7), typ: pcommon.ValueTypeInt},
		{name: "uint64 huge", in: uint64(math.MaxUint64), want: float64(math.MaxUint64), typ: pcommon.ValueTypeDouble},
		{name: "bytes", in: []byte{1, 2}, want: []byte{1, 2}, typ: pcommon.ValueTypeBytes},
		{name: "raw message", in: json.RawMessage(`{"x":1}`), want: map[string]any{"x": int64(1)}, typ: pcommon.ValueTypeMap},
		{name: "bad raw message", in: json.RawMessage(`{"x":`), want: `{"x":`, typ: pcommon.ValueTypeStr},
		{name: "time", in: ts, want: "2024-08-08T21:25:30.275984Z", typ: pcommon.ValueTypeStr},
		{name: "decoded object", in: map[string]any{
			"tokens": json.Number("24"), "temp": 0.7, "stop": []any{"a", nil}, "meta": map[string]any{"x": true}, "none": nil,
		}, want: map[string]any{
			"tokens": int64(24), "temp": 0.7, "stop": []any{"a", nil}, "meta": map[string]any{"x": true}, "none": nil,
		}, typ: pcommon.ValueTypeMap},
		{name: "string map", in: map[string]string{"b": "2", "a": "1"}, want: map[string]any{"a": "1", "b": "2"}, typ: pcommon.ValueTypeMap},
		{name: "string slice", in: []string{"stop"}, want: []any{"stop"}, typ: pcommon.ValueTypeSlice},
		{name: "pcommon value", in: pv, want: []any{int64(7)}, typ: pcommon.ValueTypeSlice},
		{name: "struct via json", in: sample{A: 5, B: "x"}, want: map[string]any{"a": int64(5), "b": "x"}, typ: pcommon.ValueTypeMap},
		{name: "typed slice via json", in: []int{1, 2}, want: []any{int64(1), int64(2)}, typ: pcommon.ValueTypeSlice},
		{name: "unmarshalable falls back to Sprint", in: complex(1, 2), want: "(1+2i)", typ: pcommon.ValueTypeStr},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := pcommon.NewValueStr("previous")
			SetValue(v, tt.in)
			if v.Type() != tt.typ {
				t.Errorf("type = %s, want %s", v.Type(), tt.typ)
			}
			if got := v.AsRaw(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("SetValue(%#v) = %#v, want %#v", tt.in, got, tt.want)
			}
		})
	}
}

func TestSetValueMapKeysSorted(t *testing.T) {
	v := pcommon.NewValueEmpty()
	SetValue(v, map[string]any{"c": 1, "a": 2, "b": 3, "d": 4})
	var keys []string
	v.Map().Range(func(k string, _ pcommon.Value) bool { keys = append(keys, k); return true })
	if strings.Join(keys, ",") != "a,b,c,d" {
		t.Errorf("keys = %v, want sorted", keys)
	}
}

// TestAgreesWithEncodingJSON cross-checks the decoder against encoding/json
// (UseNumber) on documents both accept.
func TestAgreesWithEncodingJSON(t *testing.T) {
	for _, doc := range []string{langtraceAttrs, benchAttrs, `{"a":[{"b":[-1.5e-7,"\u2028"]}],"c":""}`} {
		checkAgainstStdlib(t, []byte(doc))
	}
}

func checkAgainstStdlib(t *testing.T, raw []byte) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var std map[string]any
	stdErr := dec.Decode(&std)
	if stdErr == nil && dec.More() {
		stdErr = errTrailing
	}
	m := pcommon.NewMap()
	ourErr := JSONToMap(raw, m)
	if stdErr != nil || ourErr != nil || std == nil {
		return
	}
	want := pcommon.NewMap()
	for k, v := range std {
		SetValue(want.PutEmpty(k), v)
	}
	if !reflect.DeepEqual(m.AsRaw(), want.AsRaw()) {
		t.Errorf("JSONToMap(%q) =\n%#v\nencoding/json gives\n%#v", raw, m.AsRaw(), want.AsRaw())
	}
}

var errTrailing = &json.SyntaxError{}

func FuzzJSONToMap(f *testing.F) {
	for _, s := range []string{langtraceAttrs, benchAttrs, `{"a":1}`, `{"a":[1,{"b":null}]}`, `null`, `[]`, `{"a":1e400}`, `{"a":"\ud800"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkAgainstStdlib(t, raw)
		m := pcommon.NewMap()
		_ = PutJSON(m, "k", raw)
	})
}

func FuzzIDs(f *testing.F) {
	for _, s := range []string{"0x" + seedTrace, seedSpan, rfcUUIDv7, "68T+AsUpH9sZgSKPSQMMxA==", "HBZNB7LA/nE", "", "0x", "===="} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if id, err := TraceID(s); err == nil && id.IsEmpty() {
			t.Errorf("TraceID(%q) returned an empty id without error", s)
		}
		if id, err := SpanID(s); err == nil && id.IsEmpty() {
			t.Errorf("SpanID(%q) returned an empty id without error", s)
		}
		if TraceIDOrHash(s).IsEmpty() || SpanIDOrHash(s, "x").IsEmpty() {
			t.Errorf("OrHash(%q) returned an empty id", s)
		}
		_, _ = ParseTime(s)
	})
}

func BenchmarkJSONToMap(b *testing.B) {
	raw := []byte(benchAttrs)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		m := pcommon.NewMap()
		if err := JSONToMap(raw, m); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJSONToMapStdlib is the encoding/json + Map.FromRaw baseline
// (which also loses int vs float) for comparison.
func BenchmarkJSONToMapStdlib(b *testing.B) {
	raw := []byte(benchAttrs)
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		var v map[string]any
		if err := json.Unmarshal(raw, &v); err != nil {
			b.Fatal(err)
		}
		m := pcommon.NewMap()
		if err := m.FromRaw(v); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTraceID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := TraceID("0x" + seedTrace); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSpanIDOrHashUUID(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = SpanIDOrHash(rfcUUIDv7, "opik")
	}
}

func BenchmarkSpanIDOrHashLegacy(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		_ = SpanIDOrHash("span_BKZL_X0TKSD4oa1aBJTc5", "langwatch", "project")
	}
}

func BenchmarkParseTime(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseTime("2024-08-08T21:25:30.275984Z"); err != nil {
			b.Fatal(err)
		}
	}
}
