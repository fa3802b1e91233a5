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
	s.Reset(text)
	if !c.openArray(s) {
		return
	}
	for s.More(']') {
		if s.Peek() != convert.KindObject {
			s.Skip()
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
	if s.Done() != nil {
		c.warn()
	}
}

// openArray enters the JSON array at s. A null document is no array and no
// warning; anything else that is not an array is a warning.
func (c *converter) openArray(s *scanner) bool {
	switch s.Peek() {
	case convert.KindArray:
		return s.Open('[')
	case convert.KindNull:
		s.Null()
		if s.Done() != nil {
			c.warn()
		}
		return false
	}
	c.warn()
	return false
}

// event reads one event object.
func (c *converter) event(s *scanner, ev ptrace.SpanEvent) {
	s.Open('{')
	for s.More('}') {
		switch string(s.Key()) {
		case "name":
			b, ok := readScalar(s)
			if !ok {
				c.warn()
			}
			ev.SetName(c.strs.String(b))
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
			s.Skip()
		}
	}
}

// attributes reads the attributes of an event or link at s: an object, a
// JSON string holding one, or an OTLP KeyValue list (links of spans that
// reached Langtrace through its OTLP endpoint are stored verbatim).
func (c *converter) attributes(s *scanner, dst pcommon.Map) {
	switch s.Peek() {
	case convert.KindObject:
		c.members(s, dst)
	case convert.KindString:
		c.textBuf = convert.Reuse(c.textBuf)
		if b := s.TextInto(&c.textBuf); len(b) > 0 && s.Err() == nil {
			c.attributeText(b, dst)
		}
	case convert.KindArray:
		if !c.keyValues(s, dst) {
			c.warn()
		}
	case convert.KindNull:
		s.Null()
	default:
		s.Skip()
		c.warn()
	}
}

// attributeText decodes the JSON object text into dst, keeping the members
// before an error (with a warning).
func (c *converter) attributeText(text []byte, dst pcommon.Map) {
	s := &c.docScan
	s.Reset(text)
	if s.Peek() != convert.KindObject {
		c.warn()
		return
	}
	c.members(s, dst)
	if s.Done() != nil {
		c.warn()
	}
}

// members decodes the object at s into dst, typed as convert.PutJSON
// does. The values of gen_ai.prompt and gen_ai.completion, JSON encoded
// once more by Langtrace, are decoded to structured values. On an error the
// member being read is dropped and the scan stops (s.Err() is set).
func (c *converter) members(s *scanner, dst pcommon.Map) {
	if !s.Open('{') {
		return
	}
	for s.More('}') {
		kb := s.Key()
		if s.Err() != nil {
			return
		}
		k := s.Intern(kb)
		v := dst.PutEmpty(k)
		if (k == attrPrompt || k == attrCompletion) && s.Peek() == convert.KindString {
			c.nestedBuf = convert.Reuse(c.nestedBuf)
			c.nestedJSON(s.TextInto(&c.nestedBuf), v)
		} else {
			s.Value(v)
		}
		if s.Err() != nil {
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
		v.SetStr(c.strs.String(text))
		return
	}
	s := &c.nestedScan
	s.Reset(text)
	s.Value(v)
	if s.Done() != nil {
		c.warn()
		v.SetStr(c.strs.String(text))
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
	s.Reset(text)
	if !c.openArray(s) {
		return
	}
	for s.More(']') {
		if s.Peek() != convert.KindObject {
			s.Skip()
			c.warn()
			continue
		}
		c.link(s, dst)
	}
	if s.Done() != nil {
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
	s.Open('{')
	for s.More('}') {
		key := s.Key()
		switch {
		case ids(key):
		case string(key) == "context":
			if s.Open('{') {
				for s.More('}') {
					if !ids(s.Key()) {
						s.Skip()
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
			s.Skip()
		}
	}
	tid, err1 := convert.TraceID(string(traceID))
	sid, err2 := convert.SpanID(string(spanID))
	if err1 != nil || err2 != nil || s.Err() != nil {
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
	if !s.Open('[') {
		return s.Err() == nil
	}
	for s.More(']') {
		var key string
		val := pcommon.NewValueEmpty()
		if !s.Open('{') {
			ok = false
			continue
		}
		for s.More('}') {
			switch string(s.Key()) {
			case "key":
				b, _ := readScalar(s)
				key = s.Intern(b)
			case "value":
				ok = c.anyValue(s, val) && ok
			default:
				s.Skip()
			}
		}
		if key == "" {
			ok = false
		} else {
			val.MoveTo(dst.PutEmpty(key))
		}
	}
	return ok && s.Err() == nil
}

// anyValue reads an OTLP/JSON AnyValue into dst.
func (c *converter) anyValue(s *scanner, dst pcommon.Value) bool {
	ok := true
	if !s.Open('{') {
		return s.Err() == nil
	}
	for s.More('}') {
		switch string(s.Key()) {
		case "stringValue":
			dst.SetStr(s.Str())
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
			if !s.Open('{') {
				continue
			}
			for s.More('}') {
				if string(s.Key()) != "values" {
					s.Skip()
					continue
				}
				if s.Open('[') {
					for s.More(']') {
						ok = c.anyValue(s, sl.AppendEmpty()) && ok
					}
				}
			}
		case "kvlistValue":
			m := dst.SetEmptyMap()
			if !s.Open('{') {
				continue
			}
			for s.More('}') {
				if string(s.Key()) != "values" {
					s.Skip()
					continue
				}
				ok = c.keyValues(s, m) && ok
			}
		default:
			s.Skip()
		}
	}
	return ok && s.Err() == nil
}

// toUint32 clamps a count to the uint32 range of OTLP's counters.
func toUint32(v int) uint32 {
	return uint32(min(max(v, 0), math.MaxUint32)) //nolint:gosec // clamped above
}
