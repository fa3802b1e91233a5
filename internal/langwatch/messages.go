package langwatch

import (
	"bytes"
	"encoding/json"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// Chat messages arrive in every LLM span's typed input and output. The
// decoder reads them in the pass that reads the answer (finding the end of
// a typed value took as long as reading it), into messages whose strings
// are views of the answer, or of the slab's text for strings with escapes;
// the conversion renders them into one reused buffer and copies the JSON
// out once. Reading them into strings of their own, a second time, and
// rendering into a new buffer each time was most of the conversion's time
// and allocation.

// typedRec is what the decoding read of a typed value {type, value}.
type typedRec struct {
	// Type is the value's type (a view of the answer); "" when the value
	// is no object with a string type.
	Type string
	// Msgs are the chat messages, read by the fast path (Sure).
	Msgs []genai.Message
	// Sure: the fast path read the messages (plain OpenAI-style ones),
	// so Msgs are the value's messages.
	Sure bool
	// Seen: the object has a value member.
	Seen bool
	// Value is the value member's JSON text when it was read (params
	// repeat it as gen_ai.input.messages / gen_ai.output.messages).
	Value []byte
}

// messageSlab holds the messages, parts and unescaped strings of an
// answer's typed values. Sub-slices handed out stay valid when the slab
// grows (append leaves the old array to them).
type messageSlab struct {
	msgs  []genai.Message
	parts []genai.Part
	calls []genai.Part // one message's tool calls, before they join parts
	text  []byte
}

// maxSlabText is the largest text slab kept from one answer to the next.
const maxSlabText = 4 << 20

func (m *messageSlab) reset() {
	if cap(m.text) > maxSlabText {
		*m = messageSlab{}
	}
	m.msgs, m.parts, m.calls, m.text = m.msgs[:0], m.parts[:0], m.calls[:0], m.text[:0]
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
			rec.Type, _ = s.view()
		case string(key) == "value" && rec.Type == chatMessages && s.next() == kindArray:
			rec.Seen = true
			from, at := len(d.msgs.msgs), s.i
			rec.Sure = d.plainMessages()
			rec.Msgs = d.msgs.msgs[from:len(d.msgs.msgs):len(d.msgs.msgs)]
			if rec.Value = nil; rec.Sure && s.err == nil {
				rec.Value = s.b[at:s.i]
			}
			done = rec.Sure
			return rec.Sure
		case string(key) == "value":
			rec.Seen = true
			rec.Value = s.raw()
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

// plainFields are the members of one plain message.
type plainFields struct {
	content, callID                   string
	hasContent, nullContent, hasCalls bool
}

// plainMessage reads one message object.
func (d *decoder) plainMessage() (genai.Message, bool) {
	s := &d.s
	var m genai.Message
	if s.next() != kindObject {
		return m, false
	}
	var f plainFields
	d.msgs.calls = d.msgs.calls[:0]
	sure := true
	s.object(func(key []byte) bool {
		sure = d.plainField(&m, &f, key)
		return sure
	})
	if !sure || s.err != nil || m.Role == "" || (!f.hasContent && !f.hasCalls) {
		return m, false
	}
	if m.Role == "tool" || m.Role == "function" {
		var response any = f.content
		if f.nullContent || !f.hasContent {
			response = nil
		}
		m.Parts = d.msgs.partsOf(genai.Part{Type: genai.PartToolCallResponse, ID: f.callID, Response: response}, nil)
		return m, true
	}
	var text genai.Part
	if f.content != "" {
		text = genai.Part{Type: genai.PartText, Content: f.content}
	}
	m.Parts = d.msgs.partsOf(text, d.msgs.calls)
	return m, true
}

// partsOf appends first (unless it has no type) and then rest to the slab's
// parts, and returns them as one message's parts (never nil).
func (m *messageSlab) partsOf(first genai.Part, rest []genai.Part) []genai.Part {
	start := len(m.parts)
	if first.Type != "" {
		m.parts = append(m.parts, first)
	}
	m.parts = append(m.parts, rest...)
	end := len(m.parts)
	if start == end {
		return []genai.Part{}
	}
	return m.parts[start:end:end]
}

// plainField reads one member of a plain message; false when the member is
// one the fast path does not read.
func (d *decoder) plainField(m *genai.Message, f *plainFields, key []byte) bool {
	s := &d.s
	switch string(key) {
	case "role":
		return d.text(&m.Role)
	case "content":
		f.hasContent = true
		if s.next() == kindNull {
			f.nullContent = true
			s.skip()
			return true
		}
		return d.text(&f.content)
	case "name":
		return d.text(&m.Name)
	case "finish_reason":
		return d.text(&m.FinishReason)
	case "tool_call_id":
		return d.text(&f.callID)
	case "tool_calls":
		f.hasCalls = true
		return d.plainToolCalls()
	}
	return false
}

// text reads a string member into dst (a view, see messageSlab); false for
// another type.
func (d *decoder) text(dst *string) bool {
	if d.s.next() != kindString {
		return false
	}
	*dst, _ = d.s.text(&d.msgs.text)
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
		p := genai.Part{Type: genai.PartToolCall}
		hasFn := false
		s.object(func(key []byte) bool {
			switch {
			case string(key) == "id" && s.next() == kindString:
				d.text(&p.ID)
			case string(key) == "type" && s.next() == kindString:
				s.skip()
			case string(key) == "function" && s.next() == kindObject:
				hasFn = true
				sure = d.plainFunction(&p)
			default:
				sure = false
			}
			return sure
		})
		if !hasFn {
			sure = false
		}
		d.msgs.calls = append(d.msgs.calls, p)
		return sure
	})
	return sure
}

// plainFunction reads a tool call's {name, arguments: string}.
func (d *decoder) plainFunction(p *genai.Part) (sure bool) {
	s := &d.s
	sure = true
	s.object(func(key []byte) bool {
		switch {
		case string(key) == "name" && s.next() == kindString:
			d.text(&p.Name)
		case string(key) == "arguments" && s.next() == kindString:
			var args string
			d.text(&args)
			// What genai.ChatMessages makes of a JSON-string argument
			// value, kept as text when that renders the same.
			p.Arguments = genai.ToolArguments(args)
		default:
			sure = false
		}
		return sure
	})
	return sure
}

// typedValue keeps a typed value {type, value} as its JSON text under
// rawKey, and chat messages also as the GenAI messages under msgKey.
func (c *converter) typedValue(attrs pcommon.Map, raw []byte, rec *typedRec, rawKey, msgKey string) {
	if raw == nil {
		return
	}
	attrs.PutStr(rawKey, string(raw))
	msgs, typ, ok := c.typedMessages(raw, rec)
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
// genai.ChatMessages' reading of the value.
func (c *converter) typedMessages(raw []byte, rec *typedRec) (msgs []genai.Message, typ string, ok bool) {
	if rec.Type != chatMessages || rec.Sure {
		return rec.Msgs, rec.Type, rec.Sure
	}
	if !rec.Seen {
		return nil, rec.Type, false
	}
	var v struct {
		Value any `json:"value"`
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return nil, rec.Type, false
	}
	msgs, ok = genai.ChatMessages(v.Value)
	return msgs, rec.Type, ok
}

// maxRenderBuffer is the largest rendering buffer kept between typed
// values (one huge conversation's buffer is let go).
const maxRenderBuffer = 1 << 20

// render renders msgs as the GenAI messages JSON (a new string).
func (c *converter) render(msgs []genai.Message) string {
	c.out = genai.AppendMessagesJSON(c.out[:0], msgs)
	out := string(c.out)
	if cap(c.out) > maxRenderBuffer {
		c.out = nil
	}
	return out
}
