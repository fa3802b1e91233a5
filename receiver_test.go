package llmtracereceiver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/open-telemetry/opentelemetry-collector-contrib/extension/storage/storagetest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component"
	"go.opentelemetry.io/collector/component/componentstatus"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pipeline"
	"go.opentelemetry.io/collector/receiver/receivertest"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/llmtrace/llmtrace/internal/langtrace"
	"github.com/llmtrace/llmtrace/internal/metadata"
)

const testAPIKey = "lt-secret-api-key-4f9a8b7c"

// fakeLangtrace serves Langtrace's POST /api/traces from an in-memory list
// of one-span traces, newest first, so receiver tests need no simulator.
type fakeLangtrace struct {
	mu     sync.Mutex
	traces []map[string]any // one span each, oldest first
	next   atomic.Int64
	srv    *httptest.Server
	// answer, when set, replaces the normal answer.
	answer func(w http.ResponseWriter, r *http.Request) bool
	calls  atomic.Int64
}

func newFakeLangtrace(t *testing.T) *fakeLangtrace {
	f := &fakeLangtrace{}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// add stores a finished one-span trace whose attributes carry testID.
func (f *fakeLangtrace) add(testID string, end time.Time) {
	n := f.next.Add(1)
	span := map[string]any{
		"name":        "openai.chat.completions.create",
		"trace_id":    fmt.Sprintf("%032x", n),
		"span_id":     fmt.Sprintf("%016x", n),
		"parent_id":   "",
		"trace_state": "[]",
		"kind":        "2",
		"start_time":  end.Add(-time.Second).UTC().Format(time.RFC3339Nano),
		"end_time":    end.UTC().Format(time.RFC3339Nano),
		"attributes":  fmt.Sprintf(`{"test_id":%q,"gen_ai.system":"openai"}`, testID),
		"status_code": "OK",
		"events":      "[]",
		"links":       "[]",
		"duration":    "1000000",
	}
	f.mu.Lock()
	f.traces = append(f.traces, span)
	f.mu.Unlock()
}

func (f *fakeLangtrace) serve(w http.ResponseWriter, r *http.Request) {
	f.calls.Add(1)
	if f.answer != nil && f.answer(w, r) {
		return
	}
	if r.Header.Get("x-api-key") != testAPIKey {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"Unauthorized. Invalid API key"}`))
		return
	}
	var body struct{ Page, PageSize int }
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Page < 1 || body.PageSize < 1 {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	result := [][]map[string]any{}
	for i := len(f.traces) - 1 - (body.Page-1)*body.PageSize; i >= 0 && len(result) < body.PageSize; i-- {
		result = append(result, []map[string]any{f.traces[i]})
	}
	total := max(1, (len(f.traces)+body.PageSize-1)/body.PageSize)
	f.mu.Unlock()
	_ = json.NewEncoder(w).Encode(map[string]any{"traces": map[string]any{
		"result":   result,
		"metadata": map[string]any{"page": body.Page, "page_size": body.PageSize, "total_pages": total},
	}})
}

// fastConfig polls the fake Langtrace every 20 ms and emits at once.
func fastConfig(endpoint string) *Config {
	cfg := createDefaultConfig().(*Config)
	cfg.PollInterval = 20 * time.Millisecond
	cfg.SettleDelay = 0
	cfg.MaxTraceWait = time.Minute
	cfg.RetryOnFailure.InitialInterval = 10 * time.Millisecond
	cfg.RetryOnFailure.MaxElapsedTime = 100 * time.Millisecond
	lt := langtrace.NewDefaultConfig()
	cfg.Langtrace = &lt
	lt.ClientConfig.Endpoint = endpoint
	lt.APIKey = testAPIKey
	lt.ProjectID = "proj"
	return cfg
}

// contractGenerator adds traces to the fake Langtrace; the receiver polls
// them, which is how data reaches a pull receiver.
type contractGenerator struct {
	f   *fakeLangtrace
	seq atomic.Int64
}

// Start begins a scenario with an empty vendor: each scenario's receiver
// starts without a checkpoint.
func (g *contractGenerator) Start() {
	g.f.mu.Lock()
	g.f.traces = nil
	g.f.mu.Unlock()
}

// Stop empties the vendor too: the next scenario's receiver starts before
// its generator does, and must not find this scenario's traces.
func (g *contractGenerator) Stop() { g.Start() }
func (g *contractGenerator) Generate() []receivertest.UniqueIDAttrVal {
	id := receivertest.UniqueIDAttrVal(fmt.Sprintf("span-%d", g.seq.Add(1)))
	g.f.add(string(id), time.Now().Add(-time.Second))
	return []receivertest.UniqueIDAttrVal{id}
}

func TestConsumeContract(t *testing.T) {
	f := newFakeLangtrace(t)
	receivertest.CheckConsumeContract(receivertest.CheckConsumeContractParams{
		T:             t,
		Factory:       NewFactory(),
		Signal:        pipeline.SignalTraces,
		Config:        fastConfig(f.srv.URL),
		Generator:     &contractGenerator{f: f},
		GenerateCount: 200,
	})
}

func TestReceiverEmitsPolledTraces(t *testing.T) {
	f := newFakeLangtrace(t)
	for i := range 5 {
		f.add(fmt.Sprint(i), time.Now().Add(-time.Minute))
	}
	sink := new(consumertest.TracesSink)
	r, err := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), fastConfig(f.srv.URL), sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return sink.SpanCount() == 5 }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(100 * time.Millisecond) // several more polls: nothing new
	require.NoError(t, r.Shutdown(context.Background()))
	assert.Equal(t, 5, sink.SpanCount())
	res := sink.AllTraces()[0].ResourceSpans().At(0).Resource().Attributes()
	svc, _ := res.Get("service.name")
	assert.Equal(t, "proj", svc.Str())
}

func TestAPIKeyNeverLoggedAtDebugLevel(t *testing.T) {
	f := newFakeLangtrace(t)
	f.add("a", time.Now().Add(-time.Minute))
	var n atomic.Int64
	f.answer = func(w http.ResponseWriter, r *http.Request) bool {
		switch n.Add(1) % 4 {
		case 1: // a vendor that echoes the key in its error
			w.WriteHeader(http.StatusForbidden)
			_, _ = w.Write([]byte(`{"error":"key ` + r.Header.Get("x-api-key") + ` is not allowed"}`))
			return true
		case 2:
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"error":"down for ` + r.Header.Get("x-api-key") + `"}`))
			return true
		case 3:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(http.StatusTooManyRequests)
			return true
		}
		return false
	}
	core, logs := observer.New(zapcore.DebugLevel)
	set := receivertest.NewNopSettings(metadata.Type)
	set.Logger = zap.New(core)
	sink := new(consumertest.TracesSink)
	r, err := NewFactory().CreateTraces(context.Background(), set, fastConfig(f.srv.URL), sink)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	require.Eventually(t, func() bool { return f.calls.Load() > 20 && sink.SpanCount() > 0 }, 10*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))

	require.NotZero(t, logs.Len())
	sawError := false
	for _, e := range logs.All() {
		line := e.Message
		for k, v := range e.ContextMap() {
			line += fmt.Sprintf(" %s=%v", k, v)
		}
		assert.NotContains(t, line, testAPIKey, "API key logged at %s: %s", e.Level, line)
		sawError = sawError || strings.Contains(line, "is not allowed")
	}
	assert.True(t, sawError, "the vendor's error is logged (scrubbed)")
}

func TestShutdownDuringAPoll(t *testing.T) {
	f := newFakeLangtrace(t)
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	f.answer = func(http.ResponseWriter, *http.Request) bool {
		select {
		case entered <- struct{}{}:
		default:
		}
		<-release // a vendor that never answers
		return true
	}
	defer close(release)
	r, err := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), fastConfig(f.srv.URL), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), componenttest.NewNopHost()))
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	start := time.Now()
	require.NoError(t, r.Shutdown(ctx))
	assert.Less(t, time.Since(start), 2*time.Second, "Shutdown must not wait for the vendor")
}

func TestStartWithMissingStorageExtension(t *testing.T) {
	f := newFakeLangtrace(t)
	cfg := fastConfig(f.srv.URL)
	missing := component.MustNewID("file_storage")
	cfg.StorageID = &missing
	r, err := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.EqualError(t, r.Start(context.Background(), componenttest.NewNopHost()), `llmtrace.storage: extension "file_storage" not found`)
	require.NoError(t, r.Shutdown(context.Background()))

	notStorage := storagetest.NewNonStorageID("other")
	cfg.StorageID = &notStorage
	host := storagetest.NewStorageHost().WithNonStorageExtension("other")
	r, err = NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), cfg, consumertest.NewNop())
	require.NoError(t, err)
	assert.ErrorContains(t, r.Start(context.Background(), host), "is not a storage extension")
	require.NoError(t, r.Shutdown(context.Background()))
}

func TestCheckpointsSurviveRestartWithStorage(t *testing.T) {
	f := newFakeLangtrace(t)
	for i := range 3 {
		f.add(fmt.Sprint(i), time.Now().Add(-time.Minute))
	}
	cfg := fastConfig(f.srv.URL)
	id := storagetest.NewStorageID("fs")
	cfg.StorageID = &id
	host := storagetest.NewStorageHost().WithFileBackedStorageExtension("fs", t.TempDir())
	sink := new(consumertest.TracesSink)
	// The same receiver ID across restarts: storage clients are per ID.
	set := receivertest.NewNopSettings(metadata.Type)
	run := func(want int) {
		r, err := NewFactory().CreateTraces(context.Background(), set, cfg, sink)
		require.NoError(t, err)
		require.NoError(t, r.Start(context.Background(), host))
		require.Eventually(t, func() bool { return sink.SpanCount() >= want }, 5*time.Second, 10*time.Millisecond, "got %d", sink.SpanCount())
		time.Sleep(100 * time.Millisecond)
		require.NoError(t, r.Shutdown(context.Background()))
		require.Equal(t, want, sink.SpanCount())
	}
	run(3)
	f.add("new", time.Now().Add(-time.Second))
	run(4) // the three old traces are not emitted again
}

// statusHost records component status events.
type statusHost struct {
	component.Host
	mu     sync.Mutex
	events []*componentstatus.Event
}

func (h *statusHost) Report(e *componentstatus.Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.events = append(h.events, e)
}

func (h *statusHost) statuses() []componentstatus.Status {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []componentstatus.Status
	for _, e := range h.events {
		out = append(out, e.Status())
	}
	return out
}

func TestStatusIsRecoverableErrorWhileFailingAndOKAfter(t *testing.T) {
	f := newFakeLangtrace(t)
	var failing atomic.Bool
	failing.Store(true)
	f.answer = func(w http.ResponseWriter, _ *http.Request) bool {
		if failing.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return true
		}
		return false
	}
	host := &statusHost{Host: componenttest.NewNopHost()}
	r, err := NewFactory().CreateTraces(context.Background(), receivertest.NewNopSettings(metadata.Type), fastConfig(f.srv.URL), consumertest.NewNop())
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background(), host))
	require.Eventually(t, func() bool {
		s := host.statuses()
		return len(s) > 0 && s[len(s)-1] == componentstatus.StatusRecoverableError
	}, 5*time.Second, 10*time.Millisecond)
	failing.Store(false)
	require.Eventually(t, func() bool {
		s := host.statuses()
		return s[len(s)-1] == componentstatus.StatusOK
	}, 5*time.Second, 10*time.Millisecond)
	require.NoError(t, r.Shutdown(context.Background()))
}
