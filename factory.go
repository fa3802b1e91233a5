package llmtracereceiver // import "github.com/llmtrace/llmtrace"

import (
	"context"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"

	"github.com/llmtrace/llmtrace/internal/metadata"
)

// Defaults of the receiver-level keys.
const (
	defaultPollInterval     = time.Minute
	defaultInitialLookback  = 24 * time.Hour
	defaultSettleDelay      = 30 * time.Second
	defaultMaxTraceWait     = time.Hour
	defaultOverlap          = 10 * time.Minute
	defaultMaxPagesPerPoll  = 50
	defaultMaxResponseBytes = 64 << 20
)

// NewFactory returns the factory of the llmtrace receiver.
func NewFactory() receiver.Factory {
	return receiver.NewFactory(
		metadata.Type,
		createDefaultConfig,
		receiver.WithTraces(createTraces, metadata.TracesStability),
	)
}

func createDefaultConfig() component.Config {
	return &Config{
		PollInterval:     defaultPollInterval,
		InitialLookback:  defaultInitialLookback,
		SettleDelay:      defaultSettleDelay,
		MaxTraceWait:     defaultMaxTraceWait,
		Overlap:          defaultOverlap,
		MaxPagesPerPoll:  defaultMaxPagesPerPoll,
		MaxResponseBytes: defaultMaxResponseBytes,
		RetryOnFailure:   configretry.NewDefaultBackOffConfig(),
		CaptureContent:   true,
	}
}

func createTraces(_ context.Context, set receiver.Settings, cfg component.Config, next consumer.Traces) (receiver.Traces, error) {
	obs, err := receiverhelper.NewObsReport(receiverhelper.ObsReportSettings{
		ReceiverID:             set.ID,
		Transport:              "http",
		ReceiverCreateSettings: set,
	})
	if err != nil {
		return nil, err
	}
	return newTracesReceiver(cfg.(*Config), set, next, obs), nil
}
