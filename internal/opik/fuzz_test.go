package opik

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// FuzzConvertPages feeds arbitrary trace and span list answers to the
// decoder and converter: whatever a vendor sends, no panic, and every
// emitted span carries its trace's ID and a span ID.
func FuzzConvertPages(f *testing.F) {
	traces, err := os.ReadFile(filepath.Join("testdata", "traces.json"))
	require.NoError(f, err)
	spans, err := os.ReadFile(filepath.Join("testdata", "spans.json"))
	require.NoError(f, err)
	f.Add(traces, spans)
	tb, sb := benchPage(f)
	f.Add(tb, sb)
	f.Add([]byte(`{"content":[{"id":"not-a-uuid","end_time":null,"usage":{"prompt_tokens":"x"}}]}`),
		[]byte(`{"content":[{"id":"0190a1b2-0000-7000-8000-000000000001","trace_id":"not-a-uuid","parent_span_id":"0190a1b2-0000-7000-8000-000000000001","error_info":{}}]}`))
	f.Fuzz(func(t *testing.T, tracesBody, spansBody []byte) {
		out, err := convertBodies(newConverter(project, "", func() {}), tracesBody, spansBody)
		if err != nil {
			return
		}
		for _, tr := range out {
			assert.False(t, tr.ID.IsEmpty())
			rss := tr.Spans.ResourceSpans()
			for i := range rss.Len() {
				sss := rss.At(i).ScopeSpans()
				for j := range sss.Len() {
					for k := range sss.At(j).Spans().Len() {
						s := sss.At(j).Spans().At(k)
						assert.False(t, s.SpanID().IsEmpty())
						assert.Equal(t, tr.ID, s.TraceID())
					}
				}
			}
		}
	})
}
