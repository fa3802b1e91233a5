package langtrace

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/llmtrace/llmtrace/internal/benchspan"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// benchPage builds a deterministic response page of n traces shaped like
// what the current Langtrace server returns for a python SDK app: a chain
// root, retriever and vector-store spans, and OpenAI chat spans with prompt
// and completion events; every column a string, attributes and events
// JSON-encoded strings, prompts JSON-encoded once more inside the events.
func benchPage(n, spansPerTrace int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	hex := func(bytes int) string {
		var b strings.Builder
		for range bytes {
			fmt.Fprintf(&b, "%02x", rng.IntN(256))
		}
		return b.String()
	}
	words := strings.Fields("the quick brown fox jumps over a lazy dog while langtrace records every span of the request and the model answers politely with helpful context about pricing plans and features")
	sentence := func(k int) string {
		parts := make([]string, k)
		for i := range parts {
			parts[i] = words[rng.IntN(len(words))]
		}
		return strings.Join(parts, " ")
	}
	iso := func(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }
	pyJSON := func(v any) string { // python json.dumps separators
		b, _ := json.Marshal(v)
		s := strings.ReplaceAll(string(b), `":`, `": `)
		return strings.ReplaceAll(s, `","`, `", "`)
	}
	mustJSON := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			panic(err)
		}
		return string(b)
	}

	base := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	var traces [][]map[string]any
	for t := range n {
		traceID := "0x" + hex(16)
		start := base.Add(-time.Duration(t) * 7 * time.Second)
		rootID := "0x" + hex(8)
		var spans []map[string]any
		for s := range spansPerTrace {
			spanID, parent := rootID, ""
			if s > 0 {
				spanID, parent = "0x"+hex(8), rootID
			}
			st := start.Add(time.Duration(s) * 150 * time.Millisecond).Add(time.Duration(rng.IntN(1000)) * time.Microsecond)
			en := st.Add(time.Duration(100+rng.IntN(900)) * time.Millisecond)
			attrs := map[string]any{
				"langtrace.sdk.name":        "langtrace-python-sdk",
				"langtrace.version":         "3.3.14",
				"langtrace.service.type":    "framework",
				"langtrace.service.name":    "langchain",
				"langtrace.testId":          "",
				"langtrace.session.id":      hex(8),
				"user.id":                   fmt.Sprintf("user-%d", rng.IntN(50)),
				"langchain.task.name":       "runnable.invoke",
				"langtrace.service.version": "0.3.1",
			}
			name := "langchain.task.RunnableSequence"
			var events []map[string]any
			switch s % 4 {
			case 1:
				name = "chromadb.collection.query"
				attrs["langtrace.service.type"] = "vectordb"
				attrs["langtrace.service.name"] = "chromadb"
				attrs["db.system"] = "chromadb"
				attrs["db.operation"] = "query"
				attrs["db.collection.name"] = "docs"
				attrs["db.query.n_results"] = 4
				attrs["db.response.documents"] = pyJSON([]string{sentence(20), sentence(20), sentence(20)})
			case 2, 3:
				name = "openai.chat.completions.create"
				in, out := 200+rng.IntN(2000), 20+rng.IntN(400)
				attrs["langtrace.service.type"] = "llm"
				attrs["langtrace.service.name"] = "OpenAI"
				attrs["langtrace.service.version"] = "1.54.3"
				attrs["url.full"] = "https://api.openai.com/v1/"
				attrs["url.path"] = "/chat/completions"
				attrs["gen_ai.operation.name"] = "chat"
				attrs["gen_ai.system"] = "openai"
				attrs["gen_ai.request.model"] = "gpt-4o-mini"
				attrs["gen_ai.response.model"] = "gpt-4o-mini-2024-07-18"
				attrs["gen_ai.request.stream"] = false
				attrs["gen_ai.request.temperature"] = 0.2
				attrs["gen_ai.request.max_tokens"] = 512
				attrs["gen_ai.response.id"] = "chatcmpl-" + hex(12)
				attrs["gen_ai.system_fingerprint"] = "fp_" + hex(5)
				attrs["gen_ai.response.finish_reasons"] = []string{"stop"}
				attrs["gen_ai.usage.input_tokens"] = in
				attrs["gen_ai.usage.output_tokens"] = out
				attrs["gen_ai.usage.total_tokens"] = in + out
				prompt := []map[string]string{
					{"role": "system", "content": "You are a friendly customer support agent. " + sentence(40)},
					{"role": "user", "content": sentence(30) + "?"},
				}
				completion := []map[string]string{{"role": "assistant", "content": sentence(60) + "."}}
				events = []map[string]any{
					{"name": "gen_ai.content.prompt", "timestamp": iso(st.Add(80 * time.Microsecond)), "attributes": map[string]any{"gen_ai.prompt": pyJSON(prompt)}},
					{"name": "gen_ai.content.completion", "timestamp": iso(en.Add(-100 * time.Microsecond)), "attributes": map[string]any{"gen_ai.completion": pyJSON(completion)}},
				}
			}
			evJSON := "[]"
			if events != nil {
				evJSON = mustJSON(events)
			}
			spans = append(spans, map[string]any{
				"name":        name,
				"trace_id":    traceID,
				"span_id":     spanID,
				"trace_state": "[]",
				"kind":        "0",
				"parent_id":   parent,
				"start_time":  iso(st),
				"end_time":    iso(en),
				"attributes":  mustJSON(attrs),
				"status_code": "OK",
				"events":      evJSON,
				"links":       "[]",
				"duration":    fmt.Sprint(en.Sub(st).Microseconds()),
			})
		}
		traces = append(traces, spans)
	}
	body := map[string]any{"traces": map[string]any{
		"result":   traces,
		"metadata": map[string]any{"page": 1, "page_size": n, "total_pages": 40},
	}}
	return []byte(mustJSON(body))
}

const benchTraces, benchSpansPerTrace = 100, 8

// BenchmarkConvert converts one response page, as FetchPage does with
// each answer; BenchmarkOTLPJSONUnmarshal is its yardstick.
func BenchmarkConvert(b *testing.B) {
	body := benchPage(benchTraces, benchSpansPerTrace)
	c := newConverter("proj", "", nil)
	traces, _, err := c.page(body)
	if err != nil {
		b.Fatal(err)
	}
	spans := 0
	for i := range traces {
		spans += traces[i].Spans.SpanCount()
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	m := benchspan.Start()
	for b.Loop() {
		if _, _, err := c.page(body); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
}

// BenchmarkOTLPJSONUnmarshal decodes the same spans, as the collector's own
// OTLP/JSON decoder sees them, for comparison with BenchmarkConvert.
func BenchmarkOTLPJSONUnmarshal(b *testing.B) {
	body := otlpJSONOf(b, benchPage(benchTraces, benchSpansPerTrace))
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces(body)
	if err != nil {
		b.Fatal(err)
	}
	spans := td.SpanCount()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	m := benchspan.Start()
	for b.Loop() {
		if _, err := u.UnmarshalTraces(body); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
}

// otlpJSONOf converts a page and marshals all its traces as one OTLP/JSON
// request.
func otlpJSONOf(tb testing.TB, page []byte) []byte {
	traces, _, err := newConverter("proj", "", nil).page(page)
	if err != nil {
		tb.Fatal(err)
	}
	all := ptrace.NewTraces()
	for _, tr := range traces {
		tr.Spans.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	var m ptrace.JSONMarshaler
	out, err := m.MarshalTraces(all)
	if err != nil {
		tb.Fatal(err)
	}
	return out
}
