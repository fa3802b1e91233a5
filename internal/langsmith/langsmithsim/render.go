package langsmithsim

import (
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Run types (v2, uppercase).
const (
	typeLLM       = "LLM"
	typeChain     = "CHAIN"
	typeTool      = "TOOL"
	typeRetriever = "RETRIEVER"
	typeEmbedding = "EMBEDDING"
)

// runType is the run_type a dataset span gets from LangChain and the
// LangSmith SDK: agents (LangGraph graphs), chains and guardrails are
// chains.
func runType(k sim.SpanKind) string {
	switch k {
	case sim.KindLLM:
		return typeLLM
	case sim.KindTool:
		return typeTool
	case sim.KindRetrieval:
		return typeRetriever
	case sim.KindEmbedding:
		return typeEmbedding
	}
	return typeChain
}

// lsProvider is the ls_provider LangChain's integrations write for a
// dataset provider (ChatGoogleGenerativeAI: google_genai, ChatBedrock:
// amazon_bedrock, ChatMistralAI: mistral).
func lsProvider(p string) string {
	switch p {
	case genai.ProviderGCPGemini:
		return "google_genai"
	case genai.ProviderAWSBedrock:
		return "amazon_bedrock"
	case genai.ProviderMistralAI:
		return "mistral"
	}
	return p
}

// langChainType is the invocation_params._type of a provider's chat model.
func langChainType(p string) string {
	return strings.ReplaceAll(lsProvider(p), "_", "-") + "-chat"
}

// timeText writes LangSmith's RFC 3339 with microseconds.
func timeText(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z07:00") }

// eventTime writes an event time: RFC 3339 with milliseconds.
func eventTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }

// dottedTime is a dotted_order segment's time: 20060102T150405ffffffZ.
func dottedTime(t time.Time) string {
	return strings.Replace(t.UTC().Format("20060102T150405.000000Z"), ".", "", 1)
}

// runView renders the runs of one trace as LangSmith holds them at now.
type runView struct {
	tr      *sim.Trace
	info    *traceInfo
	now     time.Time
	project string
	parent  []int // index of each span's parent, -1 for the root
	style   llmStyle
}

// llmStyle is how the application traced its LLM calls.
type llmStyle uint8

const (
	styleLangChain  llmStyle = iota // a LangChain chat model: serialised messages, LLMResult
	styleWrapOpenAI                 // wrap_openai: the OpenAI request and response as they are
	styleOTel                       // OTLP-ingested: GenAI messages mapped by LangSmith's ingest
)

func newRunView(tr *sim.Trace, info *traceInfo, now time.Time, project string) *runView {
	v := &runView{tr: tr, info: info, now: now, project: project, parent: make([]int, len(tr.Spans))}
	at := make(map[[8]byte]int, len(tr.Spans))
	for k := range tr.Spans {
		at[tr.Spans[k].ID] = k
	}
	for k := range tr.Spans {
		v.parent[k] = -1
		if p, ok := at[tr.Spans[k].ParentID]; ok && !tr.Spans[k].IsRoot() {
			v.parent[k] = p
		}
	}
	switch {
	case info.otel:
		v.style = styleOTel
	case sim.Mix(binary.BigEndian.Uint64(info.id[:8]))%3 == 0:
		v.style = styleWrapOpenAI
	}
	return v
}

func (v *runView) exists(k int) bool { return !v.info.runs[k].posted.After(v.now) }
func (v *runView) ended(k int) bool  { return !v.info.runs[k].patched.After(v.now) }
func (v *runView) uuid(k int) string { return uuidString(v.info.runs[k].uuid) }

// ancestors returns the indices from the root down to k's parent.
func (v *runView) ancestors(k int) []int {
	var out []int
	for p := v.parent[k]; p >= 0; p = v.parent[p] {
		out = append(out, p)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out
}

// fields is a set of selected fields (their JSON names).
type fields map[string]bool

// run renders run k with the selected fields only.
func (v *runView) run(k int, sel fields) map[string]any {
	out := make(map[string]any, len(sel))
	put := func(key string, f func() any) {
		if sel[key] {
			if val := f(); val != nil {
				out[key] = val
			}
		}
	}
	s := &v.tr.Spans[k]
	ended := v.ended(k)
	put("id", func() any { return v.uuid(k) })
	put("name", func() any { return s.Name })
	put("run_type", func() any { return runType(s.Kind) })
	put("status", func() any { return v.status(k) })
	put("start_time", func() any { return timeText(s.Start) })
	if sel["end_time"] {
		if ended {
			out["end_time"] = timeText(s.End)
		} else {
			out["end_time"] = nil // JSON null while running (the spec's own description)
		}
	}
	put("latency_seconds", func() any { return v.ifEnded(k, math.Round(s.End.Sub(s.Start).Seconds()*1e6)/1e6) })
	put("first_token_time", func() any { return v.firstToken(k) })
	put("error", func() any { return v.errorText(k) })
	put("error_preview", func() any { return preview(v.errorText(k)) })
	put("extra", func() any { return v.extra(k) })
	put("metadata", func() any { return v.metadata(k) })
	put("events", func() any { return v.events(k) })
	put("inputs", func() any { return v.inputs(k) })
	put("inputs_preview", func() any { return previewJSON(v.inputs(k)) })
	put("outputs", func() any { return v.outputs(k) })
	put("outputs_preview", func() any { return previewJSON(v.outputs(k)) })
	put("parent_run_ids", func() any { return v.parentRunIDs(k) })
	put("project_id", func() any { return v.project })
	put("trace_id", func() any { return uuidString(v.info.id) })
	put("thread_id", func() any { return nilIfEmpty(v.info.thread) })
	put("dotted_order", func() any { return v.dottedOrder(k) })
	put("is_root", func() any { return s.IsRoot() })
	put("app_path", func() any { return v.appPath(k) })
	put("attachments", func() any { return map[string]any{} })
	put("feedback_stats", func() any { return map[string]any{} })
	put("is_in_dataset", func() any { return false })
	put("price_model_id", func() any { return v.priceModel(k) })
	v.usage(k, put)
	return out
}

func (v *runView) ifEnded(k int, val any) any {
	if !v.ended(k) {
		return nil
	}
	return val
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (v *runView) status(k int) string {
	switch {
	case !v.ended(k):
		return "PENDING"
	case v.tr.Spans[k].Error != nil:
		return "ERROR"
	}
	return "SUCCESS"
}

// errorText is the run's error as the SDKs store it: the Python traceback.
func (v *runView) errorText(k int) any {
	s := &v.tr.Spans[k]
	if !v.ended(k) || s.Error == nil {
		return nil
	}
	return s.Error.Stacktrace
}

// preview truncates a text to LangSmith's preview length.
func preview(v any) any {
	s, ok := v.(string)
	if !ok || s == "" {
		return nil
	}
	if len(s) > 150 {
		s = s[:150]
	}
	return s
}

func previewJSON(v any) any {
	if v == nil {
		return nil
	}
	b, _ := json.Marshal(v)
	return preview(string(b))
}

func (v *runView) parentRunIDs(k int) any {
	out := []string{}
	for _, a := range v.ancestors(k) {
		out = append(out, v.uuid(a))
	}
	return out
}

func (v *runView) dottedOrder(k int) any {
	var b strings.Builder
	for _, a := range append(v.ancestors(k), k) {
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(dottedTime(v.tr.Spans[a].Start))
		b.WriteString(v.uuid(a))
	}
	return b.String()
}

func (v *runView) appPath(k int) any {
	return "/o/" + derivedUUID("org") + "/projects/p/" + v.project + "/r/" + v.uuid(k) +
		"?trace_id=" + uuidString(v.info.id) + "&start_time=" + timeText(v.tr.Spans[k].Start)
}

func (v *runView) priceModel(k int) any {
	if s := &v.tr.Spans[k]; s.Model != "" {
		return derivedUUID("price\x00" + s.Model)
	}
	return nil
}

// firstToken is when a streamed LLM run produced its first token.
func (v *runView) firstToken(k int) any {
	s := &v.tr.Spans[k]
	if s.Kind != sim.KindLLM || !v.ended(k) || s.Error != nil || s.Attributes[sim.AttrStreaming] != true {
		return nil
	}
	return timeText(v.ttft(s))
}

func (v *runView) ttft(s *sim.Span) time.Time {
	d := 150*time.Millisecond + time.Duration(sim.Mix(binary.BigEndian.Uint64(s.ID[:]))%750)*time.Millisecond
	return s.Start.Add(min(d, s.End.Sub(s.Start))).Truncate(time.Microsecond)
}

// usage puts tokens and costs. An LLM or embedding run carries its
// request's usage; any other run the sum over its ended descendants, as
// LangSmith shows a chain's tokens [I]. Pending runs have none yet.
func (v *runView) usage(k int, put func(string, func() any)) {
	var u sim.Usage
	var cost float64
	s := &v.tr.Spans[k]
	switch {
	case !v.ended(k):
	case s.Kind == sim.KindLLM || s.Kind == sim.KindEmbedding:
		u, cost = s.Usage, s.Cost
	default:
		for d := range v.tr.Spans {
			if d != k && v.ended(d) && v.exists(d) && v.descends(d, k) && (v.tr.Spans[d].Kind == sim.KindLLM || v.tr.Spans[d].Kind == sim.KindEmbedding) {
				du := v.tr.Spans[d].Usage
				u.Input, u.Output, u.CacheRead, u.Reasoning = u.Input+du.Input, u.Output+du.Output, u.CacheRead+du.CacheRead, u.Reasoning+du.Reasoning
				cost += v.tr.Spans[d].Cost
			}
		}
	}
	promptCost := 0.0
	if u.Total() > 0 {
		promptCost = round9(cost * float64(u.Input) / float64(u.Total()))
	}
	put("prompt_tokens", func() any { return u.Input })
	put("completion_tokens", func() any { return u.Output })
	put("total_tokens", func() any { return u.Total() })
	put("prompt_cost", func() any { return promptCost })
	put("completion_cost", func() any { return round9(cost - promptCost) })
	put("total_cost", func() any { return round9(cost) })
	put("prompt_token_details", func() any { return details(map[string]any{"cache_read": u.CacheRead}) })
	put("completion_token_details", func() any { return details(map[string]any{"reasoning": u.Reasoning}) })
	put("prompt_cost_details", func() any { return details(nil) })
	put("completion_cost_details", func() any { return details(nil) })
}

func (v *runView) descends(d, k int) bool {
	for p := v.parent[d]; p >= 0; p = v.parent[p] {
		if p == k {
			return true
		}
	}
	return false
}

func round9(f float64) float64 { return math.Round(f*1e9) / 1e9 }

// details is a *_details object: {"raw": {category: n}} without zeros.
func details(m map[string]any) map[string]any {
	raw := map[string]any{}
	for k, n := range m {
		if n != 0 {
			raw[k] = n
		}
	}
	return map[string]any{"raw": raw}
}

// metadata is the trace's metadata (LangChain passes a run's metadata on to
// its children), the thread key, the user, and on model calls the ls_*
// keys LangChain's integrations add; OTLP-ingested runs keep their ids.
func (v *runView) metadata(k int) any {
	s := &v.tr.Spans[k]
	m := make(map[string]any, len(v.tr.Metadata)+8)
	for key, val := range v.tr.Metadata {
		m[key] = val
	}
	if v.info.thread != "" {
		m[threadKey(v.info.thread)] = v.info.thread
	}
	if v.tr.UserID != "" {
		m["user_id"] = v.tr.UserID
	}
	if s.Model != "" {
		m["ls_provider"] = lsProvider(s.Provider)
		m["ls_model_name"] = s.Model
		if s.Kind == sim.KindLLM {
			m["ls_model_type"] = "chat"
			if t, ok := s.Attributes[sim.AttrRequestTemperature]; ok {
				m["ls_temperature"] = t
			}
			if n, ok := s.Attributes[sim.AttrRequestMaxTokens]; ok {
				m["ls_max_tokens"] = n
			}
		}
	}
	if v.info.otel {
		m["OTEL_TRACE_ID"] = hex.EncodeToString(v.tr.ID[:])
		m["OTEL_SPAN_ID"] = hex.EncodeToString(s.ID[:])
	}
	if s.Kind == sim.KindAgent {
		m["langgraph_node"] = s.Name
	}
	return m
}

// extra holds the invocation parameters of model calls and, on the root,
// the runtime the SDK reports.
func (v *runView) extra(k int) any {
	s := &v.tr.Spans[k]
	m := map[string]any{}
	if s.IsRoot() && !v.info.otel {
		m["runtime"] = map[string]any{
			"sdk": "langsmith-py", "sdk_version": "0.4.21", "library": "langsmith", "platform": "Linux-6.8.0-x86_64",
			"runtime": "python", "py_implementation": "CPython", "runtime_version": "3.12.7", "langchain_core_version": "0.3.72",
		}
	}
	if s.Model != "" {
		ip := map[string]any{"model": s.Model}
		if s.Kind == sim.KindLLM {
			if v.style == styleLangChain {
				ip = map[string]any{"model_name": s.Model, "_type": langChainType(s.Provider), "stop": nil}
			}
			for attr, key := range map[string]string{
				sim.AttrRequestTemperature: "temperature", sim.AttrRequestMaxTokens: "max_tokens",
				sim.AttrRequestTopP: "top_p", sim.AttrStreaming: "stream", sim.AttrReasoningEffort: "reasoning_effort",
			} {
				if val, ok := s.Attributes[attr]; ok {
					ip[key] = val
				}
			}
		}
		m["invocation_params"] = ip
		if v.style == styleLangChain && s.Kind == sim.KindLLM {
			m["batch_size"] = 1
		}
	}
	return m
}

// events are LangChain's start and end events (and the first streamed
// token); OTLP-ingested runs have none.
func (v *runView) events(k int) any {
	s := &v.tr.Spans[k]
	out := []any{}
	if v.info.otel {
		return out
	}
	out = append(out, map[string]any{"name": "start", "time": eventTime(s.Start)})
	if !v.ended(k) {
		return out
	}
	if ft := v.firstToken(k); ft != nil {
		out = append(out, map[string]any{"name": "new_token", "time": eventTime(v.ttft(s)), "kwargs": map[string]any{"token": firstWord(s)}})
	}
	return append(out, map[string]any{"name": "end", "time": eventTime(s.End)})
}

func firstWord(s *sim.Span) string {
	if out, ok := s.Output.([]any); ok && len(out) > 0 {
		if m, ok := out[0].(map[string]any); ok {
			if c, ok := m["content"].(string); ok {
				w, _, _ := strings.Cut(c, " ")
				return w
			}
		}
	}
	return ""
}
