// Package langtrace polls Langtrace's POST /api/traces and converts its
// stringified spans to OpenTelemetry traces.
package langtrace // import "github.com/llmtrace/llmtrace/internal/langtrace"

import (
	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// DefaultEndpoint is Langtrace Cloud.
const DefaultEndpoint = "https://app.langtrace.ai"

// MaxPageSize is the largest pageSize the Langtrace API accepts.
const MaxPageSize = 100

// Config is the `langtrace` block: one Langtrace project.
type Config struct {
	// ClientConfig holds endpoint, timeout, headers, TLS and proxy settings.
	ClientConfig confighttp.ClientConfig `mapstructure:",squash"`
	// APIKey is the project-level API key, sent as x-api-key.
	APIKey configopaque.String `mapstructure:"api_key"`
	// ProjectID is the Langtrace project to poll.
	ProjectID string `mapstructure:"project_id"`
	// PageSize is the number of traces per request (1..100).
	PageSize int `mapstructure:"page_size"`
	// ServiceName is the service.name of the emitted resource; default the
	// project ID.
	ServiceName string `mapstructure:"service_name"`
}

// NewDefaultConfig returns the defaults of the langtrace block.
func NewDefaultConfig() Config {
	cc := confighttp.NewDefaultClientConfig()
	cc.Endpoint = DefaultEndpoint
	return Config{ClientConfig: cc, PageSize: MaxPageSize}
}

// Name is the block's key.
func (c *Config) Name() string { return "langtrace" }

// Scope is the project ID.
func (c *Config) Scope() string { return c.ProjectID }

// Fingerprint identifies the query: endpoint and project.
func (c *Config) Fingerprint() string {
	return poll.Fingerprint("langtrace", c.ClientConfig.Endpoint, c.ProjectID)
}

// HTTPClient is the block's HTTP client configuration.
func (c *Config) HTTPClient() *confighttp.ClientConfig { return &c.ClientConfig }

// Limits: Langtrace documents no rate limit.
func (c *Config) Limits() poll.Limits {
	return poll.Limits{Secrets: []string{string(c.APIKey)}}
}

// Problems lists what is wrong with the block.
func (c *Config) Problems() []poll.Problem {
	var ps []poll.Problem
	if p := poll.CheckEndpoint(c.ClientConfig.Endpoint); p != nil {
		ps = append(ps, *p)
	}
	if c.APIKey == "" {
		ps = append(ps, poll.Problem{Key: "api_key", Msg: "required"})
	}
	if c.ProjectID == "" {
		ps = append(ps, poll.Problem{Key: "project_id", Msg: "required"})
	}
	if c.PageSize < 1 || c.PageSize > MaxPageSize {
		ps = append(ps, poll.Problem{Key: "page_size", Msg: "must be between 1 and 100"})
	}
	return ps
}

// NewSource builds the Langtrace source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}
