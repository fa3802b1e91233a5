package langsmith

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"
	"go.uber.org/zap/zaptest"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// Ids of the fixtures (the seed page's trace and thread).
const (
	seedTraceID   = "018e4c7e-a9fb-7ef0-a5b6-6ea3a82e9327"
	seedThreadID  = "d4e5f6a7-b8c9-4d5e-1f2a-3b4c5d6e7f8a"
	testProjectID = "0190a1b2-c3d4-7ef0-a5b6-6ea3a82e9328"
	testWorkspace = "a1b2c3d4-e5f6-4a5b-8c9d-0e1f2a3b4c5d"
	testKey       = "lsv2_sk_0123456789abcdef"
)

// recorded is one request the fake server received.
type recorded struct {
	Method, Path, RawPath, Query string
	Header                       http.Header
	Body                         string
}

// fakeLangSmith answers each request with the handler registered for its
// "METHOD /path" (path prefixes end with "*"); unknown routes are 404.
type fakeLangSmith struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]http.HandlerFunc
	reqs   []recorded
}

func newFake(t *testing.T) *fakeLangSmith {
	f := &fakeLangSmith{t: t, routes: map[string]http.HandlerFunc{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeLangSmith) on(route string, h http.HandlerFunc) { f.routes[route] = h }

// json answers status with body on route.
func (f *fakeLangSmith) json(route string, status int, body string) {
	f.on(route, func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	})
}

func (f *fakeLangSmith) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	f.mu.Lock()
	f.reqs = append(f.reqs, recorded{r.Method, r.URL.Path, r.URL.RawPath, r.URL.RawQuery, r.Header.Clone(), string(body)})
	f.mu.Unlock()
	key := r.Method + " " + r.URL.Path
	h := f.routes[key]
	if h == nil {
		for route, rh := range f.routes {
			if p, ok := strings.CutSuffix(route, "*"); ok && strings.HasPrefix(key, p) {
				h = rh
			}
		}
	}
	if h == nil {
		http.Error(w, `{"title":"Not Found","status":404,"detail":"no route"}`, http.StatusNotFound)
		return
	}
	h(w, r)
}

func (f *fakeLangSmith) requests() []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]recorded(nil), f.reqs...)
}

// config is a valid block pointing at the fake server.
func (f *fakeLangSmith) config() *Config {
	c := NewDefaultConfig()
	c.ClientConfig.Endpoint = f.srv.URL
	c.APIKey = configopaque.String(testKey)
	c.WorkspaceID = testWorkspace
	c.ProjectID = testProjectID
	return &c
}

// newTestSource builds the source of cfg; warns counts conversion warnings.
func newTestSource(t *testing.T, cfg *Config, warns *int) *source {
	t.Helper()
	api, err := poll.NewAPIClient(poll.APIClientSettings{
		Client: http.DefaultClient, Endpoint: cfg.ClientConfig.Endpoint, MaxResponseBytes: 8 << 20,
		Secrets: []string{string(cfg.APIKey)}, Logger: zaptest.NewLogger(t),
	})
	require.NoError(t, err)
	if warns == nil {
		warns = new(int)
	}
	src, err := cfg.NewSource(poll.SourceSettings{Vendor: Name, API: api, Logger: zaptest.NewLogger(t), Warn: func() { *warns++ }})
	require.NoError(t, err)
	return src.(*source)
}
