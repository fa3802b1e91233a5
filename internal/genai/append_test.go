package genai

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestAppendMessagesJSONIsMessagesJSON(t *testing.T) {
	msgs := []Message{
		{Role: "user", Parts: []Part{{Type: PartText, Content: "hi \"there\"\n"}}, Name: "bob"},
		{Role: "assistant", Parts: []Part{{Type: PartToolCall, ID: "c", Name: "f", Arguments: map[string]any{"b": 1, "a": "x"}}}, FinishReason: "tool_calls"},
		{Role: "tool", Parts: []Part{{Type: PartToolCallResponse, ID: "c", Response: nil}}},
	}
	for _, m := range [][]Message{nil, {}, msgs[:1], msgs} {
		assert.Equal(t, MessagesJSON(m), string(AppendMessagesJSON(nil, m)))
		assert.Equal(t, "prefix"+MessagesJSON(m), string(AppendMessagesJSON([]byte("prefix"), m)))
	}
}
