package opik

import (
	"bytes"
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// Opik-specific attributes (there is no semantic convention for them).
const (
	attrSpanID          = "opik.span_id"        // the Opik span UUID (span ids keep only its last 8 bytes)
	attrParentSpanID    = "opik.parent_span_id" // only on spans whose parent is missing
	attrSpanType        = "opik.span.type"
	attrInput           = "opik.input"
	attrOutput          = "opik.output"
	attrMetadata        = "opik.metadata" // a metadata value that is not an object
	attrMetadataPrefix  = "opik.metadata."
	attrUsagePrefix     = "opik.usage."
	attrProvider        = "opik.provider"
	attrCost            = "opik.total_estimated_cost"
	attrSpanCount       = "opik.span_count"
	attrLastUpdatedAt   = "opik.last_updated_at"
	attrGuardrails      = "opik.guardrails"
	attrGuardrailChecks = "opik.guardrail.checks"
	attrGuardrailResult = "opik.guardrail.result"
	attrPrefix          = "opik."

	guardrailPassed = "passed"
	guardrailFailed = "failed"
	spanTypeLLM     = "llm"
	spanTypeTool    = "tool"
)

// converter turns Opik records into ptrace. It is used by one goroutine.
type converter struct {
	project string
	service string
	warn    func()
	// scan reads every JSON blob (strict: encoding/json's rules, as the
	// shared decoder); its buffers and interned keys are reused.
	scan convert.Scanner
	keys keyCache
	// chatText receives the unescaped strings of chat messages while they
	// are rendered (see chatMessages).
	chatText []byte
	// strs makes the attribute strings of the trace being converted.
	strs convert.Strings
	// The span tree of the trace being converted (reused from trace to
	// trace).
	ids     []pcommon.SpanID
	known   map[pcommon.SpanID]struct{}
	parents map[pcommon.SpanID]pcommon.SpanID
	// msgs and parts hold the plain chat messages being rendered (see
	// chatMessages).
	msgs  []genai.Message
	parts []genai.Part
	// attrHint is the attribute capacity to reserve by record shape.
	attrHint map[attrShape]int
	// reasons receives a response's finish reasons.
	reasons []string
}

func newConverter(project, service string, warn func()) *converter {
	if warn == nil {
		warn = func() {}
	}
	c := &converter{project: project, service: service, warn: warn, scan: convert.Scanner{Strict: true}, keys: keyCache{},
		known: map[pcommon.SpanID]struct{}{}, parents: map[pcommon.SpanID]pcommon.SpanID{}, attrHint: map[attrShape]int{}}
	c.scan.Strings = &c.strs
	return c
}

// trace converts one Opik trace and its spans into one span tree: a root
// span for the trace (Opik's trace is not a span) and one span per Opik
// span. It never fails: what cannot be converted is counted as a warning.
func (c *converter) trace(tr *record, spans []*record) poll.Trace {
	c.strs.Reset() // the trace's strings share no chunk with another trace
	td, out := poll.NewTraceSpans(Name, c.project, c.service, len(spans)+1)
	traceID := c.traceID(tr.ID)
	rootID := c.spanID(tr.ID)

	at := traceTime(tr)
	root := out.AppendEmpty()
	root.SetTraceID(traceID)
	root.SetSpanID(rootID)
	root.SetKind(ptrace.SpanKindInternal)
	root.SetName(nonEmpty(tr.Name, "trace"))
	start := c.times(root, tr, at)
	c.attributes(root, tr, true)
	if len(tr.Guardrails) > 0 {
		putGuardrails(root.Attributes().PutEmptySlice(attrGuardrails), tr.Guardrails)
	}

	updated, _ := convert.ParseTime(tr.LastUpdatedAt)
	ids := slices.Grow(c.ids[:0], len(spans))[:len(spans)]
	c.ids = ids
	known, parents := c.known, c.parents
	clear(known)
	clear(parents)
	known[rootID] = struct{}{}
	for i, sp := range spans {
		ids[i] = c.spanID(sp.ID)
		known[ids[i]] = struct{}{}
	}
	for i, sp := range spans {
		s := out.AppendEmpty()
		s.SetTraceID(traceID)
		s.SetSpanID(ids[i])
		parent := c.parent(s, sp, rootID, ids[i], known)
		parents[ids[i]] = parent
		s.SetParentSpanID(parent)
		s.SetKind(spanKind(sp.Type))
		s.SetName(nonEmpty(sp.Name, nonEmpty(sp.Type, "span")))
		fallback, ok := convert.UUIDv7Time(sp.ID)
		if !ok {
			fallback = start.AsTime()
		}
		c.times(s, sp, fallback)
		c.attributes(s, sp, false)
		if t, err := convert.ParseTime(sp.LastUpdatedAt); err == nil && t.After(updated) {
			updated = t
		}
	}
	c.breakCycles(out, spans, rootID, parents)
	if len(tr.Guardrails) > 0 {
		guardrailResults(out, spans, tr.Guardrails)
	}
	return poll.Trace{ID: traceID, Time: at, Updated: updated, Spans: td}
}

// traceTime is the trace's place on the query axis: the time inside its
// UUIDv7 id (what from_time/to_time filter on), else its start_time, else
// its last_updated_at, else now, so that a trace never sits at the epoch.
func traceTime(tr *record) time.Time {
	if t, ok := convert.UUIDv7Time(tr.ID); ok {
		return t
	}
	for _, s := range []string{tr.StartTime, tr.LastUpdatedAt} {
		if t, err := convert.ParseTime(s); err == nil && !t.IsZero() {
			return t
		}
	}
	return time.Now().UTC()
}

// breakCycles attaches to the root the spans whose parent chain loops
// (A's parent is B, B's is A) instead of reaching the root (warning).
func (c *converter) breakCycles(out ptrace.SpanSlice, spans []*record, root pcommon.SpanID, parents map[pcommon.SpanID]pcommon.SpanID) {
	for i := range spans {
		s := out.At(i + 1) // out.At(0) is the root
		id := s.SpanID()
		for range len(spans) + 1 {
			if id == root {
				break
			}
			id = parents[id]
		}
		if id != root {
			c.warn()
			parents[s.SpanID()] = root
			s.Attributes().PutStr(attrParentSpanID, spans[i].ParentSpanID)
			s.SetParentSpanID(root)
		}
	}
}

// traceID is the trace UUID's 16 bytes; anything else is hashed.
func (c *converter) traceID(id string) pcommon.TraceID {
	if u, ok := convert.UUIDBytes(id); ok && u != [16]byte{} {
		return pcommon.TraceID(u)
	}
	c.warn()
	return convert.TraceIDOrHash(id, Name, c.project)
}

// spanID is the last 8 bytes of a UUID (the random part of a UUIDv7);
// anything else is hashed.
func (c *converter) spanID(id string) pcommon.SpanID {
	if s, err := convert.SpanID(id); err == nil {
		return s
	}
	c.warn()
	return convert.HashSpanID(Name, c.project, id)
}

// parent resolves parent_span_id; a parent that is not in the data (or the
// span itself) is replaced by the root, with a warning and the original id
// in opik.parent_span_id.
func (c *converter) parent(s ptrace.Span, sp *record, root, self pcommon.SpanID, known map[pcommon.SpanID]struct{}) pcommon.SpanID {
	if sp.ParentSpanID == "" {
		return root
	}
	if id, err := convert.SpanID(sp.ParentSpanID); err == nil && id != self {
		if _, ok := known[id]; ok {
			return id
		}
	}
	c.warn()
	s.Attributes().PutStr(attrParentSpanID, sp.ParentSpanID)
	return root
}

// times sets start and end from start_time and end_time at full precision
// (duration is ignored). A null end_time leaves the end 0: in progress. An
// unreadable start falls back to the given time, an unreadable end to the
// start (warnings).
func (c *converter) times(s ptrace.Span, r *record, fallback time.Time) pcommon.Timestamp {
	st, err := convert.ParseTime(r.StartTime)
	if err != nil {
		c.warn()
		st = fallback
	}
	start := convert.Timestamp(st)
	s.SetStartTimestamp(start)
	if r.EndTime == "" {
		return start
	}
	end, err := convert.ParseTime(r.EndTime)
	if err != nil {
		c.warn()
		end = st
	}
	s.SetEndTimestamp(convert.Timestamp(end))
	return start
}

func spanKind(typ string) ptrace.SpanKind {
	if typ == spanTypeLLM {
		return ptrace.SpanKindClient
	}
	return ptrace.SpanKindInternal
}

// attributes maps a record's fields; root is true for the trace's root span.
func (c *converter) attributes(s ptrace.Span, r *record, root bool) {
	for range r.Problems {
		c.warn()
	}
	attrs := s.Attributes()
	hint, learned := c.attrHint[attrShape{root, r.Type}]
	if !learned {
		hint = attributeHint(r)
	}
	attrs.EnsureCapacity(hint)
	defer c.learnAttrs(attrShape{root, r.Type}, attrs)
	if !root {
		attrs.PutStr(attrSpanID, r.ID)
		if r.Type != "" {
			attrs.PutStr(attrSpanType, r.Type)
		}
		if r.Type == spanTypeTool {
			attrs.PutStr(genai.OperationName, genai.OpExecuteTool)
			if r.Name != "" {
				attrs.PutStr(genai.ToolName, r.Name)
			}
		}
	}
	if r.Model != "" {
		attrs.PutStr(genai.RequestModel, r.Model)
	}
	if r.Provider != "" {
		attrs.PutStr(genai.ProviderName, genai.NormalizeProvider(r.Provider))
		attrs.PutStr(attrProvider, r.Provider)
	}
	if r.ThreadID != "" {
		attrs.PutStr(genai.ConversationID, r.ThreadID)
	}
	c.putUsage(attrs, r.Usage, !root)
	if r.HasCost {
		attrs.PutDouble(attrCost, r.Cost)
	}
	if r.SpanCount >= 0 && root {
		attrs.PutInt(attrSpanCount, r.SpanCount)
	}
	if r.LastUpdatedAt != "" {
		attrs.PutStr(attrLastUpdatedAt, r.LastUpdatedAt)
	}
	if r.Error != nil {
		c.putError(s, r.Error)
	}
	llm := r.Type == spanTypeLLM && !root
	var hints *metaHints
	if llm {
		hints = &metaHints{}
	}
	if len(r.Metadata) > 0 {
		c.putMetadata(attrs, r.Metadata, hints)
	}
	if llm {
		attrs.PutStr(genai.OperationName, llmOperation(r.Name, hints))
		hints.putRequestParams(attrs)
	}
	c.putContent(attrs, r.Input, attrInput, genai.InputMessages)
	c.putContent(attrs, r.Output, attrOutput, genai.OutputMessages)
	if llm {
		c.putResponse(attrs, r.Output, hints)
	}
	for i := range r.Extra {
		c.putExtra(attrs, &r.Extra[i])
	}
}

// attrShape is what the attribute count of a record depends on most.
type attrShape struct {
	root bool
	typ  string
}

// learnAttrs remembers how many attributes a record of a shape became (a
// little more, for the next record of the shape that has an extra one), so
// that the next one reserves about what it needs: the estimate of
// attributeHint is generous, and reserving too much costs as much as
// growing.
func (c *converter) learnAttrs(shape attrShape, attrs pcommon.Map) {
	if _, ok := c.attrHint[shape]; ok || len(c.attrHint) < maxCachedKeys {
		c.attrHint[shape] = attrs.Len() + 2
	}
}

// attributeHint estimates how many attributes a record becomes, so that the
// map is allocated once: the fixed ones, usage (twice on llm spans),
// extras and about one per top-level metadata member.
func attributeHint(r *record) int {
	n := 16 + 2*len(r.Usage) + len(r.Extra)
	if len(r.Metadata) > 2 {
		n += min(bytes.Count(r.Metadata, []byte(`":`)), 64)
	}
	return n
}

// llmOperation is gen_ai.operation.name of an llm span: embeddings when the
// span name or metadata.type (integrations write e.g. "openai_embeddings")
// says so, chat otherwise.
func llmOperation(name string, h *metaHints) string {
	if containsFold(name, "embed") || containsFold(h.typ, "embed") {
		return genai.OpEmbeddings
	}
	return genai.OpChat
}

func containsFold(s, sub string) bool {
	return strings.Contains(strings.ToLower(s), sub)
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// putUsage keeps every usage key as opik.usage.<key> (Int, or Double for a
// decimal) and, on spans, maps the known keys to gen_ai.usage.*. The root
// (Opik's trace usage is the sum of its spans') gets only opik.usage.*, so
// that backends adding up GenAI tokens do not count them twice.
func (c *converter) putUsage(attrs pcommon.Map, usage []usageEntry, semconv bool) {
	for _, u := range usage {
		isInt := u.Value == math.Trunc(u.Value) && math.Abs(u.Value) < 1<<53
		if isInt {
			attrs.PutInt(c.keys.get(attrUsagePrefix, u.Key), int64(u.Value))
		} else {
			attrs.PutDouble(c.keys.get(attrUsagePrefix, u.Key), u.Value)
		}
		if !semconv {
			continue
		}
		var key string
		switch u.Key {
		case "prompt_tokens":
			key = genai.UsageInputTokens
		case "completion_tokens":
			key = genai.UsageOutputTokens
		case "total_tokens":
			key = genai.UsageTotalTokens
		case "original_usage.prompt_tokens_details.cached_tokens", "original_usage.cache_read_input_tokens":
			key = genai.UsageCacheReadInputTokens
		case "original_usage.completion_tokens_details.reasoning_tokens":
			key = genai.UsageReasoningOutputTokens
		case "original_usage.cache_creation_input_tokens":
			key = genai.UsageCacheWriteInputTokens
		default:
			continue
		}
		attrs.PutInt(key, int64(u.Value))
	}
}

// keyCache remembers prefixed attribute names ("opik.metadata." + key), so
// that the usual keys are built once per converter instead of once per span.
type keyCache map[string]map[string]string

// maxCachedKeys bounds each prefix's cache (keys can be arbitrary data).
const maxCachedKeys = 1024

// getBytes is get for a key given as bytes (not kept).
func (kc keyCache) getBytes(prefix string, k []byte) string {
	if v, ok := kc[prefix][string(k)]; ok {
		return v
	}
	return kc.get(prefix, string(k))
}

func (kc keyCache) get(prefix, k string) string {
	m := kc[prefix]
	if v, ok := m[k]; ok {
		return v
	}
	v := prefix + k
	if m == nil {
		m = make(map[string]string)
		kc[prefix] = m
	}
	if len(m) < maxCachedKeys {
		m[k] = v
	}
	return v
}

// putError records error_info as status ERROR, error.type and an exception
// event at the span's end (its start while in progress).
func (c *converter) putError(s ptrace.Span, e *errorInfo) {
	msg := nonEmpty(e.Message, e.ExceptionType)
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Status().SetMessage(msg)
	s.Attributes().PutStr(genai.ErrorType, nonEmpty(e.ExceptionType, genai.ErrorTypeOther))
	ev := s.Events().AppendEmpty()
	ev.SetName(genai.ExceptionEventName)
	at := s.EndTimestamp()
	if at == 0 {
		at = s.StartTimestamp()
	}
	ev.SetTimestamp(at)
	ea := ev.Attributes()
	ea.EnsureCapacity(3)
	if e.ExceptionType != "" {
		ea.PutStr(genai.ExceptionType, e.ExceptionType)
	}
	if e.Message != "" {
		ea.PutStr(genai.ExceptionMessage, e.Message)
	}
	if e.Traceback != "" {
		ea.PutStr(genai.ExceptionStacktrace, e.Traceback)
	}
}

// putMetadata flattens a metadata object into opik.metadata.<key>, keeping
// JSON types (nested objects become maps). Metadata that is not an object is
// kept whole under opik.metadata. A member that cannot be decoded keeps what
// was decoded of it (a warning).
func (c *converter) putMetadata(attrs pcommon.Map, raw []byte, hints *metaHints) {
	s := c.reset(raw)
	switch s.Peek() {
	case convert.KindObject:
		s.Open('{')
		for s.More('}') {
			key := c.keys.getBytes(attrMetadataPrefix, s.Key())
			if s.Err() != nil {
				break
			}
			dest := attrs.PutEmpty(key)
			s.Value(dest)
			if hints != nil {
				hints.note(key[len(attrMetadataPrefix):], dest)
			}
		}
	default:
		s.Value(attrs.PutEmpty(attrMetadata))
	}
	if s.Err() != nil {
		c.warn()
	}
}

// metaHints are the metadata members of an llm span that map to GenAI
// attributes, noted while the metadata is decoded.
type metaHints struct {
	typ, object, model, id string
	params                 [len(requestParams)]pcommon.Value
}

// note remembers member key, just decoded into v.
func (h *metaHints) note(key string, v pcommon.Value) {
	str := func() string {
		if v.Type() == pcommon.ValueTypeStr {
			return v.Str()
		}
		return ""
	}
	switch key {
	case "type":
		h.typ = str()
		return
	case "object":
		h.object = str()
		return
	case "model":
		h.model = str()
		return
	case "id":
		h.id = str()
		return
	}
	for i, p := range requestParams {
		if p.meta == key {
			h.params[i] = pcommon.NewValueEmpty()
			v.CopyTo(h.params[i])
			return
		}
	}
}

// putRequestParams copies the request parameters that integrations record
// in metadata (OpenAI-style keyword arguments) to gen_ai.request.*; the
// first of max_tokens, max_completion_tokens and max_output_tokens wins.
func (h *metaHints) putRequestParams(attrs pcommon.Map) {
	var done [len(requestParams)]bool
	for i, p := range requestParams {
		v := h.params[i]
		if v == (pcommon.Value{}) || done[p.slot] {
			continue
		}
		done[p.slot] = true
		switch p.kind {
		case pcommon.ValueTypeDouble:
			switch v.Type() {
			case pcommon.ValueTypeDouble:
				attrs.PutDouble(p.attr, v.Double())
			case pcommon.ValueTypeInt:
				attrs.PutDouble(p.attr, float64(v.Int()))
			default:
				done[p.slot] = false
			}
		case pcommon.ValueTypeInt:
			if v.Type() == pcommon.ValueTypeInt {
				attrs.PutInt(p.attr, v.Int())
			} else {
				done[p.slot] = false
			}
		case pcommon.ValueTypeSlice:
			switch v.Type() {
			case pcommon.ValueTypeStr:
				attrs.PutEmptySlice(p.attr).AppendEmpty().SetStr(v.Str())
			case pcommon.ValueTypeSlice:
				v.Slice().CopyTo(attrs.PutEmptySlice(p.attr))
			default:
				done[p.slot] = false
			}
		}
	}
}

// requestParams are the metadata members copied to gen_ai.request.*; slot
// groups the members of one attribute.
var requestParams = [...]struct {
	meta string
	attr string
	kind pcommon.ValueType
	slot int
}{
	{"temperature", genai.RequestTemperature, pcommon.ValueTypeDouble, 0},
	{"top_p", genai.RequestTopP, pcommon.ValueTypeDouble, 1},
	{"top_k", genai.RequestTopK, pcommon.ValueTypeInt, 2},
	{"max_tokens", genai.RequestMaxTokens, pcommon.ValueTypeInt, 3},
	{"max_completion_tokens", genai.RequestMaxTokens, pcommon.ValueTypeInt, 3},
	{"max_output_tokens", genai.RequestMaxTokens, pcommon.ValueTypeInt, 3},
	{"frequency_penalty", genai.RequestFrequencyPenalty, pcommon.ValueTypeDouble, 4},
	{"presence_penalty", genai.RequestPresencePenalty, pcommon.ValueTypeDouble, 5},
	{"seed", genai.RequestSeed, pcommon.ValueTypeInt, 6},
	{"stop", genai.RequestStopSequences, pcommon.ValueTypeSlice, 7},
}

// putContent stores input or output: always the JSON text under opik.input
// / opik.output (a JSON string as the string itself; null, {} and []
// are skipped), and, when it holds chat messages, the GenAI structured messages.
func (c *converter) putContent(attrs pcommon.Map, raw []byte, rawKey, messagesKey string) {
	if isEmpty(raw) {
		return
	}
	if raw[0] == '"' {
		sc := c.reset(raw)
		s := sc.Str()
		if sc.Err() != nil {
			s = string(raw)
		}
		attrs.PutStr(rawKey, s)
		// Some integrations store the messages as a JSON string.
		if !strings.Contains(s, `"role"`) {
			return
		}
		raw = unsafe.Slice(unsafe.StringData(s), len(s)) //nolint:gosec // a read-only view of s
	} else {
		attrs.PutStr(rawKey, c.strs.String(raw))
		if !bytes.Contains(raw, []byte(`"role"`)) {
			return
		}
	}
	if msgs, ok := c.chatMessages(raw); ok {
		attrs.PutStr(messagesKey, genai.MessagesJSON(msgs))
	}
}

// isEmpty reports whether raw is nothing, {} or [].
func isEmpty(raw []byte) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return true
	}
	if len(raw) < 2 || (raw[0] != '{' && raw[0] != '[') {
		return false
	}
	return len(bytes.TrimSpace(raw[1:len(raw)-1])) == 0
}

// putResponse maps what an OpenAI-style response object says about itself:
// output.model → gen_ai.response.model, output.id → gen_ai.response.id and
// output.choices[].finish_reason → gen_ai.response.finish_reasons. The
// metadata that Opik's OpenAI integration fills from the response (object
// "chat.completion", model, id) is used the same way.
func (c *converter) putResponse(attrs pcommon.Map, output []byte, h *metaHints) {
	var model, id string
	reasons := c.reasons[:0]
	defer func() { clear(reasons); c.reasons = reasons[:0] }()
	if len(output) > 0 && output[0] == '{' {
		s := c.reset(output)
		s.Open('{')
		for s.More('}') {
			key := s.Key()
			switch {
			case string(key) == "model" && s.Peek() == convert.KindString:
				model = s.Str()
			case string(key) == "id" && s.Peek() == convert.KindString:
				id = s.Str()
			case string(key) == "choices" && s.Peek() == convert.KindArray:
				reasons = finishReasons(s, reasons)
			default:
				s.Skip()
			}
		}
		if s.Err() != nil {
			return
		}
	}
	if strings.HasPrefix(h.object, "chat.completion") {
		model = cmp.Or(model, h.model)
		id = cmp.Or(id, h.id)
	}
	if model != "" {
		attrs.PutStr(genai.ResponseModel, model)
	}
	if id != "" {
		attrs.PutStr(genai.ResponseID, id)
	}
	if len(reasons) > 0 {
		s := attrs.PutEmptySlice(genai.ResponseFinishReasons)
		s.EnsureCapacity(len(reasons))
		for _, r := range reasons {
			s.AppendEmpty().SetStr(r)
		}
	}
}

// finishReasons reads choices[].finish_reason.
func finishReasons(s *convert.Scanner, reasons []string) []string {
	s.Open('[')
	for s.More(']') {
		if s.Peek() != convert.KindObject {
			s.Skip()
			continue
		}
		s.Open('{')
		for s.More('}') {
			if string(s.Key()) == "finish_reason" && s.Peek() == convert.KindString {
				reasons = append(reasons, s.Str())
				continue
			}
			s.Skip()
		}
	}
	return reasons
}

// putExtra stores a field without its own mapping under opik.<field>,
// keeping JSON types; feedback scores keep name, value (a Double), source,
// category_name and reason.
func (c *converter) putExtra(attrs pcommon.Map, f *rawField) {
	if isEmpty(f.Raw) {
		return
	}
	s := c.reset(f.Raw)
	key := extraKey(f.Key)
	if key == "" {
		key = c.keys.get(attrPrefix, f.Key)
	}
	dest := attrs.PutEmpty(key)
	switch f.Key {
	case "feedback_scores", "span_feedback_scores":
		if s.Peek() == convert.KindArray {
			feedbackScores(s, dest.SetEmptySlice())
			break
		}
		s.Value(dest)
	default:
		s.Value(dest)
	}
	if s.Err() != nil {
		c.warn()
	}
}

// feedbackScores reads the scores, keeping name, value (a Double), source,
// category_name and reason of each.
func feedbackScores(s *convert.Scanner, dest pcommon.Slice) {
	s.Open('[')
	for s.More(']') {
		if s.Peek() != convert.KindObject {
			s.Value(dest.AppendEmpty())
			continue
		}
		m := dest.AppendEmpty().SetEmptyMap()
		m.EnsureCapacity(5)
		s.Open('{')
		for s.More('}') {
			key := s.Key()
			switch string(key) {
			case "value":
				// Scores are decimals: always a Double.
				if s.Peek() == convert.KindNumber {
					m.PutDouble("value", s.Float())
					continue
				}
				fallthrough
			case "name", "source", "category_name", "reason":
				if s.Peek() == convert.KindNull {
					s.Null()
					continue
				}
				s.Value(m.PutEmpty(s.Intern(key)))
			default:
				s.Skip()
			}
		}
	}
}

// extraKey is "opik." + the usual field names, "" for others.
func extraKey(k string) string {
	switch k {
	case "tags":
		return "opik.tags"
	case "created_at":
		return "opik.created_at"
	case "created_by":
		return "opik.created_by"
	case "last_updated_by":
		return "opik.last_updated_by"
	case "feedback_scores":
		return "opik.feedback_scores"
	case "span_feedback_scores":
		return "opik.span_feedback_scores"
	case "comments":
		return "opik.comments"
	case "total_estimated_cost_version":
		return "opik.total_estimated_cost_version"
	case "ttft":
		return "opik.ttft"
	case "llm_span_count":
		return "opik.llm_span_count"
	case "has_tool_spans":
		return "opik.has_tool_spans"
	case "providers":
		return "opik.providers"
	case "visibility_mode":
		return "opik.visibility_mode"
	case "experiment":
		return "opik.experiment"
	case "source":
		return "opik.source"
	case "environment":
		return "opik.environment"
	}
	return ""
}

// putGuardrails stores guardrails_validations as a slice of
// {span_id, checks: [{name, result}]}.
func putGuardrails(dest pcommon.Slice, gs []guardrailValidation) {
	dest.EnsureCapacity(len(gs))
	for _, g := range gs {
		m := dest.AppendEmpty().SetEmptyMap()
		m.PutStr("span_id", g.SpanID)
		putChecks(m.PutEmptySlice("checks"), g.Checks)
	}
}

func putChecks(dest pcommon.Slice, checks []guardrailCheck) {
	dest.EnsureCapacity(len(checks))
	for _, ch := range checks {
		cm := dest.AppendEmpty().SetEmptyMap()
		cm.PutStr("name", ch.Name)
		cm.PutStr("result", ch.Result)
	}
}

// guardrailResults puts each validation's checks on the span it names
// (opik.guardrail.checks) with an overall opik.guardrail.result: "failed"
// when any check did not pass. A validation whose span is not in the data
// stays on the root only.
func guardrailResults(out ptrace.SpanSlice, spans []*record, gs []guardrailValidation) {
	for _, g := range gs {
		for i, sp := range spans {
			if sp.ID != g.SpanID {
				continue
			}
			attrs := out.At(i + 1).Attributes() // out.At(0) is the root
			checks, ok := attrs.Get(attrGuardrailChecks)
			if !ok || checks.Type() != pcommon.ValueTypeSlice {
				checks = attrs.PutEmpty(attrGuardrailChecks)
				checks.SetEmptySlice()
			}
			putChecks(checks.Slice(), g.Checks)
			result := guardrailPassed
			if r, ok := attrs.Get(attrGuardrailResult); ok {
				result = r.Str()
			}
			for _, ch := range g.Checks {
				if ch.Result != guardrailPassed {
					result = guardrailFailed
				}
			}
			attrs.PutStr(attrGuardrailResult, result)
			break
		}
	}
}

// reset points the converter's scanner at raw.
func (c *converter) reset(raw []byte) *convert.Scanner {
	c.scan.Reset(raw)
	return &c.scan
}
