package langsmith

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// FuzzConvertRuns feeds arbitrary runs answers to the decoder and the
// converter: whatever a vendor sends, no panic, and every emitted span
// carries the trace's ID and a span ID.
func FuzzConvertRuns(f *testing.F) {
	f.Add([]byte(readFileF(f, "runs.json")))
	f.Add([]byte(`{"items":[{"id":"not-a-uuid","end_time":null,"prompt_tokens":"x","parent_run_ids":["not-a-uuid"]}]}`))
	f.Add([]byte(`{"items":[{"id":"00000000-0000-0000-0000-000000000000","dotted_order":"Z.Z","metadata":{"OTEL_SPAN_ID":"0000000000000000"},"events":[{"time":1}],"error":"Traceback (most recent call last):\n  x\n: y"}]}`))
	f.Add([]byte(`{"items":[{"id":"0194694c-5f03-70c6-a6a3-a4506513270e","run_type":"LLM","outputs":{"generations":[[1,{"message":{}}]]},"inputs":{"prompts":[1]},"extra":{"invocation_params":{"tools":[],"temperature":"hot"}}}]}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		p, err := decodeRuns(body)
		if err != nil {
			return
		}
		c := newConverter("proj", "", func() {})
		tr := c.trace(qTrace, time.Unix(1700000000, 0), p.Items)
		assert.False(t, tr.ID.IsEmpty())
		ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		assert.Equal(t, len(p.Items), ss.Len(), "no run is dropped")
		for i := range ss.Len() {
			assert.False(t, ss.At(i).SpanID().IsEmpty())
			assert.Equal(t, tr.ID, ss.At(i).TraceID())
		}
	})
}

func readFileF(f *testing.F, name string) string {
	f.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		f.Fatal(err)
	}
	return string(b)
}
