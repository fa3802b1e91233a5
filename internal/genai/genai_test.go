package genai

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

func TestAttributeNames(t *testing.T) {
	want := map[string]string{
		ProviderName:                    "gen_ai.provider.name",
		OperationName:                   "gen_ai.operation.name",
		RequestModel:                    "gen_ai.request.model",
		ResponseModel:                   "gen_ai.response.model",
		ResponseID:                      "gen_ai.response.id",
		ResponseFinishReasons:           "gen_ai.response.finish_reasons",
		UsageInputTokens:                "gen_ai.usage.input_tokens",
		UsageOutputTokens:               "gen_ai.usage.output_tokens",
		UsageCacheReadInputTokens:       "gen_ai.usage.cache_read.input_tokens",
		UsageCacheWriteInputTokens:      "gen_ai.usage.cache_write.input_tokens",
		UsageReasoningOutputTokens:      "gen_ai.usage.reasoning.output_tokens",
		RequestTemperature:              "gen_ai.request.temperature",
		RequestTopP:                     "gen_ai.request.top_p",
		RequestTopK:                     "gen_ai.request.top_k",
		RequestMaxTokens:                "gen_ai.request.max_tokens",
		RequestFrequencyPenalty:         "gen_ai.request.frequency_penalty",
		RequestPresencePenalty:          "gen_ai.request.presence_penalty",
		RequestStopSequences:            "gen_ai.request.stop_sequences",
		RequestSeed:                     "gen_ai.request.seed",
		RequestStream:                   "gen_ai.request.stream",
		ConversationID:                  "gen_ai.conversation.id",
		InputMessages:                   "gen_ai.input.messages",
		OutputMessages:                  "gen_ai.output.messages",
		SystemInstructions:              "gen_ai.system_instructions",
		ToolDefinitions:                 "gen_ai.tool.definitions",
		ToolName:                        "gen_ai.tool.name",
		ToolCallID:                      "gen_ai.tool.call.id",
		ToolType:                        "gen_ai.tool.type",
		ToolCallArguments:               "gen_ai.tool.call.arguments",
		ToolCallResult:                  "gen_ai.tool.call.result",
		AgentName:                       "gen_ai.agent.name",
		AgentID:                         "gen_ai.agent.id",
		DataSourceID:                    "gen_ai.data_source.id",
		ErrorType:                       "error.type",
		UserID:                          "user.id",
		SystemDeprecated:                "gen_ai.system",
		UsagePromptTokensDeprecated:     "gen_ai.usage.prompt_tokens",
		UsageCompletionTokensDeprecated: "gen_ai.usage.completion_tokens",
		UsageTotalTokens:                "gen_ai.usage.total_tokens",
		PromptDeprecated:                "gen_ai.prompt",
		CompletionDeprecated:            "gen_ai.completion",
		ExceptionType:                   "exception.type",
		ExceptionMessage:                "exception.message",
		ExceptionStacktrace:             "exception.stacktrace",
	}
	for got, w := range want {
		if got != w {
			t.Errorf("constant = %q, want %q", got, w)
		}
	}
	ops := []string{OpChat, OpTextCompletion, OpEmbeddings, OpRetrieval, OpExecuteTool, OpCreateAgent, OpInvokeAgent, OpInvokeWorkflow, OpGenerateContent}
	if got := strings.Join(ops, ","); got != "chat,text_completion,embeddings,retrieval,execute_tool,create_agent,invoke_agent,invoke_workflow,generate_content" {
		t.Errorf("operation names = %s", got)
	}
	if ExceptionEventName != "exception" {
		t.Errorf("ExceptionEventName = %q", ExceptionEventName)
	}
}

func TestNormalizeProvider(t *testing.T) {
	tests := []struct{ in, want string }{
		{"OpenAI", "openai"},
		{"openai", "openai"},
		{" OpenAI ", "openai"},
		{"Anthropic", "anthropic"},
		{"azure", "azure.ai.openai"},
		{"Azure", "azure.ai.openai"},
		{"azure_openai", "azure.ai.openai"},
		{"Azure OpenAI", "azure.ai.openai"},
		{"az.ai.openai", "azure.ai.openai"},
		{"azure.ai.openai", "azure.ai.openai"},
		{"az.ai.inference", "azure.ai.inference"},
		{"azure_ai", "azure.ai.inference"},
		{"bedrock", "aws.bedrock"},
		{"aws_bedrock", "aws.bedrock"},
		{"AWS Bedrock", "aws.bedrock"},
		{"aws-bedrock", "aws.bedrock"},
		{"google", "gcp.gemini"},
		{"gemini", "gcp.gemini"},
		{"Gemini", "gcp.gemini"},
		{"google_ai", "gcp.gemini"},
		{"vertexai", "gcp.vertex_ai"},
		{"VertexAI", "gcp.vertex_ai"},
		{"vertex_ai", "gcp.vertex_ai"},
		{"google_vertexai", "gcp.vertex_ai"},
		{"Google Vertex AI", "gcp.vertex_ai"},
		{"anthropic_vertexai", "gcp.vertex_ai"},
		{"google_genai", "gcp.gen_ai"},
		{"gcp.gen_ai", "gcp.gen_ai"},
		{"Cohere", "cohere"},
		{"mistral", "mistral_ai"},
		{"mistralai", "mistral_ai"},
		{"Mistral AI", "mistral_ai"},
		{"Groq", "groq"},
		{"DeepSeek", "deepseek"},
		{"Perplexity", "perplexity"},
		{"xai", "x_ai"},
		{"x-ai", "x_ai"},
		{"grok", "x_ai"},
		{"watsonx", "ibm.watsonx.ai"},
		{"IBM", "ibm.watsonx.ai"},
		// Unknown values: lower-cased, otherwise unchanged.
		{"Ollama", "ollama"},
		{"together_ai", "together_ai"},
		{"Fireworks AI", "fireworks ai"},
		{"  ", "  "},
		{"Ünknown", "ünknown"},
		{strings.Repeat("A", 40), strings.Repeat("a", 40)},
		{"", ""},
	}
	for _, tt := range tests {
		if got := NormalizeProvider(tt.in); got != tt.want {
			t.Errorf("NormalizeProvider(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = NormalizeProvider("AWS Bedrock") }); n != 0 {
		t.Errorf("NormalizeProvider allocates %v times for a known alias", n)
	}
}

func TestMessagesJSON(t *testing.T) {
	tests := []struct {
		name string
		msgs []Message
		want string
	}{
		{name: "nil", msgs: nil, want: `[]`},
		{name: "text", msgs: []Message{{Role: "user", Parts: []Part{{Type: PartText, Content: "Weather in Paris?"}}}},
			want: `[{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"}]}]`},
		{name: "no parts", msgs: []Message{{Role: "assistant"}},
			want: `[{"role":"assistant","parts":[]}]`},
		{name: "empty text content kept", msgs: []Message{{Role: "user", Parts: []Part{{Type: PartText}}}},
			want: `[{"role":"user","parts":[{"type":"text","content":""}]}]`},
		{name: "tool round trip", msgs: []Message{
			{Role: "assistant", Parts: []Part{{Type: PartToolCall, ID: "call_VSPygqKTWdrhaFErNvMV18Yl", Name: "get_weather", Arguments: map[string]any{"location": "Paris"}}}},
			{Role: "tool", Parts: []Part{{Type: PartToolCallResponse, ID: "call_VSPygqKTWdrhaFErNvMV18Yl", Response: "rainy, 57°F"}}},
		}, want: `[{"role":"assistant","parts":[{"type":"tool_call","id":"call_VSPygqKTWdrhaFErNvMV18Yl","name":"get_weather","arguments":{"location":"Paris"}}]},` +
			`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_VSPygqKTWdrhaFErNvMV18Yl","response":"rainy, 57°F"}]}]`},
		{name: "tool call without id or arguments, nil response", msgs: []Message{
			{Role: "assistant", Parts: []Part{{Type: PartToolCall, Name: "now"}}},
			{Role: "tool", Parts: []Part{{Type: PartToolCallResponse}}},
		}, want: `[{"role":"assistant","parts":[{"type":"tool_call","name":"now"}]},{"role":"tool","parts":[{"type":"tool_call_response","response":null}]}]`},
		{name: "output with finish reason and name", msgs: []Message{{Role: "assistant", Name: "bot", FinishReason: "stop", Parts: []Part{{Type: PartText, Content: "It rains."}}}},
			want: `[{"role":"assistant","parts":[{"type":"text","content":"It rains."}],"name":"bot","finish_reason":"stop"}]`},
		{name: "structured response, raw message, numbers", msgs: []Message{{Role: "tool", Parts: []Part{
			{Type: PartToolCallResponse, ID: "1", Response: map[string]any{"temp": json.Number("57"), "ok": true, "tags": []any{"a<b"}}},
			{Type: PartToolCallResponse, ID: "2", Response: json.RawMessage(`{ "x" : [1, 2] }`)},
			{Type: PartToolCallResponse, ID: "3", Response: json.RawMessage(`{bad`)},
			{Type: PartToolCallResponse, ID: "4", Response: 2.5},
		}}}, want: `[{"role":"tool","parts":[{"type":"tool_call_response","id":"1","response":{"ok":true,"tags":["a<b"],"temp":57}},` +
			`{"type":"tool_call_response","id":"2","response":{"x":[1,2]}},` +
			`{"type":"tool_call_response","id":"3","response":"{bad"},` +
			`{"type":"tool_call_response","id":"4","response":2.5}]}]`},
		{name: "media and reasoning", msgs: []Message{{Role: "user", Parts: []Part{
			{Type: PartReasoning, Content: "hmm"},
			{Type: PartURI, Modality: "image", URI: "https://x/y.png"},
			{Type: PartBlob, Modality: "image", MimeType: "image/png", Content: "iVBORw0KGgo="},
			{Type: "refusal", Content: "no"},
		}}}, want: `[{"role":"user","parts":[{"type":"reasoning","content":"hmm"},{"type":"uri","modality":"image","uri":"https://x/y.png"},` +
			`{"type":"blob","modality":"image","mime_type":"image/png","content":"iVBORw0KGgo="},{"type":"refusal","content":"no"}]}]`},
		{name: "escaping", msgs: []Message{{Role: "user", Parts: []Part{{Type: PartText, Content: "q\"b\\s\n\t\r\x01<&>\u2028é\xff"}}}},
			want: `[{"role":"user","parts":[{"type":"text","content":"q\"b\\s\n\t\r\u0001<&>\u2028é\ufffd"}]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MessagesJSON(tt.msgs)
			if got != tt.want {
				t.Errorf("MessagesJSON =\n%s\nwant\n%s", got, tt.want)
			}
			if !json.Valid([]byte(got)) {
				t.Errorf("MessagesJSON produced invalid JSON: %s", got)
			}
		})
	}
}

func TestPartsJSON(t *testing.T) {
	got := PartsJSON([]Part{{Type: PartText, Content: "You are a language translator."}})
	if want := `[{"type":"text","content":"You are a language translator."}]`; got != want {
		t.Errorf("PartsJSON = %s, want %s", got, want)
	}
	if got := PartsJSON(nil); got != "[]" {
		t.Errorf("PartsJSON(nil) = %s", got)
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "q\"b\\", "\x00\x1f\x7f", "tab\tnl\n", "<html>&amp;", "é😀", "\u2028\u2029", "bad\xc3(", "\xff\xfe"} {
		var buf bytes.Buffer
		enc := json.NewEncoder(&buf)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(s); err != nil {
			t.Fatal(err)
		}
		want := strings.TrimSuffix(buf.String(), "\n")
		// encoding/json writes \b and \f as \u0008/\u000c, like appendString.
		if got := string(appendString(nil, s)); got != want {
			t.Errorf("appendString(%q) = %s, encoding/json = %s", s, got, want)
		}
	}
}

// The Langtrace docs sample (seeds/langtrace-post-traces.txt) carries chat
// messages as a JSON string inside the gen_ai.prompt event attribute.
const langtracePrompt = `[{"role": "system", "content": "You are a friendly customer support agent for Langtrace AI."}]`
const langtraceCompletion = `[{"role": "assistant", "content": "Hello! I'm doing well, thank you! How can I assist you today with Langtrace or any of your questions?"}]`

func decode(t *testing.T, s string) any {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("decode %s: %v", s, err)
	}
	return v
}

func TestChatMessages(t *testing.T) {
	tests := []struct {
		name     string
		in       any // a string is passed as is (ChatMessages decodes JSON strings)
		decoded  bool
		want     []Message
		wantJSON string
	}{
		{name: "langtrace prompt string", in: langtracePrompt,
			wantJSON: `[{"role":"system","parts":[{"type":"text","content":"You are a friendly customer support agent for Langtrace AI."}]}]`},
		{name: "langtrace completion decoded", in: langtraceCompletion, decoded: true,
			wantJSON: `[{"role":"assistant","parts":[{"type":"text","content":"Hello! I'm doing well, thank you! How can I assist you today with Langtrace or any of your questions?"}]}]`},
		{name: "openai tool conversation", decoded: true, in: `[
			{"role":"system","content":"Be brief."},
			{"role":"user","content":[{"type":"text","text":"Weather in Paris?"},{"type":"image_url","image_url":{"url":"https://x/p.png"}}]},
			{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"location\":\"Paris\",\"days\":2}"}}]},
			{"role":"tool","tool_call_id":"call_1","content":"rainy, 57°F"},
			{"role":"assistant","content":"It rains.","finish_reason":"stop"}]`,
			want: []Message{
				{Role: "system", Parts: []Part{{Type: PartText, Content: "Be brief."}}},
				{Role: "user", Parts: []Part{{Type: PartText, Content: "Weather in Paris?"}, {Type: PartURI, Modality: "image", URI: "https://x/p.png"}}},
				{Role: "assistant", Parts: []Part{{Type: PartToolCall, ID: "call_1", Name: "get_weather", Arguments: map[string]any{"location": "Paris", "days": json.Number("2")}}}},
				{Role: "tool", Parts: []Part{{Type: PartToolCallResponse, ID: "call_1", Response: "rainy, 57°F"}}},
				{Role: "assistant", FinishReason: "stop", Parts: []Part{{Type: PartText, Content: "It rains."}}},
			},
			wantJSON: `[{"role":"system","parts":[{"type":"text","content":"Be brief."}]},` +
				`{"role":"user","parts":[{"type":"text","content":"Weather in Paris?"},{"type":"uri","modality":"image","uri":"https://x/p.png"}]},` +
				`{"role":"assistant","parts":[{"type":"tool_call","id":"call_1","name":"get_weather","arguments":{"days":2,"location":"Paris"}}]},` +
				`{"role":"tool","parts":[{"type":"tool_call_response","id":"call_1","response":"rainy, 57°F"}]},` +
				`{"role":"assistant","parts":[{"type":"text","content":"It rains."}],"finish_reason":"stop"}]`},
		{name: "non-JSON tool arguments kept as string", decoded: true,
			in:       `[{"role":"assistant","content":"","tool_calls":[{"id":"c","function":{"name":"f","arguments":"not json"}}]}]`,
			wantJSON: `[{"role":"assistant","parts":[{"type":"tool_call","id":"c","name":"f","arguments":"not json"}]}]`},
		{name: "legacy function_call and function role", decoded: true,
			in:       `[{"role":"assistant","content":null,"function_call":{"name":"f","arguments":"{}"}},{"role":"function","name":"f","content":"42"}]`,
			wantJSON: `[{"role":"assistant","parts":[{"type":"tool_call","name":"f","arguments":{}}]},{"role":"function","parts":[{"type":"tool_call_response","response":"42"}],"name":"f"}]`},
		{name: "tool content parts joined", decoded: true,
			in:       `[{"role":"tool","tool_call_id":"t1","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}]}]`,
			wantJSON: `[{"role":"tool","parts":[{"type":"tool_call_response","id":"t1","response":"ab"}]}]`},
		{name: "object with messages", decoded: true,
			in:       `{"model":"gpt-4o","messages":[{"role":"user","content":"hi","name":"ann"}],"temperature":0}`,
			wantJSON: `[{"role":"user","parts":[{"type":"text","content":"hi"}],"name":"ann"}]`},
		{name: "single message object", decoded: true,
			in:       `{"role":"assistant","content":"ok"}`,
			wantJSON: `[{"role":"assistant","parts":[{"type":"text","content":"ok"}]}]`},
		{name: "openai response choices", decoded: true,
			in: `{"id":"chatcmpl-1","choices":[{"index":0,"message":{"role":"assistant","content":"A"},"finish_reason":"stop"},` +
				`{"index":1,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"c9","type":"function","function":{"name":"g","arguments":"{\"q\":1.5}"}}]},"finish_reason":"tool_calls"}]}`,
			wantJSON: `[{"role":"assistant","parts":[{"type":"text","content":"A"}],"finish_reason":"stop"},` +
				`{"role":"assistant","parts":[{"type":"tool_call","id":"c9","name":"g","arguments":{"q":1.5}}],"finish_reason":"tool_calls"}]`},
		{name: "legacy completion choices", decoded: true,
			in:       `{"choices":[{"text":"once upon","finish_reason":"length"}]}`,
			wantJSON: `[{"role":"assistant","parts":[{"type":"text","content":"once upon"}],"finish_reason":"length"}]`},
		{name: "anthropic blocks", decoded: true,
			in: `[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}},"plain"]},` +
				`{"role":"assistant","content":[{"type":"thinking","thinking":"let me see"},{"type":"text","text":"Calling."},{"type":"tool_use","id":"toolu_1","name":"calc","input":{"x":1}}]},` +
				`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"2"}]}]`,
			wantJSON: `[{"role":"user","parts":[{"type":"blob","modality":"image","mime_type":"image/png","content":"iVBOR"},{"type":"text","content":"plain"}]},` +
				`{"role":"assistant","parts":[{"type":"reasoning","content":"let me see"},{"type":"text","content":"Calling."},{"type":"tool_call","id":"toolu_1","name":"calc","arguments":{"x":1}}]},` +
				`{"role":"user","parts":[{"type":"tool_call_response","id":"toolu_1","response":"2"}]}]`},
		{name: "data url image becomes blob", decoded: true,
			in:       `[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/jpeg;base64,/9j/4AAQ"}}]}]`,
			wantJSON: `[{"role":"user","parts":[{"type":"blob","modality":"image","mime_type":"image/jpeg","content":"/9j/4AAQ"}]}]`},
		{name: "langchain dict messages in batch", decoded: true,
			in:       `{"messages":[[{"type":"human","content":"hi"},{"type":"ai","content":"hello","tool_calls":[{"name":"search","args":{"q":"x"},"id":"tc1"}]}]]}`,
			wantJSON: `[{"role":"user","parts":[{"type":"text","content":"hi"}]},{"role":"assistant","parts":[{"type":"text","content":"hello"},{"type":"tool_call","id":"tc1","name":"search","arguments":{"q":"x"}}]}]`},
		{name: "langchain serialized", decoded: true,
			in: `[{"lc":1,"type":"constructor","id":["langchain","schema","messages","SystemMessage"],"kwargs":{"content":"sys"}},` +
				`{"lc":1,"type":"constructor","id":["langchain","schema","messages","HumanMessage"],"kwargs":{"content":"q","type":"human"}}]`,
			wantJSON: `[{"role":"system","parts":[{"type":"text","content":"sys"}]},{"role":"user","parts":[{"type":"text","content":"q"}]}]`},
		{name: "already in convention shape", decoded: true,
			in:       `[{"role":"user","parts":[{"type":"text","content":"x"}]},{"role":"assistant","parts":[{"type":"tool_call","id":"1","name":"f","arguments":{"a":1}}],"finish_reason":"stop"}]`,
			wantJSON: `[{"role":"user","parts":[{"type":"text","content":"x"}]},{"role":"assistant","parts":[{"type":"tool_call","id":"1","name":"f","arguments":{"a":1}}],"finish_reason":"stop"}]`},
		{name: "object content rendered as JSON text", decoded: true,
			in:       `[{"role":"user","content":{"k":"v"}}]`,
			wantJSON: `[{"role":"user","parts":[{"type":"text","content":"{\"k\":\"v\"}"}]}]`},
		{name: "developer role and null content", decoded: true,
			in:       `[{"role":"developer","content":null}]`,
			wantJSON: `[{"role":"developer","parts":[]}]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := tt.in
			if tt.decoded {
				in = decode(t, tt.in.(string))
			}
			got, ok := ChatMessages(in)
			if !ok {
				t.Fatalf("ChatMessages returned false")
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ChatMessages =\n%#v\nwant\n%#v", got, tt.want)
			}
			if js := MessagesJSON(got); js != tt.wantJSON {
				t.Errorf("MessagesJSON(ChatMessages) =\n%s\nwant\n%s", js, tt.wantJSON)
			}
		})
	}
}

func TestChatMessagesRejects(t *testing.T) {
	tests := []struct {
		name string
		in   any
	}{
		{name: "nil", in: nil},
		{name: "plain string", in: "hello"},
		{name: "bad JSON string", in: "[{"},
		{name: "number", in: json.Number("1")},
		{name: "empty array", in: []any{}},
		{name: "array of strings", in: []any{"a", "b"}},
		{name: "object without role", in: map[string]any{"content": "x"}},
		{name: "message without content", in: []any{map[string]any{"role": "user"}}},
		{name: "one bad element", in: []any{map[string]any{"role": "user", "content": "x"}, map[string]any{"foo": 1}}},
		{name: "messages not an array", in: map[string]any{"messages": "x"}},
		{name: "empty choices", in: map[string]any{"choices": []any{}}},
		{name: "choice without message", in: map[string]any{"choices": []any{map[string]any{"index": 0}}}},
		{name: "content part object is not a message", in: []any{map[string]any{"type": "text", "text": "x"}}},
		{name: "doubly encoded string", in: `"[{\"role\":\"user\",\"content\":\"x\"}]"`},
		{name: "arbitrary object", in: map[string]any{"query": "x", "k": json.Number("3")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, ok := ChatMessages(tt.in); ok {
				t.Errorf("ChatMessages(%#v) = %#v, true; want false", tt.in, got)
			}
		})
	}
}

// appendString writes JSON strings as encoding/json does without HTML
// escaping (except \b and \f, written as \u0008 and \u000c), whatever
// runs of plain ASCII its word-at-a-time path skips.
