package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"fmt"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// Resource attributes and scope of the ground truth; they match what the
// receiver emits (internal/poll: AttrServiceName, AttrVendor, AttrProject,
// ScopeName).
const (
	attrServiceName = "service.name"
	attrVendor      = "llmtrace.vendor"
	attrProject     = "llmtrace.project"
	truthScopeName  = "github.com/llmtrace/llmtrace"
)

// Resource is what the receiver puts on the resource of every trace it emits
// for one vendor project.
type Resource struct {
	ServiceName string
	Vendor      string
	Project     string
}

// ExpectedOptions adapt the ground truth to what a vendor can express.
type ExpectedOptions struct {
	// OKStatus gives spans without an error the status OK instead of UNSET,
	// for vendors that record success explicitly (the receiver maps the
	// vendor's OK to OK).
	OKStatus bool
}

// Expected is the OpenTelemetry trace a perfect receiver produces for the
// completed trace tr: one ResourceSpans with res, one ScopeSpans, and per span
// its IDs, name, start and end, status (ERROR with the error message when the
// span failed, else UNSET or OK), kind (CLIENT for LLM, embedding and
// retrieval spans, INTERNAL otherwise) and the key GenAI attributes
// gen_ai.operation.name, gen_ai.provider.name, gen_ai.request.model and
// gen_ai.usage.input_tokens / output_tokens (ints), each only when the span
// has that value. Other attributes a receiver adds are not part of the truth
// (Compare lets actual spans carry more).
func Expected(tr Trace, res Resource, opts ExpectedOptions) ptrace.Traces {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	ra := rs.Resource().Attributes()
	ra.PutStr(attrServiceName, res.ServiceName)
	ra.PutStr(attrVendor, res.Vendor)
	ra.PutStr(attrProject, res.Project)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(truthScopeName)
	spans := ss.Spans()
	spans.EnsureCapacity(len(tr.Spans))
	for i := range tr.Spans {
		s := &tr.Spans[i]
		os := spans.AppendEmpty()
		os.SetTraceID(tr.ID)
		os.SetSpanID(s.ID)
		os.SetParentSpanID(s.ParentID)
		os.SetName(s.Name)
		os.SetStartTimestamp(pcommon.NewTimestampFromTime(s.Start))
		if !s.End.IsZero() {
			os.SetEndTimestamp(pcommon.NewTimestampFromTime(s.End))
		}
		switch s.Kind {
		case KindLLM, KindEmbedding, KindRetrieval:
			os.SetKind(ptrace.SpanKindClient)
		default:
			os.SetKind(ptrace.SpanKindInternal)
		}
		switch {
		case s.Error != nil:
			os.Status().SetCode(ptrace.StatusCodeError)
			os.Status().SetMessage(s.Error.Message)
		case opts.OKStatus:
			os.Status().SetCode(ptrace.StatusCodeOk)
		}
		a := os.Attributes()
		putStr(a, genai.OperationName, s.Operation)
		putStr(a, genai.ProviderName, s.Provider)
		putStr(a, genai.RequestModel, s.Model)
		if s.Usage.Input > 0 {
			a.PutInt(genai.UsageInputTokens, int64(s.Usage.Input))
		}
		if s.Usage.Output > 0 {
			a.PutInt(genai.UsageOutputTokens, int64(s.Usage.Output))
		}
	}
	return td
}

func putStr(m pcommon.Map, k, v string) {
	if v != "" {
		m.PutStr(k, v)
	}
}

// ExpectedRange merges truth(d.Trace(i)) for every i in [from, to) into one
// ptrace.Traces (one ResourceSpans per trace).
func ExpectedRange(d *Dataset, from, to int, truth func(Trace) ptrace.Traces) ptrace.Traces {
	td := ptrace.NewTraces()
	for i := from; i < to; i++ {
		t := truth(d.Trace(i))
		t.ResourceSpans().MoveAndAppendTo(td.ResourceSpans())
	}
	return td
}

// CompareOptions tune Compare.
type CompareOptions struct {
	// TimePrecision truncates both start and end timestamps to a multiple
	// of it before comparing (e.g. time.Millisecond for vendors that store
	// milliseconds). Zero compares nanoseconds.
	TimePrecision time.Duration
	// IgnoreUnexpected does not report actual spans absent from expected
	// (when expected covers only part of what the receiver emitted).
	IgnoreUnexpected bool
	// MaxDiffs stops after that many differences (0: no limit); the last
	// line then says how many more there were.
	MaxDiffs int
}

type spanKey struct {
	trace pcommon.TraceID
	span  pcommon.SpanID
}

type located struct {
	span ptrace.Span
	res  pcommon.Resource
	seen bool
}

// Compare matches the spans of actual to those of expected by (trace ID, span
// ID) and describes every difference, one line each, in a stable order:
// missing spans, then per matched span a different parent, name, start, end
// (at opts.TimePrecision), status code or message, kind, an expected span
// attribute missing or with another value (actual may have more attributes),
// the same for resource attributes (reported once per resource); then spans that appear more than once in actual (duplicates)
// and spans that are not expected at all. An empty result means actual
// contains expected.
//
// It indexes actual once in a map, so it is linear in the number of spans.
func Compare(expected, actual ptrace.Traces, opts CompareOptions) []string {
	c := comparer{opts: opts}
	index := make(map[spanKey]int, actual.SpanCount())
	var all []located
	dups := map[spanKey]int{}
	var dupOrder []spanKey
	forEachSpan(actual, func(res pcommon.Resource, s ptrace.Span) {
		k := spanKey{s.TraceID(), s.SpanID()}
		if _, ok := index[k]; ok {
			if dups[k] == 0 {
				dupOrder = append(dupOrder, k)
				dups[k] = 1
			}
			dups[k]++
			return
		}
		index[k] = len(all)
		all = append(all, located{span: s, res: res})
	})

	forEachSpan(expected, func(res pcommon.Resource, want ptrace.Span) {
		k := spanKey{want.TraceID(), want.SpanID()}
		at, ok := index[k]
		if !ok {
			c.add("%s: missing", spanLabel(want))
			return
		}
		all[at].seen = true
		c.span(want, res, all[at].span, all[at].res)
	})

	for _, k := range dupOrder {
		got := all[index[k]].span
		c.add("%s: duplicated, appears %d times", spanLabel(got), dups[k])
	}
	if !opts.IgnoreUnexpected {
		for i := range all {
			if !all[i].seen {
				c.add("%s: unexpected", spanLabel(all[i].span))
			}
		}
	}
	return c.result()
}

type comparer struct {
	opts  CompareOptions
	diffs []string
	more  int
	// resources already compared (expected, actual): a wrong resource is
	// reported once, on its first span, not on every span.
	resources map[[2]pcommon.Map]bool
}

func (c *comparer) add(format string, args ...any) {
	if c.opts.MaxDiffs > 0 && len(c.diffs) >= c.opts.MaxDiffs {
		c.more++
		return
	}
	c.diffs = append(c.diffs, fmt.Sprintf(format, args...))
}

func (c *comparer) result() []string {
	if c.more > 0 {
		c.diffs = append(c.diffs, "... and "+strconv.Itoa(c.more)+" more differences")
	}
	return c.diffs
}

func (c *comparer) span(want ptrace.Span, wantRes pcommon.Resource, got ptrace.Span, gotRes pcommon.Resource) {
	l := spanLabel(want)
	if w, g := want.ParentSpanID(), got.ParentSpanID(); w != g {
		c.add("%s: parent: want %s, got %s", l, idString(w), idString(g))
	}
	if w, g := want.Name(), got.Name(); w != g {
		c.add("%s: name: want %q, got %q", l, w, g)
	}
	if w, g := c.trunc(want.StartTimestamp()), c.trunc(got.StartTimestamp()); w != g {
		c.add("%s: start: want %s, got %s", l, tsString(w), tsString(g))
	}
	if w, g := c.trunc(want.EndTimestamp()), c.trunc(got.EndTimestamp()); w != g {
		c.add("%s: end: want %s, got %s", l, tsString(w), tsString(g))
	}
	if w, g := want.Status().Code(), got.Status().Code(); w != g {
		c.add("%s: status: want %s, got %s", l, w, g)
	} else if w, g := want.Status().Message(), got.Status().Message(); w != "" && w != g {
		c.add("%s: status message: want %q, got %q", l, w, g)
	}
	if w, g := want.Kind(), got.Kind(); w != g {
		c.add("%s: kind: want %s, got %s", l, w, g)
	}
	if pair := [2]pcommon.Map{wantRes.Attributes(), gotRes.Attributes()}; !c.resources[pair] {
		if c.resources == nil {
			c.resources = map[[2]pcommon.Map]bool{}
		}
		c.resources[pair] = true
		c.attrs(l+": resource attribute", pair[0], pair[1])
	}
	c.attrs(l+": attribute", want.Attributes(), got.Attributes())
}

func (c *comparer) attrs(prefix string, want, got pcommon.Map) {
	for k, w := range want.All() {
		g, ok := got.Get(k)
		switch {
		case !ok:
			c.add("%s %s: want %s, missing", prefix, k, valueString(w))
		case !w.Equal(g):
			c.add("%s %s: want %s, got %s", prefix, k, valueString(w), valueString(g))
		}
	}
}

func (c *comparer) trunc(ts pcommon.Timestamp) pcommon.Timestamp {
	if p := pcommon.Timestamp(c.opts.TimePrecision); p > 1 {
		return ts - ts%p
	}
	return ts
}

func forEachSpan(td ptrace.Traces, fn func(pcommon.Resource, ptrace.Span)) {
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		rs := rss.At(i)
		sss := rs.ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				fn(rs.Resource(), spans.At(k))
			}
		}
	}
}

func spanLabel(s ptrace.Span) string {
	return "span " + s.TraceID().String() + "/" + s.SpanID().String() + " " + strconv.Quote(s.Name())
}

func idString(id pcommon.SpanID) string {
	if id.IsEmpty() {
		return "none"
	}
	return id.String()
}

func tsString(ts pcommon.Timestamp) string {
	if ts == 0 {
		return "none"
	}
	return ts.AsTime().Format(time.RFC3339Nano)
}

func valueString(v pcommon.Value) string {
	return v.Type().String() + " " + strconv.Quote(v.AsString())
}
