package llmtracereceiver

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/llmtrace/llmtrace/internal/langtrace"
	"github.com/llmtrace/llmtrace/internal/metadata"
	"github.com/llmtrace/llmtrace/internal/opik"
)

func loadConfig(t *testing.T, name string) *Config {
	t.Helper()
	cm, err := confmaptest.LoadConf(filepath.Join("testdata", "config.yaml"))
	require.NoError(t, err)
	cfg := NewFactory().CreateDefaultConfig()
	sub, err := cm.Sub(component.NewIDWithName(metadata.Type, name).String())
	require.NoError(t, err)
	require.NoError(t, sub.Unmarshal(cfg))
	return cfg.(*Config)
}

func TestLoadConfigEveryKey(t *testing.T) {
	cfg := loadConfig(t, "all")
	require.NoError(t, confmap.Validate(cfg))

	storageID := component.MustNewID("file_storage")
	assert.Equal(t, 30*time.Second, cfg.PollInterval)
	assert.Equal(t, 2*time.Hour, cfg.InitialLookback)
	assert.Equal(t, 45*time.Second, cfg.SettleDelay)
	assert.Equal(t, 30*time.Minute, cfg.MaxTraceWait)
	assert.Equal(t, 15*time.Minute, cfg.Overlap)
	assert.Equal(t, 20, cfg.MaxPagesPerPoll)
	assert.Equal(t, int64(1<<20), cfg.MaxResponseBytes)
	assert.Equal(t, &storageID, cfg.StorageID)
	assert.Equal(t, configretry.BackOffConfig{
		Enabled: true, InitialInterval: 2 * time.Second, RandomizationFactor: 0.1, Multiplier: 3,
		MaxInterval: 20 * time.Second, MaxElapsedTime: 2 * time.Minute,
	}, cfg.RetryOnFailure)

	lt := cfg.Langtrace.Get()
	require.NotNil(t, lt)
	assert.Equal(t, "http://localhost:3000", lt.ClientConfig.Endpoint)
	assert.Equal(t, configopaque.String("lt-key"), lt.APIKey)
	assert.Equal(t, "proj-1", lt.ProjectID)
	assert.Equal(t, 50, lt.PageSize)
	assert.Equal(t, "support-bot", lt.ServiceName)
	assert.Equal(t, 20*time.Second, lt.ClientConfig.Timeout)
	team, ok := lt.ClientConfig.Headers.Get("X-Team")
	assert.True(t, ok)
	assert.Equal(t, configopaque.String("llm"), team)

	op := cfg.Opik.Get()
	require.NotNil(t, op)
	assert.Equal(t, "http://localhost:5173/api", op.ClientConfig.Endpoint)
	assert.Equal(t, configopaque.String("opik-key"), op.APIKey)
	assert.Equal(t, "acme", op.Workspace)
	assert.Equal(t, "search", op.ProjectName)
	assert.Empty(t, op.ProjectID)
	assert.Equal(t, 200, op.PageSize)
	assert.Equal(t, "search-bot", op.ServiceName)
	assert.Equal(t, 15*time.Second, op.ClientConfig.Timeout)
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg := loadConfig(t, "minimal")
	require.NoError(t, confmap.Validate(cfg))
	assert.Equal(t, time.Minute, cfg.PollInterval)
	assert.Equal(t, 24*time.Hour, cfg.InitialLookback)
	assert.Equal(t, 30*time.Second, cfg.SettleDelay)
	assert.Equal(t, time.Hour, cfg.MaxTraceWait)
	assert.Equal(t, 10*time.Minute, cfg.Overlap)
	assert.Equal(t, 50, cfg.MaxPagesPerPoll)
	assert.Equal(t, int64(64<<20), cfg.MaxResponseBytes)
	assert.Nil(t, cfg.StorageID)
	assert.Equal(t, configretry.NewDefaultBackOffConfig(), cfg.RetryOnFailure)

	lt := cfg.Langtrace.Get()
	require.NotNil(t, lt, "a present block starts from its defaults")
	assert.Equal(t, langtrace.DefaultEndpoint, lt.ClientConfig.Endpoint)
	assert.Equal(t, 100, lt.PageSize)
	assert.Nil(t, cfg.Opik.Get(), "an absent block stays off")
	assert.Len(t, cfg.vendors(), 1)
}

func TestValidateNeedsAVendor(t *testing.T) {
	cfg := loadConfig(t, "empty")
	assert.EqualError(t, cfg.Validate(), "llmtrace: at least one vendor block (langtrace, opik) is required")
}

func TestValidateReportsEveryProblemNamingTheKey(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		lt := cfg.Langtrace.GetOrInsertDefault()
		lt.APIKey, lt.ProjectID = "k", "p"
		return cfg
	}
	withOpik := func(mut func(*opik.Config)) func(*Config) {
		return func(cfg *Config) {
			o := cfg.Opik.GetOrInsertDefault()
			o.ProjectName = "demo"
			mut(o)
		}
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"poll_interval zero", func(c *Config) { c.PollInterval = 0 }, "llmtrace.poll_interval: must be positive"},
		{"initial_lookback negative", func(c *Config) { c.InitialLookback = -time.Hour }, "llmtrace.initial_lookback: must be positive"},
		{"settle_delay negative", func(c *Config) { c.SettleDelay = -time.Second }, "llmtrace.settle_delay: must not be negative"},
		{"max_trace_wait zero", func(c *Config) { c.MaxTraceWait = 0 }, "llmtrace.max_trace_wait: must be positive"},
		{"max_trace_wait below settle", func(c *Config) { c.MaxTraceWait = time.Second }, "llmtrace.max_trace_wait: must not be shorter than settle_delay"},
		{"overlap negative", func(c *Config) { c.Overlap = -time.Second }, "llmtrace.overlap: must not be negative"},
		{"max_pages_per_poll zero", func(c *Config) { c.MaxPagesPerPoll = 0 }, "llmtrace.max_pages_per_poll: must be positive"},
		{"max_response_bytes zero", func(c *Config) { c.MaxResponseBytes = 0 }, "llmtrace.max_response_bytes: must be positive"},
		{"langtrace api_key", func(c *Config) { c.Langtrace.Get().APIKey = "" }, "llmtrace.langtrace.api_key: required"},
		{"langtrace project_id", func(c *Config) { c.Langtrace.Get().ProjectID = "" }, "llmtrace.langtrace.project_id: required"},
		{"langtrace page_size", func(c *Config) { c.Langtrace.Get().PageSize = 101 }, "llmtrace.langtrace.page_size: must be between 1 and 100"},
		{"langtrace endpoint", func(c *Config) { c.Langtrace.Get().ClientConfig.Endpoint = "app.langtrace.ai" }, "llmtrace.langtrace.endpoint: must be an http(s) URL"},
		{"opik project missing", withOpik(func(o *opik.Config) { o.ProjectName = "" }), "llmtrace.opik.project_name: project_name or project_id is required"},
		{"opik both projects", withOpik(func(o *opik.Config) { o.ProjectID = "0190a1b2-0000-7000-8000-000000000000" }), "llmtrace.opik.project_id: set project_name or project_id, not both"},
		{"opik workspace", withOpik(func(o *opik.Config) { o.APIKey = "k" }), "llmtrace.opik.workspace: required with api_key"},
		{"opik page_size", withOpik(func(o *opik.Config) { o.PageSize = 0 }), "llmtrace.opik.page_size: must be between 1 and 2000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			require.NoError(t, cfg.Validate())
			tt.mutate(cfg)
			assert.EqualError(t, cfg.Validate(), tt.want)
		})
	}

	t.Run("all at once", func(t *testing.T) {
		cfg := valid()
		cfg.PollInterval = 0
		cfg.Langtrace.Get().APIKey = ""
		cfg.Langtrace.Get().ProjectID = ""
		assert.EqualError(t, cfg.Validate(), "llmtrace.poll_interval: must be positive\n"+
			"llmtrace.langtrace.api_key: required\n"+
			"llmtrace.langtrace.project_id: required")
	})
}

func TestAPIKeyIsMaskedWhenConfigIsPrinted(t *testing.T) {
	cfg := loadConfig(t, "all")
	assert.Equal(t, "[REDACTED]", cfg.Langtrace.Get().APIKey.String())
}
