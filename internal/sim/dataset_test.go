package sim

import (
	"encoding/binary"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDatasetIsDeterministic(t *testing.T) {
	a := NewDataset(DatasetConfig{Seed: 42, Traces: 300})
	b := NewDataset(DatasetConfig{Seed: 42, Traces: 300})
	for i := range a.Len() {
		require.True(t, reflect.DeepEqual(a.Trace(i), b.Trace(i)), "trace %d differs between two datasets of the same seed", i)
	}
	// Regenerating the same index gives the same trace, in any order.
	require.True(t, reflect.DeepEqual(a.Trace(7), a.Trace(7)))
}

func TestDatasetSeedsDiffer(t *testing.T) {
	a := NewDataset(DatasetConfig{Seed: 1, Traces: 50})
	b := NewDataset(DatasetConfig{Seed: 2, Traces: 50})
	same := 0
	for i := range a.Len() {
		ta, tb := a.Trace(i), b.Trace(i)
		assert.NotEqual(t, ta.ID, tb.ID, "trace %d", i)
		if reflect.DeepEqual(ta.Spans, tb.Spans) {
			same++
		}
		assert.NotEqual(t, a.StartOf(i), b.StartOf(i), "start of trace %d", i)
	}
	assert.Zero(t, same, "traces with identical spans under different seeds")
}

func TestDatasetIsLazy(t *testing.T) {
	d := NewDataset(DatasetConfig{Seed: 3, Traces: 2_000_000})
	require.Equal(t, 2_000_000, d.Len())
	small := testing.AllocsPerRun(5, func() { _ = d.Trace(0) })

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tr := d.Trace(1_000_000)
	runtime.ReadMemStats(&after)

	require.Equal(t, 1_000_000, tr.Index)
	require.NotEmpty(t, tr.Spans)
	assert.Equal(t, d.StartOf(1_000_000), tr.Spans[0].Start)
	// One trace costs the same whatever its index: nothing else is built.
	allocs := testing.AllocsPerRun(5, func() { _ = d.Trace(1_000_000) })
	assert.Less(t, allocs, 10*small+1000, "allocations for trace 1,000,000 (trace 0: %v)", small)
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(1<<20), "bytes allocated to build trace 1,000,000")
	assert.Less(t, testing.AllocsPerRun(5, func() { _ = NewDataset(DatasetConfig{Traces: 2_000_000}) }), 5.0)
}

func TestStartOfAndIndexAt(t *testing.T) {
	origin := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	d := NewDataset(DatasetConfig{Seed: 9, Traces: 5000, Origin: origin, Interval: 2 * time.Second})
	assert.Equal(t, 0, d.IndexAt(origin.Add(-time.Nanosecond)))
	prev := time.Time{}
	for i := range d.Len() {
		s := d.StartOf(i)
		slot := origin.Add(time.Duration(i) * 2 * time.Second)
		require.False(t, s.Before(slot), "trace %d starts before its slot", i)
		require.Less(t, s.Sub(slot), time.Second, "trace %d jitter", i)
		require.True(t, s.After(prev), "start of %d not after start of %d", i, i-1)
		require.Equal(t, s, s.Truncate(time.Microsecond))
		require.Equal(t, i+1, d.IndexAt(s), "IndexAt(StartOf(%d))", i)
		require.Equal(t, i, d.IndexAt(s.Add(-time.Nanosecond)), "IndexAt just before StartOf(%d)", i)
		prev = s
	}
	assert.Equal(t, d.Len(), d.IndexAt(origin.Add(1000*time.Hour)))
	assert.Equal(t, d.Len(), d.IndexAt(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)))
}

func TestIDsFollowTheRules(t *testing.T) {
	d := NewDataset(DatasetConfig{Seed: 11, Traces: 500})
	seen := map[[16]byte]bool{}
	for i := range d.Len() {
		tr := d.Trace(i)
		id := tr.ID
		require.False(t, seen[id], "trace id %s repeats", id)
		seen[id] = true
		assert.Equal(t, byte(0x70), id[6]&0xf0, "trace %d: UUID version nibble", i)
		assert.Equal(t, byte(0x80), id[8]&0xc0, "trace %d: UUID variant bits", i)
		ms := int64(binary.BigEndian.Uint64(id[0:8]) >> 16)
		root := tr.Spans[0]
		assert.Equal(t, root.Start.UnixMilli(), ms, "trace %d: UUIDv7 time vs root start", i)
		assert.True(t, root.IsRoot())
		assert.Equal(t, [8]byte(id[8:]), [8]byte(root.ID), "trace %d: root span id = last 8 bytes", i)
		ids := map[[8]byte]bool{}
		for _, s := range tr.Spans {
			require.False(t, ids[s.ID], "trace %d: span id %s repeats", i, s.ID)
			ids[s.ID] = true
			assert.Equal(t, byte(0x80), s.ID[0]&0xc0, "trace %d span %s: top bits", i, s.ID)
		}
	}
}

func TestTracesAreConsistent(t *testing.T) {
	n := 3000
	if testing.Short() {
		n = 1000
	}
	d := NewDataset(DatasetConfig{Seed: 5, Traces: n})
	minSpans, maxSpans := 1000, 0
	for i := range d.Len() {
		tr := d.Trace(i)
		minSpans, maxSpans = min(minSpans, len(tr.Spans)), max(maxSpans, len(tr.Spans))
		byID := map[[8]byte]*Span{}
		for k := range tr.Spans {
			byID[tr.Spans[k].ID] = &tr.Spans[k]
		}
		root := tr.Root()
		require.NotNil(t, root, "trace %d", i)
		for k := range tr.Spans {
			s := &tr.Spans[k]
			require.True(t, s.Kind >= KindAgent && s.Kind <= KindGuardrail, "trace %d: kind %d", i, s.Kind)
			require.NotEmpty(t, s.Name)
			require.False(t, s.End.Before(s.Start), "trace %d span %q ends before it starts", i, s.Name)
			require.Equal(t, s.Start, s.Start.Truncate(time.Microsecond), "µs precision")
			require.Equal(t, s.End, s.End.Truncate(time.Microsecond), "µs precision")
			require.True(t, s.Visible.After(s.End) || s == root, "trace %d span %q visible before its end", i, s.Name)
			if k == 0 {
				require.True(t, s.ParentID.IsEmpty())
				continue
			}
			p := byID[s.ParentID]
			require.NotNil(t, p, "trace %d span %q: parent %s not in trace", i, s.Name, s.ParentID)
			require.False(t, s.Start.Before(p.Start), "trace %d: %q starts before its parent %q", i, s.Name, p.Name)
			require.False(t, s.End.After(p.End), "trace %d: %q ends after its parent %q", i, s.Name, p.Name)
			depth := 1
			for q := s; !q.IsRoot(); q = byID[q.ParentID] {
				depth++
			}
			require.LessOrEqual(t, depth, maxDepth, "trace %d: %q too deep", i, s.Name)
		}
		require.LessOrEqual(t, tr.CompleteAt().Sub(d.StartOf(i)), MaxTraceLag, "trace %d", i)
	}
	assert.GreaterOrEqual(t, minSpans, 3)
	assert.LessOrEqual(t, maxSpans, 40)
	assert.GreaterOrEqual(t, maxSpans, 25, "some traces should be large")
}

// TestContentIsRealistic checks that 200 traces hold every kind of content
// the vendors must convert.
func TestContentIsRealistic(t *testing.T) {
	d := NewDataset(DatasetConfig{Seed: 1, Traces: 200})
	kinds := map[SpanKind]int{}
	providers := map[string]bool{}
	roles := map[string]bool{}
	var llmWithUsage, toolCalls, stacktraces, threads, users, reasoning, cached, docs, llmTool, failed int
	var nestedAgent bool
	deepest := 0
	for i := range d.Len() {
		tr := d.Trace(i)
		if tr.ThreadID != "" {
			threads++
		}
		if tr.UserID != "" {
			users++
		}
		require.NotEmpty(t, tr.Tags)
		require.Contains(t, tr.Metadata, "environment")
		for k := range tr.Spans {
			s := &tr.Spans[k]
			kinds[s.Kind]++
			if s.Provider != "" {
				providers[s.Provider] = true
			}
			if s.Kind == KindLLM || s.Kind == KindTool {
				llmTool++
				if s.Error != nil {
					failed++
				}
			}
			if s.Error != nil {
				require.NotEmpty(t, s.Error.Type)
				require.NotEmpty(t, s.Error.Message)
				if strings.HasPrefix(s.Error.Stacktrace, "Traceback (most recent call last):") {
					stacktraces++
				}
			}
			switch s.Kind {
			case KindLLM:
				require.NotEmpty(t, s.Model)
				require.Equal(t, OpChat, s.Operation)
				msgs, ok := s.Input.([]any)
				require.True(t, ok, "LLM input is a message list")
				for _, m := range msgs {
					roles[m.(map[string]any)["role"].(string)] = true
				}
				if s.Error == nil {
					require.Positive(t, s.Usage.Input)
					require.Positive(t, s.Usage.Output)
					require.Positive(t, s.Cost)
					llmWithUsage++
					out := s.Output.([]any)[0].(map[string]any)
					roles[out["role"].(string)] = true
					if _, ok := out["tool_calls"]; ok {
						toolCalls++
					}
				}
				if s.Usage.Reasoning > 0 {
					reasoning++
				}
				if s.Usage.CacheRead > 0 {
					cached++
				}
			case KindTool:
				require.NotEmpty(t, s.Attributes[AttrToolName])
			case KindRetrieval:
				if len(s.Output.(map[string]any)["documents"].([]any)) > 0 {
					docs++
				}
			case KindEmbedding:
				require.Positive(t, s.Usage.Input)
			}
		}
		depth := map[[8]byte]int{}
		for k := range tr.Spans { // parents come before their children
			s := &tr.Spans[k]
			depth[s.ID] = depth[s.ParentID] + 1
			if s.Kind == KindAgent && !s.IsRoot() {
				nestedAgent = true
			}
			deepest = max(deepest, depth[s.ID])
		}
	}
	for k := KindAgent; k <= KindGuardrail; k++ {
		assert.Positive(t, kinds[k], "no %s span", k)
	}
	assert.Positive(t, llmWithUsage)
	assert.Positive(t, toolCalls, "no assistant message with tool_calls")
	for _, r := range []string{"system", "user", "assistant", "tool"} {
		assert.True(t, roles[r], "no %s message", r)
	}
	assert.Positive(t, stacktraces, "no error with a stack trace")
	assert.Positive(t, docs, "no retrieval with documents")
	assert.Positive(t, reasoning, "no reasoning tokens")
	assert.Positive(t, cached, "no cached input tokens")
	assert.GreaterOrEqual(t, len(providers), 5, "providers: %v", providers)
	assert.Positive(t, threads)
	assert.Positive(t, users)
	assert.True(t, nestedAgent, "no nested agent")
	assert.Equal(t, maxDepth, deepest, "deepest span")
	rate := float64(failed) / float64(llmTool)
	assert.InDelta(t, DefaultErrorFraction, rate, 0.03, "error fraction of LLM and tool spans")
}

func TestFractions(t *testing.T) {
	n := 4000
	count := func(cfg DatasetConfig) (late, long int) {
		d := NewDataset(cfg)
		for i := range d.Len() {
			tr := d.Trace(i)
			root := tr.Root()
			if root.Visible.Before(root.End) {
				long++
			}
			for _, s := range tr.Spans[1:] {
				if s.Visible.Sub(root.End) >= minLateDelay {
					late++
				}
			}
		}
		return late, long
	}
	late, long := count(DatasetConfig{Seed: 2, Traces: n})
	assert.InDelta(t, DefaultLateFraction, float64(late)/float64(n), 0.015)
	assert.InDelta(t, DefaultLongRunningFraction, float64(long)/float64(n), 0.012)
	late, long = count(DatasetConfig{Seed: 2, Traces: 500, LateFraction: -1, LongRunningFraction: -1})
	assert.Zero(t, late)
	assert.Zero(t, long)
	late, long = count(DatasetConfig{Seed: 2, Traces: 200, LateFraction: 1, LongRunningFraction: 1})
	assert.Equal(t, 200, late)
	assert.Equal(t, 200, long)
}

func BenchmarkTrace(b *testing.B) {
	d := NewDataset(DatasetConfig{Seed: 1, Traces: 1 << 30})
	b.ReportAllocs()
	spans := 0
	i := 0
	for b.Loop() {
		spans += len(d.Trace(i).Spans)
		i++
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(i), "ns/trace")
	b.ReportMetric(float64(spans)/float64(i), "spans/trace")
}
