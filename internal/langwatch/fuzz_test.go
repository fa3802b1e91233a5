package langwatch

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// FuzzConvert feeds arbitrary answers to the decoders and the converter:
// whatever a server sends, no panic; every span carries its trace's ID; a
// span whose span_id is 16 hex digits keeps exactly those bytes, and a
// trace whose trace_id is 32 hex digits keeps them.
func FuzzConvert(f *testing.F) {
	for _, name := range []string{"seed_search.json", "search_spans.json", "trace_get.json"} {
		f.Add(readTestdata(f, name))
	}
	f.Add(benchPage(f))
	f.Add([]byte(`{"traces":[{"trace_id":"0af7651916cd43dd8448eb211c80319c","spans":[{"span_id":"b7ad6b7169203331","parent_id":"b7ad6b7169203331","params":{"a":{"b":{"c":[1,{"d":null}]}}},"input":{"type":"chat_messages","value":[{"role":"user","content":"\ud800"}]},"metrics":{"prompt_tokens":1e308},"timestamps":{"started_at":-1,"finished_at":9223372036854775807}}]}]}`))
	f.Add([]byte(`{"traces":[{"trace_id":5,"spans":{"a":1},"evaluations":[{"status":"error","timestamps":null}]}],"pagination":{"scrollId":7}}`))
	f.Add([]byte(`{"trace_id":"t","spans":[{"span_id":"s","input":{"value":[1,2],"type":"chat_messages"}}],"ascii_tree":"x"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		c := newConverter("", "", func() {}, nil)
		var d decoder
		if page, err := d.decodeSearch(body); err == nil {
			for i := range page.Traces {
				checkConverted(t, c, &page.Traces[i])
			}
		}
		if tr, err := d.decodeTrace(body); err == nil {
			checkConverted(t, c, &tr)
		}
	})
}

func checkConverted(t *testing.T, c *converter, rec *traceRec) {
	for _, ax := range []axis{byUpdate, byStart} {
		tr := c.trace(rec, ax)
		if len(rec.TraceID) == 32 && isHex(rec.TraceID) && strings.Trim(rec.TraceID, "0") != "" {
			assert.Equal(t, strings.ToLower(rec.TraceID), tr.ID.String())
		}
		ss := tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
		require.GreaterOrEqual(t, ss.Len(), len(rec.Spans))
		for i := range ss.Len() {
			s := ss.At(i)
			assert.Equal(t, tr.ID, s.TraceID())
			assert.False(t, s.SpanID().IsEmpty())
			if i < len(rec.Spans) {
				id := rec.Spans[i].SpanID
				if len(id) == 16 && isHex(id) && strings.Trim(id, "0") != "" {
					assert.Equal(t, strings.ToLower(id), s.SpanID().String())
				}
			}
		}
	}
}

// FuzzPlainChatMatchesGenAI holds the fast reader of chat messages to
// genai.ChatMessages on arbitrary values.
func FuzzPlainChatMatchesGenAI(f *testing.F) {
	for _, v := range []string{
		`[{"role":"user","content":"hi"}]`,
		`[{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}}]}]`,
		`[{"role":"tool","tool_call_id":"c1","content":"{\"ok\":true}"},{"role":"user","content":"\u2028x\"y","name":"n"}]`,
	} {
		f.Add(v)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if !json.Valid([]byte(value)) {
			return
		}
		v, err := decodeNumbers(value)
		if err != nil {
			return
		}
		c := newConverter("", "", nil, nil)
		got, _, ok := c.readTyped([]byte(`{"type":"chat_messages","value":` + value + `}`))
		want, wantOK := genai.ChatMessages(v)
		if wantOK != ok {
			t.Fatalf("%s: ok %v, genai %v", value, ok, wantOK)
		}
		if a, b := genai.MessagesJSON(want), genai.MessagesJSON(got); a != b {
			t.Fatalf("%s:\n got %s\nwant %s", value, b, a)
		}
	})
}

// decodeNumbers decodes JSON as genai.ChatMessages expects it, numbers as
// json.Number.
func decodeNumbers(s string) (any, error) {
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	err := dec.Decode(&v)
	return v, err
}
