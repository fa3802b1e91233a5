package langtrace

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/llmtrace/llmtrace/internal/poll"
)

func TestConfig(t *testing.T) {
	cfg := NewDefaultConfig()
	assert.Equal(t, DefaultEndpoint, cfg.ClientConfig.Endpoint)
	assert.Equal(t, MaxPageSize, cfg.PageSize)
	assert.ElementsMatch(t, []poll.Problem{{Key: "api_key", Msg: "required"}, {Key: "project_id", Msg: "required"}}, cfg.Problems())

	cfg.APIKey = configopaque.String(testAPIKey)
	cfg.ProjectID = testProject
	assert.Empty(t, cfg.Problems())
	assert.Equal(t, "langtrace", cfg.Name())
	assert.Equal(t, testProject, cfg.Scope())
	assert.Equal(t, []string{testAPIKey}, cfg.Limits().Secrets)

	fp := cfg.Fingerprint()
	other := cfg
	other.ProjectID = "other"
	assert.NotEqual(t, fp, other.Fingerprint())

	cfg.PageSize = 101
	cfg.ClientConfig.Endpoint = "ftp://x"
	assert.ElementsMatch(t, []poll.Problem{{Key: "endpoint", Msg: "must be an http(s) URL"}, {Key: "page_size", Msg: "must be between 1 and 100"}}, cfg.Problems())
}
