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
// embedding spans their model, provider and usage.
func (p *Part) Expected(tr sim.Trace) ptrace.Traces {
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
