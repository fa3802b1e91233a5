package promptlayer

import (
	"fmt"

	jsoniter "github.com/json-iterator/go"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// wireTrace is one answer of GET /api/public/v2/traces/{trace_id}. Two
// shapes exist in PromptLayer's own documents: the serializer of the first
// spec (2026-03: {success, spans} with per-span start/end, trace_id,
// context, kind, status, attributes, resource, events, links) and the newer
// example ({success, trace_id, spans} with start_time/end_time). Both are
// read into the same fields.
type wireTrace struct {
	TraceID string // top level, newer shape only
	Spans   []wireSpan
}

// wireSpan is one span as PromptLayer serves it. Blobs (attributes,
// resource attributes, events, links) stay raw and are decoded straight into
// pdata by the conversion; members without a mapping are kept raw in Extra.
type wireSpan struct {
	Name     string
	TraceID  string // trace_id, else context.trace_id
	SpanID   string // span_id, else context.span_id
	ParentID string // "" for null: a root
	// TraceState is context.trace_state.
	TraceState string
	// Start and End are start/start_time and end/end_time: ISO strings, or
	// the text of a number (an epoch, unit guessed by magnitude). End ""
	// is null: in progress.
	Start, End string
	// Kind is kind: its string, or the text of a number.
	Kind string
	// StatusCode and StatusDescription are status.status_code (string or
	// the text of a number) and status.description.
	StatusCode        string
	StatusDescription string

	Attributes []byte // raw JSON object, nil when absent or null
	// Resource is the raw resource object (the grouping key);
	// ResourceAttributes and SchemaURL are its members.
	Resource           []byte
	ResourceAttributes []byte
	SchemaURL          string
	Events             []byte // raw JSON array
	Links              []byte // raw JSON array

	RequestLogID int64 // 0 when the span made no request log

	Extra []rawField
	// Problems counts members of an unexpected type (a warning each).
	Problems int
}

// rawField is a member without a mapping, kept as promptlayer.<key>.
type rawField struct {
	Key string
	Raw []byte
}

// ignoredSpanField lists members deliberately not converted: id is
// PromptLayer's internal row id.
func ignoredSpanField(k string) bool { return k == "id" }

// decodeTrace decodes a trace answer.
func decodeTrace(body []byte) (wireTrace, error) {
	var t wireTrace
	var arena []byte
	it := jsonAPI.BorrowIterator(body)
	defer jsonAPI.ReturnIterator(it)
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return t, fmt.Errorf("unexpected answer: want a JSON object, got %q", snippet(body))
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "trace_id":
			t.TraceID = readStr(it)
		case "spans":
			if it.WhatIsNext() != jsoniter.ArrayValue {
				it.Skip()
				return it.Error == nil
			}
			t.Spans = make([]wireSpan, 0, 16)
			it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
				if it.WhatIsNext() != jsoniter.ObjectValue {
					it.Skip()
					return it.Error == nil
				}
				t.Spans = append(t.Spans, wireSpan{})
				readSpan(it, &t.Spans[len(t.Spans)-1], &arena)
				return it.Error == nil
			})
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	if convert.Failed(it) {
		return t, fmt.Errorf("malformed JSON answer: %w", it.Error)
	}
	return t, nil
}

// readSpan decodes one span object. start_time and end_time win over start
// and end when a span has both.
func readSpan(it *jsoniter.Iterator, s *wireSpan, arena *[]byte) {
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "name":
			s.Name = s.str(it)
		case "trace_id":
			s.TraceID = s.str(it)
		case "span_id":
			s.SpanID = s.str(it)
		case "parent_id":
			s.ParentID = s.str(it)
		case "start", "start_time":
			if v := s.scalar(it); v != "" && (s.Start == "" || key == "start_time") {
				s.Start = v
			}
		case "end", "end_time":
			if v := s.scalar(it); v != "" && (s.End == "" || key == "end_time") {
				s.End = v
			}
		case "kind":
			s.Kind = s.scalar(it)
		case "status":
			s.readStatus(it)
		case "context":
			s.readContext(it)
		case "attributes":
			s.Attributes = s.object(it, arena)
		case "resource":
			s.readResource(it, arena)
		case "events":
			s.Events = s.array(it, arena)
		case "links":
			s.Links = s.array(it, arena)
		case "request_log_id":
			s.readRequestLogID(it)
		default:
			if ignoredSpanField(key) {
				it.Skip()
			} else if raw := rawValue(it, arena); raw != nil {
				s.Extra = append(s.Extra, rawField{Key: key, Raw: raw})
			}
		}
		return it.Error == nil
	})
}

// readRequestLogID reads request_log_id like PromptLayer's SDKs do: an
// integer or a numeric string; null, booleans and others mean none.
func (s *wireSpan) readRequestLogID(it *jsoniter.Iterator) {
	switch it.WhatIsNext() {
	case jsoniter.NilValue, jsoniter.BoolValue:
		it.Skip()
	default:
		if id, ok := readInt(it); ok && id > 0 {
			s.RequestLogID = id
		} else {
			s.Problems++
		}
	}
}

// readContext reads {trace_id, span_id, trace_state}; the span's own
// trace_id and span_id members win.
func (s *wireSpan) readContext(it *jsoniter.Iterator) {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		s.skipUnexpected(it)
		return
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "trace_id":
			if v := s.str(it); s.TraceID == "" {
				s.TraceID = v
			}
		case "span_id":
			if v := s.str(it); s.SpanID == "" {
				s.SpanID = v
			}
		case "trace_state":
			s.TraceState = s.str(it)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
}

// readStatus reads {status_code, description}; a bare string is taken as
// the code.
func (s *wireSpan) readStatus(it *jsoniter.Iterator) {
	switch it.WhatIsNext() {
	case jsoniter.ObjectValue:
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch key {
			case "status_code", "code":
				s.StatusCode = s.scalar(it)
			case "description", "message":
				s.StatusDescription = s.str(it)
			default:
				it.Skip()
			}
			return it.Error == nil
		})
	case jsoniter.StringValue, jsoniter.NumberValue:
		s.StatusCode = s.scalar(it)
	default:
		s.skipUnexpected(it)
	}
}

// readResource reads {attributes, schema_url}, keeping the whole object raw
// as the key that groups spans of one resource.
func (s *wireSpan) readResource(it *jsoniter.Iterator, arena *[]byte) {
	raw := s.object(it, arena)
	if raw == nil {
		return
	}
	s.Resource = raw
	sub := jsonAPI.BorrowIterator(raw)
	defer jsonAPI.ReturnIterator(sub)
	sub.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "attributes":
			if it.WhatIsNext() == jsoniter.ObjectValue {
				s.ResourceAttributes = it.SkipAndReturnBytes()
			} else {
				s.skipUnexpected(it)
			}
		case "schema_url":
			s.SchemaURL = s.str(it)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
}

// str reads a string member; null is "", another type counts a problem.
func (s *wireSpan) str(it *jsoniter.Iterator) string {
	switch it.WhatIsNext() {
	case jsoniter.StringValue:
		return it.ReadString()
	case jsoniter.NilValue:
		it.ReadNil()
		return ""
	}
	s.Problems++
	it.Skip()
	return ""
}

// scalar reads a string or the text of a number; null is "".
func (s *wireSpan) scalar(it *jsoniter.Iterator) string {
	if it.WhatIsNext() == jsoniter.NumberValue {
		return string(it.ReadNumber())
	}
	return s.str(it)
}

// object returns a JSON object's raw text (in arena); nil for null, and for
// another type, which counts a problem.
func (s *wireSpan) object(it *jsoniter.Iterator, arena *[]byte) []byte {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		s.skipUnexpected(it)
		return nil
	}
	return rawValue(it, arena)
}

// array returns a JSON array's raw text; nil for null and other types.
func (s *wireSpan) array(it *jsoniter.Iterator, arena *[]byte) []byte {
	if it.WhatIsNext() != jsoniter.ArrayValue {
		s.skipUnexpected(it)
		return nil
	}
	return rawValue(it, arena)
}

func (s *wireSpan) skipUnexpected(it *jsoniter.Iterator) {
	if it.WhatIsNext() == jsoniter.NilValue {
		it.ReadNil()
		return
	}
	s.Problems++
	it.Skip()
}

// rawValue returns the next value's JSON text, appended to arena (chunks of
// 32 KiB; slices of an arena stay valid when it grows); nil for null.
func rawValue(it *jsoniter.Iterator, arena *[]byte) []byte {
	if it.WhatIsNext() == jsoniter.NilValue {
		it.ReadNil()
		return nil
	}
	if cap(*arena)-len(*arena) < 2<<10 {
		*arena = make([]byte, 0, 32<<10)
	}
	start := len(*arena)
	*arena = it.SkipAndAppendBytes(*arena)
	return (*arena)[start:len(*arena):len(*arena)]
}
