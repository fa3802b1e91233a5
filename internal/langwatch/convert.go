package langwatch

import (
	"bytes"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// LangWatch-specific attributes (LangWatch's own names where it has them).
const (
	attrSpanType        = "langwatch.span.type"
	attrInput           = "langwatch.input"
	attrOutput          = "langwatch.output"
	attrContexts        = "langwatch.rag.contexts"
	attrCost            = "langwatch.cost"
	attrTokensEstimated = "langwatch.tokens.estimated"
	attrMetadataPrefix  = "langwatch.metadata."
	attrLabels          = "langwatch.metadata.labels"
	attrPlatformURL     = "langwatch.platform_url"

	attrEvalID          = "langwatch.evaluation.id"
	attrEvalEvaluatorID = "langwatch.evaluation.evaluator_id"
	attrEvalType        = "langwatch.evaluation.type"
	attrEvalStatus      = "langwatch.evaluation.status"
	attrEvalPassed      = "langwatch.evaluation.passed"
	attrEvalGuardrail   = "langwatch.evaluation.is_guardrail"
	attrEvalInputs      = "langwatch.evaluation.inputs"

	// eventFirstToken marks the first streamed token; LangWatch reads
	// first_token_at from an event of this name.
	eventFirstToken = "first_token"

	typeLLM        = "llm"
	typeEvaluation = "evaluation"
	chatMessages   = "chat_messages"
)

// evalIDPart sets evaluation span IDs apart from the vendor's own span IDs
// in the hash.
const evalIDPart = "evaluation"

// axis is the time axis a query windows on, which a trace's Time follows.
type axis uint8

const (
	// byUpdate: the trace's updated_at (POST /api/traces/search with
	// dateField "updated").
	byUpdate axis = iota
	// byStart: the trace's started_at (the legacy search).
	byStart
)

// converter turns LangWatch traces into ptrace. It is used by one
// goroutine.
type converter struct {
	project string // the configured project_id; "" uses each trace's project_id
	cur     string // the project of the trace being converted, the scope of hashed ids
	service string // the configured service_name; "" uses the project
	warn    func()
	now     func() time.Time
	iter    *jsoniter.Iterator // reused for every JSON value
	sc      scanner            // reused for every JSON blob
	keys    keyTable           // interned metadata attribute keys
	buf     []byte             // the metadata key being built
	num     pcommon.Value      // a number being parsed
	out     []byte             // the messages JSON being rendered
	hashed  []hashedID         // the span ids the trace hashed
	strs    strSlab            // the trace's strings
	msgs    []genai.Message    // the typed value's messages being rendered
	parts   []genai.Part       // their parts
}

func newConverter(project, service string, warn func(), now func() time.Time) *converter {
	if warn == nil {
		warn = func() {}
	}
	if now == nil {
		now = time.Now
	}
	return &converter{
		project: project, service: service, warn: warn, now: now,
		iter: jsoniter.NewIterator(jsonAPI),
	}
}

// trace converts one LangWatch trace: one OTel span per LangWatch span, the
// trace-level fields on its root spans, and one span per finished
// evaluation. It never fails: what cannot be converted is counted as a
// warning.
func (c *converter) trace(tr *traceRec, ax axis) poll.Trace {
	for range tr.Problems {
		c.warn()
	}
	project := c.project
	if project == "" {
		project = tr.ProjectID
	}
	service := c.service
	if service == "" {
		service = project
	}
	td, out := poll.NewTraceSpans(Name, project, service, len(tr.Spans)+len(tr.Evaluations))
	c.cur, c.hashed = project, c.hashed[:0]
	c.strs.reset()
	traceID := c.traceID(tr.TraceID)
	var root pcommon.SpanID
	for i := range tr.Spans {
		sp := &tr.Spans[i]
		s := out.AppendEmpty()
		c.span(s, traceID, sp, tr.from, i)
		if sp.ParentID == "" {
			c.traceFields(s.Attributes(), tr)
			if root.IsEmpty() {
				root = s.SpanID()
			}
		}
	}
	for i := range tr.Evaluations {
		c.evaluation(out, traceID, root, &tr.Evaluations[i])
	}
	clear(c.hashed) // views of the answer: do not hold it
	var updated time.Time
	if tr.Updated > 0 {
		updated = fromMs(tr.Updated)
	}
	return poll.Trace{ID: traceID, Time: c.position(tr, ax), Updated: updated, Spans: td}
}

// position is the trace's place on the query axis.
//
// On the update axis it is the trace's content time: the latest of its
// creation (inserted_at), its spans' ends and its finished evaluations,
// which is at or before updated_at. A trace that changes without new
// content (an annotation, a topic, a metadata edit) keeps its position, so
// the engine ignores it once its content is older than the window (there is
// nothing new to emit) and forgets it at the same moment; a trace that gets
// a new span or evaluation result moves on with it. updated_at itself would
// bring a trace whose emitted spans the engine no longer remembers back into
// the window at each such change. It is also robust to LangWatch's
// snapshot: a trace's version is capped at the scroll's start while its
// spans are read live.
//
// For the legacy search it is started_at. A trace without any of these
// falls back to its other timestamps, then now (warning).
func (c *converter) position(tr *traceRec, ax axis) time.Time {
	var ms int64
	if ax == byUpdate {
		ms = contentTime(tr)
	} else {
		ms = tr.Started
	}
	if ms > 0 {
		return fromMs(ms)
	}
	c.warn()
	if ms = firstPositive(tr.Updated, tr.Inserted, tr.Started); ms > 0 {
		return fromMs(ms)
	}
	return c.now().UTC()
}

// contentTime is the latest of inserted_at, the spans' finished_at and the
// finished evaluations' times (epoch ms, 0 when none).
func contentTime(tr *traceRec) int64 {
	t := tr.Inserted
	for i := range tr.Spans {
		t = max(t, tr.Spans[i].Finished, tr.Spans[i].Started)
	}
	for i := range tr.Evaluations {
		if e := &tr.Evaluations[i]; finished(e.Status) {
			t = max(t, firstPositive(e.Finished, e.Updated, e.Started, e.Inserted))
		}
	}
	return t
}

// traceID is a 32-digit hex id's 16 bytes (OTLP-ingested ids); anything
// else (legacy nanoids such as "trace_Yy0XWu6BOwwnrkLtQh9Ji") is hashed
// with the project's documented rule: the first 16 bytes of
// SHA-256("langwatch\x00" + project + "\x00" + id). Legacy ids are
// LangWatch's own format, not a conversion problem: no warning.
func (c *converter) traceID(id string) pcommon.TraceID {
	if len(id) == 32 && isHex(id) {
		if tid, err := convert.TraceID(id); err == nil {
			return tid
		}
	}
	if id == "" {
		c.warn()
	}
	return convert.HashTraceID(Name, c.cur, id)
}

// spanID is a 16-digit hex id's 8 bytes; anything else is hashed: the
// first 8 bytes of SHA-256("langwatch\x00" + project + "\x00" + id).
// Parent ids go through the same function, so parent links stay
// consistent.
func (c *converter) spanID(id string) pcommon.SpanID {
	if len(id) == 16 && isHex(id) {
		if sid, err := convert.SpanID(id); err == nil {
			return sid
		}
	}
	// A parent is usually a span of the trace read before it: its hash
	// is remembered for the trace (a few, looked up in order).
	for i := range c.hashed {
		if c.hashed[i].id == id {
			return c.hashed[i].sid
		}
	}
	sid := convert.HashSpanID(Name, c.cur, id)
	if len(c.hashed) < maxHashedIDs {
		c.hashed = append(c.hashed, hashedID{id: id, sid: sid})
	}
	return sid
}

// hashedID is a span id the trace being converted hashed.
type hashedID struct {
	id  string // a view of the answer, valid while the trace is converted
	sid pcommon.SpanID
}

// maxHashedIDs bounds the hashes remembered per trace.
const maxHashedIDs = 32

func isHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// span converts one REST span.
func (c *converter) span(s ptrace.Span, traceID pcommon.TraceID, sp *spanRec, d *decoder, i int) {
	for range sp.Problems {
		c.warn()
	}
	s.SetTraceID(traceID)
	id := c.spanID(sp.SpanID)
	if sp.SpanID == "" {
		// Spans without an id would all collide: tell them apart by
		// position (warning).
		c.warn()
		id = convert.HashSpanID(Name, c.cur, traceID.String(), "#"+strconv.Itoa(i))
	}
	s.SetSpanID(id)
	if sp.ParentID != "" {
		if parent := c.spanID(sp.ParentID); parent != id {
			s.SetParentSpanID(parent)
		} else {
			c.warn()
		}
	}
	s.SetKind(spanKind(sp.Type))
	s.SetName(nonEmpty(sp.Name, nonEmpty(sp.Type, "span")))
	c.times(s, sp)

	attrs := s.Attributes()
	has := c.params(attrs, sp, d)
	typ := nonEmpty(sp.Type, "span")
	attrs.PutStr(attrSpanType, typ)
	if !has.operation {
		if op := impliedOperation(typ); op != "" {
			attrs.PutStr(genai.OperationName, op)
		}
	}
	if sp.Model != "" && !has.model {
		attrs.PutStr(genai.RequestModel, sp.Model)
	}
	if sp.Vendor != "" {
		attrs.PutStr(genai.ProviderName, genai.NormalizeProvider(sp.Vendor))
	}
	c.metrics(attrs, &sp.Metrics)
	c.firstToken(s, sp)
	c.typedValue(attrs, sp.Input, &sp.In, d, attrInput, genai.InputMessages)
	c.typedValue(attrs, sp.Output, &sp.Out, d, attrOutput, genai.OutputMessages)
	if sp.Contexts != nil {
		c.putRaw(attrs, attrContexts, sp.Contexts)
	}
	if sp.Error != nil {
		putError(s, sp.Error)
	}
}

// times sets start and end from the epoch-ms timestamps. A missing
// finished_at leaves the end 0: in progress (LangWatch stores spans when
// they end, so this is unusual). A missing started_at falls back to the end
// (warning).
func (c *converter) times(s ptrace.Span, sp *spanRec) {
	start := sp.Started
	if start <= 0 {
		c.warn()
		start = sp.Finished
	}
	s.SetStartTimestamp(convert.Timestamp(fromMs(start)))
	if sp.HasFinished && sp.Finished > 0 {
		s.SetEndTimestamp(convert.Timestamp(fromMs(sp.Finished)))
	}
}

// spanKind maps LangWatch's span type: llm spans are calls to a model
// provider (CLIENT); the OTel kinds LangWatch keeps as types map back;
// every other type is the application's own work (INTERNAL).
func spanKind(typ string) ptrace.SpanKind {
	switch typ {
	case typeLLM, "client":
		return ptrace.SpanKindClient
	case "server":
		return ptrace.SpanKindServer
	case "producer":
		return ptrace.SpanKindProducer
	case "consumer":
		return ptrace.SpanKindConsumer
	}
	return ptrace.SpanKindInternal
}

// impliedOperation is the gen_ai.operation.name a span type implies, for
// spans whose attributes do not name one.
func impliedOperation(typ string) string {
	switch typ {
	case typeLLM:
		return genai.OpChat
	case "tool":
		return genai.OpExecuteTool
	case "agent":
		return genai.OpInvokeAgent
	case "rag":
		return genai.OpRetrieval
	case "workflow":
		return genai.OpInvokeWorkflow
	}
	return ""
}

// metrics maps a span's metrics; they win over the same values in params.
func (c *converter) metrics(attrs pcommon.Map, m *metricsRec) {
	c.putTokens(attrs, genai.UsageInputTokens, m.PromptTokens)
	c.putTokens(attrs, genai.UsageOutputTokens, m.CompletionTokens)
	c.putTokens(attrs, genai.UsageReasoningOutputTokens, m.ReasoningTokens)
	c.putTokens(attrs, genai.UsageCacheReadInputTokens, m.CacheReadInputTokens)
	c.putTokens(attrs, genai.UsageCacheWriteInputTokens, m.CacheCreationInputTokens)
	if m.Cost.Set {
		attrs.PutDouble(attrCost, m.Cost.V)
	}
	if m.TokensEstimated.Set {
		attrs.PutBool(attrTokensEstimated, m.TokensEstimated.V)
	}
}

// putTokens puts a token count as an Int; a fraction is rounded (warning).
func (c *converter) putTokens(attrs pcommon.Map, key string, f optFloat) {
	if !f.Set {
		return
	}
	v := f.V
	n := math.Round(v)
	if n != v || n > math.MaxInt64 || n < math.MinInt64 {
		c.warn()
		n = max(min(n, math.MaxInt64), math.MinInt64)
	}
	attrs.PutInt(key, int64(n))
}

// firstToken keeps first_token_at as the GenAI time to first chunk (in
// seconds, unless the span's attributes have it) and as a first_token
// event.
func (c *converter) firstToken(s ptrace.Span, sp *spanRec) {
	if !sp.HasFirstToken || sp.FirstToken <= 0 {
		return
	}
	at := fromMs(sp.FirstToken)
	ev := s.Events().AppendEmpty()
	ev.SetName(eventFirstToken)
	ev.SetTimestamp(convert.Timestamp(at))
	if sp.Started <= 0 || sp.FirstToken < sp.Started {
		return
	}
	if _, ok := s.Attributes().Get(genai.ResponseTimeToFirstChunk); !ok {
		s.Attributes().PutDouble(genai.ResponseTimeToFirstChunk, float64(sp.FirstToken-sp.Started)/1000)
	}
}

// putError sets status ERROR with the message, error.type (unless the
// span's attributes name one) and an exception event at the span's end.
func putError(s ptrace.Span, e *errorRec) {
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Status().SetMessage(e.Message)
	if _, ok := s.Attributes().Get(genai.ErrorType); !ok {
		s.Attributes().PutStr(genai.ErrorType, genai.ErrorTypeOther)
	}
	ev := s.Events().AppendEmpty()
	ev.SetName(genai.ExceptionEventName)
	ev.SetTimestamp(max(s.EndTimestamp(), s.StartTimestamp()))
	ea := ev.Attributes()
	ea.PutStr(genai.ExceptionMessage, e.Message)
	if len(e.Stacktrace) > 0 {
		ea.PutStr(genai.ExceptionStacktrace, strings.Join(e.Stacktrace, "\n"))
	}
}

// traceFields puts the trace-level fields on a root span: thread_id as
// gen_ai.conversation.id, user_id as user.id, labels and every other
// metadata key under langwatch.metadata.* (JSON types kept), platformUrl.
func (c *converter) traceFields(attrs pcommon.Map, tr *traceRec) {
	if tr.PlatformURL != "" {
		attrs.PutStr(attrPlatformURL, tr.PlatformURL)
	}
	if len(tr.Metadata) == 0 {
		return
	}
	s := &c.sc
	s.reset(tr.Metadata)
	if s.next() != kindObject {
		c.warn()
		return
	}
	attrs.EnsureCapacity(attrs.Len() + bytes.Count(tr.Metadata, []byte(`":`)))
	ok := true
	s.object(func(key []byte) bool {
		switch k := s.next(); {
		case k == kindNull:
			s.skip()
		case string(key) == "thread_id" && k == kindString:
			v, _ := s.str()
			attrs.PutStr(genai.ConversationID, v)
		case string(key) == "user_id" && k == kindString:
			v, _ := s.str()
			attrs.PutStr(genai.UserID, v)
		default:
			name := attrLabels
			if string(key) != "labels" {
				c.buf = append(append(c.buf[:0], attrMetadataPrefix...), key...)
				name = c.keys.intern(c.buf)
			}
			if raw := s.raw(); s.err == nil && !c.putLeaf(attrs, name, raw) {
				ok = false
			}
		}
		return true
	})
	if s.finish() != nil || !ok {
		c.warn()
	}
}

// evaluation converts one finished evaluation into a span under the span it
// evaluated (span_id), else under the trace's root. Evaluations still
// scheduled or in progress are left out: they show up, as a new span, once
// LangWatch has their result (which moves the trace's updated_at).
func (c *converter) evaluation(out ptrace.SpanSlice, traceID pcommon.TraceID, root pcommon.SpanID, e *evalRec) {
	if !finished(e.Status) {
		return
	}
	s := out.AppendEmpty()
	s.SetTraceID(traceID)
	if e.EvaluationID == "" {
		c.warn()
	}
	s.SetSpanID(convert.HashSpanID(Name, c.cur, evalIDPart, e.EvaluationID))
	if e.SpanID != "" {
		s.SetParentSpanID(c.spanID(e.SpanID))
	} else {
		s.SetParentSpanID(root)
	}
	s.SetKind(ptrace.SpanKindInternal)
	s.SetName(nonEmpty(e.Name, nonEmpty(e.Type, typeEvaluation)))
	start := firstPositive(e.Started, e.Inserted, e.Finished, e.Updated)
	end := max(firstPositive(e.Finished, e.Updated, start), start)
	s.SetStartTimestamp(convert.Timestamp(fromMs(start)))
	s.SetEndTimestamp(convert.Timestamp(fromMs(end)))

	attrs := s.Attributes()
	attrs.PutStr(attrSpanType, typeEvaluation)
	putNonEmpty(attrs, genai.EvaluationName, e.Name)
	putNonEmpty(attrs, genai.EvaluationScoreLabel, e.Label)
	putNonEmpty(attrs, genai.EvaluationExplanation, e.Details)
	if e.Score != nil {
		attrs.PutDouble(genai.EvaluationScoreValue, *e.Score)
	}
	putNonEmpty(attrs, attrEvalID, e.EvaluationID)
	putNonEmpty(attrs, attrEvalEvaluatorID, e.EvaluatorID)
	putNonEmpty(attrs, attrEvalType, e.Type)
	attrs.PutStr(attrEvalStatus, e.Status)
	if e.Passed != nil {
		attrs.PutBool(attrEvalPassed, *e.Passed)
	}
	if e.IsGuardrail != nil {
		attrs.PutBool(attrEvalGuardrail, *e.IsGuardrail)
	}
	if e.Inputs != nil {
		c.putRaw(attrs, attrEvalInputs, e.Inputs)
	}
	if e.Status == "error" || e.Error != nil {
		msg := "evaluation failed"
		if e.Error != nil && e.Error.Message != "" {
			msg = e.Error.Message
		}
		putError(s, &errorRec{HasError: true, Message: msg})
	}
}

// finished reports whether an evaluation status is final.
func finished(status string) bool {
	return status == "processed" || status == "skipped" || status == "error"
}

// putRaw decodes a raw JSON value into attrs[key] with its JSON types; a
// malformed one is a warning.
func (c *converter) putRaw(attrs pcommon.Map, key string, raw []byte) {
	if !c.decodeInto(attrs, key, raw) {
		c.warn()
	}
}

func (c *converter) reset(raw []byte) *jsoniter.Iterator {
	c.iter.ResetBytes(raw)
	c.iter.Error = nil
	return c.iter
}

func fromMs(ms int64) time.Time { return convert.FromEpochInt(ms, convert.Milliseconds) }

func firstPositive(vs ...int64) int64 {
	for _, v := range vs {
		if v > 0 {
			return v
		}
	}
	return 0
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func putNonEmpty(attrs pcommon.Map, key, v string) {
	if v != "" {
		attrs.PutStr(key, v)
	}
}

// validKey replaces invalid UTF-8 in an attribute key.
func validKey(k string) string {
	if utf8.ValidString(k) {
		return k
	}
	return strings.ToValidUTF8(k, "\uFFFD")
}
