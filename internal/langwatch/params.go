package langwatch

import (
	"bytes"
	"encoding/json"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
)

// maxParamsDepth bounds how deep params are flattened; deeper objects are
// kept whole (as maps).
const maxParamsDepth = 16

// maxInternedKeys bounds the key cache.
const maxInternedKeys = 4096

// wholeValues are the attributes whose value is itself structured JSON
// (messages, tool arguments, LangWatch's typed values): params keeps them
// as objects, and flattening them would scatter one attribute into many.
var wholeValues = map[string]bool{
	genai.InputMessages:              true,
	genai.OutputMessages:             true,
	genai.SystemInstructions:         true,
	genai.ToolDefinitions:            true,
	genai.ToolCallArguments:          true,
	genai.ToolCallResult:             true,
	attrInput:                        true,
	attrOutput:                       true,
	attrContexts:                     true,
	"langwatch.params":               true,
	"langwatch.metrics":              true,
	"langwatch.timestamps":           true,
	"langwatch.contexts":             true,
	"langwatch.reserved.value_types": true,
}

// params flattens a span's params back into its attributes: params holds
// every attribute of the stored OTel span un-flattened at the dots
// ({"gen_ai":{"request":{"temperature":0.2}}}), so nested objects become
// dotted keys again (gen_ai.request.temperature = 0.2, JSON types kept:
// integers Int, other numbers Double, arrays Slice). The attributes
// LangWatch turned into the span's typed input, output and contexts are
// left to those fields (they are the same values).
func (c *converter) params(attrs pcommon.Map, sp *spanRec) {
	if len(sp.Params) == 0 {
		return
	}
	s := &c.sc
	s.reset(sp.Params)
	if s.next() != kindObject {
		c.warn()
		return
	}
	c.buf = c.buf[:0]
	ok := c.flatten(attrs, sp, 0)
	if s.finish() != nil || !ok {
		c.warn()
	}
}

// flatten reads the members of the object at the scanner; c.buf holds the
// dotted prefix (with its trailing dot) of its keys. It reports false when
// a value did not decode.
func (c *converter) flatten(attrs pcommon.Map, sp *spanRec, depth int) bool {
	s := &c.sc
	base := len(c.buf)
	ok := true
	s.object(func(key []byte) bool {
		c.buf = append(c.buf[:base], key...)
		if s.next() == kindObject && depth < maxParamsDepth && !wholeValues[string(c.buf)] {
			c.buf = append(c.buf, '.')
			ok = c.flatten(attrs, sp, depth+1) && ok
			return true
		}
		raw := s.raw()
		if supersededBy(sp, c.buf) || s.err != nil {
			return true
		}
		if !c.decodeInto(attrs, c.key(), raw) {
			ok = false
		}
		return true
	})
	c.buf = c.buf[:base]
	return ok
}

// decodeInto decodes a raw JSON value into attrs[key] with its JSON types;
// a malformed one is left out.
func (c *converter) decodeInto(attrs pcommon.Map, key string, raw []byte) bool {
	it := c.reset(raw)
	convert.ReadValue(it, attrs.PutEmpty(key))
	if convert.Failed(it) {
		attrs.Remove(key)
		return false
	}
	return true
}

// supersededBy reports whether the attribute key is one LangWatch derived a
// typed field of the span from, present in the span.
func supersededBy(sp *spanRec, key []byte) bool {
	switch string(key) {
	case genai.InputMessages, attrInput:
		return sp.Input != nil
	case genai.OutputMessages, attrOutput:
		return sp.Output != nil
	case attrContexts:
		return sp.Contexts != nil
	}
	return false
}

// key returns c.buf as an interned string (valid UTF-8).
func (c *converter) key() string {
	if k, ok := c.keys[string(c.buf)]; ok {
		return k
	}
	k := string(c.buf)
	if !utf8.ValidString(k) {
		return validKey(k)
	}
	if len(c.keys) < maxInternedKeys {
		c.keys[k] = k
	}
	return k
}

// typedValue keeps a typed value {type, value} as its JSON text under
// rawKey, and chat messages also as the GenAI messages under msgKey.
func (c *converter) typedValue(attrs pcommon.Map, raw []byte, rawKey, msgKey string) {
	if raw == nil {
		return
	}
	attrs.PutStr(rawKey, string(raw))
	msgs, typ, ok := c.readTyped(raw)
	switch {
	case typ == "":
		c.warn() // not a typed value
	case typ != chatMessages:
	case ok:
		attrs.PutStr(msgKey, genai.MessagesJSON(msgs))
	default:
		c.warn()
	}
}

// readTyped reads a typed value's type and, for chat messages, the
// messages, in one pass when "type" comes first (as LangWatch writes it).
func (c *converter) readTyped(raw []byte) (msgs []genai.Message, typ string, ok bool) {
	s := &c.sc
	s.reset(raw)
	if s.next() != kindObject {
		return nil, "", false
	}
	sure, seen := false, false
	s.object(func(key []byte) bool {
		switch {
		case string(key) == "type" && s.next() == kindString:
			typ, _ = s.str()
		case string(key) == "value" && typ == chatMessages && s.next() == kindArray:
			seen = true
			msgs, sure = plainMessages(s)
			return sure
		case string(key) == "value":
			seen = true
			s.skip()
		default:
			s.skip()
		}
		return true
	})
	if typ != chatMessages || (sure && s.err == nil) {
		return msgs, typ, sure && s.err == nil
	}
	if !seen {
		return nil, typ, false
	}
	// Anything richer than plain {role, content} messages (content parts,
	// tool calls, names) goes through the general reader.
	var v struct {
		Value any `json:"value"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, typ, false
	}
	msgs, ok = genai.ChatMessages(v.Value)
	return msgs, typ, ok
}

// plainMessages reads an array of OpenAI-style messages ({role, content:
// string|null, name, tool_call_id, tool_calls: [{id, type, function: {name,
// arguments: string}}]}) as genai.ChatMessages does; sure is false when it
// meets anything else (content parts, LangChain forms), which is left to
// genai.ChatMessages.
func plainMessages(s *scanner) (msgs []genai.Message, sure bool) {
	sure = true
	s.array(func() bool {
		m, ok := plainMessage(s)
		if !ok {
			sure = false
			return false
		}
		msgs = append(msgs, m)
		return true
	})
	// A single nested array is unwrapped by genai.ChatMessages; an empty
	// one is no messages: both are left to it.
	return msgs, sure && len(msgs) > 0 && s.err == nil
}

// plainMessage reads one message object.
func plainMessage(s *scanner) (genai.Message, bool) {
	var m genai.Message
	if s.next() != kindObject {
		return m, false
	}
	var content, callID string
	var calls []genai.Part
	sure, hasContent, nullContent, hasCalls := true, false, false, false
	str := func(dst *string) bool {
		if s.next() != kindString {
			return false
		}
		*dst, _ = s.str()
		return true
	}
	s.object(func(key []byte) bool {
		switch string(key) {
		case "role":
			sure = str(&m.Role)
		case "content":
			hasContent = true
			if s.next() == kindNull {
				nullContent = true
				s.skip()
			} else {
				sure = str(&content)
			}
		case "name":
			sure = str(&m.Name)
		case "finish_reason":
			sure = str(&m.FinishReason)
		case "tool_call_id":
			sure = str(&callID)
		case "tool_calls":
			hasCalls = true
			calls, sure = plainToolCalls(s)
		default:
			sure = false
		}
		return sure
	})
	if !sure || s.err != nil || m.Role == "" || (!hasContent && !hasCalls) {
		return m, false
	}
	if m.Role == "tool" || m.Role == "function" {
		var response any = content
		if nullContent || !hasContent {
			response = nil
		}
		m.Parts = []genai.Part{{Type: genai.PartToolCallResponse, ID: callID, Response: response}}
		return m, true
	}
	if content != "" {
		m.Parts = []genai.Part{{Type: genai.PartText, Content: content}}
	}
	m.Parts = append(m.Parts, calls...)
	if m.Parts == nil {
		m.Parts = []genai.Part{}
	}
	return m, true
}

// plainToolCalls reads [{id, type, function: {name, arguments: string}}].
func plainToolCalls(s *scanner) (parts []genai.Part, sure bool) {
	if s.next() != kindArray {
		return nil, false
	}
	sure = true
	s.array(func() bool {
		if s.next() != kindObject {
			sure = false
			return false
		}
		p := genai.Part{Type: genai.PartToolCall}
		hasFn := false
		s.object(func(key []byte) bool {
			switch {
			case string(key) == "id" && s.next() == kindString:
				p.ID, _ = s.str()
			case string(key) == "type" && s.next() == kindString:
				s.skip()
			case string(key) == "function" && s.next() == kindObject:
				hasFn = true
				s.object(func(key []byte) bool {
					switch {
					case string(key) == "name" && s.next() == kindString:
						p.Name, _ = s.str()
					case string(key) == "arguments" && s.next() == kindString:
						args, _ := s.str()
						p.Arguments = decodeArguments(args)
					default:
						sure = false
					}
					return sure
				})
			default:
				sure = false
			}
			return sure
		})
		if !hasFn {
			sure = false
		}
		parts = append(parts, p)
		return sure
	})
	return parts, sure
}

// decodeArguments is what genai.ChatMessages does with a JSON-string
// argument value: an object or array when it is valid JSON of that kind,
// else the string.
func decodeArguments(args string) any {
	t := strings.TrimSpace(args)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return args
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return args
	}
	return v
}
