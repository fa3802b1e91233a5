package opiksim

import (
	"bytes"
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"time"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// pageJSON is Opik's page answer; size is the number of items returned.
type pageJSON[T any] struct {
	Page       int      `json:"page"`
	Size       int      `json:"size"`
	Total      int      `json:"total"`
	Content    []T      `json:"content"`
	SortableBy []string `json:"sortableBy"`
}

var (
	traceSortable = []string{"id", "name", "start_time", "end_time", "input", "output", "metadata", "tags", "duration",
		"ttft", "thread_id", "usage.total_tokens", "usage.prompt_tokens", "usage.completion_tokens", "total_estimated_cost",
		"span_count", "llm_span_count", "error_info", "created_by", "last_updated_at"}
	spanSortable = []string{"id", "name", "start_time", "end_time", "input", "output", "metadata", "tags", "duration",
		"ttft", "type", "model", "provider", "usage.total_tokens", "usage.prompt_tokens", "usage.completion_tokens",
		"total_estimated_cost", "error_info"}
)

type errorInfoJSON struct {
	ExceptionType string `json:"exception_type"`
	Message       string `json:"message,omitempty"`
	Traceback     string `json:"traceback"`
}

type checkJSON struct {
	Name   string `json:"name"`
	Result string `json:"result"`
}

type guardrailJSON struct {
	SpanID string      `json:"span_id"`
	Checks []checkJSON `json:"checks"`
}

// traceJSON is Opik's TracePublic; null fields are left out.
type traceJSON struct {
	ID                    string           `json:"id"`
	ProjectID             string           `json:"project_id"`
	Name                  string           `json:"name,omitempty"`
	StartTime             string           `json:"start_time"`
	EndTime               string           `json:"end_time,omitempty"`
	Input                 any              `json:"input,omitempty"`
	Output                any              `json:"output,omitempty"`
	Metadata              any              `json:"metadata,omitempty"`
	Tags                  []string         `json:"tags,omitempty"`
	Usage                 map[string]int64 `json:"usage,omitempty"`
	ErrorInfo             *errorInfoJSON   `json:"error_info,omitempty"`
	CreatedAt             string           `json:"created_at"`
	LastUpdatedAt         string           `json:"last_updated_at"`
	CreatedBy             string           `json:"created_by"`
	LastUpdatedBy         string           `json:"last_updated_by"`
	TotalEstimatedCost    *float64         `json:"total_estimated_cost,omitempty"`
	SpanCount             int              `json:"span_count"`
	Duration              *float64         `json:"duration,omitempty"`
	ThreadID              string           `json:"thread_id,omitempty"`
	VisibilityMode        string           `json:"visibility_mode"`
	LLMSpanCount          int              `json:"llm_span_count"`
	HasToolSpans          bool             `json:"has_tool_spans"`
	Providers             []string         `json:"providers,omitempty"`
	GuardrailsValidations []guardrailJSON  `json:"guardrails_validations,omitempty"`
	Source                string           `json:"source"`
}

// spanJSON is Opik's SpanPublic; null fields are left out.
type spanJSON struct {
	ID                 string           `json:"id"`
	ProjectID          string           `json:"project_id"`
	TraceID            string           `json:"trace_id"`
	ParentSpanID       string           `json:"parent_span_id,omitempty"`
	Name               string           `json:"name,omitempty"`
	Type               string           `json:"type"`
	StartTime          string           `json:"start_time"`
	EndTime            string           `json:"end_time,omitempty"`
	Input              any              `json:"input,omitempty"`
	Output             any              `json:"output,omitempty"`
	Metadata           any              `json:"metadata,omitempty"`
	Model              string           `json:"model,omitempty"`
	Provider           string           `json:"provider,omitempty"`
	Tags               []string         `json:"tags,omitempty"`
	Usage              map[string]int64 `json:"usage,omitempty"`
	ErrorInfo          *errorInfoJSON   `json:"error_info,omitempty"`
	CreatedAt          string           `json:"created_at"`
	LastUpdatedAt      string           `json:"last_updated_at"`
	CreatedBy          string           `json:"created_by"`
	LastUpdatedBy      string           `json:"last_updated_by"`
	TotalEstimatedCost *float64         `json:"total_estimated_cost,omitempty"`
	Duration           *float64         `json:"duration,omitempty"`
	Source             string           `json:"source"`
}

// tracesPage answers GET /v1/private/traces.
func (h *handler) tracesPage(req request, now time.Time) []byte {
	list := h.index.tracesAt(req, now)
	if len(req.filters) > 0 {
		list = slices.DeleteFunc(list, func(info *traceInfo) bool { return !matches(req.filters, &info.fields) })
	}
	items := pageOf(list, req)
	out := pageJSON[traceJSON]{Page: req.page, Size: len(items), Total: len(list) + req.shifted, SortableBy: traceSortable}
	out.Content = make([]traceJSON, 0, len(items))
	for _, info := range items {
		out.Content = append(out.Content, h.trace(info, now))
	}
	return marshal(out)
}

// traceByID answers GET /v1/private/traces/{id}: the trace as the list
// shows it, or 404 while its record does not exist (an id that is no UUID
// is a 404 too: JAX-RS cannot convert it).
func (h *handler) traceByID(w http.ResponseWriter, id string, now time.Time) {
	u, ok := parseUUID(id)
	if !ok {
		writeError(w, http.StatusNotFound, bodyNotFound)
		return
	}
	i, ok := h.index.traceByID(u, now)
	if !ok || h.index.info(i).created.After(now) {
		writeError(w, http.StatusNotFound, bodyNoTrace)
		return
	}
	writeJSON(w, http.StatusOK, marshal(h.trace(h.index.info(i), now)))
}

// spansPage answers GET /v1/private/spans.
func (h *handler) spansPage(req request, now time.Time) []byte {
	list := h.index.spansAt(req, now)
	items := pageOf(list, req)
	out := pageJSON[spanJSON]{Page: req.page, Size: len(items), Total: len(list) + req.shifted, SortableBy: spanSortable}
	out.Content = make([]spanJSON, 0, len(items))
	traces := map[int]*sim.Trace{}
	for _, ref := range items {
		tr := traces[ref.trace.i]
		if tr == nil {
			// A listed span is visible, hence ended: the full trace holds
			// it as the vendor does (View gives the same span).
			t := h.env.Data.Trace(ref.trace.i)
			tr = &t
			traces[ref.trace.i] = tr
		}
		out.Content = append(out.Content, h.span(tr, ref.trace, ref.k))
	}
	return marshal(out)
}

// marshal writes v as Jackson does: no HTML escaping.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func pageOf[T any](list []T, req request) []T {
	from := min(req.offset, len(list))
	to := min(from+req.size, len(list))
	return list[from:to]
}

// trace renders trace info as Opik holds it at now.
func (h *handler) trace(info *traceInfo, now time.Time) traceJSON {
	tr, ok := h.env.Data.View(info.i, now)
	var root sim.Span
	if r := tr.Root(); ok && r != nil {
		root = *r
		tr.Spans = tr.Spans[1:]
	} else {
		// The low-level client created the record before the root
		// reached the dataset's vendor view.
		full := h.env.Data.Trace(info.i)
		root = full.Spans[0]
		full.Spans = tr.Spans
		tr = full
	}
	ended := !info.ended.After(now)
	t := traceJSON{
		ID:             uuidString(info.id),
		ProjectID:      h.projectID,
		Name:           root.Name,
		StartTime:      instant(root.Start),
		Input:          object(root.Input, "input"),
		Metadata:       traceMetadata(&tr),
		Tags:           tr.Tags,
		CreatedAt:      instant(info.created),
		LastUpdatedAt:  instant(info.created),
		CreatedBy:      h.user,
		LastUpdatedBy:  h.user,
		SpanCount:      len(tr.Spans),
		ThreadID:       tr.ThreadID,
		VisibilityMode: "default",
		Source:         "sdk",
	}
	if ended {
		t.EndTime = instant(root.End)
		t.Duration = duration(root.Start, root.End)
		t.Output = object(root.Output, "output")
		t.ErrorInfo = errorInfo(root.Error)
		t.LastUpdatedAt = instant(info.ended)
	}
	var cost float64
	providers := map[string]bool{}
	for k := range tr.Spans {
		s := &tr.Spans[k]
		typ := spanType(s.Kind)
		if typ == typeLLM {
			t.LLMSpanCount++
		}
		if typ == typeTool {
			t.HasToolSpans = true
		}
		if s.Provider != "" {
			providers[providerOf(s)] = true
		}
		for key, v := range usage(s) {
			if t.Usage == nil {
				t.Usage = map[string]int64{}
			}
			t.Usage[key] += v
		}
		cost += s.Cost
		if s.Kind == sim.KindGuardrail {
			t.GuardrailsValidations = append(t.GuardrailsValidations, guardrail(s))
		}
	}
	if cost > 0 {
		t.TotalEstimatedCost = &cost
	}
	t.Providers = slices.Sorted(maps.Keys(providers))
	return t
}

// span renders span k (root excluded) of trace tr.
func (h *handler) span(tr *sim.Trace, info *traceInfo, k int) spanJSON {
	s := &tr.Spans[k+1]
	si := &info.spans[k]
	out := spanJSON{
		ID:            uuidString(si.uuid),
		ProjectID:     h.projectID,
		TraceID:       uuidString(info.id),
		Name:          s.Name,
		Type:          si.typ,
		StartTime:     instant(s.Start),
		EndTime:       instant(s.End),
		Duration:      duration(s.Start, s.End),
		CreatedAt:     instant(s.Visible),
		LastUpdatedAt: instant(s.Visible),
		CreatedBy:     h.user,
		LastUpdatedBy: h.user,
		ErrorInfo:     errorInfo(s.Error),
		Source:        "sdk",
	}
	if s.ParentID != tr.Spans[0].ID {
		for j := range info.spans {
			if u := &info.spans[j].uuid; [8]byte(u[8:]) == [8]byte(s.ParentID) {
				out.ParentSpanID = uuidString(*u)
				break
			}
		}
	}
	if s.Cost > 0 {
		c := s.Cost
		out.TotalEstimatedCost = &c
	}
	out.Usage = usage(s)
	switch s.Kind {
	case sim.KindLLM:
		out.Model, out.Provider = s.Model, providerOf(s)
		out.Input, out.Output, out.Metadata = llmContent(s)
	case sim.KindEmbedding:
		out.Model, out.Provider = s.Model, providerOf(s)
		integ := integrationOf(s)
		out.Input = map[string]any{"input": s.Input}
		out.Output = object(s.Output, "output")
		out.Metadata = map[string]any{
			"created_from": integ, "type": integ + "_embeddings",
			"model":      s.Attributes[sim.AttrResponseModel],
			"dimensions": s.Attributes[sim.AttrEmbeddingDimension],
		}
	case sim.KindTool:
		out.Input, out.Output = object(s.Input, "input"), object(s.Output, "output")
		if id, ok := s.Attributes[sim.AttrToolCallID]; ok {
			out.Metadata = map[string]any{"tool_call_id": id}
		}
	case sim.KindRetrieval:
		out.Input, out.Output = object(s.Input, "input"), object(s.Output, "output")
		out.Metadata = map[string]any{
			"vector_store": s.Attributes[sim.AttrDBSystem],
			"index":        s.Attributes[sim.AttrDataSourceID],
			"top_k":        s.Attributes[sim.AttrRetrievalTopK],
		}
	case sim.KindGuardrail:
		out.Input = map[string]any{"generation": textOf(s.Input)}
		if o, ok := s.Output.(map[string]any); ok {
			m := maps.Clone(o)
			m["guardrail_result"] = guardrailResult(s)
			out.Output = m
		}
		out.Metadata = map[string]any{"guardrail": s.Name}
	case sim.KindAgent:
		out.Input, out.Output = object(s.Input, "input"), object(s.Output, "output")
		out.Metadata = map[string]any{"agent_name": s.Attributes[sim.AttrAgentName]}
	default:
		out.Input, out.Output = object(s.Input, "input"), object(s.Output, "output")
	}
	return out
}

// integrationOf is the Opik integration that logged an LLM or embedding
// call: Opik's own for OpenAI and Anthropic, LiteLLM's for the rest.
func integrationOf(s *sim.Span) string {
	switch s.Provider {
	case genai.ProviderOpenAI:
		return "openai"
	case genai.ProviderAnthropic:
		return "anthropic"
	}
	return "litellm"
}

// providerOf is the provider string the integration writes.
func providerOf(s *sim.Span) string {
	switch s.Provider {
	case genai.ProviderOpenAI:
		return "openai"
	case genai.ProviderAnthropic:
		return "anthropic"
	case genai.ProviderGCPGemini:
		return "gemini"
	case genai.ProviderMistralAI:
		return "mistral"
	case genai.ProviderAWSBedrock:
		return "bedrock"
	case genai.ProviderCohere:
		return "cohere"
	}
	return s.Provider
}

// llmContent is a chat call's input, output and metadata as Opik's
// integrations log them: the request's keyword arguments and the
// response's own fields go into metadata; OpenAI and LiteLLM log the
// OpenAI response's choices, Anthropic its message.
func llmContent(s *sim.Span) (input, output any, metadata map[string]any) {
	integ := integrationOf(s)
	msgs, _ := s.Input.([]any)
	metadata = map[string]any{"created_from": integ, "model": s.Model}
	for k, meta := range map[string]string{
		sim.AttrRequestMaxTokens:   "max_tokens",
		sim.AttrRequestTemperature: "temperature",
		sim.AttrRequestTopP:        "top_p",
		sim.AttrStreaming:          "stream",
		sim.AttrReasoningEffort:    "reasoning_effort",
	} {
		if v, ok := s.Attributes[k]; ok {
			metadata[meta] = v
		}
	}
	var reply map[string]any
	if out, ok := s.Output.([]any); ok && len(out) > 0 {
		reply, _ = out[0].(map[string]any)
	}
	finish := ""
	if fr, ok := s.Attributes[sim.AttrFinishReasons].([]any); ok && len(fr) > 0 {
		finish, _ = fr[0].(string)
	}
	if integ == "anthropic" {
		metadata["type"] = "anthropic_messages"
		input = map[string]any{"messages": msgs}
		if len(msgs) > 0 {
			if m, ok := msgs[0].(map[string]any); ok && m["role"] == "system" {
				input = map[string]any{"system": m["content"], "messages": msgs[1:]}
			}
		}
		if reply != nil {
			stop := "end_turn"
			if finish == "tool_calls" {
				stop = "tool_use"
			}
			output = map[string]any{
				"id": s.Attributes[sim.AttrResponseID], "type": "message", "role": "assistant",
				"model": s.Attributes[sim.AttrResponseModel], "content": anthropicContent(reply),
				"stop_reason": stop, "stop_sequence": nil,
			}
		}
		return input, output, metadata
	}
	metadata["type"] = integ + "_chat"
	input = map[string]any{"messages": msgs}
	if reply != nil {
		output = map[string]any{"choices": []any{map[string]any{
			"index": 0, "message": reply, "finish_reason": finish, "logprobs": nil,
		}}}
		metadata["object"] = "chat.completion"
		metadata["model"] = s.Attributes[sim.AttrResponseModel]
		metadata["id"] = s.Attributes[sim.AttrResponseID]
		metadata["created"] = s.End.Unix()
	}
	return input, output, metadata
}

// anthropicContent turns an OpenAI-format reply into Anthropic content
// blocks.
func anthropicContent(reply map[string]any) []any {
	var blocks []any
	if text, ok := reply["content"].(string); ok && text != "" {
		blocks = append(blocks, map[string]any{"type": "text", "text": text})
	}
	calls, _ := reply["tool_calls"].([]any)
	for _, c := range calls {
		call, _ := c.(map[string]any)
		fn, _ := call["function"].(map[string]any)
		var args any = map[string]any{}
		if a, ok := fn["arguments"].(string); ok {
			_ = json.Unmarshal([]byte(a), &args)
		}
		blocks = append(blocks, map[string]any{"type": "tool_use", "id": call["id"], "name": fn["name"], "input": args})
	}
	return blocks
}

// usage is a span's usage as Opik stores it: the OpenAI-style keys plus
// the provider's original usage flattened under original_usage.
func usage(s *sim.Span) map[string]int64 {
	u := s.Usage
	if u.Input == 0 && u.Output == 0 {
		return nil
	}
	in, out := int64(u.Input), int64(u.Output)
	m := map[string]int64{"prompt_tokens": in, "total_tokens": in + out}
	if s.Kind == sim.KindEmbedding {
		m["original_usage.prompt_tokens"] = in
		m["original_usage.total_tokens"] = in + out
		return m
	}
	m["completion_tokens"] = out
	switch integrationOf(s) {
	case "anthropic":
		m["original_usage.input_tokens"] = in - int64(u.CacheRead)
		m["original_usage.output_tokens"] = out
		m["original_usage.cache_read_input_tokens"] = int64(u.CacheRead)
		m["original_usage.cache_creation_input_tokens"] = 0
	case "openai":
		m["original_usage.prompt_tokens"] = in
		m["original_usage.completion_tokens"] = out
		m["original_usage.total_tokens"] = in + out
		m["original_usage.prompt_tokens_details.cached_tokens"] = int64(u.CacheRead)
		m["original_usage.completion_tokens_details.reasoning_tokens"] = int64(u.Reasoning)
	default:
		m["original_usage.prompt_tokens"] = in
		m["original_usage.completion_tokens"] = out
		m["original_usage.total_tokens"] = in + out
	}
	return m
}

// guardrail is the trace's guardrails_validations entry of a guardrail
// span; Opik's checks are named TOPIC and PII.
func guardrail(s *sim.Span) guardrailJSON {
	name := "TOPIC"
	if s.Name == "pii_filter" {
		name = "PII"
	}
	return guardrailJSON{SpanID: uuidString(sim.SpanUUIDv7(s)), Checks: []checkJSON{{Name: name, Result: guardrailResult(s)}}}
}

func guardrailResult(s *sim.Span) string {
	if o, ok := s.Output.(map[string]any); ok && o["passed"] == false {
		return "failed"
	}
	return "passed"
}

// traceMetadata is the trace's metadata with its end user, which Opik has
// no field for.
func traceMetadata(tr *sim.Trace) map[string]any {
	if tr.UserID == "" {
		return tr.Metadata
	}
	m := maps.Clone(tr.Metadata)
	if m == nil {
		m = map[string]any{}
	}
	m["user_id"] = tr.UserID
	return m
}

func errorInfo(e *sim.ErrorInfo) *errorInfoJSON {
	if e == nil {
		return nil
	}
	return &errorInfoJSON{ExceptionType: e.Type, Message: e.Message, Traceback: e.Stacktrace}
}

// object is v as Opik stores input and output: a JSON object, other values
// wrapped under key (what the Python SDK does); nil stays nil.
func object(v any, key string) any {
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		return x
	}
	return map[string]any{key: v}
}

func textOf(v any) any {
	if m, ok := v.(map[string]any); ok {
		if t, ok := m["text"]; ok {
			return t
		}
	}
	return v
}

// instant writes t as Java's Instant.toString does: UTC, the fraction in
// groups of three digits as needed.
func instant(t time.Time) string {
	t = t.UTC()
	switch ns := t.Nanosecond(); {
	case ns == 0:
		return t.Format("2006-01-02T15:04:05Z")
	case ns%1e6 == 0:
		return t.Format("2006-01-02T15:04:05.000Z")
	case ns%1e3 == 0:
		return t.Format("2006-01-02T15:04:05.000000Z")
	}
	return t.Format("2006-01-02T15:04:05.000000000Z")
}

// duration is end - start in milliseconds, a decimal.
func duration(start, end time.Time) *float64 {
	d := float64(end.Sub(start).Microseconds()) / 1000
	return &d
}
