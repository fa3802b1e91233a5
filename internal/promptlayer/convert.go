package promptlayer

import (
	"strconv"
	"strings"
	"time"

	jsoniter "github.com/json-iterator/go"
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
	iter    *jsoniter.Iterator // reused for events and links
	keys    map[string]string  // "promptlayer." + member name
}

func newConverter(project, service string, warn func()) *converter {
	if warn == nil {
		warn = func() {}
	}
	return &converter{project: project, service: service, warn: warn, iter: jsoniter.NewIterator(jsonAPI), keys: map[string]string{}}
}

// logLookup returns the request log with an id, nil when it is unknown.
type logLookup func(id int64) *requestLog

// trace converts a trace answer into one trace with the given ID. Spans are
// grouped by their resource (one ResourceSpans each); a span with a
// request_log_id is enriched from that request log. fallback is the start
// of a span whose start is unreadable and that has nothing better.
func (c *converter) trace(id pcommon.TraceID, wt *wireTrace, logs logLookup, fallback time.Time) ptrace.Traces {
	td := ptrace.NewTraces()
	type group struct {
		key   string
		spans ptrace.SpanSlice
	}
	var groups []group
	hexID := id.String()
	for i := range wt.Spans {
		ws := &wt.Spans[i]
		g := -1
		for k := range groups {
			if groups[k].key == string(ws.Resource) {
				g = k
				break
			}
		}
		if g < 0 {
			groups = append(groups, group{key: string(ws.Resource), spans: c.resourceSpans(td, ws, len(wt.Spans))})
			g = len(groups) - 1
		}
		var log *requestLog
		if ws.RequestLogID > 0 && logs != nil {
			log = logs(ws.RequestLogID)
		}
		c.span(groups[g].spans.AppendEmpty(), id, hexID, ws, log, fallback)
	}
	return td
}

// resourceSpans starts the ResourceSpans of a span's resource: its
// attributes with their JSON types, then service.name (the configured
// service_name, else the resource's own, else "promptlayer"),
// llmtrace.vendor and llmtrace.project.
func (c *converter) resourceSpans(td ptrace.Traces, ws *wireSpan, hint int) ptrace.SpanSlice {
	rs := td.ResourceSpans().AppendEmpty()
	attrs := rs.Resource().Attributes()
	if ws.ResourceAttributes != nil {
		if err := convert.JSONToMap(ws.ResourceAttributes, attrs); err != nil {
			c.warn()
		}
	}
	c.putResourceNames(attrs)
	rs.SetSchemaUrl(ws.SchemaURL)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(poll.ScopeName)
	ss.Spans().EnsureCapacity(hint)
	return ss.Spans()
}

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

// span converts one span.
func (c *converter) span(s ptrace.Span, traceID pcommon.TraceID, hexID string, ws *wireSpan, log *requestLog, fallback time.Time) {
	for range ws.Problems {
		c.warn()
	}
	attrs := s.Attributes()
	if ws.Attributes != nil {
		if err := convert.JSONToMap(ws.Attributes, attrs); err != nil {
			c.warn()
		}
	}
	s.SetTraceID(traceID)
	if ws.TraceID != "" {
		if own, err := convert.TraceID(ws.TraceID); err != nil || own != traceID {
			c.warn()
			attrs.PutStr(attrTraceID, ws.TraceID)
		}
	}
	s.SetSpanID(c.spanID(ws, hexID))
	c.parent(s, ws, hexID)
	s.SetName(nonEmpty(ws.Name, "span"))
	c.kind(s, ws.Kind)
	c.status(s, ws.StatusCode, ws.StatusDescription)
	c.traceState(s, ws.TraceState)
	if log != nil && fallback.IsZero() {
		fallback = log.Start
	}
	c.times(s, ws.Start, ws.End, fallback)
	if ws.Events != nil {
		c.events(s.Events(), ws.Events, s.StartTimestamp())
	}
	if ws.Links != nil {
		c.links(s.Links(), ws.Links, hexID)
	}
	for i := range ws.Extra {
		if err := convert.PutJSON(attrs, c.key(ws.Extra[i].Key), ws.Extra[i].Raw); err != nil {
			c.warn()
		}
	}
	if ws.RequestLogID > 0 {
		attrs.PutInt(attrRequestLogID, ws.RequestLogID)
	}
	if log != nil {
		enrich(attrs, log, false)
	}
}

// spanID is span_id as its 8 bytes; anything else is hashed (warning). A
// span without an id gets a hash of its trace, name and times, which are
// stable across reads.
func (c *converter) spanID(ws *wireSpan, hexID string) pcommon.SpanID {
	if ws.SpanID != "" {
		if id, err := convert.SpanID(ws.SpanID); err == nil {
			return id
		}
		c.warn()
		return convert.HashSpanID(Name, hexID, ws.SpanID)
	}
	c.warn()
	return convert.HashSpanID(Name, hexID, ws.Name, ws.Start, ws.End)
}

// parent sets parent_id; null is a root. A parent that is the span itself
// is dropped (warning). A parent not among the spans read is kept: it may
// still arrive (PromptLayer shows a span once it has ended and been
// exported).
func (c *converter) parent(s ptrace.Span, ws *wireSpan, hexID string) {
	if ws.ParentID == "" {
		return
	}
	id, err := convert.SpanID(ws.ParentID)
	if err != nil {
		c.warn()
		id = convert.HashSpanID(Name, hexID, ws.ParentID)
	}
	if id == s.SpanID() {
		c.warn()
		s.Attributes().PutStr(attrParentID, ws.ParentID)
		return
	}
	s.SetParentSpanID(id)
}

// times sets start and end at full precision. An end "" (null) leaves the
// end 0: in progress. An unreadable start falls back to the end, else to
// fallback; an unreadable end to the start (warnings).
func (c *converter) times(s ptrace.Span, startText, endText string, fallback time.Time) {
	start, err := convert.ParseTime(startText)
	startOK := err == nil
	var end time.Time
	endOK := false
	if endText != "" {
		if end, err = convert.ParseTime(endText); err == nil {
			endOK = true
		} else {
			c.warn()
		}
	}
	if !startOK {
		c.warn()
		start = fallback
		if endOK {
			start = end
		}
	}
	s.SetStartTimestamp(convert.Timestamp(start))
	switch {
	case endOK:
		s.SetEndTimestamp(convert.Timestamp(end))
	case endText != "":
		s.SetEndTimestamp(convert.Timestamp(start))
	}
}

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
	t = trimPrefixFold(trimPrefixFold(t, "SpanKind."), "SPAN_KIND_")
	switch strings.ToUpper(t) {
	case "INTERNAL":
		return ptrace.SpanKindInternal, true
	case "SERVER":
		return ptrace.SpanKindServer, true
	case "CLIENT":
		return ptrace.SpanKindClient, true
	case "PRODUCER":
		return ptrace.SpanKindProducer, true
	case "CONSUMER":
		return ptrace.SpanKindConsumer, true
	case "UNSPECIFIED":
		return ptrace.SpanKindUnspecified, true
	}
	return ptrace.SpanKindUnspecified, false
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
	t = trimPrefixFold(trimPrefixFold(t, "StatusCode."), "STATUS_CODE_")
	switch strings.ToUpper(t) {
	case "UNSET":
		return ptrace.StatusCodeUnset, true
	case "OK":
		return ptrace.StatusCodeOk, true
	case "ERROR":
		return ptrace.StatusCodeError, true
	}
	return ptrace.StatusCodeUnset, false
}

func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
