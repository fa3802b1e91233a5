package promptlayer

import (
	"strconv"
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// enrich adds what a request log says to the attributes of its span. The
// span's own attributes win (they are what the application recorded; the
// request log was derived from them), the request log fills in what is
// missing: gen_ai.request.model, gen_ai.provider.name (normalised),
// gen_ai.usage.input_tokens / output_tokens, gen_ai.operation.name,
// gen_ai.prompt.name and the prompt template's chat messages as
// gen_ai.input.messages. The price is PromptLayer's own and set whenever
// PromptLayer has priced the request (it is null right after ingest).
func enrich(attrs pcommon.Map, log *requestLog, fresh bool) {
	putStr := func(k, v string) {
		if v == "" {
			return
		}
		if !fresh {
			if _, ok := attrs.Get(k); ok {
				return
			}
		}
		attrs.PutStr(k, v)
	}
	putInt := func(k string, v int64, has bool) {
		if !has {
			return
		}
		if !fresh {
			if _, ok := attrs.Get(k); ok {
				return
			}
		}
		attrs.PutInt(k, v)
	}
	putStr(genai.OperationName, log.Operation)
	putStr(genai.RequestModel, log.Model)
	if log.Provider != "" {
		putStr(genai.ProviderName, providerName(log.Provider))
	}
	putInt(genai.UsageInputTokens, log.InputTokens, log.HasInput)
	putInt(genai.UsageOutputTokens, log.OutputTokens, log.HasOutput)
	putStr(genai.PromptName, log.PromptName)
	putStr(genai.InputMessages, log.Messages)
	if log.HasPrice {
		attrs.PutDouble(attrPrice, log.Price)
	}
}

// providerName maps PromptLayer's provider names to gen_ai.provider.name;
// the two dotted ones PromptLayer uses are not spellings NormalizeProvider
// knows.
func providerName(p string) string {
	switch strings.ToLower(strings.TrimSpace(p)) {
	case "openai.azure":
		return genai.ProviderAzureAIOpenAI
	case "amazon.bedrock":
		return genai.ProviderAWSBedrock
	}
	return genai.NormalizeProvider(p)
}

// logIDs are the trace and span IDs of a request log without a trace: the
// first 16 and 8 bytes of SHA-256("promptlayer" 0x00 project 0x00
// "request_log" 0x00 <request id in decimal>), project being the key's
// scope (llmtrace.project). Request ids are PromptLayer's, so a request log
// always gets the same IDs; the project keeps two deployments (whose ids
// both count from 1) or workspaces apart.
func logIDs(project string, id int64) (pcommon.TraceID, pcommon.SpanID) {
	text := strconv.FormatInt(id, 10)
	return convert.HashTraceID(Name, project, "request_log", text), convert.HashSpanID(Name, project, "request_log", text)
}

// logTrace makes a request log without a trace (a plain logged LLM call)
// a trace of its own: one CLIENT span named after the prompt, else after
// the operation and the model, from request_start_time to
// request_end_time, with the GenAI attributes of the request log. A
// request log whose status is ERROR gets status ERROR with its
// error_message.
func (c *converter) logTrace(log *requestLog) poll.Trace {
	td := ptrace.NewTraces()
	rs := td.ResourceSpans().AppendEmpty()
	c.putResourceNames(rs.Resource().Attributes())
	ss := rs.ScopeSpans().AppendEmpty()
	ss.Scope().SetName(poll.ScopeName)
	s := ss.Spans().AppendEmpty()

	traceID, spanID := logIDs(c.project, log.ID)
	s.SetTraceID(traceID)
	s.SetSpanID(spanID)
	s.SetName(logName(log))
	s.SetKind(ptrace.SpanKindClient)
	start, end := log.Start, log.End
	switch {
	case start.IsZero() && end.IsZero():
		c.warn()
	case start.IsZero():
		c.warn()
		start = end
	case end.IsZero() || end.Before(start):
		end = start
	}
	s.SetStartTimestamp(convert.Timestamp(start))
	s.SetEndTimestamp(convert.Timestamp(end))
	if strings.EqualFold(log.Status, "ERROR") {
		s.Status().SetCode(ptrace.StatusCodeError)
		s.Status().SetMessage(log.ErrorMessage)
	}
	attrs := s.Attributes()
	attrs.EnsureCapacity(10)
	enrich(attrs, log, true)
	attrs.PutInt(attrRequestLogID, log.ID)
	if log.Status != "" {
		attrs.PutStr(attrStatus, log.Status)
	}
	at := log.placed()
	if at.IsZero() {
		at = start
	}
	return poll.Trace{ID: traceID, Time: at, Spans: td}
}

// logName names the span of a request log without a trace.
func logName(log *requestLog) string {
	switch {
	case log.PromptName != "":
		return log.PromptName
	case log.Model != "" && log.Operation != "":
		return log.Operation + " " + log.Model
	case log.Model != "":
		return log.Model
	}
	return "request " + strconv.FormatInt(log.ID, 10)
}
