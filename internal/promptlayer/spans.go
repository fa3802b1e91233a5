package promptlayer

import (
	"fmt"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// A trace answer (GET /api/public/v2/traces/{trace_id}) comes in two shapes
// in PromptLayer's own documents: the serializer of the first spec (2026-03:
// {success, spans} with per-span trace_id, start/end, context, kind,
// status, attributes, resource, events, links) and the newer example
// ({success, trace_id, spans} with start_time/end_time). Both are decoded
// by the same single pass, straight into pdata: each span into a scratch
// span, then moved to the ResourceSpans of its resource.

// decodedTrace is a decoded trace answer whose spans still wait for their
// request logs (finish).
type decodedTrace struct {
	traces ptrace.Traces
	spans  []decodedSpan
	groups []resourceGroup
}

type decodedSpan struct {
	span         ptrace.Span
	requestLogID int64 // 0 when the span made no request log
	// times says what finish still has to set (a span without any
	// readable time takes its request log's start, else the fallback).
	times pending
}

// resourceGroup is the ResourceSpans of one resource (its raw JSON).
type resourceGroup struct {
	key   string
	spans ptrace.SpanSlice
}

// spanText holds the members a span's conversion needs once it has read
// them all (the order of members is free).
type spanText struct {
	name                             string
	traceID, spanID, parentID, state raw
	start, startTime, end, endTime   raw
	resource                         []byte // raw, nil when none
	requestLogID                     int64
}

// either is a unless it is empty, else b.
func either(a, b raw) raw {
	if a.empty() {
		return b
	}
	return a
}

// decode reads a trace answer into spans of trace id.
func (c *converter) decode(id pcommon.TraceID, body []byte) (*decodedTrace, error) {
	c.strs.Reset()
	dt := &decodedTrace{traces: ptrace.NewTraces()}
	hexID := id.String()
	sc := &scanner{b: body, strs: &c.strs}
	if sc.peek() != '{' {
		return nil, fmt.Errorf("unexpected answer: want a JSON object, got %q", snippet(body))
	}
	sc.object(func(key []byte) bool {
		if string(key) != "spans" || sc.peek() != '[' {
			sc.value()
			return true
		}
		sc.array(func() bool {
			if sc.peek() != '{' {
				c.warn()
				sc.value()
				return true
			}
			c.decodeSpan(sc, dt, id, hexID)
			return true
		})
		return true
	})
	if sc.err != nil {
		return nil, fmt.Errorf("malformed JSON answer: %w", sc.err)
	}
	return dt, nil
}

// decodeSpan reads one span object into the scratch span, completes it and
// moves it to the ResourceSpans of its resource.
func (c *converter) decodeSpan(sc *scanner, dt *decodedTrace, id pcommon.TraceID, hexID string) {
	s := c.scratch
	// Reserve about what the previous span had (plus the request log's
	// attributes): growing the attribute slice is a good part of the cost.
	s.Attributes().EnsureCapacity(c.attrHint)
	var txt spanText
	sc.object(func(key []byte) bool {
		c.member(sc, s, &txt, key, hexID)
		return true
	})
	if !sc.ok() {
		c.scratch = ptrace.NewSpan() // the answer is malformed: decode fails
		return
	}
	c.attrHint = s.Attributes().Len() + 9
	times := c.complete(s, &txt, id, hexID)
	if txt.requestLogID > 0 {
		s.Attributes().PutInt(attrRequestLogID, txt.requestLogID)
	}
	dest := c.group(dt, txt.resource).AppendEmpty()
	s.MoveTo(dest)
	dt.spans = append(dt.spans, decodedSpan{span: dest, requestLogID: txt.requestLogID, times: times})
}

// member reads one member of a span.
func (c *converter) member(sc *scanner, s ptrace.Span, txt *spanText, key []byte, hexID string) {
	switch string(key) {
	case "name":
		txt.name = c.text(sc)
	case "trace_id":
		txt.traceID = c.rawText(sc)
	case "span_id":
		txt.spanID = c.rawText(sc)
	case "parent_id":
		txt.parentID = c.rawText(sc)
	case "start":
		txt.start = c.rawText(sc)
	case "start_time":
		txt.startTime = c.rawText(sc)
	case "end":
		txt.end = c.rawText(sc)
	case "end_time":
		txt.endTime = c.rawText(sc)
	case "kind":
		c.kind(s, c.text(sc))
	case "status":
		c.readStatus(sc, s)
	case "context":
		c.readContext(sc, txt)
	case "attributes":
		c.attributes(sc, s.Attributes())
	case "resource":
		if raw := sc.value(); len(raw) > 0 && raw[0] == '{' {
			txt.resource = raw
		} else if raw != nil && !isNull(raw) {
			c.warn()
		}
	case "events":
		c.readEvents(sc.value(), s.Events())
	case "links":
		c.readLinks(sc.value(), s.Links(), hexID)
	case "request_log_id":
		txt.requestLogID = c.requestLogID(sc.value())
	case "id": // PromptLayer's internal row id
		sc.value()
	default:
		raw := sc.value()
		if raw == nil || isNull(raw) {
			return
		}
		if err := convert.PutJSON(s.Attributes(), c.key(memberName(key)), raw); err != nil {
			c.warn()
		}
	}
}

// complete sets what needs every member read: IDs, parent, name, trace
// state, times. It returns what finish still has to set.
func (c *converter) complete(s ptrace.Span, txt *spanText, id pcommon.TraceID, hexID string) pending {
	s.SetTraceID(id)
	if !txt.traceID.empty() && string(txt.traceID.b) != hexID {
		if own, err := convert.TraceID(txt.traceID.String()); err != nil || own != id {
			c.warn()
			s.Attributes().PutStr(attrTraceID, txt.traceID.String())
		}
	}
	s.SetSpanID(c.spanID(txt, hexID))
	c.parent(s, txt.parentID, hexID)
	s.SetName(nonEmpty(txt.name, "span"))
	if st := txt.state; !st.empty() && string(st.b) != "[]" {
		c.traceState(s, st.String())
	}
	return c.times(s, either(txt.startTime, txt.start), either(txt.endTime, txt.end))
}

// group returns the spans of a resource (its raw JSON; nil for none),
// adding a ResourceSpans for a resource not seen before in the trace.
func (c *converter) group(dt *decodedTrace, resource []byte) ptrace.SpanSlice {
	for i := range dt.groups {
		if dt.groups[i].key == string(resource) {
			return dt.groups[i].spans
		}
	}
	rs := dt.traces.ResourceSpans().AppendEmpty()
	attrs := rs.Resource().Attributes()
	if resource != nil {
		rs.SetSchemaUrl(c.decodeResource(resource, attrs))
	}
	c.putResourceNames(attrs)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(poll.ScopeName)
	dt.groups = append(dt.groups, resourceGroup{key: string(resource), spans: ss.Spans()})
	return ss.Spans()
}

// decodeResource reads {attributes, schema_url} into attrs; it returns the
// schema URL.
func (c *converter) decodeResource(raw []byte, attrs pcommon.Map) string {
	schemaURL := ""
	sc := &scanner{b: raw, strs: &c.strs}
	sc.object(func(key []byte) bool {
		switch string(key) {
		case "attributes":
			c.attributes(sc, attrs)
		case "schema_url":
			schemaURL = c.text(sc)
		default:
			sc.value()
		}
		return true
	})
	return schemaURL
}

// readContext reads {trace_id, span_id, trace_state}; the span's own
// trace_id and span_id members win.
func (c *converter) readContext(sc *scanner, txt *spanText) {
	if sc.peek() != '{' {
		c.unexpected(sc.value())
		return
	}
	sc.object(func(key []byte) bool {
		switch string(key) {
		case "trace_id":
			if v := c.rawText(sc); txt.traceID.empty() {
				txt.traceID = v
			}
		case "span_id":
			if v := c.rawText(sc); txt.spanID.empty() {
				txt.spanID = v
			}
		case "trace_state":
			txt.state = c.rawText(sc)
		default:
			sc.value()
		}
		return true
	})
}

// readStatus reads {status_code, description}; a bare string or number is
// the code.
func (c *converter) readStatus(sc *scanner, s ptrace.Span) {
	var code, description string
	switch sc.peek() {
	case '{':
		sc.object(func(key []byte) bool {
			switch string(key) {
			case "status_code", "code":
				code = c.text(sc)
			case "description", "message":
				description = c.text(sc)
			default:
				sc.value()
			}
			return true
		})
	case '"', '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		code = c.text(sc)
	default:
		c.unexpected(sc.value())
	}
	c.status(s, code, description)
}

// requestLogID reads request_log_id like PromptLayer's SDKs do: an integer
// or a numeric string; null and booleans mean none.
func (c *converter) requestLogID(raw []byte) int64 {
	if raw == nil || isNull(raw) || string(raw) == "true" || string(raw) == "false" {
		return 0
	}
	text := string(raw)
	if raw[0] == '"' {
		sc := &scanner{b: raw, strs: &c.strs}
		text = c.text(sc)
	}
	if id, err := parseID(text); err == nil && id > 0 {
		return id
	}
	c.warn()
	return 0
}

// finish enriches the spans from their request logs and gives a span
// without any readable time its request log's start, else fallback.
func (c *converter) finish(dt *decodedTrace, logs logLookup, fallback time.Time) ptrace.Traces {
	for _, ds := range dt.spans {
		var log *requestLog
		if ds.requestLogID > 0 && logs != nil {
			log = logs(ds.requestLogID)
		}
		if ds.times != timesSet {
			start := fallback
			if log != nil && !log.Start.IsZero() {
				start = log.Start
			}
			ds.span.SetStartTimestamp(convert.Timestamp(start))
			if ds.times == pendingClosed {
				ds.span.SetEndTimestamp(ds.span.StartTimestamp())
			}
			c.stampEvents(ds.span)
		}
		if log != nil {
			enrich(ds.span.Attributes(), log, false)
		}
	}
	return dt.traces
}

// requestLogIDs lists the request logs the spans name.
func (dt *decodedTrace) requestLogIDs() []int64 {
	var ids []int64
	for _, ds := range dt.spans {
		if ds.requestLogID > 0 {
			ids = append(ids, ds.requestLogID)
		}
	}
	return ids
}

// trace decodes a trace answer and finishes it at once.
func (c *converter) trace(id pcommon.TraceID, body []byte, logs logLookup, fallback time.Time) (ptrace.Traces, int, error) {
	dt, err := c.decode(id, body)
	if err != nil {
		return ptrace.Traces{}, 0, err
	}
	return c.finish(dt, logs, fallback), len(dt.spans), nil
}
