package langtracesim

import (
	"strings"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// Expected is what a perfect receiver emits for the complete trace tr read
// from Langtrace: sim.Expected, less what Langtrace cannot carry. The
// status description is dropped (a failed span is ERROR without message),
// successful client spans are OK (the SDKs set it), the kind survives only
// on the TypeScript path (elsewhere the server stores 0, INTERNAL), and the
// OTLP path keeps millisecond times. With a Keyword, only the spans that
// contain it are read, so only they are expected.
func (p *Part) Expected(tr sim.Trace) ptrace.Traces {
	project := p.project()
	td := sim.Expected(tr, sim.Resource{ServiceName: project, Vendor: Name, Project: project}, sim.ExpectedOptions{})
	path := pathOf(tr.Index)
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for k := 0; k < spans.Len(); k++ {
		s, ds := spans.At(k), &tr.Spans[k]
		switch {
		case ds.Error != nil:
			s.Status().SetMessage("")
		case clientKind(ds.Kind):
			s.Status().SetCode(ptrace.StatusCodeOk)
		}
		if path != pathTypeScript {
			s.SetKind(ptrace.SpanKindInternal)
		}
		if path == pathOTLP {
			s.SetStartTimestamp(truncateMilli(s.StartTimestamp()))
			s.SetEndTimestamp(truncateMilli(s.EndTimestamp()))
		}
	}
	if kw := strings.ToLower(p.keyword()); kw != "" {
		rd := newRenderer(tr.Index)
		keep := map[pcommon.SpanID]bool{}
		for k := range tr.Spans {
			keep[tr.Spans[k].ID] = spanMatches(rd, &tr, &tr.Spans[k], kw)
		}
		spans.RemoveIf(func(s ptrace.Span) bool { return !keep[s.SpanID()] })
		if spans.Len() == 0 {
			return ptrace.NewTraces()
		}
	}
	return td
}

func truncateMilli(ts pcommon.Timestamp) pcommon.Timestamp {
	return ts - ts%pcommon.Timestamp(time.Millisecond)
}
