package promptlayer

import (
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/benchspan"
	"github.com/llmtrace/llmtrace/internal/promptlayer/promptlayersim"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// benchPage is what one page of the chain reads for 100 traced traces (the
// simulator's answers, both span shapes, both ingest paths): the trace
// answers and the answers of the request logs their spans name.
type benchPage struct {
	ids      []pcommon.TraceID
	traces   [][]byte
	requests [][]byte
}

func benchBodies(tb testing.TB) benchPage {
	data := sim.NewDataset(sim.DatasetConfig{Seed: 42, Traces: 100, Interval: 3 * time.Second})
	clock := sim.NewManualClock(data.StartOf(data.Len() - 1).Add(sim.MaxTraceLag))
	srv, err := sim.Start([]sim.Part{&promptlayersim.Part{UntracedFraction: -1}}, &sim.Env{Data: data, Clock: clock, Creds: simCreds}, nil, nil)
	require.NoError(tb, err)
	defer func() { _ = srv.Close() }()
	get := func(path string) []byte {
		req, err := http.NewRequest(http.MethodGet, srv.URL(Name)+path, nil)
		require.NoError(tb, err)
		req.Header.Set("X-API-KEY", simCreds.APIKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(tb, err)
		defer func() { _ = resp.Body.Close() }()
		require.Equal(tb, http.StatusOK, resp.StatusCode)
		b, err := io.ReadAll(resp.Body)
		require.NoError(tb, err)
		return b
	}
	var p benchPage
	for i := range data.Len() {
		tr := data.Trace(i)
		p.ids = append(p.ids, tr.ID)
		p.traces = append(p.traces, get("/api/public/v2/traces/"+hex.EncodeToString(tr.ID[:])))
		for k := range tr.Spans {
			if tr.Spans[k].Kind == sim.KindLLM || tr.Spans[k].Kind == sim.KindEmbedding {
				p.requests = append(p.requests, get(fmt.Sprintf("/api/public/v2/requests/%d", promptlayersim.RequestID(i, k))))
			}
		}
	}
	return p
}

// decodeLogs decodes request-log answers into the lookup the conversion
// uses.
func decodeLogs(bodies [][]byte) (map[int64]*requestLog, error) {
	logs := make(map[int64]*requestLog, len(bodies))
	for _, b := range bodies {
		r, err := decodeRequest(b)
		if err != nil {
			return nil, err
		}
		logs[r.ID] = r
	}
	return logs, nil
}

// convertPage decodes and converts every trace answer, enriching from logs.
func convertPage(c *converter, p benchPage, logs map[int64]*requestLog) (ptrace.Traces, error) {
	out := ptrace.NewTraces()
	lookup := func(id int64) *requestLog { return logs[id] }
	for i, body := range p.traces {
		td, _, err := c.trace(p.ids[i], body, lookup, time.Time{})
		if err != nil {
			return out, err
		}
		td.ResourceSpans().MoveAndAppendTo(out.ResourceSpans())
	}
	return out, nil
}

func benchConvert(b *testing.B, withRequests bool) {
	p := benchBodies(b)
	logs, err := decodeLogs(p.requests)
	require.NoError(b, err)
	c := newConverter("key-bench", "", nil)
	first, err := convertPage(c, p, logs)
	require.NoError(b, err)
	spans := first.SpanCount()
	size := 0
	for _, t := range p.traces {
		size += len(t)
	}
	if withRequests {
		for _, r := range p.requests {
			size += len(r)
		}
	}
	b.SetBytes(int64(size))
	b.ReportAllocs()
	m := benchspan.Start()
	for b.Loop() {
		if withRequests {
			if logs, err = decodeLogs(p.requests); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := convertPage(c, p, logs); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
}

// BenchmarkConvert is the steady state: trace answers converted with their
// spans' request logs already read (the source caches them; every query
// reads its traces again).
func BenchmarkConvert(b *testing.B) { benchConvert(b, false) }

// BenchmarkConvertWithRequestLogs adds decoding the request-log answers, as
// when the logs are read for the first time.
func BenchmarkConvertWithRequestLogs(b *testing.B) { benchConvert(b, true) }

// BenchmarkOTLPJSONUnmarshal decodes the same spans as OTLP JSON, the
// yardstick for BenchmarkConvert.
func BenchmarkOTLPJSONUnmarshal(b *testing.B) {
	p := benchBodies(b)
	logs, err := decodeLogs(p.requests)
	require.NoError(b, err)
	td, err := convertPage(newConverter("key-bench", "", nil), p, logs)
	require.NoError(b, err)
	spans := td.SpanCount()
	otlp, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(b, err)
	var u ptrace.JSONUnmarshaler
	b.SetBytes(int64(len(otlp)))
	b.ReportAllocs()
	m := benchspan.Start()
	for b.Loop() {
		if _, err := u.UnmarshalTraces(otlp); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
}
