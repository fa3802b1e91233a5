package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"
)

// checkpointVersion is the stored layout. Version 1 (no ledger coverage, no
// pending traces, segments counted from 0) is still read.
const checkpointVersion = 2

// CheckpointKey is the storage key of a source's checkpoint head; the
// emitted-span ledger lives in segments "<key>/emitted/<n>".
func CheckpointKey(vendor, scope string) string { return vendor + "/" + scope }

func segmentKey(key string, n int) string { return key + "/emitted/" + strconv.Itoa(n) }

// errCorrupt marks a checkpoint that was read but cannot be used.
var errCorrupt = errors.New("corrupt checkpoint")

// head is the stored checkpoint without the ledger.
type head struct {
	Version     int       `json:"version"`
	Fingerprint string    `json:"fingerprint"`
	Paging      string    `json:"paging,omitempty"`
	Watermark   time.Time `json:"watermark"`
	// Covers is where the ledger starts: it knows every span emitted for a
	// trace whose Time is at or after it. No query starts before it.
	Covers time.Time   `json:"covers,omitzero"`
	Query  *queryState `json:"query,omitempty"`
	// Pending are the traces seen but not yet emitted whole.
	Pending []pendingEntry `json:"pending,omitempty"`
	// Segments are the ledger segments in storage; NextSegment numbers the
	// next one (numbers are never reused, even after a failed write).
	Segments    []int `json:"segments"`
	NextSegment int   `json:"next_segment"`
}

// queryState is a query that a page cap or a crash interrupted.
type queryState struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Token string    `json:"token"`
	// PendingMin is the earliest Time of a trace seen but not yet emitted
	// in this query; zero if none.
	PendingMin time.Time `json:"pending_min,omitzero"`
	// Newest is the latest Time of a trace of the window seen in this
	// query; zero if none. The watermark moves to it, not to the window's
	// end: a watermark follows the data, never the local clock.
	Newest time.Time `json:"newest,omitzero"`
}

// pendingEntry is a stored pending trace: hex ID, time on the source axis
// and when the receiver first saw it (local clock), both unix ns.
type pendingEntry struct {
	ID    string `json:"id"`
	Key   string `json:"k,omitempty"`
	Time  int64  `json:"t"`
	First int64  `json:"f"`
}

// ledgerEntry is one trace's emitted spans as stored: hex trace ID, time on
// the source axis (unix ns) and the concatenated 8-byte span IDs in base64.
type ledgerEntry struct {
	ID    string `json:"id"`
	Time  int64  `json:"t"`
	Spans string `json:"s"`
}

// state is a source's checkpoint in memory.
type state struct {
	watermark time.Time // zero: no checkpoint yet
	covers    time.Time
	query     *queryState
	emitted   ledger
	pending   map[pcommon.TraceID]*pendingTrace
	// unsaved holds what was emitted but is not stored yet (a write
	// failed); the next write carries it.
	unsaved     ledger
	segments    []int
	nextSegment int
}

func newState() *state {
	return &state{emitted: ledger{}, pending: map[pcommon.TraceID]*pendingTrace{}, unsaved: ledger{}}
}

// pendingTrace is a trace seen but not yet emitted whole.
type pendingTrace struct {
	key   string    // the vendor's ID, for a Refresher
	time  time.Time // on the source axis
	first time.Time // when the receiver first saw it, local clock
}

// ledger records which spans were emitted, per trace.
type ledger map[pcommon.TraceID]*emittedTrace

type emittedTrace struct {
	time  time.Time
	spans map[pcommon.SpanID]struct{}
}

func (e *emittedTrace) has(id pcommon.SpanID) bool {
	_, ok := e.spans[id]
	return ok
}

// add records spans of trace id at time t.
func (l ledger) add(id pcommon.TraceID, t time.Time, spans ...pcommon.SpanID) {
	e := l[id]
	if e == nil {
		e = &emittedTrace{time: t, spans: make(map[pcommon.SpanID]struct{}, len(spans))}
		l[id] = e
	} else if t.After(e.time) {
		e.time = t
	}
	for _, s := range spans {
		e.spans[s] = struct{}{}
	}
}

// merge adds another ledger's spans.
func (l ledger) merge(other ledger) {
	for id, o := range other {
		e := l[id]
		if e == nil {
			e = &emittedTrace{time: o.time, spans: make(map[pcommon.SpanID]struct{}, len(o.spans))}
			l[id] = e
		} else if o.time.After(e.time) {
			e.time = o.time
		}
		for s := range o.spans {
			e.spans[s] = struct{}{}
		}
	}
}

// prune forgets traces whose time is before cutoff, but those keep says to
// keep.
func (l ledger) prune(cutoff time.Time, keep func(pcommon.TraceID, time.Time) bool) {
	for id, e := range l {
		if e.time.Before(cutoff) && (keep == nil || !keep(id, e.time)) {
			delete(l, id)
		}
	}
}

func (l ledger) spanCount() int {
	n := 0
	for _, e := range l {
		n += len(e.spans)
	}
	return n
}

func (l ledger) encode() ([]byte, error) {
	entries := make([]ledgerEntry, 0, len(l))
	for id, e := range l {
		raw := make([]byte, 0, 8*len(e.spans))
		for s := range e.spans {
			raw = append(raw, s[:]...)
		}
		entries = append(entries, ledgerEntry{ID: id.String(), Time: e.time.UnixNano(), Spans: base64.StdEncoding.EncodeToString(raw)})
	}
	return json.Marshal(entries)
}

func decodeLedger(data []byte, into ledger) error {
	var entries []ledgerEntry
	if err := json.Unmarshal(data, &entries); err != nil {
		return err
	}
	part := ledger{}
	for _, en := range entries {
		id, err := parseTraceID(en.ID)
		if err != nil {
			return err
		}
		raw, err := base64.StdEncoding.DecodeString(en.Spans)
		if err != nil || len(raw)%8 != 0 {
			return fmt.Errorf("invalid span list for trace %s", en.ID)
		}
		spans := make([]pcommon.SpanID, 0, len(raw)/8)
		for i := 0; i < len(raw); i += 8 {
			spans = append(spans, pcommon.SpanID(raw[i:i+8]))
		}
		part.add(id, time.Unix(0, en.Time).UTC(), spans...)
	}
	into.merge(part)
	return nil
}

func parseTraceID(s string) (pcommon.TraceID, error) {
	var id pcommon.TraceID
	if len(s) != 32 {
		return id, fmt.Errorf("invalid trace id %q", s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return id, fmt.Errorf("invalid trace id %q", s)
	}
	return id, nil
}

// checkpointStore persists one source's state. Without a storage client it
// keeps nothing (memory only).
type checkpointStore struct {
	client      storage.Client
	key         string
	fingerprint string
	// paging fingerprints what page tokens depend on.
	paging string
	// overlap migrates version 1 checkpoints (their ledger covered the
	// watermark minus the overlap of the time).
	overlap time.Duration
	logger  *zap.Logger
}

// load reads the checkpoint. A missing, outdated or foreign (fingerprint)
// checkpoint yields an empty state; a corrupt one an empty state and an
// error wrapping errCorrupt (logged, then replaced). Any other error is a
// storage error: nothing may be replaced, the caller retries.
func (s *checkpointStore) load(ctx context.Context) (*state, error) {
	st := newState()
	if s.client == nil {
		return st, nil
	}
	raw, err := s.client.Get(ctx, s.key)
	if err != nil {
		return nil, fmt.Errorf("failed to read checkpoint %q: %w", s.key, err)
	}
	if raw == nil {
		return st, nil
	}
	h, err := s.decodeHead(raw)
	if err != nil {
		return newState(), err
	}
	if h == nil {
		return st, nil
	}
	if h.Fingerprint != s.fingerprint {
		s.logger.Info("The source's query changed since the checkpoint was written (endpoint, project, ...); starting from initial_lookback", zap.String("key", s.key))
		return st, nil
	}
	for _, n := range h.Segments {
		seg, err := s.client.Get(ctx, segmentKey(s.key, n))
		if err != nil {
			return nil, fmt.Errorf("failed to read checkpoint %q: %w", segmentKey(s.key, n), err)
		}
		if seg == nil {
			return newState(), fmt.Errorf("%w: segment %q is missing", errCorrupt, segmentKey(s.key, n))
		}
		if err := decodeLedger(seg, st.emitted); err != nil {
			return newState(), fmt.Errorf("%w %q: %w", errCorrupt, segmentKey(s.key, n), err)
		}
	}
	for _, p := range h.Pending {
		id, err := parseTraceID(p.ID)
		if err != nil {
			return newState(), fmt.Errorf("%w %q: pending: %w", errCorrupt, s.key, err)
		}
		st.pending[id] = &pendingTrace{key: p.Key, time: time.Unix(0, p.Time).UTC(), first: time.Unix(0, p.First).UTC()}
	}
	st.watermark, st.covers, st.query = h.Watermark, h.Covers, h.Query
	st.segments, st.nextSegment = h.Segments, max(h.NextSegment, slices.Max(append([]int{-1}, h.Segments...))+1)
	if st.query != nil && st.query.Token != "" && h.Paging != s.paging {
		s.logger.Info("Paging changed since the checkpoint was written (page_size, ...); the interrupted query restarts from its first page", zap.String("key", s.key))
		st.query.Token = ""
	}
	return st, nil
}

// decodeHead reads a stored head of this version or of version 1; nil for
// another version (logged: the checkpoint is replaced).
func (s *checkpointStore) decodeHead(raw []byte) (*head, error) {
	var probe struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(raw, &probe); err != nil {
		return nil, fmt.Errorf("%w %q: %w", errCorrupt, s.key, err)
	}
	var h head
	switch probe.Version {
	case checkpointVersion:
		if err := json.Unmarshal(raw, &h); err != nil {
			return nil, fmt.Errorf("%w %q: %w", errCorrupt, s.key, err)
		}
	case 1:
		var v1 struct {
			Fingerprint string      `json:"fingerprint"`
			Watermark   time.Time   `json:"watermark"`
			Query       *queryState `json:"query,omitempty"`
			Segments    int         `json:"segments"`
		}
		if err := json.Unmarshal(raw, &v1); err != nil {
			return nil, fmt.Errorf("%w %q: %w", errCorrupt, s.key, err)
		}
		// Version 1 numbered segments from 0 and pruned its ledger at the
		// watermark minus the overlap.
		h = head{Fingerprint: v1.Fingerprint, Watermark: v1.Watermark, Query: v1.Query,
			Covers: v1.Watermark.Add(-s.overlap), NextSegment: v1.Segments}
		for n := range v1.Segments {
			h.Segments = append(h.Segments, n)
		}
	default:
		s.logger.Warn("Checkpoint has another version; starting from initial_lookback", zap.String("key", s.key), zap.Int("version", probe.Version))
		return nil, nil
	}
	return &h, nil
}

// appendPage stores what is not stored yet of the ledger (st.unsaved) as a
// new segment, together with the new head, in one atomic batch. On error
// nothing of it counts as stored: the next write carries it again under a
// new segment number.
func (s *checkpointStore) appendPage(ctx context.Context, st *state) error {
	if s.client == nil {
		clear(st.unsaved)
		return nil
	}
	var ops []*storage.Operation
	segments := st.segments
	if len(st.unsaved) > 0 {
		data, err := st.unsaved.encode()
		if err != nil {
			return fmt.Errorf("failed to encode checkpoint: %w", err)
		}
		n := st.nextSegment
		st.nextSegment++
		ops = append(ops, storage.SetOperation(segmentKey(s.key, n), data))
		segments = append(slices.Clip(segments), n)
	}
	h, err := s.encodeHead(st, segments)
	if err != nil {
		return err
	}
	ops = append(ops, storage.SetOperation(s.key, h))
	if err := s.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("failed to store checkpoint %q: %w", s.key, err)
	}
	st.segments = segments
	clear(st.unsaved)
	return nil
}

// compact rewrites the whole (pruned) ledger as one new segment and drops
// the others, with the head, in one atomic batch.
func (s *checkpointStore) compact(ctx context.Context, st *state) error {
	if s.client == nil {
		clear(st.unsaved)
		return nil
	}
	data, err := st.emitted.encode()
	if err != nil {
		return fmt.Errorf("failed to encode checkpoint: %w", err)
	}
	n := st.nextSegment
	st.nextSegment++
	h, err := s.encodeHead(st, []int{n})
	if err != nil {
		return err
	}
	ops := []*storage.Operation{storage.SetOperation(segmentKey(s.key, n), data)}
	for _, old := range st.segments {
		ops = append(ops, storage.DeleteOperation(segmentKey(s.key, old)))
	}
	ops = append(ops, storage.SetOperation(s.key, h))
	if err := s.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("failed to store checkpoint %q: %w", s.key, err)
	}
	st.segments = []int{n}
	clear(st.unsaved)
	return nil
}

func (s *checkpointStore) encodeHead(st *state, segments []int) ([]byte, error) {
	pending := make([]pendingEntry, 0, len(st.pending))
	for id, p := range st.pending {
		pending = append(pending, pendingEntry{ID: id.String(), Key: p.key, Time: p.time.UnixNano(), First: p.first.UnixNano()})
	}
	h, err := json.Marshal(head{
		Version:     checkpointVersion,
		Fingerprint: s.fingerprint,
		Paging:      s.paging,
		Watermark:   st.watermark,
		Covers:      st.covers,
		Query:       st.query,
		Pending:     pending,
		Segments:    segments,
		NextSegment: st.nextSegment,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to encode checkpoint: %w", err)
	}
	return h, nil
}
