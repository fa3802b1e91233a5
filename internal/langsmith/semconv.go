package langsmith

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/genai"
)

// hints are the metadata and extra members that map to GenAI attributes,
// noted while the JSON is decoded into langsmith.* attributes.
type hints struct {
	typ string // lower-case run_type

	otelSpanID string // metadata OTEL_SPAN_ID
	model      string // metadata ls_model_name
	provider   string // metadata ls_provider
	modelType  string // metadata ls_model_type: "chat" or "llm"
	// conversation holds metadata thread_id, session_id and
	// conversation_id, in the order they win.
	conversation [len(conversationKeys)]string
	lsParams     [len(lsParams)]pcommon.Value
	invocation   pcommon.Map // extra.invocation_params, decoded; zero when absent
}

// conversationKeys are the metadata keys that make a run part of a thread,
// in the order they win (LangSmith's threads documentation).
var conversationKeys = [...]string{"thread_id", "session_id", "conversation_id"}

// lsParams are the request parameters LangChain also records in metadata
// (ls_temperature, ...), used when extra.invocation_params lacks them.
var lsParams = [...]struct{ meta, param string }{
	{"ls_temperature", "temperature"},
	{"ls_max_tokens", "max_tokens"},
	{"ls_stop", "stop"},
}

// note remembers metadata member key, just decoded into v.
func (h *hints) note(key []byte, v pcommon.Value) {
	str := func() string {
		if v.Type() == pcommon.ValueTypeStr {
			return v.Str()
		}
		return ""
	}
	switch string(key) {
	case "OTEL_SPAN_ID":
		h.otelSpanID = str()
	case "ls_model_name":
		h.model = str()
	case "ls_provider":
		h.provider = str()
	case "ls_model_type":
		h.modelType = str()
	case "thread_id":
		h.conversation[0] = v.AsString()
	case "session_id":
		h.conversation[1] = v.AsString()
	case "conversation_id":
		h.conversation[2] = v.AsString()
	default:
		for i, p := range lsParams {
			if p.meta == string(key) {
				// A copy: later members may move the map's storage.
				h.lsParams[i] = pcommon.NewValueEmpty()
				v.CopyTo(h.lsParams[i])
			}
		}
	}
}

// conversationID is the first of the conversation keys that is set.
func (h *hints) conversationID() string {
	for _, v := range h.conversation {
		if v != "" {
			return v
		}
	}
	return ""
}

// putMetadata flattens the metadata object into langsmith.metadata.<key>,
// keeping JSON types (nested objects become maps).
func (c *converter) putMetadata(attrs pcommon.Map, raw []byte, h *hints) {
	c.members(raw, attrs, attrMetadataPrefix, func(key []byte, dest pcommon.Value) {
		h.note(key, dest)
	})
}

// putExtra keeps every member of extra as langsmith.extra.<key> with its
// JSON type, except metadata: it is the run's metadata, read from extra
// only when the answer has no metadata member (v1 kept it there).
func (c *converter) putExtra(attrs pcommon.Map, raw []byte, metadataHere bool, h *hints) {
	var meta []byte
	c.membersExcept(raw, attrs, attrExtraPrefix, "metadata", func(val []byte) {
		if metadataHere && len(val) > 0 && val[0] == '{' {
			meta = val
		}
	}, func(key []byte, dest pcommon.Value) {
		if string(key) == "invocation_params" && dest.Type() == pcommon.ValueTypeMap {
			h.invocation = dest.Map()
		}
	})
	if meta != nil {
		c.putMetadata(attrs, meta, h)
	}
}

// members puts the members of a JSON object into dest under prefix + key,
// with their JSON types, and calls each (when set) for every member; a
// value that is not an object is kept whole under prefix without its
// trailing dot. Keys are read by the scanner (no string per key when the
// prefixed name is cached), values by jsoniter.
func (c *converter) members(raw []byte, dest pcommon.Map, prefix string, each func(key []byte, v pcommon.Value)) {
	c.membersExcept(raw, dest, prefix, "", nil, each)
}

// membersExcept is members with one member (skip) handed raw to skipped
// instead.
func (c *converter) membersExcept(raw []byte, dest pcommon.Map, prefix, skip string, skipped func([]byte), each func([]byte, pcommon.Value)) {
	sc := scanner{b: raw}
	if sc.next() != '{' {
		it := c.reset(raw)
		convert.ReadValue(it, dest.PutEmpty(nonEmpty(strings.TrimSuffix(prefix, "."), "value")))
		if convert.Failed(it) {
			c.warn()
		}
		return
	}
	failed := false
	sc.object(func(key []byte) bool {
		val := sc.skip()
		if sc.err != nil {
			return false
		}
		if skip != "" && string(key) == skip {
			skipped(val)
			return true
		}
		v := dest.PutEmpty(c.keys.getBytes(prefix, key))
		if !c.putValue(v, val) {
			failed = true
		}
		if each != nil {
			each(key, v)
		}
		return true
	})
	if failed || sc.err != nil {
		c.warn()
	}
}

// putValue decodes one JSON value into dest with convert.ReadValue's
// typing; strings (most metadata values) are taken from the body without
// a copy. It reports false for malformed JSON.
func (c *converter) putValue(dest pcommon.Value, raw []byte) bool {
	switch {
	case len(raw) > 1 && raw[0] == '"' && raw[len(raw)-1] == '"':
		if s := unescape(raw[1 : len(raw)-1]); utf8.ValidString(s) {
			dest.SetStr(s)
			return true
		}
	case string(raw) == "true" || string(raw) == "false":
		dest.SetBool(raw[0] == 't')
		return true
	case string(raw) == "null":
		return true
	case isInteger(raw):
		if n, err := strconv.ParseInt(bodyString(raw), 10, 64); err == nil {
			dest.SetInt(n)
			return true
		}
	}
	it := c.reset(raw)
	convert.ReadValue(it, dest)
	return !convert.Failed(it)
}

// isInteger reports a JSON integer literal: -?(0|[1-9][0-9]*).
func isInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 || len(b) > 1 && b[0] == '0' {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// putSemantics sets the GenAI attributes the run's type, metadata and
// invocation parameters tell.
func (c *converter) putSemantics(attrs pcommon.Map, r *run, h *hints) {
	switch h.typ {
	case runLLM:
		op := genai.OpChat
		if h.modelType == "llm" {
			op = genai.OpTextCompletion
		}
		attrs.PutStr(genai.OperationName, op)
	case runEmbedding:
		attrs.PutStr(genai.OperationName, genai.OpEmbeddings)
	case runRetriever:
		attrs.PutStr(genai.OperationName, genai.OpRetrieval)
	case runTool:
		attrs.PutStr(genai.OperationName, genai.OpExecuteTool)
		if r.Name != "" {
			attrs.PutStr(genai.ToolName, r.Name)
		}
	}
	if model := h.requestModel(); model != "" {
		attrs.PutStr(genai.RequestModel, model)
	}
	if h.provider != "" {
		attrs.PutStr(genai.ProviderName, genai.NormalizeProvider(h.provider))
	}
	h.putRequestParams(attrs)
	switch {
	case r.ThreadID != "":
		attrs.PutStr(genai.ConversationID, r.ThreadID)
	case h.conversationID() != "":
		attrs.PutStr(genai.ConversationID, h.conversationID())
	}
	if len(r.Tags) > 0 {
		// LangSmith's exporter and OTLP ingest use one comma-joined string.
		attrs.PutStr(attrTags, strings.Join(r.Tags, ","))
	}
	if r.ReferenceExampleID != "" {
		attrs.PutStr(attrReferenceExampleID, r.ReferenceExampleID)
	}
	if r.ReferenceDatasetID != "" {
		attrs.PutStr(attrReferenceDatasetID, r.ReferenceDatasetID)
	}
	if r.FirstTokenTime != "" && (h.typ == runLLM) {
		c.putFirstToken(attrs, r)
	}
}

// putFirstToken sets gen_ai.response.time_to_first_chunk: seconds from the
// run's start to its first token.
func (c *converter) putFirstToken(attrs pcommon.Map, r *run) {
	first, err := convert.ParseTime(r.FirstTokenTime)
	start, err2 := convert.ParseTime(r.StartTime)
	if err != nil || err2 != nil {
		c.warn()
		return
	}
	if d := first.Sub(start); d >= 0 {
		attrs.PutDouble(genai.ResponseTimeToFirstChunk, d.Seconds())
	}
}

// requestModel is metadata ls_model_name, else the model in the invocation
// parameters (model, model_name, model_id).
func (h *hints) requestModel() string {
	if h.model != "" {
		return h.model
	}
	if h.invocation == (pcommon.Map{}) {
		return ""
	}
	for _, k := range [...]string{"model", "model_name", "model_id"} {
		if v, ok := h.invocation.Get(k); ok && v.Type() == pcommon.ValueTypeStr && v.Str() != "" {
			return v.Str()
		}
	}
	return ""
}

// requestParams are the invocation parameters copied to gen_ai.request.*;
// slot groups the spellings of one attribute (the first present wins).
var requestParams = [...]struct {
	param string
	attr  string
	kind  pcommon.ValueType
	slot  int
}{
	{"temperature", genai.RequestTemperature, pcommon.ValueTypeDouble, 0},
	{"top_p", genai.RequestTopP, pcommon.ValueTypeDouble, 1},
	{"top_k", genai.RequestTopK, pcommon.ValueTypeInt, 2},
	{"max_tokens", genai.RequestMaxTokens, pcommon.ValueTypeInt, 3},
	{"max_completion_tokens", genai.RequestMaxTokens, pcommon.ValueTypeInt, 3},
	{"max_output_tokens", genai.RequestMaxTokens, pcommon.ValueTypeInt, 3},
	{"max_tokens_to_sample", genai.RequestMaxTokens, pcommon.ValueTypeInt, 3},
	{"frequency_penalty", genai.RequestFrequencyPenalty, pcommon.ValueTypeDouble, 4},
	{"presence_penalty", genai.RequestPresencePenalty, pcommon.ValueTypeDouble, 5},
	{"seed", genai.RequestSeed, pcommon.ValueTypeInt, 6},
	{"stop", genai.RequestStopSequences, pcommon.ValueTypeSlice, 7},
	{"stop_sequences", genai.RequestStopSequences, pcommon.ValueTypeSlice, 7},
	{"stream", genai.RequestStream, pcommon.ValueTypeBool, 8},
	{"streaming", genai.RequestStream, pcommon.ValueTypeBool, 8},
	{"n", genai.RequestChoiceCount, pcommon.ValueTypeInt, 9},
}

const paramSlots = 10

// putRequestParams copies the request parameters of extra.invocation_params
// (else the ls_* metadata) to gen_ai.request.*, and the tools offered to the
// model to gen_ai.tool.definitions.
func (h *hints) putRequestParams(attrs pcommon.Map) {
	var done [paramSlots]bool
	if h.invocation != (pcommon.Map{}) {
		for _, p := range requestParams {
			if done[p.slot] {
				continue
			}
			if v, ok := h.invocation.Get(p.param); ok {
				done[p.slot] = putParam(attrs, p.attr, p.kind, v)
			}
		}
		if v, ok := h.invocation.Get("tools"); ok && v.Type() == pcommon.ValueTypeSlice && v.Slice().Len() > 0 {
			attrs.PutStr(genai.ToolDefinitions, jsonOf(v))
		}
	}
	for i, p := range lsParams {
		v := h.lsParams[i]
		if v == (pcommon.Value{}) {
			continue
		}
		for _, rp := range requestParams {
			if rp.param == p.param && !done[rp.slot] {
				done[rp.slot] = putParam(attrs, rp.attr, rp.kind, v)
			}
		}
	}
}

// putParam stores v under attr as kind when its JSON type fits; it reports
// whether it did.
func putParam(attrs pcommon.Map, attr string, kind pcommon.ValueType, v pcommon.Value) bool {
	switch kind {
	case pcommon.ValueTypeDouble:
		switch v.Type() {
		case pcommon.ValueTypeDouble:
			attrs.PutDouble(attr, v.Double())
		case pcommon.ValueTypeInt:
			attrs.PutDouble(attr, float64(v.Int()))
		default:
			return false
		}
	case pcommon.ValueTypeInt:
		switch {
		case v.Type() == pcommon.ValueTypeInt:
			attrs.PutInt(attr, v.Int())
		case v.Type() == pcommon.ValueTypeDouble && v.Double() == math.Trunc(v.Double()) && math.Abs(v.Double()) < 1<<53:
			attrs.PutInt(attr, int64(v.Double()))
		default:
			return false
		}
	case pcommon.ValueTypeBool:
		if v.Type() != pcommon.ValueTypeBool {
			return false
		}
		attrs.PutBool(attr, v.Bool())
	case pcommon.ValueTypeSlice:
		switch v.Type() {
		case pcommon.ValueTypeStr:
			attrs.PutEmptySlice(attr).AppendEmpty().SetStr(v.Str())
		case pcommon.ValueTypeSlice:
			if v.Slice().Len() == 0 {
				return false
			}
			v.Slice().CopyTo(attrs.PutEmptySlice(attr))
		default:
			return false
		}
	}
	return true
}

// putUsage maps tokens and costs. On LLM and embedding runs the counts are
// the request's usage: gen_ai.usage.* (Int), with the cache and reasoning
// details under their GenAI names. Other runs carry the sum of their
// descendants' tokens in LangSmith's UI sense; those stay
// langsmith.*_tokens so that backends adding up gen_ai.usage do not count
// them twice. Costs are always langsmith.*_cost (Double, USD), details
// langsmith.*_details.<category>.
func (c *converter) putUsage(attrs pcommon.Map, r *run, own bool) {
	hasTokens := r.PromptTokens.V != 0 || r.CompletionTokens.V != 0 || r.TotalTokens.V != 0
	if hasTokens {
		in, out, total := genai.UsageInputTokens, genai.UsageOutputTokens, genai.UsageTotalTokens
		if !own {
			in, out, total = attrPromptTokens, attrCompletionTokens, attrTotalTokens
		}
		putCount(attrs, in, r.PromptTokens)
		putCount(attrs, out, r.CompletionTokens)
		putCount(attrs, total, r.TotalTokens)
	}
	for _, d := range r.PromptTokenDetails {
		attrs.PutInt(c.keys.get(attrPromptTokenDetail, d.Key), int64(d.V))
		if !own {
			continue
		}
		switch d.Key {
		case "cache_read", "cached", "cache_read_input_tokens":
			attrs.PutInt(genai.UsageCacheReadInputTokens, int64(d.V))
		case "cache_write", "cache_creation", "ephemeral_5m_input_tokens":
			attrs.PutInt(genai.UsageCacheWriteInputTokens, int64(d.V))
		}
	}
	for _, d := range r.CompletionTokenDetails {
		attrs.PutInt(c.keys.get(attrOutputTokenDetail, d.Key), int64(d.V))
		if own && d.Key == "reasoning" {
			attrs.PutInt(genai.UsageReasoningOutputTokens, int64(d.V))
		}
	}
	putCost(attrs, attrPromptCost, r.PromptCost)
	putCost(attrs, attrCompletionCost, r.CompletionCost)
	putCost(attrs, attrTotalCost, r.TotalCost)
	for _, d := range r.PromptCostDetails {
		attrs.PutDouble(c.keys.get(attrPromptCostDetail, d.Key), d.V)
	}
	for _, d := range r.CompletionCostDetails {
		attrs.PutDouble(c.keys.get(attrOutputCostDetail, d.Key), d.V)
	}
}

func putCount(attrs pcommon.Map, key string, n number) {
	if n.Set {
		attrs.PutInt(key, int64(n.V))
	}
}

func putCost(attrs pcommon.Map, key string, n number) {
	if n.Set {
		attrs.PutDouble(key, n.V)
	}
}

// parseError reads the exception type and message from LangSmith's error
// text. The SDKs store a Python traceback ("Traceback (most recent call
// last):" ... frames ... "module.Type: message"), LangChain's tracer
// repr(e) followed by the traceback; the type and message are the lines
// after the last indented frame line. A text that is no traceback is the
// message as it is, without a type.
func parseError(text string) (typ, msg string) {
	trimmed := strings.TrimSpace(text)
	i := strings.LastIndex(trimmed, "Traceback (most recent call last):")
	if i < 0 {
		return "", trimmed
	}
	tail := trimmed[i:]
	lines := strings.Split(tail, "\n")
	last := -1
	for k := 1; k < len(lines); k++ {
		if strings.HasPrefix(lines[k], " ") || strings.HasPrefix(lines[k], "\t") {
			last = k
		}
	}
	exc := strings.TrimSpace(strings.Join(lines[last+1:], "\n"))
	if last < 0 || exc == "" {
		return "", trimmed
	}
	name, rest, found := strings.Cut(exc, ":")
	if !isDottedName(name) {
		return "", exc
	}
	if !found {
		return name, name
	}
	return name, strings.TrimSpace(rest)
}

// isDottedName reports whether s is a Python (qualified) class name.
func isDottedName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r != '.' && r != '_' && (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') {
			return false
		}
	}
	return s[0] != '.' && s[len(s)-1] != '.'
}

// jsonOf renders a decoded value as compact JSON text, object keys sorted
// (so the same value is always the same text).
func jsonOf(v pcommon.Value) string {
	b, err := json.Marshal(v.AsRaw())
	if err != nil {
		return v.AsString()
	}
	return string(b)
}
