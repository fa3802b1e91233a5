package langsmith

import (
	"fmt"
	"strconv"

	jsoniter "github.com/json-iterator/go"
)

// jsonAPI provides pooled iterators for decoding API answers.
var jsonAPI = jsoniter.ConfigFastest

// run is one v2 Run (query.RunResponse) as GET /api/v2/traces/{id}/runs
// returns it, with the fields the conversion selects. Fields with their own
// mapping are decoded here; the JSON blobs (inputs, outputs, extra,
// metadata, event kwargs) stay raw and are decoded straight into attributes
// by the conversion.
type run struct {
	ID, TraceID, Name, RunType, Status string
	StartTime, EndTime, FirstTokenTime string // "" when null or absent
	Error                              string
	DottedOrder, ThreadID              string
	ReferenceExampleID                 string
	ReferenceDatasetID                 string

	ParentRunIDs []string
	Tags         []string
	Events       []runEvent

	Inputs, Outputs, Extra, Metadata []byte // raw JSON; nil when absent or null

	PromptTokens, CompletionTokens, TotalTokens number
	PromptCost, CompletionCost, TotalCost       number
	// Token and cost details: the members of their "raw" maps.
	PromptTokenDetails, CompletionTokenDetails []detail
	PromptCostDetails, CompletionCostDetails   []detail

	// Problems counts fields that had an unexpected JSON type; each is a
	// conversion warning.
	Problems int
}

// runEvent is one entry of a run's events.
type runEvent struct {
	Name, Time string
	Kwargs     []byte // raw JSON object, nil when absent
}

// number is a JSON number that may be absent; v1 answers send costs as
// decimal strings, which are read too.
type number struct {
	V   float64
	Set bool
}

// detail is one category of a *_details.raw map.
type detail struct {
	Key string
	V   float64
}

// runsPage is the answer of GET /api/v2/traces/{trace_id}/runs: {items}.
type runsPage struct {
	Items []run
}

// decodeRuns decodes a runs answer.
func decodeRuns(body []byte) (runsPage, error) {
	var p runsPage
	var arena []byte
	iter := jsonAPI.BorrowIterator(body)
	defer jsonAPI.ReturnIterator(iter)
	if iter.WhatIsNext() != jsoniter.ObjectValue {
		return p, fmt.Errorf("unexpected answer: want a JSON object, got %q", snippet(body))
	}
	iter.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		if key != "items" || it.WhatIsNext() != jsoniter.ArrayValue {
			it.Skip()
			return it.Error == nil
		}
		it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
			if it.WhatIsNext() != jsoniter.ObjectValue {
				it.Skip()
				return it.Error == nil
			}
			p.Items = append(p.Items, run{})
			readRun(it, &p.Items[len(p.Items)-1], &arena)
			return it.Error == nil
		})
		return it.Error == nil
	})
	if iter.Error != nil {
		return p, fmt.Errorf("malformed JSON answer: %w", iter.Error)
	}
	return p, nil
}

// readRun decodes one Run object. Raw JSON values are copied into arena,
// which saves an allocation per value. Members the conversion does not use
// (those a server sends without being asked) are skipped.
func readRun(it *jsoniter.Iterator, r *run, arena *[]byte) {
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		switch key {
		case "id":
			r.ID = r.str(it)
		case "trace_id":
			r.TraceID = r.str(it)
		case "name":
			r.Name = r.str(it)
		case "run_type":
			r.RunType = r.str(it)
		case "status":
			r.Status = r.str(it)
		case "start_time":
			r.StartTime = r.str(it)
		case "end_time":
			r.EndTime = r.str(it)
		case "first_token_time":
			r.FirstTokenTime = r.str(it)
		case "error":
			r.Error = r.str(it)
		case "dotted_order":
			r.DottedOrder = r.str(it)
		case "thread_id":
			r.ThreadID = r.str(it)
		case "reference_example_id":
			r.ReferenceExampleID = r.str(it)
		case "reference_dataset_id":
			r.ReferenceDatasetID = r.str(it)
		case "parent_run_ids":
			r.ParentRunIDs = r.strings(it)
		case "tags":
			r.Tags = r.strings(it)
		case "events":
			r.readEvents(it, arena)
		case "inputs":
			r.Inputs = r.object(it, arena)
		case "outputs":
			r.Outputs = r.object(it, arena)
		case "extra":
			r.Extra = r.object(it, arena)
		case "metadata":
			r.Metadata = r.object(it, arena)
		case "prompt_tokens":
			r.PromptTokens = r.number(it)
		case "completion_tokens":
			r.CompletionTokens = r.number(it)
		case "total_tokens":
			r.TotalTokens = r.number(it)
		case "prompt_cost":
			r.PromptCost = r.number(it)
		case "completion_cost":
			r.CompletionCost = r.number(it)
		case "total_cost":
			r.TotalCost = r.number(it)
		case "prompt_token_details":
			r.PromptTokenDetails = r.details(it)
		case "completion_token_details":
			r.CompletionTokenDetails = r.details(it)
		case "prompt_cost_details":
			r.PromptCostDetails = r.details(it)
		case "completion_cost_details":
			r.CompletionCostDetails = r.details(it)
		default:
			it.Skip()
		}
		return it.Error == nil
	})
}

// str reads a string field; null is "", another type is kept as its JSON
// text and counted as a problem.
func (r *run) str(it *jsoniter.Iterator) string {
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

// strings reads an array of strings; other elements are problems.
func (r *run) strings(it *jsoniter.Iterator) []string {
	if it.WhatIsNext() != jsoniter.ArrayValue {
		r.skipUnexpected(it)
		return nil
	}
	var out []string
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.StringValue {
			r.skipUnexpected(it)
			return it.Error == nil
		}
		out = append(out, it.ReadString())
		return true
	})
	return out
}

// object returns the raw JSON of an object member (inputs, outputs, extra,
// metadata); null is nil, another type is kept as it is and counted.
func (r *run) object(it *jsoniter.Iterator, arena *[]byte) []byte {
	switch it.WhatIsNext() {
	case jsoniter.ObjectValue:
	case jsoniter.NilValue:
		it.ReadNil()
		return nil
	default:
		r.Problems++
	}
	return rawValue(it, arena)
}

// number reads a count or a cost: a JSON number, or a decimal string (v1).
func (r *run) number(it *jsoniter.Iterator) number {
	switch it.WhatIsNext() {
	case jsoniter.NumberValue:
		if f, err := strconv.ParseFloat(string(it.ReadNumber()), 64); err == nil {
			return number{V: f, Set: true}
		}
		r.Problems++
	case jsoniter.StringValue:
		if f, err := strconv.ParseFloat(it.ReadString(), 64); err == nil {
			return number{V: f, Set: true}
		}
		r.Problems++
	default:
		r.skipUnexpected(it)
	}
	return number{}
}

// details reads {"raw": {category: number}}; a flat map (the shape of the
// thread summaries) is accepted too.
func (r *run) details(it *jsoniter.Iterator) []detail {
	if it.WhatIsNext() != jsoniter.ObjectValue {
		r.skipUnexpected(it)
		return nil
	}
	var out []detail
	it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		if key == "raw" && it.WhatIsNext() == jsoniter.ObjectValue {
			it.ReadMapCB(func(it *jsoniter.Iterator, cat string) bool {
				if n := r.number(it); n.Set {
					out = append(out, detail{Key: cat, V: n.V})
				}
				return it.Error == nil
			})
			return it.Error == nil
		}
		if it.WhatIsNext() == jsoniter.NumberValue {
			if n := r.number(it); n.Set {
				out = append(out, detail{Key: key, V: n.V})
			}
			return it.Error == nil
		}
		r.skipUnexpected(it)
		return it.Error == nil
	})
	return out
}

// readEvents reads events [{name, time, kwargs}].
func (r *run) readEvents(it *jsoniter.Iterator, arena *[]byte) {
	if it.WhatIsNext() != jsoniter.ArrayValue {
		r.skipUnexpected(it)
		return
	}
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.ObjectValue {
			r.skipUnexpected(it)
			return it.Error == nil
		}
		var ev runEvent
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch key {
			case "name":
				ev.Name = r.str(it)
			case "time":
				ev.Time = r.str(it)
			case "kwargs":
				ev.Kwargs = r.object(it, arena)
			default:
				it.Skip()
			}
			return it.Error == nil
		})
		r.Events = append(r.Events, ev)
		return it.Error == nil
	})
}

func (r *run) skipUnexpected(it *jsoniter.Iterator) {
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

func snippet(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
