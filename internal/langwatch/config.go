package langwatch

import (
	"errors"
	"strconv"

	"github.com/llmtrace/llmtrace/internal/langwatch/langwatchsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's block key.
const Name = "langwatch"

// DefaultEndpoint is LangWatch Cloud; self-hosted servers listen on
// http://localhost:5560 by default.
const DefaultEndpoint = "https://app.langwatch.ai"

// MaxPageSize is the largest pageSize LangWatch honours (larger ones are
// silently clamped to it, which would break its scroll cursors).
const MaxPageSize = 1000

// Config is the `langwatch` block: one LangWatch project. The API key is
// the project's key (sk-lw-...), sent as X-Auth-Token; it selects the
// project. project_id is optional: it is sent as X-Project-Id and names
// the checkpoint; without it the checkpoint scope is derived from the key.
type Config struct {
	poll.Common `mapstructure:",squash"`
	// ProjectID is the LangWatch project; optional with a project key.
	ProjectID string `mapstructure:"project_id"`
	// PageSize is the number of traces per request (1..1000).
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

// Scope is the project ID, or a short hash of the API key when no project
// is configured (the key alone selects the project).
func (c *Config) Scope() string {
	if c.ProjectID != "" {
		return c.ProjectID
	}
	return c.KeyScope()
}

// Identity is the project; without one the scope (the key's hash) already
// tells projects apart.
func (c *Config) Identity() []string { return []string{c.ProjectID} }

// Paging is page_size: LangWatch's scroll cursors carry the page size and are ignored by
// the server when it differs.
func (c *Config) Paging() []string { return []string{strconv.Itoa(c.PageSize)} }

// Limits is none: LangWatch documents no rate limit for its trace read API.
func (c *Config) Limits() poll.Limits { return poll.Limits{} }

// NewSource builds the LangWatch source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}

// Simulator is LangWatch's simulator part.
func (c *Config) Simulator() sim.Part { return &langwatchsim.Part{} }
