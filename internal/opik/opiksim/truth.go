package opiksim

import (
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Expected is what a perfect receiver emits for the complete trace tr read
// from Opik: sim.Expected, less what Opik cannot carry. Opik's span types
// have no agent or retrieval: agents, chains and retrievals are general
// spans, so they lose their operation name and retrievals their CLIENT
// kind; the root is the Opik trace, which has no type and no operation.
// Times keep their microseconds, errors their message, and LLM and
// embedding spans their model, provider and usage. With a Filter, the
// traces it does not select are not expected at all.
func (p *Part) Expected(tr sim.Trace) ptrace.Traces {
	if f := p.filter(); f != "" {
		fs, status, body := parseFilters(f)
		if status != 0 {
			panic("opiksim: Part.Filter: " + body)
		}
		if fields := newFilterFields(&tr); !matches(fs, &fields) {
			return ptrace.NewTraces()
		}
	}
	project := p.project()
	td := sim.Expected(tr, sim.Resource{ServiceName: project, Vendor: Name, Project: project}, sim.ExpectedOptions{})
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for k := 0; k < spans.Len(); k++ {
		s, ds := spans.At(k), &tr.Spans[k]
		if k == 0 || spanType(ds.Kind) == typeGeneral {
			s.SetKind(ptrace.SpanKindInternal)
			s.Attributes().Remove(genai.OperationName)
		}
	}
	return td
}
