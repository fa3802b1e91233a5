package langwatchsim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"sync/atomic"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// LangWatch span types of the dataset's span kinds.
const (
	typeLLM       = "llm"
	typeTool      = "tool"
	typeAgent     = "agent"
	typeChain     = "chain"
	typeRAG       = "rag"
	typeGuardrail = "guardrail"
)

// spanType is the LangWatch type of a dataset span: LLM and embedding calls
// are llm spans, retrievals rag spans.
func spanType(k sim.SpanKind) string {
	switch k {
	case sim.KindLLM, sim.KindEmbedding:
		return typeLLM
	case sim.KindTool:
		return typeTool
	case sim.KindAgent:
		return typeAgent
	case sim.KindRetrieval:
		return typeRAG
	case sim.KindGuardrail:
		return typeGuardrail
	}
	return typeChain
}

// Delays the part adds (bounds, picked per trace from its ID).
const (
	// evaluations are scheduled this long after the root arrives...
	minEvalSchedule, maxEvalSchedule = 2 * time.Second, 6 * time.Second
	// ...start after this queueing delay...
	minEvalQueue, maxEvalQueue = 500 * time.Millisecond, 3 * time.Second
	// ...and take this long.
	minEvalRun, maxEvalRun = time.Second, 20 * time.Second
	// MaxEvaluationLag bounds how long after its root arrived a trace
	// still changes by an evaluation result.
	MaxEvaluationLag = maxEvalSchedule + maxEvalQueue + maxEvalRun
)

// legacyShare: every legacyEvery-th trace was sent by a legacy REST-collector
// SDK, with nanoid ids (trace_..., span_...) and the REST params shape.
const legacyEvery = 5

// traceInfo is what the part knows about one trace without generating it
// again: its ids, when each span arrives, its evaluations, and when the
// trace changes. It does not depend on the time, so it is computed once.
type traceInfo struct {
	i      int
	legacy bool
	id     string   // the trace_id LangWatch shows
	spans  []string // the span_id of each dataset span, in dataset order
	// arrival is when LangWatch holds each span: OTel SDKs export a span
	// when it ends, so a long-running root arrives when it ends.
	arrival []time.Time
	start   []time.Time // each span's start
	byArr   []int       // span indexes in arrival order
	evals   []evalInfo
	// changes are the instants the trace's record changes (span arrivals,
	// evaluation results), sorted: its updated_at at t is the last one.
	changes []time.Time
	// facts are what the search's filters are evaluated on.
	facts filterFacts
}

// evalInfo is one evaluation run of the trace.
type evalInfo struct {
	id, evaluatorID, name, typ string
	guardrail                  bool
	scheduled, started, done   time.Time
	status                     string // the final status: processed, skipped or error
	score                      float64
	passed                     bool
	label, details, errMsg     string
}

func newTraceInfo(tr *sim.Trace) *traceInfo {
	info := &traceInfo{
		i:       tr.Index,
		legacy:  tr.Index%legacyEvery == legacyEvery-2,
		spans:   make([]string, len(tr.Spans)),
		arrival: make([]time.Time, len(tr.Spans)),
		start:   make([]time.Time, len(tr.Spans)),
		byArr:   make([]int, len(tr.Spans)),
	}
	info.id = traceIDString(tr, info.legacy)
	info.facts = newFilterFacts(tr, info.legacy)
	for k := range tr.Spans {
		s := &tr.Spans[k]
		info.spans[k] = spanIDString(tr, s, info.legacy)
		info.arrival[k] = arrivalOf(s)
		info.start[k] = s.Start
		info.byArr[k] = k
	}
	slices.SortStableFunc(info.byArr, func(a, b int) int { return info.arrival[a].Compare(info.arrival[b]) })
	info.changes = append(info.changes, info.arrival...)
	info.evals = evaluationsOf(tr, info.arrival[0])
	for _, e := range info.evals {
		info.changes = append(info.changes, e.done)
	}
	slices.SortFunc(info.changes, func(a, b time.Time) int { return a.Compare(b) })
	return info
}

// arrivalOf is when LangWatch receives a span: its Visible time, or, for a
// root the dataset shows while it runs, its end plus the same export delay.
func arrivalOf(s *sim.Span) time.Time {
	if s.Visible.Before(s.End) {
		return s.End.Add(s.Visible.Sub(s.Start))
	}
	return s.Visible
}

func traceIDString(tr *sim.Trace, legacy bool) string {
	if legacy {
		return "trace_" + nanoid(tr.ID[:], "trace")
	}
	return hex.EncodeToString(tr.ID[:])
}

func spanIDString(tr *sim.Trace, s *sim.Span, legacy bool) string {
	if legacy {
		return "span_" + nanoid(append(tr.ID[:len(tr.ID):len(tr.ID)], s.ID[:]...), "span")
	}
	return hex.EncodeToString(s.ID[:])
}

// nanoid is a 21-character id in nanoid's alphabet derived from b.
func nanoid(b []byte, salt string) string {
	const alphabet = "useandom-26T198340PX75pxJACKVERYMINDBUSHWOLF_GQZbfghjklqvwyzrict"
	sum := sha256.Sum256(append([]byte(salt+"\x00"), b...))
	out := make([]byte, 21)
	for i := range out {
		out[i] = alphabet[sum[i]&63]
	}
	return string(out)
}

// The evaluators the simulated project runs on its traces.
var evaluators = []struct {
	id, name, typ string
	guardrail     bool
}{
	{"evaluator_7mQ2x", "Answer Relevancy", "ragas/response_relevancy", false},
	{"evaluator_Kp91z", "Faithfulness", "ragas/faithfulness", false},
	{"evaluator_Zt4Lw", "Moderation", "openai/moderation", true},
}

// evaluationsOf picks a trace's evaluations from its ID: 55% of the traces
// get one or two, scheduled a few seconds after the root arrived.
func evaluationsOf(tr *sim.Trace, rootArrival time.Time) []evalInfo {
	r := sim.Mix(binary.BigEndian.Uint64(tr.ID[8:]) ^ 0x5be0cd19137e2179)
	n := 0
	switch p := r % 100; {
	case p < 40:
		n = 1
	case p < 55:
		n = 2
	}
	evals := make([]evalInfo, 0, n)
	for j := range n {
		v := sim.Mix(r + uint64(j)*0x9e3779b97f4a7c15)
		ev := evaluators[(v>>8)%uint64(len(evaluators))]
		if j > 0 && ev.id == evals[0].evaluatorID {
			ev = evaluators[((v>>8)+1)%uint64(len(evaluators))]
		}
		e := evalInfo{id: "eval_" + nanoid(append(tr.ID[:len(tr.ID):len(tr.ID)], byte(j)), "eval"), evaluatorID: ev.id, name: ev.name, typ: ev.typ, guardrail: ev.guardrail}
		e.scheduled = rootArrival.Add(between(v>>16, minEvalSchedule, maxEvalSchedule)).Truncate(time.Millisecond)
		e.started = e.scheduled.Add(between(v>>24, minEvalQueue, maxEvalQueue)).Truncate(time.Millisecond)
		e.done = e.started.Add(between(v>>32, minEvalRun, maxEvalRun)).Truncate(time.Millisecond)
		switch p := (v >> 40) % 100; {
		case p < 10:
			e.status, e.errMsg = "error", "fetch failed"
		case p < 20:
			e.status, e.details = "skipped", "No contexts were found for this trace"
		default:
			e.status = "processed"
			e.score = math.Round(float64((v>>48)%1000)/1000*1e3) / 1e3
			e.passed = e.score >= 0.5
			if ev.guardrail {
				e.label = "flagged"
				if e.passed {
					e.label = "safe"
				}
			}
		}
		evals = append(evals, e)
	}
	return evals
}

// between maps v into [lo, hi] at millisecond resolution.
func between(v uint64, lo, hi time.Duration) time.Duration {
	span := uint64((hi - lo) / time.Millisecond)
	return lo + time.Duration(v%(span+1))*time.Millisecond
}

// exists reports whether LangWatch holds any span of the trace at t.
func (x *traceInfo) exists(t time.Time) bool { return !x.arrival[x.byArr[0]].After(t) }

// updated is the trace's last change at or before t (zero if none).
func (x *traceInfo) updated(t time.Time) time.Time {
	k := sortSearchTimes(x.changes, t)
	if k == 0 {
		return time.Time{}
	}
	return x.changes[k-1]
}

// inserted is when the first span arrived.
func (x *traceInfo) inserted() time.Time { return x.arrival[x.byArr[0]] }

// anchor is the trace's OccurredAt: the start of the first span it
// received (ADR-087), the axis of the occurred-date window.
func (x *traceInfo) anchor() time.Time { return x.start[x.byArr[0]] }

// startedAt is the earliest start of the spans held at t.
func (x *traceInfo) startedAt(t time.Time) time.Time {
	var m time.Time
	for k, a := range x.arrival {
		if !a.After(t) && (m.IsZero() || x.start[k].Before(m)) {
			m = x.start[k]
		}
	}
	return m
}

// sortSearchTimes is the number of times in ts (sorted) at or before t.
func sortSearchTimes(ts []time.Time, t time.Time) int {
	lo, hi := 0, len(ts)
	for lo < hi {
		m := (lo + hi) / 2
		if ts[m].After(t) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}

// index caches the traceInfo of every trace of a dataset, built lazily.
type index struct {
	data  *sim.Dataset
	infos []atomic.Pointer[traceInfo]
}

func newIndex(d *sim.Dataset) *index {
	return &index{data: d, infos: make([]atomic.Pointer[traceInfo], d.Len())}
}

func (x *index) info(i int) *traceInfo {
	if p := x.infos[i].Load(); p != nil {
		return p
	}
	tr := x.data.Trace(i)
	p := newTraceInfo(&tr)
	x.infos[i].Store(p)
	return p
}

// maxChangeLag bounds how long after its start a trace still changes.
const maxChangeLag = sim.MaxTraceLag + MaxEvaluationLag + time.Minute

// startedBetween returns the indices [lo, hi) of the traces that started
// in [from, to] among those started by now.
func (x *index) startedBetween(from, to, now time.Time) (int, int) {
	if now.Before(to) {
		to = now
	}
	hi := x.data.IndexAt(to)
	lo := x.data.IndexAt(from.Add(-time.Nanosecond))
	return min(lo, hi), hi
}

// byID finds a trace by its LangWatch id among those started by now.
func (x *index) byID(id string, now time.Time) (*traceInfo, bool) {
	n := x.data.IndexAt(now)
	if !x.legacyID(id) {
		raw, err := hex.DecodeString(id)
		if err != nil || len(raw) != 16 {
			return nil, false
		}
		// The trace ID is a UUIDv7: its first 48 bits are the start in ms.
		ms := int64(binary.BigEndian.Uint64(raw[0:8]) >> 16)
		at := time.UnixMilli(ms)
		lo, hi := x.startedBetween(at, at.Add(time.Millisecond), now)
		for i := lo; i < hi; i++ {
			if info := x.info(i); info.id == id {
				return info, true
			}
		}
		return nil, false
	}
	for i := range n {
		if info := x.info(i); info.id == id {
			return info, true
		}
	}
	return nil, false
}

func (x *index) legacyID(id string) bool { return len(id) > 6 && id[:6] == "trace_" }
