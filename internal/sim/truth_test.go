package sim

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

var testResource = Resource{ServiceName: "svc", Vendor: "example", Project: "proj"}

// findKinds returns a trace holding an LLM span, an error and a tool span.
func richTrace(t *testing.T) Trace {
	d := NewDataset(DatasetConfig{Seed: 1, Traces: 500})
	_, tr := findTrace(t, d, func(tr Trace) bool {
		var llm, tool, failed bool
		for _, s := range tr.Spans {
			llm = llm || s.Kind == KindLLM && s.Error == nil
			tool = tool || s.Kind == KindTool
			failed = failed || s.Error != nil
		}
		return llm && tool && failed
	})
	return tr
}

func TestExpected(t *testing.T) {
	tr := richTrace(t)
	td := Expected(tr, testResource, ExpectedOptions{})
	require.Equal(t, 1, td.ResourceSpans().Len())
	rs := td.ResourceSpans().At(0)
	ra := rs.Resource().Attributes().AsRaw()
	assert.Equal(t, map[string]any{"service.name": "svc", "llmtrace.vendor": "example", "llmtrace.project": "proj"}, ra)
	spans := rs.ScopeSpans().At(0).Spans()
	require.Equal(t, len(tr.Spans), spans.Len())
	for k, s := range tr.Spans {
		os := spans.At(k)
		assert.Equal(t, pcommon.TraceID(tr.ID), os.TraceID())
		assert.Equal(t, s.ID, os.SpanID())
		assert.Equal(t, s.ParentID, os.ParentSpanID())
		assert.Equal(t, s.Name, os.Name())
		assert.Equal(t, s.Start, os.StartTimestamp().AsTime())
		assert.Equal(t, s.End, os.EndTimestamp().AsTime())
		a := os.Attributes()
		switch s.Kind {
		case KindLLM:
			assert.Equal(t, ptrace.SpanKindClient, os.Kind())
			assert.Equal(t, "chat", attrStr(a, "gen_ai.operation.name"))
			assert.Equal(t, s.Provider, attrStr(a, "gen_ai.provider.name"))
			assert.Equal(t, s.Model, attrStr(a, "gen_ai.request.model"))
			if s.Error == nil {
				v, _ := a.Get("gen_ai.usage.input_tokens")
				assert.Equal(t, pcommon.ValueTypeInt, v.Type())
				assert.Equal(t, int64(s.Usage.Input), v.Int())
				v, _ = a.Get("gen_ai.usage.output_tokens")
				assert.Equal(t, int64(s.Usage.Output), v.Int())
			}
		case KindTool:
			assert.Equal(t, ptrace.SpanKindInternal, os.Kind())
			assert.Equal(t, "execute_tool", attrStr(a, "gen_ai.operation.name"))
		case KindAgent:
			assert.Equal(t, ptrace.SpanKindInternal, os.Kind())
			assert.Equal(t, "invoke_agent", attrStr(a, "gen_ai.operation.name"))
		case KindRetrieval, KindEmbedding:
			assert.Equal(t, ptrace.SpanKindClient, os.Kind())
		}
		if s.Error != nil {
			assert.Equal(t, ptrace.StatusCodeError, os.Status().Code())
			assert.Equal(t, s.Error.Message, os.Status().Message())
		} else {
			assert.Equal(t, ptrace.StatusCodeUnset, os.Status().Code())
		}
	}

	ok := Expected(tr, testResource, ExpectedOptions{OKStatus: true})
	okSpans := ok.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for k, s := range tr.Spans {
		want := ptrace.StatusCodeOk
		if s.Error != nil {
			want = ptrace.StatusCodeError
		}
		assert.Equal(t, want, okSpans.At(k).Status().Code())
	}
}

func attrStr(m pcommon.Map, k string) string {
	v, ok := m.Get(k)
	if !ok {
		return "<missing>"
	}
	return v.Str()
}

func TestCompareFindsEveryDifference(t *testing.T) {
	d := NewDataset(DatasetConfig{Seed: 3, Traces: 20})
	truth := func(tr Trace) ptrace.Traces { return Expected(tr, testResource, ExpectedOptions{}) }
	want := ExpectedRange(d, 0, 20, truth)
	require.Empty(t, Compare(want, want, CompareOptions{}))

	spanAt := func(td ptrace.Traces, trace, span int) ptrace.Span {
		return td.ResourceSpans().At(trace).ScopeSpans().At(0).Spans().At(span)
	}
	cases := []struct {
		name   string
		mutate func(got ptrace.Traces)
		opts   CompareOptions
		want   []string // substrings, one per expected difference
	}{
		{"missing span", func(got ptrace.Traces) {
			got.ResourceSpans().At(2).ScopeSpans().At(0).Spans().RemoveIf(func(s ptrace.Span) bool { return s.ParentSpanID().IsEmpty() })
		}, CompareOptions{}, []string{": missing"}},
		{"duplicated span", func(got ptrace.Traces) {
			spanAt(got, 1, 1).CopyTo(got.ResourceSpans().At(5).ScopeSpans().At(0).Spans().AppendEmpty())
		}, CompareOptions{}, []string{"duplicated, appears 2 times"}},
		{"unexpected span", func(got ptrace.Traces) {
			s := got.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
			s.SetTraceID(pcommon.TraceID{1})
			s.SetSpanID(pcommon.SpanID{2})
			s.SetName("stray")
		}, CompareOptions{}, []string{`"stray": unexpected`}},
		{"unexpected span ignored", func(got ptrace.Traces) {
			s := got.ResourceSpans().At(0).ScopeSpans().At(0).Spans().AppendEmpty()
			s.SetTraceID(pcommon.TraceID{1})
			s.SetSpanID(pcommon.SpanID{2})
		}, CompareOptions{IgnoreUnexpected: true}, nil},
		{"parent", func(got ptrace.Traces) { spanAt(got, 0, 1).SetParentSpanID(pcommon.SpanID{9}) }, CompareOptions{}, []string{"parent: want"}},
		{"name", func(got ptrace.Traces) { spanAt(got, 0, 1).SetName("other") }, CompareOptions{}, []string{`name: want`}},
		{"start", func(got ptrace.Traces) {
			s := spanAt(got, 0, 1)
			s.SetStartTimestamp(s.StartTimestamp() + pcommon.Timestamp(time.Millisecond))
		}, CompareOptions{}, []string{"start: want"}},
		{"end", func(got ptrace.Traces) { spanAt(got, 0, 0).SetEndTimestamp(0) }, CompareOptions{}, []string{"end: want", "got none"}},
		{"time within precision", func(got ptrace.Traces) {
			s := spanAt(got, 3, 1)
			ms := pcommon.Timestamp(time.Millisecond)
			s.SetStartTimestamp(s.StartTimestamp() - s.StartTimestamp()%ms)
			s.SetEndTimestamp(s.EndTimestamp() - s.EndTimestamp()%ms)
		}, CompareOptions{TimePrecision: time.Millisecond}, nil},
		{"status", func(got ptrace.Traces) { spanAt(got, 0, 1).Status().SetCode(ptrace.StatusCodeError) }, CompareOptions{}, []string{"status: want Unset, got Error"}},
		{"kind", func(got ptrace.Traces) { spanAt(got, 0, 0).SetKind(ptrace.SpanKindServer) }, CompareOptions{}, []string{"kind: want Internal, got Server"}},
		{"attribute missing", func(got ptrace.Traces) { spanAt(got, 0, 0).Attributes().Clear() }, CompareOptions{}, []string{"gen_ai.operation.name: want Str"}},
		{"attribute type", func(got ptrace.Traces) {
			for i := 0; i < got.ResourceSpans().Len(); i++ {
				spans := got.ResourceSpans().At(i).ScopeSpans().At(0).Spans()
				for k := 0; k < spans.Len(); k++ {
					if v, ok := spans.At(k).Attributes().Get("gen_ai.usage.input_tokens"); ok {
						spans.At(k).Attributes().PutStr("gen_ai.usage.input_tokens", v.AsString())
						return
					}
				}
			}
		}, CompareOptions{}, []string{"gen_ai.usage.input_tokens: want Int", "got Str"}},
		{"extra attribute is fine", func(got ptrace.Traces) { spanAt(got, 0, 0).Attributes().PutStr("x", "y") }, CompareOptions{}, nil},
		{"resource", func(got ptrace.Traces) {
			got.ResourceSpans().At(4).Resource().Attributes().PutStr("llmtrace.vendor", "other")
		}, CompareOptions{},
			[]string{"resource attribute llmtrace.vendor"}},
		{"max diffs", func(got ptrace.Traces) {
			for i := 0; i < got.ResourceSpans().Len(); i++ {
				spanAt(got, i, 0).SetName("x")
			}
		}, CompareOptions{MaxDiffs: 3}, []string{"name", "name", "name", "and 17 more differences"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := ptrace.NewTraces()
			want.CopyTo(got)
			c.mutate(got)
			diffs := Compare(want, got, c.opts)
			if len(c.want) == 0 {
				assert.Empty(t, diffs)
				return
			}
			joined := strings.Join(diffs, "\n")
			for _, w := range c.want {
				assert.Contains(t, joined, w)
			}
			if c.name != "max diffs" && c.name != "end" && c.name != "attribute type" {
				assert.Len(t, diffs, len(c.want), joined)
			}
		})
	}
}

func TestCompareScalesTo100kSpans(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 100k spans")
	}
	d := NewDataset(DatasetConfig{Seed: 1, Traces: 17000})
	truth := func(tr Trace) ptrace.Traces { return Expected(tr, testResource, ExpectedOptions{}) }
	want := ExpectedRange(d, 0, d.Len(), truth)
	require.Greater(t, want.SpanCount(), 100_000)
	got := ptrace.NewTraces()
	want.CopyTo(got)
	start := time.Now()
	assert.Empty(t, Compare(want, got, CompareOptions{TimePrecision: time.Millisecond}))
	assert.Less(t, time.Since(start), 5*time.Second)
}

func TestTruthFor(t *testing.T) {
	tr := NewDataset(DatasetConfig{Traces: 1}).Trace(0)
	got := TruthFor(examplePart{name: "ex"}, Credentials{Project: "p1"})(tr)
	ra := got.ResourceSpans().At(0).Resource().Attributes().AsRaw()
	assert.Equal(t, map[string]any{"service.name": "p1", "llmtrace.vendor": "ex", "llmtrace.project": "p1"}, ra)

	own := TruthFor(truthPart{examplePart{name: "ex"}}, Credentials{})(tr)
	assert.Equal(t, 0, own.SpanCount(), "a Truther's own Expected is used")
}

type truthPart struct{ examplePart }

func (truthPart) Expected(Trace) ptrace.Traces { return ptrace.NewTraces() }
