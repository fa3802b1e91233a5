package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Resource attributes every vendor sets on the traces it emits.
const (
	AttrServiceName = "service.name"
	AttrVendor      = "llmtrace.vendor"
	AttrProject     = "llmtrace.project"
	// ScopeName is the instrumentation scope of emitted spans.
	ScopeName = "github.com/llmtrace/llmtrace"
)

// NewTraceSpans starts the ptrace of one converted trace: one ResourceSpans
// naming the service, vendor and project, with one ScopeSpans whose span
// slice the caller fills.
func NewTraceSpans(vendor, project, serviceName string, spanHint int) (ptrace.Traces, ptrace.SpanSlice) {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	attrs := rs.Resource().Attributes()
	attrs.EnsureCapacity(3)
	if serviceName == "" {
		serviceName = project
	}
	attrs.PutStr(AttrServiceName, serviceName)
	attrs.PutStr(AttrVendor, vendor)
	attrs.PutStr(AttrProject, project)
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(ScopeName)
	spans := ss.Spans()
	spans.EnsureCapacity(spanHint)
	return td, spans
}
