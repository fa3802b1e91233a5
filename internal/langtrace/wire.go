package langtrace

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// The wire format of POST /api/traces:
//
//	{"traces": {"result": [[span, ...], ...],
//	            "metadata": {"page": 1, "page_size": 1, "total_pages": 10}}}
//
// Each inner array is one trace with all its spans (a ClickHouse
// groupArray). A span is a flat object whose columns are all strings in the
// current server ("kind":"0", "duration":"807999"), numbers in older ones,
// and whose attributes, events and links are JSON documents stored as
// strings. The decoder reads every field in any of those shapes.

// pageMeta is traces.metadata.
type pageMeta struct {
	Page       int
	PageSize   int
	TotalPages int
}

// wireSpan is one span as Langtrace returns it, decoded only as far as the
// outer JSON goes. The []byte fields alias the response body (or a buffer
// of their own) and are only read during the conversion; the strings are
// copies, fit to be stored in pdata.
type wireSpan struct {
	Name string
	// TraceID, SpanID and ParentID: 0x-hex, hex or base64.
	TraceID, SpanID, ParentID []byte
	TraceState                string
	// Kind is a number literal ("0", from a number or a numeric string) or
	// an enum spelling ("SpanKind.CLIENT").
	Kind []byte
	// Start and End are zero when missing; in-progress spans have no end.
	Start, End time.Time
	// StatusCode is "OK", "STATUS_CODE_OK", "StatusCode.OK", "1", ...
	StatusCode    []byte
	StatusMessage string
	// Attributes, Events and Links hold JSON text: the content of the
	// string Langtrace stored, or the raw bytes of an inline value.
	Attributes, Events, Links []byte
	// problems counts fields that could not be read (conversion warnings).
	problems int
}

// decoder reads response bodies; its buffers are reused from page to page.
type decoder struct {
	scan scanner
	// arena holds the unescaped JSON text of the trace being read.
	arena []byte
	spans []wireSpan
	// strs makes the strings of the trace being read and converted (the
	// converter's, started anew for each trace).
	strs *convert.Strings
}

// decodePage reads a response body and hands every trace (the spans of one
// inner array) to onTrace. The spans passed to onTrace, and the JSON text
// they hold, are only valid during the call.
func (d *decoder) decodePage(body []byte, onTrace func([]wireSpan)) (pageMeta, error) {
	s := &d.scan
	s.Reset(body)
	var meta pageMeta
	if s.Peek() != convert.KindObject {
		return meta, errors.New("response is not a JSON object")
	}
	found := false
	s.Open('{')
	for s.More('}') {
		if string(s.Key()) != "traces" {
			s.Skip()
			continue
		}
		found = true
		d.readTraces(&meta, onTrace)
	}
	if err := s.Done(); err != nil {
		return meta, fmt.Errorf("malformed response: %w", err)
	}
	if !found {
		return meta, errors.New(`response has no "traces" object`)
	}
	return meta, nil
}

// readTraces reads the "traces" object.
func (d *decoder) readTraces(meta *pageMeta, onTrace func([]wireSpan)) {
	s := &d.scan
	if !s.Open('{') {
		return
	}
	spans := d.spans
	defer func() { d.spans = spans[:0] }()
	for s.More('}') {
		switch string(s.Key()) {
		case "result":
			if !s.Open('[') {
				continue
			}
			for s.More(']') {
				spans = spans[:0]
				d.arena = convert.Reuse(d.arena)
				d.strs.Reset() // the trace's strings share no chunk with another trace
				switch s.Peek() {
				case convert.KindArray:
					s.Open('[')
					for s.More(']') {
						if s.Peek() != convert.KindObject {
							s.Skip()
							continue
						}
						spans = append(spans, wireSpan{})
						d.readSpan(&spans[len(spans)-1])
					}
				case convert.KindObject:
					// A flat list of spans (no grouping): each becomes a
					// trace of its own; the page merges them by trace ID.
					spans = append(spans, wireSpan{})
					d.readSpan(&spans[0])
				default:
					s.Skip()
				}
				if s.Err() == nil && len(spans) > 0 {
					onTrace(spans)
				}
				clear(spans) // drop references into the body
			}
		case "metadata":
			if !s.Open('{') {
				continue
			}
			for s.More('}') {
				switch string(s.Key()) {
				case "page":
					meta.Page = readInt(s)
				case "page_size", "pageSize":
					meta.PageSize = readInt(s)
				case "total_pages", "totalPages":
					meta.TotalPages = readInt(s)
				default:
					s.Skip()
				}
			}
		default:
			s.Skip()
		}
	}
}

// readSpan reads one span object into w.
func (d *decoder) readSpan(w *wireSpan) {
	s := &d.scan
	if !s.Open('{') {
		return
	}
	for s.More('}') {
		switch string(s.Key()) {
		case "name":
			w.Name = d.strs.String(w.scalar(s))
		case "trace_id", "traceId":
			w.TraceID = w.scalar(s)
		case "span_id", "spanId":
			w.SpanID = w.scalar(s)
		case "parent_id", "parentId", "parent_span_id", "parentSpanId":
			w.ParentID = w.scalar(s)
		case "trace_state", "traceState":
			w.TraceState = d.strs.String(w.scalar(s))
		case "context": // the python SDK's to_json shape
			if !s.Open('{') {
				continue
			}
			for s.More('}') {
				switch string(s.Key()) {
				case "trace_id":
					w.TraceID = w.scalar(s)
				case "span_id":
					w.SpanID = w.scalar(s)
				case "trace_state":
					w.TraceState = d.strs.String(w.scalar(s))
				default:
					s.Skip()
				}
			}
		case "kind":
			w.Kind = w.scalar(s)
		case "start_time", "startTime":
			w.Start = w.time(s)
		case "end_time", "endTime":
			w.End = w.time(s)
		case "status_code":
			w.StatusCode = w.scalar(s)
		case "status_message", "status_description":
			w.StatusMessage = d.strs.String(w.scalar(s))
		case "status": // {"status_code"|"code", "description"|"message"}
			if s.Peek() != convert.KindObject {
				w.StatusCode = w.scalar(s)
				continue
			}
			s.Open('{')
			for s.More('}') {
				switch string(s.Key()) {
				case "status_code", "code":
					w.StatusCode = w.scalar(s)
				case "description", "message":
					w.StatusMessage = d.strs.String(w.scalar(s))
				default:
					s.Skip()
				}
			}
		case "attributes":
			w.Attributes = d.jsonText(w)
		case "events":
			w.Events = d.jsonText(w)
		case "links":
			w.Links = d.jsonText(w)
		default: // duration (unreliable units: recomputed from start/end), unknown columns
			s.Skip()
		}
	}
}

// scalar reads a field of w with readScalar, counting a problem when it is
// not a scalar.
func (w *wireSpan) scalar(s *scanner) []byte {
	b, ok := readScalar(s)
	if !ok {
		w.problems++
	}
	return b
}

// readScalar reads a string, or a number or boolean as its literal text;
// null gives nil. Other values are skipped and not ok. The bytes must not
// be modified.
func readScalar(s *scanner) ([]byte, bool) {
	switch s.Peek() {
	case convert.KindString:
		return s.Text(), true
	case convert.KindNumber:
		return s.Num(), true
	case convert.KindBool:
		if s.Bool() {
			return []byte("true"), true
		}
		return []byte("false"), true
	case convert.KindNull:
		s.Null()
		return nil, true
	default:
		s.Skip()
		return nil, false
	}
}

// readInt reads a number or numeric string; anything else gives 0.
func readInt(s *scanner) int {
	b, _ := readScalar(s)
	n, err := strconv.Atoi(strings.TrimSpace(unsafeString(b)))
	if err != nil {
		return 0
	}
	return n
}

// time reads a timestamp field of w with readTime.
func (w *wireSpan) time(s *scanner) time.Time {
	t, ok := readTime(s)
	if !ok {
		w.problems++
	}
	return t
}

// readTime reads a timestamp: an ISO-8601 string (µs or ms precision), an
// epoch number or an hrtime pair [seconds, nanoseconds]. null and "" give
// the zero time; unreadable values give it too, and not ok.
func readTime(s *scanner) (time.Time, bool) {
	switch s.Peek() {
	case convert.KindString:
		b := s.Bytes()
		str := strings.TrimSpace(unsafeString(b)) // only parsed, never kept
		if str == "" {
			return time.Time{}, true
		}
		t, err := convert.ParseTime(str)
		return t, err == nil
	case convert.KindNumber:
		t, err := convert.ParseTime(string(s.Num()))
		return t, err == nil
	case convert.KindArray:
		var pair [2]int64
		n, ok := 0, true
		s.Open('[')
		for s.More(']') {
			if s.Peek() != convert.KindNumber || n == 2 {
				s.Skip()
				ok = false
				continue
			}
			v, err := strconv.ParseInt(unsafeString(s.Num()), 10, 64)
			ok = ok && err == nil
			pair[n] = v
			n++
		}
		if !ok || n != 2 || s.Err() != nil {
			return time.Time{}, false
		}
		return time.Unix(pair[0], pair[1]).UTC(), true
	case convert.KindNull:
		s.Null()
		return time.Time{}, true
	default:
		s.Skip()
		return time.Time{}, false
	}
}

// jsonText reads a JSON document stored as a string (the usual case), or an
// inline array or object as its raw bytes. null, "" and "null" give nil;
// other values are skipped and counted as a problem.
func (d *decoder) jsonText(w *wireSpan) []byte {
	s := &d.scan
	switch s.Peek() {
	case convert.KindString:
		b := s.TextInto(&d.arena)
		if len(b) == 0 || string(b) == "null" {
			return nil
		}
		return b
	case convert.KindArray, convert.KindObject:
		return s.Raw()
	case convert.KindNull:
		s.Null()
		return nil
	default:
		s.Skip()
		w.problems++
		return nil
	}
}
