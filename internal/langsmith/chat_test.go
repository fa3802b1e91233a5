package langsmith

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/genai"
)

const lcHuman = `{"lc":1,"type":"constructor","id":["langchain","schema","messages","HumanMessage"],"kwargs":{"content":"hi","type":"human"}}`

var chatInputs = []string{
	`{"messages":[[` + lcHuman + `]]}`,
	`{"messages":[[` + lcHuman + `,{"lc":1,"type":"constructor","id":["langchain","schema","messages","AIMessage"],"kwargs":{"content":"","type":"ai","tool_calls":[{"name":"f","args":{"b":2,"a":[1.5,"x"]},"id":"c1","type":"tool_call"}]}},{"lc":1,"type":"constructor","id":["x","ToolMessage"],"kwargs":{"content":"42","type":"tool","tool_call_id":"c1","status":"success"}}]]}`,
	`{"messages":[{"role":"system","content":"be brief"},{"role":"user","content":""}],"model":"gpt-4o","temperature":0}`,
	`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"z\":1,\"a\":12345678901234567890}"}}],"refusal":null}]}`,
	`{"messages":[{"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"not json"}}]}]}`,
	`{"messages":[{"role":"tool","content":null,"tool_call_id":"c"},{"role":"tool","tool_call_id":"d","tool_calls":[]}]}`,
	`{"messages":[{"role":"user","content":[{"type":"text","text":"parts"}]}]}`,
	`{"messages":[[[` + lcHuman + `]]]}`,
	`{"messages":[[` + lcHuman + `],[` + lcHuman + `]]}`,
	`{"messages":[{"role":"user","content":"a"},{"city":"Paris"}]}`,
	`{"messages":[]}`,
	`{"messages":"no"}`,
	`{"messages":null,"prompts":["p"]}`,
	`{"prompts":["Say hi",3,"again"]}`,
	`{"prompts":"x"}`,
	`{"role":"user","content":"single"}`,
	`{"lc":1,"type":"constructor","id":["langchain","schema","messages","HumanMessage"],"kwargs":{"content":"no type"}}`,
	`{"messages":[{"lc":1,"type":"constructor","id":["langchain","schema","messages","HumanMessage"],"kwargs":{"content":"no type"}}]}`,
	`{"messages":[{"type":"human","content":"dict","name":"bob","finish_reason":"x"}]}`,
	`{"messages":[{"role":"user","content":"x","function_call":{"name":"f","arguments":"{}"}}]}`,
	`{"question":"no messages"}`,
	`{"messages":[{"role":"user","content":"x"}],"choices":[]}`,
}

var chatOutputs = []string{
	`{"generations":[[{"text":"","type":"ChatGeneration","generation_info":{"finish_reason":"tool_calls"},"message":{"lc":1,"type":"constructor","id":["langchain","schema","messages","AIMessage"],"kwargs":{"content":"","type":"ai","tool_calls":[{"name":"f","args":{"k":"v"},"id":"c","type":"tool_call"}],"response_metadata":{"model":"m2","model_name":"m1","id":"chatcmpl-1","stop_reason":"s","finish_reason":"tool_calls"},"usage_metadata":{"input_tokens":3,"output_tokens":4,"total_tokens":7}}}}]],"llm_output":{"model_name":"lm","token_usage":{"prompt_tokens":1,"completion_tokens":2}},"run":null,"type":"LLMResult"}`,
	`{"generations":[[{"text":"plain","generation_info":{"finish_reason":"length"}}],[{"text":"second"}]],"llm_output":{"model":"only-model","id":"x"}}`,
	`{"generations":[[{"text":"fallback","message":{"lc":1,"type":"constructor","id":["AIMessage"],"kwargs":{"type":"ai"}}}]]}`,
	`{"generations":[{"text":"not nested"},7,[1]]}`,
	`{"generations":"x","choices":[]}`,
	`{"id":"chatcmpl-9","object":"chat.completion","model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop","logprobs":null}],"usage":{"prompt_tokens":12,"completion_tokens":3,"total_tokens":15}}`,
	`{"choices":[{"text":"legacy","finish_reason":null}],"usage_metadata":{"input_tokens":1,"output_tokens":1}}`,
	`{"choices":[{"message":{"role":"assistant","content":"a"}},{"message":null}]}`,
	`{"choices":[]}`,
	`{"messages":[{"role":"assistant","content":"from otel"}],"usage_metadata":{"input_tokens":5,"output_tokens":6}}`,
	`{"messages":[{"role":"assistant","content":"x"}],"choices":[{"text":"y"}]}`,
	`{"output":"a traced function"}`,
	`{"output":{"messages":[{"role":"user","content":"x"}]}}`,
	`{"role":"assistant","content":"one message"}`,
	`{"documents":[{"page_content":"d","type":"Document"}]}`,
}

// TestFastChatMatchesGenAI holds the fast path to the decoded-value path:
// where the fast path answers, it answers the same.
func TestFastChatMatchesGenAI(t *testing.T) {
	c := newConverter("p", "", nil)
	sure := 0
	for _, in := range chatInputs {
		want, wantOK := inputMessagesOf(c.decode([]byte(in)))
		got, gotOK, isSure := c.fastInputs([]byte(in))
		if !isSure {
			continue
		}
		sure++
		assert.Equal(t, wantOK, gotOK, in)
		if wantOK {
			assert.Equal(t, genai.MessagesJSON(want), genai.MessagesJSON(got), in)
		}
	}
	for _, llm := range []bool{true, false} {
		for _, out := range chatOutputs {
			want := outputMessagesOf(c.decode([]byte(out)), llm)
			got, isSure := c.fastOutputs([]byte(out), llm)
			if !isSure {
				continue
			}
			sure++
			assert.Equal(t, genai.MessagesJSON(want.msgs), genai.MessagesJSON(got.msgs), out)
			assert.Equal(t, want.model, got.model, out)
			assert.Equal(t, want.id, got.id, out)
			assert.Equal(t, want.usage, got.usage, out)
		}
	}
	assert.GreaterOrEqual(t, sure, 30, "the fast path answers the common shapes")
	for _, in := range chatInputs[:6] {
		_, _, isSure := c.fastInputs([]byte(in))
		assert.True(t, isSure, in)
	}
	for _, out := range chatOutputs[:3] {
		_, isSure := c.fastOutputs([]byte(out), true)
		assert.True(t, isSure, out)
	}
}

// TestFastChatOnSimulatedRuns compares both paths on every blob of the
// benchmark page (LangChain, wrap_openai and OTLP-ingested shapes).
func TestFastChatOnSimulatedRuns(t *testing.T) {
	c := newConverter("p", "", nil)
	fast := 0
	for _, bt := range benchPage(t) {
		p, err := decodeRuns(bt.body)
		require.NoError(t, err)
		for _, r := range p.Items {
			if !isEmpty(r.Inputs) {
				want, wantOK := inputMessagesOf(c.decode(r.Inputs))
				got, gotOK, sure := c.fastInputs(r.Inputs)
				if sure {
					fast++
					assert.Equal(t, wantOK, gotOK)
					assert.Equal(t, genai.MessagesJSON(want), genai.MessagesJSON(got))
				}
			}
			if !isEmpty(r.Outputs) && r.RunType == "LLM" {
				want := outputMessagesOf(c.decode(r.Outputs), true)
				got, sure := c.fastOutputs(r.Outputs, true)
				require.True(t, sure, string(r.Outputs))
				fast++
				assert.Equal(t, genai.MessagesJSON(want.msgs), genai.MessagesJSON(got.msgs))
				assert.Equal(t, want.model, got.model)
				assert.Equal(t, want.id, got.id)
				assert.Equal(t, want.usage, got.usage)
			}
		}
	}
	assert.Greater(t, fast, 100)
}
