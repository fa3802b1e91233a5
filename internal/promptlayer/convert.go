package promptlayer

import (
	"encoding/hex"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// PromptLayer-specific attributes (there is no semantic convention for them).
const (
	attrRequestLogID = "promptlayer.request_log_id" // Int
	attrPrice        = "promptlayer.price"          // Double, USD
	attrStatus       = "promptlayer.status"         // request logs without a trace
	attrTraceID      = "promptlayer.trace_id"       // a span's own trace id when it disagrees
	attrParentID     = "promptlayer.parent_id"      // a parent id that was the span's own
	attrPrefix       = "promptlayer."
)

// converter turns PromptLayer answers into ptrace. It is used by one
// goroutine.
type converter struct {
	project string // llmtrace.project: the key's scope
	// service is the configured service_name; "" takes the span's
	// resource service.name, else DefaultServiceName.
	service string
	warn    func()
	keys    map[string]string // "promptlayer." + member name
	// scratch is the span being decoded; it is moved to its ResourceSpans
	// once complete, which empties it for the next one.
	scratch ptrace.Span
	// attrHint is the attribute capacity reserved for the next span.
	attrHint int
	// json decodes attribute objects (strict: convert.JSONToMap's rules,
	// and the nesting bound of the envelope's scanner).
	json convert.Scanner
	// strs makes the strings of the trace being decoded (started anew for
	// each trace: its spans share chunks with no other trace).
	strs convert.Strings
}

func newConverter(project, service string, warn func()) *converter {
	if warn == nil {
		warn = func() {}
	}
	c := &converter{project: project, service: service, warn: warn, keys: map[string]string{}, scratch: ptrace.NewSpan(),
		json: convert.Scanner{Strict: true, MaxDepth: maxDepth}}
	c.json.Strings = &c.strs
	return c
}

// logLookup returns the request log with an id, nil when it is unknown.
type logLookup func(id int64) *requestLog

func (c *converter) putResourceNames(attrs pcommon.Map) {
	switch v, ok := attrs.Get(poll.AttrServiceName); {
	case c.service != "":
		attrs.PutStr(poll.AttrServiceName, c.service)
	case ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "":
	default:
		attrs.PutStr(poll.AttrServiceName, DefaultServiceName)
	}
	attrs.PutStr(poll.AttrVendor, Name)
	attrs.PutStr(poll.AttrProject, c.project)
}

// spanID is span_id (else context.span_id) as its 8 bytes; anything else
// is hashed (warning). A span without an id gets a hash of its trace, name
// and times, which are stable across reads.
func (c *converter) spanID(txt *spanText, hexID string) pcommon.SpanID {
	if !txt.spanID.empty() {
		if id, ok := spanIDOf(txt.spanID); ok {
			return id
		}
		c.warn()
		return convert.HashSpanID(Name, hexID, txt.spanID.String())
	}
	c.warn()
	return convert.HashSpanID(Name, hexID, txt.name, either(txt.startTime, txt.start).String(), either(txt.endTime, txt.end).String())
}

// spanIDOf reads a span id: 16 hex digits without allocating, else
// whatever convert.SpanID accepts.
func spanIDOf(r raw) (pcommon.SpanID, bool) {
	var id pcommon.SpanID
	if !r.escaped && len(r.b) == 16 {
		if _, err := hex.Decode(id[:], r.b); err == nil && !id.IsEmpty() {
			return id, true
		}
	}
	id, err := convert.SpanID(r.String())
	return id, err == nil
}

// parent sets parent_id; null is a root. A parent that is the span itself
// is dropped (warning). A parent not among the spans read is kept: it may
// still arrive (PromptLayer shows a span once it has ended and been
// exported).
func (c *converter) parent(s ptrace.Span, parentID raw, hexID string) {
	if parentID.empty() {
		return
	}
	id, ok := spanIDOf(parentID)
	if !ok {
		c.warn()
		id = convert.HashSpanID(Name, hexID, parentID.String())
	}
	if id == s.SpanID() {
		c.warn()
		s.Attributes().PutStr(attrParentID, parentID.String())
		return
	}
	s.SetParentSpanID(id)
}

// times sets start and end at full precision. An end "" (null) leaves the
// end 0: in progress. An unreadable start falls back to the end, an
// unreadable end to the start (warnings). A span without any readable time
// waits for finish to set its start (pendingStart), and its end when it has
// one (pendingClosed).
func (c *converter) times(s ptrace.Span, startRaw, endRaw raw) pending {
	start, err := convert.ParseTime(startRaw.String())
	startOK := err == nil
	var end time.Time
	endOK := false
	if !endRaw.empty() {
		if end, err = convert.ParseTime(endRaw.String()); err == nil {
			endOK = true
		} else {
			c.warn()
		}
	}
	if !startOK {
		c.warn()
		switch {
		case endOK:
			start = end
		case !endRaw.empty():
			return pendingClosed
		default:
			return pendingStart
		}
	}
	s.SetStartTimestamp(convert.Timestamp(start))
	switch {
	case endOK:
		s.SetEndTimestamp(convert.Timestamp(end))
	case !endRaw.empty():
		s.SetEndTimestamp(convert.Timestamp(start))
	}
	c.stampEvents(s)
	return timesSet
}

// pending is what finish still has to set of a span's times.
type pending uint8

const (
	timesSet      pending = iota
	pendingStart          // the start; the span is in progress
	pendingClosed         // the start, and the end at the start
)

func (c *converter) kind(s ptrace.Span, text string) {
	k, ok := parseKind(text)
	if !ok {
		c.warn()
	}
	s.SetKind(k)
}

// status sets the status; the description is the message of an ERROR.
func (c *converter) status(s ptrace.Span, code, description string) {
	st, ok := parseStatus(code)
	if !ok {
		c.warn()
	}
	s.Status().SetCode(st)
	if st == ptrace.StatusCodeError && description != "" {
		s.Status().SetMessage(description)
	}
}

// traceState keeps a W3C tracestate. Python's str() of an empty state
// ("[]", "{}", "TraceState([])") is none.
func (c *converter) traceState(s ptrace.Span, text string) {
	t := strings.TrimSpace(text)
	switch {
	case t == "" || t == "[]" || t == "{}" || t == "TraceState([])":
	case strings.ContainsAny(t, "[]{}()'\""):
		c.warn()
	default:
		s.TraceState().FromRaw(t)
	}
}

// key returns "promptlayer." + k, cached.
func (c *converter) key(k string) string {
	if v, ok := c.keys[k]; ok {
		return v
	}
	v := attrPrefix + k
	if len(c.keys) < 1024 {
		c.keys[k] = v
	}
	return v
}

// parseKind reads SpanKind.CLIENT, SPAN_KIND_CLIENT or CLIENT in any case,
// or an OTLP enum number (1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5
// CONSUMER). No kind is UNSPECIFIED; an unknown one too, with false.
func parseKind(text string) (ptrace.SpanKind, bool) {
	t := strings.TrimSpace(text)
	if t == "" {
		return ptrace.SpanKindUnspecified, true
	}
	if n, err := strconv.Atoi(t); err == nil {
		if n >= 0 && n <= 5 {
			return ptrace.SpanKind(n), true
		}
		return ptrace.SpanKindUnspecified, false
	}
	return convert.SpanKindName(t)
}

// parseStatus reads StatusCode.ERROR, STATUS_CODE_ERROR or ERROR in any
// case, or an OTLP number (0 UNSET, 1 OK, 2 ERROR). No status is UNSET; an
// unknown one too, with false.
func parseStatus(text string) (ptrace.StatusCode, bool) {
	t := strings.TrimSpace(text)
	if t == "" {
		return ptrace.StatusCodeUnset, true
	}
	if n, err := strconv.Atoi(t); err == nil {
		if n >= 0 && n <= 2 {
			return ptrace.StatusCode(n), true
		}
		return ptrace.StatusCodeUnset, false
	}
	return convert.StatusCodeName(t)
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
