package langtracesim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/llmtrace/llmtrace/internal/langtrace"
	"github.com/llmtrace/llmtrace/internal/langtrace/langtracesim"
	"github.com/llmtrace/llmtrace/internal/poll"
)

func init() {
	langtracesim.SetSourceFactory(func(t *testing.T, endpoint, apiKey, project string, pageSize int, warn func()) poll.Source {
		t.Helper()
		cfg := langtrace.NewDefaultConfig()
		cfg.ClientConfig.Endpoint = endpoint
		cfg.APIKey = configopaque.String(apiKey)
		cfg.ProjectID = project
		cfg.PageSize = pageSize
		api, err := poll.NewAPIClient(poll.APIClientSettings{Client: http.DefaultClient, Endpoint: endpoint, Secrets: []string{apiKey}})
		require.NoError(t, err)
		src, err := cfg.NewSource(poll.SourceSettings{Vendor: langtrace.Name, API: api, Warn: warn})
		require.NoError(t, err)
		return src
	})
}
