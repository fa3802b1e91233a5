package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"encoding/binary"
	"math"
	"math/rand/v2"
	"time"
)

// Defaults of DatasetConfig.
const (
	DefaultInterval            = time.Second
	DefaultLateFraction        = 0.05
	DefaultLongRunningFraction = 0.03
	DefaultErrorFraction       = 0.05
)

// DefaultOrigin is the start of a dataset whose Origin is zero.
var DefaultOrigin = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// MaxTraceLag bounds how long a trace keeps changing: the vendor holds trace
// i complete (CompleteAt) by StartOf(i) + MaxTraceLag at the latest. It covers
// the longest in-progress root (10 min), a late span batch (2 min after the
// root's end) and the export delay.
const MaxTraceLag = 13 * time.Minute

// Bounds of the visibility model.
const (
	minExportDelay  = 200 * time.Millisecond
	maxExportDelay  = 3 * time.Second
	minLateDelay    = 20 * time.Second
	maxLateDelay    = 120 * time.Second
	minLongRunning  = 2 * time.Minute
	maxLongRunning  = 10 * time.Minute
	traceTimeBudget = 4 * time.Minute // a normal trace stops adding steps after this
)

// DatasetConfig describes a dataset. A zero Origin, Interval or fraction
// means its default; a fraction below zero means none.
type DatasetConfig struct {
	// Seed makes the dataset: the same seed gives the same traces, bit for
	// bit.
	Seed uint64
	// Traces is the number of traces.
	Traces int
	// Origin is the earliest root start (trace 0 starts within
	// [Origin, Origin+Interval/2)). Default DefaultOrigin.
	Origin time.Time
	// Interval is the spacing of root starts: trace i starts at
	// Origin + i*Interval + a deterministic jitter below Interval/2.
	// Default one second; at least a microsecond.
	Interval time.Duration
	// LateFraction of traces get one extra child span that reaches the
	// vendor 20 to 120 s after the trace ended (a late export batch).
	// Default 0.05.
	LateFraction float64
	// LongRunningFraction of traces have a root that stays in progress for
	// 2 to 10 minutes; the vendor shows the root from its start on, without
	// an end. Default 0.03.
	LongRunningFraction float64
	// ErrorFraction of LLM and tool spans fail. Default 0.05.
	ErrorFraction float64
}

// PlaceLive sets Origin and Interval for live mode: traces started at
// perSecond per second over the backfill before now, and keep starting at that
// rate after now until the dataset's Traces are used up.
func (c *DatasetConfig) PlaceLive(now time.Time, backfill time.Duration, perSecond float64) {
	if perSecond <= 0 || math.IsNaN(perSecond) {
		perSecond = 1
	}
	c.Interval = max(time.Duration(float64(time.Second)/perSecond), time.Microsecond)
	c.Origin = now.Add(-backfill)
}

func (c DatasetConfig) normalized() DatasetConfig {
	if c.Traces < 0 {
		c.Traces = 0
	}
	if c.Origin.IsZero() {
		c.Origin = DefaultOrigin
	}
	c.Origin = c.Origin.UTC().Truncate(time.Microsecond)
	if c.Interval <= 0 {
		c.Interval = DefaultInterval
	}
	c.Interval = max(c.Interval.Truncate(time.Microsecond), time.Microsecond)
	c.LateFraction = fraction(c.LateFraction, DefaultLateFraction)
	c.LongRunningFraction = fraction(c.LongRunningFraction, DefaultLongRunningFraction)
	c.ErrorFraction = fraction(c.ErrorFraction, DefaultErrorFraction)
	return c
}

func fraction(f, def float64) float64 {
	switch {
	case f == 0:
		return def
	case f < 0 || math.IsNaN(f):
		return 0
	case f > 1:
		return 1
	}
	return f
}

// Dataset is a lazy, deterministic set of LLM-application traces: trace i is
// regenerated from (seed, i) whenever it is asked for, so a dataset of
// millions of spans takes no memory. A Dataset is safe for concurrent use.
type Dataset struct {
	cfg    DatasetConfig
	seedA  uint64 // PRNG stream key
	seedJ  uint64 // start-jitter key
	seedTh uint64 // thread key
}

// NewDataset returns the dataset cfg describes.
func NewDataset(cfg DatasetConfig) *Dataset {
	cfg = cfg.normalized()
	return &Dataset{
		cfg:    cfg,
		seedA:  Mix(cfg.Seed ^ 0x5851f42d4c957f2d),
		seedJ:  Mix(cfg.Seed ^ 0x14057b7ef767814f),
		seedTh: Mix(cfg.Seed ^ 0x2545f4914f6cdd1d),
	}
}

// Config returns the dataset's configuration with defaults filled in.
func (d *Dataset) Config() DatasetConfig { return d.cfg }

// Len is the number of traces.
func (d *Dataset) Len() int { return d.cfg.Traces }

// StartOf is trace i's root start. It increases strictly with i and costs a
// few nanoseconds (the trace is not generated).
func (d *Dataset) StartOf(i int) time.Time {
	iv := d.cfg.Interval
	var jitter time.Duration
	if half := uint64(iv / 2 / time.Microsecond); half > 0 {
		jitter = time.Duration(Mix(d.seedJ+uint64(i))%half) * time.Microsecond
	}
	return d.cfg.Origin.Add(time.Duration(i)*iv + jitter)
}

// IndexAt is the number of traces whose root started at or before t, that is
// the traces the application has begun by t (they need not be visible yet).
func (d *Dataset) IndexAt(t time.Time) int {
	if t.Before(d.cfg.Origin) || d.cfg.Traces == 0 {
		return 0
	}
	k := t.Sub(d.cfg.Origin) / d.cfg.Interval // traces 0..k-1 started before Origin+k*Interval <= t
	if k >= time.Duration(d.cfg.Traces) {
		return d.cfg.Traces
	}
	n := int(k)
	if !d.StartOf(n).After(t) {
		n++
	}
	return n
}

// Trace generates trace i in full, as it is once complete. Any i >= 0 works
// (indices past Len continue the same sequence); Len bounds what parts serve.
// Each call allocates a fresh Trace that the caller owns.
func (d *Dataset) Trace(i int) Trace {
	if i < 0 {
		panic("sim: negative trace index")
	}
	r := rand.New(rand.NewPCG(d.seedA, Mix(d.seedA^uint64(i)*0x9e3779b97f4a7c15)))
	g := newGenerator(d, r, i)
	return g.trace()
}

// View returns trace i as the vendor holds it at t: only the spans whose
// Visible is at or before t; a visible span still in progress at t (only the
// root of a long-running trace) has End, Output and Error zero. It returns
// false when the vendor holds nothing of the trace yet, or i is out of range.
//
// Spans keep their order, but the root is missing until the vendor has it
// (use Trace.Root). Vendors that store only ended spans drop spans whose End
// is zero.
func (d *Dataset) View(i int, t time.Time) (Trace, bool) {
	if i < 0 || i >= d.cfg.Traces || d.StartOf(i).After(t) {
		return Trace{}, false
	}
	tr := d.Trace(i)
	kept := tr.Spans[:0]
	for _, s := range tr.Spans {
		if !s.VisibleAt(t) {
			continue
		}
		if !s.EndedAt(t) {
			s.End, s.Output, s.Error = time.Time{}, nil, nil
		}
		kept = append(kept, s)
	}
	if len(kept) == 0 {
		return Trace{}, false
	}
	clear(tr.Spans[len(kept):])
	tr.Spans = kept
	return tr, true
}

// Mix is splitmix64 (Steele et al.), a fast 64-bit mixer: the dataset
// derives independent keys and cheap per-index values from the seed with
// it, and vendor parts derive their own ids and quirks from dataset ids.
func Mix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
	x = (x ^ (x >> 27)) * 0x94d049bb133111eb
	return x ^ (x >> 31)
}

// SpanUUIDv7 is a span's id as vendors that key spans by UUIDv7 write it:
// its start's milliseconds, 12 bits derived from its ID, then its ID as the
// last 8 bytes (dataset span IDs carry the variant bits 10), so that a
// receiver taking the last 8 bytes gets the dataset's span ID back.
func SpanUUIDv7(s *Span) [16]byte {
	var u [16]byte
	binary.BigEndian.PutUint64(u[0:8], uint64(s.Start.UnixMilli())<<16)
	r := Mix(binary.BigEndian.Uint64(s.ID[:]))
	u[6] = 0x70 | byte(r>>8)&0x0f
	u[7] = byte(r)
	copy(u[8:], s.ID[:])
	return u
}
