package promptlayer // import "github.com/llmtrace/llmtrace/internal/promptlayer"

import (
	"errors"
	"strconv"
	"time"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/promptlayer/promptlayersim"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's block key.
const Name = "promptlayer"

// DefaultEndpoint is PromptLayer's cloud API.
const DefaultEndpoint = "https://api.promptlayer.com"

// MaxPageSize is the largest per_page the request-log search accepts.
const MaxPageSize = 25

// DefaultServiceName is the service.name of spans whose PromptLayer
// resource names no service (request logs without a trace).
const DefaultServiceName = "promptlayer"

// searchPath is the only rate-limited endpoint the receiver uses.
const searchPath = "/api/public/v2/requests/search"

// SearchLimit is PromptLayer's documented limit on request-log searches: 10
// per minute per API key. The client spaces searches 6.3 s apart rather than
// 6 s: the server's window and clock are not ours, and a request that
// arrives a few hundred milliseconds early must not be the eleventh of a
// minute.
var SearchLimit = poll.Rate{Requests: 10, Per: 63 * time.Second, Burst: 1}

// Config is the `promptlayer` block: the workspace an API key belongs to.
// The key is sent as X-API-KEY and alone selects the data, so the
// checkpoint is keyed by a hash of it. service_name, when set, replaces the
// service.name of every span; unset, spans keep their resource's, and spans
// without one get "promptlayer".
type Config struct {
	poll.Common `mapstructure:",squash"`
	// PageSize is the number of request logs per search (1..25).
	PageSize int `mapstructure:"page_size"`
}

// NewDefaultConfig returns the defaults of the block.
func NewDefaultConfig() Config {
	return Config{Common: poll.NewCommon(DefaultEndpoint), PageSize: MaxPageSize}
}

// SetDefaults resets the block to its defaults.
func (c *Config) SetDefaults() { *c = NewDefaultConfig() }

// Validate reports every problem of the block.
func (c *Config) Validate() error {
	errs := c.Check(true)
	if err := poll.CheckRange("page_size", c.PageSize, 1, MaxPageSize); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Scope is derived from the API key without revealing it: the key alone
// selects the workspace.
func (c *Config) Scope() string { return c.KeyScope() }

// Identity is the key's scope: another key is another checkpoint.
func (c *Config) Identity() []string { return []string{c.KeyScope()} }

// Paging is page_size: page tokens are search page numbers of page_size
// request logs.
func (c *Config) Paging() []string { return []string{strconv.Itoa(c.PageSize)} }

// Limits limits only the request-log search (10 per minute); the
// request and trace reads document no limit.
func (c *Config) Limits() poll.Limits {
	return poll.Limits{Paths: map[string]poll.Rate{"POST " + searchPath: SearchLimit}}
}

// NewSource builds the PromptLayer source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}

// Simulator is PromptLayer's simulator part.
func (c *Config) Simulator() sim.Part { return &promptlayersim.Part{} }
