package genai

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var argumentTexts = []string{
	`{"location":"Paris"}`,
	`{"subject":"About your order A-62997","to":"hiro.1259@example.com"}`,
	` { "a" : 1 , "b" : [ true , false , null , -0 , 1.5e-3 , 12345678901234567890 ] , "c" : { } } `,
	"{\n  \"query\": \"revenue\",\n  \"top_k\": 5\n}",
	`[1,"x",{"k":"v"},[]]`,
	`{"b":1,"a":2}`,       // unsorted: encoding/json sorts the keys
	`{"a":1,"a":2}`,       // repeated key: the last wins
	`{"a":"\u00e9"}`,      // an escape: re-encoded
	`{"a":"x\"y"}`,        // an escaped quote
	`{"a":"<b>&"}`,        // HTML is not escaped
	"{\"a\":\"\u2028\"}",  // escaped by encoding/json
	"{\"a\":\"\xff\"}",    // invalid UTF-8: not JSON for the decoder's output
	`{"a":01}`,            // not JSON
	`{"a":1.}`,            // not JSON
	`{"a":.5}`,            // not JSON
	`{"a":-}`,             // not JSON
	`{"a":1}]`,            // trailing data
	`{"a":1} {"b":2}`,     // two values
	`{"a":tru}`,           // not JSON
	`{"a"}`,               // not JSON
	`{"a":1,}`,            // not JSON
	`[1,]`,                // not JSON
	`{}`, `[]`, `{"":""}`, // empty
	`{"a":[[[[[[[[[[1]]]]]]]]]]}`,
	`not json`, ``, `  `, `"a string"`, `42`,
	`{"a":1e400}`,          // json.Number keeps it
	`{"a":"` + "\t" + `"}`, // a raw control character: not JSON
	`{"a":{"c":1,"b":2}}`,  // nested unsorted
	`{"é":1,"z":2}`,        // byte order: "z" < "é"
	`{"z":1,"é":2}`,
}

func renderArgs(args any) string {
	return MessagesJSON([]Message{{Role: "assistant", Parts: []Part{{Type: PartToolCall, Name: "f", Arguments: args}}}})
}

// TestToolArgumentsMatchDecoding: the kept text renders as the decoded
// value does, and the fast path takes the usual arguments.
func TestToolArgumentsMatchDecoding(t *testing.T) {
	for _, s := range argumentTexts {
		assert.Equal(t, renderArgs(decodeArguments(s)), renderArgs(ToolArguments(s)), "%q", s)
	}
	for _, s := range argumentTexts[:5] {
		_, kept := ToolArguments(s).(canonicalJSON)
		assert.True(t, kept, s)
	}
	for _, s := range []string{`{"b":1,"a":2}`, `{"a":1,"a":2}`, `{"a":"\u00e9"}`, `{"a":1}]`} {
		_, kept := ToolArguments(s).(canonicalJSON)
		assert.False(t, kept, s)
	}
}

// TestDecodedJSONTextMatchesFloatDecoding holds DecodedJSONText to a
// decode with float64 numbers.
func TestDecodedJSONTextMatchesFloatDecoding(t *testing.T) {
	accepted := 0
	for _, s := range append(argumentTexts, `{"n":123456789012345}`, `{"n":1234567890123456}`, `{"n":-0,"m":[0,7]}`) {
		got, ok := DecodedJSONText(s)
		if !ok {
			continue
		}
		accepted++
		var v any
		require.NoError(t, json.Unmarshal([]byte(s), &v), s)
		assert.Equal(t, renderArgs(v), renderArgs(got), s)
	}
	assert.GreaterOrEqual(t, accepted, 6)
	for _, s := range []string{`{"a":1.5}`, `{"n":1234567890123456}`, `{"a":1e3}`} {
		_, ok := DecodedJSONText(s)
		assert.False(t, ok, s)
	}
}

func FuzzToolArguments(f *testing.F) {
	for _, s := range argumentTexts {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := renderArgs(ToolArguments(s)), renderArgs(decodeArguments(s)); got != want {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
		if v, ok := DecodedJSONText(s); ok {
			var d any
			if err := json.Unmarshal([]byte(s), &d); err != nil {
				t.Fatalf("%q accepted but not JSON: %v", s, err)
			}
			if got, want := renderArgs(v), renderArgs(d); got != want {
				t.Fatalf("%q: got %s, want %s", s, got, want)
			}
		}
	})
}
