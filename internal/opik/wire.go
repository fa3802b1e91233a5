package opik

import (
	"fmt"
	"strconv"

	jsoniter "github.com/json-iterator/go"
)

// jsonAPI provides pooled iterators for decoding API answers.
var jsonAPI = jsoniter.ConfigFastest

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

// decodePage decodes a list answer.
func decodePage(body []byte) (listPage, error) {
	p := listPage{Total: -1}
	var arena []byte
	iter := jsonAPI.BorrowIterator(body)
	defer jsonAPI.ReturnIterator(iter)
	if iter.WhatIsNext() != jsoniter.ObjectValue {
		return p, fmt.Errorf("opik: unexpected answer: want a JSON object, got %q", snippet(body))
	}
	iter.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "page":
			p.Page = int(readInt(it, 0))
		case "size":
			p.Size = int(readInt(it, 0))
		case "total":
			p.Total = readInt(it, -1)
		case "content":
			if it.WhatIsNext() != jsoniter.ArrayValue {
				it.Skip()
				return true
			}
			// Opik writes size (the item count) before content.
			p.Content = make([]record, 0, min(max(p.Size, 16), MaxPageSize))
			it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
				if it.WhatIsNext() != jsoniter.ObjectValue {
					it.Skip()
					return true
				}
				p.Content = append(p.Content, record{SpanCount: -1})
				readRecord(it, &p.Content[len(p.Content)-1], &arena)
				return it.Error == nil
			})
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	if iter.Error != nil {
		return p, fmt.Errorf("opik: malformed JSON answer: %w", iter.Error)
	}
	return p, nil
}

// readRecord decodes one trace or span object.
// Raw JSON values are copied into arena, which saves an allocation per
// value.
func readRecord(it *jsoniter.Iterator, r *record, arena *[]byte) {
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "id":
			r.ID = r.str(it)
		case "trace_id":
			r.TraceID = r.str(it)
		case "parent_span_id":
			r.ParentSpanID = r.str(it)
		case "name":
			r.Name = r.str(it)
		case "type":
			r.Type = r.str(it)
		case "start_time":
			r.StartTime = r.str(it)
		case "end_time":
			r.EndTime = r.str(it)
		case "last_updated_at":
			r.LastUpdatedAt = r.str(it)
		case "model":
			r.Model = r.str(it)
		case "provider":
			r.Provider = r.str(it)
		case "thread_id":
			r.ThreadID = r.str(it)
		case "input":
			r.Input = rawValue(it, arena)
		case "output":
			r.Output = rawValue(it, arena)
		case "metadata":
			r.Metadata = rawValue(it, arena)
		case "usage":
			r.readUsage(it)
		case "error_info":
			r.readError(it)
		case "total_estimated_cost":
			r.readCost(it)
		case "span_count":
			r.SpanCount = readInt(it, -1)
		case "guardrails_validations":
			r.readGuardrails(it)
		default:
			if ignoredField(key) {
				it.Skip()
				return true
			}
			if raw := rawValue(it, arena); raw != nil {
				r.Extra = append(r.Extra, rawField{Key: key, Raw: raw})
			}
		}
		return it.Error == nil
	})
}

// str reads a string field; null is "", another type is kept as its JSON
// text and counted as a problem.
func (r *record) str(it *jsoniter.Iterator) string {
	switch it.WhatIsNext() {
	case jsoniter.StringValue:
		return it.ReadString()
	case jsoniter.NilValue:
		it.ReadNil()
		return ""
	default:
		r.Problems++
		return string(it.SkipAndReturnBytes())
	}
}

func (r *record) readUsage(it *jsoniter.Iterator) {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		r.skipUnexpected(it)
		return
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch it.WhatIsNext() {
		case jsoniter.NumberValue:
			r.Usage = append(r.Usage, usageEntry{Key: key, Value: it.ReadFloat64()})
		case jsoniter.NilValue:
			it.ReadNil()
		default:
			r.skipUnexpected(it)
		}
		return it.Error == nil
	})
}

func (r *record) readError(it *jsoniter.Iterator) {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		r.skipUnexpected(it)
		return
	}
	e := &errorInfo{}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "exception_type":
			e.ExceptionType = r.str(it)
		case "message":
			e.Message = r.str(it)
		case "traceback":
			e.Traceback = r.str(it)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	r.Error = e
}

// readCost reads total_estimated_cost: a number, or a decimal string on
// older servers.
func (r *record) readCost(it *jsoniter.Iterator) {
	switch it.WhatIsNext() {
	case jsoniter.NumberValue:
		f, err := strconv.ParseFloat(string(it.ReadNumber()), 64)
		if err == nil {
			r.Cost, r.HasCost = f, true
		}
	case jsoniter.StringValue:
		if f, err := strconv.ParseFloat(it.ReadString(), 64); err == nil {
			r.Cost, r.HasCost = f, true
		} else {
			r.Problems++
		}
	case jsoniter.NilValue:
		it.ReadNil()
	default:
		r.skipUnexpected(it)
	}
}

func (r *record) readGuardrails(it *jsoniter.Iterator) {
	if it.WhatIsNext() != jsoniter.ArrayValue {
		if it.WhatIsNext() == jsoniter.NilValue {
			it.ReadNil()
			return
		}
		r.skipUnexpected(it)
		return
	}
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.ObjectValue {
			r.skipUnexpected(it)
			return it.Error == nil
		}
		var g guardrailValidation
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch key {
			case "span_id":
				g.SpanID = r.str(it)
			case "checks":
				if it.WhatIsNext() != jsoniter.ArrayValue {
					it.Skip()
					return it.Error == nil
				}
				it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
					var c guardrailCheck
					if it.WhatIsNext() != jsoniter.ObjectValue {
						r.skipUnexpected(it)
						return it.Error == nil
					}
					it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
						switch key {
						case "name":
							c.Name = r.str(it)
						case "result":
							c.Result = r.str(it)
						default:
							it.Skip()
						}
						return it.Error == nil
					})
					g.Checks = append(g.Checks, c)
					return it.Error == nil
				})
			default:
				it.Skip()
			}
			return it.Error == nil
		})
		r.Guardrails = append(r.Guardrails, g)
		return it.Error == nil
	})
}

func (r *record) skipUnexpected(it *jsoniter.Iterator) {
	if it.WhatIsNext() == jsoniter.NilValue {
		it.ReadNil()
		return
	}
	r.Problems++
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

// readInt reads an integer (a decimal is truncated); def for null or
// another type.
func readInt(it *jsoniter.Iterator, def int64) int64 {
	if it.WhatIsNext() != jsoniter.NumberValue {
		it.Skip()
		return def
	}
	n := string(it.ReadNumber())
	if v, err := strconv.ParseInt(n, 10, 64); err == nil {
		return v
	}
	if f, err := strconv.ParseFloat(n, 64); err == nil {
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
