package langwatch

import (
	"bytes"
	"encoding/json"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// Chat messages arrive in every LLM span's typed input and output. The
// decoder reads them in the pass that reads the answer (finding the end of
// a typed value took as long as reading it) into records that locate their
// strings (in the answer, or unescaped in the slab's text) without
// pointers; the conversion makes genai messages of them, with strings that
// are views of those bytes, renders them into one reused buffer and copies
// the JSON out once. Reading them into strings of their own, a second
// time, and rendering into a new buffer each time was most of the
// conversion's time and allocation, and records full of pointers kept the
// garbage collector busy.

// typedRec is what the decoding read of a typed value {type, value}.
type typedRec struct {
	// Type is the value's type; empty when the value is no object with a
	// string type.
	Type ref
	// Msgs are the chat messages read by the fast path (Sure): a range of
	// the slab's messages.
	Msgs [2]uint32
	// Sure: the fast path read the messages (plain OpenAI-style ones),
	// so Msgs are the value's messages.
	Sure bool
	// Seen: the object has a value member.
	Seen bool
	// Value locates the value member's JSON text in the answer when it
	// was read (params repeat it as gen_ai.input.messages /
	// gen_ai.output.messages); empty otherwise.
	Value [2]uint32
}

// msgRec is one plain message as the decoding read it.
type msgRec struct {
	role, content, name, finish, callID ref
	// calls is a range of the slab's tool calls.
	calls                   [2]uint32
	hasContent, nullContent bool
}

// callRec is one tool call {id, function: {name, arguments}}.
type callRec struct {
	id, name, args ref
	hasArgs        bool
}

// messageSlab holds the messages, tool calls and unescaped strings of an
// answer's typed values, reset at each decode.
type messageSlab struct {
	msgs  []msgRec
	calls []callRec
	text  []byte
}

// maxSlabText is the largest text slab kept from one answer to the next.
const maxSlabText = 4 << 20

func (m *messageSlab) reset() {
	if cap(m.text) > maxSlabText {
		*m = messageSlab{}
	}
	m.msgs, m.calls, m.text = m.msgs[:0], m.calls[:0], m.text[:0]
}

// str is the string r locates (a view: valid until the next decode).
func (d *decoder) str(r ref) string {
	if r.inText {
		return bytesView(d.msgs.text[r.start:r.end])
	}
	return bytesView(d.s.b[r.start:r.end])
}

// readTyped reads the typed value at the scanner: its JSON text (nil for
// null) and what the fast path read of it. Where the fast path stops (not
// plain messages) or meets malformed JSON, the value is passed over as any
// value is, and the conversion takes its general path.
func (d *decoder) readTyped() ([]byte, typedRec) {
	s := &d.s
	var rec typedRec
	switch s.next() {
	case kindNull:
		s.skip()
		return nil, rec
	case kindObject:
	default:
		return s.raw(), rec
	}
	start, depth := s.i, s.depth
	s.depth = 0 // nesting is counted from the value, as in a document of its own
	done := d.typedFields(&rec)
	s.depth = depth
	rec.Sure = rec.Sure && s.err == nil
	if done && s.err == nil {
		return s.b[start:s.i], rec
	}
	s.err, s.i = nil, start
	return s.raw(), rec
}

// typedFields reads the members of a typed value, in one pass when "type"
// comes first (as LangWatch writes it); false when it stopped before the
// end.
func (d *decoder) typedFields(rec *typedRec) (done bool) {
	s := &d.s
	done = true
	s.object(func(key []byte) bool {
		switch {
		case string(key) == "type" && s.next() == kindString:
			rec.Type = s.textRef(&d.msgs.text)
		case string(key) == "value" && d.str(rec.Type) == chatMessages && s.next() == kindArray:
			rec.Seen = true
			from, at := len(d.msgs.msgs), s.i
			rec.Sure = d.plainMessages()
			rec.Msgs = [2]uint32{uint32(from), uint32(len(d.msgs.msgs))} //nolint:gosec // counts of an answer's messages
			if rec.Value = [2]uint32{}; rec.Sure && s.err == nil {
				rec.Value = [2]uint32{uint32(at), uint32(s.i)} //nolint:gosec // an answer is far below 4 GiB
			}
			done = rec.Sure
			return rec.Sure
		case string(key) == "value":
			rec.Seen = true
			s.ws()
			at := s.i
			if s.skip(); s.err == nil {
				rec.Value = [2]uint32{uint32(at), uint32(s.i)} //nolint:gosec // as above
			}
		default:
			s.skip()
		}
		return true
	})
	return done
}

// plainMessages reads an array of OpenAI-style messages ({role, content:
// string|null, name, tool_call_id, tool_calls: [{id, type, function: {name,
// arguments: string}}]}) into the slab as genai.ChatMessages reads them;
// false when it meets anything else (content parts, LangChain forms), which
// is left to genai.ChatMessages.
func (d *decoder) plainMessages() (sure bool) {
	s := &d.s
	sure = true
	n := 0
	s.array(func() bool {
		m, ok := d.plainMessage()
		if !ok {
			sure = false
			return false
		}
		d.msgs.msgs = append(d.msgs.msgs, m)
		n++
		return true
	})
	// A single nested array is unwrapped by genai.ChatMessages; an empty
	// one is no messages: both are left to it.
	return sure && n > 0 && s.err == nil
}

// plainMessage reads one message object.
func (d *decoder) plainMessage() (msgRec, bool) {
	s := &d.s
	var m msgRec
	if s.next() != kindObject {
		return m, false
	}
	from := uint32(len(d.msgs.calls)) //nolint:gosec // counts of an answer's calls
	m.calls = [2]uint32{from, from}
	hasCalls, sure := false, true
	s.object(func(key []byte) bool {
		switch string(key) {
		case "role":
			sure = d.text(&m.role)
		case "content":
			m.hasContent = true
			if s.next() == kindNull {
				m.nullContent = true
				s.skip()
			} else {
				sure = d.text(&m.content)
			}
		case "name":
			sure = d.text(&m.name)
		case "finish_reason":
			sure = d.text(&m.finish)
		case "tool_call_id":
			sure = d.text(&m.callID)
		case "tool_calls":
			hasCalls = true
			d.msgs.calls = d.msgs.calls[:from] // a repeated member replaces the first
			sure = d.plainToolCalls()
			m.calls[1] = uint32(len(d.msgs.calls)) //nolint:gosec // as above
		default:
			sure = false
		}
		return sure
	})
	if !sure || s.err != nil || m.role.start == m.role.end || (!m.hasContent && !hasCalls) {
		return m, false
	}
	return m, true
}

// text reads a string member into dst; false for another type.
func (d *decoder) text(dst *ref) bool {
	if d.s.next() != kindString {
		return false
	}
	*dst = d.s.textRef(&d.msgs.text)
	return true
}

// plainToolCalls reads [{id, type, function: {name, arguments: string}}]
// into the slab's calls.
func (d *decoder) plainToolCalls() (sure bool) {
	s := &d.s
	if s.next() != kindArray {
		return false
	}
	sure = true
	s.array(func() bool {
		if s.next() != kindObject {
			sure = false
			return false
		}
		var call callRec
		hasFn := false
		s.object(func(key []byte) bool {
			switch {
			case string(key) == "id" && s.next() == kindString:
				d.text(&call.id)
			case string(key) == "type" && s.next() == kindString:
				s.skip()
			case string(key) == "function" && s.next() == kindObject:
				hasFn = true
				sure = d.plainFunction(&call)
			default:
				sure = false
			}
			return sure
		})
		if !hasFn {
			sure = false
		}
		d.msgs.calls = append(d.msgs.calls, call)
		return sure
	})
	return sure
}

// plainFunction reads a tool call's {name, arguments: string}.
func (d *decoder) plainFunction(call *callRec) (sure bool) {
	s := &d.s
	sure = true
	s.object(func(key []byte) bool {
		switch {
		case string(key) == "name" && s.next() == kindString:
			d.text(&call.name)
		case string(key) == "arguments" && s.next() == kindString:
			call.hasArgs = d.text(&call.args)
		default:
			sure = false
		}
		return sure
	})
	return sure
}

// typedValue keeps a typed value {type, value} as its JSON text under
// rawKey, and chat messages also as the GenAI messages under msgKey.
func (c *converter) typedValue(attrs pcommon.Map, raw []byte, rec *typedRec, d *decoder, rawKey, msgKey string) {
	if raw == nil {
		return
	}
	attrs.PutStr(rawKey, c.strs.str(raw))
	msgs, typ, ok := c.typedMessages(raw, rec, d)
	switch {
	case typ == "":
		c.warn() // not a typed value
	case typ != chatMessages:
	case ok:
		attrs.PutStr(msgKey, c.render(msgs))
	default:
		c.warn()
	}
}

// typedMessages is the type of a typed value and, for chat messages, the
// messages: those the decoding read, else (content parts, LangChain forms)
// genai.ChatMessages' reading of the value. The messages are valid until
// the next call.
func (c *converter) typedMessages(raw []byte, rec *typedRec, d *decoder) (msgs []genai.Message, typ string, ok bool) {
	typ = d.str(rec.Type)
	if typ != chatMessages || rec.Sure {
		if rec.Sure {
			msgs = c.messages(d, rec.Msgs)
		}
		return msgs, typ, rec.Sure
	}
	if !rec.Seen {
		return nil, typ, false
	}
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

// messages makes genai messages of the slab's messages in span, as
// genai.ChatMessages makes them of plain messages, in the converter's
// reused slices (valid until the next call).
func (c *converter) messages(d *decoder, span [2]uint32) []genai.Message {
	c.msgs, c.parts = c.msgs[:0], c.parts[:0]
	for _, r := range d.msgs.msgs[span[0]:span[1]] {
		m := genai.Message{Role: d.str(r.role), Name: d.str(r.name), FinishReason: d.str(r.finish)}
		start := len(c.parts)
		content := d.str(r.content)
		switch m.Role {
		case "tool", "function":
			var response any = content
			if r.nullContent || !r.hasContent {
				response = nil
			}
			c.parts = append(c.parts, genai.Part{Type: genai.PartToolCallResponse, ID: d.str(r.callID), Response: response})
		default:
			if content != "" {
				c.parts = append(c.parts, genai.Part{Type: genai.PartText, Content: content})
			}
			for _, call := range d.msgs.calls[r.calls[0]:r.calls[1]] {
				p := genai.Part{Type: genai.PartToolCall, ID: d.str(call.id), Name: d.str(call.name)}
				if call.hasArgs {
					// What genai.ChatMessages makes of a JSON-string
					// argument value, kept as text when that renders the
					// same.
					p.Arguments = genai.ToolArguments(d.str(call.args))
				}
				c.parts = append(c.parts, p)
			}
		}
		if m.Parts = c.parts[start:len(c.parts):len(c.parts)]; start == len(c.parts) {
			m.Parts = []genai.Part{}
		}
		c.msgs = append(c.msgs, m)
	}
	return c.msgs
}

// maxRenderBuffer is the largest rendering buffer kept between typed
// values (one huge conversation's buffer is let go).
const maxRenderBuffer = 1 << 20

// render renders msgs as the GenAI messages JSON (a new string).
func (c *converter) render(msgs []genai.Message) string {
	c.out = genai.AppendMessagesJSON(c.out[:0], msgs)
	out := c.strs.str(c.out)
	if cap(c.out) > maxRenderBuffer {
		c.out = nil
	}
	return out
}
