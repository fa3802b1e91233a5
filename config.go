package llmtracereceiver // import "github.com/llmtrace/llmtrace"

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"

	"github.com/llmtrace/llmtrace/internal/langsmith"
	"github.com/llmtrace/llmtrace/internal/langtrace"
	"github.com/llmtrace/llmtrace/internal/langwatch"
	"github.com/llmtrace/llmtrace/internal/opik"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/promptlayer"
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
	// MaxTraceWait is how long a trace may stay open after the receiver
	// first saw it before it is emitted with what exists, its unfinished
	// spans marked incomplete.
	MaxTraceWait time.Duration `mapstructure:"max_trace_wait"`
	// Overlap is how far before the checkpoint the receiver reads again, to
	// catch spans that arrive late for recent traces.
	Overlap time.Duration `mapstructure:"overlap"`
	// RereadInterval is how often a poll re-reads the whole overlap; the
	// polls in between read only what is new since the checkpoint. Zero
	// means overlap / 4; a negative value re-reads the overlap every poll.
	RereadInterval time.Duration `mapstructure:"reread_interval"`
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
	// CaptureContent keeps prompts, completions, messages and tool
	// arguments and results; false removes them from every span (a vendor
	// block's capture_content overrides it).
	CaptureContent bool `mapstructure:"capture_content"`

	// The vendor blocks, one pointer field per vendor, nil when absent. A
	// field is the vendor's whole registration: defaults, validation, the
	// pollers, the simulators and the shared tests derive from these
	// fields (poll.Blocks).

	// Langtrace polls one Langtrace project.
	Langtrace *langtrace.Config `mapstructure:"langtrace"`
	// Opik polls one Opik project.
	Opik *opik.Config `mapstructure:"opik"`
	// LangWatch polls one LangWatch project.
	LangWatch *langwatch.Config `mapstructure:"langwatch"`
	// LangSmith polls one LangSmith tracing project.
	LangSmith *langsmith.Config `mapstructure:"langsmith"`
	// PromptLayer polls the workspace of one PromptLayer API key.
	PromptLayer *promptlayer.Config `mapstructure:"promptlayer"`

	// prevent unkeyed literal initialization
	_ struct{}
}

// plainConfig is Config without its Unmarshal method.
type plainConfig Config

// Unmarshal applies the user's keys; a vendor block that is present starts
// from that vendor's defaults.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	for _, b := range poll.Blocks(c) {
		if conf.IsSet(b.Name) && b.Config == nil {
			b.Set(b.New())
		}
	}
	if err := conf.Unmarshal((*plainConfig)(c)); err != nil {
		return err
	}
	// An empty block ("opik:" with nothing under it) decodes to nil: it
	// still means the vendor with its defaults.
	for _, b := range poll.Blocks(c) {
		if conf.IsSet(b.Name) && b.Config == nil {
			b.Set(b.New())
		}
	}
	return nil
}

// vendors returns the configured vendor blocks.
func (c *Config) vendors() []poll.Block {
	var out []poll.Block
	for _, b := range poll.Blocks(c) {
		if b.Config != nil {
			out = append(out, b)
		}
	}
	return out
}

// Validate reports the problems of the receiver-level keys at once; the
// collector validates each vendor block on its own and names its path.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, msg string) { errs = append(errs, fmt.Errorf("%s: %s", key, msg)) }
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
	if c.RereadInterval > c.Overlap {
		bad("reread_interval", "must not be longer than overlap")
	}
	if c.MaxPagesPerPoll <= 0 {
		bad("max_pages_per_poll", "must be positive")
	}
	if c.MaxResponseBytes <= 0 {
		bad("max_response_bytes", "must be positive")
	}
	if len(c.vendors()) == 0 {
		errs = append(errs, fmt.Errorf("at least one vendor block (%s) is required", strings.Join(poll.Names(poll.Blocks(c)), ", ")))
	}
	return errors.Join(errs...)
}

// rereadInterval resolves reread_interval's default (overlap / 4).
func (c *Config) rereadInterval() time.Duration {
	switch {
	case c.RereadInterval < 0:
		return 0
	case c.RereadInterval == 0:
		return c.Overlap / 4
	}
	return c.RereadInterval
}

func (c *Config) schedule() poll.Schedule {
	return poll.Schedule{
		PollInterval:    c.PollInterval,
		InitialLookback: c.InitialLookback,
		SettleDelay:     c.SettleDelay,
		MaxTraceWait:    c.MaxTraceWait,
		Overlap:         c.Overlap,
		RereadInterval:  c.rereadInterval(),
		MaxPagesPerPoll: c.MaxPagesPerPoll,
	}
}
