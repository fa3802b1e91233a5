package llmtracereceiver // import "github.com/llmtrace/llmtrace"

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/consumer"
	"go.opentelemetry.io/collector/extension/xextension/storage"
	"go.opentelemetry.io/collector/receiver"
	"go.opentelemetry.io/collector/receiver/receiverhelper"

	"github.com/llmtrace/llmtrace/internal/metadata"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// tracesReceiver runs one poller per configured vendor block.
type tracesReceiver struct {
	cfg   *Config
	set   receiver.Settings
	next  consumer.Traces
	obs   *receiverhelper.ObsReport
	clock poll.Clock // nil: the wall clock

	cancel    context.CancelFunc
	wg        sync.WaitGroup
	pollers   []*poll.Poller
	storage   storage.Client
	telemetry *metadata.TelemetryBuilder
}

func newTracesReceiver(cfg *Config, set receiver.Settings, next consumer.Traces, obs *receiverhelper.ObsReport) *tracesReceiver {
	return &tracesReceiver{cfg: cfg, set: set, next: next, obs: obs}
}

// Start builds the clients and starts the pollers; it returns at once, the
// first polls run in the background.
func (r *tracesReceiver) Start(ctx context.Context, host component.Host) error {
	tb, err := metadata.NewTelemetryBuilder(r.set.TelemetrySettings)
	if err != nil {
		return fmt.Errorf("failed to create telemetry: %w", err)
	}
	r.telemetry = tb
	if r.cfg.StorageID != nil {
		client, err := storageClient(ctx, host, *r.cfg.StorageID, r.set.ID)
		if err != nil {
			return err
		}
		r.storage = client
	}
	settings := poll.Settings{
		Receiver:         r.set,
		Schedule:         r.cfg.schedule(),
		Retry:            r.cfg.RetryOnFailure,
		MaxResponseBytes: r.cfg.MaxResponseBytes,
		Clock:            r.clock,
		Next:             r.next,
		ObsReport:        r.obs,
		Telemetry:        tb,
		CaptureContent:   r.cfg.CaptureContent,
	}
	for _, b := range r.cfg.vendors() {
		p, err := poll.New(ctx, host, b.Name, b.Config, r.storage, settings)
		if err != nil {
			return err
		}
		r.pollers = append(r.pollers, p)
	}
	status := newStatusReporter(host)
	pollCtx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	for i, p := range r.pollers {
		r.wg.Go(func() { p.Run(pollCtx, func(err error) { status.report(i, err) }) })
	}
	return nil
}

// Shutdown stops every poller within ctx and releases connections and the
// storage client. It is safe to call without Start.
func (r *tracesReceiver) Shutdown(ctx context.Context) error {
	if r.cancel != nil {
		r.cancel()
	}
	done := make(chan struct{})
	go func() {
		r.wg.Wait()
		close(done)
	}()
	var errs []error
	select {
	case <-done:
	case <-ctx.Done():
		errs = append(errs, fmt.Errorf("pollers did not stop in time: %w", ctx.Err()))
	}
	for _, p := range r.pollers {
		p.Close()
	}
	r.pollers = nil
	if r.storage != nil {
		if err := r.storage.Close(ctx); err != nil {
			errs = append(errs, fmt.Errorf("failed to close storage client: %w", err))
		}
		r.storage = nil
	}
	if r.telemetry != nil {
		r.telemetry.Shutdown()
	}
	return errors.Join(errs...)
}

func storageClient(ctx context.Context, host component.Host, id, owner component.ID) (storage.Client, error) {
	ext, ok := host.GetExtensions()[id]
	if !ok {
		return nil, fmt.Errorf("llmtrace.storage: extension %q not found", id)
	}
	se, ok := ext.(storage.Extension)
	if !ok {
		return nil, fmt.Errorf("llmtrace.storage: extension %q is not a storage extension", id)
	}
	client, err := se.GetClient(ctx, component.KindReceiver, owner, "")
	if err != nil {
		return nil, fmt.Errorf("failed to get storage client from %q: %w", id, err)
	}
	return client, nil
}

// statusReporter turns poll outcomes into component status: recoverable
// error while any source keeps failing, OK again once all have recovered.
type statusReporter struct {
	host    component.Host
	mu      sync.Mutex
	failing map[int]bool
}

func newStatusReporter(host component.Host) *statusReporter {
	return &statusReporter{host: host, failing: map[int]bool{}}
}

func (s *statusReporter) report(source int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		s.failing[source] = true
		componentstatus.ReportStatus(s.host, componentstatus.NewRecoverableErrorEvent(err))
		return
	}
	if s.failing[source] {
		delete(s.failing, source)
		if len(s.failing) == 0 {
			componentstatus.ReportStatus(s.host, componentstatus.NewEvent(componentstatus.StatusOK))
		}
	}
}
