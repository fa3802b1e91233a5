package langsmith

import (
	"bytes"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// putContent stores inputs and outputs: always the JSON text under
// langsmith.inputs / langsmith.outputs ({} is left out), and the GenAI
// messages when they hold chat messages:
//
//   - inputs: LangChain chat models' {"messages": [[serialised messages]]},
//     OpenAI-style {"messages": [...]} (wrap_openai, OTLP ingest),
//     completion models' {"prompts": [...]} (user messages), one message;
//   - outputs: LangChain's LLMResult {"generations": [[{message | text,
//     generation_info}]]}, an OpenAI response {"choices": [...]},
//     {"messages": [...]}, one message, and on LLM runs {"output": "text"}
//     (a traced function's return value).
//
// The response's model, id and finish reasons become gen_ai.response.*, and
// its usage gen_ai.usage.* when the run has no token counts of its own.
func (c *converter) putContent(attrs pcommon.Map, r *run, h *hints) {
	if !isEmpty(r.Inputs) {
		attrs.PutStr(attrInputs, bodyString(r.Inputs))
		if msgs, ok := c.inputMessages(r.Inputs); ok {
			attrs.PutStr(genai.InputMessages, c.messagesJSON(msgs))
		}
	}
	if isEmpty(r.Outputs) {
		return
	}
	attrs.PutStr(attrOutputs, bodyString(r.Outputs))
	llm := h.typ == runLLM
	resp := c.outputMessages(r.Outputs, llm)
	if len(resp.msgs) > 0 {
		attrs.PutStr(genai.OutputMessages, c.messagesJSON(resp.msgs))
	}
	if !llm {
		return
	}
	if resp.model != "" {
		attrs.PutStr(genai.ResponseModel, resp.model)
	}
	if resp.id != "" {
		attrs.PutStr(genai.ResponseID, resp.id)
	}
	if reasons := finishReasons(resp.msgs); len(reasons) > 0 {
		s := attrs.PutEmptySlice(genai.ResponseFinishReasons)
		for _, fr := range reasons {
			s.AppendEmpty().SetStr(fr)
		}
	}
	if _, ok := attrs.Get(genai.UsageInputTokens); !ok && resp.usage.set {
		attrs.PutInt(genai.UsageInputTokens, resp.usage.in)
		attrs.PutInt(genai.UsageOutputTokens, resp.usage.out)
		attrs.PutInt(genai.UsageTotalTokens, resp.usage.total)
	}
}

// messagesJSON renders messages in the converter's reused buffer.
func (c *converter) messagesJSON(msgs []genai.Message) string {
	c.buf = genai.AppendMessagesJSON(c.buf[:0], msgs)
	out := string(c.buf)
	if cap(c.buf) > 1<<20 {
		c.buf = nil // do not keep one huge conversation's buffer
	}
	return out
}

// maybeMessages is a cheap test before decoding a blob: chat messages have
// one of these members.
func maybeMessages(raw []byte) bool {
	for _, k := range [...]string{`"messages"`, `"role"`, `"generations"`, `"choices"`, `"prompts"`, `"type"`} {
		if bytes.Contains(raw, []byte(k)) {
			return true
		}
	}
	return false
}

// decode decodes a JSON blob into Go values (nil when malformed: the raw
// text is kept anyway).
func (c *converter) decode(raw []byte) any {
	var v any
	if err := jsonAPI.Unmarshal(raw, &v); err != nil {
		return nil
	}
	return v
}

// isEmpty reports whether raw is nothing, {} or [].
func isEmpty(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, []byte("null")) {
		return true
	}
	if len(raw) < 2 || (raw[0] != '{' && raw[0] != '[') {
		return false
	}
	return len(bytes.TrimSpace(raw[1:len(raw)-1])) == 0
}

// inputMessages reads the chat messages of inputs: the fast path, else
// the decoded value.
func (c *converter) inputMessages(raw []byte) ([]genai.Message, bool) {
	if msgs, ok, sure := c.fastInputs(raw); sure {
		return msgs, ok
	}
	if !maybeMessages(raw) {
		return nil, false
	}
	return inputMessagesOf(c.decode(raw))
}

// outputMessages reads the messages and response details of outputs: the
// fast path, else the decoded value.
func (c *converter) outputMessages(raw []byte, llm bool) response {
	if resp, sure := c.fastOutputs(raw, llm); sure {
		return resp
	}
	if !llm && !maybeMessages(raw) {
		return response{}
	}
	return outputMessagesOf(c.decode(raw), llm)
}

// inputMessagesOf reads the chat messages of decoded inputs.
func inputMessagesOf(v any) ([]genai.Message, bool) {
	if m, ok := v.(map[string]any); ok {
		if prompts, ok := m["prompts"].([]any); ok && m["messages"] == nil {
			var msgs []genai.Message
			for _, p := range prompts {
				if s, ok := p.(string); ok {
					msgs = append(msgs, genai.Message{Role: "user", Parts: []genai.Part{{Type: genai.PartText, Content: s}}})
				}
			}
			return msgs, len(msgs) > 0
		}
	}
	return genai.ChatMessages(v)
}

// response is what the outputs of an LLM run say about the response.
type response struct {
	msgs      []genai.Message
	model, id string
	usage     usage
}

type usage struct {
	in, out, total int64
	set            bool
}

// outputMessagesOf reads the messages and response details of decoded
// outputs.
func outputMessagesOf(v any, llm bool) response {
	var resp response
	m, isMap := v.(map[string]any)
	if isMap {
		if gens, ok := m["generations"].([]any); ok {
			generations(gens, &resp)
			if lo, ok := m["llm_output"].(map[string]any); ok {
				resp.model = firstString(resp.model, lo["model_name"], lo["model"])
				resp.id = firstString(resp.id, lo["id"])
				if !resp.usage.set {
					resp.usage = usageOf(lo["token_usage"])
				}
			}
			return resp
		}
		if _, ok := m["choices"]; ok && llm {
			resp.model = firstString("", m["model"])
			resp.id = firstString("", m["id"])
			resp.usage = usageOf(m["usage"])
		}
		if llm && len(m) == 1 {
			if s, ok := m["output"].(string); ok {
				resp.msgs = []genai.Message{{Role: "assistant", Parts: []genai.Part{{Type: genai.PartText, Content: s}}}}
				return resp
			}
		}
		if !resp.usage.set {
			resp.usage = usageOf(m["usage_metadata"])
		}
	}
	if msgs, ok := genai.ChatMessages(v); ok {
		resp.msgs = msgs
	}
	return resp
}

// generations reads LangChain's [[{text, message, generation_info}]]: one
// list per prompt, one generation per choice.
func generations(gens []any, resp *response) {
	for _, g := range gens {
		list, ok := g.([]any)
		if !ok {
			list = []any{g}
		}
		for _, item := range list {
			gen, ok := item.(map[string]any)
			if !ok {
				continue
			}
			generation(gen, resp)
		}
	}
}

func generation(gen map[string]any, resp *response) {
	m, _ := gen["message"].(map[string]any)
	var msg genai.Message
	if msgs, ok := genai.ChatMessages(m); m != nil && ok && len(msgs) == 1 {
		msg = msgs[0]
	} else if s, ok := gen["text"].(string); ok {
		msg = genai.Message{Role: "assistant", Parts: []genai.Part{{Type: genai.PartText, Content: s}}}
	} else {
		return
	}
	if m != nil {
		kw := m
		if k, ok := m["kwargs"].(map[string]any); ok {
			kw = k
		}
		if rm, ok := kw["response_metadata"].(map[string]any); ok {
			resp.model = firstString(resp.model, rm["model_name"], rm["model"])
			resp.id = firstString(resp.id, rm["id"])
			msg.FinishReason = firstString(msg.FinishReason, rm["finish_reason"], rm["stop_reason"])
		}
		if !resp.usage.set {
			resp.usage = usageOf(kw["usage_metadata"])
		}
	}
	if gi, ok := gen["generation_info"].(map[string]any); ok {
		if fr := firstString("", gi["finish_reason"]); fr != "" {
			msg.FinishReason = fr
		}
	}
	resp.msgs = append(resp.msgs, msg)
}

// usageOf reads {input_tokens, output_tokens, total_tokens} (LangChain's
// usage_metadata) or {prompt_tokens, completion_tokens, total_tokens}
// (OpenAI's usage).
func usageOf(v any) usage {
	m, ok := v.(map[string]any)
	if !ok {
		return usage{}
	}
	in, okIn := count(m, "input_tokens", "prompt_tokens")
	out, okOut := count(m, "output_tokens", "completion_tokens")
	if !okIn && !okOut {
		return usage{}
	}
	total, ok := count(m, "total_tokens")
	if !ok {
		total = in + out
	}
	return usage{in: in, out: out, total: total, set: true}
}

func count(m map[string]any, keys ...string) (int64, bool) {
	for _, k := range keys {
		if f, ok := m[k].(float64); ok {
			return int64(f), true
		}
	}
	return 0, false
}

// firstString returns cur when set, else the first of vs that is a
// non-empty string.
func firstString(cur string, vs ...any) string {
	if cur != "" {
		return cur
	}
	for _, v := range vs {
		if s, ok := v.(string); ok && s != "" {
			return s
		}
	}
	return ""
}

func finishReasons(msgs []genai.Message) []string {
	var out []string
	for _, m := range msgs {
		if m.FinishReason != "" {
			out = append(out, m.FinishReason)
		}
	}
	return out
}
