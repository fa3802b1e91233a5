package opik // import "github.com/llmtrace/llmtrace/internal/opik"

import (
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// DefaultEndpoint is Opik on Comet's cloud.
const DefaultEndpoint = "https://www.comet.com/opik/api"

// MaxPageSize bounds page_size.
const MaxPageSize = 2000

// Config is the `opik` block: one Opik project.
type Config struct {
	// ClientConfig holds endpoint, timeout, headers, TLS and proxy settings.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// APIKey is sent as `authorization` (no Bearer prefix); optional for
	// self-hosted servers.
	APIKey configopaque.String `mapstructure:"api_key"`
	// Workspace is sent as Comet-Workspace; required with an API key.
	Workspace string `mapstructure:"workspace"`
	// ProjectName or ProjectID selects the project (exactly one).
	ProjectName string `mapstructure:"project_name"`
	ProjectID   string `mapstructure:"project_id"`
	// PageSize is the number of items per request.
	PageSize int `mapstructure:"page_size"`
	// ServiceName is the service.name of the emitted resource; default the
	// project.
	ServiceName string `mapstructure:"service_name"`
}

// NewDefaultConfig returns the defaults of the opik block.
func NewDefaultConfig() Config {
	cc := confighttp.NewDefaultClientConfig()
	cc.Endpoint = DefaultEndpoint
	return Config{ClientConfig: cc, PageSize: 500}
}

// Name is the block's key.
func (c *Config) Name() string { return "opik" }

// Scope is the project (ID or name).
func (c *Config) Scope() string {
	if c.ProjectID != "" {
		return c.ProjectID
	}
	return c.ProjectName
}

// Fingerprint identifies the query: endpoint, workspace and project.
func (c *Config) Fingerprint() string {
	return poll.Fingerprint("opik", c.ClientConfig.Endpoint, c.Workspace, c.ProjectName, c.ProjectID)
}

// HTTPClient is the block's HTTP client configuration.
func (c *Config) HTTPClient() *confighttp.ClientConfig { return &c.ClientConfig }

// Limits: Opik's limits are deployment configuration, answered with 429.
func (c *Config) Limits() poll.Limits {
	return poll.Limits{Secrets: []string{string(c.APIKey)}}
}

// Problems lists what is wrong with the block.
func (c *Config) Problems() []poll.Problem {
	var ps []poll.Problem
	if p := poll.CheckEndpoint(c.ClientConfig.Endpoint); p != nil {
		ps = append(ps, *p)
	}
	if c.APIKey != "" && c.Workspace == "" {
		ps = append(ps, poll.Problem{Key: "workspace", Msg: "required with api_key"})
	}
	switch {
	case c.ProjectName == "" && c.ProjectID == "":
		ps = append(ps, poll.Problem{Key: "project_name", Msg: "project_name or project_id is required"})
	case c.ProjectName != "" && c.ProjectID != "":
		ps = append(ps, poll.Problem{Key: "project_id", Msg: "set project_name or project_id, not both"})
	}
	if c.PageSize < 1 || c.PageSize > MaxPageSize {
		ps = append(ps, poll.Problem{Key: "page_size", Msg: "must be between 1 and 2000"})
	}
	return ps
}

// NewSource builds the Opik source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}
