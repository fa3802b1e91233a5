package genai

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// Part types of the GenAI message JSON schema.
const (
	PartText             = "text"
	PartToolCall         = "tool_call"
	PartToolCallResponse = "tool_call_response"
	PartReasoning        = "reasoning"
	PartURI              = "uri"
	PartBlob             = "blob"
)

// Message is one chat message in the structure of gen_ai.input.messages /
// gen_ai.output.messages.
type Message struct {
	// Role is "system", "user", "assistant", "tool" or a vendor role.
	Role string
	// Parts are the message content parts, in order.
	Parts []Part
	// FinishReason is set on output messages (one per choice); omitted from
	// the JSON when empty.
	FinishReason string
	// Name is the optional participant name; omitted from the JSON when empty.
	Name string
}

// Part is one content part of a Message. Which fields are rendered depends
// on Type (see MessagesJSON).
type Part struct {
	// Type is one of the Part* constants or any other vendor part type.
	Type string
	// Content is the text of "text" and "reasoning" parts, and the base64
	// data of "blob" parts.
	Content string
	// ID is the tool call id of "tool_call" / "tool_call_response" parts.
	ID string
	// Name is the tool name of "tool_call" parts.
	Name string
	// Arguments are the tool call arguments of "tool_call" parts: preferably
	// a decoded JSON object (map[string]any), else the raw string.
	Arguments any
	// Response is the tool result of "tool_call_response" parts.
	Response any
	// URI is the location of "uri" parts.
	URI string
	// Modality is "image", "video", "audio" or "document" for "uri" and
	// "blob" parts.
	Modality string
	// MimeType is the optional IANA media type of "uri" and "blob" parts.
	MimeType string
}

// MessagesJSON renders msgs as the JSON array the GenAI conventions define
// for gen_ai.input.messages and gen_ai.output.messages:
//
//	[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]},
//	 {"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"location":"Paris"}}]},
//	 {"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"rainy"}]},
//	 {"role":"assistant","parts":[{"type":"text","content":"It rains."}],"finish_reason":"stop"}]
//
// Per part type: "text"/"reasoning" -> type, content (always);
// "tool_call" -> type, id (if set), name (always), arguments (if non-nil);
// "tool_call_response" -> type, id (if set), response (always, null when
// nil); "uri" -> type, modality, mime_type (if set), uri; "blob" -> type,
// modality, mime_type (if set), content; any other type -> type plus every
// non-empty field. Message "name" and "finish_reason" are included only when
// non-empty. Arguments and Response values are JSON-encoded (strings as JSON
// strings, json.RawMessage verbatim when valid); HTML characters are not
// escaped. A nil or empty msgs gives "[]".
func MessagesJSON(msgs []Message) string {
	b := AppendMessagesJSON(make([]byte, 0, messagesSize(msgs)), msgs)
	// b is not used after this: the string takes its bytes without a copy.
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // b is never written again
}

// messagesSize estimates the length of the JSON of msgs (exact for text
// parts without characters to escape), so that it is built in one
// allocation.
func messagesSize(msgs []Message) int {
	n := 2
	for _, m := range msgs {
		n += len(`{"role":"","parts":[]},`) + len(m.Role)
		if m.Name != "" {
			n += len(`,"name":""`) + len(m.Name)
		}
		if m.FinishReason != "" {
			n += len(`,"finish_reason":""`) + len(m.FinishReason)
		}
		for _, p := range m.Parts {
			n += len(`{"type":"","content":""},`) + len(p.Type) + len(p.Content) + len(p.ID) + len(p.Name) + len(p.URI) + len(p.Modality) + len(p.MimeType)
		}
	}
	return n
}

// PartsJSON renders a bare JSON array of parts, the shape of
// gen_ai.system_instructions (e.g. [{"type":"text","content":"You are ..."}]).
// Parts are rendered as in MessagesJSON.
func PartsJSON(parts []Part) string {
	return string(appendParts(make([]byte, 0, 64*len(parts)+2), parts))
}

func appendParts(b []byte, parts []Part) []byte {
	b = append(b, '[')
	for i, p := range parts {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendPart(b, p)
	}
	return append(b, ']')
}

func appendField(b []byte, name, value string) []byte {
	b = append(b, ',', '"')
	b = append(b, name...)
	b = append(b, '"', ':')
	return appendString(b, value)
}

func appendPart(b []byte, p Part) []byte {
	b = append(b, `{"type":`...)
	b = appendString(b, p.Type)
	switch p.Type {
	case PartText, PartReasoning:
		b = appendField(b, "content", p.Content)
	case PartToolCall:
		if p.ID != "" {
			b = appendField(b, "id", p.ID)
		}
		b = appendField(b, "name", p.Name)
		if p.Arguments != nil {
			b = append(b, `,"arguments":`...)
			b = appendAny(b, p.Arguments)
		}
	case PartToolCallResponse:
		if p.ID != "" {
			b = appendField(b, "id", p.ID)
		}
		b = append(b, `,"response":`...)
		b = appendAny(b, p.Response)
	case PartURI:
		b = appendField(b, "modality", p.Modality)
		if p.MimeType != "" {
			b = appendField(b, "mime_type", p.MimeType)
		}
		b = appendField(b, "uri", p.URI)
	case PartBlob:
		b = appendField(b, "modality", p.Modality)
		if p.MimeType != "" {
			b = appendField(b, "mime_type", p.MimeType)
		}
		b = appendField(b, "content", p.Content)
	default:
		for _, f := range [...]struct{ name, value string }{
			{"content", p.Content}, {"id", p.ID}, {"name", p.Name},
			{"uri", p.URI}, {"modality", p.Modality}, {"mime_type", p.MimeType},
		} {
			if f.value != "" {
				b = appendField(b, f.name, f.value)
			}
		}
		if p.Arguments != nil {
			b = append(b, `,"arguments":`...)
			b = appendAny(b, p.Arguments)
		}
		if p.Response != nil {
			b = append(b, `,"response":`...)
			b = appendAny(b, p.Response)
		}
	}
	return append(b, '}')
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD;
// U+2028/U+2029 are escaped (as encoding/json does); HTML is not escaped.
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		if i+8 <= len(s) && plainWord(s[i:i+8]) {
			i += 8
			continue
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// plainWord reports whether the eight bytes of w are ASCII that JSON
// strings keep as they are (no quote, backslash or control character),
// testing them at once.
func plainWord(w string) bool {
	const lsbs, msbs = 0x0101010101010101, 0x8080808080808080
	x := uint64(w[0]) | uint64(w[1])<<8 | uint64(w[2])<<16 | uint64(w[3])<<24 |
		uint64(w[4])<<32 | uint64(w[5])<<40 | uint64(w[6])<<48 | uint64(w[7])<<56
	q := x ^ (lsbs * '"')
	e := x ^ (lsbs * '\\')
	return (x|((q-lsbs)&^q)|((e-lsbs)&^e)|((x-lsbs*0x20)&^x))&msbs == 0
}

// appendAny appends v as JSON.
func appendAny(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case string:
		return appendString(b, x)
	case canonicalJSON:
		return append(b, x...)
	case bool:
		return strconv.AppendBool(b, x)
	case json.RawMessage:
		if json.Valid(x) {
			var buf bytes.Buffer
			if json.Compact(&buf, x) == nil {
				return append(b, buf.Bytes()...)
			}
		}
		return appendString(b, string(x))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return appendString(b, fmt.Sprint(v))
	}
	return append(b, bytes.TrimRight(buf.Bytes(), "\n")...)
}

// ChatMessages recognises chat messages in a decoded JSON value (as produced
// by encoding/json, with or without UseNumber) and converts them to
// Messages. Recognised shapes:
//
//   - an array of message objects; a single nested array ([[...]], LangChain
//     batch inputs) is unwrapped;
//   - an object with a "messages" array, an OpenAI response object with a
//     "choices" array (each choice's "message", or legacy "text", becomes an
//     assistant message carrying the choice's finish_reason), or a single
//     message object;
//   - a string holding JSON of one of the above (e.g. Langtrace's
//     gen_ai.prompt / gen_ai.completion).
//
// A message object has a string "role" (or a LangChain "type": human ->
// user, ai -> assistant, system, tool; LangChain serialised objects are read
// from their "kwargs") and at least one of "content", "tool_calls",
// "function_call" or "parts". Content may be a string, null, or an array of
// content parts: OpenAI {type:"text"|"input_text"|"output_text", text},
// {type:"image_url", image_url:{url}} (uri part, or blob part for data:
// URLs), Anthropic {type:"tool_use", id, name, input}, {type:"tool_result",
// tool_use_id, content}, {type:"thinking", thinking}, {type:"image",
// source:{...}}, plain strings, and parts already in the conventions' shape.
// Assistant "tool_calls" [{id, function:{name, arguments}}] and legacy
// "function_call" become tool_call parts; JSON-string arguments are decoded
// to objects when possible. A "tool" (or "function") role message becomes a
// tool_call_response part with id = "tool_call_id" and response = its
// content.
//
// It returns false when v is not chat messages (not one of the shapes, an
// element that is not a message, or no messages at all).
func ChatMessages(v any) ([]Message, bool) {
	return chatMessages(v, true)
}

func chatMessages(v any, decodeString bool) ([]Message, bool) {
	switch x := v.(type) {
	case string:
		if !decodeString {
			return nil, false
		}
		s := strings.TrimSpace(x)
		if s == "" || (s[0] != '[' && s[0] != '{') {
			return nil, false
		}
		decoded, ok := decodeJSON(s)
		if !ok {
			return nil, false
		}
		return chatMessages(decoded, false)
	case []any:
		if len(x) == 1 {
			if inner, ok := x[0].([]any); ok {
				x = inner
			}
		}
		if len(x) == 0 {
			return nil, false
		}
		msgs := make([]Message, 0, len(x))
		for _, e := range x {
			obj, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			m, ok := parseMessage(obj)
			if !ok {
				return nil, false
			}
			msgs = append(msgs, m)
		}
		return msgs, true
	case map[string]any:
		if inner, ok := x["messages"]; ok {
			if _, isArray := inner.([]any); isArray {
				return chatMessages(inner, false)
			}
			return nil, false
		}
		if choices, ok := x["choices"].([]any); ok {
			return parseChoices(choices)
		}
		if m, ok := parseMessage(x); ok {
			return []Message{m}, true
		}
	}
	return nil, false
}

func decodeJSON(s string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return nil, false
	}
	return v, true
}

func parseChoices(choices []any) ([]Message, bool) {
	if len(choices) == 0 {
		return nil, false
	}
	msgs := make([]Message, 0, len(choices))
	for _, c := range choices {
		choice, ok := c.(map[string]any)
		if !ok {
			return nil, false
		}
		var m Message
		switch {
		case choice["message"] != nil:
			obj, ok := choice["message"].(map[string]any)
			if !ok {
				return nil, false
			}
			if m, ok = parseMessage(obj); !ok {
				return nil, false
			}
		case isString(choice["text"]):
			m = Message{Role: "assistant", Parts: []Part{{Type: PartText, Content: choice["text"].(string)}}}
		default:
			return nil, false
		}
		if fr, ok := choice["finish_reason"].(string); ok && fr != "" {
			m.FinishReason = fr
		}
		msgs = append(msgs, m)
	}
	return msgs, true
}

func isString(v any) bool {
	_, ok := v.(string)
	return ok
}

// langchainRoles maps LangChain message "type" values to roles.
var langchainRoles = map[string]string{
	"human": "user", "user": "user",
	"ai": "assistant", "assistant": "assistant",
	"system": "system",
	"tool":   "tool", "function": "tool",
}

func parseMessage(obj map[string]any) (Message, bool) {
	// LangChain serialised form: {"lc":1,"type":"constructor","id":[...],"kwargs":{...}}.
	if kw, ok := obj["kwargs"].(map[string]any); ok && obj["lc"] != nil {
		if _, hasType := kw["type"]; !hasType {
			if id, ok := obj["id"].([]any); ok && len(id) > 0 {
				if cls, ok := id[len(id)-1].(string); ok {
					kw = withType(kw, strings.ToLower(strings.TrimSuffix(cls, "Message")))
				}
			}
		}
		obj = kw
	}
	role, _ := obj["role"].(string)
	if role == "" {
		t, _ := obj["type"].(string)
		role = langchainRoles[t]
		if role == "" {
			return Message{}, false
		}
	}
	_, hasContent := obj["content"]
	_, hasToolCalls := obj["tool_calls"]
	_, hasFunctionCall := obj["function_call"]
	partsRaw, hasParts := obj["parts"].([]any)
	if !hasContent && !hasToolCalls && !hasFunctionCall && !hasParts {
		return Message{}, false
	}

	m := Message{Role: role}
	m.Name, _ = obj["name"].(string)
	m.FinishReason, _ = obj["finish_reason"].(string)

	if role == "tool" || role == "function" {
		id, _ := obj["tool_call_id"].(string)
		if hasParts && !hasContent {
			m.Parts = convertParts(partsRaw)
			return m, true
		}
		m.Parts = []Part{{Type: PartToolCallResponse, ID: id, Response: toolResponse(obj["content"])}}
		return m, true
	}

	if hasParts && !hasContent {
		m.Parts = convertParts(partsRaw)
	} else {
		m.Parts = contentParts(obj["content"])
	}
	if calls, ok := obj["tool_calls"].([]any); ok {
		for _, c := range calls {
			if p, ok := openAIToolCall(c); ok {
				m.Parts = append(m.Parts, p)
			}
		}
	}
	if fc, ok := obj["function_call"].(map[string]any); ok {
		name, _ := fc["name"].(string)
		m.Parts = append(m.Parts, Part{Type: PartToolCall, Name: name, Arguments: decodeArguments(fc["arguments"])})
	}
	if m.Parts == nil {
		m.Parts = []Part{}
	}
	return m, true
}

func withType(kw map[string]any, t string) map[string]any {
	out := make(map[string]any, len(kw)+1)
	for k, v := range kw {
		out[k] = v
	}
	out["type"] = t
	return out
}

// contentParts converts a message "content" value into parts.
func contentParts(content any) []Part {
	switch c := content.(type) {
	case nil:
		return nil
	case string:
		if c == "" {
			return nil
		}
		return []Part{{Type: PartText, Content: c}}
	case []any:
		return convertParts(c)
	default:
		return []Part{{Type: PartText, Content: jsonText(c)}}
	}
}

// convertParts converts an array of vendor content parts.
func convertParts(items []any) []Part {
	parts := make([]Part, 0, len(items))
	for _, it := range items {
		switch x := it.(type) {
		case string:
			parts = append(parts, Part{Type: PartText, Content: x})
		case map[string]any:
			parts = append(parts, convertPart(x))
		case nil:
		default:
			parts = append(parts, Part{Type: PartText, Content: jsonText(x)})
		}
	}
	return parts
}

func str(m map[string]any, key string) string {
	s, _ := m[key].(string)
	return s
}

func convertPart(p map[string]any) Part {
	t := str(p, "type")
	switch t {
	case "text", "input_text", "output_text":
		if s, ok := p["text"].(string); ok {
			return Part{Type: PartText, Content: s}
		}
		return Part{Type: PartText, Content: str(p, "content")} // already in convention shape
	case "":
		if s, ok := p["text"].(string); ok { // Gemini-style {text: ...}
			return Part{Type: PartText, Content: s}
		}
		return Part{Type: "unknown", Content: jsonText(p)}
	case "reasoning", "thinking":
		if s, ok := p["thinking"].(string); ok {
			return Part{Type: PartReasoning, Content: s}
		}
		if s, ok := p["content"].(string); ok {
			return Part{Type: PartReasoning, Content: s}
		}
		return Part{Type: PartReasoning, Content: str(p, "text")}
	case "tool_use": // Anthropic
		return Part{Type: PartToolCall, ID: str(p, "id"), Name: str(p, "name"), Arguments: p["input"]}
	case "tool_call": // convention shape, or OpenAI-like
		if fn, ok := p["function"].(map[string]any); ok {
			return Part{Type: PartToolCall, ID: str(p, "id"), Name: str(fn, "name"), Arguments: decodeArguments(fn["arguments"])}
		}
		return Part{Type: PartToolCall, ID: str(p, "id"), Name: str(p, "name"), Arguments: decodeArguments(p["arguments"])}
	case "tool_result": // Anthropic
		return Part{Type: PartToolCallResponse, ID: str(p, "tool_use_id"), Response: toolResponse(p["content"])}
	case "tool_call_response": // convention shape
		return Part{Type: PartToolCallResponse, ID: str(p, "id"), Response: p["response"]}
	case "image_url":
		url := str(p, "image_url")
		if iu, ok := p["image_url"].(map[string]any); ok {
			url = str(iu, "url")
		}
		return mediaPart("image", "", url)
	case "image": // Anthropic {source:{type:"base64",media_type,data}|{type:"url",url}}
		if src, ok := p["source"].(map[string]any); ok {
			if data, ok := src["data"].(string); ok {
				return Part{Type: PartBlob, Modality: "image", MimeType: str(src, "media_type"), Content: data}
			}
			return mediaPart("image", str(src, "media_type"), str(src, "url"))
		}
	case "uri", "blob": // convention shape
		return Part{Type: t, Content: str(p, "content"), URI: str(p, "uri"), Modality: str(p, "modality"), MimeType: str(p, "mime_type")}
	}
	// Unknown part type: keep the type and any text-like field.
	part := Part{Type: t}
	for _, k := range [...]string{"text", "content", "refusal"} {
		if s, ok := p[k].(string); ok {
			part.Content = s
			break
		}
	}
	return part
}

// mediaPart returns a uri part, or a blob part for a base64 data: URL.
func mediaPart(modality, mime, url string) Part {
	if rest, ok := strings.CutPrefix(url, "data:"); ok {
		if meta, data, ok := strings.Cut(rest, ","); ok && strings.HasSuffix(meta, ";base64") {
			return Part{Type: PartBlob, Modality: modality, MimeType: strings.TrimSuffix(meta, ";base64"), Content: data}
		}
	}
	return Part{Type: PartURI, Modality: modality, MimeType: mime, URI: url}
}

func openAIToolCall(c any) (Part, bool) {
	call, ok := c.(map[string]any)
	if !ok {
		return Part{}, false
	}
	if fn, ok := call["function"].(map[string]any); ok {
		return Part{Type: PartToolCall, ID: str(call, "id"), Name: str(fn, "name"), Arguments: decodeArguments(fn["arguments"])}, true
	}
	// LangChain tool_calls: {name, args, id}.
	if name, ok := call["name"].(string); ok {
		args := call["args"]
		if args == nil {
			args = decodeArguments(call["arguments"])
		}
		return Part{Type: PartToolCall, ID: str(call, "id"), Name: name, Arguments: args}, true
	}
	return Part{}, false
}

// decodeArguments decodes a JSON-string argument value into an object or
// array when it is valid JSON of that kind; otherwise it returns v as is.
func decodeArguments(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return v
	}
	if d, ok := decodeJSON(t); ok {
		return d
	}
	return v
}

// toolResponse extracts a tool result: strings as is, arrays of text parts
// joined, anything else as the decoded value.
func toolResponse(content any) any {
	items, ok := content.([]any)
	if !ok {
		return content
	}
	var sb strings.Builder
	for _, it := range items {
		switch x := it.(type) {
		case string:
			sb.WriteString(x)
		case map[string]any:
			s, ok := x["text"].(string)
			if !ok {
				return content
			}
			sb.WriteString(s)
		default:
			return content
		}
	}
	return sb.String()
}

// jsonText renders a non-string content value as JSON text.
func jsonText(v any) string {
	return string(appendAny(nil, v))
}
