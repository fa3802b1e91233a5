package langsmithsim

import (
	"encoding/json"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// inputs renders a run's inputs the way its tracer records them. Inputs
// are always an object: LangSmith wraps a non-object value as {"input": v}.
func (v *runView) inputs(k int) any {
	s := &v.tr.Spans[k]
	switch s.Kind {
	case sim.KindLLM:
		msgs, _ := s.Input.([]any)
		switch v.style {
		case styleLangChain:
			lc := make([]any, len(msgs))
			for i, m := range msgs {
				lc[i] = lcMessage(m.(map[string]any), nil)
			}
			return map[string]any{"messages": []any{lc}}
		case styleWrapOpenAI:
			in := map[string]any{"messages": msgs, "model": s.Model}
			for attr, key := range map[string]string{sim.AttrRequestTemperature: "temperature", sim.AttrRequestMaxTokens: "max_tokens", sim.AttrStreaming: "stream"} {
				if val, ok := s.Attributes[attr]; ok {
					in[key] = val
				}
			}
			return in
		}
		return map[string]any{"messages": msgs}
	case sim.KindEmbedding:
		return map[string]any{"input": s.Input}
	}
	return object(s.Input, "input")
}

// outputs renders a run's outputs; a pending or failed run has none.
func (v *runView) outputs(k int) any {
	s := &v.tr.Spans[k]
	if !v.ended(k) || s.Output == nil {
		return nil
	}
	switch s.Kind {
	case sim.KindLLM:
		return v.llmOutputs(s)
	case sim.KindRetrieval:
		return retrieverOutputs(s)
	}
	return object(s.Output, "output")
}

// object wraps a value that is not an object.
func object(val any, key string) any {
	if val == nil {
		return nil
	}
	if m, ok := val.(map[string]any); ok {
		return m
	}
	return map[string]any{key: val}
}

func (v *runView) llmOutputs(s *sim.Span) any {
	out, _ := s.Output.([]any)
	if len(out) == 0 {
		return nil
	}
	reply := out[0].(map[string]any)
	finish := "stop"
	if fr, ok := s.Attributes[sim.AttrFinishReasons].([]any); ok && len(fr) > 0 {
		finish, _ = fr[0].(string)
	}
	model, _ := s.Attributes[sim.AttrResponseModel].(string)
	id, _ := s.Attributes[sim.AttrResponseID].(string)
	u := s.Usage
	switch v.style {
	case styleLangChain:
		meta := map[string]any{"finish_reason": finish, "model_name": model, "id": id}
		msg := lcMessage(reply, map[string]any{
			"response_metadata": meta,
			"usage_metadata":    map[string]any{"input_tokens": u.Input, "output_tokens": u.Output, "total_tokens": u.Total()},
			"id":                "run-" + uuidString(v.info.runs[v.indexOf(s)].uuid),
		})
		text, _ := reply["content"].(string)
		return map[string]any{
			"generations": []any{[]any{map[string]any{
				"text": text, "type": "ChatGeneration", "message": msg,
				"generation_info": map[string]any{"finish_reason": finish, "logprobs": nil},
			}}},
			"llm_output": map[string]any{"model_name": model, "id": id, "token_usage": map[string]any{
				"prompt_tokens": u.Input, "completion_tokens": u.Output, "total_tokens": u.Total(),
			}},
			"run":  nil,
			"type": "LLMResult",
		}
	case styleWrapOpenAI:
		return map[string]any{
			"id": id, "object": "chat.completion", "created": s.Start.Unix(), "model": model,
			"choices": []any{map[string]any{"index": 0, "message": reply, "finish_reason": finish, "logprobs": nil}},
			"usage":   map[string]any{"prompt_tokens": u.Input, "completion_tokens": u.Output, "total_tokens": u.Total()},
		}
	}
	return map[string]any{"messages": []any{reply}}
}

func (v *runView) indexOf(s *sim.Span) int {
	for k := range v.tr.Spans {
		if &v.tr.Spans[k] == s {
			return k
		}
	}
	return 0
}

// retrieverOutputs are LangChain Documents.
func retrieverOutputs(s *sim.Span) any {
	m, _ := s.Output.(map[string]any)
	docs, _ := m["documents"].([]any)
	out := make([]any, 0, len(docs))
	for _, d := range docs {
		doc, _ := d.(map[string]any)
		out = append(out, map[string]any{
			"page_content": doc["content"],
			"metadata":     map[string]any{"id": doc["id"], "score": doc["score"]},
			"type":         "Document",
		})
	}
	return map[string]any{"documents": out}
}

// lcClasses maps OpenAI roles to LangChain message classes and types.
var lcClasses = map[string][2]string{
	"system":    {"SystemMessage", "system"},
	"user":      {"HumanMessage", "human"},
	"assistant": {"AIMessage", "ai"},
	"tool":      {"ToolMessage", "tool"},
}

// lcMessage is a message as LangChain serialises it (dumpd): a constructor
// with the class path and the message's fields in kwargs; assistant tool
// calls become LangChain tool_calls {name, args, id, type}.
func lcMessage(m map[string]any, more map[string]any) map[string]any {
	role, _ := m["role"].(string)
	cls, ok := lcClasses[role]
	if !ok {
		cls = [2]string{"ChatMessage", "chat"}
	}
	kw := map[string]any{"content": m["content"], "type": cls[1]}
	if kw["content"] == nil {
		kw["content"] = ""
	}
	if id, ok := m["tool_call_id"]; ok {
		kw["tool_call_id"] = id
		kw["status"] = "success"
	}
	if calls, ok := m["tool_calls"].([]any); ok {
		lcCalls := make([]any, 0, len(calls))
		for _, c := range calls {
			call, _ := c.(map[string]any)
			fn, _ := call["function"].(map[string]any)
			var args any = map[string]any{}
			if a, ok := fn["arguments"].(string); ok {
				_ = json.Unmarshal([]byte(a), &args)
			}
			lcCalls = append(lcCalls, map[string]any{"name": fn["name"], "args": args, "id": call["id"], "type": "tool_call"})
		}
		kw["tool_calls"] = lcCalls
		kw["invalid_tool_calls"] = []any{}
		kw["additional_kwargs"] = map[string]any{"tool_calls": calls}
	}
	for key, val := range more {
		kw[key] = val
	}
	return map[string]any{"lc": 1, "type": "constructor", "id": []any{"langchain", "schema", "messages", cls[0]}, "kwargs": kw}
}
