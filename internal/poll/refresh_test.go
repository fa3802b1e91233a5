package poll

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// refreshSource is a fakeSource that can read its traces again by key.
type refreshSource struct {
	fakeSource
	refreshed [][]string
}

func (s *refreshSource) FetchPage(ctx context.Context, r PageRequest) (Page, error) {
	page, err := s.fakeSource.FetchPage(ctx, r)
	for i := range page.Traces {
		page.Traces[i].Key = "t" + strconv.Itoa(int(page.Traces[i].ID[15]))
	}
	return page, err
}

func (s *refreshSource) Refresh(_ context.Context, refs []TraceRef) ([]Trace, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	var out []Trace
	for _, r := range refs {
		keys = append(keys, r.Key)
		for _, tr := range s.traces {
			if "t"+strconv.Itoa(int(tr.id)) == r.Key {
				c := tr.convert()
				c.Key = r.Key
				out = append(out, c)
			}
		}
	}
	s.refreshed = append(s.refreshed, keys)
	return out, nil
}

func TestARefresherMovesTheWatermarkPastPendingTraces(t *testing.T) {
	h := newHarness(t) // overlap 5m, max_trace_wait 10m
	long := fakeTrace{id: 1, start: t0.Add(-9 * time.Minute), spans: []fakeSpan{
		{id: 1, start: 0, end: 0}, // the root still runs
		{id: 2, parent: 1, start: time.Second, end: 2 * time.Second},
	}}
	src := &refreshSource{}
	src.set(long, done(2, t0.Add(-time.Minute)))
	h.src = &src.fakeSource
	p := h.poller()
	p.src, p.refresher = src, src
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, []pcommon.SpanID{spanID(2, 1), spanID(2, 2), spanID(2, 3)}, h.emitted())
	assert.Equal(t, t0.Add(-time.Minute), h.storedHead().Watermark, "not held at the running trace")
	require.Len(t, h.storedHead().Pending, 1)
	assert.Equal(t, "t1", h.storedHead().Pending[0].Key)

	// The next window starts after the running trace: it is refreshed by
	// its key instead, also after a restart, and emitted once it ends.
	h.clock.Advance(time.Minute)
	p = h.poller()
	p.src, p.refresher = src, src
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Equal(t, [][]string{{"t1"}}, src.refreshed)
	assert.Len(t, h.emitted(), 3, "still running")
	last := src.queries[len(src.queries)-1]
	assert.Equal(t, t0.Add(-6*time.Minute), last.From, "the window is the overlap of the newest trace")

	long.spans[0].end = 9*time.Minute + 30*time.Second
	src.set(long, done(2, t0.Add(-time.Minute)))
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.ElementsMatch(t, []pcommon.SpanID{spanID(2, 1), spanID(2, 2), spanID(2, 3), spanID(1, 1), spanID(1, 2)}, h.emitted())
	assert.Empty(t, h.storedHead().Pending)

	// Nothing is emitted twice afterwards.
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, h.emitted(), 5)
}

func TestAPendingTraceTheVendorNoLongerHasIsForgotten(t *testing.T) {
	h := newHarness(t)
	src := &refreshSource{}
	src.set(fakeTrace{id: 1, start: t0.Add(-9 * time.Minute), spans: []fakeSpan{{id: 1, end: 0}}}, done(2, t0.Add(-time.Minute)))
	p := h.poller()
	p.src, p.refresher = src, src
	_, err := p.Poll(context.Background())
	require.NoError(t, err)
	require.Len(t, p.state.pending, 1)

	src.set(done(2, t0.Add(-time.Minute))) // trace 1 was deleted
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Empty(t, p.state.pending)
	assert.Len(t, h.emitted(), 3)
}
