package langsmith

import (
	"bytes"
	"strings"
	"time"

	jsoniter "github.com/json-iterator/go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// LangSmith-specific attributes. The names LangSmith's own OpenTelemetry
// exporter and ingest use are kept (langsmith.span.kind,
// langsmith.span.tags, langsmith.metadata.*), so that spans read here map
// back to the same run fields.
const (
	attrRunID              = "langsmith.run_id" // the run UUID (span ids keep 8 of its bytes)
	attrSpanKind           = "langsmith.span.kind"
	attrTags               = "langsmith.span.tags"
	attrMetadataPrefix     = "langsmith.metadata."
	attrExtraPrefix        = "langsmith.extra."
	attrInputs             = "langsmith.inputs"
	attrOutputs            = "langsmith.outputs"
	attrPromptTokens       = "langsmith.prompt_tokens" // on runs whose tokens are not their own usage
	attrCompletionTokens   = "langsmith.completion_tokens"
	attrTotalTokens        = "langsmith.total_tokens"
	attrPromptCost         = "langsmith.prompt_cost"
	attrCompletionCost     = "langsmith.completion_cost"
	attrTotalCost          = "langsmith.total_cost"
	attrPromptTokenDetail  = "langsmith.prompt_token_details."
	attrOutputTokenDetail  = "langsmith.completion_token_details."
	attrPromptCostDetail   = "langsmith.prompt_cost_details."
	attrOutputCostDetail   = "langsmith.completion_cost_details."
	attrReferenceExampleID = "langsmith.reference_example_id"
	attrReferenceDatasetID = "langsmith.reference_dataset_id"
	attrParentRunID        = "langsmith.parent_run_id" // only when the parent is the run itself
	attrStatus             = "langsmith.status"        // only for a status outside SUCCESS|ERROR|PENDING
)

// Run types (uppercase in v2, lowercase in v1; compared case-insensitively).
const (
	runLLM       = "llm"
	runTool      = "tool"
	runEmbedding = "embedding"
	runRetriever = "retriever"
)

// Run statuses.
const (
	statusSuccess = "success"
	statusError   = "error"
	statusPending = "pending"
)

// converter turns the runs of one LangSmith project into ptrace. It is used
// by one goroutine.
type converter struct {
	project string
	service string
	warn    func()
	iter    *jsoniter.Iterator // reused for every JSON blob
	keys    keyCache
	buf     []byte // reused to render messages
}

func newConverter(project, service string, warn func()) *converter {
	if warn == nil {
		warn = func() {}
	}
	return &converter{project: project, service: service, warn: warn, iter: jsoniter.NewIterator(jsonAPI), keys: keyCache{}}
}

// trace converts the runs of one trace. traceID is the trace's UUID as the
// discovery listed it and at its start there (the query axis). Conversion
// never fails: what cannot be converted is counted as a warning.
func (c *converter) trace(traceID string, at time.Time, runs []run) poll.Trace {
	td, out := poll.NewTraceSpans(Name, c.project, c.service, len(runs))
	tid := c.traceID(traceID, runs)
	ids := make(map[[16]byte]pcommon.SpanID, len(runs))
	for i := range runs {
		r := &runs[i]
		s := out.AppendEmpty()
		s.SetTraceID(tid)
		id := c.span(s, r, at)
		if k, ok := uuidKey(r.ID); ok {
			ids[k] = id
		}
	}
	for i := range runs {
		c.setParent(out.At(i), &runs[i], ids)
	}
	return poll.Trace{ID: tid, Time: at, Spans: td}
}

// traceID is the trace UUID's 16 bytes: the runs' trace_id, else the id the
// discovery gave. Anything else is hashed (warning).
func (c *converter) traceID(listed string, runs []run) pcommon.TraceID {
	id := listed
	for i := range runs {
		if runs[i].TraceID != "" {
			id = runs[i].TraceID
			break
		}
	}
	if u, ok := convert.UUIDBytes(id); ok && u != [16]byte{} {
		return pcommon.TraceID(u)
	}
	c.warn()
	return convert.TraceIDOrHash(id, Name, c.project)
}

// span fills s from r (all but the parent) and returns its span id.
func (c *converter) span(s ptrace.Span, r *run, at time.Time) pcommon.SpanID {
	for range r.Problems {
		c.warn()
	}
	typ := strings.ToLower(r.RunType)
	s.SetName(r.Name)
	if r.Name == "" {
		s.SetName(nonEmpty(typ, "run"))
	}
	s.SetKind(spanKind(typ))
	c.times(s, r, at)

	attrs := s.Attributes()
	attrs.EnsureCapacity(attributeHint(r))
	if r.ID != "" {
		attrs.PutStr(attrRunID, r.ID)
	}
	if typ != "" {
		attrs.PutStr(attrSpanKind, typ)
	}
	h := hints{typ: typ}
	if r.Metadata != nil {
		c.putMetadata(attrs, r.Metadata, &h)
	}
	if r.Extra != nil {
		c.putExtra(attrs, r.Extra, r.Metadata == nil, &h)
	}
	c.putSemantics(attrs, r, &h)
	c.putUsage(attrs, r, typ == runLLM || typ == runEmbedding)
	c.putContent(attrs, r, &h)
	c.putStatus(s, r)
	c.putEvents(s, r)
	id := c.spanID(r, &h)
	s.SetSpanID(id)
	return id
}

// spanKind: LLM, embedding and retriever runs are calls to a model provider
// or a data store (CLIENT, as the GenAI conventions have inference,
// embeddings and retrieval spans); everything else runs in the application
// (INTERNAL).
func spanKind(typ string) ptrace.SpanKind {
	switch typ {
	case runLLM, runEmbedding, runRetriever:
		return ptrace.SpanKindClient
	}
	return ptrace.SpanKindInternal
}

// spanID follows the receiver's rule: metadata OTEL_SPAN_ID (the id of a
// span ingested over OTLP) when present and valid; else the run UUID's last
// 8 bytes (for OTel-ingested runs, whose UUID is 8 zero bytes and the span
// id, that is the span id; for UUIDv7 runs the random part, where
// LangSmith's own exporter takes the first 8, which collide within a
// millisecond). An id that is no UUID is hashed (warning).
func (c *converter) spanID(r *run, h *hints) pcommon.SpanID {
	if h.otelSpanID != "" {
		if id, err := convert.SpanID(h.otelSpanID); err == nil && len(h.otelSpanID) <= 18 {
			return id
		}
		c.warn()
	}
	if id, ok := uuidSpanID(r.ID); ok {
		return id
	}
	c.warn()
	return convert.HashSpanID(Name, c.project, r.ID)
}

// uuidSpanID is the last 8 bytes of a run UUID; false for anything else
// (or 8 zero bytes).
func uuidSpanID(id string) (pcommon.SpanID, bool) {
	k, ok := uuidKey(id)
	if !ok || [8]byte(k[8:]) == [8]byte{} {
		return pcommon.SpanID{}, false
	}
	return pcommon.SpanID(k[8:]), true
}

// uuidKey reads a run UUID, dashed or as 32 hex digits (as in some
// dotted_order examples), without allocating.
func uuidKey(id string) ([16]byte, bool) {
	if u, ok := convert.UUIDBytes(id); ok {
		return u, true
	}
	var u [16]byte
	if len(id) != 32 {
		return u, false
	}
	for i := range u {
		hi, lo := unhex(id[2*i]), unhex(id[2*i+1])
		if hi > 15 || lo > 15 {
			return [16]byte{}, false
		}
		u[i] = hi<<4 | lo
	}
	return u, true
}

func unhex(c byte) byte {
	switch {
	case '0' <= c && c <= '9':
		return c - '0'
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10
	case 'A' <= c && c <= 'F':
		return c - 'A' + 10
	}
	return 0xFF
}

// setParent sets the parent: the last of parent_run_ids (root first, direct
// parent last), else the penultimate segment of dotted_order. A parent that
// is among the trace's runs gets that run's span id; one that is not (not
// ingested yet: runs of OTel exports often arrive before their parents)
// gets the id its UUID gives, so the link holds once the parent arrives. A
// run that names itself as its parent becomes a root (warning).
func (c *converter) setParent(s ptrace.Span, r *run, ids map[[16]byte]pcommon.SpanID) {
	parent := ""
	if n := len(r.ParentRunIDs); n > 0 {
		parent = r.ParentRunIDs[n-1]
	} else if r.DottedOrder != "" {
		parent = dottedParent(r.DottedOrder)
	}
	if parent == "" {
		return
	}
	key, isUUID := uuidKey(parent)
	id, ok := ids[key]
	switch {
	case ok && isUUID:
	case isUUID && [8]byte(key[8:]) != [8]byte{}:
		id = pcommon.SpanID(key[8:])
	default:
		// A parent that is no UUID: the id its run got (hashed, with a
		// warning there).
		id = convert.HashSpanID(Name, c.project, parent)
	}
	if id == s.SpanID() {
		c.warn()
		s.Attributes().PutStr(attrParentRunID, parent)
		return
	}
	s.SetParentSpanID(id)
}

// dottedParent returns the parent run id of a dotted_order
// ("<YYYYMMDDTHHMMSSffffff>Z<run uuid>" segments joined by "."; the last is
// the run itself): the uuid of the penultimate segment, "" for a root. The
// uuid is read leniently (with or without dashes; a trailing dot ignored).
func dottedParent(dotted string) string {
	dotted = strings.TrimRight(dotted, ".")
	last := strings.LastIndexByte(dotted, '.')
	if last < 0 {
		return ""
	}
	seg := dotted[:last]
	if i := strings.LastIndexByte(seg, '.'); i >= 0 {
		seg = seg[i+1:]
	}
	if z := strings.IndexByte(seg, 'Z'); z >= 0 {
		seg = seg[z+1:]
	}
	return seg
}

// normUUID is the key a run id is compared by: lower case, without dashes.
func normUUID(id string) string {
	plain := true
	for i := 0; i < len(id); i++ {
		if c := id[i]; c == '-' || c >= 'A' && c <= 'Z' {
			plain = false
			break
		}
	}
	if plain {
		return id
	}
	return strings.ToLower(strings.ReplaceAll(id, "-", ""))
}

// times sets start and end at full precision. end_time null, or status
// PENDING, leaves the end 0: in progress. An unreadable start falls back to
// the time inside a UUIDv7 run id, else the trace's start; an unreadable end
// to the start (warnings).
func (c *converter) times(s ptrace.Span, r *run, at time.Time) {
	st, err := convert.ParseTime(r.StartTime)
	if err != nil {
		c.warn()
		if t, ok := convert.UUIDv7Time(r.ID); ok {
			st = t
		} else {
			st = at
		}
	}
	s.SetStartTimestamp(convert.Timestamp(st))
	if r.EndTime == "" || strings.EqualFold(r.Status, statusPending) {
		return
	}
	end, err := convert.ParseTime(r.EndTime)
	if err != nil {
		c.warn()
		end = st
	}
	s.SetEndTimestamp(convert.Timestamp(end))
}

// putStatus maps status and error: an error text (or status ERROR) is
// status ERROR with the exception's message, error.type and an "exception"
// event at the span's end (its start while in progress); SUCCESS is OK
// (LangSmith records success explicitly, as its own exporter says);
// PENDING is UNSET.
func (c *converter) putStatus(s ptrace.Span, r *run) {
	status := strings.ToLower(r.Status)
	switch {
	case r.Error != "" || status == statusError:
		c.putError(s, r.Error)
	case status == statusSuccess:
		s.Status().SetCode(ptrace.StatusCodeOk)
	case status != "" && status != statusPending:
		s.Attributes().PutStr(attrStatus, r.Status)
	}
}

func (c *converter) putError(s ptrace.Span, text string) {
	typ, msg := parseError(text)
	s.Status().SetCode(ptrace.StatusCodeError)
	s.Status().SetMessage(msg)
	s.Attributes().PutStr(genai.ErrorType, nonEmpty(typ, genai.ErrorTypeOther))
	ev := s.Events().AppendEmpty()
	ev.SetName(genai.ExceptionEventName)
	at := s.EndTimestamp()
	if at == 0 {
		at = s.StartTimestamp()
	}
	ev.SetTimestamp(at)
	ea := ev.Attributes()
	ea.EnsureCapacity(3)
	if typ != "" {
		ea.PutStr(genai.ExceptionType, typ)
	}
	if msg != "" {
		ea.PutStr(genai.ExceptionMessage, msg)
	}
	if typ != "" && msg != text {
		ea.PutStr(genai.ExceptionStacktrace, text)
	}
}

// putEvents turns run events into span events at their times (an
// unreadable time is the span's start, warning); kwargs members become the
// event's attributes with their JSON types.
func (c *converter) putEvents(s ptrace.Span, r *run) {
	if len(r.Events) == 0 {
		return
	}
	evs := s.Events()
	evs.EnsureCapacity(evs.Len() + len(r.Events))
	for i := range r.Events {
		e := &r.Events[i]
		ev := evs.AppendEmpty()
		ev.SetName(nonEmpty(e.Name, "event"))
		t, err := convert.ParseTime(e.Time)
		if err != nil {
			c.warn()
			ev.SetTimestamp(s.StartTimestamp())
		} else {
			ev.SetTimestamp(convert.Timestamp(t))
		}
		if len(e.Kwargs) > 2 {
			c.members(e.Kwargs, ev.Attributes(), "", nil)
		}
	}
}

// attributeHint estimates how many attributes a run becomes, so that the
// map is allocated once: the fixed ones, one per metadata member (nested
// members counted too, a small overestimate), the details, and on model
// calls their GenAI attributes (request, usage, response, messages).
func attributeHint(r *run) int {
	n := 14 + len(r.PromptTokenDetails) + len(r.CompletionTokenDetails) + len(r.PromptCostDetails) + len(r.CompletionCostDetails)
	if len(r.Metadata) > 2 {
		n += min(bytes.Count(r.Metadata, []byte(`":`)), 64)
	}
	if len(r.Extra) > 2 {
		n += 3
	}
	if strings.EqualFold(r.RunType, runLLM) || strings.EqualFold(r.RunType, runEmbedding) {
		n += 20
	}
	return n
}

func nonEmpty(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// reset points the converter's iterator at raw.
func (c *converter) reset(raw []byte) *jsoniter.Iterator {
	c.iter.Error = nil
	return c.iter.ResetBytes(raw)
}

// keyCache remembers prefixed attribute names ("langsmith.metadata." +
// key), so that the usual keys are built once per converter instead of once
// per span.
type keyCache map[string]map[string]string

// maxCachedKeys bounds each prefix's cache (keys can be arbitrary data).
const maxCachedKeys = 1024

func (kc keyCache) get(prefix, k string) string {
	if prefix == "" {
		return k
	}
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
		// The cache outlives the answer: its key must not share the body.
		m[strings.Clone(k)] = v
	}
	return v
}

// getBytes is get for a key's raw JSON bytes: a key without escapes seen
// before costs no allocation.
func (kc keyCache) getBytes(prefix string, raw []byte) string {
	if bytes.IndexByte(raw, '\\') >= 0 {
		return kc.get(prefix, unescape(raw))
	}
	if prefix == "" {
		return bodyString(raw) // an event's own key, part of the body
	}
	if v, ok := kc[prefix][string(raw)]; ok {
		return v
	}
	return kc.get(prefix, string(raw))
}
