package promptlayer

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// text reads a string member (or the text of a number); null is "". A value
// of another type is skipped with a warning.
func (c *converter) text(sc *scanner) string {
	s, ok := sc.text()
	if !ok && sc.ok() {
		c.warn()
	}
	return s
}

// rawText reads a string member raw (see raw); a value of another type is
// skipped with a warning.
func (c *converter) rawText(sc *scanner) raw {
	r, ok := sc.rawText()
	if !ok && sc.ok() {
		c.warn()
	}
	return r
}

// unexpected counts a value of an unexpected type; null is none.
func (c *converter) unexpected(raw []byte) {
	if raw != nil && !isNull(raw) {
		c.warn()
	}
}

// attributes decodes the JSON object of attributes at the cursor into dst
// with the shared decoder (JSON types kept), in the same pass as the
// envelope; null is none, another type a warning. A malformed object keeps
// the members before the error (a warning), as convert.JSONToMap does, and
// the envelope goes on after the object as skipping finds its end.
func (c *converter) attributes(sc *scanner, dst pcommon.Map) {
	if sc.peek() != '{' {
		c.unexpected(sc.value())
		return
	}
	start := sc.i
	js := &c.json
	js.Reset(sc.b[start:])
	js.Members(dst)
	if js.Err() == nil {
		sc.i = start + js.Pos()
		js.Reset(nil) // do not pin the answer
		return
	}
	js.Reset(nil)
	if sc.value(); sc.ok() {
		c.warn()
	}
}

// readEvents reads [{name, timestamp, attributes}]: the timestamp is an ISO
// string or an epoch number (PromptLayer's SDK exporter sent nanoseconds);
// an unreadable one is the span's start (stampEvents).
func (c *converter) readEvents(raw []byte, dst ptrace.SpanEventSlice) {
	if len(raw) == 0 || raw[0] != '[' {
		c.unexpected(raw)
		return
	}
	sc := &scanner{b: raw, strs: &c.strs}
	sc.array(func() bool {
		if sc.peek() != '{' {
			c.warn()
			sc.value()
			return true
		}
		ev := dst.AppendEmpty()
		sc.object(func(key []byte) bool {
			switch string(key) {
			case "name":
				ev.SetName(c.text(sc))
			case "timestamp", "time", "time_unix_nano":
				if t, err := convert.ParseTime(c.text(sc)); err == nil {
					ev.SetTimestamp(convert.Timestamp(t))
				}
			case "attributes":
				c.attributes(sc, ev.Attributes())
			default:
				sc.value()
			}
			return true
		})
		return true
	})
}

// stampEvents gives events without a readable timestamp the span's start
// (warning each).
func (c *converter) stampEvents(s ptrace.Span) {
	evs := s.Events()
	for i := range evs.Len() {
		if evs.At(i).Timestamp() == 0 {
			c.warn()
			evs.At(i).SetTimestamp(s.StartTimestamp())
		}
	}
}

// readLinks reads [{context: {trace_id, span_id, trace_state}, attributes}]
// (the SDK exporter's shape) or [{trace_id, span_id, trace_state,
// attributes}]; ids are hex, anything else is hashed (warning).
func (c *converter) readLinks(raw []byte, dst ptrace.SpanLinkSlice, hexID string) {
	if len(raw) == 0 || raw[0] != '[' {
		c.unexpected(raw)
		return
	}
	sc := &scanner{b: raw, strs: &c.strs}
	sc.array(func() bool {
		if sc.peek() != '{' {
			c.warn()
			sc.value()
			return true
		}
		var traceID, spanID, state string
		l := dst.AppendEmpty()
		var read func(key []byte) bool
		read = func(key []byte) bool {
			switch string(key) {
			case "trace_id":
				traceID = c.text(sc)
			case "span_id":
				spanID = c.text(sc)
			case "trace_state":
				state = c.text(sc)
			case "attributes":
				c.attributes(sc, l.Attributes())
			case "context":
				if sc.peek() == '{' {
					sc.object(read)
					return true
				}
				c.unexpected(sc.value())
			default:
				sc.value()
			}
			return true
		}
		sc.object(read)
		c.linkIDs(l, traceID, spanID, hexID)
		if state != "" && state != "[]" {
			l.TraceState().FromRaw(state)
		}
		return true
	})
}

func (c *converter) linkIDs(l ptrace.SpanLink, traceID, spanID, hexID string) {
	tid, err := convert.TraceID(traceID)
	if err != nil {
		c.warn()
		tid = convert.TraceIDOrHash(traceID, Name, hexID)
	}
	sid, err := convert.SpanID(spanID)
	if err != nil {
		c.warn()
		sid = convert.SpanIDOrHash(spanID, Name, hexID)
	}
	l.SetTraceID(tid)
	l.SetSpanID(sid)
}

// memberName decodes a raw member name (escapes are rare in names).
func memberName(raw []byte) string {
	if !strings.ContainsRune(string(raw), '\\') {
		return strings.ToValidUTF8(string(raw), "\uFFFD")
	}
	if s, ok := convert.Unquote(raw); ok {
		return s
	}
	return strings.ToValidUTF8(string(raw), "\uFFFD")
}

// parseID reads a decimal id; an integral decimal number counts too.
func parseID(text string) (int64, error) {
	text = strings.TrimSpace(text)
	if v, err := strconv.ParseInt(text, 10, 64); err == nil {
		return v, nil
	}
	f, err := strconv.ParseFloat(text, 64)
	if err != nil || f != float64(int64(f)) {
		return 0, strconv.ErrSyntax
	}
	return int64(f), nil
}
