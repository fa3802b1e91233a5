package langwatchsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// traceJSON is a trace as mapTraceSummaryToTrace builds it, with the
// evaluations merged in and, on the successor search, platformUrl.
type traceJSON struct {
	TraceID     string         `json:"trace_id"`
	ProjectID   string         `json:"project_id"`
	Metadata    map[string]any `json:"metadata"`
	Timestamps  traceTimes     `json:"timestamps"`
	Input       *textValue     `json:"input,omitempty"`
	Output      *textValue     `json:"output,omitempty"`
	Metrics     traceMetrics   `json:"metrics"`
	Error       *errorJSON     `json:"error"`
	Spans       []spanJSON     `json:"spans"`
	Evaluations []evalJSON     `json:"evaluations"`
	PlatformURL string         `json:"platformUrl,omitempty"`
	ASCIITree   *string        `json:"ascii_tree,omitempty"`
}

type traceTimes struct {
	StartedAt  int64 `json:"started_at"`
	InsertedAt int64 `json:"inserted_at"`
	UpdatedAt  int64 `json:"updated_at"`
}

type textValue struct {
	Value string `json:"value"`
}

type traceMetrics struct {
	FirstTokenMs         *int64   `json:"first_token_ms"`
	TotalTimeMs          *int64   `json:"total_time_ms"`
	PromptTokens         *int64   `json:"prompt_tokens"`
	CompletionTokens     *int64   `json:"completion_tokens"`
	TotalCost            *float64 `json:"total_cost"`
	TokensEstimated      bool     `json:"tokens_estimated"`
	ReasoningTokens      *int64   `json:"reasoning_tokens,omitempty"`
	CacheReadInputTokens *int64   `json:"cache_read_input_tokens,omitempty"`
}

type errorJSON struct {
	HasError   bool     `json:"has_error"`
	Message    string   `json:"message"`
	Stacktrace []string `json:"stacktrace"`
}

// spanJSON is a REST span as mapNormalizedSpanToSpan builds it: model and
// vendor only on llm spans, contexts only on rag spans.
type spanJSON struct {
	SpanID     string         `json:"span_id"`
	ParentID   *string        `json:"parent_id"`
	TraceID    string         `json:"trace_id"`
	Type       string         `json:"type"`
	Name       string         `json:"name"`
	Input      *typedValue    `json:"input"`
	Output     *typedValue    `json:"output"`
	Error      *errorJSON     `json:"error"`
	Timestamps spanTimes      `json:"timestamps"`
	Metrics    *spanMetrics   `json:"metrics"`
	Params     map[string]any `json:"params"`
	Model      *string        `json:"model,omitempty"`
	Vendor     *string        `json:"vendor,omitempty"`
	Contexts   []ragChunk     `json:"contexts,omitempty"`
}

type typedValue struct {
	Type  string `json:"type"`
	Value any    `json:"value"`
}

type spanTimes struct {
	StartedAt    int64  `json:"started_at"`
	FinishedAt   int64  `json:"finished_at"`
	FirstTokenAt *int64 `json:"first_token_at"`
}

type spanMetrics struct {
	PromptTokens             *int64   `json:"prompt_tokens"`
	CompletionTokens         *int64   `json:"completion_tokens"`
	ReasoningTokens          *int64   `json:"reasoning_tokens"`
	CacheReadInputTokens     *int64   `json:"cache_read_input_tokens"`
	CacheCreationInputTokens *int64   `json:"cache_creation_input_tokens"`
	Cost                     *float64 `json:"cost"`
	TokensEstimated          *bool    `json:"tokens_estimated"`
}

type ragChunk struct {
	DocumentID *string `json:"document_id"`
	ChunkID    *string `json:"chunk_id"`
	Content    any     `json:"content"`
}

// evalJSON is an evaluation as mapTraceEvaluationsToLegacyEvaluations
// writes it.
type evalJSON struct {
	EvaluationID string     `json:"evaluation_id"`
	EvaluatorID  string     `json:"evaluator_id"`
	Name         string     `json:"name"`
	Type         string     `json:"type"`
	IsGuardrail  bool       `json:"is_guardrail"`
	Status       string     `json:"status"`
	Passed       *bool      `json:"passed"`
	Score        *float64   `json:"score"`
	Label        *string    `json:"label"`
	Details      *string    `json:"details"`
	Error        *errorJSON `json:"error"`
	Timestamps   evalTimes  `json:"timestamps"`
}

type evalTimes struct {
	InsertedAt *int64 `json:"inserted_at"`
	StartedAt  *int64 `json:"started_at"`
	FinishedAt *int64 `json:"finished_at"`
}

// view is how the part renders a trace at one instant.
type view struct {
	summaryAt time.Time // the trace version's instant (capped at the scroll's start)
	spansAt   time.Time // what the span and evaluation reads see (now)
	spans     bool      // includeSpans, or a single-trace read
}

// render builds trace x as LangWatch serves it.
func (h *handler) render(x *traceInfo, v view) traceJSON {
	tr := h.env.Data.Trace(x.i)
	t := traceJSON{
		TraceID:   x.id,
		ProjectID: h.project,
		Metadata:  traceMetadata(&tr, x.legacy),
		Timestamps: traceTimes{
			StartedAt:  x.startedAt(v.summaryAt).UnixMilli(),
			InsertedAt: h.stamp(x.inserted()),
			UpdatedAt:  h.stamp(x.updated(v.summaryAt)),
		},
		Spans:       []spanJSON{},
		Evaluations: []evalJSON{},
	}
	if !x.arrival[0].After(v.summaryAt) {
		// The computed input and output come from the root once it is in.
		t.Input, t.Output = ioSummary(tr.Spans[0].Input), ioSummary(tr.Spans[0].Output)
	}
	t.Metrics, t.Error = summaryOf(&tr, x, v.summaryAt)
	if v.spans {
		for _, k := range x.byArr {
			if !x.arrival[k].After(v.spansAt) {
				t.Spans = append(t.Spans, h.span(&tr, x, k))
			}
		}
		// Spans come ordered by start time.
		slices.SortStableFunc(t.Spans, func(a, b spanJSON) int { return int(a.Timestamps.StartedAt - b.Timestamps.StartedAt) })
	}
	for _, e := range x.evals {
		if !e.scheduled.After(v.spansAt) {
			t.Evaluations = append(t.Evaluations, h.evaluation(&e, v.spansAt))
		}
	}
	return t
}

// stamp writes a server-side instant as the server's clock has it.
func (h *handler) stamp(t time.Time) int64 { return t.Add(-h.lag).UnixMilli() }

// span renders span k of trace tr.
func (h *handler) span(tr *sim.Trace, x *traceInfo, k int) spanJSON {
	s := &tr.Spans[k]
	out := spanJSON{
		SpanID:     x.spans[k],
		TraceID:    x.id,
		Type:       spanType(s.Kind),
		Name:       s.Name,
		Timestamps: spanTimes{StartedAt: s.Start.UnixMilli(), FinishedAt: s.End.UnixMilli()},
	}
	if !s.IsRoot() {
		for j := range tr.Spans {
			if tr.Spans[j].ID == s.ParentID {
				out.ParentID = &x.spans[j]
				break
			}
		}
	}
	if s.Error != nil {
		out.Error = &errorJSON{HasError: true, Message: s.Error.Message, Stacktrace: strings.Split(s.Error.Stacktrace, "\n")}
	}
	if streamed, _ := s.Attributes[sim.AttrStreaming].(bool); streamed && s.Error == nil {
		ft := s.Start.Add(s.End.Sub(s.Start) * 2 / 5).UnixMilli()
		out.Timestamps.FirstTokenAt = &ft
	}
	out.Input, out.Output = typed(s, s.Input), typed(s, s.Output)
	out.Metrics = metricsOf(s)
	if out.Type == typeLLM {
		model, vendor := s.Model, s.Provider
		if x.legacy {
			vendor = legacyVendor(s.Provider)
		} else if rm, ok := s.Attributes[sim.AttrResponseModel].(string); ok {
			model = rm // gen_ai.response.model ?? gen_ai.request.model
		}
		out.Model, out.Vendor = &model, &vendor
	}
	if out.Type == typeRAG {
		out.Contexts = contextsOf(s)
	}
	out.Params = unflatten(h.attributes(tr, x, s, out))
	return out
}

// attributes are the span's attributes as LangWatch stores them (params
// is this map un-flattened): OTel SDK spans carry the GenAI attributes
// LangWatch canonicalised; legacy REST-collector spans only LangWatch's
// own keys.
func (h *handler) attributes(tr *sim.Trace, x *traceInfo, s *sim.Span, out spanJSON) map[string]any {
	a := map[string]any{"langwatch.span.type": out.Type}
	if s.IsRoot() {
		if tr.ThreadID != "" {
			a[genai.ConversationID] = tr.ThreadID
		}
		if tr.UserID != "" {
			a["langwatch.user_id"] = tr.UserID
		}
		a["langwatch.labels"] = anySlice(tr.Tags)
		for k, v := range tr.Metadata {
			a["metadata."+k] = fmt.Sprint(v)
		}
	}
	if x.legacy {
		if s.Kind == sim.KindLLM {
			params := map[string]any{}
			for k, v := range s.Attributes {
				if strings.HasPrefix(k, "gen_ai.request.") {
					params[strings.TrimPrefix(k, "gen_ai.request.")] = v
				}
			}
			a["langwatch.params"] = params
		}
		putTyped(a, "langwatch.input", out.Input)
		putTyped(a, "langwatch.output", out.Output)
		return a
	}
	putStr(a, genai.OperationName, s.Operation)
	putStr(a, genai.ProviderName, s.Provider)
	putStr(a, genai.RequestModel, s.Model)
	maps.Copy(a, s.Attributes)
	u := s.Usage
	putInt(a, genai.UsageInputTokens, u.Input)
	putInt(a, genai.UsageOutputTokens, u.Output)
	putInt(a, genai.UsageCacheReadInputTokens, u.CacheRead)
	putInt(a, genai.UsageReasoningOutputTokens, u.Reasoning)
	if out.Type == typeLLM && s.Kind == sim.KindLLM {
		if out.Input != nil {
			a[genai.InputMessages] = out.Input.Value
		}
		if out.Output != nil {
			a[genai.OutputMessages] = out.Output.Value
		}
	} else {
		putTyped(a, "langwatch.input", out.Input)
		putTyped(a, "langwatch.output", out.Output)
	}
	if out.Contexts != nil {
		a["langwatch.rag.contexts"] = out.Contexts
	}
	return a
}

// typed is a span input or output as a LangWatch typed value: chat
// messages for chat calls, text for strings, json for the rest.
func typed(s *sim.Span, v any) *typedValue {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		return &typedValue{Type: "text", Value: x}
	case []any:
		if s.Kind == sim.KindLLM {
			return &typedValue{Type: "chat_messages", Value: x}
		}
	}
	return &typedValue{Type: "json", Value: v}
}

func metricsOf(s *sim.Span) *spanMetrics {
	u := s.Usage
	if u.Input == 0 && u.Output == 0 && s.Cost == 0 {
		return nil
	}
	m := &spanMetrics{PromptTokens: intPtr(u.Input), CompletionTokens: intPtr(u.Output), ReasoningTokens: intPtr(u.Reasoning), CacheReadInputTokens: intPtr(u.CacheRead)}
	if s.Cost > 0 {
		c := s.Cost
		m.Cost = &c
	}
	return m
}

// contextsOf is a retrieval's documents as RAG chunks.
func contextsOf(s *sim.Span) []ragChunk {
	docs, _ := s.Attributes[sim.AttrRetrievalDocuments].([]any)
	out := make([]ragChunk, 0, len(docs))
	for _, d := range docs {
		doc, _ := d.(map[string]any)
		id, _ := doc["id"].(string)
		out = append(out, ragChunk{DocumentID: &id, Content: doc["content"]})
	}
	return out
}

// legacyVendor is how legacy SDKs spelled providers.
func legacyVendor(p string) string {
	switch p {
	case genai.ProviderGCPGemini:
		return "google"
	case genai.ProviderMistralAI:
		return "mistral"
	case genai.ProviderAWSBedrock:
		return "bedrock"
	}
	return p
}

// traceMetadata is the trace's metadata as the summary maps it: thread,
// user, labels, the SDK, and the custom keys as strings (ClickHouse keeps
// them in a Map(String, String)).
func traceMetadata(tr *sim.Trace, legacy bool) map[string]any {
	m := map[string]any{"sdk_name": "langwatch-python", "sdk_version": "0.2.9", "sdk_language": "python"}
	if legacy {
		m["sdk_name"], m["sdk_version"] = "langwatch", "0.1.11"
	}
	if tr.ThreadID != "" {
		m["thread_id"] = tr.ThreadID
	}
	if tr.UserID != "" {
		m["user_id"] = tr.UserID
	}
	if len(tr.Tags) > 0 {
		m["labels"] = tr.Tags
	}
	for k, v := range tr.Metadata {
		m[k] = fmt.Sprint(v)
	}
	return m
}

// summaryOf is the trace-level metrics and error over the spans held at t.
func summaryOf(tr *sim.Trace, x *traceInfo, t time.Time) (traceMetrics, *errorJSON) {
	var m traceMetrics
	var prompt, completion int64
	var cost float64
	var first, last time.Time
	var errMsg string
	for k := range tr.Spans {
		if x.arrival[k].After(t) {
			continue
		}
		s := &tr.Spans[k]
		prompt += int64(s.Usage.Input)
		completion += int64(s.Usage.Output)
		cost += s.Cost
		if first.IsZero() || s.Start.Before(first) {
			first = s.Start
		}
		if s.End.After(last) {
			last = s.End
		}
		if s.Error != nil && errMsg == "" {
			errMsg = s.Error.Message
		}
	}
	total := last.Sub(first).Milliseconds()
	cost = math.Round(cost*1e8) / 1e8
	m.TotalTimeMs, m.PromptTokens, m.CompletionTokens, m.TotalCost = &total, &prompt, &completion, &cost
	if errMsg == "" {
		return m, nil
	}
	return m, &errorJSON{HasError: true, Message: errMsg, Stacktrace: []string{}}
}

// evaluation renders an evaluation as it stands at t.
func (h *handler) evaluation(e *evalInfo, t time.Time) evalJSON {
	out := evalJSON{
		EvaluationID: e.id, EvaluatorID: e.evaluatorID, Name: e.name, Type: e.typ, IsGuardrail: e.guardrail,
		Status: "scheduled",
	}
	sched := h.stamp(e.scheduled)
	out.Timestamps.InsertedAt = &sched
	if e.started.After(t) {
		return out
	}
	started := h.stamp(e.started)
	out.Timestamps.StartedAt = &started
	out.Status = "in_progress"
	if e.done.After(t) {
		return out
	}
	done := h.stamp(e.done)
	out.Timestamps.FinishedAt = &done
	out.Status = e.status
	switch e.status {
	case "error":
		out.Error = &errorJSON{HasError: true, Message: e.errMsg, Stacktrace: []string{}}
	case "skipped":
		out.Details = &e.details
	default:
		score, passed := e.score, e.passed
		out.Score, out.Passed = &score, &passed
		if e.label != "" {
			out.Label = &e.label
		}
	}
	return out
}

// asciiTree draws the span tree the way GET /api/trace/{id} adds it.
func asciiTree(spans []spanJSON) string {
	children := map[string][]int{}
	var roots []int
	ids := map[string]bool{}
	for _, s := range spans {
		ids[s.SpanID] = true
	}
	for i, s := range spans {
		if s.ParentID == nil || !ids[*s.ParentID] {
			roots = append(roots, i)
			continue
		}
		children[*s.ParentID] = append(children[*s.ParentID], i)
	}
	var b strings.Builder
	var walk func(i int, indent string)
	walk = func(i int, indent string) {
		s := spans[i]
		fmt.Fprintf(&b, "%s%s (%s)\n", indent, s.Name, s.Type)
		for _, c := range children[s.SpanID] {
			walk(c, indent+"  ")
		}
	}
	for _, r := range roots {
		walk(r, "")
	}
	return b.String()
}

// ioSummary is the trace-level text of an input or output: the first text
// field of the root's value.
func ioSummary(v any) *textValue {
	switch x := v.(type) {
	case string:
		return &textValue{Value: x}
	case map[string]any:
		for _, k := range []string{"question", "input", "query", "instructions", "answer", "output"} {
			if s, ok := x[k].(string); ok && s != "" {
				return &textValue{Value: s}
			}
		}
	}
	return nil
}

// unflatten nests dotted keys the way LangWatch's safeUnflatten does.
func unflatten(flat map[string]any) map[string]any {
	out := map[string]any{}
	for _, key := range slices.Sorted(maps.Keys(flat)) {
		parts := strings.Split(key, ".")
		cur := out
		for _, p := range parts[:len(parts)-1] {
			next, ok := cur[p].(map[string]any)
			if !ok {
				next = map[string]any{}
				cur[p] = next
			}
			cur = next
		}
		cur[parts[len(parts)-1]] = flat[key]
	}
	return out
}

func putTyped(a map[string]any, key string, v *typedValue) {
	if v != nil {
		a[key] = map[string]any{"type": v.Type, "value": v.Value}
	}
}

func putStr(a map[string]any, k, v string) {
	if v != "" {
		a[k] = v
	}
}

func putInt(a map[string]any, k string, v int) {
	if v > 0 {
		a[k] = v
	}
}

func intPtr(v int) *int64 {
	if v == 0 {
		return nil
	}
	n := int64(v)
	return &n
}

func anySlice(ss []string) []any {
	out := make([]any, len(ss))
	for i, s := range ss {
		out[i] = s
	}
	return out
}

// marshal writes v as Node's JSON.stringify does: no HTML escaping.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}
