package langtracesim

import (
	"encoding/base64"
	"encoding/hex"
	"slices"
	"strconv"
	"time"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// ingestPath is how a trace reached Langtrace; the table keeps whatever
// each path produced (vendor-apis.md 1.3).
type ingestPath uint8

const (
	// pathPython is the python SDK's legacy LangTraceExporter (span.to_json):
	// 0x-hex ids, trace_state "[]", microsecond ISO times, events with
	// "timestamp", kind "SpanKind.CLIENT" that the server's parseInt turns
	// into 0.
	pathPython ingestPath = iota
	// pathTypeScript is the TypeScript SDK's exporter: plain hex ids, kind
	// as the JS enum (0=INTERNAL, 2=CLIENT), microsecond times, events with
	// an hrtime "time" pair.
	pathTypeScript
	// pathOTLP is OTLP/HTTP protobuf (python SDK 3.3+): base64 ids,
	// millisecond times and durations, status enum names passed through,
	// kind "SPAN_KIND_CLIENT" turned into 0, and only string and int
	// attributes kept (ints as strings).
	pathOTLP
)

// pathOf picks trace i's ingest path: the three alternate.
func pathOf(i int) ingestPath { return ingestPath(i % 3) }

// numbersAsStrings picks the server version that serves trace i: the
// current one returns every column as a string ("kind":"0",
// "duration":"807999"), the one the docs show returns numbers.
func numbersAsStrings(i int) bool { return (i/3)%2 == 0 }

// Timestamp layouts: the SDK paths keep microseconds, the OTLP path
// (new Date(ns/1e6).toISOString()) milliseconds.
const (
	layoutMicro = "2006-01-02T15:04:05.000000Z"
	layoutMilli = "2006-01-02T15:04:05.000Z"
)

// clientKind reports whether the SDK creates the span as a CLIENT span (a
// call to a model provider or vector store); it also sets their status to
// OK on success.
func clientKind(k sim.SpanKind) bool {
	return k == sim.KindLLM || k == sim.KindEmbedding || k == sim.KindRetrieval
}

type providerInfo struct {
	service, system, version, url, chatPath, embedPath string
}

// providers maps gen_ai.provider.name to what Langtrace's instrumentations
// record: langtrace.service.name, gen_ai.system and the API URL.
var providers = map[string]providerInfo{
	genai.ProviderOpenAI:     {"OpenAI", "openai", "1.37.1", "https://api.openai.com/v1/", "/chat/completions", "/embeddings"},
	genai.ProviderAnthropic:  {"Anthropic", "anthropic", "0.34.2", "https://api.anthropic.com", "/v1/messages", ""},
	genai.ProviderGCPGemini:  {"Gemini", "gemini", "0.8.3", "https://generativelanguage.googleapis.com", "/v1beta/models:generateContent", "/v1beta/models:embedContent"},
	genai.ProviderMistralAI:  {"Mistral", "mistral", "1.2.3", "https://api.mistral.ai", "/v1/chat/completions", "/v1/embeddings"},
	genai.ProviderAWSBedrock: {"AWS Bedrock", "aws_bedrock", "1.35.20", "https://bedrock-runtime.us-east-1.amazonaws.com", "/model/invoke", "/model/invoke"},
	genai.ProviderCohere:     {"Cohere", "cohere", "5.9.4", "https://api.cohere.com", "/v2/chat", "/v2/embed"},
}

var vectorStoreNames = map[string]string{
	"pinecone": "Pinecone", "qdrant": "Qdrant", "chroma": "Chroma", "pgvector": "PGVector", "weaviate": "Weaviate",
}

// sdk is what one ingest path says about the SDK.
type sdk struct{ name, version string }

var sdks = [...]sdk{
	pathPython:     {"langtrace-python-sdk", "2.2.17"},
	pathTypeScript: {"@langtrase/typescript-sdk", "5.3.2"},
	pathOTLP:       {"langtrace-python-sdk", "3.3.14"},
}

// renderer writes traces in one ingest path's shape.
type renderer struct {
	path    ingestPath
	strNums bool
	// style is the SDK's own JSON encoder, used for the content strings
	// it stores in attributes (prompts, tool arguments).
	style jsonStyle
}

func newRenderer(i int) renderer {
	r := renderer{path: pathOf(i), strNums: numbersAsStrings(i), style: stylePython}
	if r.path == pathTypeScript {
		r.style = styleJS
	}
	return r
}

// appendTrace appends one result group: the JSON array of the spans of tr
// (the ended spans Langtrace holds).
func (r renderer) appendTrace(dst []byte, tr *sim.Trace) []byte {
	dst = append(dst, '[')
	for i := range tr.Spans {
		if i > 0 {
			dst = append(dst, ',')
		}
		dst = r.appendSpan(dst, tr, &tr.Spans[i])
	}
	return append(dst, ']')
}

func (r renderer) appendSpan(dst []byte, tr *sim.Trace, s *sim.Span) []byte {
	o := object{buf: dst}
	o.put("name", s.Name)
	o.put("trace_id", r.id(tr.ID[:]))
	o.put("span_id", r.id(s.ID[:]))
	if r.path == pathPython {
		o.put("trace_state", "[]")
	} else {
		o.put("trace_state", "")
	}
	kind := 0
	if r.path == pathTypeScript && clientKind(s.Kind) {
		kind = 2
	}
	r.number(&o, "kind", int64(kind))
	parent := ""
	if !s.ParentID.IsEmpty() {
		parent = r.id(s.ParentID[:])
	}
	o.put("parent_id", parent)
	o.put("start_time", r.time(s.Start))
	o.put("end_time", r.time(s.End))
	o.put("attributes", string(r.attributes(tr, s)))
	o.put("status_code", r.status(s))
	o.put("events", string(r.events(s)))
	o.put("links", "[]")
	if r.path == pathOTLP {
		r.number(&o, "duration", s.End.Truncate(time.Millisecond).Sub(s.Start.Truncate(time.Millisecond)).Milliseconds())
	} else {
		r.number(&o, "duration", s.End.Sub(s.Start).Microseconds())
	}
	return o.close()
}

// number writes a numeric column as the server version does.
func (r renderer) number(o *object, k string, n int64) {
	if r.strNums {
		o.put(k, strconv.FormatInt(n, 10))
	} else {
		o.put(k, n)
	}
}

func (r renderer) id(b []byte) string {
	switch r.path {
	case pathPython:
		return "0x" + hex.EncodeToString(b)
	case pathOTLP:
		return base64.StdEncoding.EncodeToString(b)
	}
	return hex.EncodeToString(b)
}

func (r renderer) time(t time.Time) string {
	if r.path == pathOTLP {
		return t.UTC().Format(layoutMilli)
	}
	return t.UTC().Format(layoutMicro)
}

// status is the status_code column: OK on successful client spans, ERROR
// on failures, UNSET otherwise; the OTLP path keeps the protobuf enum name
// (an unset status is absent there and normalised to UNSET).
func (r renderer) status(s *sim.Span) string {
	code := "UNSET"
	switch {
	case s.Error != nil:
		code = "ERROR"
	case clientKind(s.Kind):
		code = "OK"
	}
	if r.path == pathOTLP && code != "UNSET" {
		return "STATUS_CODE_" + code
	}
	return code
}

// attrs writes a span's attributes; on the OTLP path only string and int
// values survive, ints as strings.
type attrs struct {
	object
	otlp bool
}

func (a *attrs) put(k string, v any) {
	if v == nil {
		return
	}
	if a.otlp {
		switch x := v.(type) {
		case string:
		case int:
			v = strconv.Itoa(x)
		case int64:
			v = strconv.FormatInt(x, 10)
		default:
			return
		}
	}
	a.object.put(k, v)
}

func (a *attrs) putStr(k, v string) {
	if v != "" {
		a.put(k, v)
	}
}

// content encodes a value the SDK stores as a JSON string.
func (r renderer) content(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return string(appendValue(nil, v, r.style))
}

// attributes is the attributes column of s, as the Langtrace SDKs record it.
func (r renderer) attributes(tr *sim.Trace, s *sim.Span) []byte {
	a := attrs{otlp: r.path == pathOTLP}
	sd := sdks[r.path]
	prov, known := providers[s.Provider]
	if !known {
		prov = providerInfo{service: s.Provider, system: s.Provider}
	}
	switch s.Kind {
	case sim.KindLLM, sim.KindEmbedding:
		a.put("langtrace.service.name", prov.service)
		a.put("langtrace.service.type", "llm")
		a.putStr("langtrace.service.version", prov.version)
	case sim.KindRetrieval:
		store, _ := s.Attributes[sim.AttrDBSystem].(string)
		name := vectorStoreNames[store]
		if name == "" {
			name = store
		}
		a.putStr("langtrace.service.name", name)
		a.put("langtrace.service.type", "vectordb")
	default:
		a.put("langtrace.service.name", "langchain")
		a.put("langtrace.service.type", "framework")
		a.put("langtrace.service.version", "0.3.13")
	}
	a.put("langtrace.version", sd.version)
	a.put("langtrace.sdk.name", sd.name)
	if s.IsRoot() {
		a.putStr("user.id", tr.UserID)
		a.putStr("session.id", tr.ThreadID)
	}
	switch s.Kind {
	case sim.KindLLM:
		a.putStr("url.full", prov.url)
		a.putStr("url.path", prov.chatPath)
	case sim.KindEmbedding:
		a.putStr("url.full", prov.url)
		a.putStr("url.path", prov.embedPath)
	case sim.KindRetrieval:
		if store, ok := s.Attributes[sim.AttrDBSystem].(string); ok {
			a.put("db.system", store)
		}
		a.put("db.operation", "query")
		if in, ok := s.Input.(map[string]any); ok {
			a.putStr("db.query", r.content(in["query"]))
		}
	}
	a.putStr(genai.OperationName, s.Operation)
	a.putStr(genai.RequestModel, s.Model)
	if s.Provider != "" {
		a.put(genai.SystemDeprecated, prov.system)
	}
	keys := make([]string, 0, len(s.Attributes))
	for k := range s.Attributes {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		a.put(k, s.Attributes[k])
	}
	if s.Usage.Input > 0 {
		a.put(genai.UsageInputTokens, s.Usage.Input)
	}
	if s.Usage.Output > 0 {
		a.put(genai.UsageOutputTokens, s.Usage.Output)
	}
	if s.Usage.Total() > 0 {
		a.put(genai.UsageTotalTokens, s.Usage.Total())
	}
	switch s.Kind {
	case sim.KindLLM, sim.KindEmbedding, sim.KindRetrieval:
		// Content goes to events (LLM) or nowhere.
	case sim.KindTool:
		a.put(genai.ToolCallArguments, r.content(s.Input))
		if s.Output != nil {
			a.put(genai.ToolCallResult, r.content(s.Output))
		}
	default:
		a.put("langchain.inputs", r.content(s.Input))
		if s.Output != nil {
			a.put("langchain.outputs", r.content(s.Output))
		}
	}
	return a.close()
}

// events is the events column: the prompt and completion of LLM spans
// (their content JSON-encoded by the SDK once more) and the exception of a
// failed span.
func (r renderer) events(s *sim.Span) []byte {
	buf := []byte{'['}
	n := 0
	add := func(name string, at time.Time, kv ...string) {
		if n > 0 {
			buf = append(buf, ',')
		}
		n++
		o := object{buf: buf}
		o.put("name", name)
		switch r.path {
		case pathPython:
			o.put("timestamp", r.time(at))
		case pathTypeScript:
			o.raw("time", appendHrtime(nil, at))
		default:
			o.put("time", r.time(at))
		}
		a := object{buf: nil}
		for i := 0; i+1 < len(kv); i += 2 {
			a.put(kv[i], kv[i+1])
		}
		o.raw("attributes", a.close())
		buf = o.close()
	}
	if s.Kind == sim.KindLLM {
		add("gen_ai.content.prompt", s.Start, genai.PromptDeprecated, r.content(s.Input))
		if s.Output != nil {
			add("gen_ai.content.completion", s.End, genai.CompletionDeprecated, r.content(s.Output))
		}
	}
	if e := s.Error; e != nil {
		kv := []string{"exception.type", e.Type, "exception.message", e.Message, "exception.stacktrace", e.Stacktrace}
		if r.path != pathTypeScript {
			kv = append(kv, "exception.escaped", "False")
		}
		add("exception", s.End, kv...)
	}
	return append(buf, ']')
}

// appendHrtime writes t as a JS hrtime pair [seconds, nanoseconds].
func appendHrtime(dst []byte, t time.Time) []byte {
	dst = append(dst, '[')
	dst = strconv.AppendInt(dst, t.Unix(), 10)
	dst = append(dst, ',')
	dst = strconv.AppendInt(dst, int64(t.Nanosecond()), 10)
	return append(dst, ']')
}
