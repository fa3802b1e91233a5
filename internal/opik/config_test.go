package opik

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
)

func TestConfigEveryKey(t *testing.T) {
	cfg := NewDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint":     "http://localhost:5173/api",
		"api_key":      "opik-key",
		"workspace":    "acme",
		"project_name": "search",
		"page_size":    200,
		"service_name": "search-bot",
		"timeout":      "15s",
	}).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "http://localhost:5173/api", cfg.ClientConfig.Endpoint)
	assert.Equal(t, configopaque.String("opik-key"), cfg.APIKey)
	assert.Equal(t, "acme", cfg.Workspace)
	assert.Equal(t, "search", cfg.ProjectName)
	assert.Empty(t, cfg.ProjectID)
	assert.Equal(t, 200, cfg.PageSize)
	assert.Equal(t, "search-bot", cfg.ServiceName)
	assert.Equal(t, 15*time.Second, cfg.ClientConfig.Timeout)
}

func TestConfigProblems(t *testing.T) {
	valid := func() Config {
		c := NewDefaultConfig()
		c.ProjectName = "demo"
		return c
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"project missing", func(c *Config) { c.ProjectName = "" }, "project_name: project_name or project_id is required"},
		{"both projects", func(c *Config) { c.ProjectID = "0190a1b2-0000-7000-8000-000000000000" }, "project_id: set project_name or project_id, not both"},
		{"workspace", func(c *Config) { c.APIKey = "k" }, "workspace: required with api_key"},
		{"page_size", func(c *Config) { c.PageSize = 0 }, "page_size: must be between 1 and 2000"},
		{"endpoint", func(c *Config) { c.ClientConfig.Endpoint = "localhost:5173" }, "endpoint: must be an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			require.NoError(t, c.Validate())
			tt.mutate(&c)
			assert.EqualError(t, c.Validate(), tt.want)
		})
	}
}
