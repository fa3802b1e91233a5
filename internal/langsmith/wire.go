package langsmith

import (
	"fmt"

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

// decodeRuns decodes a runs answer. Raw JSON values (inputs, outputs,
// extra, metadata, kwargs) are slices of body.
func decodeRuns(body []byte) (runsPage, error) { return decodeRunsInto(body, nil) }

// decodeRunsInto is decodeRuns appending to dst[:0]: a source reads one
// trace's runs at a time, converts them, and reuses the slice (a run is
// large; most of the decoder's allocation was growing new slices).
func decodeRunsInto(body []byte, dst []run) (runsPage, error) {
	p := runsPage{Items: dst[:0]}
	sc := &scanner{b: body}
	if sc.next() != '{' {
		return p, fmt.Errorf("unexpected answer: want a JSON object, got %q", snippet(body))
	}
	sc.object(func(key []byte) bool {
		if string(key) != "items" || sc.next() != '[' {
			sc.skip()
			return true
		}
		return sc.array(func() bool {
			if sc.next() != '{' {
				sc.skip()
				return true
			}
			p.Items = append(p.Items, run{})
			return readRun(sc, &p.Items[len(p.Items)-1])
		})
	})
	if sc.err == nil && sc.next() != 0 {
		sc.fail("data after the answer")
	}
	if sc.err != nil {
		return p, fmt.Errorf("malformed JSON answer: %w", sc.err)
	}
	return p, nil
}

// readRun decodes one Run object. Members the conversion does not use
// (those a server sends without being asked) are skipped.
func readRun(sc *scanner, r *run) bool {
	return sc.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			r.ID = r.str(sc)
		case "trace_id":
			r.TraceID = r.str(sc)
		case "name":
			r.Name = r.str(sc)
		case "run_type":
			r.RunType = r.str(sc)
		case "status":
			r.Status = r.str(sc)
		case "start_time":
			r.StartTime = r.str(sc)
		case "end_time":
			r.EndTime = r.str(sc)
		case "first_token_time":
			r.FirstTokenTime = r.str(sc)
		case "error":
			r.Error = r.str(sc)
		case "dotted_order":
			r.DottedOrder = r.str(sc)
		case "thread_id":
			r.ThreadID = r.str(sc)
		case "reference_example_id":
			r.ReferenceExampleID = r.str(sc)
		case "reference_dataset_id":
			r.ReferenceDatasetID = r.str(sc)
		case "parent_run_ids":
			r.ParentRunIDs = r.strings(sc)
		case "tags":
			r.Tags = r.strings(sc)
		case "events":
			r.readEvents(sc)
		case "inputs":
			r.Inputs = r.object(sc)
		case "outputs":
			r.Outputs = r.object(sc)
		case "extra":
			r.Extra = r.object(sc)
		case "metadata":
			r.Metadata = r.object(sc)
		default:
			r.readUsage(sc, key)
		}
		return sc.err == nil
	})
}

// readUsage reads the token and cost members of a run; other members are
// skipped.
func (r *run) readUsage(sc *scanner, key []byte) {
	switch string(key) {
	case "prompt_tokens":
		r.PromptTokens = r.number(sc)
	case "completion_tokens":
		r.CompletionTokens = r.number(sc)
	case "total_tokens":
		r.TotalTokens = r.number(sc)
	case "prompt_cost":
		r.PromptCost = r.number(sc)
	case "completion_cost":
		r.CompletionCost = r.number(sc)
	case "total_cost":
		r.TotalCost = r.number(sc)
	case "prompt_token_details":
		r.PromptTokenDetails = r.details(sc)
	case "completion_token_details":
		r.CompletionTokenDetails = r.details(sc)
	case "prompt_cost_details":
		r.PromptCostDetails = r.details(sc)
	case "completion_cost_details":
		r.CompletionCostDetails = r.details(sc)
	default:
		sc.skip()
	}
}

// str reads a string field; null is "", another type is kept as its JSON
// text and counted as a problem.
func (r *run) str(sc *scanner) string {
	v, unexpected := sc.str()
	if unexpected {
		r.Problems++
	}
	return v
}

// strings reads an array of strings; other elements are problems.
func (r *run) strings(sc *scanner) []string {
	if sc.next() != '[' {
		r.skipUnexpected(sc)
		return nil
	}
	var out []string
	sc.array(func() bool {
		if sc.next() != '"' {
			r.skipUnexpected(sc)
			return true
		}
		out = append(out, r.str(sc))
		return true
	})
	return out
}

// object returns the raw JSON of an object member (inputs, outputs, extra,
// metadata); null is nil, another type is kept as it is and counted.
func (r *run) object(sc *scanner) []byte {
	switch sc.next() {
	case '{':
	case 'n':
		sc.literal("null")
		return nil
	default:
		r.Problems++
	}
	return sc.skip()
}

// number reads a count or a cost: a JSON number, or a decimal string (v1).
func (r *run) number(sc *scanner) number {
	n, unexpected := sc.number()
	if unexpected {
		r.Problems++
	}
	return n
}

// details reads {"raw": {category: number}}; a flat map (the shape of the
// thread summaries) is accepted too.
func (r *run) details(sc *scanner) []detail {
	if sc.next() != '{' {
		r.skipUnexpected(sc)
		return nil
	}
	var out []detail
	sc.object(func(key []byte) bool {
		switch c := sc.next(); {
		case string(key) == "raw" && c == '{':
			sc.object(func(cat []byte) bool {
				if n := r.number(sc); n.Set {
					out = append(out, detail{Key: unescape(cat), V: n.V})
				}
				return true
			})
		case c == '-' || c >= '0' && c <= '9':
			if n := r.number(sc); n.Set {
				out = append(out, detail{Key: unescape(key), V: n.V})
			}
		default:
			r.skipUnexpected(sc)
		}
		return true
	})
	return out
}

// readEvents reads events [{name, time, kwargs}].
func (r *run) readEvents(sc *scanner) {
	if sc.next() != '[' {
		r.skipUnexpected(sc)
		return
	}
	sc.array(func() bool {
		if sc.next() != '{' {
			r.skipUnexpected(sc)
			return true
		}
		var ev runEvent
		sc.object(func(key []byte) bool {
			switch string(key) {
			case "name":
				ev.Name = r.str(sc)
			case "time":
				ev.Time = r.str(sc)
			case "kwargs":
				ev.Kwargs = r.object(sc)
			default:
				sc.skip()
			}
			return true
		})
		r.Events = append(r.Events, ev)
		return true
	})
}

// skipUnexpected skips a value of an unexpected type (a problem; null is
// none).
func (r *run) skipUnexpected(sc *scanner) {
	if sc.next() == 'n' {
		sc.literal("null")
		return
	}
	r.Problems++
	sc.skip()
}

func snippet(b []byte) string {
	if len(b) > 64 {
		b = b[:64]
	}
	return string(b)
}
