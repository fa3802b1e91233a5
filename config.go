package llmtracereceiver // import "github.com/llmtrace/llmtrace"

import (
	"errors"
	"fmt"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configoptional"
	"go.opentelemetry.io/collector/config/configretry"

	"github.com/llmtrace/llmtrace/internal/langtrace"
	"github.com/llmtrace/llmtrace/internal/opik"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// Config is the configuration of the llmtrace receiver. Each vendor block is
// optional; at least one must be present.
type Config struct {
	// PollInterval is how often each source is polled.
	PollInterval time.Duration `mapstructure:"poll_interval"`
	// InitialLookback is how far back the first poll reaches when no
	// checkpoint exists.
	InitialLookback time.Duration `mapstructure:"initial_lookback"`
	// SettleDelay is how long a trace must have ended and stayed unchanged
	// before it is emitted.
	SettleDelay time.Duration `mapstructure:"settle_delay"`
	// MaxTraceWait is how long a trace may stay open before it is emitted
	// with what exists, its unfinished spans marked incomplete.
	MaxTraceWait time.Duration `mapstructure:"max_trace_wait"`
	// Overlap is how far before the checkpoint every poll reads again, to
	// catch spans that arrive late for recent traces.
	Overlap time.Duration `mapstructure:"overlap"`
	// MaxPagesPerPoll caps the pages one poll reads; a backlog continues
	// right after.
	MaxPagesPerPoll int `mapstructure:"max_pages_per_poll"`
	// MaxResponseBytes caps the size of one API response body.
	MaxResponseBytes int64 `mapstructure:"max_response_bytes"`
	// StorageID names a storage extension that keeps checkpoints across
	// restarts; without it checkpoints live in memory only.
	StorageID *component.ID `mapstructure:"storage"`
	// RetryOnFailure governs retries of 5xx answers, timeouts and
	// connection errors.
	RetryOnFailure configretry.BackOffConfig `mapstructure:"retry_on_failure"`

	// Langtrace polls one Langtrace project.
	Langtrace configoptional.Optional[langtrace.Config] `mapstructure:"langtrace"`
	// Opik polls one Opik project.
	Opik configoptional.Optional[opik.Config] `mapstructure:"opik"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// vendors lists the configured vendor blocks. Adding a vendor means adding
// its field above and one line here.
func (c *Config) vendors() []poll.Vendor {
	var vs []poll.Vendor
	if v := c.Langtrace.Get(); v != nil {
		vs = append(vs, v)
	}
	if v := c.Opik.Get(); v != nil {
		vs = append(vs, v)
	}
	return vs
}

// Validate reports every configuration problem at once, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, fmt.Errorf("llmtrace.%s: %s", key, msg)) }
	if c.PollInterval <= 0 {
		bad("poll_interval", "must be positive")
	}
	if c.InitialLookback <= 0 {
		bad("initial_lookback", "must be positive")
	}
	if c.SettleDelay < 0 {
		bad("settle_delay", "must not be negative")
	}
	if c.MaxTraceWait <= 0 {
		bad("max_trace_wait", "must be positive")
	} else if c.MaxTraceWait < c.SettleDelay {
		bad("max_trace_wait", "must not be shorter than settle_delay")
	}
	if c.Overlap < 0 {
		bad("overlap", "must not be negative")
	}
	if c.MaxPagesPerPoll <= 0 {
		bad("max_pages_per_poll", "must be positive")
	}
	if c.MaxResponseBytes <= 0 {
		bad("max_response_bytes", "must be positive")
	}
	vendors := c.vendors()
	if len(vendors) == 0 {
		errs = append(errs, errors.New("llmtrace: at least one vendor block (langtrace, opik) is required"))
	}
	for _, v := range vendors {
		for _, p := range v.Problems() {
			bad(v.Name()+"."+p.Key, p.Msg)
		}
	}
	return errors.Join(errs...)
}

func (c *Config) schedule() poll.Schedule {
	return poll.Schedule{
		PollInterval:    c.PollInterval,
		InitialLookback: c.InitialLookback,
		SettleDelay:     c.SettleDelay,
		MaxTraceWait:    c.MaxTraceWait,
		Overlap:         c.Overlap,
		MaxPagesPerPoll: c.MaxPagesPerPoll,
	}
}
