package langsmith

import (
	"encoding/json"
	"strings"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// The fast path for chat messages. Decoding inputs and outputs into Go
// maps for genai.ChatMessages took a third of the conversion's time; the
// shapes LangSmith holds for LLM runs are few (LangChain's serialised
// messages and LLMResult, OpenAI requests and responses), so they are read
// straight from the JSON. Anything else (content parts, legacy
// function_call, unexpected types) makes the reader unsure, and the blob
// goes through genai.ChatMessages on the decoded value, which gives the
// same result for the shapes read here (TestFastChatMatchesGenAI).

// fastReader reads messages with the scanner (keys compared without
// allocating); unsure is set once it meets something it does not handle.
type fastReader struct {
	sc     *scanner
	unsure bool
}

func (f *fastReader) giveUp() bool {
	f.unsure = true
	return false
}

// fastInputs reads {"messages": [...]} (or [[...]]) and {"prompts": [...]}.
// ok is false when the inputs hold no messages; sure is false when the fast
// path cannot tell.
func (c *converter) fastInputs(raw []byte) (msgs []genai.Message, ok, sure bool) {
	f := &fastReader{sc: &scanner{b: raw}}
	if f.sc.next() != '{' {
		return nil, false, false
	}
	var prompts []genai.Message
	hasMessages, hasPrompts := false, false
	f.sc.object(func(key []byte) bool {
		switch string(key) {
		case "messages":
			hasMessages = true
			msgs = f.messageList(true)
		case "prompts":
			hasPrompts = true
			prompts = f.prompts()
		case "role", "type", "kwargs", "lc", "content", "tool_calls", "parts", "choices", "function_call":
			// One message, or a response: genai reads those.
			return f.giveUp()
		default:
			f.sc.skip()
		}
		return !f.unsure && f.sc.err == nil
	})
	if f.unsure || f.sc.err != nil {
		return nil, false, false
	}
	switch {
	case hasMessages:
		return msgs, len(msgs) > 0, true
	case hasPrompts:
		return prompts, len(prompts) > 0, true
	}
	return nil, false, true
}

// messageList reads an array of messages; a single nested array (a
// LangChain batch of one) is unwrapped once when unwrap is set. An element
// that is no message makes the list no messages (nil), as
// genai.ChatMessages has it.
func (f *fastReader) messageList(unwrap bool) []genai.Message {
	if f.sc.next() != '[' {
		f.giveUp()
		return nil
	}
	var msgs []genai.Message
	nested, n, bad := false, 0, false
	f.sc.array(func() bool {
		n++
		switch f.sc.next() {
		case '[':
			if n > 1 || nested || !unwrap {
				return f.giveUp()
			}
			nested = true
			inner := f.messageList(false)
			if inner == nil {
				bad = true
			}
			msgs = inner
		case '{':
			if nested {
				return f.giveUp()
			}
			m, ok := f.message(nil)
			if !ok {
				bad = true
			}
			msgs = append(msgs, m)
		default:
			return f.giveUp()
		}
		return !f.unsure && f.sc.err == nil
	})
	if bad || f.unsure {
		return nil
	}
	return msgs
}

// prompts reads a completion model's prompts: user messages.
func (f *fastReader) prompts() []genai.Message {
	var out []genai.Message
	if f.sc.next() != '[' {
		f.sc.skip()
		return nil
	}
	f.sc.array(func() bool {
		if f.sc.next() != '"' {
			f.sc.skip()
			return true
		}
		out = append(out, genai.Message{Role: "user", Parts: []genai.Part{{Type: genai.PartText, Content: f.sc.strValue()}}})
		return true
	})
	return out
}

// respMeta collects what a message's response_metadata and
// usage_metadata say (LangChain's AIMessage). Of two spellings, the first
// listed wins whatever their order in the JSON (model_name over model,
// finish_reason over stop_reason), as in outputMessages.
type respMeta struct {
	model, id, finish string
	usage             usage
}

// pair holds the two spellings of one response detail.
type pair struct{ first, second string }

func (p pair) value() string { return firstNonEmpty(p.first, p.second) }

// message reads one message object: an OpenAI-style dict or LangChain's
// serialised {"lc", "type", "id", "kwargs"}; ok is false for an object
// that is no message. meta, when set, receives the response details.
func (f *fastReader) message(meta *respMeta) (genai.Message, bool) {
	var mf msgFields
	f.sc.object(func(key []byte) bool { return f.messageField(&mf, key, meta) })
	if f.unsure || f.sc.err != nil {
		return mf.m, false
	}
	if mf.isLC && mf.kwargs != nil {
		if !mf.kwOK && mf.kwargs.Role == "" && mf.lcClass != "" {
			// kwargs without a role or type: LangChain's class names the
			// role, a case left to genai.
			return genai.Message{}, f.giveUp()
		}
		return *mf.kwargs, mf.kwOK
	}
	return mf.build()
}

// msgFields are the members of a message object that genai reads.
type msgFields struct {
	m                          genai.Message // Name and FinishReason
	role, typ, toolCallID      string
	content, lcClass           string
	hasContent, hasCalls, isLC bool
	contentIsStr               bool
	calls                      []genai.Part
	kwargs                     *genai.Message // a serialised message's kwargs
	kwOK                       bool
}

// messageField reads one member of a message object.
func (f *fastReader) messageField(mf *msgFields, key []byte, meta *respMeta) bool {
	switch string(key) {
	case "role":
		mf.role = f.str()
	case "type":
		mf.typ = f.str()
	case "name":
		mf.m.Name = f.str()
	case "finish_reason":
		mf.m.FinishReason = f.str()
	case "tool_call_id":
		mf.toolCallID = f.str()
	case "content":
		mf.hasContent = true
		switch f.sc.next() {
		case '"':
			mf.content, mf.contentIsStr = f.sc.strValue(), true
		case 'n':
			f.sc.literal("null")
		default:
			return f.giveUp()
		}
	case "tool_calls":
		mf.hasCalls = true
		mf.calls = f.toolCalls()
	case "lc":
		mf.isLC = f.sc.next() != 'n'
		f.sc.skip()
	case "id":
		mf.lcClass = f.lastString()
	case "kwargs":
		if f.sc.next() != '{' {
			f.sc.skip()
			return true
		}
		km, ok := f.message(meta)
		mf.kwargs, mf.kwOK = &km, ok
	case "response_metadata":
		f.responseMetadata(meta)
	case "usage_metadata":
		f.usageMetadata(meta)
	case "function_call", "parts", "messages", "choices":
		return f.giveUp()
	default:
		f.sc.skip()
	}
	return !f.unsure && f.sc.err == nil
}

// build makes the message genai.ChatMessages makes of these members.
func (mf *msgFields) build() (genai.Message, bool) {
	m, role := mf.m, mf.role
	if role == "" {
		if role = langchainRole(mf.typ); role == "" {
			return m, false
		}
	}
	m.Role = role // also on a non-message: a caller tells "no role" from "no content"
	if !mf.hasContent && !mf.hasCalls {
		return m, false
	}
	if role == "tool" || role == "function" {
		var resp any
		if mf.contentIsStr {
			resp = mf.content
		}
		m.Parts = []genai.Part{{Type: genai.PartToolCallResponse, ID: mf.toolCallID, Response: resp}}
		return m, true
	}
	if mf.content != "" {
		m.Parts = []genai.Part{{Type: genai.PartText, Content: mf.content}}
	}
	m.Parts = append(m.Parts, mf.calls...)
	if m.Parts == nil {
		m.Parts = []genai.Part{}
	}
	return m, true
}

// langchainRole maps LangChain message types to roles (genai's table).
func langchainRole(t string) string {
	switch t {
	case "human", "user":
		return "user"
	case "ai", "assistant":
		return "assistant"
	case "system":
		return "system"
	case "tool", "function":
		return "tool"
	}
	return ""
}

// toolCalls reads OpenAI tool_calls [{id, type, function: {name,
// arguments}}] and LangChain's [{name, args, id, type}].
func (f *fastReader) toolCalls() []genai.Part {
	if f.sc.next() != '[' {
		f.giveUp()
		return nil
	}
	var out []genai.Part
	f.sc.array(func() bool {
		if f.sc.next() != '{' {
			return f.giveUp()
		}
		if p, ok := f.toolCall(); ok {
			out = append(out, p)
		}
		return !f.unsure && f.sc.err == nil
	})
	return out
}

// toolCall reads one call as genai's openAIToolCall does; false for an
// object that is no call (genai skips it).
func (f *fastReader) toolCall() (genai.Part, bool) {
	var p genai.Part
	var fnName, name string
	var fnArgs, args, arguments any
	hasFn, hasName := false, false
	f.sc.object(func(key []byte) bool {
		switch string(key) {
		case "id":
			p.ID = f.str()
		case "name":
			hasName = f.sc.next() == '"'
			name = f.str()
		case "args":
			args = f.value()
		case "arguments":
			arguments = f.value()
		case "function":
			hasFn = true
			if f.sc.next() != '{' {
				return f.giveUp()
			}
			f.sc.object(func(key []byte) bool {
				switch string(key) {
				case "name":
					fnName = f.str()
				case "arguments":
					fnArgs = f.value()
				default:
					f.sc.skip()
				}
				return !f.unsure && f.sc.err == nil
			})
		default:
			f.sc.skip()
		}
		return !f.unsure && f.sc.err == nil
	})
	switch {
	case hasFn:
		p.Type, p.Name, p.Arguments = genai.PartToolCall, fnName, decodeArguments(fnArgs)
	case hasName:
		if args == nil {
			args = decodeArguments(arguments)
		}
		p.Type, p.Name, p.Arguments = genai.PartToolCall, name, args
	default:
		return p, false
	}
	return p, true
}

// value decodes the next value as genai's callers have it (the decoder of
// converter.decode).
func (f *fastReader) value() any {
	raw := f.sc.skip()
	var v any
	if err := jsonAPI.Unmarshal(raw, &v); err != nil {
		f.giveUp()
	}
	return v
}

// decodeArguments decodes a JSON-string argument value into an object or
// array when it is valid JSON of that kind (numbers as json.Number), as
// genai does; otherwise it returns v as is.
func decodeArguments(v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return v
	}
	dec := json.NewDecoder(strings.NewReader(t))
	dec.UseNumber()
	var d any
	if err := dec.Decode(&d); err != nil || dec.More() {
		return v
	}
	return d
}

// str reads a string; null is ""; another type makes the reader unsure.
func (f *fastReader) str() string {
	switch f.sc.next() {
	case '"':
		return f.sc.strValue()
	case 'n':
		f.sc.literal("null")
		return ""
	}
	f.giveUp()
	f.sc.skip()
	return ""
}

// lastString reads the last string of an array (LangChain's class path),
// "" for anything else.
func (f *fastReader) lastString() string {
	if f.sc.next() != '[' {
		f.sc.skip()
		return ""
	}
	last := ""
	f.sc.array(func() bool {
		if f.sc.next() == '"' {
			last = f.sc.strValue()
		} else {
			f.sc.skip()
		}
		return true
	})
	return last
}

func (f *fastReader) responseMetadata(meta *respMeta) {
	if meta == nil || f.sc.next() != '{' {
		f.sc.skip()
		return
	}
	var model, finish pair
	var id string
	f.sc.object(func(key []byte) bool {
		switch string(key) {
		case "model_name":
			model.first = f.optStr()
		case "model":
			model.second = f.optStr()
		case "id":
			id = f.optStr()
		case "finish_reason":
			finish.first = f.optStr()
		case "stop_reason":
			finish.second = f.optStr()
		default:
			f.sc.skip()
		}
		return f.sc.err == nil
	})
	meta.model = firstNonEmpty(meta.model, model.value())
	meta.id = firstNonEmpty(meta.id, id)
	meta.finish = firstNonEmpty(meta.finish, finish.value())
}

func (f *fastReader) usageMetadata(meta *respMeta) {
	if meta == nil || meta.usage.set {
		f.sc.skip()
		return
	}
	meta.usage = f.usage()
}

// usage reads a usage object as usageOf does (numbers only; input_tokens
// over prompt_tokens, output_tokens over completion_tokens; the total
// defaults to their sum) without decoding it into a map.
func (f *fastReader) usage() usage {
	if f.sc.next() != '{' {
		f.sc.skip()
		return usage{}
	}
	var in, prompt, out, completion, total number
	f.sc.object(func(key []byte) bool {
		var dst *number
		switch string(key) {
		case "input_tokens":
			dst = &in
		case "prompt_tokens":
			dst = &prompt
		case "output_tokens":
			dst = &out
		case "completion_tokens":
			dst = &completion
		case "total_tokens":
			dst = &total
		}
		c := f.sc.next()
		if dst == nil || c != '-' && (c < '0' || c > '9') {
			f.sc.skip()
			return f.sc.err == nil
		}
		*dst, _ = f.sc.number()
		return f.sc.err == nil
	})
	if !in.Set {
		in = prompt
	}
	if !out.Set {
		out = completion
	}
	if !in.Set && !out.Set {
		return usage{}
	}
	if !total.Set {
		total = number{V: float64(int64(in.V) + int64(out.V)), Set: true}
	}
	return usage{in: int64(in.V), out: int64(out.V), total: int64(total.V), set: true}
}

// optStr reads a string, "" for anything else (without giving up).
func (f *fastReader) optStr() string {
	if f.sc.next() == '"' {
		return f.sc.strValue()
	}
	f.sc.skip()
	return ""
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// fastOutputs reads LangChain's LLMResult {"generations": [[...]],
// "llm_output": {...}}, an OpenAI response {"choices": [...], "model",
// "id", "usage"} and {"messages": [...]}; sure is false when the fast path
// cannot tell.
func (c *converter) fastOutputs(raw []byte, llm bool) (response, bool) {
	f := &fastReader{sc: &scanner{b: raw}}
	if f.sc.next() != '{' {
		return response{}, false
	}
	var o outParts
	f.sc.object(func(key []byte) bool {
		o.has.note(key)
		switch string(key) {
		case "generations":
			o.gens = f.generations(&o.meta)
		case "llm_output":
			f.llmOutput(&o.llmOut)
		case "choices":
			o.choices = f.choices()
		case "messages":
			o.msgs = f.messageList(true)
		case "model":
			o.model = f.optStr()
		case "id":
			o.id = f.optStr()
		case "usage":
			o.usage = f.usage()
		case "usage_metadata":
			o.usageMeta = f.usage()
		default:
			f.sc.skip()
		}
		return !f.unsure && f.sc.err == nil
	})
	if f.unsure || f.sc.err != nil {
		return response{}, false
	}
	return o.response(llm)
}

// outParts are what fastOutputs read of the top level of outputs.
type outParts struct {
	has                 outKeys
	gens, choices, msgs []genai.Message
	meta, llmOut        respMeta
	model, id           string
	usage, usageMeta    usage
}

// response assembles what outputMessagesOf makes of these parts; false
// for the shapes left to it.
func (o *outParts) response(llm bool) (response, bool) {
	var resp response
	switch has := o.has; {
	case has.generations:
		resp.msgs = o.gens
		resp.model = firstNonEmpty(o.meta.model, o.llmOut.model)
		resp.id = firstNonEmpty(o.meta.id, o.llmOut.id)
		resp.usage = o.meta.usage
		if !resp.usage.set {
			resp.usage = o.llmOut.usage
		}
	case has.messages && !has.choices:
		resp.msgs, resp.usage = o.msgs, o.usageMeta
	case has.choices && !has.messages:
		resp.msgs = o.choices
		if llm {
			resp.model, resp.id, resp.usage = o.model, o.id, o.usage
		}
		if !resp.usage.set {
			resp.usage = o.usageMeta
		}
	case has.messages, has.message, llm && has.output:
		// Both lists, one message, {"output": ...}: genai reads those.
		return resp, false
	default:
		// genai looks at the top level only: no messages here.
		resp.usage = o.usageMeta
	}
	return resp, true
}

// outKeys are the top-level members of outputs that decide how genai
// reads them.
type outKeys struct {
	generations, choices, messages, output bool
	message                                bool // role, type, kwargs or lc: maybe one message
}

func (k *outKeys) note(key []byte) {
	switch string(key) {
	case "generations":
		k.generations = true
	case "choices":
		k.choices = true
	case "messages":
		k.messages = true
	case "output":
		k.output = true
	case "role", "type", "kwargs", "lc":
		k.message = true
	}
}

// generations reads [[{text, message, generation_info}]].
func (f *fastReader) generations(meta *respMeta) []genai.Message {
	if f.sc.next() != '[' {
		f.giveUp()
		return nil
	}
	var out []genai.Message
	f.sc.array(func() bool {
		switch f.sc.next() {
		case '[':
			f.sc.array(func() bool {
				if f.sc.next() != '{' {
					f.sc.skip()
					return true
				}
				out = f.generation(meta, out)
				return !f.unsure && f.sc.err == nil
			})
		case '{':
			out = f.generation(meta, out)
		default:
			f.sc.skip()
		}
		return !f.unsure && f.sc.err == nil
	})
	return out
}

// generation reads one generation: its message (else its text) and finish
// reason.
func (f *fastReader) generation(meta *respMeta, out []genai.Message) []genai.Message {
	var msg genai.Message
	var text, finish string
	hasMsg, msgOK, hasText := false, false, false
	var own respMeta
	f.sc.object(func(key []byte) bool {
		switch string(key) {
		case "message":
			if f.sc.next() != '{' {
				return f.giveUp()
			}
			hasMsg = true
			msg, msgOK = f.message(&own)
		case "text":
			hasText = f.sc.next() == '"'
			text = f.optStr()
		case "generation_info":
			if f.sc.next() != '{' {
				f.sc.skip()
				return true
			}
			f.sc.object(func(key []byte) bool {
				if string(key) == "finish_reason" {
					finish = f.optStr()
					return true
				}
				f.sc.skip()
				return true
			})
		default:
			f.sc.skip()
		}
		return !f.unsure && f.sc.err == nil
	})
	switch {
	case hasMsg && msgOK:
	case hasText:
		msg = genai.Message{Role: "assistant", Parts: []genai.Part{{Type: genai.PartText, Content: text}}}
	default:
		return out
	}
	if hasMsg {
		meta.model = firstNonEmpty(meta.model, own.model)
		meta.id = firstNonEmpty(meta.id, own.id)
		msg.FinishReason = firstNonEmpty(msg.FinishReason, own.finish)
		if !meta.usage.set {
			meta.usage = own.usage
		}
	}
	if finish != "" {
		msg.FinishReason = finish
	}
	return append(out, msg)
}

func (f *fastReader) llmOutput(lo *respMeta) {
	if f.sc.next() != '{' {
		f.sc.skip()
		return
	}
	var model pair
	defer func() { lo.model = firstNonEmpty(lo.model, model.value()) }()
	f.sc.object(func(key []byte) bool {
		switch string(key) {
		case "model_name":
			model.first = f.optStr()
		case "model":
			model.second = f.optStr()
		case "id":
			lo.id = firstNonEmpty(lo.id, f.optStr())
		case "token_usage":
			if !lo.usage.set {
				lo.usage = f.usage()
			} else {
				f.sc.skip()
			}
		default:
			f.sc.skip()
		}
		return !f.unsure && f.sc.err == nil
	})
}

// choices reads an OpenAI response's choices [{message | text,
// finish_reason}].
func (f *fastReader) choices() []genai.Message {
	if f.sc.next() != '[' {
		f.giveUp()
		return nil
	}
	var out []genai.Message
	bad := false
	f.sc.array(func() bool {
		if f.sc.next() != '{' {
			return f.giveUp()
		}
		var msg genai.Message
		var text, finish string
		hasMsg, msgOK, hasText := false, false, false
		f.sc.object(func(key []byte) bool {
			switch string(key) {
			case "message":
				switch f.sc.next() {
				case '{':
					hasMsg = true
					msg, msgOK = f.message(nil)
				case 'n':
					f.sc.literal("null")
				default:
					return f.giveUp()
				}
			case "text":
				hasText = f.sc.next() == '"'
				text = f.optStr()
			case "finish_reason":
				finish = f.optStr()
			default:
				f.sc.skip()
			}
			return !f.unsure && f.sc.err == nil
		})
		switch {
		case hasMsg && !msgOK, !hasMsg && !hasText:
			bad = true
		case !hasMsg:
			msg = genai.Message{Role: "assistant", Parts: []genai.Part{{Type: genai.PartText, Content: text}}}
		}
		if finish != "" {
			msg.FinishReason = finish
		}
		out = append(out, msg)
		return !f.unsure && f.sc.err == nil
	})
	if bad || len(out) == 0 {
		return nil
	}
	return out
}
