package poll

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/llmtrace/llmtrace/internal/metadata"
	"github.com/llmtrace/llmtrace/internal/metadatatest"
)

func TestBackfillProgressIsLoggedEvery30sAndMeasured(t *testing.T) {
	h := newHarness(t) // lookback 1h, overlap 5m, poll 1m: the first query is a backfill
	h.sched.MaxPagesPerPoll = 1000
	h.src.pageSize = 2
	var traces []fakeTrace
	for i := range 40 { // one trace every 90 s over the hour, listed newest first
		traces = append(traces, done(byte(i+1), t0.Add(-time.Hour+time.Duration(i)*90*time.Second+time.Minute)))
	}
	h.src.set(traces...)
	h.src.onFetch = func() { h.clock.Advance(10 * time.Second) } // each page takes 10 s
	logs, observed := observer.New(zapcore.InfoLevel)
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tb, err := metadata.NewTelemetryBuilder(metadatatest.NewSettings(tt).TelemetrySettings)
	require.NoError(t, err)
	p := h.poller()
	p.logger, p.tel = zap.New(logs), newTelemetry(tb, "fake")

	more, err := p.Poll(context.Background())
	require.NoError(t, err)
	require.False(t, more)
	require.Equal(t, 120, h.sink.SpanCount())

	progress := observed.FilterMessage("Backfill in progress").All()
	// 20 pages of 10 s: a line every 30 s.
	require.Len(t, progress, 6)
	var last float64 = -1
	for _, e := range progress {
		m := e.ContextMap()
		read := m["read"].(string)
		require.True(t, strings.HasSuffix(read, "%"))
		assert.Contains(t, m, "estimated_time_left")
		assert.Contains(t, m, "requests")
		assert.Contains(t, m, "spans_emitted")
		v := percentValue(t, read)
		assert.Greater(t, v, last, "the position moves on")
		last = v
	}
	done := observed.FilterMessage("Backfill finished").All()
	require.Len(t, done, 1)
	assert.Equal(t, int64(120), done[0].ContextMap()["spans_emitted"])
	metadatatest.AssertEqualLlmtraceBackfillProgress(t, tt, []metricdata.DataPoint[float64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("vendor", "fake"))},
	}, metricdatatest.IgnoreTimestamp())

	// A regular poll afterwards is no backfill: no progress lines.
	h.clock.Advance(time.Minute)
	_, err = p.Poll(context.Background())
	require.NoError(t, err)
	assert.Len(t, observed.FilterMessage("Backfill in progress").All(), 6)
}

func percentValue(t *testing.T, s string) float64 {
	var v float64
	_, err := fmt.Sscan(strings.TrimSuffix(s, "%"), &v)
	require.NoError(t, err)
	return v
}
