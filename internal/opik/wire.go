package opik

import (
	"fmt"
	"strconv"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// listPage is one answer of GET /v1/private/traces or /v1/private/spans:
// {page, size, total, content[], sortableBy[]}. Opik's size is the number
// of items returned, not the requested size.
type listPage struct {
	Page    int
	Size    int
	Total   int64 // -1 when absent
	Content []record
}

// record is one Opik trace (TracePublic) or span (SpanPublic) as the list
// endpoints return it. Fields with their own mapping are decoded here; the
// JSON blobs (input, output, metadata) stay raw and are decoded straight into
// attributes by the conversion; every other field is kept raw in Extra under
// its JSON name, so that fields added by newer servers are not lost.
type record struct {
	ID            string
	TraceID       string // spans only
	ParentSpanID  string // spans only; "" for spans directly under the trace
	Name          string
	Type          string // spans only: general, tool, llm, guardrail
	StartTime     string
	EndTime       string // "" while in progress
	LastUpdatedAt string
	Model         string
	Provider      string
	ThreadID      string // traces only

	Input    []byte // raw JSON; nil when absent or null
	Output   []byte
	Metadata []byte

	Usage []usageEntry
	Error *errorInfo

	Cost    float64
	HasCost bool
	// SpanCount is the trace's span_count, -1 when absent.
	SpanCount int64

	Guardrails []guardrailValidation
	Extra      []rawField

	// Problems counts fields that had an unexpected JSON type; each is a
	// conversion warning.
	Problems int
}

// usageEntry is one key of the flat usage map: ints, possibly decimals on
// some servers (float64 holds every integer below 2^53 exactly).
type usageEntry struct {
	Key   string
	Value float64
}

type errorInfo struct {
	ExceptionType string
	Message       string
	Traceback     string
}

// guardrailValidation is one entry of a trace's guardrails_validations.
type guardrailValidation struct {
	SpanID string
	Checks []guardrailCheck
}

type guardrailCheck struct {
	Name   string
	Result string
}

// rawField is a field without a dedicated mapping.
type rawField struct {
	Key string
	Raw []byte
}

// Fields that are deliberately not converted: the project is the resource's
// llmtrace.project, and duration duplicates start and end time.
func ignoredField(k string) bool {
	switch k {
	case "project_id", "project_name", "duration", "workspace_id", "workspace_name":
		return true
	}
	return false
}

// decodePage decodes a list answer in one pass with convert's Scanner
// (strict: encoding/json's rules). Member names are compared as bytes;
// only the strings a record keeps are allocated, and raw JSON values are
// copied into arenas (chunks of 32 KiB) that the records share: records
// outlive the answer (the span sweep caches them).
func decodePage(body []byte) (listPage, error) {
	p := listPage{Total: -1}
	d := pageDecoder{s: convert.Scanner{Strict: true}}
	d.s.Strings = &d.strs
	s := &d.s
	s.Reset(body)
	if s.Peek() != convert.KindObject {
		return p, fmt.Errorf("opik: unexpected answer: want a JSON object, got %q", snippet(body))
	}
	s.Open('{')
	for s.More('}') {
		switch string(s.Key()) {
		case "page":
			p.Page = int(readInt(s, 0))
		case "size":
			p.Size = int(readInt(s, 0))
		case "total":
			p.Total = readInt(s, -1)
		case "content":
			if s.Peek() != convert.KindArray {
				s.Skip()
				continue
			}
			// Opik writes size (the item count) before content.
			p.Content = make([]record, 0, min(max(p.Size, 16), MaxPageSize))
			s.Open('[')
			for s.More(']') {
				if s.Peek() != convert.KindObject {
					s.Skip()
					continue
				}
				p.Content = append(p.Content, record{SpanCount: -1})
				d.record(&p.Content[len(p.Content)-1])
			}
		default:
			s.Skip()
		}
	}
	// As before the Scanner, what follows the object is not looked at.
	if err := s.Err(); err != nil {
		return p, fmt.Errorf("opik: malformed JSON answer: %w", err)
	}
	return p, nil
}

// pageDecoder reads the records of one answer.
type pageDecoder struct {
	s convert.Scanner
	// arena receives the raw JSON values (see rawValue), strs the strings
	// of the records: both live as long as the page's records.
	arena []byte
	strs  convert.Strings
	// extras and usage back the Extra and Usage of the page's records, one
	// slice each instead of one per record.
	extras []rawField
	usage  []usageEntry
}

// record decodes one trace or span object.
func (d *pageDecoder) record(r *record) {
	s := &d.s
	extras, usage := len(d.extras), len(d.usage)
	defer func() {
		// Full slice expressions: a record's slices never grow into the
		// next record's entries.
		if n := len(d.extras); n > extras {
			r.Extra = d.extras[extras:n:n]
		}
		if n := len(d.usage); n > usage {
			r.Usage = d.usage[usage:n:n]
		}
	}()
	s.Open('{')
	for s.More('}') {
		key := s.Key()
		switch string(key) {
		case "id":
			r.ID = r.str(s)
		case "trace_id":
			r.TraceID = r.str(s)
		case "parent_span_id":
			r.ParentSpanID = r.str(s)
		case "name":
			r.Name = r.str(s)
		case "type":
			r.Type = r.str(s)
		case "start_time":
			r.StartTime = r.str(s)
		case "end_time":
			r.EndTime = r.str(s)
		case "last_updated_at":
			r.LastUpdatedAt = r.str(s)
		case "model":
			r.Model = r.str(s)
		case "provider":
			r.Provider = r.str(s)
		case "thread_id":
			r.ThreadID = r.str(s)
		case "input":
			r.Input = d.rawValue()
		case "output":
			r.Output = d.rawValue()
		case "metadata":
			r.Metadata = d.rawValue()
		case "usage":
			d.readUsage(r)
		case "error_info":
			r.readError(s)
		case "total_estimated_cost":
			r.readCost(s)
		case "span_count":
			r.SpanCount = readInt(s, -1)
		case "guardrails_validations":
			r.readGuardrails(s)
		default:
			if ignoredField(string(key)) {
				s.Skip()
				continue
			}
			k := s.Intern(key) // the key's bytes are only valid until the next read
			if raw := d.rawValue(); raw != nil {
				d.extras = append(d.extras, rawField{Key: k, Raw: raw})
			}
		}
	}
}

// str reads a string field; null is "", another type is kept as its JSON
// text and counted as a problem.
func (r *record) str(s *convert.Scanner) string {
	switch s.Peek() {
	case convert.KindString:
		return s.Str()
	case convert.KindNull:
		s.Null()
		return ""
	default:
		r.Problems++
		return string(s.Raw())
	}
}

// readUsage reads the flat usage map into d.usage.
func (d *pageDecoder) readUsage(r *record) {
	s := &d.s
	if s.Peek() != convert.KindObject {
		r.skipUnexpected(s)
		return
	}
	s.Open('{')
	for s.More('}') {
		key := s.Key()
		switch s.Peek() {
		case convert.KindNumber:
			k := s.Intern(key)
			if f := s.Float(); s.Err() == nil {
				d.usage = append(d.usage, usageEntry{Key: k, Value: f})
			}
		case convert.KindNull:
			s.Null()
		default:
			r.skipUnexpected(s)
		}
	}
}

func (r *record) readError(s *convert.Scanner) {
	if s.Peek() != convert.KindObject {
		r.skipUnexpected(s)
		return
	}
	e := &errorInfo{}
	s.Open('{')
	for s.More('}') {
		switch string(s.Key()) {
		case "exception_type":
			e.ExceptionType = r.str(s)
		case "message":
			e.Message = r.str(s)
		case "traceback":
			e.Traceback = r.str(s)
		default:
			s.Skip()
		}
	}
	r.Error = e
}

// readCost reads total_estimated_cost: a number, or a decimal string on
// older servers.
func (r *record) readCost(s *convert.Scanner) {
	switch s.Peek() {
	case convert.KindNumber:
		if f, err := strconv.ParseFloat(string(s.Num()), 64); err == nil {
			r.Cost, r.HasCost = f, true
		}
	case convert.KindString:
		if f, err := strconv.ParseFloat(string(s.Bytes()), 64); err == nil {
			r.Cost, r.HasCost = f, true
		} else {
			r.Problems++
		}
	case convert.KindNull:
		s.Null()
	default:
		r.skipUnexpected(s)
	}
}

func (r *record) readGuardrails(s *convert.Scanner) {
	switch s.Peek() {
	case convert.KindArray:
	case convert.KindNull:
		s.Null()
		return
	default:
		r.skipUnexpected(s)
		return
	}
	s.Open('[')
	for s.More(']') {
		if s.Peek() != convert.KindObject {
			r.skipUnexpected(s)
			continue
		}
		var g guardrailValidation
		s.Open('{')
		for s.More('}') {
			switch string(s.Key()) {
			case "span_id":
				g.SpanID = r.str(s)
			case "checks":
				if s.Peek() != convert.KindArray {
					s.Skip()
					continue
				}
				s.Open('[')
				for s.More(']') {
					if c, ok := r.check(s); ok {
						g.Checks = append(g.Checks, c)
					}
				}
			default:
				s.Skip()
			}
		}
		r.Guardrails = append(r.Guardrails, g)
	}
}

// check reads one guardrail check; an element that is not an object is
// skipped (a problem unless null).
func (r *record) check(s *convert.Scanner) (guardrailCheck, bool) {
	var c guardrailCheck
	if s.Peek() != convert.KindObject {
		r.skipUnexpected(s)
		return c, false
	}
	s.Open('{')
	for s.More('}') {
		switch string(s.Key()) {
		case "name":
			c.Name = r.str(s)
		case "result":
			c.Result = r.str(s)
		default:
			s.Skip()
		}
	}
	return c, true
}

func (r *record) skipUnexpected(s *convert.Scanner) {
	if s.Peek() == convert.KindNull {
		s.Null()
		return
	}
	r.Problems++
	s.Skip()
}

// rawValue returns the next value's JSON text, copied into the arena
// (chunks of 32 KiB; slices of an arena stay valid when it grows); nil for
// null.
func (d *pageDecoder) rawValue() []byte {
	s := &d.s
	if s.Peek() == convert.KindNull {
		s.Null()
		return nil
	}
	raw := s.Raw()
	if raw == nil {
		return nil
	}
	if cap(d.arena)-len(d.arena) < len(raw) {
		d.arena = make([]byte, 0, max(32<<10, len(raw)))
	}
	start := len(d.arena)
	d.arena = append(d.arena, raw...)
	return d.arena[start:len(d.arena):len(d.arena)]
}

// readInt reads an integer (a decimal is truncated); def for null or
// another type.
func readInt(s *convert.Scanner, def int64) int64 {
	if s.Peek() != convert.KindNumber {
		s.Skip()
		return def
	}
	n := s.Num()
	if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return v
	}
	if f, err := strconv.ParseFloat(string(n), 64); err == nil {
		return int64(f)
	}
	return def
}

func snippet(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
