package jaegertest

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var (
	testTraceID = pcommon.TraceID{0x5b, 0x8e, 0xff, 0xf7, 0x98, 0x03, 0x81, 0x03, 0xd2, 0x69, 0xb6, 0x33, 0x81, 0x3f, 0xc6, 0x0c}
	spanA       = pcommon.SpanID{0xa, 0xa, 0xa, 0xa, 0xa, 0xa, 0xa, 0x1}
	spanB       = pcommon.SpanID{0xb, 0xb, 0xb, 0xb, 0xb, 0xb, 0xb, 0x2}
	spanC       = pcommon.SpanID{0xc, 0xc, 0xc, 0xc, 0xc, 0xc, 0xc, 0x3}
	spanD       = pcommon.SpanID{0xd, 0xd, 0xd, 0xd, 0xd, 0xd, 0xd, 0x4}
)

const testService = "jaegertest-svc"

type testSpan struct {
	id     pcommon.SpanID
	parent pcommon.SpanID
	name   string
}

// payload builds one OTLP request with the given spans of testTraceID.
func payload(t *testing.T, start time.Time, spans ...testSpan) []byte {
	t.Helper()
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	rs.Resource().Attributes().PutStr("service.name", testService)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName("jaegertest")
	for _, s := range spans {
		sp := ss.Spans().AppendEmpty()
		sp.SetTraceID(testTraceID)
		sp.SetSpanID(s.id)
		sp.SetParentSpanID(s.parent)
		sp.SetName(s.name)
		sp.SetKind(ptrace.SpanKindInternal)
		sp.SetStartTimestamp(pcommon.NewTimestampFromTime(start))
		sp.SetEndTimestamp(pcommon.NewTimestampFromTime(start.Add(time.Millisecond)))
		sp.Attributes().PutStr("span.name", s.name)
	}
	var m ptrace.JSONMarshaler
	b, err := m.MarshalTraces(td)
	require.NoError(t, err)
	return b
}

func postOTLP(t *testing.T, j *Jaeger, body []byte) {
	t.Helper()
	resp, err := http.Post(j.OTLPHTTP+"/v1/traces", "application/json", bytes.NewReader(body))
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(t, http.StatusOK, resp.StatusCode, "OTLP/HTTP answer: %s", b)
}

// spanIDCounts counts spans per span ID.
func spanIDCounts(td ptrace.Traces) map[pcommon.SpanID]int {
	n := map[pcommon.SpanID]int{}
	for _, rs := range td.ResourceSpans().All() {
		for _, ss := range rs.ScopeSpans().All() {
			for _, sp := range ss.Spans().All() {
				n[sp.SpanID()]++
			}
		}
	}
	return n
}

func TestJaeger(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs a real Jaeger")
	}
	bin := Build(t)
	j := Start(t, bin)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	// Unknown trace: empty, no error; nothing stored yet.
	td, err := j.Trace(ctx, testTraceID)
	require.NoError(t, err)
	assert.Equal(t, 0, td.SpanCount())
	services, err := j.Services(ctx)
	require.NoError(t, err)
	assert.Empty(t, services)

	// Two requests (A+B, then C), then A again: a duplicate delivery.
	start := time.Now().Add(-time.Second)
	postOTLP(t, j, payload(t, start, testSpan{id: spanA, name: "a"}, testSpan{id: spanB, parent: spanA, name: "b"}))
	postOTLP(t, j, payload(t, start, testSpan{id: spanC, parent: spanA, name: "c"}))
	postOTLP(t, j, payload(t, start, testSpan{id: spanA, name: "a"}))

	// Raw store: every copy, one ResourceSpans per request.
	td, err = j.WaitForSpans(ctx, testTraceID, 4)
	require.NoError(t, err)
	assert.Equal(t, 4, td.SpanCount())
	assert.Equal(t, 3, td.ResourceSpans().Len())
	assert.Equal(t, map[pcommon.SpanID]int{spanA: 2, spanB: 1, spanC: 1}, spanIDCounts(td))
	svc, ok := td.ResourceSpans().At(0).Resource().Attributes().Get("service.name")
	require.True(t, ok)
	assert.Equal(t, testService, svc.Str())

	// Durable store: one copy per span.
	dtd, err := j.Durable.WaitForSpans(ctx, testTraceID, 3)
	require.NoError(t, err)
	assert.Equal(t, map[pcommon.SpanID]int{spanA: 1, spanB: 1, spanC: 1}, spanIDCounts(dtd))

	services, err = j.Services(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{testService}, services)
	found, err := j.FindTraces(ctx, testService, start.Add(-time.Minute), time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 4, found.SpanCount())
	found, err = j.FindTraces(ctx, "no-such-service", start.Add(-time.Minute), time.Now().Add(time.Minute))
	require.NoError(t, err)
	assert.Equal(t, 0, found.SpanCount())

	// Outage: same ports afterwards; raw store empty, durable store kept.
	otlp, query := j.OTLPHTTP, j.QueryURL
	j.Restart(t)
	require.True(t, j.Running())
	assert.Equal(t, otlp, j.OTLPHTTP)
	assert.Equal(t, query, j.QueryURL)

	td, err = j.Trace(ctx, testTraceID)
	require.NoError(t, err)
	assert.Equal(t, 0, td.SpanCount(), "in-memory store is empty after a restart")
	dtd, err = j.Durable.Trace(ctx, testTraceID)
	require.NoError(t, err)
	assert.Equal(t, map[pcommon.SpanID]int{spanA: 1, spanB: 1, spanC: 1}, spanIDCounts(dtd))
	services, err = j.Durable.Services(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{testService}, services)

	// A span sent after the restart lands in both stores.
	postOTLP(t, j, payload(t, start, testSpan{id: spanD, parent: spanA, name: "d"}))
	td, err = j.WaitForSpans(ctx, testTraceID, 1)
	require.NoError(t, err)
	assert.Equal(t, map[pcommon.SpanID]int{spanD: 1}, spanIDCounts(td))
	dtd, err = j.Durable.WaitForSpans(ctx, testTraceID, 4)
	require.NoError(t, err)
	assert.Equal(t, map[pcommon.SpanID]int{spanA: 1, spanB: 1, spanC: 1, spanD: 1}, spanIDCounts(dtd))

	// Stop frees the ports; a second Stop is a no-op.
	j.Stop()
	assert.False(t, j.Running())
	j.Stop()
	_, err = j.Trace(ctx, testTraceID)
	assert.Error(t, err)
}

func TestRenderConfig(t *testing.T) {
	cfg, err := renderConfig(ports{1, 2, 3, 4, 5, 6, 7}, "/tmp/a b/keys", `/tmp/"q"/values`)
	require.NoError(t, err)
	s := string(cfg)
	for _, want := range []string{
		"endpoint: 127.0.0.1:1\n", "endpoint: 127.0.0.1:2\n", "endpoint: 127.0.0.1:3\n",
		"endpoint: 127.0.0.1:4\n", "endpoint: 127.0.0.1:5\n", "endpoint: 127.0.0.1:6\n",
		"endpoint: 127.0.0.1:7\n", "level: none", "enable_tracing: false",
		`keys: "/tmp/a b/keys"`, `values: "/tmp/\"q\"/values"`, "ephemeral: false",
	} {
		assert.Contains(t, s, want)
	}
}

func TestFreePorts(t *testing.T) {
	p, err := freePorts(7)
	require.NoError(t, err)
	seen := map[int]bool{}
	for _, port := range p {
		assert.False(t, seen[port], "duplicate port %d", port)
		seen[port] = true
	}
	require.NoError(t, waitPortsFree(p, time.Second))
}
