package promptlayer

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/config/configopaque"

	"github.com/llmtrace/llmtrace/internal/poll"
)

const testKey = "pl_test_key_0123456789"

// fakePL answers fixed bodies per "METHOD path" and records every request.
type fakePL struct {
	t      *testing.T
	srv    *httptest.Server
	mu     sync.Mutex
	routes map[string]fakeAnswer
	seen   []fakeRequest
}

type fakeAnswer struct {
	status int
	body   string
}

type fakeRequest struct {
	method, path, key string
	body              string
}

func newFakePL(t *testing.T) *fakePL {
	f := &fakePL{t: t, routes: map[string]fakeAnswer{}}
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, fakeRequest{method: r.Method, path: r.URL.Path, key: r.Header.Get("X-API-KEY"), body: string(body)})
		a, ok := f.routes[r.Method+" "+r.URL.Path]
		f.mu.Unlock()
		if !ok {
			a = fakeAnswer{http.StatusNotFound, `{"detail":"Not Found"}`}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.status)
		_, _ = io.WriteString(w, a.body)
	}))
	t.Cleanup(f.srv.Close)
	return f
}

// answer sets the answer of "METHOD path".
func (f *fakePL) answer(route string, status int, body string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[route] = fakeAnswer{status, body}
}

// file sets a 200 answer from testdata.
func (f *fakePL) file(route, name string) {
	f.t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(f.t, err)
	f.answer(route, http.StatusOK, string(b))
}

func (f *fakePL) requests() []fakeRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]fakeRequest(nil), f.seen...)
}

// count is how many requests went to "METHOD path".
func (f *fakePL) count(route string) int {
	n := 0
	for _, r := range f.requests() {
		if r.method+" "+r.path == route {
			n++
		}
	}
	return n
}

// fakeSource is a source against the fake, counting warnings.
type fakeSource struct {
	*source
	warns int
}

func newFakeSource(t *testing.T, f *fakePL, mutate func(*Config)) *fakeSource {
	t.Helper()
	c := NewDefaultConfig()
	c.ClientConfig.Endpoint = f.srv.URL
	c.APIKey = configopaque.String(testKey)
	if mutate != nil {
		mutate(&c)
	}
	api, err := poll.NewAPIClient(poll.APIClientSettings{Client: f.srv.Client(), Endpoint: f.srv.URL, MaxResponseBytes: 1 << 20, Secrets: []string{testKey}})
	require.NoError(t, err)
	fs := &fakeSource{}
	src, err := c.NewSource(poll.SourceSettings{Vendor: Name, API: api, Warn: func() { fs.warns++ }})
	require.NoError(t, err)
	fs.source = src.(*source)
	return fs
}
