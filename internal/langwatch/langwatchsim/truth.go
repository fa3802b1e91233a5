package langwatchsim

import (
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Expected is what a perfect receiver emits for the complete trace tr read
// from LangWatch: sim.Expected, adapted to what LangWatch carries.
//
//   - Kinds follow LangWatch's span types, which keep no OTel kind: llm
//     spans (chat and embedding calls) are CLIENT, rag spans (retrievals)
//     INTERNAL like the rest.
//   - Legacy REST-collector traces have nanoid ids, hashed as the receiver
//     documents (the first 16/8 bytes of SHA-256 over "langwatch", the
//     project and the id joined by 0x00),
//     and no gen_ai.operation.name attribute: the operation is the one
//     their type implies (chat for every llm span, embeddings included).
//   - Each evaluation becomes a span under the root: its id hashed from
//     "langwatch", the project, "evaluation" and the evaluation id, its times, its name, ERROR with the message when it
//     failed.
//
// Times are LangWatch's milliseconds (the shared test compares at that
// precision). With a Filter, the traces it does not select once complete
// are not expected at all.
func (p *Part) Expected(tr sim.Trace) ptrace.Traces {
	x := newTraceInfo(&tr)
	if fs := p.filters(); fs != nil && !x.filtersMatch(fs, x.changes[len(x.changes)-1]) {
		return ptrace.NewTraces()
	}
	project := p.project()
	td := sim.Expected(tr, sim.Resource{ServiceName: project, Vendor: Name, Project: project}, sim.ExpectedOptions{})
	spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	traceID := tr.ID
	if x.legacy {
		traceID = convert.HashTraceID(Name, project, x.id)
	}
	ids := make(map[pcommon.SpanID]pcommon.SpanID, len(tr.Spans))
	for k := range tr.Spans {
		ids[tr.Spans[k].ID] = spanIDOf(x, k, tr.Spans[k].ID, project)
	}
	for k := 0; k < spans.Len(); k++ {
		s, ds := spans.At(k), &tr.Spans[k]
		s.SetTraceID(traceID)
		s.SetSpanID(ids[ds.ID])
		if !ds.ParentID.IsEmpty() {
			s.SetParentSpanID(ids[ds.ParentID])
		}
		s.SetKind(ptrace.SpanKindInternal)
		if spanType(ds.Kind) == typeLLM {
			s.SetKind(ptrace.SpanKindClient)
		}
		if x.legacy {
			s.Attributes().Remove(genai.OperationName)
			if op := legacyOperation(ds.Kind); op != "" {
				s.Attributes().PutStr(genai.OperationName, op)
			}
		}
	}
	root := ids[tr.Spans[0].ID]
	for i := range x.evals {
		e := &x.evals[i]
		s := spans.AppendEmpty()
		s.SetTraceID(traceID)
		s.SetSpanID(convert.HashSpanID(Name, project, "evaluation", e.id))
		s.SetParentSpanID(root)
		s.SetName(e.name)
		s.SetKind(ptrace.SpanKindInternal)
		s.SetStartTimestamp(pcommon.NewTimestampFromTime(e.started))
		s.SetEndTimestamp(pcommon.NewTimestampFromTime(e.done))
		if e.status == "error" {
			s.Status().SetCode(ptrace.StatusCodeError)
			s.Status().SetMessage(e.errMsg)
		}
	}
	return td
}

func spanIDOf(x *traceInfo, k int, id pcommon.SpanID, project string) pcommon.SpanID {
	if x.legacy {
		return convert.HashSpanID(Name, project, x.spans[k])
	}
	return id
}

// legacyOperation is the operation a legacy span's type implies.
func legacyOperation(k sim.SpanKind) string {
	switch spanType(k) {
	case typeLLM:
		return genai.OpChat
	case typeTool:
		return genai.OpExecuteTool
	case typeAgent:
		return genai.OpInvokeAgent
	case typeRAG:
		return genai.OpRetrieval
	}
	return ""
}
