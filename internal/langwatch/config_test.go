package langwatch

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
)

func TestConfig(t *testing.T) {
	cfg := NewDefaultConfig()
	assert.Equal(t, "https://app.langwatch.ai", cfg.ClientConfig.Endpoint)
	assert.Equal(t, 1000, cfg.PageSize)
	assert.Equal(t, "api_key: required", cfg.Validate().Error())

	cfg.APIKey = configopaque.String(simKey)
	require.NoError(t, cfg.Validate())
	assert.True(t, strings.HasPrefix(cfg.Scope(), "key-"), "without project_id the scope comes from the key")
	assert.NotContains(t, cfg.Scope(), simKey)
	assert.Equal(t, []string{""}, cfg.Identity())
	other := cfg
	other.APIKey = "sk-lw-another"
	assert.NotEqual(t, cfg.Scope(), other.Scope(), "another key, another project")

	cfg.ProjectID = simProject
	assert.Equal(t, simProject, cfg.Scope())
	assert.Equal(t, []string{simProject}, cfg.Identity())
	assert.Equal(t, []string{"1000"}, cfg.Paging())
	assert.True(t, cfg.Limits().Rate.IsZero())
	assert.Equal(t, Name, cfg.Simulator().Name())

	cfg.PageSize = 1001
	cfg.ClientConfig.Endpoint = "ftp://x"
	assert.Equal(t, "endpoint: must be an http(s) URL\npage_size: must be between 1 and 1000", cfg.Validate().Error())
	cfg.PageSize = 0
	assert.Contains(t, cfg.Validate().Error(), "page_size: must be between 1 and 1000")
}

func TestConfigEveryKey(t *testing.T) {
	cfg := NewDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint":     "http://localhost:5560",
		"api_key":      "sk-lw-key",
		"project_id":   "project_abc",
		"page_size":    250,
		"service_name": "support-bot",
		"headers":      map[string]any{"X-Team": "llm"},
	}).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "http://localhost:5560", cfg.ClientConfig.Endpoint)
	assert.Equal(t, configopaque.String("sk-lw-key"), cfg.APIKey)
	assert.Equal(t, "project_abc", cfg.ProjectID)
	assert.Equal(t, 250, cfg.PageSize)
	assert.Equal(t, "support-bot", cfg.ServiceName)
	assert.Equal(t, []string{"250"}, cfg.Paging())
}
