package promptlayersim

import (
	"encoding/binary"
	"slices"
	"sort"
	"sync/atomic"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// Request log and span row ids: PromptLayer's integer primary keys. The
// part derives them from the dataset position, so an id names its trace and
// span: id = base + trace index * idStride + span index (a trace has at
// most 31 spans).
const (
	requestIDBase = 40_000_000
	spanRowBase   = 7_000_000
	idStride      = 32
)

// RequestID is the id of the request log of span k of dataset trace i.
func RequestID(i, k int) int64 { return requestIDBase + int64(i)*idStride + int64(k) }

// Bounds of the delay after which PromptLayer has priced a request log
// (price is null until then; PromptLayer's SDKs poll up to about 5 s).
const (
	minPriceDelay = time.Second
	maxPriceDelay = 8 * time.Second
)

// Shape is the shape of GET /api/public/v2/traces/{trace_id} answers.
type Shape uint8

// The shapes PromptLayer's documents show.
const (
	// ShapeMixed serves each trace in one of the two shapes (by trace).
	ShapeMixed Shape = iota
	// ShapeSerializer is the first spec's (2026-03) serializer: {success,
	// spans} with per-span trace_id, start/end, context, kind, status,
	// attributes, resource, events and links.
	ShapeSerializer
	// ShapeExample is the current spec's example: {success, trace_id,
	// spans} with start_time/end_time (and the other members besides).
	ShapeExample
)

// ingest is how the application sent its spans to PromptLayer, which
// decides what the stored spans say.
type ingest uint8

const (
	// ingestOTel: OpenTelemetry GenAI instrumentation exported to
	// PromptLayer's OTLP endpoint; spans carry gen_ai.* attributes.
	ingestOTel ingest = iota
	// ingestSDK: PromptLayer's own SDK (traceable decorator, run()): spans
	// carry function_name/function_input/function_output, LLM spans
	// node_type and provider; the GenAI details live in the request logs.
	ingestSDK
)

// traceInfo is what the part needs to know about one dataset trace without
// generating it: how it was sent, its request logs and when each span and
// request log exists. It does not depend on the time.
type traceInfo struct {
	i        int
	id       [16]byte
	untraced bool
	shape    Shape
	ingest   ingest
	// appear is when PromptLayer holds each span (index k of the dataset
	// trace): once it has ended and its export has arrived.
	appear []time.Time
	logs   []logInfo // in dataset span order
	// tags and metadata are what PromptLayer lists with each request log
	// of the trace (tags_array; metadata as strings, the end user as
	// user_id), which filters are evaluated on.
	tags     []string
	metadata map[string]string
}

// logInfo is one request log: a traced LLM or embedding span, or an LLM
// call of an untraced trace.
type logInfo struct {
	id         int64
	k          int
	start, end time.Time
	visible    time.Time // when the request log exists
	pricedAt   time.Time // when its price is set
	in, out    int       // tokens
	cost       float64   // USD
	failed     bool
	// engine and provider are the request log's engine and provider_type.
	engine, provider string
}

// appearAt is when PromptLayer holds span s: PromptLayer stores exported
// spans, and spans are exported when they end.
func appearAt(s *sim.Span) time.Time {
	if s.End.After(s.Visible) {
		return s.End
	}
	return s.Visible
}

// isLog reports whether span s makes a request log: LLM and embedding calls
// of traced traces (PromptLayer derives request logs from GenAI spans);
// LLM calls only in untraced traces (the application logged its chat
// completions).
func isLog(s *sim.Span, untraced bool) bool {
	return s.Kind == sim.KindLLM || (s.Kind == sim.KindEmbedding && !untraced)
}

func (p *Part) newTraceInfo(tr *sim.Trace) *traceInfo {
	h := sim.Mix(uint64(tr.Index) ^ 0x5eed_0f_9a11)
	info := &traceInfo{i: tr.Index, id: tr.ID, appear: make([]time.Time, len(tr.Spans)), tags: tr.Tags, metadata: map[string]string{}}
	for _, m := range metadataList(tr) {
		for k, v := range m {
			info.metadata[k] = v
		}
	}
	info.untraced = unit(h) < p.untraced()
	info.shape = p.Shape
	if info.shape == ShapeMixed {
		info.shape = ShapeSerializer + Shape(h&1)
	}
	info.ingest = ingest(h >> 1 & 1)
	for k := range tr.Spans {
		s := &tr.Spans[k]
		info.appear[k] = appearAt(s)
		if !isLog(s, info.untraced) {
			continue
		}
		id := RequestID(tr.Index, k)
		delay := minPriceDelay + time.Duration(sim.Mix(uint64(id))%uint64(maxPriceDelay-minPriceDelay))
		info.logs = append(info.logs, logInfo{
			id: id, k: k, start: s.Start, end: s.End,
			visible:  info.appear[k],
			pricedAt: info.appear[k].Add(delay.Truncate(time.Millisecond)),
			in:       s.Usage.Input, out: s.Usage.Output, cost: s.Cost, failed: s.Error != nil,
			engine: s.Model, provider: providerType(s.Provider),
		})
	}
	return info
}

// log returns the request log of span k, or nil.
func (t *traceInfo) log(k int) *logInfo {
	for j := range t.logs {
		if t.logs[j].k == k {
			return &t.logs[j]
		}
	}
	return nil
}

// index caches the traceInfo of every trace of a dataset, built lazily.
type index struct {
	part  *Part
	data  *sim.Dataset
	infos []atomic.Pointer[traceInfo]
}

func newIndex(p *Part, d *sim.Dataset) *index {
	return &index{part: p, data: d, infos: make([]atomic.Pointer[traceInfo], d.Len())}
}

func (x *index) info(i int) *traceInfo {
	if p := x.infos[i].Load(); p != nil {
		return p
	}
	tr := x.data.Trace(i)
	p := x.part.newTraceInfo(&tr)
	x.infos[i].Store(p)
	return p
}

// logRef is one request log of the index.
type logRef struct {
	trace *traceInfo
	log   *logInfo
}

// requestLog finds a request log that exists at now.
func (x *index) requestLog(id int64, now time.Time) (logRef, bool) {
	if id < requestIDBase {
		return logRef{}, false
	}
	i, k := int((id-requestIDBase)/idStride), int((id-requestIDBase)%idStride)
	if i >= x.data.Len() || i >= x.data.IndexAt(now) {
		return logRef{}, false
	}
	info := x.info(i)
	l := info.log(k)
	if l == nil || l.visible.After(now) {
		return logRef{}, false
	}
	return logRef{info, l}, true
}

// trace finds the traced trace with a given id that PromptLayer holds at
// now (at least one span).
func (x *index) trace(id [16]byte, now time.Time) (*traceInfo, bool) {
	ms := int64(binary.BigEndian.Uint64(id[0:8]) >> 16)
	hi := x.data.IndexAt(now)
	i := sort.Search(hi, func(i int) bool { return x.data.StartOf(i).UnixMilli() >= ms })
	for ; i < hi && x.data.StartOf(i).UnixMilli() == ms; i++ {
		info := x.info(i)
		if info.id != id {
			continue
		}
		if info.untraced || !slices.ContainsFunc(info.appear, func(t time.Time) bool { return !t.After(now) }) {
			return nil, false
		}
		return info, true
	}
	return nil, false
}

// logs lists the request logs that exist at now and whose start lies in
// [from, to] (either bound may be zero: open), in index order.
func (x *index) logs(from, to, now time.Time, match func(logRef) bool) []logRef {
	lo, hi := 0, x.data.IndexAt(now)
	if !from.IsZero() {
		// A request log starts within its trace's first MaxTraceLag.
		lo = x.data.IndexAt(from.Add(-sim.MaxTraceLag))
	}
	if !to.IsZero() {
		hi = min(hi, x.data.IndexAt(to))
	}
	var out []logRef
	for i := lo; i < hi; i++ {
		info := x.info(i)
		for j := range info.logs {
			l := &info.logs[j]
			if l.visible.After(now) || (!from.IsZero() && l.start.Before(from)) || (!to.IsZero() && l.start.After(to)) {
				continue
			}
			if r := (logRef{info, l}); match(r) {
				out = append(out, r)
			}
		}
	}
	return out
}

// unit maps a hash to [0, 1).
func unit(h uint64) float64 { return float64(h>>11) / (1 << 53) }

// Census counts what a dataset is in PromptLayer once complete: request
// logs, the traced traces (each read at least once), and the request logs
// without a trace.
type Census struct {
	RequestLogs  int
	Traces       int
	UntracedLogs int
}

// Census counts d as this part serves it.
func (p *Part) Census(d *sim.Dataset) Census {
	var c Census
	for i := range d.Len() {
		tr := d.Trace(i)
		info := p.newTraceInfo(&tr)
		c.RequestLogs += len(info.logs)
		if info.untraced {
			c.UntracedLogs += len(info.logs)
		} else {
			c.Traces++
		}
	}
	return c
}
