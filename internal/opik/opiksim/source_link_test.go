package opiksim_test

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/llmtrace/llmtrace/internal/opik"
	"github.com/llmtrace/llmtrace/internal/opik/opiksim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

func init() {
	opiksim.SetSourceFactory(func(t *testing.T, endpoint string, creds sim.Credentials, pageSize int) poll.Source {
		t.Helper()
		oc := opik.NewDefaultConfig()
		oc.ClientConfig.Endpoint = endpoint
		oc.APIKey, oc.Workspace, oc.ProjectName = configopaque.String(creds.APIKey), creds.Workspace, creds.Project
		oc.PageSize = pageSize
		api, err := poll.NewAPIClient(poll.APIClientSettings{Client: http.DefaultClient, Endpoint: endpoint, MaxResponseBytes: 64 << 20, Secrets: []string{creds.APIKey}})
		require.NoError(t, err)
		src, err := oc.NewSource(poll.SourceSettings{Vendor: opik.Name, API: api, Warn: func() { t.Error("conversion warning") }})
		require.NoError(t, err)
		return src
	})
}
