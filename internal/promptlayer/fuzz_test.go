package promptlayer

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// FuzzConvert feeds arbitrary trace, request-log and search answers to the
// decoders and the conversion: whatever PromptLayer sends, no panic, and
// every emitted span carries the trace's ID and a span ID.
func FuzzConvert(f *testing.F) {
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		require.NoError(f, err)
		return b
	}
	f.Add(read("seed_trace.json"), read("get_request.json"), read("search.json"))
	f.Add(read("trace_serializer.json"), read("request_88231.json"), []byte(`{"items":[{"id":"88231"}]}`))
	f.Add(read("trace_serializer.json"), read("request_untraced.json"), []byte(`{"items":[{"id":1,"status":"ERROR"}],"has_next":true}`))
	b := benchBodies(f)
	f.Add(b.traces[0], b.requests[0], []byte(`{}`))
	f.Add([]byte(`{"spans":[{"span_id":7,"parent_id":{},"start":[1],"end":"x","kind":{},"status":[],"context":"c","events":{},"links":[1],"resource":[],"request_log_id":"x"}]}`),
		[]byte(`{"request_id":"x","trace_id":7,"price":"1e400","prompt_blueprint":{"prompt_template":{"messages":{"role":1}},"metadata":{"model":[]}}}`),
		[]byte(`{"items":{},"has_next":1,"pages":"2"}`))
	f.Add([]byte(`{"spans":[{"name":"a\\","span_id":"\u0030\u0030f067aa0ba902b7","attributes":{"k":"\ud83d\ude00\\"},"resource":{"attributes":[[[[[]]]]]}},{"events":[{"timestamp":"\"}]}]}`),
		[]byte(`{}`), []byte(`{"items":[{"id":1e400}]}`))
	f.Add([]byte(`{"spans":[`+strings.Repeat(`[`, 2000)+`]}`), []byte(`"`), []byte(`[`))
	f.Fuzz(func(t *testing.T, traceBody, requestBody, searchBody []byte) {
		warns := 0
		c := newConverter("key-fuzz", "", func() { warns++ })
		_, _ = decodeSearch(searchBody, MaxPageSize)
		log, err := decodeRequest(requestBody)
		if err == nil {
			log.ID = 42
			assertIDs(t, c.logTrace(log).Spans, pcommon.TraceID{})
		}
		id := pcommon.TraceID{0: 0xab, 15: 1}
		td, n, err := c.trace(id, traceBody, func(int64) *requestLog { return log }, time.Unix(1_700_000_000, 0))
		if err != nil {
			return
		}
		assert.Equal(t, n, td.SpanCount())
		assertIDs(t, td, id)
	})
}

// assertIDs checks that every span has a span ID and the trace ID (any
// non-empty one when want is empty).
func assertIDs(t *testing.T, td ptrace.Traces, want pcommon.TraceID) {
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				assert.False(t, s.SpanID().IsEmpty())
				assert.False(t, s.TraceID().IsEmpty())
				if !want.IsEmpty() {
					assert.Equal(t, want, s.TraceID())
				}
			}
		}
	}
}
