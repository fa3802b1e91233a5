package llmtracereceiver

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/confmap/confmaptest"

	"github.com/llmtrace/llmtrace/internal/langtrace"
	"github.com/llmtrace/llmtrace/internal/metadata"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
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
	assert.Equal(t, 5*time.Minute, cfg.RereadInterval)
	assert.Equal(t, 20, cfg.MaxPagesPerPoll)
	assert.Equal(t, int64(1<<20), cfg.MaxResponseBytes)
	assert.Equal(t, &storageID, cfg.StorageID)
	assert.Equal(t, configretry.BackOffConfig{
		Enabled: true, InitialInterval: 2 * time.Second, RandomizationFactor: 0.1, Multiplier: 3,
		MaxInterval: 20 * time.Second, MaxElapsedTime: 2 * time.Minute,
	}, cfg.RetryOnFailure)

	require.NotNil(t, cfg.Langtrace)
	require.NotNil(t, cfg.Opik)
	assert.Len(t, cfg.vendors(), 2)
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

	require.NotNil(t, cfg.Langtrace, "a present block starts from its defaults")
	assert.Equal(t, langtrace.DefaultEndpoint, cfg.Langtrace.ClientConfig.Endpoint)
	assert.Equal(t, 100, cfg.Langtrace.PageSize)
	assert.Nil(t, cfg.Opik, "an absent block stays off")
	assert.Len(t, cfg.vendors(), 1)
}

func TestValidateNeedsAVendor(t *testing.T) {
	cfg := loadConfig(t, "empty")
	names := poll.Names(poll.Blocks(cfg))
	assert.EqualError(t, cfg.Validate(), "at least one vendor block ("+strings.Join(names, ", ")+") is required")
}

func TestValidateReportsEveryReceiverProblemNamingTheKey(t *testing.T) {
	valid := func() *Config {
		cfg := createDefaultConfig().(*Config)
		lt := langtrace.NewDefaultConfig()
		lt.APIKey, lt.ProjectID = "k", "p"
		cfg.Langtrace = &lt
		return cfg
	}
	tests := []struct {
		name   string
		mutate func(*Config)
		want   string
	}{
		{"poll_interval zero", func(c *Config) { c.PollInterval = 0 }, "poll_interval: must be positive"},
		{"initial_lookback negative", func(c *Config) { c.InitialLookback = -time.Hour }, "initial_lookback: must be positive"},
		{"settle_delay negative", func(c *Config) { c.SettleDelay = -time.Second }, "settle_delay: must not be negative"},
		{"max_trace_wait zero", func(c *Config) { c.MaxTraceWait = 0 }, "max_trace_wait: must be positive"},
		{"max_trace_wait below settle", func(c *Config) { c.MaxTraceWait = time.Second }, "max_trace_wait: must not be shorter than settle_delay"},
		{"overlap negative", func(c *Config) { c.Overlap = -time.Second }, "overlap: must not be negative\nreread_interval: must not be longer than overlap"},
		{"reread_interval past overlap", func(c *Config) { c.RereadInterval = c.Overlap + time.Second }, "reread_interval: must not be longer than overlap"},
		{"max_pages_per_poll zero", func(c *Config) { c.MaxPagesPerPoll = 0 }, "max_pages_per_poll: must be positive"},
		{"max_response_bytes zero", func(c *Config) { c.MaxResponseBytes = 0 }, "max_response_bytes: must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := valid()
			require.NoError(t, confmap.Validate(cfg))
			tt.mutate(cfg)
			assert.EqualError(t, confmap.Validate(cfg), tt.want)
		})
	}

	t.Run("all at once, vendor keys with their path", func(t *testing.T) {
		cfg := valid()
		cfg.PollInterval = 0
		cfg.Langtrace.APIKey = ""
		cfg.Langtrace.ProjectID = ""
		assert.EqualError(t, confmap.Validate(cfg), "poll_interval: must be positive\n"+
			"langtrace: api_key: required\n"+
			"project_id: required")
	})
}

// collectorConfig is how the collector holds receiver configurations: it
// validates the whole tree, naming each component by its ID.
type collectorConfig struct {
	Receivers map[component.ID]component.Config `mapstructure:"receivers"`
}

// TestEveryVendorBlock holds for each registered vendor: an empty block
// starts from the vendor's defaults; the block its simulator gives is
// valid and loads every key; an unknown key fails naming it; problems of a
// named instance carry the collector's path.
func TestEveryVendorBlock(t *testing.T) {
	for _, part := range registeredParts(t) {
		name := part.Name()
		t.Run(name, func(t *testing.T) {
			load := func(block any) (*Config, error) {
				cfg := createDefaultConfig().(*Config)
				err := confmap.NewFromStringMap(map[string]any{name: block}).Unmarshal(cfg)
				return cfg, err
			}
			var block poll.Block
			for _, b := range poll.Blocks(createDefaultConfig().(*Config)) {
				if b.Name == name {
					block = b
				}
			}

			cfg, err := load(map[string]any{})
			require.NoError(t, err)
			require.Len(t, cfg.vendors(), 1)
			assert.Equal(t, block.New(), cfg.vendors()[0].Config, "an empty block is the defaults")
			cfg, err = load(nil)
			require.NoError(t, err)
			require.Len(t, cfg.vendors(), 1, "a block without keys is present")

			cfg, err = load(part.ReceiverConfig("http://127.0.0.1:1", sim.Credentials{APIKey: "key", Workspace: "ws", Project: "proj"}))
			require.NoError(t, err)
			require.NoError(t, confmap.Validate(cfg))
			vc := cfg.vendors()[0].Config
			assert.Equal(t, "http://127.0.0.1:1", vc.CommonConfig().ClientConfig.Endpoint)
			assert.NotEqual(t, block.New(), vc)

			_, err = load(map[string]any{"no_such_key": 1})
			require.ErrorContains(t, err, "no_such_key")

			cfg, err = load(map[string]any{"endpoint": "not a url"})
			require.NoError(t, err)
			id := component.NewIDWithName(metadata.Type, "support")
			err = confmap.Validate(&collectorConfig{Receivers: map[component.ID]component.Config{id: cfg}})
			require.Error(t, err)
			assert.Contains(t, err.Error(), "receivers::llmtrace/support::"+name+": endpoint: must be an http(s) URL")
		})
	}
}
func TestAPIKeyIsMaskedWhenConfigIsPrinted(t *testing.T) {
	cfg := loadConfig(t, "all")
	assert.Equal(t, "[REDACTED]", cfg.Langtrace.APIKey.String())
}

func TestCaptureContentReceiverDefaultAndVendorOverride(t *testing.T) {
	cfg := createDefaultConfig().(*Config)
	assert.True(t, cfg.CaptureContent, "content is captured unless turned off")
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"capture_content": false,
		"langtrace":       map[string]any{"api_key": "k", "project_id": "p"},
		"opik":            map[string]any{"project_name": "demo", "capture_content": true},
	}).Unmarshal(cfg))
	assert.False(t, cfg.CaptureContent)
	assert.Nil(t, cfg.Langtrace.CaptureContent, "langtrace follows the receiver")
	require.NotNil(t, cfg.Opik.CaptureContent)
	assert.True(t, *cfg.Opik.CaptureContent, "opik overrides it")
}
