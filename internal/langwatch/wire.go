package langwatch

import (
	"errors"
	"fmt"
	"math"
	"strconv"

	jsoniter "github.com/json-iterator/go"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// jsonAPI provides pooled iterators for decoding API answers.
var jsonAPI = jsoniter.ConfigFastest

// searchPage is one answer of POST /api/traces/search or the legacy POST
// /api/trace/search: {traces: [...], pagination: {totalHits, scrollId?,
// skipped?, updatedThrough?}}.
type searchPage struct {
	Traces    []traceRec
	TotalHits int64
	// ScrollID is the cursor of the next page; LangWatch sends one only
	// when the page is full.
	ScrollID string
	// UpdatedThrough is the upper bound (epoch ms) the scroll covered on
	// the updated axis; HasThrough is false when the server did not send
	// it (other axis, or a server older than 2026-08).
	UpdatedThrough int64
	HasThrough     bool
	// Skipped counts traces the server failed to serialize.
	Skipped int64
}

// traceRec is one LangWatch trace (json format), with its spans when they
// were asked for. Fields with their own mapping are decoded; JSON blobs stay
// raw and are decoded straight into attributes by the conversion.
type traceRec struct {
	TraceID   string
	ProjectID string
	// Started, Inserted and Updated are the trace's timestamps (epoch ms,
	// 0 when absent).
	Started, Inserted, Updated int64
	Metadata                   []byte // raw JSON object; nil when absent or null
	PlatformURL                string
	Spans                      []spanRec
	Evaluations                []evalRec
	// Problems counts fields with an unexpected JSON type (warnings).
	Problems int
}

// spanRec is one REST span: LangWatch re-derives it on read from the
// stored OTel span (type from langwatch.span.type, input/output from the
// message attributes, metrics from the usage attributes, params = every
// attribute un-flattened).
type spanRec struct {
	SpanID   string
	ParentID string // "" for a root (null)
	TraceID  string
	Type     string
	Name     string
	Input    []byte // raw typed value {type, value}; nil when absent or null
	Output   []byte
	Params   []byte // raw JSON object
	Contexts []byte // raw JSON array (rag spans)
	Model    string
	Vendor   string
	Error    *errorRec
	// Started, FirstToken and Finished are epoch ms; Has* tell whether
	// the value was there (0 is a valid epoch, if an unlikely one).
	Started, FirstToken, Finished int64
	HasFirstToken, HasFinished    bool
	Metrics                       metricsRec
	Problems                      int
}

// errorRec is LangWatch's ErrorCapture {has_error, message, stacktrace[]}.
type errorRec struct {
	HasError   bool
	Message    string
	Stacktrace []string
}

// metricsRec is a span's metrics; a nil pointer is an absent or null value.
type metricsRec struct {
	PromptTokens, CompletionTokens, ReasoningTokens *float64
	CacheReadInputTokens, CacheCreationInputTokens  *float64
	Cost                                            *float64
	TokensEstimated                                 *bool
}

// evalRec is one entry of a trace's evaluations.
type evalRec struct {
	EvaluationID string
	EvaluatorID  string
	SpanID       string
	Name         string
	Type         string
	Status       string
	Label        string
	Details      string
	IsGuardrail  *bool
	Passed       *bool
	Score        *float64
	Error        *errorRec
	Inputs       []byte // raw JSON object
	// Inserted, Started, Finished and Updated are epoch ms, 0 when absent.
	Inserted, Started, Finished, Updated int64
}

// errNotJSONObject is returned for an answer that is not a JSON object.
var errNotJSONObject = errors.New("unexpected answer: want a JSON object")

// decoder decodes answers. Raw JSON values are copied into an arena (chunks
// of 32 KiB; slices of an arena stay valid when it grows), which saves an
// allocation per value. It is used by one goroutine.
type decoder struct {
	arena []byte
}

// decodeSearch decodes a search answer.
func (d *decoder) decodeSearch(body []byte) (searchPage, error) {
	var p searchPage
	it := jsonAPI.BorrowIterator(body)
	defer jsonAPI.ReturnIterator(it)
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return p, fmt.Errorf("%w, got %q", errNotJSONObject, snippet(body))
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "traces":
			if it.WhatIsNext() != jsoniter.ArrayValue {
				it.Skip()
				return it.Error == nil
			}
			it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
				if it.WhatIsNext() != jsoniter.ObjectValue {
					it.Skip()
					return it.Error == nil
				}
				p.Traces = append(p.Traces, traceRec{})
				d.readTrace(it, &p.Traces[len(p.Traces)-1])
				return it.Error == nil
			})
		case "pagination":
			d.readPagination(it, &p)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	if convert.Failed(it) {
		return p, fmt.Errorf("malformed JSON answer: %w", it.Error)
	}
	return p, nil
}

// decodeTrace decodes the answer of GET /api/trace/{id}: one trace with its
// spans and evaluations (and an ascii_tree, ignored).
func (d *decoder) decodeTrace(body []byte) (traceRec, error) {
	var tr traceRec
	it := jsonAPI.BorrowIterator(body)
	defer jsonAPI.ReturnIterator(it)
	if it.WhatIsNext() != jsoniter.ObjectValue {
		return tr, fmt.Errorf("%w, got %q", errNotJSONObject, snippet(body))
	}
	d.readTrace(it, &tr)
	if convert.Failed(it) {
		return tr, fmt.Errorf("malformed JSON answer: %w", it.Error)
	}
	return tr, nil
}

func (d *decoder) readPagination(it *jsoniter.Iterator, p *searchPage) {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		it.Skip()
		return
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "totalHits":
			p.TotalHits, _ = readInt(it)
		case "scrollId":
			var problems int
			p.ScrollID = readStr(it, &problems)
		case "updatedThrough":
			p.UpdatedThrough, p.HasThrough = readInt(it)
		case "skipped":
			p.Skipped, _ = readInt(it)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
}

func (d *decoder) readTrace(it *jsoniter.Iterator, tr *traceRec) {
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "trace_id":
			tr.TraceID = readStr(it, &tr.Problems)
		case "project_id":
			tr.ProjectID = readStr(it, &tr.Problems)
		case "timestamps":
			readObject(it, &tr.Problems, func(it *jsoniter.Iterator, key string) {
				switch key {
				case "started_at":
					tr.Started, _ = readInt(it)
				case "inserted_at":
					tr.Inserted, _ = readInt(it)
				case "updated_at":
					tr.Updated, _ = readInt(it)
				default:
					it.Skip()
				}
			})
		case "metadata":
			tr.Metadata = d.raw(it)
		case "platformUrl":
			tr.PlatformURL = readStr(it, &tr.Problems)
		case "spans":
			d.readSpans(it, tr)
		case "evaluations":
			d.readEvaluations(it, tr)
		default:
			// input, output, metrics, error, contexts, expected_output,
			// indexing_md5s, events, ascii_tree: derived from the spans or
			// not populated (see the README).
			it.Skip()
		}
		return it.Error == nil
	})
}

func (d *decoder) readSpans(it *jsoniter.Iterator, tr *traceRec) {
	if it.WhatIsNext() != jsoniter.ArrayValue {
		skipUnexpected(it, &tr.Problems)
		return
	}
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.ObjectValue {
			skipUnexpected(it, &tr.Problems)
			return it.Error == nil
		}
		tr.Spans = append(tr.Spans, spanRec{})
		d.readSpan(it, &tr.Spans[len(tr.Spans)-1])
		return it.Error == nil
	})
}

func (d *decoder) readSpan(it *jsoniter.Iterator, s *spanRec) {
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "span_id":
			s.SpanID = readStr(it, &s.Problems)
		case "parent_id":
			s.ParentID = readStr(it, &s.Problems)
		case "trace_id":
			s.TraceID = readStr(it, &s.Problems)
		case "type":
			s.Type = readStr(it, &s.Problems)
		case "name":
			s.Name = readStr(it, &s.Problems)
		case "model":
			s.Model = readStr(it, &s.Problems)
		case "vendor":
			s.Vendor = readStr(it, &s.Problems)
		case "input":
			s.Input = d.raw(it)
		case "output":
			s.Output = d.raw(it)
		case "params":
			s.Params = d.raw(it)
		case "contexts":
			s.Contexts = d.raw(it)
		case "error":
			s.Error = readError(it, &s.Problems)
		case "timestamps":
			readObject(it, &s.Problems, func(it *jsoniter.Iterator, key string) {
				switch key {
				case "started_at":
					s.Started, _ = readInt(it)
				case "first_token_at":
					s.FirstToken, s.HasFirstToken = readInt(it)
				case "finished_at":
					s.Finished, s.HasFinished = readInt(it)
				default:
					it.Skip()
				}
			})
		case "metrics":
			readMetrics(it, &s.Metrics, &s.Problems)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
}

func readMetrics(it *jsoniter.Iterator, m *metricsRec, problems *int) {
	readObject(it, problems, func(it *jsoniter.Iterator, key string) {
		switch key {
		case "prompt_tokens":
			m.PromptTokens = readNumber(it, problems)
		case "completion_tokens":
			m.CompletionTokens = readNumber(it, problems)
		case "reasoning_tokens":
			m.ReasoningTokens = readNumber(it, problems)
		case "cache_read_input_tokens":
			m.CacheReadInputTokens = readNumber(it, problems)
		case "cache_creation_input_tokens":
			m.CacheCreationInputTokens = readNumber(it, problems)
		case "cost":
			m.Cost = readNumber(it, problems)
		case "tokens_estimated":
			m.TokensEstimated = readBool(it, problems)
		default:
			it.Skip()
		}
	})
}

func (d *decoder) readEvaluations(it *jsoniter.Iterator, tr *traceRec) {
	if it.WhatIsNext() != jsoniter.ArrayValue {
		skipUnexpected(it, &tr.Problems)
		return
	}
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.ObjectValue {
			skipUnexpected(it, &tr.Problems)
			return it.Error == nil
		}
		var e evalRec
		p := &tr.Problems
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch key {
			case "evaluation_id":
				e.EvaluationID = readStr(it, p)
			case "evaluator_id":
				e.EvaluatorID = readStr(it, p)
			case "span_id":
				e.SpanID = readStr(it, p)
			case "name":
				e.Name = readStr(it, p)
			case "type":
				e.Type = readStr(it, p)
			case "status":
				e.Status = readStr(it, p)
			case "label":
				e.Label = readStr(it, p)
			case "details":
				e.Details = readStr(it, p)
			case "is_guardrail":
				e.IsGuardrail = readBool(it, p)
			case "passed":
				e.Passed = readBool(it, p)
			case "score":
				e.Score = readNumber(it, p)
			case "error":
				e.Error = readError(it, p)
			case "inputs":
				e.Inputs = d.raw(it)
			case "timestamps":
				readObject(it, p, func(it *jsoniter.Iterator, key string) {
					switch key {
					case "inserted_at":
						e.Inserted, _ = readInt(it)
					case "started_at":
						e.Started, _ = readInt(it)
					case "finished_at":
						e.Finished, _ = readInt(it)
					case "updated_at":
						e.Updated, _ = readInt(it)
					default:
						it.Skip()
					}
				})
			default:
				it.Skip()
			}
			return it.Error == nil
		})
		tr.Evaluations = append(tr.Evaluations, e)
		return it.Error == nil
	})
}

// readError reads an ErrorCapture; null, and a capture without has_error
// true, are no error. A bare string (the legacy spec's shape) is a message.
func readError(it *jsoniter.Iterator, problems *int) *errorRec {
	switch it.WhatIsNext() {
	case jsoniter.NilValue:
		it.ReadNil()
		return nil
	case jsoniter.StringValue:
		if msg := it.ReadString(); msg != "" {
			return &errorRec{HasError: true, Message: msg}
		}
		return nil
	case jsoniter.ObjectValue:
	default:
		skipUnexpected(it, problems)
		return nil
	}
	e := &errorRec{}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "has_error":
			if b := readBool(it, problems); b != nil {
				e.HasError = *b
			}
		case "message":
			e.Message = readStr(it, problems)
		case "stacktrace":
			if it.WhatIsNext() != jsoniter.ArrayValue {
				skipUnexpected(it, problems)
				return it.Error == nil
			}
			it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
				e.Stacktrace = append(e.Stacktrace, readStr(it, problems))
				return it.Error == nil
			})
		default:
			it.Skip()
		}
		return it.Error == nil
	})
	if !e.HasError {
		return nil
	}
	return e
}

// readObject calls each for every member of an object; null is nothing,
// another type a problem.
func readObject(it *jsoniter.Iterator, problems *int, each func(it *jsoniter.Iterator, key string)) {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		skipUnexpected(it, problems)
		return
	}
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		each(it, key)
		return it.Error == nil
	})
}

// readStr reads a string field; null is "", another type is kept as its
// JSON text and counted as a problem.
func readStr(it *jsoniter.Iterator, problems *int) string {
	switch it.WhatIsNext() {
	case jsoniter.StringValue:
		return it.ReadString()
	case jsoniter.NilValue:
		it.ReadNil()
		return ""
	default:
		*problems++
		return string(it.SkipAndReturnBytes())
	}
}

// readInt reads an integer (a decimal is truncated); ok is false for null,
// another type, or a number out of range.
func readInt(it *jsoniter.Iterator) (int64, bool) {
	if it.WhatIsNext() != jsoniter.NumberValue {
		it.Skip()
		return 0, false
	}
	n := it.ReadNumber()
	if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return v, true
	}
	if f, err := strconv.ParseFloat(string(n), 64); err == nil && f >= math.MinInt64 && f < math.MaxInt64 {
		return int64(f), true
	}
	return 0, false
}

// readNumber reads a number; nil for null, and for another type (a
// problem).
func readNumber(it *jsoniter.Iterator, problems *int) *float64 {
	switch it.WhatIsNext() {
	case jsoniter.NumberValue:
		f, err := strconv.ParseFloat(string(it.ReadNumber()), 64)
		if err != nil {
			*problems++
			return nil
		}
		return &f
	case jsoniter.NilValue:
		it.ReadNil()
		return nil
	default:
		skipUnexpected(it, problems)
		return nil
	}
}

// readBool reads a boolean; nil for null, and for another type (a
// problem).
func readBool(it *jsoniter.Iterator, problems *int) *bool {
	switch it.WhatIsNext() {
	case jsoniter.BoolValue:
		b := it.ReadBool()
		return &b
	case jsoniter.NilValue:
		it.ReadNil()
		return nil
	default:
		skipUnexpected(it, problems)
		return nil
	}
}

// skipUnexpected skips a value of an unexpected type (a problem); null is
// no problem.
func skipUnexpected(it *jsoniter.Iterator, problems *int) {
	if it.WhatIsNext() == jsoniter.NilValue {
		it.ReadNil()
		return
	}
	*problems++
	it.Skip()
}

// raw returns the next value's JSON text, appended to the arena; nil for
// null.
func (d *decoder) raw(it *jsoniter.Iterator) []byte {
	if it.WhatIsNext() == jsoniter.NilValue {
		it.ReadNil()
		return nil
	}
	if cap(d.arena)-len(d.arena) < 2<<10 {
		d.arena = make([]byte, 0, 32<<10)
	}
	start := len(d.arena)
	d.arena = it.SkipAndAppendBytes(d.arena)
	return d.arena[start:len(d.arena):len(d.arena)]
}

func snippet(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
