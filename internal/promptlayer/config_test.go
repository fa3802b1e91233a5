package promptlayer

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/confmap"

	"github.com/llmtrace/llmtrace/internal/poll"
)

func TestConfig(t *testing.T) {
	cfg := NewDefaultConfig()
	assert.Equal(t, DefaultEndpoint, cfg.ClientConfig.Endpoint)
	assert.Equal(t, MaxPageSize, cfg.PageSize)
	require.EqualError(t, cfg.Validate(), "api_key: required")

	cfg.APIKey = configopaque.String(testKey)
	require.NoError(t, cfg.Validate())
	scope := cfg.Scope()
	assert.Regexp(t, `^key-[0-9a-f]{12}$`, scope)
	assert.NotContains(t, scope, testKey[4:10], "the scope does not reveal the key")
	assert.Equal(t, []string{scope}, cfg.Identity())
	assert.Equal(t, []string{"25"}, cfg.Paging())
	other := cfg
	other.APIKey = "another-key"
	assert.NotEqual(t, scope, other.Scope(), "another key is another checkpoint")

	cfg.PageSize = 26
	cfg.ClientConfig.Endpoint = "api.promptlayer.com"
	assert.EqualError(t, cfg.Validate(), "endpoint: must be an http(s) URL\npage_size: must be between 1 and 25")
}

// TestLimits: only the search is limited, 10 a minute with a margin.
func TestLimits(t *testing.T) {
	cfg := NewDefaultConfig()
	l := cfg.Limits()
	assert.True(t, l.Rate.IsZero(), "the request and trace reads document no limit")
	require.Len(t, l.Paths, 1)
	r := l.Paths["POST /api/public/v2/requests/search"]
	assert.Equal(t, poll.Rate{Requests: 10, Per: 63 * time.Second, Burst: 1}, r)
	assert.GreaterOrEqual(t, r.Per/time.Duration(r.Requests), 6*time.Second, "never more than 10 in any minute")
}

func TestConfigEveryKey(t *testing.T) {
	cfg := NewDefaultConfig()
	require.NoError(t, confmap.NewFromStringMap(map[string]any{
		"endpoint":     "https://promptlayer.internal.example",
		"api_key":      "pl_abc",
		"page_size":    10,
		"service_name": "support-bot",
		"timeout":      "20s",
		"headers":      map[string]any{"X-Team": "llm"},
	}).Unmarshal(&cfg))
	require.NoError(t, cfg.Validate())
	assert.Equal(t, "https://promptlayer.internal.example", cfg.ClientConfig.Endpoint)
	assert.Equal(t, configopaque.String("pl_abc"), cfg.APIKey)
	assert.Equal(t, 10, cfg.PageSize)
	assert.Equal(t, "support-bot", cfg.ServiceName)
	assert.Equal(t, 20*time.Second, cfg.ClientConfig.Timeout)
	team, ok := cfg.ClientConfig.Headers.Get("X-Team")
	assert.True(t, ok)
	assert.Equal(t, configopaque.String("llm"), team)

	src, err := cfg.NewSource(poll.SourceSettings{Vendor: Name})
	require.NoError(t, err)
	s := src.(*source)
	assert.Equal(t, 10, s.pageSize)
	assert.Equal(t, "pl_abc", s.header.Get("X-API-KEY"))
	assert.Equal(t, "support-bot", s.conv.service)
	assert.True(t, strings.HasPrefix(s.conv.project, "key-"))
}
