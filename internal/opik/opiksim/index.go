package opiksim

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Opik span types.
const (
	typeGeneral   = "general"
	typeTool      = "tool"
	typeLLM       = "llm"
	typeGuardrail = "guardrail"
)

// spanType is the Opik type of a dataset span, as Opik's integrations
// write it: LLM and embedding calls are llm spans, tools and guardrails
// have their own type, everything else (agents, chains, retrievals) is
// general.
func spanType(k sim.SpanKind) string {
	switch k {
	case sim.KindLLM, sim.KindEmbedding:
		return typeLLM
	case sim.KindTool:
		return typeTool
	case sim.KindGuardrail:
		return typeGuardrail
	}
	return typeGeneral
}

// Bounds of the delays the part adds: creating a trace record after the
// root starts (low-level client flow), and updating a long-running root
// after it ends.
const (
	minWriteDelay = 200 * time.Millisecond
	maxWriteDelay = 3 * time.Second
)

// traceInfo is what the listings need to know about one trace without
// generating it: its ids, when its record exists and when its end is
// known, and when each span arrives. It does not depend on the time, so it
// is computed once per trace.
type traceInfo struct {
	i  int
	id [16]byte
	// created is when the trace record appears; ended when its end (end
	// time, output, error) is written; created <= ended.
	created, ended time.Time
	spans          []spanInfo // every span but the root, in dataset order
	// fields are what the filters parameter is evaluated on.
	fields filterFields
}

type spanInfo struct {
	uuid    [16]byte
	ms      int64 // the time inside uuid (the span start), Unix ms
	visible time.Time
	typ     string
}

// recordFlow is how the trace's record is written (see the package doc).
type recordFlow uint8

const (
	flowDecorator   recordFlow = iota // written once, complete, when the root is flushed
	flowClient                        // created at start, updated when the root's end is flushed
	flowLongRunning                   // created at start (the dataset shows it), updated after the end
)

func flowOf(tr *sim.Trace) recordFlow {
	root := tr.Root()
	switch {
	case root.Visible.Before(root.End):
		return flowLongRunning
	case tr.Index%3 == 0:
		return flowClient
	}
	return flowDecorator
}

func newTraceInfo(tr *sim.Trace) *traceInfo {
	root := tr.Root()
	info := &traceInfo{i: tr.Index, id: tr.ID, spans: make([]spanInfo, 0, len(tr.Spans)-1), fields: newFilterFields(tr)}
	switch flowOf(tr) {
	case flowLongRunning:
		info.created = root.Visible
		info.ended = root.End.Add(writeDelay(tr.ID[:], 1))
	case flowClient:
		info.created = root.Start.Add(writeDelay(tr.ID[:], 2))
		info.ended = root.Visible
		if info.ended.Before(info.created) {
			info.ended = info.created
		}
	default:
		info.created, info.ended = root.Visible, root.Visible
	}
	for k := 1; k < len(tr.Spans); k++ {
		s := &tr.Spans[k]
		u := sim.SpanUUIDv7(s)
		info.spans = append(info.spans, spanInfo{uuid: u, ms: s.Start.UnixMilli(), visible: s.Visible, typ: spanType(s.Kind)})
	}
	return info
}

// writeDelay is a deterministic delay in [minWriteDelay, maxWriteDelay]
// derived from an id.
func writeDelay(id []byte, salt uint64) time.Duration {
	v := sim.Mix(binary.BigEndian.Uint64(id[len(id)-8:]) ^ salt*0x9e3779b97f4a7c15)
	span := uint64((maxWriteDelay - minWriteDelay) / time.Millisecond)
	return minWriteDelay + time.Duration(v%(span+1))*time.Millisecond
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

// msAt is trace i's id time in Unix milliseconds.
func (x *index) msAt(i int) int64 { return x.data.StartOf(i).UnixMilli() }

// traceRange returns the indices [lo, hi) of the traces started by now
// whose id time lies within the request's window (millisecond precision,
// both ends inclusive).
func (x *index) traceRange(req request, now time.Time) (int, int) {
	hi := x.data.IndexAt(now)
	lo := 0
	if req.hasFrom {
		from := req.from.UnixMilli()
		lo = sort.Search(hi, func(i int) bool { return x.msAt(i) >= from })
	}
	if req.hasTo {
		to := req.to.UnixMilli()
		hi = lo + sort.Search(hi-lo, func(k int) bool { return x.msAt(lo+k) > to })
	}
	return lo, hi
}

// traceByID finds the trace with a given id among those started by now.
func (x *index) traceByID(id [16]byte, now time.Time) (int, bool) {
	ms := int64(binary.BigEndian.Uint64(id[0:8]) >> 16)
	hi := x.data.IndexAt(now)
	i := sort.Search(hi, func(i int) bool { return x.msAt(i) >= ms })
	for ; i < hi && x.msAt(i) == ms; i++ {
		if x.info(i).id == id {
			return i, true
		}
	}
	return 0, false
}

// tracesAt lists the traces of the window whose record exists at now,
// newest id first.
func (x *index) tracesAt(req request, now time.Time) []*traceInfo {
	lo, hi := x.traceRange(req, now)
	out := make([]*traceInfo, 0, hi-lo)
	for i := hi - 1; i >= lo; i-- {
		if info := x.info(i); !info.created.After(now) {
			out = append(out, info)
		}
	}
	slices.SortStableFunc(out, func(a, b *traceInfo) int { return bytes.Compare(b.id[:], a.id[:]) })
	return out
}

// spanRef is one listed span: its trace and its position in the trace's
// spans (root excluded).
type spanRef struct {
	trace *traceInfo
	k     int
}

func (r spanRef) uuid() *[16]byte { return &r.trace.spans[r.k].uuid }

// spansAt lists the spans the vendor holds at now that match the request
// (window on the time inside the span id, trace_id, type), newest id first.
func (x *index) spansAt(req request, now time.Time) []spanRef {
	var lo, hi int
	if req.hasTrace {
		i, ok := x.traceByID(req.traceID, now)
		if !ok {
			return nil
		}
		lo, hi = i, i+1
	} else {
		// Spans start within their trace's first MaxTraceLag.
		wide := req
		if req.hasFrom {
			wide.from = req.from.Add(-sim.MaxTraceLag)
		}
		lo, hi = x.traceRange(wide, now)
	}
	var fromMs, toMs int64 = 0, 1<<63 - 1
	if req.hasFrom {
		fromMs = req.from.UnixMilli()
	}
	if req.hasTo {
		toMs = req.to.UnixMilli()
	}
	var out []spanRef
	for i := lo; i < hi; i++ {
		info := x.info(i)
		for k := range info.spans {
			s := &info.spans[k]
			if s.visible.After(now) || s.ms < fromMs || s.ms > toMs || (req.spanType != "" && s.typ != req.spanType) {
				continue
			}
			out = append(out, spanRef{info, k})
		}
	}
	slices.SortFunc(out, func(a, b spanRef) int { return bytes.Compare(b.uuid()[:], a.uuid()[:]) })
	return out
}

// uuidString writes a UUID in its canonical dashed form.
func uuidString(u [16]byte) string {
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:], u[10:])
	return string(b[:])
}

func parseUUID(s string) ([16]byte, bool) { return convert.UUIDBytes(s) }
