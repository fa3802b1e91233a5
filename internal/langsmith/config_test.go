package langsmith

import (
	"strings"
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
		"endpoint":     "https://eu.api.smith.langchain.com/api/v1/",
		"api_key":      "lsv2_sk_abc",
		"workspace_id": testWorkspace,
		"project_name": "support-bot",
		"discovery":    "threads",
		"page_size":    50,
		"service_name": "support",
		"timeout":      "15s",
	}).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "https://eu.api.smith.langchain.com", cfg.ClientConfig.Endpoint, "the API prefix is removed")
	assert.Equal(t, configopaque.String("lsv2_sk_abc"), cfg.APIKey)
	assert.Equal(t, testWorkspace, cfg.WorkspaceID)
	assert.Equal(t, "support-bot", cfg.ProjectName)
	assert.Equal(t, DiscoveryThreads, cfg.Discovery)
	assert.Equal(t, 50, cfg.PageSize)
	assert.Equal(t, "support", cfg.ServiceName)
	assert.Equal(t, 15*time.Second, cfg.ClientConfig.Timeout)
	assert.Equal(t, "support-bot", cfg.Scope())
	assert.Equal(t, []string{testWorkspace, "support-bot", "", DiscoveryThreads}, cfg.Identity())
	assert.Equal(t, []string{DiscoveryThreads, "50"}, cfg.Paging())
}

func TestConfigDefaults(t *testing.T) {
	cfg := NewDefaultConfig()
	assert.Equal(t, DefaultEndpoint, cfg.ClientConfig.Endpoint)
	assert.Equal(t, DiscoveryTraces, cfg.Discovery)
	assert.Equal(t, MaxPageSize, cfg.PageSize)
	assert.Equal(t, "api_key: required\nproject_name: project_name or project_id is required", cfg.Validate().Error())
	l := cfg.Limits()
	assert.Equal(t, 1000, l.Rate.Requests)
	assert.Equal(t, 10*time.Second, l.Rate.Per)
	assert.Equal(t, 300, l.Paths["POST /api/v2/runs/query"].Requests)
}

func TestNormalizeEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"https://api.smith.langchain.com":          "https://api.smith.langchain.com",
		"https://api.smith.langchain.com/":         "https://api.smith.langchain.com",
		"https://api.smith.langchain.com/api":      "https://api.smith.langchain.com",
		"https://api.smith.langchain.com/api/v1":   "https://api.smith.langchain.com",
		"https://api.smith.langchain.com/api/v1//": "https://api.smith.langchain.com",
		"https://ls.acme.dev/langsmith/api/v1":     "https://ls.acme.dev/langsmith",
		"http://localhost:1984/api/v2":             "http://localhost:1984/api/v2",
		"https://api":                              "https://api",
		"not a url":                                "not a url",
	} {
		assert.Equal(t, want, NormalizeEndpoint(in), in)
	}
}

func TestConfigProblems(t *testing.T) {
	valid := func() Config {
		c := NewDefaultConfig()
		c.APIKey, c.ProjectName = "k", "demo"
		return c
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"project missing", func(c *Config) { c.ProjectName = "" }, "project_name: project_name or project_id is required"},
		{"both projects", func(c *Config) { c.ProjectID = testProjectID }, "project_id: set project_name or project_id, not both"},
		{"project_id not a UUID", func(c *Config) { c.ProjectName, c.ProjectID = "", "demo" }, "project_id: must be the project's UUID (or set project_name)"},
		{"workspace_id not a UUID", func(c *Config) { c.WorkspaceID = "acme" }, "workspace_id: must be a workspace UUID"},
		{"discovery", func(c *Config) { c.Discovery = "runs" }, `discovery: must be "traces" or "threads"`},
		{"page_size", func(c *Config) { c.PageSize = 101 }, "page_size: must be between 1 and 100"},
		{"api_key", func(c *Config) { c.APIKey = "" }, "api_key: required"},
		{"endpoint", func(c *Config) { c.ClientConfig.Endpoint = "api.smith.langchain.com" }, "endpoint: must be an http(s) URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := valid()
			require.NoError(t, c.Validate())
			tt.mutate(&c)
			assert.EqualError(t, c.Validate(), tt.want)
		})
	}
	t.Run("every problem at once", func(t *testing.T) {
		c := Config{}
		assert.Equal(t, 5, strings.Count(c.Validate().Error(), "\n")+1)
	})
}
