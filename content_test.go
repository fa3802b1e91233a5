package llmtracereceiver

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/confmap"
	"go.opentelemetry.io/collector/consumer/consumertest"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// TestNoContentLeavesWithCaptureContentOff polls every registered vendor's
// simulator with capture_content: false and searches every attribute and
// event value of every emitted span for the prompts, completions, messages
// and tool arguments and results of the dataset: none may be there, while
// token counts stay.
func TestNoContentLeavesWithCaptureContentOff(t *testing.T) {
	if testing.Short() {
		t.Skip("every vendor against its simulator; about 10 s per vendor")
	}
	for _, part := range registeredParts(t) {
		t.Run(part.Name(), func(t *testing.T) {
			sc := part.Scenarios()[0]
			ds := sc.Dataset
			ds.Traces = 120
			w := newSimWorld(t, simWorldConfig{dataset: ds, backfill: 20 * time.Minute, perSecond: 0.1, speed: 60}, part)
			cfg := w.config(func(c *Config) {
				c.CaptureContent = false
				require.NoError(t, c.Unmarshal(confmap.NewFromStringMap(map[string]any{
					part.Name(): part.ReceiverConfig(w.srv.URL(part.Name()), w.creds),
				})))
			})
			want := w.expected(part)
			sink := new(consumertest.TracesSink)
			w.start(cfg, sink)
			simWaitFor(t, time.Minute, func() bool { return sink.SpanCount() >= want.SpanCount() })

			content := datasetContent(w.data)
			require.NotEmpty(t, content)
			tokens := 0
			for _, td := range sink.AllTraces() {
				eachValue(td, func(where, key string, v pcommon.Value) {
					if key == genai.UsageInputTokens {
						tokens++
					}
					s := v.AsString()
					for _, c := range content {
						if strings.Contains(s, c) {
							t.Errorf("content of the dataset in %s %s: %.80q (%.60q)", where, key, s, c)
							return
						}
					}
				})
			}
			assert.NotZero(t, tokens, "token counts are kept")
			t.Logf("%d spans searched for %d content strings", sink.SpanCount(), len(content))
		})
	}
}

// datasetContent returns the content strings of a dataset: every string of
// the spans' inputs and outputs (chat message contents, tool arguments and
// results, retrieved documents) long enough to be content rather than a
// role or a name.
func datasetContent(d *sim.Dataset) []string {
	seen := map[string]bool{}
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case string:
			var inner any
			if json.Unmarshal([]byte(x), &inner) == nil {
				if _, isString := inner.(string); !isString {
					walk(inner) // tool arguments are JSON inside a string
					return
				}
			}
			if len(x) >= 24 && !seen[x] {
				seen[x] = true
				out = append(out, x)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		case map[string]any:
			for k, e := range x {
				switch k {
				case "id", "tool_call_id", "type", "role", "name":
					continue // identifiers, not content
				}
				walk(e)
			}
		}
	}
	var errorText strings.Builder
	for i := range d.Len() {
		tr := d.Trace(i)
		for _, s := range tr.Spans {
			walk(s.Input)
			walk(s.Output)
			if s.Error != nil {
				errorText.WriteString(s.Error.Message + "\n" + s.Error.Stacktrace + "\n")
			}
		}
	}
	// A failed tool's result is its error text, which the span's status
	// and exception event carry as error details, not as content.
	errs := errorText.String()
	kept := out[:0]
	for _, c := range out {
		if !strings.Contains(errs, c) {
			kept = append(kept, c)
		}
	}
	return kept
}

// eachValue calls f for every attribute of the resources, spans and events
// of td (maps and slices flattened to their string form).
func eachValue(td ptrace.Traces, f func(where, key string, v pcommon.Value)) {
	attrs := func(where string, m pcommon.Map) {
		m.Range(func(k string, v pcommon.Value) bool {
			f(where, k, v)
			return true
		})
	}
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		attrs("resource", rss.At(i).Resource().Attributes())
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				attrs("span "+s.Name(), s.Attributes())
				for e := 0; e < s.Events().Len(); e++ {
					attrs("event "+s.Events().At(e).Name(), s.Events().At(e).Attributes())
				}
			}
		}
	}
}
