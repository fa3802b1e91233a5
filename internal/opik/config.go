package opik // import "github.com/llmtrace/llmtrace/internal/opik"

import (
	"errors"
	"strconv"

	"github.com/llmtrace/llmtrace/internal/opik/opiksim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's block key.
const Name = "opik"

// DefaultEndpoint is Opik on Comet's cloud.
const DefaultEndpoint = "https://www.comet.com/opik/api"

// MaxPageSize bounds page_size.
const MaxPageSize = 2000

// Config is the `opik` block: one Opik project. The API key is sent as
// `authorization` (no Bearer prefix) and is optional for self-hosted
// servers; service_name defaults to the project.
type Config struct {
	poll.Common `mapstructure:",squash"`
	// Workspace is sent as Comet-Workspace; required with an API key.
	Workspace string `mapstructure:"workspace"`
	// ProjectName or ProjectID selects the project (exactly one).
	ProjectName string `mapstructure:"project_name"`
	ProjectID   string `mapstructure:"project_id"`
	// PageSize is the number of items per request.
	PageSize int `mapstructure:"page_size"`
}

// NewDefaultConfig returns the defaults of the block.
func NewDefaultConfig() Config {
	return Config{Common: poll.NewCommon(DefaultEndpoint), PageSize: 500}
}

// SetDefaults resets the block to its defaults.
func (c *Config) SetDefaults() { *c = NewDefaultConfig() }

// Validate reports every problem of the block.
func (c *Config) Validate() error {
	errs := c.Check(false)
	if c.APIKey != "" && c.Workspace == "" {
		errs = append(errs, errors.New("workspace: required with api_key"))
	}
	switch {
	case c.ProjectName == "" && c.ProjectID == "":
		errs = append(errs, errors.New("project_name: project_name or project_id is required"))
	case c.ProjectName != "" && c.ProjectID != "":
		errs = append(errs, errors.New("project_id: set project_name or project_id, not both"))
	}
	if err := poll.CheckRange("page_size", c.PageSize, 1, MaxPageSize); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Scope is the project (ID or name).
func (c *Config) Scope() string {
	if c.ProjectID != "" {
		return c.ProjectID
	}
	return c.ProjectName
}

// Identity is the workspace and the project.
func (c *Config) Identity() []string { return []string{c.Workspace, c.ProjectName, c.ProjectID} }

// Paging is page_size: page tokens are page numbers.
func (c *Config) Paging() []string { return []string{strconv.Itoa(c.PageSize)} }

// Limits is none: Opik's limits are deployment configuration, answered
// with 429.
func (c *Config) Limits() poll.Limits { return poll.Limits{} }

// NewSource builds the Opik source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}

// Simulator is Opik's simulator part.
func (c *Config) Simulator() sim.Part { return &opiksim.Part{} }
