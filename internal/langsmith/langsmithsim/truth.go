package langsmithsim

import (
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Expected is what a perfect receiver emits for the complete trace tr read
// from LangSmith: sim.Expected with OK for successful spans (LangSmith
// records SUCCESS), less what LangSmith cannot carry. Agents are CHAIN runs
// (LangSmith has no agent run type), so they lose their operation name;
// the provider is what LangChain's ls_provider says, normalised (Google's
// google_genai is gcp.gen_ai). Times keep their microseconds, errors their
// message (the last line of the stored traceback), model calls their model,
// provider and usage. The threads-only variant sees only threaded traces:
// the others are not expected at all; with a Filter, neither are the
// traces whose root run does not pass it once complete.
func (p *Part) Expected(tr sim.Trace) ptrace.Traces {
	if p.ThreadsOnly && tr.ThreadID == "" {
		return ptrace.NewTraces()
	}
	if f := p.filter(); f != "" {
		rf, e := parseRootFilter("filter", f)
		if e != nil {
			panic("langsmithsim: Part.Filter: " + e.detail)
		}
		if !rf.matches(completeView(&tr)) {
			return ptrace.NewTraces()
		}
	}
	project := p.project()
	td := sim.Expected(tr, sim.Resource{ServiceName: project, Vendor: Name, Project: project}, sim.ExpectedOptions{OKStatus: true})
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for k := 0; k < spans.Len(); k++ {
		s, ds := spans.At(k), &tr.Spans[k]
		if ds.Kind == sim.KindAgent {
			s.Attributes().Remove(genai.OperationName)
		}
		if ds.Provider != "" {
			s.Attributes().PutStr(genai.ProviderName, genai.NormalizeProvider(lsProvider(ds.Provider)))
		}
	}
	return td
}
