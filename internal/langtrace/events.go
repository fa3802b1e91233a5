package langtrace

import (
	"encoding/base64"
	"math"
	"strconv"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// events converts the events column: a JSON array of
// {name, timestamp|time, attributes}, the time as ISO-8601 (python SDK,
// OTLP ingest) or an hrtime pair (TypeScript SDK). Events are kept as far
// as they can be read. The decoded prompt and completion content is
// collected into content.
func (c *converter) events(text []byte, dst ptrace.SpanEventSlice, content *messages) {
	if len(text) == 0 {
		return
	}
	s := &c.listScan
	s.reset(text)
	if !c.openArray(s) {
		return
	}
	for s.more(']') {
		if s.peek() != kindObject {
			s.skip()
			c.warn()
			continue
		}
		ev := dst.AppendEmpty()
		c.event(s, ev)
		attrs := ev.Attributes()
		if v, ok := attrs.Get(attrPrompt); ok {
			content.prompts = append(content.prompts, v)
		}
		if v, ok := attrs.Get(attrCompletion); ok {
			content.completions = append(content.completions, v)
		}
	}
	if s.done() != nil {
		c.warn()
	}
}

// openArray enters the JSON array at s. A null document is no array and no
// warning; anything else that is not an array is a warning.
func (c *converter) openArray(s *scanner) bool {
	switch s.peek() {
	case kindArray:
		return s.open('[')
	case kindNull:
		s.null()
		if s.done() != nil {
			c.warn()
		}
		return false
	}
	c.warn()
	return false
}

// event reads one event object.
func (c *converter) event(s *scanner, ev ptrace.SpanEvent) {
	s.open('{')
	for s.more('}') {
		switch string(s.key()) {
		case "name":
			b, ok := readScalar(s)
			if !ok {
				c.warn()
			}
			ev.SetName(string(b))
		case "timestamp", "time", "timeUnixNano", "time_unix_nano":
			t, ok := readTime(s)
			if !ok {
				c.warn()
			}
			ev.SetTimestamp(convert.Timestamp(t))
		case "attributes":
			c.attributes(s, ev.Attributes())
		case "droppedAttributesCount", "dropped_attributes_count":
			ev.SetDroppedAttributesCount(toUint32(readInt(s)))
		default:
			s.skip()
		}
	}
}

// attributes reads the attributes of an event or link at s: an object, a
// JSON string holding one, or an OTLP KeyValue list (links of spans that
// reached Langtrace through its OTLP endpoint are stored verbatim).
func (c *converter) attributes(s *scanner, dst pcommon.Map) {
	switch s.peek() {
	case kindObject:
		c.members(s, dst)
	case kindString:
		c.textBuf = reuse(c.textBuf)
		if b := s.textInto(&c.textBuf); len(b) > 0 && s.err == nil {
			c.attributeText(b, dst)
		}
	case kindArray:
		if !c.keyValues(s, dst) {
			c.warn()
		}
	case kindNull:
		s.null()
	default:
		s.skip()
		c.warn()
	}
}

// attributeText decodes the JSON object text into dst, keeping the members
// before an error (with a warning).
func (c *converter) attributeText(text []byte, dst pcommon.Map) {
	s := &c.docScan
	s.reset(text)
	if s.peek() != kindObject {
		c.warn()
		return
	}
	c.members(s, dst)
	if s.done() != nil {
		c.warn()
	}
}

// members decodes the object at s into dst, typed as convert.PutJSON
// does. The values of gen_ai.prompt and gen_ai.completion, JSON encoded
// once more by Langtrace, are decoded to structured values. On an error the
// member being read is dropped and the scan stops (s.err is set).
func (c *converter) members(s *scanner, dst pcommon.Map) {
	if !s.open('{') {
		return
	}
	for s.more('}') {
		kb := s.key()
		if s.err != nil {
			return
		}
		k := c.keys.get(kb)
		v := dst.PutEmpty(k)
		if (k == attrPrompt || k == attrCompletion) && s.peek() == kindString {
			c.nestedBuf = reuse(c.nestedBuf)
			c.nestedJSON(s.textInto(&c.nestedBuf), v)
		} else {
			s.value(v, &c.keys)
		}
		if s.err != nil {
			dst.Remove(k)
			return
		}
	}
}

// nestedJSON stores text in v: decoded when it is a JSON array or object,
// as a string otherwise (plain text content). Text that looks like JSON but
// does not parse is kept as the string, with a warning.
func (c *converter) nestedJSON(text []byte, v pcommon.Value) {
	i := 0
	for i < len(text) && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' || text[i] == '\r') {
		i++
	}
	if i == len(text) || (text[i] != '[' && text[i] != '{') {
		v.SetStr(string(text))
		return
	}
	s := &c.nestedScan
	s.reset(text)
	s.value(v, &c.keys)
	if s.done() != nil {
		c.warn()
		v.SetStr(string(text))
	}
}

// links converts the links column: a JSON array of the python SDK's
// {context:{trace_id, span_id, trace_state}, attributes} or OTLP's
// {traceId, spanId, traceState, attributes}. A link without valid ids is
// dropped with a warning.
func (c *converter) links(text []byte, dst ptrace.SpanLinkSlice) {
	if len(text) == 0 {
		return
	}
	s := &c.listScan
	s.reset(text)
	if !c.openArray(s) {
		return
	}
	for s.more(']') {
		if s.peek() != kindObject {
			s.skip()
			c.warn()
			continue
		}
		c.link(s, dst)
	}
	if s.done() != nil {
		c.warn()
	}
}

func (c *converter) link(s *scanner, dst ptrace.SpanLinkSlice) {
	var traceID, spanID []byte
	var state string
	l := ptrace.NewSpanLink()
	ids := func(key []byte) bool {
		switch string(key) {
		case "trace_id", "traceId":
			traceID, _ = readScalar(s)
		case "span_id", "spanId":
			spanID, _ = readScalar(s)
		case "trace_state", "traceState":
			b, _ := readScalar(s)
			state = string(b)
		default:
			return false
		}
		return true
	}
	s.open('{')
	for s.more('}') {
		key := s.key()
		switch {
		case ids(key):
		case string(key) == "context":
			if s.open('{') {
				for s.more('}') {
					if !ids(s.key()) {
						s.skip()
					}
				}
			}
		case string(key) == "attributes":
			c.attributes(s, l.Attributes())
		case string(key) == "droppedAttributesCount" || string(key) == "dropped_attributes_count":
			l.SetDroppedAttributesCount(toUint32(readInt(s)))
		case string(key) == "flags":
			l.SetFlags(toUint32(readInt(s)))
		default:
			s.skip()
		}
	}
	tid, err1 := convert.TraceID(string(traceID))
	sid, err2 := convert.SpanID(string(spanID))
	if err1 != nil || err2 != nil || s.err != nil {
		c.warn()
		return
	}
	l.SetTraceID(tid)
	l.SetSpanID(sid)
	if ts, ok := parseTraceState(state); ok {
		l.TraceState().FromRaw(ts)
	} else {
		c.warn()
	}
	l.MoveTo(dst.AppendEmpty())
}

// keyValues reads an OTLP/JSON KeyValue list into dst.
func (c *converter) keyValues(s *scanner, dst pcommon.Map) bool {
	ok := true
	if !s.open('[') {
		return s.err == nil
	}
	for s.more(']') {
		var key string
		val := pcommon.NewValueEmpty()
		if !s.open('{') {
			ok = false
			continue
		}
		for s.more('}') {
			switch string(s.key()) {
			case "key":
				b, _ := readScalar(s)
				key = c.keys.get(b)
			case "value":
				ok = c.anyValue(s, val) && ok
			default:
				s.skip()
			}
		}
		if key == "" {
			ok = false
		} else {
			val.MoveTo(dst.PutEmpty(key))
		}
	}
	return ok && s.err == nil
}

// anyValue reads an OTLP/JSON AnyValue into dst.
func (c *converter) anyValue(s *scanner, dst pcommon.Value) bool {
	ok := true
	if !s.open('{') {
		return s.err == nil
	}
	for s.more('}') {
		switch string(s.key()) {
		case "stringValue":
			dst.SetStr(s.str())
		case "boolValue":
			b, _ := readScalar(s)
			dst.SetBool(string(b) == "true")
		case "intValue": // a string in OTLP/JSON, a number in some encoders
			b, _ := readScalar(s)
			if n, err := strconv.ParseInt(string(b), 10, 64); err == nil {
				dst.SetInt(n)
			} else {
				dst.SetStr(string(b))
				ok = false
			}
		case "doubleValue":
			b, _ := readScalar(s)
			if f, err := strconv.ParseFloat(string(b), 64); err == nil {
				dst.SetDouble(f)
			} else {
				dst.SetStr(string(b))
				ok = false
			}
		case "bytesValue":
			b, _ := readScalar(s)
			if raw, err := base64.StdEncoding.DecodeString(string(b)); err == nil {
				dst.SetEmptyBytes().FromRaw(raw)
			} else {
				dst.SetStr(string(b))
				ok = false
			}
		case "arrayValue":
			sl := dst.SetEmptySlice()
			if !s.open('{') {
				continue
			}
			for s.more('}') {
				if string(s.key()) != "values" {
					s.skip()
					continue
				}
				if s.open('[') {
					for s.more(']') {
						ok = c.anyValue(s, sl.AppendEmpty()) && ok
					}
				}
			}
		case "kvlistValue":
			m := dst.SetEmptyMap()
			if !s.open('{') {
				continue
			}
			for s.more('}') {
				if string(s.key()) != "values" {
					s.skip()
					continue
				}
				ok = c.keyValues(s, m) && ok
			}
		default:
			s.skip()
		}
	}
	return ok && s.err == nil
}

// toUint32 clamps a count to the uint32 range of OTLP's counters.
func toUint32(v int) uint32 {
	return uint32(min(max(v, 0), math.MaxUint32)) //nolint:gosec // clamped above
}
