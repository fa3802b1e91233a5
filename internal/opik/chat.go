package opik

import (
	jsoniter "github.com/json-iterator/go"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
)

// chatMessages returns the GenAI messages of an input or output when it
// holds chat messages. The common plain-text shapes (a list of {role,
// content}, {messages: [...]}, {choices: [{message, finish_reason}]}, a
// single {role, content}) are read straight from the JSON; anything richer
// (content parts, tool calls, names, LangChain forms) goes through
// genai.ChatMessages on the decoded value, which gives the same result for
// the plain shapes.
func (c *converter) chatMessages(raw []byte) ([]genai.Message, bool) {
	if msgs, ok, sure := c.plainChat(raw); sure {
		return msgs, ok
	}
	var v any
	if err := jsonAPI.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return genai.ChatMessages(v)
}

// plainChat reads the plain shapes; sure is false when the JSON holds
// something it does not handle.
func (c *converter) plainChat(raw []byte) (msgs []genai.Message, ok, sure bool) {
	it := c.reset(raw)
	switch it.WhatIsNext() {
	case jsoniter.ArrayValue:
		msgs, sure = plainMessages(it)
		if convert.Failed(it) {
			return nil, false, false
		}
		return msgs, sure && len(msgs) > 0, sure
	case jsoniter.ObjectValue:
	default:
		return nil, false, false
	}
	var (
		messages, choices       []genai.Message
		hasMessages, hasChoices bool
		choicesArray            bool
		single                  genai.Message
		hasRole, hasContent     bool
		hasType, other          bool
	)
	sure = true
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "messages":
			hasMessages = true
			if it.WhatIsNext() != jsoniter.ArrayValue {
				sure = false
				return false
			}
			messages, sure = plainMessages(it)
		case "choices":
			hasChoices = true
			if it.WhatIsNext() != jsoniter.ArrayValue {
				it.Skip()
				return true
			}
			choicesArray = true
			choices, sure = plainChoices(it)
		case "role":
			hasRole = true
			if it.WhatIsNext() != jsoniter.StringValue {
				sure = false
				return false
			}
			single.Role = it.ReadString()
		case "content":
			hasContent = true
			if it.WhatIsNext() != jsoniter.StringValue {
				other = true
				it.Skip()
				return true
			}
			if s := it.ReadString(); s != "" {
				single.Parts = []genai.Part{{Type: genai.PartText, Content: s}}
			}
		case "type", "kwargs":
			hasType, other = true, true
			it.Skip()
		default:
			other = true
			it.Skip()
		}
		return sure && !convert.Failed(it)
	})
	if !sure || convert.Failed(it) {
		return nil, false, false
	}
	// The precedence of genai.ChatMessages: messages, choices, a message.
	switch {
	case hasMessages:
		return messages, len(messages) > 0, true
	case choicesArray:
		return choices, len(choices) > 0, true
	case hasChoices:
		return nil, false, false
	case hasRole && hasContent && !other && plainRole(single.Role):
		if single.Parts == nil {
			single.Parts = []genai.Part{}
		}
		return []genai.Message{single}, true, true
	case !hasRole && !hasType:
		return nil, false, true // no role: not a message
	}
	return nil, false, false
}

// plainMessages reads an array of {role, content: string} messages.
func plainMessages(it *jsoniter.Iterator) ([]genai.Message, bool) {
	var msgs []genai.Message
	sure := true
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		m, ok := plainMessage(it)
		if !ok {
			sure = false
			return false
		}
		msgs = append(msgs, m)
		return !convert.Failed(it)
	})
	return msgs, sure
}

// plainMessage reads one {role, content: string} object; anything else
// makes it unsure.
func plainMessage(it *jsoniter.Iterator) (genai.Message, bool) {
	var m genai.Message
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return m, false
	}
	sure, hasContent := true, false
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch {
		case key == "role" && it.WhatIsNext() == jsoniter.StringValue:
			m.Role = it.ReadString()
		case key == "content" && it.WhatIsNext() == jsoniter.StringValue:
			hasContent = true
			if s := it.ReadString(); s != "" {
				m.Parts = []genai.Part{{Type: genai.PartText, Content: s}}
			}
		default:
			sure = false
			return false
		}
		return !convert.Failed(it)
	})
	if !sure || !hasContent || !plainRole(m.Role) {
		return m, false
	}
	if m.Parts == nil {
		m.Parts = []genai.Part{}
	}
	return m, true
}

// plainChoices reads [{index, message, finish_reason, logprobs: null}].
func plainChoices(it *jsoniter.Iterator) ([]genai.Message, bool) {
	var msgs []genai.Message
	sure := true
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.ObjectValue {
			sure = false
			return false
		}
		var m genai.Message
		var reason string
		hasMessage := false
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch {
			case key == "message":
				m, sure = plainMessage(it)
				hasMessage = true
			case key == "finish_reason" && it.WhatIsNext() == jsoniter.StringValue:
				reason = it.ReadString()
			case key == "finish_reason" || key == "logprobs":
				if it.WhatIsNext() != jsoniter.NilValue {
					sure = false
					return false
				}
				it.ReadNil()
			case key == "index" && it.WhatIsNext() == jsoniter.NumberValue:
				it.Skip()
			default:
				sure = false
			}
			return sure && !convert.Failed(it)
		})
		if !sure || !hasMessage {
			sure = false
			return false
		}
		m.FinishReason = reason
		msgs = append(msgs, m)
		return !convert.Failed(it)
	})
	return msgs, sure
}

// plainRole excludes what genai treats specially: tool results and
// messages without a role.
func plainRole(role string) bool {
	return role != "" && role != "tool" && role != "function"
}
