package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// testPart answers GET /count with the number of traces started so far and
// checks the API key.
type testPart struct{ name string }

func (p testPart) Name() string { return p.name }

func (p testPart) ReceiverConfig(endpoint string, _ sim.Credentials) map[string]any {
	return map[string]any{"endpoint": endpoint}
}

func (p testPart) Scenarios() []sim.Scenario { return nil }

func (p testPart) Handler(env *sim.Env) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != env.Creds.APIKey {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"started": env.Data.IndexAt(env.Now()), "project": env.Creds.Project})
	})
}

var testParts = map[string]sim.Part{"alpha": testPart{"alpha"}, "beta": testPart{"beta"}}

func TestHelpDocumentsEveryFlag(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), []string{"--help"}, testParts, &stdout, &stderr)
	assert.Equal(t, 0, code)
	help := stderr.String()
	var cfg config
	fs := newFlagSet(&cfg, testParts, io.Discard)
	n := 0
	fs.VisitAll(func(f *flag.Flag) {
		n++
		assert.Regexp(t, `(?m)^  -`+regexp.QuoteMeta(f.Name)+`( |$)`, help, "flag %s", f.Name)
		assert.NotEmpty(t, f.Usage, "flag %s", f.Name)
	})
	for _, name := range []string{"vendors", "listen", "seed", "traces", "rate", "backfill", "speed", "api-key", "workspace",
		"project", "fault", "late-fraction", "long-running-fraction", "ready-file", "receiver-config", "truth"} {
		assert.NotNil(t, fs.Lookup(name), "flag --%s", name)
	}
	assert.GreaterOrEqual(t, n, 15)
	assert.Contains(t, help, "Registered vendors: alpha, beta")
	assert.Contains(t, help, "VENDOR:PATTERN:KIND", "fault grammar")
	assert.Contains(t, help, "429-retry-after")
}

func TestNoVendorRegistered(t *testing.T) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), nil, map[string]sim.Part{}, &stdout, &stderr)
	assert.NotEqual(t, 0, code)
	assert.Contains(t, stderr.String(), "no vendor simulator is registered")
	assert.Empty(t, stdout.String())
}

func TestBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"--vendors", "gamma"},
		{"--rate", "0"},
		{"--traces", "-1"},
		{"--late-fraction", "2"},
		{"--fault", "gamma:/x:429"},
		{"--listen", "alpha"},
		{"--fault", "alpha:/x:teapot"},
		{"extra"},
	} {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), args, testParts, &stdout, &stderr)
		assert.NotEqual(t, 0, code, "%v", args)
		assert.NotEmpty(t, stderr.String(), "%v", args)
	}
}

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestServesUntilCancelled(t *testing.T) {
	dir := t.TempDir()
	ready := filepath.Join(dir, "ready.json")
	receiverCfg := filepath.Join(dir, "receiver.yaml")
	truth := filepath.Join(dir, "truth-{vendor}.jsonl")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan int)
	go func() {
		done <- run(ctx, []string{
			"--vendors", "beta", "--traces", "300", "--rate", "10", "--backfill", "10s", "--speed", "2",
			"--api-key", "secret", "--project", "p1", "--ready-file", ready, "--receiver-config", receiverCfg, "--truth", truth,
			"--fault", "beta:GET /fail:5xx",
		}, testParts, &stdout, &stderr)
	}()

	var urls map[string]string
	require.Eventually(t, func() bool {
		b, err := os.ReadFile(ready)
		return err == nil && json.Unmarshal(b, &urls) == nil
	}, 20*time.Second, 10*time.Millisecond, "ready file; stderr: %s", &stderr)
	require.Len(t, urls, 1)
	url := urls["beta"]
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, url)
	assert.Equal(t, "beta "+url+"\n", stdout.String())
	var rc map[string]map[string]map[string]map[string]any
	b, err := os.ReadFile(receiverCfg)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &rc))
	assert.Equal(t, map[string]any{"endpoint": url}, rc["receivers"]["llmtrace"]["beta"], "the part's block, pointed at its listener")

	req, _ := http.NewRequest(http.MethodGet, url+"/count", nil)
	req.Header.Set("x-api-key", "secret")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	var got struct {
		Started int
		Project string
	}
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&got))
	_ = resp.Body.Close()
	assert.Equal(t, "p1", got.Project)
	assert.InDelta(t, 100, got.Started, 15, "10 s of backfill at 10 traces/s")

	req, _ = http.NewRequest(http.MethodGet, url+"/fail", nil)
	resp, err = http.DefaultClient.Do(req)
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "--fault applies")

	// The ground truth holds every trace, one per line, as OTLP JSON.
	f, err := os.Open(strings.ReplaceAll(truth, "{vendor}", "beta"))
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<24)
	lines, spans := 0, 0
	var um ptrace.JSONUnmarshaler
	for sc.Scan() {
		td, err := um.UnmarshalTraces(sc.Bytes())
		require.NoError(t, err, "line %d", lines+1)
		require.Equal(t, 1, td.ResourceSpans().Len())
		v, _ := td.ResourceSpans().At(0).Resource().Attributes().Get("llmtrace.vendor")
		assert.Equal(t, "beta", v.Str())
		spans += td.SpanCount()
		lines++
	}
	require.NoError(t, sc.Err())
	assert.Equal(t, 300, lines)
	assert.Greater(t, spans, 900)
	_, err = os.Stat(strings.ReplaceAll(truth, "{vendor}", "alpha"))
	assert.True(t, os.IsNotExist(err), "alpha is not served")

	cancel()
	select {
	case code := <-done:
		assert.Equal(t, 0, code, "stderr: %s", stderr.String())
	case <-time.After(10 * time.Second):
		t.Fatal("did not stop")
	}
	_, err = http.Get(url + "/count")
	assert.Error(t, err, "stopped listening")
}
