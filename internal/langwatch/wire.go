package langwatch

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	jsoniter "github.com/json-iterator/go"
)

// jsonAPI is the jsoniter configuration of the package's value decoding.
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
	// from is the decoder that read the trace: the spans' params leaves
	// are read through it.
	from *decoder
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
	// In and Out are what the decoding read of Input and Output.
	In, Out typedRec
	// Leaves are params flattened; ParamsBad marks params that are not
	// an object or are malformed inside (a warning).
	Leaves    []leaf
	ParamsBad bool
	Contexts  []byte // raw JSON array (rag spans)
	Model     string
	Vendor    string
	Error     *errorRec
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

// metricsRec is a span's metrics; an unset value is an absent or null one.
type metricsRec struct {
	PromptTokens, CompletionTokens, ReasoningTokens optFloat
	CacheReadInputTokens, CacheCreationInputTokens  optFloat
	Cost                                            optFloat
	TokensEstimated                                 optBool
}

// optFloat is a number that may be absent (a value, not a pointer: one
// allocation less per metric).
type optFloat struct {
	V   float64
	Set bool
}

// optBool is a boolean that may be absent.
type optBool struct {
	V   bool
	Set bool
}

// count is how many metrics are set.
func (m *metricsRec) count() int {
	n := 0
	for _, f := range [...]optFloat{m.PromptTokens, m.CompletionTokens, m.ReasoningTokens, m.CacheReadInputTokens, m.CacheCreationInputTokens, m.Cost} {
		if f.Set {
			n++
		}
	}
	if m.TokensEstimated.Set {
		n++
	}
	return n
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

// decoder decodes answers. Raw values are sub-slices of the answer's body,
// which must stay unchanged while the records are used, and the records
// are valid until the decoder's next decode. It is used by one goroutine.
type decoder struct {
	s scanner
	// spans is a slab that holds the spans of every trace of a search
	// answer, reused from answer to answer: growing each trace's slice
	// span by span was the largest allocation of the decoding. So the
	// records of a search answer are valid until the next decodeSearch
	// (the source converts a page before it reads the next one).
	spans     []spanRec
	searching bool // decoding a search answer: spans go to the slab
	// The slabs of what the decoding reads out of the spans' JSON values
	// (flattened params, chat messages, their unescaped strings), reset
	// at each decode as the spans are.
	leaves []leaf
	msgs   messageSlab
	keys   keyTable // interned params keys
	buf    []byte   // the params key being built
	// names interns the values that repeat from span to span (types,
	// names, models, vendors, projects, statuses): one copy per value
	// instead of one per span.
	names map[string]string
}

// The largest slabs kept from one answer to the next.
const (
	maxSlabSpans  = 16384
	maxSlabLeaves = 65536
)

// Interning bounds: the values are the vendor's data, so the table is
// capped, and long values are copied instead.
const (
	maxInterned    = 4096
	maxInternedLen = 128
)

// name reads a string field that repeats across spans, interned.
func (d *decoder) name(p *int) string {
	v, ok := d.s.view()
	if !ok {
		*p++
		return v // the JSON text of another type: a copy already
	}
	if k, ok := d.names[v]; ok {
		return k
	}
	k := strings.Clone(v)
	if len(k) <= maxInternedLen && len(d.names) < maxInterned {
		if d.names == nil {
			d.names = make(map[string]string)
		}
		d.names[k] = k
	}
	return k
}

// id reads a string field that the conversion only parses or hashes (span
// ids): a view of the answer, no copy.
func (d *decoder) id(p *int) string {
	v, ok := d.s.view()
	if !ok {
		*p++
	}
	return v
}

// start sets the decoder on a new answer: the records of the previous
// one are no longer valid.
func (d *decoder) start(body []byte) {
	d.s.reset(body)
	if cap(d.leaves) > maxSlabLeaves {
		d.leaves = nil
	}
	d.leaves = d.leaves[:0]
	clear(d.keys.more)
	d.keys.more = d.keys.more[:0]
	d.msgs.reset()
}

// decodeSearch decodes a search answer.
func (d *decoder) decodeSearch(body []byte) (searchPage, error) {
	var p searchPage
	s := &d.s
	d.start(body)
	if cap(d.spans) > maxSlabSpans {
		d.spans = nil // do not keep one huge answer's slab
	}
	d.spans, d.searching = d.spans[:0], true
	defer func() { d.searching = false }()
	if s.next() != kindObject {
		return p, fmt.Errorf("%w, got %q", errNotJSONObject, snippet(body))
	}
	s.object(func(key []byte) bool {
		switch string(key) {
		case "traces":
			if s.next() != kindArray {
				s.skip()
				return true
			}
			s.array(func() bool {
				if s.next() != kindObject {
					s.skip()
					return true
				}
				p.Traces = append(p.Traces, traceRec{})
				d.readTrace(&p.Traces[len(p.Traces)-1])
				return true
			})
		case "pagination":
			d.readPagination(&p)
		default:
			s.skip()
		}
		return true
	})
	if err := s.finish(); err != nil {
		return p, fmt.Errorf("malformed JSON answer: %w", err)
	}
	return p, nil
}

// decodeTrace decodes the answer of GET /api/trace/{id}: one trace with its
// spans and evaluations (and an ascii_tree, ignored).
func (d *decoder) decodeTrace(body []byte) (traceRec, error) {
	var tr traceRec
	s := &d.s
	d.start(body)
	if s.next() != kindObject {
		return tr, fmt.Errorf("%w, got %q", errNotJSONObject, snippet(body))
	}
	d.readTrace(&tr)
	if err := s.finish(); err != nil {
		return tr, fmt.Errorf("malformed JSON answer: %w", err)
	}
	return tr, nil
}

func (d *decoder) readPagination(p *searchPage) {
	s := &d.s
	var problems int
	readObject(s, &problems, func(key []byte) {
		switch string(key) {
		case "totalHits":
			p.TotalHits, _ = readInt(s)
		case "scrollId":
			p.ScrollID = readStr(s, &problems)
		case "updatedThrough":
			p.UpdatedThrough, p.HasThrough = readInt(s)
		case "skipped":
			p.Skipped, _ = readInt(s)
		default:
			s.skip()
		}
	})
}

func (d *decoder) readTrace(tr *traceRec) {
	s := &d.s
	p := &tr.Problems
	tr.from = d
	s.object(func(key []byte) bool {
		switch string(key) {
		case "trace_id":
			tr.TraceID = readStr(s, p)
		case "project_id":
			tr.ProjectID = d.name(p)
		case "timestamps":
			readObject(s, p, func(key []byte) {
				switch string(key) {
				case "started_at":
					tr.Started, _ = readInt(s)
				case "inserted_at":
					tr.Inserted, _ = readInt(s)
				case "updated_at":
					tr.Updated, _ = readInt(s)
				default:
					s.skip()
				}
			})
		case "metadata":
			tr.Metadata = raw(s)
		case "platformUrl":
			tr.PlatformURL = readStr(s, p)
		case "spans":
			d.readSpans(tr)
		case "evaluations":
			d.readEvaluations(tr)
		default:
			// input, output, metrics, error, contexts, expected_output,
			// indexing_md5s, events, ascii_tree: derived from the spans or
			// not populated (see the README).
			s.skip()
		}
		return true
	})
}

func (d *decoder) readSpans(tr *traceRec) {
	s := &d.s
	if s.next() != kindArray {
		skipUnexpected(s, &tr.Problems)
		return
	}
	if !d.searching {
		s.array(func() bool {
			if s.next() != kindObject {
				skipUnexpected(s, &tr.Problems)
				return true
			}
			tr.Spans = append(tr.Spans, spanRec{})
			d.readSpan(&tr.Spans[len(tr.Spans)-1])
			return true
		})
		return
	}
	start := len(d.spans)
	s.array(func() bool {
		if s.next() != kindObject {
			skipUnexpected(s, &tr.Problems)
			return true
		}
		d.spans = append(d.spans, spanRec{})
		d.readSpan(&d.spans[len(d.spans)-1])
		return true
	})
	// Earlier traces keep their part of the old array when append moves
	// the slab to a bigger one.
	switch end := len(d.spans); {
	case end == start:
	case tr.Spans == nil:
		tr.Spans = d.spans[start:end:end]
	default: // a second "spans" member
		tr.Spans = append(tr.Spans, d.spans[start:end]...)
	}
}

func (d *decoder) readSpan(sp *spanRec) {
	s := &d.s
	p := &sp.Problems
	s.object(func(key []byte) bool {
		switch string(key) {
		case "span_id":
			sp.SpanID = d.id(p)
		case "parent_id":
			sp.ParentID = d.id(p)
		case "trace_id":
			sp.TraceID = d.id(p)
		case "type":
			sp.Type = d.name(p)
		case "name":
			sp.Name = d.name(p)
		case "model":
			sp.Model = d.name(p)
		case "vendor":
			sp.Vendor = d.name(p)
		case "input":
			sp.Input, sp.In = d.readTyped()
		case "output":
			sp.Output, sp.Out = d.readTyped()
		case "params":
			d.readParams(sp)
		case "contexts":
			sp.Contexts = raw(s)
		case "error":
			sp.Error = readError(s, p)
		case "timestamps":
			readObject(s, p, func(key []byte) {
				switch string(key) {
				case "started_at":
					sp.Started, _ = readInt(s)
				case "first_token_at":
					sp.FirstToken, sp.HasFirstToken = readInt(s)
				case "finished_at":
					sp.Finished, sp.HasFinished = readInt(s)
				default:
					s.skip()
				}
			})
		case "metrics":
			readMetrics(s, &sp.Metrics, p)
		default:
			s.skip()
		}
		return true
	})
}

func readMetrics(s *scanner, m *metricsRec, problems *int) {
	readObject(s, problems, func(key []byte) {
		switch string(key) {
		case "prompt_tokens":
			m.PromptTokens = readOptNumber(s, problems)
		case "completion_tokens":
			m.CompletionTokens = readOptNumber(s, problems)
		case "reasoning_tokens":
			m.ReasoningTokens = readOptNumber(s, problems)
		case "cache_read_input_tokens":
			m.CacheReadInputTokens = readOptNumber(s, problems)
		case "cache_creation_input_tokens":
			m.CacheCreationInputTokens = readOptNumber(s, problems)
		case "cost":
			m.Cost = readOptNumber(s, problems)
		case "tokens_estimated":
			b, ok, bad := s.boolean()
			if bad {
				*problems++
			}
			m.TokensEstimated = optBool{V: b, Set: ok}
		default:
			s.skip()
		}
	})
}

func (d *decoder) readEvaluations(tr *traceRec) {
	s := &d.s
	if s.next() != kindArray {
		skipUnexpected(s, &tr.Problems)
		return
	}
	s.array(func() bool {
		if s.next() != kindObject {
			skipUnexpected(s, &tr.Problems)
			return true
		}
		tr.Evaluations = append(tr.Evaluations, readEvaluation(s, &tr.Problems))
		return true
	})
}

func readEvaluation(s *scanner, p *int) evalRec {
	var e evalRec
	s.object(func(key []byte) bool {
		switch string(key) {
		case "evaluation_id":
			e.EvaluationID = readStr(s, p)
		case "evaluator_id":
			e.EvaluatorID = readStr(s, p)
		case "span_id":
			e.SpanID = readStr(s, p)
		case "name":
			e.Name = readStr(s, p)
		case "type":
			e.Type = readStr(s, p)
		case "status":
			e.Status = readStr(s, p)
		case "label":
			e.Label = readStr(s, p)
		case "details":
			e.Details = readStr(s, p)
		case "is_guardrail":
			e.IsGuardrail = readBool(s, p)
		case "passed":
			e.Passed = readBool(s, p)
		case "score":
			e.Score = readNumber(s, p)
		case "error":
			e.Error = readError(s, p)
		case "inputs":
			e.Inputs = raw(s)
		case "timestamps":
			readObject(s, p, func(key []byte) {
				switch string(key) {
				case "inserted_at":
					e.Inserted, _ = readInt(s)
				case "started_at":
					e.Started, _ = readInt(s)
				case "finished_at":
					e.Finished, _ = readInt(s)
				case "updated_at":
					e.Updated, _ = readInt(s)
				default:
					s.skip()
				}
			})
		default:
			s.skip()
		}
		return true
	})
	return e
}

// readError reads an ErrorCapture; null, and a capture without has_error
// true, are no error. A bare string (the legacy spec's shape) is a message.
func readError(s *scanner, problems *int) *errorRec {
	switch s.next() {
	case kindNull:
		s.skip()
		return nil
	case kindString:
		if msg, _ := s.str(); msg != "" {
			return &errorRec{HasError: true, Message: msg}
		}
		return nil
	case kindObject:
	default:
		skipUnexpected(s, problems)
		return nil
	}
	e := &errorRec{}
	s.object(func(key []byte) bool {
		switch string(key) {
		case "has_error":
			if b := readBool(s, problems); b != nil {
				e.HasError = *b
			}
		case "message":
			e.Message = readStr(s, problems)
		case "stacktrace":
			if s.next() != kindArray {
				skipUnexpected(s, problems)
				return true
			}
			s.array(func() bool {
				e.Stacktrace = append(e.Stacktrace, readStr(s, problems))
				return true
			})
		default:
			s.skip()
		}
		return true
	})
	if !e.HasError {
		return nil
	}
	return e
}

// readObject calls each for every member of an object; null is nothing,
// another type a problem.
func readObject(s *scanner, problems *int, each func(key []byte)) {
	if s.next() != kindObject {
		skipUnexpected(s, problems)
		return
	}
	s.object(func(key []byte) bool {
		each(key)
		return true
	})
}

// readStr reads a string field; null is "", another type is kept as its
// JSON text and counted as a problem.
func readStr(s *scanner, problems *int) string {
	v, ok := s.str()
	if !ok {
		*problems++
	}
	return v
}

// readInt reads an integer (a decimal is truncated); ok is false for null,
// another type, or a number out of range.
func readInt(s *scanner) (int64, bool) {
	if s.next() != kindNumber {
		s.skip()
		return 0, false
	}
	n := s.raw()
	if v, ok := smallInt(n); ok {
		return v, true
	}
	if v, err := strconv.ParseInt(string(n), 10, 64); err == nil {
		return v, true
	}
	if f, err := strconv.ParseFloat(string(n), 64); err == nil && f >= math.MinInt64 && f < math.MaxInt64 {
		return int64(f), true
	}
	return 0, false
}

// smallInt reads a JSON integer of at most 18 digits (epoch
// milliseconds, counts) without strconv's generality; false for anything
// else, which strconv reads.
func smallInt(b []byte) (int64, bool) {
	neg := len(b) > 0 && b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 18 || (b[0] == '0' && len(b) > 1) {
		return 0, false
	}
	var v int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		v = v*10 + int64(c-'0')
	}
	if neg {
		v = -v
	}
	return v, true
}

// readNumber reads a number; nil for null, and for another type (a
// problem).
func readNumber(s *scanner, problems *int) *float64 {
	f, ok, bad := s.number()
	if bad {
		*problems++
	}
	if !ok {
		return nil
	}
	return &f
}

// readOptNumber is readNumber without the pointer.
func readOptNumber(s *scanner, problems *int) optFloat {
	f, ok, bad := s.number()
	if bad {
		*problems++
	}
	return optFloat{V: f, Set: ok}
}

// readBool reads a boolean; nil for null, and for another type (a
// problem).
func readBool(s *scanner, problems *int) *bool {
	b, ok, bad := s.boolean()
	if bad {
		*problems++
	}
	if !ok {
		return nil
	}
	return &b
}

// skipUnexpected skips a value of an unexpected type (a problem); null is
// no problem.
func skipUnexpected(s *scanner, problems *int) {
	if s.next() != kindNull {
		*problems++
	}
	s.skip()
}

// raw returns the next value's JSON text; nil for null.
func raw(s *scanner) []byte {
	if s.next() == kindNull {
		s.skip()
		return nil
	}
	return s.raw()
}

func snippet(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
