package langsmithsim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"slices"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// When runs exist. LangSmith's SDKs create a run (POST) when it starts and
// patch it (PATCH) when it ends; the batch tracer merges the two when both
// are queued together. So:
//
//   - a run that lasts at least earlyPostAfter is created a moment after its
//     start (PENDING, end_time null, no outputs) and patched at its end's
//     arrival (the dataset's Visible): it is seen before it ends and changes
//     after first sight;
//   - a shorter run arrives once, complete, at its Visible time;
//   - a late export batch (the dataset's late spans) arrives complete, late;
//   - a long-running root is created when the dataset shows it (its Visible,
//     before its end) and patched at its end;
//   - traces ingested over OTLP (otelIngested) arrive span by span, complete,
//     when each span is exported: OTel exports ended spans only.
const (
	earlyPostAfter = time.Second
	minPostDelay   = 100 * time.Millisecond
	maxPostDelay   = time.Second
)

// traceInfo is what the listings need to know about one trace without
// rendering it: ids, thread, and when each run is created and patched. It
// does not depend on the time, so it is computed once per trace.
type traceInfo struct {
	i      int
	id     [16]byte // the trace UUID
	start  time.Time
	otel   bool
	thread string // the thread id as LangSmith shows it; "" for none
	runs   []runInfo
}

type runInfo struct {
	uuid    [16]byte
	start   time.Time
	posted  time.Time // the run exists (PENDING until patched)
	patched time.Time // its end, outputs and status are known
}

// root is the root run's info (runs[0]).
func (t *traceInfo) root() *runInfo { return &t.runs[0] }

// otelIngested reports whether a trace was ingested over OTLP (one trace in
// seven): its run UUIDs are 8 zero bytes and the span id, its metadata
// carries OTEL_TRACE_ID and OTEL_SPAN_ID.
func otelIngested(id [16]byte) bool { return sim.Mix(binary.BigEndian.Uint64(id[8:]))%7 == 3 }

func newTraceInfo(tr *sim.Trace) *traceInfo {
	info := &traceInfo{i: tr.Index, id: tr.ID, start: tr.Spans[0].Start, otel: otelIngested(tr.ID), thread: threadID(tr.ThreadID)}
	info.runs = make([]runInfo, len(tr.Spans))
	for k := range tr.Spans {
		s := &tr.Spans[k]
		ri := runInfo{uuid: runUUID(tr, s, info.otel), start: s.Start, posted: s.Visible, patched: s.Visible}
		switch {
		case s.Visible.Before(s.End): // a long-running root
			ri.patched = s.End
		case !info.otel && !isLate(s) && s.End.Sub(s.Start) >= earlyPostAfter:
			if at := s.Start.Add(postDelay(s.ID)); at.Before(s.Visible) {
				ri.posted = at
			}
		}
		info.runs[k] = ri
	}
	return info
}

// isLate reports a late export batch: a span that reaches the vendor well
// after it ended.
func isLate(s *sim.Span) bool { return s.Visible.Sub(s.End) > 10*time.Second }

// postDelay is a deterministic delay in [minPostDelay, maxPostDelay].
func postDelay(id pcommon.SpanID) time.Duration {
	v := sim.Mix(binary.BigEndian.Uint64(id[:]) ^ 0x51ed27)
	span := uint64((maxPostDelay - minPostDelay) / time.Millisecond)
	return minPostDelay + time.Duration(v%(span+1))*time.Millisecond
}

// runUUID is a run's id. The root's is the trace's UUID (LangSmith: a root
// run's id is its trace id). Others are UUIDv7 of the run's start: its
// milliseconds, version 7, 12 bits derived from the span, then the dataset
// span ID as the last 8 bytes (dataset span IDs carry the variant bits 10),
// so the receiver's "last 8 bytes" gives the dataset ID back. Runs of
// OTLP-ingested traces are 8 zero bytes and the span id, as LangSmith's
// ingest builds them.
func runUUID(tr *sim.Trace, s *sim.Span, otel bool) [16]byte {
	var u [16]byte
	switch {
	case otel:
		copy(u[8:], s.ID[:])
	case s.IsRoot():
		u = tr.ID
	default:
		u = sim.SpanUUIDv7(s)
	}
	return u
}

// threadID is how the application named the dataset's thread: LangSmith
// takes any string. One thread in three is a UUID, one a path-like string
// with a slash and a space (to be escaped in the thread's URL), the rest
// as the dataset has it.
func threadID(dataset string) string {
	if dataset == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("langsmithsim thread\x00" + dataset))
	switch sum[0] % 3 {
	case 0:
		var u [16]byte
		copy(u[:], sum[1:17])
		u[6] = 0x40 | u[6]&0x0f
		u[8] = 0x80 | u[8]&0x3f
		return uuidString(u)
	case 1:
		return "support/" + hex.EncodeToString(sum[1:9]) + " chat"
	}
	return dataset
}

// threadKey is the metadata key that made the trace part of its thread:
// LangSmith groups runs by session_id, thread_id or conversation_id.
func threadKey(thread string) string {
	sum := sha256.Sum256([]byte("langsmithsim key\x00" + thread))
	return [...]string{"thread_id", "session_id", "conversation_id"}[sum[0]%3]
}

// index caches the traceInfo of every trace of a dataset, built lazily, and
// the traces of each thread.
type index struct {
	data  *sim.Dataset
	infos []atomic.Pointer[traceInfo]

	mu sync.Mutex
	// threads maps a thread id to its traces' indices, in start order, for
	// the traces [0, scanned).
	threads map[string][]int
	scanned int
}

func newIndex(d *sim.Dataset) *index {
	return &index{data: d, infos: make([]atomic.Pointer[traceInfo], d.Len()), threads: map[string][]int{}}
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

// startRange returns the indices [lo, hi) of the traces started by now
// whose root start lies in [from, to] (a zero bound is open).
func (x *index) startRange(from, to, now time.Time) (int, int) {
	hi := x.data.IndexAt(now)
	lo := 0
	if !from.IsZero() {
		lo = sort.Search(hi, func(i int) bool { return !x.data.StartOf(i).Before(from) })
	}
	if !to.IsZero() {
		hi = lo + sort.Search(hi-lo, func(k int) bool { return x.data.StartOf(lo + k).After(to) })
	}
	return lo, hi
}

// byID finds the trace with a given UUID among those started by now.
func (x *index) byID(id [16]byte, now time.Time) (*traceInfo, bool) {
	if t, ok := convert.UUIDv7Time(uuidString(id)); ok {
		lo, hi := x.startRange(t, t.Add(time.Millisecond), now)
		for i := lo; i < hi; i++ {
			if info := x.info(i); info.id == id {
				return info, true
			}
		}
	}
	return nil, false
}

// threadTraces returns the indices of a thread's traces started by now.
func (x *index) threadTraces(thread string, now time.Time) []int {
	n := x.data.IndexAt(now)
	x.mu.Lock()
	defer x.mu.Unlock()
	for ; x.scanned < n; x.scanned++ {
		if th := x.info(x.scanned).thread; th != "" {
			x.threads[th] = append(x.threads[th], x.scanned)
		}
	}
	all := x.threads[thread]
	k := sort.SearchInts(all, n)
	return slices.Clone(all[:k])
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

// derivedUUID is a UUIDv4-shaped id derived from a label, for the ids the
// simulated LangSmith gives (projects, workspaces, price models).
func derivedUUID(label string) string {
	sum := sha256.Sum256([]byte("langsmithsim\x00" + label))
	var u [16]byte
	copy(u[:], sum[:16])
	u[6] = 0x40 | u[6]&0x0f
	u[8] = 0x80 | u[8]&0x3f
	return uuidString(u)
}

// ProjectID is the id the simulated LangSmith gives the project named
// name.
func ProjectID(name string) string { return derivedUUID("project\x00" + name) }

// WorkspaceID is the workspace UUID the simulated LangSmith gives the
// workspace named name (sent as X-Tenant-Id).
func WorkspaceID(name string) string { return derivedUUID("workspace\x00" + name) }
