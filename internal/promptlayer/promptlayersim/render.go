package promptlayersim

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Time formats: ISO with microseconds and Z (request logs, the example
// shape), and Python's isoformat() of an aware UTC datetime (the
// serializer shape), which leaves out a zero fraction.
const isoZ = "2006-01-02T15:04:05.000000Z"

func pyISO(t time.Time) string {
	t = t.UTC()
	if t.Nanosecond()/1000 == 0 {
		return t.Format("2006-01-02T15:04:05") + "+00:00"
	}
	return t.Format("2006-01-02T15:04:05.000000") + "+00:00"
}

// marshal writes v without HTML escaping, as Python's json does.
func marshal(v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

// providerType is PromptLayer's name for a dataset provider.
func providerType(p string) string {
	switch p {
	case genai.ProviderGCPGemini:
		return "google"
	case genai.ProviderMistralAI:
		return "mistral"
	case genai.ProviderAWSBedrock:
		return "amazon.bedrock"
	}
	return p
}

// apiType is the model's api_type in a request log's blueprint.
func apiType(s *sim.Span) string {
	if s.Kind == sim.KindEmbedding {
		return "embeddings"
	}
	switch s.Provider {
	case genai.ProviderAnthropic:
		return "messages"
	case genai.ProviderGCPGemini:
		return "generate-content"
	case genai.ProviderAWSBedrock:
		return "converse"
	}
	return "chat.completions"
}

// promptNames are prompt templates of PromptLayer's registry that a third
// of the LLM calls were made from.
var promptNames = []string{"support-answer", "rag-answer", "summarize-chunk", "conversation-title", "agent-step"}

// PromptName is the registry prompt a request log was made from, "" when
// none.
func PromptName(id int64, s *sim.Span) string {
	h := sim.Mix(uint64(id) ^ 0x9e37)
	if s.Kind != sim.KindLLM || h%3 != 0 {
		return ""
	}
	return promptNames[(h>>8)%uint64(len(promptNames))]
}

// errorType is the request log's error_type for a failed call.
func errorType(e *sim.ErrorInfo) string {
	switch {
	case strings.Contains(e.Type, "RateLimit"):
		return "PROVIDER_RATE_LIMIT"
	case strings.Contains(e.Type, "Timeout"):
		return "PROVIDER_TIMEOUT"
	case strings.Contains(e.Type, "Authentication"):
		return "PROVIDER_AUTH_ERROR"
	}
	return "PROVIDER_ERROR"
}

// searchItemJSON is RequestLogSearchResult. prompt_name is present only
// with include_prompt_name; status, error_type and error_message are
// undeclared members (the schema allows additional properties).
type searchItemJSON struct {
	ID               int64               `json:"id"`
	Engine           string              `json:"engine"`
	ProviderType     string              `json:"provider_type"`
	InputTokens      int                 `json:"input_tokens"`
	OutputTokens     int                 `json:"output_tokens"`
	Price            *float64            `json:"price"`
	RequestStartTime string              `json:"request_start_time"`
	RequestEndTime   string              `json:"request_end_time"`
	Latency          float64             `json:"latency"`
	TagsArray        []string            `json:"tags_array"`
	Metadata         []map[string]string `json:"metadata"`
	Scores           []any               `json:"scores"`
	PromptName       json.RawMessage     `json:"prompt_name,omitempty"`
	Status           string              `json:"status"`
	ErrorType        string              `json:"error_type,omitempty"`
	ErrorMessage     string              `json:"error_message,omitempty"`
}

type searchPageJSON struct {
	Success bool             `json:"success"`
	Items   []searchItemJSON `json:"items"`
	Page    int              `json:"page"`
	Pages   int              `json:"pages"`
	PerPage int              `json:"per_page"`
	Total   int              `json:"total"`
	HasNext bool             `json:"has_next"`
	HasPrev bool             `json:"has_prev"`
	NextNum *int             `json:"next_num"`
	PrevNum *int             `json:"prev_num"`
}

// renderSearch renders a page of request logs, paged Flask-SQLAlchemy
// style.
func (h *handler) renderSearch(items []logRef, req searchRequest, total int, now time.Time) []byte {
	out := searchPageJSON{Success: true, Items: make([]searchItemJSON, 0, len(items)), Page: req.page, PerPage: req.perPage, Total: total}
	out.Pages = (total + req.perPage - 1) / req.perPage
	out.HasNext, out.HasPrev = req.page < out.Pages, req.page > 1
	if out.HasNext {
		n := req.page + 1
		out.NextNum = &n
	}
	if out.HasPrev {
		n := req.page - 1
		out.PrevNum = &n
	}
	traces := map[int]*sim.Trace{}
	for _, ref := range items {
		tr := traces[ref.trace.i]
		if tr == nil {
			t := h.env.Data.Trace(ref.trace.i)
			tr = &t
			traces[ref.trace.i] = tr
		}
		out.Items = append(out.Items, searchItem(tr, ref.log, req.includePrompt, now))
	}
	return marshal(out)
}

func searchItem(tr *sim.Trace, l *logInfo, withPrompt bool, now time.Time) searchItemJSON {
	s := &tr.Spans[l.k]
	it := searchItemJSON{
		ID: l.id, Engine: s.Model, ProviderType: providerType(s.Provider),
		InputTokens: s.Usage.Input, OutputTokens: s.Usage.Output, Price: price(l, s, now),
		RequestStartTime: s.Start.UTC().Format(isoZ), RequestEndTime: s.End.UTC().Format(isoZ),
		Latency: s.End.Sub(s.Start).Seconds(), TagsArray: tr.Tags, Metadata: metadataList(tr), Scores: []any{},
		Status: "SUCCESS",
	}
	if it.TagsArray == nil {
		it.TagsArray = []string{}
	}
	if withPrompt {
		it.PromptName = json.RawMessage("null")
		if name := PromptName(l.id, s); name != "" {
			it.PromptName, _ = json.Marshal(name)
		}
	}
	if s.Error != nil {
		it.Status, it.ErrorType, it.ErrorMessage = "ERROR", errorType(s.Error), s.Error.Message
	}
	return it
}

func price(l *logInfo, s *sim.Span, now time.Time) *float64 {
	if l.pricedAt.After(now) {
		return nil
	}
	p := s.Cost
	return &p
}

// metadataList is a trace's metadata as PromptLayer lists it: one object
// per key, string values.
func metadataList(tr *sim.Trace) []map[string]string {
	keys := make([]string, 0, len(tr.Metadata)+1)
	for k := range tr.Metadata {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	out := make([]map[string]string, 0, len(keys)+1)
	for _, k := range keys {
		out = append(out, map[string]string{k: jsonText(tr.Metadata[k])})
	}
	if tr.UserID != "" {
		out = append(out, map[string]string{"user_id": tr.UserID})
	}
	return out
}

// detailJSON is RequestLogDetailResponse.
type detailJSON struct {
	Success          bool           `json:"success"`
	PromptBlueprint  map[string]any `json:"prompt_blueprint"`
	RequestID        int64          `json:"request_id"`
	Provider         string         `json:"provider"`
	Model            string         `json:"model"`
	InputTokens      int            `json:"input_tokens"`
	OutputTokens     int            `json:"output_tokens"`
	Tokens           int            `json:"tokens"`
	Price            *float64       `json:"price"`
	RequestStartTime string         `json:"request_start_time"`
	RequestEndTime   string         `json:"request_end_time"`
	LatencyMs        float64        `json:"latency_ms"`
	TraceID          *string        `json:"trace_id"`
}

// requestLog answers GET /api/public/v2/requests/{id}.
func (h *handler) requestLog(w http.ResponseWriter, idText string) {
	id, err := strconv.ParseInt(idText, 10, 64)
	if err != nil {
		v := &validation{}
		v.add("int_parsing", []any{"path", "request_id"}, "Input should be a valid integer, unable to parse string as an integer", idText, nil)
		writeJSON(w, http.StatusUnprocessableEntity, v.body())
		return
	}
	if id < 1 {
		v := &validation{}
		v.add("greater_than_equal", []any{"path", "request_id"}, "Input should be greater than or equal to 1", idText, map[string]any{"ge": 1})
		writeJSON(w, http.StatusUnprocessableEntity, v.body())
		return
	}
	now := h.env.Now()
	ref, ok := h.index.requestLog(id, now)
	if !ok {
		writeJSON(w, http.StatusNotFound, []byte(bodyLogNotFound))
		return
	}
	tr := h.env.Data.Trace(ref.trace.i)
	writeJSON(w, http.StatusOK, marshal(detail(&tr, ref, now)))
}

func detail(tr *sim.Trace, ref logRef, now time.Time) detailJSON {
	l := ref.log
	s := &tr.Spans[l.k]
	d := detailJSON{
		Success: true, PromptBlueprint: blueprint(s), RequestID: l.id,
		Provider: providerType(s.Provider), Model: s.Model,
		InputTokens: s.Usage.Input, OutputTokens: s.Usage.Output, Tokens: s.Usage.Total(),
		Price:            price(l, s, now),
		RequestStartTime: s.Start.UTC().Format(isoZ), RequestEndTime: s.End.UTC().Format(isoZ),
		LatencyMs: float64(s.End.Sub(s.Start).Microseconds()) / 1000,
	}
	if !ref.trace.untraced {
		id := hex.EncodeToString(tr.ID[:])
		d.TraceID = &id
	}
	return d
}

// blueprint is the request's prompt blueprint: a chat template of the
// call's messages (a completion template of the text for embeddings) and
// the model.
func blueprint(s *sim.Span) map[string]any {
	params := map[string]any{}
	for _, k := range []struct{ attr, param string }{
		{sim.AttrRequestTemperature, "temperature"}, {sim.AttrRequestMaxTokens, "max_tokens"},
		{sim.AttrRequestTopP, "top_p"}, {sim.AttrStreaming, "stream"}, {sim.AttrReasoningEffort, "reasoning_effort"},
	} {
		if v, ok := s.Attributes[k.attr]; ok {
			params[k.param] = v
		}
	}
	var template map[string]any
	if s.Kind == sim.KindEmbedding {
		template = map[string]any{"type": "completion", "content": textContent(firstString(s.Input)), "input_variables": []any{}}
	} else {
		template = map[string]any{"type": "chat", "messages": templateMessages(s.Input), "input_variables": []any{}, "functions": nil, "tools": nil, "function_call": nil, "tool_choice": nil}
	}
	return map[string]any{
		"prompt_template": template,
		"commit_message":  nil,
		"metadata": map[string]any{"model": map[string]any{
			"provider": providerType(s.Provider), "name": s.Model, "parameters": params, "api_type": apiType(s),
		}},
		"inference_client_name": nil,
	}
}

// templateMessages turns OpenAI-style chat messages into PromptLayer's
// template messages: content as a list of text parts, tool calls and tool
// call ids kept.
func templateMessages(input any) []any {
	msgs, _ := input.([]any)
	out := make([]any, 0, len(msgs))
	for _, m := range msgs {
		msg, ok := m.(map[string]any)
		if !ok {
			continue
		}
		role, _ := msg["role"].(string)
		pm := map[string]any{"role": role, "input_variables": []any{}, "template_format": "f-string"}
		if c, ok := msg["content"].(string); ok {
			pm["content"] = textContent(c)
		} else {
			pm["content"] = nil
		}
		if calls, ok := msg["tool_calls"]; ok {
			pm["tool_calls"] = calls
		}
		if id, ok := msg["tool_call_id"]; ok {
			pm["tool_call_id"] = id
		}
		out = append(out, pm)
	}
	return out
}

func textContent(s string) []any {
	return []any{map[string]any{"type": "text", "text": s}}
}

func firstString(v any) string {
	if list, ok := v.([]any); ok && len(list) > 0 {
		s, _ := list[0].(string)
		return s
	}
	s, _ := v.(string)
	return s
}

// jsonText renders a value as JSON text (a string as itself).
func jsonText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// attributeValue makes a dataset value storable as an OpenTelemetry
// attribute: scalars and arrays of strings or numbers as they are, anything
// else as its JSON text (as an SDK must).
func attributeValue(v any) any {
	switch x := v.(type) {
	case string, bool, int, int64, float64:
		return x
	case []any:
		for _, e := range x {
			switch e.(type) {
			case string, bool, int, int64, float64:
			default:
				return jsonText(x)
			}
		}
		return x
	}
	return jsonText(v)
}
