package langtrace

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// converter turns the spans of one Langtrace project into ptrace.
type converter struct {
	project     string
	serviceName string
	// warn counts a conversion warning; the span is still emitted.
	warn func()

	// seen maps the span ids of the trace being converted to their index,
	// to drop rows Langtrace stored twice.
	seen map[pcommon.SpanID]int
	dec  decoder
	// attrHint remembers the attribute count of spans by name, to size
	// their attribute maps at once.
	attrHint map[string]int
	// One scanner per nesting role (their buffers are reused): docScan
	// reads attribute objects, listScan the events and links arrays,
	// nestedScan the JSON inside gen_ai.prompt / gen_ai.completion.
	docScan, listScan, nestedScan scanner
	// textBuf and nestedBuf receive unescaped JSON text that is parsed at
	// once.
	textBuf, nestedBuf []byte
	// strs makes the strings of the trace being converted: span names and
	// attribute values share allocations.
	strs convert.Strings
	// msgs and parts hold the chat messages of the span being converted
	// while they are rendered (see chatMessages).
	msgs  []genai.Message
	parts []genai.Part
}

func newConverter(project, serviceName string, warn func()) *converter {
	if warn == nil {
		warn = func() {}
	}
	c := &converter{
		project:     project,
		serviceName: serviceName,
		warn:        warn,
		seen:        map[pcommon.SpanID]int{},
		attrHint:    map[string]int{},
	}
	c.dec.strs = &c.strs
	for _, s := range []*scanner{&c.dec.scan, &c.docScan, &c.listScan, &c.nestedScan} {
		s.Strings = &c.strs
	}
	return c
}

// page converts a response body into its traces and pagination metadata.
// Groups that share a trace id (the same id stored in two spellings) are
// merged into one trace.
func (c *converter) page(body []byte) ([]poll.Trace, pageMeta, error) {
	var traces []poll.Trace
	var index map[pcommon.TraceID]int
	meta, err := c.dec.decodePage(body, func(spans []wireSpan) {
		tr := c.trace(spans)
		if i, ok := index[tr.ID]; ok {
			mergeTrace(&traces[i], tr)
			return
		}
		if index == nil {
			index = make(map[pcommon.TraceID]int)
		}
		index[tr.ID] = len(traces)
		traces = append(traces, tr)
	})
	if err != nil {
		return nil, meta, err
	}
	return traces, meta, nil
}

// trace converts the spans of one trace.
func (c *converter) trace(spans []wireSpan) poll.Trace {
	traceID := c.traceID(spans)
	td, out := poll.NewTraceSpans(Name, c.project, c.serviceName, len(spans))
	clear(c.seen)
	var first, firstEnd time.Time
	for i := range spans {
		w := &spans[i]
		for range w.problems {
			c.warn()
		}
		spanID := c.spanID(w)
		var s ptrace.Span
		if j, dup := c.seen[spanID]; dup {
			// A row stored twice: keep the copy that has ended.
			if out.At(j).EndTimestamp() != 0 || w.End.IsZero() {
				continue
			}
			s = out.At(j)
			ptrace.NewSpan().MoveTo(s)
		} else {
			c.seen[spanID] = out.Len()
			s = out.AppendEmpty()
		}
		c.span(w, traceID, spanID, s)
		if !w.Start.IsZero() && (first.IsZero() || w.Start.Before(first)) {
			first = w.Start
		}
		if !w.End.IsZero() && (firstEnd.IsZero() || w.End.Before(firstEnd)) {
			firstEnd = w.End
		}
	}
	if first.IsZero() {
		first = firstEnd
	}
	return poll.Trace{ID: traceID, Time: first, Spans: td}
}

// mergeTrace moves the spans of src that dst lacks into dst.
func mergeTrace(dst *poll.Trace, src poll.Trace) {
	have := map[pcommon.SpanID]struct{}{}
	dstSpans := dst.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := 0; i < dstSpans.Len(); i++ {
		have[dstSpans.At(i).SpanID()] = struct{}{}
	}
	srcSpans := src.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	srcSpans.RemoveIf(func(s ptrace.Span) bool {
		_, dup := have[s.SpanID()]
		return dup
	})
	srcSpans.MoveAndAppendTo(dstSpans)
	if !src.Time.IsZero() && (dst.Time.IsZero() || src.Time.Before(dst.Time)) {
		dst.Time = src.Time
	}
}

// traceID is the vendor's 128-bit trace id, parsed from the first span that
// has a valid one. Unparseable ids are hashed (with a warning) so that the
// trace still gets a stable id.
func (c *converter) traceID(spans []wireSpan) pcommon.TraceID {
	var raw []byte
	for i := range spans {
		if id, err := convert.TraceID(unsafeString(spans[i].TraceID)); err == nil {
			return id
		}
		if len(raw) == 0 {
			raw = spans[i].TraceID
		}
	}
	c.warn()
	if len(raw) == 0 {
		// No trace id at all: derive one from the first span.
		return convert.HashTraceID(Name, c.project, "span", string(spans[0].SpanID), spans[0].Name, spans[0].Start.Format(time.RFC3339Nano))
	}
	return convert.TraceIDOrHash(string(raw), Name, c.project)
}

// spanID parses the span id; an unparseable id is hashed with a warning
// (with the same scope as parent ids, so children still point at it).
func (c *converter) spanID(w *wireSpan) pcommon.SpanID {
	id, err := convert.SpanID(unsafeString(w.SpanID))
	if err == nil {
		return id
	}
	c.warn()
	if len(w.SpanID) == 0 {
		return convert.HashSpanID(Name, c.project, string(w.TraceID), "span", w.Name, w.Start.Format(time.RFC3339Nano))
	}
	return convert.SpanIDOrHash(string(w.SpanID), Name, c.project)
}

// parentID parses the parent span id; "" (and an all-zero id) means root.
func (c *converter) parentID(raw []byte) pcommon.SpanID {
	if len(raw) == 0 {
		return pcommon.NewSpanIDEmpty() // a root (without convert.SpanID's error)
	}
	id, err := convert.SpanID(unsafeString(raw))
	switch {
	case err == nil:
		return id
	case errors.Is(err, convert.ErrEmptyID), errors.Is(err, convert.ErrZeroID),
		string(raw) == "null", string(raw) == "None", string(raw) == "undefined":
		return pcommon.NewSpanIDEmpty()
	}
	c.warn()
	return convert.SpanIDOrHash(string(raw), Name, c.project)
}

// span fills s from w.
func (c *converter) span(w *wireSpan, traceID pcommon.TraceID, spanID pcommon.SpanID, s ptrace.Span) {
	s.SetTraceID(traceID)
	s.SetSpanID(spanID)
	s.SetParentSpanID(c.parentID(w.ParentID))
	s.SetName(w.Name)

	kind, ok := parseKind(w.Kind)
	if !ok {
		c.warn()
	}
	s.SetKind(kind)

	if ts, ok := parseTraceState(w.TraceState); ok {
		s.TraceState().FromRaw(ts)
	} else {
		c.warn()
	}

	start := w.Start
	if start.IsZero() && !w.End.IsZero() {
		// A span must start: take its end rather than the Unix epoch.
		start = w.End
		c.warn()
	}
	s.SetStartTimestamp(convert.Timestamp(start))
	s.SetEndTimestamp(convert.Timestamp(w.End))

	code, ok := parseStatus(w.StatusCode)
	if !ok {
		c.warn()
	}
	s.Status().SetCode(code)
	if w.StatusMessage != "" {
		s.Status().SetMessage(w.StatusMessage)
	}

	attrs := s.Attributes()
	if len(w.Attributes) > 0 {
		hint, known := c.attrHint[w.Name]
		attrs.EnsureCapacity(hint)
		c.attributeText(w.Attributes, attrs)
		if !known && len(c.attrHint) < maxAttrHints {
			c.attrHint[w.Name] = attrs.Len() + 4 // room for the added GenAI names
		}
	}
	var content messages
	// Some SDK versions set the content as span attributes.
	if v, ok := attrs.Get(attrPrompt); ok {
		content.prompts = append(content.prompts, v)
	}
	if v, ok := attrs.Get(attrCompletion); ok {
		content.completions = append(content.completions, v)
	}
	c.events(w.Events, s.Events(), &content)
	c.links(w.Links, s.Links())
	c.genAI(attrs, &content)
}

// parseKind reads a span kind. Numbers (and numeric strings) use the
// numbering of the OpenTelemetry API's SpanKind enum that Langtrace's SDKs
// send and its Int16 column stores: 0=INTERNAL, 1=SERVER, 2=CLIENT,
// 3=PRODUCER, 4=CONSUMER (not the OTLP proto numbering, which starts with
// UNSPECIFIED). Names are accepted as "CLIENT", "SpanKind.CLIENT" or
// "SPAN_KIND_CLIENT" in any case. A missing kind is UNSPECIFIED; anything
// else is UNSPECIFIED and not ok.
func parseKind(raw []byte) (ptrace.SpanKind, bool) {
	s := strings.TrimSpace(unsafeString(raw))
	if s == "" {
		return ptrace.SpanKindUnspecified, true
	}
	if n, ok := parseSmallInt(s); ok {
		if n >= 0 && n <= 4 {
			return ptrace.SpanKind(n + 1), true // API 0=INTERNAL is pdata 1
		}
		return ptrace.SpanKindUnspecified, false
	}
	return convert.SpanKindName(s)
}

// parseStatus reads a status code: "OK", "ERROR", "UNSET" in any case, with
// a "StatusCode." or "STATUS_CODE_" prefix, or the numbers 0=UNSET, 1=OK,
// 2=ERROR (the same in the API and in OTLP). Missing is UNSET; anything else
// is UNSET and not ok.
func parseStatus(raw []byte) (ptrace.StatusCode, bool) {
	s := strings.TrimSpace(unsafeString(raw))
	if s == "" {
		return ptrace.StatusCodeUnset, true
	}
	if n, ok := parseSmallInt(s); ok {
		switch n {
		case 0:
			return ptrace.StatusCodeUnset, true
		case 1:
			return ptrace.StatusCodeOk, true
		case 2:
			return ptrace.StatusCodeError, true
		}
		return ptrace.StatusCodeUnset, false
	}
	return convert.StatusCodeName(s)
}

// parseSmallInt reads an integer literal, also written as a float ("2.0").
func parseSmallInt(s string) (int, bool) {
	if !strings.ContainsAny(s, "0123456789") {
		return 0, false // no number (and no strconv error to allocate)
	}
	if n, err := strconv.Atoi(s); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f != float64(int(f)) {
		return 0, false
	}
	return int(f), true
}

// parseTraceState reads the trace_state column into a W3C tracestate
// string. "" and "[]" (what the python SDK's to_json stores for an empty
// state) are empty. Also accepted: the python repr of a non-empty state
// ("['{key=k, value=v}']"), a JSON list of pairs ([["k","v"]]) or a JSON
// object ({"k":"v"}). Anything else is taken as a W3C string.
func parseTraceState(raw string) (string, bool) {
	s := strings.TrimSpace(raw)
	if s == "" || s == "[]" || s == "{}" {
		return "", true
	}
	if s[0] != '[' && s[0] != '{' {
		return s, true
	}
	if strings.Contains(s, "{key=") {
		return pythonTraceState(s)
	}
	var b strings.Builder
	add := func(k, v string) {
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(v)
	}
	var sc scanner
	sc.Reset([]byte(s))
	if s[0] == '{' {
		sc.Open('{')
		for sc.More('}') {
			k := string(sc.Key())
			add(k, sc.Str())
		}
	} else {
		sc.Open('[')
		for sc.More(']') {
			var pair []string
			if sc.Open('[') {
				for sc.More(']') {
					pair = append(pair, sc.Str())
				}
			}
			if len(pair) != 2 {
				sc.Fail("not a pair")
				break
			}
			add(pair[0], pair[1])
		}
	}
	if sc.Done() != nil {
		return "", false
	}
	return b.String(), true
}

// pythonTraceState reads repr(TraceState) of the python SDK:
// "['{key=k1, value=v1}', '{key=k2, value=v2}']".
func pythonTraceState(s string) (string, bool) {
	var b strings.Builder
	for {
		i := strings.Index(s, "{key=")
		if i < 0 {
			break
		}
		s = s[i+len("{key="):]
		j := strings.Index(s, ", value=")
		if j < 0 {
			return "", false
		}
		k := s[:j]
		s = s[j+len(", value="):]
		e := strings.IndexByte(s, '}')
		if e < 0 {
			return "", false
		}
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k)
		b.WriteByte('=')
		b.WriteString(s[:e])
		s = s[e+1:]
	}
	return b.String(), b.Len() > 0
}
