package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"fmt"
	"net/http"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"
	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/metadata"
)

// Settings are what every poller of a receiver shares.
type Settings struct {
	Receiver         receiver.Settings
	Schedule         Schedule
	Retry            configretry.BackOffConfig
	MaxResponseBytes int64
	Clock            Clock
	Next             consumer.Traces
	ObsReport        *receiverhelper.ObsReport
	Telemetry        *metadata.TelemetryBuilder
}

// New builds the poller of one vendor block: its HTTP client (which needs
// the host for auth extensions, hence at Start), its API client and its
// source. storageClient may be nil (checkpoints in memory only).
func New(ctx context.Context, host component.Host, v Vendor, storageClient storage.Client, s Settings) (*Poller, *http.Client, error) {
	key := CheckpointKey(v.Name(), v.Scope())
	logger := s.Receiver.Logger.With(zap.String("source", key))
	httpClient, err := v.HTTPClient().ToClient(ctx, host.GetExtensions(), s.Receiver.TelemetrySettings)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create the HTTP client of %s: %w", v.Name(), err)
	}
	clock := s.Clock
	if clock == nil {
		clock = RealClock{}
	}
	tel := newTelemetry(s.Telemetry, v.Name())
	api, err := NewAPIClient(APIClientSettings{
		Client:           httpClient,
		Endpoint:         v.HTTPClient().Endpoint,
		MaxResponseBytes: s.MaxResponseBytes,
		Retry:            s.Retry,
		Limits:           v.Limits(),
		Clock:            clock,
		Logger:           logger,
		telemetry:        tel,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", v.Name(), err)
	}
	src, err := v.NewSource(SourceSettings{
		Logger: logger,
		API:    api,
		Warn:   func() { tel.conversionWarning(context.Background()) },
		Clock:  clock,
	})
	if err != nil {
		return nil, nil, fmt.Errorf("failed to create the %s source: %w", v.Name(), err)
	}
	return &Poller{
		src:    src,
		sched:  s.Schedule,
		clock:  clock,
		store:  &checkpointStore{client: storageClient, key: key, fingerprint: v.Fingerprint(), logger: logger},
		next:   s.Next,
		obs:    s.ObsReport,
		tel:    tel,
		logger: logger,
		format: v.Name() + "_json",
	}, httpClient, nil
}
