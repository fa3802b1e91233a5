package convert

import (
	"bytes"
	"encoding/json"
	"io"
	"strings"
	"testing"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// jsoniterToMap is JSONToMap as it was before the Scanner: jsoniter's
// iterator and ReadValue, the decoder still used for live iterators.
func jsoniterToMap(raw []byte, dest pcommon.Map) error {
	iter := jsoniter.ConfigFastest.BorrowIterator(raw)
	defer jsoniter.ConfigFastest.ReturnIterator(iter)
	switch iter.WhatIsNext() {
	case jsoniter.ObjectValue:
	case jsoniter.NilValue:
		iter.ReadNil()
		return jsoniterFinish(iter)
	default:
		return errEmptyOrType
	}
	iter.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
		key = validUTF8(key)
		ReadValue(it, dest.PutEmpty(key))
		if Failed(it) {
			dest.Remove(key)
			return false
		}
		return true
	})
	return jsoniterFinish(iter)
}

var errEmptyOrType = io.ErrUnexpectedEOF

func jsoniterFinish(iter *jsoniter.Iterator) error {
	if Failed(iter) {
		return iter.Error
	}
	if iter.Error == io.EOF {
		return nil
	}
	if iter.WhatIsNext() != jsoniter.InvalidValue || iter.Error != io.EOF {
		return io.ErrShortBuffer
	}
	return nil
}

// The Scanner (behind JSONToMap and PutJSON) and the jsoniter path (behind
// ReadValue) decode documents the same way, errors and the members kept
// before an error included, except where jsoniter departs from
// encoding/json (jsoniterQuirk).
func FuzzScannerMatchesJSONIter(f *testing.F) {
	for _, s := range []string{langtraceAttrs, benchAttrs, `{"a":1}`, `{"a":[1,{"b":null}]}`, `null`, `[]`, `{"a":1e400}`, `{"a":"\ud800"}`,
		`{"a":"x\"y\\z\u00e9\n","b":[true,false,null,-1.5e3,0],"c":{"d":{}}}`, `{"a":1,"a":2}`, `{"a":1,"b":tru}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		if jsoniterQuirk(raw) {
			return
		}
		want, got := pcommon.NewMap(), pcommon.NewMap()
		wantErr := jsoniterToMap(raw, want)
		gotErr := JSONToMap(raw, got)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%q: jsoniter error %v, scanner error %v", raw, wantErr, gotErr)
		}
		assert.Equal(t, want.AsRaw(), got.AsRaw(), "%q", raw)
		wantV, gotV := pcommon.NewMap(), pcommon.NewMap()
		wantV.PutStr("k", "old")
		gotV.PutStr("k", "old")
		wantErr = jsoniterPut(wantV, raw)
		gotErr = PutJSON(gotV, "k", raw)
		if (wantErr == nil) != (gotErr == nil) {
			t.Fatalf("%q: jsoniter error %v, scanner error %v", raw, wantErr, gotErr)
		}
		assert.Equal(t, wantV.AsRaw(), gotV.AsRaw(), "%q", raw)
	})
}

// jsoniterPut is PutJSON with jsoniter.
func jsoniterPut(dest pcommon.Map, raw []byte) error {
	iter := jsoniter.ConfigFastest.BorrowIterator(raw)
	defer jsoniter.ConfigFastest.ReturnIterator(iter)
	tmp := pcommon.NewValueEmpty()
	ReadValue(iter, tmp)
	if err := jsoniterFinish(iter); err != nil {
		return err
	}
	tmp.MoveTo(dest.PutEmpty("k"))
	return nil
}

// jsoniterQuirk reports documents where jsoniter departs from
// encoding/json and the Scanner does not: a control character after an
// escape in a string (jsoniter keeps it), an invalid UTF-16 surrogate pair
// (jsoniter replaces both halves, so a valid pair after a lone surrogate
// is lost), a number beyond float64 followed by a delimiter (jsoniter keeps
// its text), and a member whose key is not a string in a malformed object
// (jsoniter then removes the member with the empty key).
func jsoniterQuirk(raw []byte) bool {
	for _, c := range raw {
		if c < 0x20 && c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return true
		}
	}
	lower := bytes.ToLower(raw)
	return bytes.Contains(lower, []byte(`\ud`)) || hugeNumber(raw) ||
		bytes.Contains(raw, []byte(`""`)) && !json.Valid(raw)
}

// hugeNumber reports a run of more than 300 digits.
func hugeNumber(raw []byte) bool {
	n := 0
	for _, c := range raw {
		if c >= '0' && c <= '9' {
			if n++; n > 300 {
				return true
			}
		} else {
			n = 0
		}
	}
	return false
}

// Nesting is limited to 10000 levels, the top-level object included, as
// jsoniter limits it.
func TestScannerDepthLimit(t *testing.T) {
	for _, depth := range []int{9999, 10000, 10001} {
		doc := []byte(`{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + `}`)
		wantErr := jsoniterToMap(doc, pcommon.NewMap())
		gotErr := JSONToMap(doc, pcommon.NewMap())
		assert.Equal(t, wantErr == nil, gotErr == nil, "depth %d: jsoniter %v, scanner %v", depth, wantErr, gotErr)
		assert.Equal(t, depth <= 10000, gotErr == nil, "depth %d: %v", depth, gotErr)
	}
}

func TestStringEnd(t *testing.T) {
	tests := []struct {
		in  string // content after the opening quote
		end int
		ok  bool
	}{
		{in: `abc"`, end: 3, ok: true},
		{in: `"`, end: 0, ok: true},
		{in: `a\"b"`, end: 4, ok: true},
		{in: `a\\"b"`, end: 3, ok: true},
		{in: `a\\\"b"`, end: 6, ok: true},
		{in: `a\nb"`, end: 4, ok: true},
		{in: `abc`, ok: false},
		{in: `abc\"`, ok: false},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			end, ok := stringEnd([]byte(tt.in), 0)
			assert.Equal(t, tt.ok, ok)
			if tt.ok {
				assert.Equal(t, tt.end, end)
			}
		})
	}
}

// stringSpecial finds the first quote, backslash or control character at
// any position of an eight-byte word, in the tail and in long runs.
func TestStringSpecial(t *testing.T) {
	for _, n := range []int{0, 1, 7, 8, 9, 15, 16, 63, 64, 65, 100, 300} {
		for _, c := range []byte{'"', '\\', 0x01, 0x1f} {
			b := append(bytes.Repeat([]byte("a"), n), c, 'x', '"')
			got, ascii := stringSpecial(b, 0, true)
			assert.Equal(t, n, got, "%d bytes before %q", n, c)
			if n < 64 {
				assert.True(t, ascii)
			}
		}
		got, _ := stringSpecial(bytes.Repeat([]byte("é"), n), 0, true)
		assert.Equal(t, 2*n, got, "no special byte in %d runes", n)
		_, ascii := stringSpecial(append(bytes.Repeat([]byte("é"), n), '"'), 0, true)
		assert.True(t, n == 0 || !ascii)
	}
	// Bytes at and above 0x80 are never special; 0x20 and 0x7f are plain.
	b := []byte{0x80, 0xff, 0x20, 0x7f, 0x21, 0x5b, 0x5d, 0x23, '"'}
	got, ascii := stringSpecial(b, 0, true)
	assert.Equal(t, 8, got)
	assert.False(t, ascii)
}

func TestTextIntoKeepsEarlierResults(t *testing.T) {
	var s Scanner
	s.Reset([]byte(`["a\"1", "plain", "b\\2"]`))
	var arena []byte
	var got [][]byte
	s.Open('[')
	for s.More(']') {
		got = append(got, s.TextInto(&arena))
	}
	require.NoError(t, s.Done())
	assert.Equal(t, []string{`a"1`, "plain", `b\2`}, []string{string(got[0]), string(got[1]), string(got[2])})
}

func TestIntern(t *testing.T) {
	var s Scanner
	a := s.Intern([]byte("gen_ai.system"))
	b := s.Intern([]byte("gen_ai.system"))
	assert.Equal(t, "gen_ai.system", a)
	assert.Same(t, unsafe.StringData(a), unsafe.StringData(b), "one string per key")
	long := strings.Repeat("k", maxInternedLen+1)
	assert.Equal(t, long, s.Intern([]byte(long)))
	assert.NotContains(t, s.keys, long)
	s.Reset(nil)
	assert.Same(t, unsafe.StringData(a), unsafe.StringData(s.Intern([]byte("gen_ai.system"))), "kept across Reset")
}

// The modes differ only in control characters, numbers beyond float64 and
// how invalid UTF-8 is replaced.
func TestScannerModes(t *testing.T) {
	tests := []struct {
		doc            string
		lenient        any
		strictRejected bool
		strict         any
	}{
		{doc: "\"a\x01b\"", lenient: "a\x01b", strictRejected: true},
		{doc: "\"\\n\tx\"", lenient: "\n\tx", strictRejected: true},
		{doc: `1e400`, lenient: "1e400", strictRejected: true},
		{doc: `[-1e999]`, lenient: []any{"-1e999"}, strictRejected: true},
		{doc: "\"\xff\xfe.\"", lenient: "\uFFFD.", strict: "\uFFFD\uFFFD."},
		{doc: "\"\\n\xe4\xb8.\"", lenient: "\n\uFFFD.", strict: "\n\uFFFD\uFFFD."},
		{doc: `"\ud800\ud83d\ude00"`, lenient: "\uFFFD😀", strict: "\uFFFD😀"},
	}
	for _, tt := range tests {
		t.Run(tt.doc, func(t *testing.T) {
			for _, strict := range []bool{false, true} {
				s := Scanner{Strict: strict}
				s.Reset([]byte(tt.doc))
				v := pcommon.NewValueEmpty()
				s.Value(v)
				err := s.Done()
				switch {
				case !strict:
					require.NoError(t, err)
					assert.Equal(t, tt.lenient, v.AsRaw())
				case tt.strictRejected:
					assert.Error(t, err)
				default:
					require.NoError(t, err)
					assert.Equal(t, tt.strict, v.AsRaw())
				}
			}
		})
	}
}

func TestUnquote(t *testing.T) {
	for in, want := range map[string]string{
		``: ``, `plain`: `plain`, `a\"b\\c\/d\n`: "a\"b\\c/d\n", `\u00e9\ud83d\ude00`: "é😀", "\xff": "\uFFFD",
		strings.Repeat(`x\"`, 40): strings.Repeat(`x"`, 40),
	} {
		got, ok := Unquote([]byte(in))
		assert.True(t, ok, "%q", in)
		assert.Equal(t, want, got, "%q", in)
	}
	for _, in := range []string{`a"b`, `\x`, `\u12`, "a\x01", `a\`} {
		_, ok := Unquote([]byte(in))
		assert.False(t, ok, "%q", in)
	}
}

// Unquote decodes string content as encoding/json does.
func FuzzUnquote(f *testing.F) {
	for _, s := range []string{``, `plain`, `a\"b\\c\/d\n`, `\u00e9\ud83d\ude00`, "\xff", `\ud800\ud800\udc00`, `\x`, "a\x01", strings.Repeat(`x\"`, 40)} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		got, ok := Unquote(raw)
		var want string
		err := json.Unmarshal(append(append([]byte{'"'}, raw...), '"'), &want)
		if (err == nil) != ok {
			t.Fatalf("%q: encoding/json error %v, Unquote ok %v", raw, err, ok)
		}
		assert.Equal(t, want, got, "%q", raw)
	})
}

// BenchmarkScannerText reads what Langtrace nests: an attribute object
// JSON-encoded in a string, long plain text, chat messages encoded twice.
func BenchmarkScannerText(b *testing.B) {
	attrs := map[string]any{"langtrace.sdk.name": "langtrace-python-sdk", "langtrace.version": "3.3.14", "langtrace.service.type": "framework",
		"langtrace.service.name": "langchain", "user.id": "user-12", "gen_ai.request.model": "gpt-4o-mini", "gen_ai.usage.input_tokens": 1234,
		"gen_ai.response.id": "chatcmpl-0123456789abcdef", "url.full": "https://api.openai.com/v1/"}
	inner, _ := json.Marshal(attrs)
	outer, _ := json.Marshal(string(inner))
	long, _ := json.Marshal(strings.Repeat("the quick brown fox jumps over a lazy dog while langtrace records ", 5))
	prompt, _ := json.Marshal([]map[string]string{{"role": "system", "content": strings.Repeat("You are a friendly agent. ", 8)}, {"role": "user", "content": "where is my order?"}})
	promptOuter, _ := json.Marshal(string(prompt))
	docs := [][]byte{outer, long, promptOuter}
	var s Scanner
	var arena []byte
	n := 0
	for _, d := range docs {
		n += len(d)
	}
	b.SetBytes(int64(n))
	for b.Loop() {
		for _, d := range docs {
			s.Reset(d)
			arena = arena[:0]
			s.TextInto(&arena)
		}
	}
}

func TestStrings(t *testing.T) {
	var a Strings
	var got []string
	var want []string
	for i := range 2000 {
		w := strings.Repeat(string(rune('a'+i%26)), i%300)
		want = append(want, w)
		buf := []byte(w)
		got = append(got, a.String(buf))
		clear(buf) // the string must not share the caller's bytes
		if i%500 == 0 {
			a.Reset()
		}
	}
	assert.Equal(t, want, got)
	long := strings.Repeat("x", maxArenaString+1)
	assert.Equal(t, long, a.String([]byte(long)))
	assert.Empty(t, a.String(nil))
}

// A string reads as encoding/json reads it, whatever the arena it is
// unescaped into already holds (which stays as it was).
func FuzzScannerString(f *testing.F) {
	for _, s := range []string{`plain`, `a\"b\\c\/d\n`, `{\"k\": \"v\", \"n\": 1}`, `\u00e9\ud83d\ude00`, "\xff\xfe", strings.Repeat(`x\"`, 40), strings.Repeat(`abcdefghij\\`, 9)} {
		f.Add([]byte(s), uint8(3))
	}
	f.Fuzz(func(t *testing.T, content []byte, prefill uint8) {
		doc := append(append([]byte{'"'}, content...), '"')
		var want string
		wantErr := json.Unmarshal(doc, &want)
		arena := make([]byte, int(prefill), int(prefill)+int(prefill%7))
		for i := range arena {
			arena[i] = byte(i)
		}
		before := append([]byte(nil), arena...)
		s := Scanner{Strict: true}
		s.Reset(doc)
		got := s.TextInto(&arena)
		err := s.Done()
		if (wantErr == nil) != (err == nil) {
			t.Fatalf("%q: encoding/json error %v, scanner error %v", doc, wantErr, err)
		}
		if err == nil {
			assert.Equal(t, want, string(got), "%q", doc)
			assert.Equal(t, string(before), string(arena[:len(before)]), "earlier arena content changed")
		}
	})
}
