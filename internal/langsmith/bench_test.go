package langsmith

import (
	"io"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/benchspan"
	"github.com/llmtrace/llmtrace/internal/langsmith/langsmithsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// benchPage is a realistic page: the runs answers (GET
// /api/v2/traces/{id}/runs with the receiver's selects) of 100 complete
// traces of the simulator, about 6 runs each: LangChain chat models with
// serialised messages and LLMResults, wrap_openai calls, OTLP-ingested
// traces, tools, retrievers, events and metadata.
func benchPage(tb testing.TB) []benchTrace {
	tb.Helper()
	origin := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	data := sim.NewDataset(sim.DatasetConfig{Seed: 42, Traces: 100, Origin: origin, Interval: 3 * time.Second})
	clock := sim.NewManualClock(data.StartOf(99).Add(sim.MaxTraceLag))
	creds := sim.Credentials{APIKey: "k", Project: "bench"}
	srv, err := sim.Start([]sim.Part{&langsmithsim.Part{}}, &sim.Env{Data: data, Clock: clock, Creds: creds}, nil, nil)
	require.NoError(tb, err)
	defer func() { _ = srv.Close() }()
	out := make([]benchTrace, 0, data.Len())
	for i := range data.Len() {
		tr := data.Trace(i)
		id := uuidText(tr.ID)
		q := url.Values{"project_id": {langsmithsim.ProjectID("bench")}, "selects": runSelects}
		req, err := http.NewRequest(http.MethodGet, srv.URL(Name)+traceRunsPath(id)+"?"+q.Encode(), nil)
		require.NoError(tb, err)
		req.Header.Set("x-api-key", "k")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(tb, err)
		body, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		require.NoError(tb, err)
		require.Equal(tb, http.StatusOK, resp.StatusCode, string(body))
		out = append(out, benchTrace{id: id, start: tr.Spans[0].Start, body: body})
	}
	return out
}

type benchTrace struct {
	id    string
	start time.Time
	body  []byte
}

func uuidText(id [16]byte) string {
	const hexDigits = "0123456789abcdef"
	var b [36]byte
	j := 0
	for i, c := range id {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b[j] = '-'
			j++
		}
		b[j], b[j+1] = hexDigits[c>>4], hexDigits[c&0xf]
		j += 2
	}
	return string(b[:])
}

// convertPage decodes and converts every runs answer, as FetchPage does
// after its requests.
func convertPage(c *converter, page []benchTrace) ([]poll.Trace, error) {
	out := make([]poll.Trace, 0, len(page))
	var buf []run
	for _, bt := range page {
		p, err := decodeRunsInto(bt.body, buf)
		if err != nil {
			return nil, err
		}
		buf = p.Items
		out = append(out, c.trace(bt.id, bt.start, p.Items))
	}
	return out, nil
}

func merged(traces []poll.Trace) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, tr := range traces {
		tr.Spans.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return td
}

func pageBytes(page []benchTrace) int64 {
	n := 0
	for _, bt := range page {
		n += len(bt.body)
	}
	return int64(n)
}

func BenchmarkConvert(b *testing.B) {
	page := benchPage(b)
	c := newConverter("bench", "", nil)
	first, err := convertPage(c, page)
	require.NoError(b, err)
	spans := merged(first).SpanCount()
	b.SetBytes(pageBytes(page))
	b.ReportAllocs()
	b.ResetTimer()
	m := benchspan.Start()
	for b.Loop() {
		if _, err := convertPage(c, page); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
}

// BenchmarkOTLPJSONUnmarshal decodes the same spans as OTLP JSON, the
// yardstick for BenchmarkConvert.
func BenchmarkOTLPJSONUnmarshal(b *testing.B) {
	page := benchPage(b)
	first, err := convertPage(newConverter("bench", "", nil), page)
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
