package promptlayersim

import (
	"slices"
	"strconv"

	"go.opentelemetry.io/collector/config/configopaque"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// defaultService is the receiver's service.name for spans whose resource
// names none (request logs without a trace).
const defaultService = "promptlayer"

// Expected is what a perfect receiver emits for the complete trace tr read
// from PromptLayer with the credentials the part serves.
//
// A traced trace is sim.Expected with the resource of its spans (the
// application's service.name, version, environment and SDK) plus
// llmtrace.vendor and llmtrace.project (the API key's scope). Spans sent by
// PromptLayer's SDK carry no GenAI attributes of their own: only the spans
// with a request log get them (from it), so the others have no
// gen_ai.operation.name.
//
// An untraced trace is its LLM calls only, each a trace of its own: one
// CLIENT span whose trace and span IDs are derived from the request id,
// named after its registry prompt or "chat <model>", from
// request_start_time to request_end_time, ERROR with the error message when
// the call failed, with the GenAI attributes of its request log; its
// resource is service.name "promptlayer".
//
// With a Filter, a traced trace is expected when one of its request logs
// passes it (the search finds the trace through that log, and the trace is
// read whole), an untraced request log when it passes it.
func (p *Part) Expected(tr sim.Trace) ptrace.Traces {
	creds := p.credentials()
	project := keyScope(creds.APIKey)
	info := p.newTraceInfo(&tr)
	if f := p.filter(); f != nil {
		info.logs = slices.DeleteFunc(info.logs, func(l logInfo) bool { return !f.matches(logRef{info, &l}) })
		if len(info.logs) == 0 {
			return ptrace.NewTraces()
		}
		if !info.untraced {
			info = p.newTraceInfo(&tr) // its spans name all its request logs
		}
	}
	if info.untraced {
		return untracedTruth(&tr, info, project)
	}
	td := sim.Expected(tr, sim.Resource{ServiceName: creds.Project, Vendor: Name, Project: project}, sim.ExpectedOptions{})
	ra := td.ResourceSpans().At(0).Resource().Attributes()
	for k, v := range resourceAttributes(&tr, creds.Project) {
		convert.SetValue(ra.PutEmpty(k), v)
	}
	if info.ingest == ingestSDK {
		spans := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		for k := 0; k < spans.Len(); k++ {
			if info.log(k) == nil {
				spans.At(k).Attributes().Remove(genai.OperationName)
			}
		}
	}
	return td
}

func untracedTruth(tr *sim.Trace, info *traceInfo, project string) ptrace.Traces {
	td := ptrace.NewTraces()
	for _, l := range info.logs {
		s := &tr.Spans[l.k]
		rs := td.ResourceSpans().AppendEmpty()
		ra := rs.Resource().Attributes()
		ra.PutStr("service.name", defaultService)
		ra.PutStr("llmtrace.vendor", Name)
		ra.PutStr("llmtrace.project", project)
		ss := rs.ScopeSpans().AppendEmpty()
		ss.Scope().SetName(poll.ScopeName)
		os := ss.Spans().AppendEmpty()
		traceID, spanID := LogIDs(project, l.id)
		os.SetTraceID(traceID)
		os.SetSpanID(spanID)
		name := PromptName(l.id, s)
		if name == "" {
			name = s.Operation + " " + s.Model
		}
		os.SetName(name)
		os.SetKind(ptrace.SpanKindClient)
		os.SetStartTimestamp(pcommon.NewTimestampFromTime(s.Start))
		os.SetEndTimestamp(pcommon.NewTimestampFromTime(s.End))
		if s.Error != nil {
			os.Status().SetCode(ptrace.StatusCodeError)
			os.Status().SetMessage(s.Error.Message)
		}
		a := os.Attributes()
		a.PutStr(genai.OperationName, s.Operation)
		a.PutStr(genai.ProviderName, s.Provider)
		a.PutStr(genai.RequestModel, s.Model)
		if s.Usage.Input > 0 {
			a.PutInt(genai.UsageInputTokens, int64(s.Usage.Input))
		}
		if s.Usage.Output > 0 {
			a.PutInt(genai.UsageOutputTokens, int64(s.Usage.Output))
		}
	}
	return td
}

// LogIDs are the trace and span IDs the receiver documents for a request
// log without a trace: the first 16 and 8 bytes of SHA-256("promptlayer"
// 0x00 project 0x00 "request_log" 0x00 <request id in decimal>), project
// being the receiver's llmtrace.project (the key's scope).
func LogIDs(project string, id int64) (pcommon.TraceID, pcommon.SpanID) {
	text := strconv.FormatInt(id, 10)
	return convert.HashTraceID(Name, project, "request_log", text), convert.HashSpanID(Name, project, "request_log", text)
}

// keyScope is the receiver's checkpoint scope of an API key, its
// llmtrace.project.
func keyScope(key string) string {
	c := poll.Common{APIKey: configopaque.String(key)}
	return c.KeyScope()
}
