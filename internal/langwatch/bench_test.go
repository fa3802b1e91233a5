package langwatch

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/benchspan"
	"github.com/llmtrace/llmtrace/internal/langwatch/langwatchsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// benchPage is a realistic answer of POST /api/traces/search with spans: 100
// traces (about 7 spans each, chat messages, params, metrics, evaluations)
// as the simulator serves them.
func benchPage(tb testing.TB) []byte {
	tb.Helper()
	data := sim.NewDataset(sim.DatasetConfig{Seed: 42, Traces: 100, Interval: 3 * time.Second})
	clock := sim.NewManualClock(data.StartOf(99).Add(sim.MaxTraceLag + langwatchsim.MaxEvaluationLag))
	srv, err := sim.Start([]sim.Part{&langwatchsim.Part{}}, &sim.Env{Data: data, Clock: clock, Creds: sim.Credentials{APIKey: simKey, Project: simProject}}, nil, nil)
	require.NoError(tb, err)
	defer func() { _ = srv.Close() }()
	api, err := poll.NewAPIClient(poll.APIClientSettings{Client: http.DefaultClient, Endpoint: srv.URL(Name), MaxResponseBytes: 256 << 20})
	require.NoError(tb, err)
	body, err := json.Marshal(searchBody{
		StartDate: data.StartOf(0).Add(-time.Hour).UnixMilli(), EndDate: clock.Now().UnixMilli(), PageSize: 1000,
		SortDirection: sortAscending, DateField: "updated", IncludeSpans: true, Format: "json",
	})
	require.NoError(tb, err)
	resp, err := api.Do(context.Background(), poll.Request{Method: http.MethodPost, Path: searchPath, Header: http.Header{"X-Auth-Token": {simKey}}, Body: body})
	require.NoError(tb, err)
	return resp.Body
}

// convertPage decodes an answer and converts every trace, as FetchPage does.
func convertPage(d *decoder, c *converter, body []byte) ([]poll.Trace, error) {
	page, err := d.decodeSearch(body)
	if err != nil {
		return nil, err
	}
	out := make([]poll.Trace, 0, len(page.Traces))
	for i := range page.Traces {
		out = append(out, c.trace(&page.Traces[i], byUpdate))
	}
	return out, nil
}

// merged puts converted traces into one ptrace.Traces.
func merged(traces []poll.Trace) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, tr := range traces {
		tr.Spans.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return td
}

// BenchmarkConvert decodes and converts a search answer, as FetchPage
// does. It reports per span: ns/span (wall time), cpu-ns/span (the
// process's CPU time, its GC included: the steadier figure on a shared
// machine) and allocs/span, as BenchmarkOTLPJSONUnmarshal does for the
// same spans.
func BenchmarkConvert(b *testing.B) {
	body := benchPage(b)
	var d decoder
	c := newConverter("", "", nil, nil)
	first, err := convertPage(&d, c, body)
	require.NoError(b, err)
	spans := merged(first).SpanCount()
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	m := benchspan.Start()
	for b.Loop() {
		if _, err := convertPage(&d, c, body); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
}

// BenchmarkOTLPJSONUnmarshal decodes the same spans as OTLP JSON, the
// yardstick for BenchmarkConvert.
func BenchmarkOTLPJSONUnmarshal(b *testing.B) {
	body := benchPage(b)
	var d decoder
	first, err := convertPage(&d, newConverter("", "", nil, nil), body)
	require.NoError(b, err)
	td := merged(first)
	spans := td.SpanCount()
	otlp, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(b, err)
	var u ptrace.JSONUnmarshaler
	b.SetBytes(int64(len(otlp)))
	b.ReportAllocs()
	b.ResetTimer()
	m := benchspan.Start()
	for b.Loop() {
		if _, err := u.UnmarshalTraces(otlp); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
}
