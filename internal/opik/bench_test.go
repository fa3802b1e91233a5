package opik

import (
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// benchPage is a realistic page: 100 traces with 3 to 13 spans each (about
// 8), as the traces and spans list endpoints return them.
func benchPage(tb testing.TB) (tracesBody, spansBody []byte) {
	d := genDataset(genOptions{start: t0, traces: 100, every: 3 * time.Second, seed: 42})
	return pageJSON(tb, d.traces), pageJSON(tb, d.spans)
}

// convertBodies decodes both answers, groups the spans by trace and
// converts every trace, as FetchPage does after its requests.
func convertBodies(c *converter, tracesBody, spansBody []byte) ([]poll.Trace, error) {
	traces, err := decodePage(tracesBody)
	if err != nil {
		return nil, err
	}
	spans, err := decodePage(spansBody)
	if err != nil {
		return nil, err
	}
	groups := make(map[string][]*record, len(traces.Content))
	for i := range spans.Content {
		sp := &spans.Content[i]
		groups[sp.TraceID] = append(groups[sp.TraceID], sp)
	}
	out := make([]poll.Trace, 0, len(traces.Content))
	for i := range traces.Content {
		g := groups[traces.Content[i].ID]
		slices.SortFunc(g, func(a, b *record) int { return strings.Compare(a.ID, b.ID) })
		out = append(out, c.trace(&traces.Content[i], g))
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

func BenchmarkConvert(b *testing.B) {
	tracesBody, spansBody := benchPage(b)
	c := newConverter(project, "", nil)
	first, err := convertBodies(c, tracesBody, spansBody)
	require.NoError(b, err)
	spans := merged(first).SpanCount()
	b.SetBytes(int64(len(tracesBody) + len(spansBody)))
	b.ReportAllocs()
	m := startMeter()
	for b.Loop() {
		if _, err := convertBodies(c, tracesBody, spansBody); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b, spans)
}

// BenchmarkOTLPJSONUnmarshal decodes the same spans as OTLP JSON, the
// yardstick for BenchmarkConvert.
func BenchmarkOTLPJSONUnmarshal(b *testing.B) {
	tracesBody, spansBody := benchPage(b)
	first, err := convertBodies(newConverter(project, "", nil), tracesBody, spansBody)
	require.NoError(b, err)
	td := merged(first)
	spans := td.SpanCount()
	otlp, err := (&ptrace.JSONMarshaler{}).MarshalTraces(td)
	require.NoError(b, err)
	var u ptrace.JSONUnmarshaler
	b.SetBytes(int64(len(otlp)))
	b.ReportAllocs()
	m := startMeter()
	for b.Loop() {
		if _, err := u.UnmarshalTraces(otlp); err != nil {
			b.Fatal(err)
		}
	}
	m.report(b, spans)
}

// meter measures a benchmark's timed loop per span, so that the vendor
// conversion and the OTLP decoder compare whatever their page sizes: wall
// time (ns/span), process CPU time (cpu-ns/span: on a shared machine the
// wall clock also counts the time other processes hold the CPU, the CPU
// time only this process's work, its GC included) and heap allocations
// (allocs/span).
type meter struct {
	cpu    time.Duration
	allocs uint64
}

// startMeter starts measuring; call it right before the b.Loop loop.
func startMeter() meter {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return meter{cpu: cpuTime(), allocs: ms.Mallocs}
}

// report reports the per-span figures of the loop that converted spans
// spans per iteration.
func (m meter) report(b *testing.B, spans int) {
	cpu := cpuTime() - m.cpu
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if spans == 0 || b.N == 0 {
		b.Fatal("no spans")
	}
	n := float64(b.N) * float64(spans)
	b.ReportMetric(float64(spans), "spans/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/span")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/span")
	b.ReportMetric(float64(ms.Mallocs-m.allocs)/n, "allocs/span")
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
