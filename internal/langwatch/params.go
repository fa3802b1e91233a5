package langwatch

import (
	"bytes"
	"encoding/json"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"
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
	it := c.reset(sp.Params)
	if it.WhatIsNext() != jsoniter.ObjectValue {
		c.warn()
		return
	}
	c.buf = c.buf[:0]
	c.flatten(it, attrs, sp, 0)
	if convert.Failed(it) {
		c.warn()
	}
}

// flatten reads the members of the object at it; c.buf holds the dotted
// prefix (with its trailing dot) of its keys.
func (c *converter) flatten(it *jsoniter.Iterator, attrs pcommon.Map, sp *spanRec, depth int) {
	base := len(c.buf)
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		c.buf = append(c.buf[:base], key...)
		if it.WhatIsNext() == jsoniter.ObjectValue && depth < maxParamsDepth && !wholeValues[string(c.buf)] {
			c.buf = append(c.buf, '.')
			c.flatten(it, attrs, sp, depth+1)
			return !convert.Failed(it)
		}
		if supersededBy(sp, c.buf) {
			it.Skip()
			return !convert.Failed(it)
		}
		convert.ReadValue(it, attrs.PutEmpty(c.key()))
		return !convert.Failed(it)
	})
	c.buf = c.buf[:base]
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
	attrs.PutStr(rawKey, c.compact(raw))
	if typ, ok := c.valueType(raw); !ok {
		c.warn()
		return
	} else if typ != chatMessages {
		return
	}
	if msgs, ok := c.chatValue(raw); ok {
		attrs.PutStr(msgKey, genai.MessagesJSON(msgs))
	} else {
		c.warn()
	}
}

// compact returns raw as compact JSON text (LangWatch sends it compact;
// anything else is made so, for stable attribute values).
func (c *converter) compact(raw []byte) string {
	if !bytes.ContainsAny(raw, " \n\r\t") {
		return string(raw)
	}
	c.scratch.Reset()
	if err := json.Compact(&c.scratch, raw); err != nil {
		return string(raw)
	}
	return c.scratch.String()
}

// valueType reads the type of a typed value; ok is false when raw is not a
// typed value.
func (c *converter) valueType(raw []byte) (typ string, ok bool) {
	it := c.reset(raw)
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return "", false
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		if key == "type" && it.WhatIsNext() == jsoniter.StringValue {
			typ, ok = it.ReadString(), true
			return false
		}
		it.Skip()
		return !convert.Failed(it)
	})
	return typ, ok && typ != ""
}

// chatValue returns the GenAI messages of a chat_messages typed value.
func (c *converter) chatValue(raw []byte) ([]genai.Message, bool) {
	it := c.reset(raw)
	var msgs []genai.Message
	sure, found := false, false
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		if key != "value" {
			it.Skip()
			return !convert.Failed(it)
		}
		found = true
		if it.WhatIsNext() == jsoniter.ArrayValue {
			msgs, sure = plainMessages(it)
		}
		return false
	})
	if sure && !convert.Failed(it) {
		return msgs, len(msgs) > 0
	}
	if !found {
		return nil, false
	}
	// Anything richer than plain {role, content} messages (content parts,
	// tool calls, names) goes through the general reader.
	var v struct {
		Value any `json:"value"`
	}
	if err := jsonAPI.Unmarshal(raw, &v); err != nil {
		return nil, false
	}
	return genai.ChatMessages(v.Value)
}

// plainMessages reads an array of {role, content: string} messages; sure is
// false when it meets anything else (genai.ChatMessages gives the same
// result for the messages it accepts).
func plainMessages(it *jsoniter.Iterator) (msgs []genai.Message, sure bool) {
	sure = true
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		m, ok := plainMessage(it)
		if !ok {
			sure = false
			return false
		}
		msgs = append(msgs, m)
		return !convert.Failed(it)
	})
	// A single nested array is unwrapped by genai.ChatMessages; an empty
	// one is no messages: both are left to it.
	return msgs, sure && len(msgs) > 0
}

// plainMessage reads one {role, content: string} object.
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
	// Tool results and messages without a role are special in genai.
	if !sure || !hasContent || m.Role == "" || m.Role == "tool" || m.Role == "function" {
		return m, false
	}
	if m.Parts == nil {
		m.Parts = []genai.Part{}
	}
	return m, true
}
