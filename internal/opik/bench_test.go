package opik

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/benchspan"
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
	m := benchspan.Start()
	for b.Loop() {
		if _, err := convertBodies(c, tracesBody, spansBody); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
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
	m := benchspan.Start()
	for b.Loop() {
		if _, err := u.UnmarshalTraces(otlp); err != nil {
			b.Fatal(err)
		}
	}
	m.Report(b, spans)
}
