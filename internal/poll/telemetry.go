package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/llmtrace/llmtrace/internal/metadata"
)

// telemetry records one source's self-metrics with its vendor attribute
// precomputed.
type telemetry struct {
	tb     *metadata.TelemetryBuilder
	vendor attribute.KeyValue
	attrs  metric.MeasurementOption
}

func newTelemetry(tb *metadata.TelemetryBuilder, vendor string) *telemetry {
	kv := attribute.String("vendor", vendor)
	return &telemetry{tb: tb, vendor: kv, attrs: metric.WithAttributeSet(attribute.NewSet(kv))}
}

func (t *telemetry) apiRequest(ctx context.Context, status int) {
	if t == nil {
		return
	}
	class := "error"
	if status > 0 {
		class = strconv.Itoa(status/100) + "xx"
	}
	t.tb.LlmtraceAPIRequests.Add(ctx, 1, metric.WithAttributes(t.vendor, attribute.String("status_class", class)))
}

func (t *telemetry) rateLimitWait(ctx context.Context, source string) {
	if t == nil {
		return
	}
	t.tb.LlmtraceRateLimitWaits.Add(ctx, 1, metric.WithAttributes(t.vendor, attribute.String("wait_source", source)))
}

func (t *telemetry) spansEmitted(ctx context.Context, n int) {
	if t == nil || n == 0 {
		return
	}
	t.tb.LlmtraceSpansEmitted.Add(ctx, int64(n), t.attrs)
}

func (t *telemetry) spansSkipped(ctx context.Context, n int, reason string) {
	if t == nil || n == 0 {
		return
	}
	t.tb.LlmtraceSpansSkipped.Add(ctx, int64(n), metric.WithAttributes(t.vendor, attribute.String("reason", reason)))
}

func (t *telemetry) conversionWarning(ctx context.Context) {
	if t == nil {
		return
	}
	t.tb.LlmtraceConversionWarnings.Add(ctx, 1, t.attrs)
}

func (t *telemetry) checkpointLag(ctx context.Context, lag time.Duration) {
	if t == nil {
		return
	}
	t.tb.LlmtraceCheckpointLag.Record(ctx, lag.Seconds(), t.attrs)
}

func (t *telemetry) backfillProgress(ctx context.Context, f float64) {
	if t == nil {
		return
	}
	t.tb.LlmtraceBackfillProgress.Record(ctx, f, t.attrs)
}
