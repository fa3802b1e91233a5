package langtrace

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// Langtrace's content attributes (removed from the GenAI conventions): the
// prompt and completion messages, JSON-encoded, on the gen_ai.content.prompt
// and gen_ai.content.completion events.
const (
	attrPrompt     = genai.PromptDeprecated
	attrCompletion = genai.CompletionDeprecated
)

// messages collects the decoded prompt and completion content of a span's
// events.
type messages struct {
	prompts     []pcommon.Value
	completions []pcommon.Value
}

// genAI adds the current GenAI convention names next to the attributes
// Langtrace sent, which are all kept. An attribute already present under
// its current name is never overwritten.
func (c *converter) genAI(attrs pcommon.Map, content *messages) {
	// Token counts are integers; Langtrace's OTLP ingest path stores them
	// as strings.
	attrs.Range(func(k string, v pcommon.Value) bool {
		if v.Type() == pcommon.ValueTypeStr && strings.HasPrefix(k, "gen_ai.usage.") && strings.HasSuffix(k, "tokens") {
			if n, err := strconv.ParseInt(strings.TrimSpace(v.Str()), 10, 64); err == nil {
				v.SetInt(n)
			}
		}
		return true
	})
	alias(attrs, genai.UsagePromptTokensDeprecated, genai.UsageInputTokens)
	alias(attrs, genai.UsageCompletionTokensDeprecated, genai.UsageOutputTokens)

	if _, ok := attrs.Get(genai.ProviderName); !ok {
		if v, ok := attrs.Get(genai.SystemDeprecated); ok && v.Type() == pcommon.ValueTypeStr && strings.TrimSpace(v.Str()) != "" {
			attrs.PutStr(genai.ProviderName, genai.NormalizeProvider(v.Str()))
		}
	}

	c.msgs, c.parts = c.msgs[:0], c.parts[:0]
	if msgs, ok := c.chatMessages(content.prompts); ok {
		putIfAbsent(attrs, genai.InputMessages, msgs)
	}
	if msgs, ok := c.chatMessages(content.completions); ok {
		setFinishReasons(attrs, msgs)
		putIfAbsent(attrs, genai.OutputMessages, msgs)
	}
}

// alias copies the attribute from under the name to, unless to exists.
func alias(attrs pcommon.Map, from, to string) {
	v, ok := attrs.Get(from)
	if !ok {
		return
	}
	if _, exists := attrs.Get(to); exists {
		return
	}
	v.CopyTo(attrs.PutEmpty(to))
}

func putIfAbsent(attrs pcommon.Map, key string, msgs []genai.Message) {
	if _, exists := attrs.Get(key); !exists {
		attrs.PutStr(key, genai.MessagesJSON(msgs))
	}
}

// chatMessages reads the chat messages of the content values (one per
// content event, in order); false when any of them is not chat messages.
// The messages of the plain shape live in buffers of the converter, valid
// until the next span.
func (c *converter) chatMessages(values []pcommon.Value) ([]genai.Message, bool) {
	if len(values) == 1 { // the usual single content event: no copy
		if msgs, ok := c.plainMessages(values[0]); ok {
			return msgs, true
		}
	}
	var all []genai.Message
	for _, v := range values {
		if msgs, ok := c.plainMessages(v); ok {
			all = append(all, msgs...)
			continue
		}
		var raw any
		switch v.Type() {
		case pcommon.ValueTypeSlice:
			raw = v.Slice().AsRaw()
		case pcommon.ValueTypeMap:
			raw = v.Map().AsRaw()
		default:
			return nil, false // plain text or a value that is not JSON
		}
		msgs, ok := genai.ChatMessages(raw)
		if !ok {
			return nil, false
		}
		all = append(all, msgs...)
	}
	return all, len(all) > 0
}

// setFinishReasons gives the output messages the span's
// gen_ai.response.finish_reasons when there is one reason per message.
func setFinishReasons(attrs pcommon.Map, msgs []genai.Message) {
	v, ok := attrs.Get(genai.ResponseFinishReasons)
	if !ok || v.Type() != pcommon.ValueTypeSlice || v.Slice().Len() != len(msgs) {
		return
	}
	for i := range msgs {
		if r := v.Slice().At(i); msgs[i].FinishReason == "" && r.Type() == pcommon.ValueTypeStr {
			msgs[i].FinishReason = r.Str()
		}
	}
}

// plainMessages converts the shape Langtrace's SDKs write, an array of
// {"role", "content": string} objects, exactly as genai.ChatMessages would
// but without copying the value into Go maps first. It returns false for
// any other shape (which chatMessages hands to genai.ChatMessages).
func (c *converter) plainMessages(v pcommon.Value) ([]genai.Message, bool) {
	if v.Type() != pcommon.ValueTypeSlice || v.Slice().Len() == 0 {
		return nil, false
	}
	sl := v.Slice()
	start := len(c.msgs)
	for i := 0; i < sl.Len(); i++ {
		e := sl.At(i)
		if e.Type() != pcommon.ValueTypeMap {
			return nil, false
		}
		var role, content string
		var hasRole, hasContent bool
		plain := true
		e.Map().Range(func(k string, v pcommon.Value) bool {
			switch {
			case k == "role" && v.Type() == pcommon.ValueTypeStr:
				role, hasRole = v.Str(), true
			case k == "content" && v.Type() == pcommon.ValueTypeStr:
				content, hasContent = v.Str(), true
			default:
				plain = false
			}
			return plain
		})
		if !plain || !hasRole || !hasContent || role == "" || role == "tool" || role == "function" {
			c.msgs = c.msgs[:start]
			return nil, false
		}
		parts := []genai.Part{}
		if content != "" {
			c.parts = append(c.parts, genai.Part{Type: genai.PartText, Content: content})
			parts = c.parts[len(c.parts)-1 : len(c.parts) : len(c.parts)]
		}
		c.msgs = append(c.msgs, genai.Message{Role: role, Parts: parts})
	}
	return c.msgs[start:len(c.msgs):len(c.msgs)], true
}
