package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.uber.org/zap"
)

// checkpointVersion is bumped whenever the stored layout changes; a
// checkpoint of another version is discarded.
const checkpointVersion = 1

// CheckpointKey is the storage key of a source's checkpoint head; the
// emitted-span ledger lives in segments "<key>/emitted/<n>".
func CheckpointKey(vendor, scope string) string { return vendor + "/" + scope }

func segmentKey(key string, n int) string { return key + "/emitted/" + strconv.Itoa(n) }

// head is the stored checkpoint without the ledger.
type head struct {
	Version     int         `json:"version"`
	Fingerprint string      `json:"fingerprint"`
	Watermark   time.Time   `json:"watermark"`
	Query       *queryState `json:"query,omitempty"`
	Paging      string      `json:"paging,omitempty"`
	Segments    int         `json:"segments"`
}

// queryState is a query that a page cap or a crash interrupted.
type queryState struct {
	From  time.Time `json:"from"`
	To    time.Time `json:"to"`
	Token string    `json:"token"`
	// PendingMin is the earliest Time of a trace seen but not yet emitted
	// in this query; zero if none.
	PendingMin time.Time `json:"pending_min,omitzero"`
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
	query     *queryState
	emitted   ledger
	segments  int
}

// ledger records which spans were emitted, per trace.
type ledger map[pcommon.TraceID]*emittedTrace

type emittedTrace struct {
	time  time.Time
	spans []pcommon.SpanID
}

func (e *emittedTrace) has(id pcommon.SpanID) bool {
	for _, s := range e.spans {
		if s == id {
			return true
		}
	}
	return false
}

// merge adds another ledger's spans.
func (l ledger) merge(other ledger) {
	for id, o := range other {
		e := l[id]
		if e == nil {
			l[id] = &emittedTrace{time: o.time, spans: append([]pcommon.SpanID(nil), o.spans...)}
			continue
		}
		if o.time.After(e.time) {
			e.time = o.time
		}
		for _, s := range o.spans {
			if !e.has(s) {
				e.spans = append(e.spans, s)
			}
		}
	}
}

// prune forgets traces whose time is before cutoff.
func (l ledger) prune(cutoff time.Time) {
	for id, e := range l {
		if e.time.Before(cutoff) {
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
		for _, s := range e.spans {
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
		var id pcommon.TraceID
		if len(en.ID) != 32 {
			return fmt.Errorf("invalid trace id %q", en.ID)
		}
		if _, err := hex.Decode(id[:], []byte(en.ID)); err != nil {
			return fmt.Errorf("invalid trace id %q", en.ID)
		}
		raw, err := base64.StdEncoding.DecodeString(en.Spans)
		if err != nil || len(raw)%8 != 0 {
			return fmt.Errorf("invalid span list for trace %s", en.ID)
		}
		e := &emittedTrace{time: time.Unix(0, en.Time).UTC()}
		for i := 0; i < len(raw); i += 8 {
			e.spans = append(e.spans, pcommon.SpanID(raw[i:i+8]))
		}
		part[id] = e
	}
	into.merge(part)
	return nil
}

// checkpointStore persists one source's state. Without a storage client it
// keeps nothing (memory only).
type checkpointStore struct {
	client      storage.Client
	key         string
	fingerprint string
	// paging fingerprints what page tokens depend on.
	paging string
	logger *zap.Logger
}

// load reads the checkpoint. A missing, corrupt, outdated or foreign
// (fingerprint) checkpoint yields an empty state; only storage I/O errors
// are returned.
func (s *checkpointStore) load(ctx context.Context) (*state, error) {
	st := &state{emitted: ledger{}}
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
	var h head
	if err := json.Unmarshal(raw, &h); err != nil {
		s.logger.Error("Checkpoint is corrupt; starting from initial_lookback", zap.String("key", s.key), zap.Error(err))
		return st, nil
	}
	switch {
	case h.Version != checkpointVersion:
		s.logger.Warn("Checkpoint has another version; starting from initial_lookback", zap.String("key", s.key), zap.Int("version", h.Version))
		return st, nil
	case h.Fingerprint != s.fingerprint:
		s.logger.Info("Source query changed since the checkpoint was written; starting from initial_lookback", zap.String("key", s.key))
		return st, nil
	}
	for n := 0; n < h.Segments; n++ {
		seg, err := s.client.Get(ctx, segmentKey(s.key, n))
		if err != nil {
			return nil, fmt.Errorf("failed to read checkpoint %q: %w", segmentKey(s.key, n), err)
		}
		if err := decodeLedger(seg, st.emitted); err != nil {
			s.logger.Error("Checkpoint ledger is corrupt; starting from initial_lookback", zap.String("key", segmentKey(s.key, n)), zap.Error(err))
			return &state{emitted: ledger{}}, nil
		}
	}
	st.watermark, st.query, st.segments = h.Watermark, h.Query, h.Segments
	if st.query != nil && st.query.Token != "" && h.Paging != s.paging {
		s.logger.Info("Paging changed since the checkpoint was written (page_size, ...); the interrupted query restarts from its first page", zap.String("key", s.key))
		st.query.Token = ""
	}
	return st, nil
}

// appendPage stores the spans a page emitted as a new ledger segment,
// together with the new head, in one atomic batch.
func (s *checkpointStore) appendPage(ctx context.Context, st *state, newly ledger) error {
	if s.client == nil {
		return nil
	}
	var ops []*storage.Operation
	segs := st.segments
	if len(newly) > 0 {
		data, err := newly.encode()
		if err != nil {
			return fmt.Errorf("failed to encode checkpoint: %w", err)
		}
		ops = append(ops, storage.SetOperation(segmentKey(s.key, segs), data))
		segs++
	}
	h, err := s.encodeHead(st, segs)
	if err != nil {
		return err
	}
	ops = append(ops, storage.SetOperation(s.key, h))
	if err := s.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("failed to store checkpoint %q: %w", s.key, err)
	}
	st.segments = segs
	return nil
}

// compact rewrites the whole (pruned) ledger as one segment and drops the
// others, in one atomic batch.
func (s *checkpointStore) compact(ctx context.Context, st *state) error {
	if s.client == nil {
		return nil
	}
	data, err := st.emitted.encode()
	if err != nil {
		return fmt.Errorf("failed to encode checkpoint: %w", err)
	}
	h, err := s.encodeHead(st, 1)
	if err != nil {
		return err
	}
	ops := []*storage.Operation{storage.SetOperation(segmentKey(s.key, 0), data)}
	for n := 1; n < st.segments; n++ {
		ops = append(ops, storage.DeleteOperation(segmentKey(s.key, n)))
	}
	ops = append(ops, storage.SetOperation(s.key, h))
	if err := s.client.Batch(ctx, ops...); err != nil {
		return fmt.Errorf("failed to store checkpoint %q: %w", s.key, err)
	}
	st.segments = 1
	return nil
}

func (s *checkpointStore) encodeHead(st *state, segments int) ([]byte, error) {
	h, err := json.Marshal(head{
		Version:     checkpointVersion,
		Fingerprint: s.fingerprint,
		Watermark:   st.watermark,
		Query:       st.query,
		Paging:      s.paging,
		Segments:    segments,
	})
	if err != nil {
		return nil, fmt.Errorf("failed to encode checkpoint: %w", err)
	}
	return h, nil
}
