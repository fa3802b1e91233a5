package langtrace

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"
)

func TestConfig(t *testing.T) {
	cfg := NewDefaultConfig()
	assert.Equal(t, DefaultEndpoint, cfg.ClientConfig.Endpoint)
	assert.Equal(t, MaxPageSize, cfg.PageSize)
	err := cfg.Validate()
	require.Error(t, err)
	assert.Equal(t, "api_key: required\nproject_id: required", err.Error())

	cfg.APIKey = configopaque.String(testAPIKey)
	cfg.ProjectID = testProject
	require.NoError(t, cfg.Validate())
	assert.Equal(t, testProject, cfg.Scope())
	assert.Equal(t, []string{testProject}, cfg.Identity())

	cfg.PageSize = 101
	cfg.ClientConfig.Endpoint = "ftp://x"
	assert.Equal(t, "endpoint: must be an http(s) URL\npage_size: must be between 1 and 100", cfg.Validate().Error())
}

func TestConfigEveryKey(t *testing.T) {
	cfg := NewDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint":     "http://localhost:3000",
		"api_key":      "lt-key",
		"project_id":   "proj-1",
		"page_size":    50,
		"service_name": "support-bot",
		"timeout":      "20s",
		"headers":      map[string]any{"X-Team": "llm"},
	}).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "http://localhost:3000", cfg.ClientConfig.Endpoint)
	assert.Equal(t, configopaque.String("lt-key"), cfg.APIKey)
	assert.Equal(t, "proj-1", cfg.ProjectID)
	assert.Equal(t, 50, cfg.PageSize)
	assert.Equal(t, "support-bot", cfg.ServiceName)
	assert.Equal(t, 20*time.Second, cfg.ClientConfig.Timeout)
	team, ok := cfg.ClientConfig.Headers.Get("X-Team")
	assert.True(t, ok)
	assert.Equal(t, configopaque.String("llm"), team)
}
