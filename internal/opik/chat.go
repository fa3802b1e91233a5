package opik

import (
	"unsafe"

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
//
// The messages, their parts and their strings live in buffers of the
// converter and view raw: they are only valid until the next call, long
// enough to render them (genai.MessagesJSON).
func (c *converter) chatMessages(raw []byte) ([]genai.Message, bool) {
	c.chatText = convert.Reuse(c.chatText)
	clear(c.msgs) // drop the views of the previous content
	clear(c.parts)
	c.msgs, c.parts = c.msgs[:0], c.parts[:0]
	if msgs, ok, sure := c.plainChat(raw); sure {
		return msgs, ok
	}
	var v any
	if err := jsonAPI.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return genai.ChatMessages(v)
}

// jsonAPI decodes the chat shapes that the plain reader leaves to
// genai.ChatMessages.
var jsonAPI = jsoniter.ConfigFastest

// text reads a string value as a string that views raw or c.chatText.
func (c *converter) text(s *convert.Scanner) string {
	return unsafeString(s.TextInto(&c.chatText))
}

// chatShape is what plainChat saw of an object.
type chatShape struct {
	messages, choices       []genai.Message
	hasMessages, hasChoices bool
	choicesArray            bool
	single                  genai.Message
	hasRole, hasContent     bool
	hasType, other          bool
}

// plainChat reads the plain shapes; sure is false when the JSON holds
// something it does not handle.
func (c *converter) plainChat(raw []byte) (msgs []genai.Message, ok, sure bool) {
	s := c.reset(raw)
	switch s.Peek() {
	case convert.KindArray:
		msgs, sure = c.plainMessages(s)
		if s.Err() != nil {
			return nil, false, false
		}
		return msgs, sure && len(msgs) > 0, sure
	case convert.KindObject:
	default:
		return nil, false, false
	}
	var sh chatShape
	s.Open('{')
	for sure = true; sure && s.More('}'); {
		sure = c.chatMember(s, &sh)
	}
	if !sure || s.Err() != nil {
		return nil, false, false
	}
	// The precedence of genai.ChatMessages: messages, choices, a message.
	switch {
	case sh.hasMessages:
		return sh.messages, len(sh.messages) > 0, true
	case sh.choicesArray:
		return sh.choices, len(sh.choices) > 0, true
	case sh.hasChoices:
		return nil, false, false
	case sh.hasRole && sh.hasContent && !sh.other && plainRole(sh.single.Role):
		if sh.single.Parts == nil {
			sh.single.Parts = []genai.Part{}
		}
		return []genai.Message{sh.single}, true, true
	case !sh.hasRole && !sh.hasType:
		return nil, false, true // no role: not a message
	}
	return nil, false, false
}

// chatMember reads one member of a top-level object; false when the
// object is not a plain shape.
func (c *converter) chatMember(s *convert.Scanner, sh *chatShape) bool {
	switch string(s.Key()) {
	case "messages":
		sh.hasMessages = true
		if s.Peek() != convert.KindArray {
			return false
		}
		var sure bool
		sh.messages, sure = c.plainMessages(s)
		return sure
	case "choices":
		sh.hasChoices = true
		if s.Peek() != convert.KindArray {
			s.Skip()
			return true
		}
		sh.choicesArray = true
		var sure bool
		sh.choices, sure = c.plainChoices(s)
		return sure
	case "role":
		sh.hasRole = true
		if s.Peek() != convert.KindString {
			return false
		}
		sh.single.Role = c.text(s)
	case "content":
		sh.hasContent = true
		if s.Peek() != convert.KindString {
			sh.other = true
			s.Skip()
			return true
		}
		if t := c.text(s); t != "" {
			sh.single.Parts = c.textParts(t)
		}
	case "type", "kwargs":
		sh.hasType, sh.other = true, true
		s.Skip()
	default:
		sh.other = true
		s.Skip()
	}
	return true
}

// plainMessages reads an array of {role, content: string} messages.
func (c *converter) plainMessages(s *convert.Scanner) ([]genai.Message, bool) {
	start := len(c.msgs)
	s.Open('[')
	for s.More(']') {
		m, ok := c.plainMessage(s)
		if !ok {
			return nil, false
		}
		c.msgs = append(c.msgs, m)
	}
	return c.msgs[start:len(c.msgs):len(c.msgs)], true
}

// textParts returns the parts of a message whose content is text.
func (c *converter) textParts(text string) []genai.Part {
	c.parts = append(c.parts, genai.Part{Type: genai.PartText, Content: text})
	return c.parts[len(c.parts)-1 : len(c.parts) : len(c.parts)]
}

// plainMessage reads one {role, content: string} object; anything else
// makes it unsure.
func (c *converter) plainMessage(s *convert.Scanner) (genai.Message, bool) {
	var m genai.Message
	if s.Peek() != convert.KindObject {
		return m, false
	}
	hasContent := false
	s.Open('{')
	for s.More('}') {
		key := s.Key()
		switch {
		case string(key) == "role" && s.Peek() == convert.KindString:
			m.Role = c.text(s)
		case string(key) == "content" && s.Peek() == convert.KindString:
			hasContent = true
			if t := c.text(s); t != "" {
				m.Parts = c.textParts(t)
			}
		default:
			return m, false
		}
	}
	if !hasContent || !plainRole(m.Role) {
		return m, false
	}
	if m.Parts == nil {
		m.Parts = []genai.Part{}
	}
	return m, true
}

// plainChoices reads [{index, message, finish_reason, logprobs: null}].
func (c *converter) plainChoices(s *convert.Scanner) ([]genai.Message, bool) {
	start := len(c.msgs)
	s.Open('[')
	for s.More(']') {
		if s.Peek() != convert.KindObject {
			return nil, false
		}
		m, ok := c.plainChoice(s)
		if !ok {
			return nil, false
		}
		c.msgs = append(c.msgs, m)
	}
	return c.msgs[start:len(c.msgs):len(c.msgs)], true
}

// plainChoice reads one choice object.
func (c *converter) plainChoice(s *convert.Scanner) (genai.Message, bool) {
	var m genai.Message
	var reason string
	hasMessage := false
	s.Open('{')
	for s.More('}') {
		key := s.Key()
		switch {
		case string(key) == "message":
			var sure bool
			m, sure = c.plainMessage(s)
			hasMessage = true
			if !sure {
				return m, false
			}
		case string(key) == "finish_reason" && s.Peek() == convert.KindString:
			reason = c.text(s)
		case string(key) == "finish_reason" || string(key) == "logprobs":
			if s.Peek() != convert.KindNull {
				return m, false
			}
			s.Null()
		case string(key) == "index" && s.Peek() == convert.KindNumber:
			s.Skip()
		default:
			return m, false
		}
	}
	if !hasMessage {
		return m, false
	}
	m.FinishReason = reason
	return m, true
}

// plainRole excludes what genai treats specially: tool results and
// messages without a role.
func plainRole(role string) bool {
	return role != "" && role != "tool" && role != "function"
}

// unsafeString views b as a string without copying; b must not be
// modified while the string is used.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // read-only view, see above
}
