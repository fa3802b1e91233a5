package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"fmt"

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
	// CaptureContent keeps prompts, completions, messages and tool content
	// (the receiver's capture_content; a vendor block may override it).
	CaptureContent bool
}

// New builds the poller of one vendor block: its HTTP client (which needs
// the host for auth extensions, hence at Start), its API client and its
// source. storageClient may be nil (checkpoints in memory only). The poller
// owns the HTTP client: Close releases it.
func New(ctx context.Context, host component.Host, name string, v VendorConfig, storageClient storage.Client, s Settings) (*Poller, error) {
	common := v.CommonConfig()
	key := CheckpointKey(name, v.Scope())
	logger := s.Receiver.Logger.With(zap.String("source", key))
	httpClient, err := common.ClientConfig.ToClient(ctx, host.GetExtensions(), s.Receiver.TelemetrySettings)
	if err != nil {
		return nil, fmt.Errorf("failed to create the HTTP client of %s: %w", name, err)
	}
	clock := s.Clock
	if clock == nil {
		clock = RealClock{}
	}
	tel := newTelemetry(s.Telemetry, name)
	api, err := NewAPIClient(APIClientSettings{
		Client:           httpClient,
		Endpoint:         common.ClientConfig.Endpoint,
		MaxResponseBytes: s.MaxResponseBytes,
		Retry:            s.Retry,
		Limits:           v.Limits(),
		Secrets:          secretsOf(common),
		Clock:            clock,
		Logger:           logger,
		telemetry:        tel,
	})
	if err != nil {
		httpClient.CloseIdleConnections()
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	src, err := v.NewSource(SourceSettings{
		Vendor: name,
		Logger: logger,
		API:    api,
		Warn:   func() { tel.conversionWarning(context.Background()) },
		Clock:  clock,
	})
	if err != nil {
		httpClient.CloseIdleConnections()
		return nil, fmt.Errorf("failed to create the %s source: %w", name, err)
	}
	capture := s.CaptureContent
	if common.CaptureContent != nil {
		capture = *common.CaptureContent
	}
	refresher, _ := src.(Refresher)
	return &Poller{
		src:       src,
		refresher: refresher,
		content:   capture,
		http:      httpClient,
		sched:     s.Schedule,
		retry:     s.Retry,
		clock:     clock,
		store: &checkpointStore{
			client:      storageClient,
			key:         key,
			fingerprint: fingerprint(append([]string{name, common.ClientConfig.Endpoint}, v.Identity()...)...),
			paging:      fingerprint(v.Paging()...),
			overlap:     s.Schedule.Overlap,
			logger:      logger,
		},
		next:   s.Next,
		obs:    s.ObsReport,
		tel:    tel,
		logger: logger,
		format: name + "_json",
		api:    api,
	}, nil
}

// secretsOf lists the values of a block that must never appear in a log
// line or error: the API key and every configured header value.
func secretsOf(c *Common) []string {
	secrets := []string{string(c.APIKey)}
	for _, v := range c.ClientConfig.Headers.Iter {
		secrets = append(secrets, string(v))
	}
	return secrets
}
