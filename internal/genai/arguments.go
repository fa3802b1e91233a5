package genai

import (
	"strings"
	"unicode/utf8"
)

// Tool call arguments arrive as JSON text (OpenAI's function.arguments
// string, LangChain's args object). ChatMessages decodes that text into Go
// values, and MessagesJSON encodes them again with encoding/json: compact,
// object keys sorted, strings re-escaped. For the usual arguments that
// round trip gives back the text itself, minus its whitespace, and it was
// the largest cost of rendering a tool call. The functions below recognise
// that case and keep the text; anything else takes the decoding path, so
// the rendered JSON is the same either way (TestToolArgumentsMatchDecoding
// holds them to it).

// canonicalJSON is JSON text already in the form appendAny gives the value
// it holds; appendAny copies it.
type canonicalJSON string

// maxCanonicalDepth bounds the nesting the fast path reads; deeper text
// takes the decoding path.
const maxCanonicalDepth = 64

// ToolArguments is what ChatMessages makes of a tool call's arguments given
// as a JSON string s: the decoded object or array (numbers as json.Number)
// when s holds exactly one, else s itself. MessagesJSON renders the result
// as it renders ChatMessages' value. Arguments that are valid JSON with
// sorted, unique object keys and strings without escapes are kept as
// (compacted) text instead of being decoded; that value may share s's
// memory, so s must stay unchanged until the messages are rendered.
func ToolArguments(s string) any {
	t := strings.TrimSpace(s)
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return s
	}
	if c, ok := canonical(t, false); ok {
		return c
	}
	return decodeArguments(s)
}

// DecodedJSONText returns a value that MessagesJSON renders as it renders
// the JSON object or array t decoded into Go values with every number a
// float64 (jsoniter's and encoding/json's default), when t is such JSON in
// canonical form: sorted, unique object keys, strings without escapes,
// integers of at most 15 digits (exact as float64) and no other numbers.
// ok is false otherwise; the caller then decodes t itself. The value may
// share t's memory.
func DecodedJSONText(t string) (any, bool) {
	if t == "" || (t[0] != '{' && t[0] != '[') {
		return nil, false
	}
	c, ok := canonical(t, true)
	if !ok {
		return nil, false
	}
	return c, true
}

// canonical checks that t is one JSON object or array whose encoding/json
// round trip (decode, encode with sorted keys and no HTML escaping) is t
// without its whitespace, and returns that text. floats restricts numbers
// to those a float64 round trip keeps.
func canonical(t string, floats bool) (canonicalJSON, bool) {
	r := canonReader{s: t, floats: floats}
	if !r.value(0) || r.ws() != len(t) {
		return "", false
	}
	if !r.spaced {
		return canonicalJSON(t), true
	}
	return canonicalJSON(compactPlain(t)), true
}

// canonReader walks JSON text for canonical.
type canonReader struct {
	s      string
	i      int
	floats bool
	spaced bool // whitespace seen between tokens
}

// ws skips JSON whitespace and returns the new position.
func (r *canonReader) ws() int {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
			r.spaced = true
		default:
			return r.i
		}
	}
	return r.i
}

func (r *canonReader) peek() byte {
	r.ws()
	if r.i >= len(r.s) {
		return 0
	}
	return r.s[r.i]
}

func (r *canonReader) value(depth int) bool {
	if depth > maxCanonicalDepth {
		return false
	}
	switch c := r.peek(); {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		_, ok := r.str()
		return ok
	case c == '-' || c >= '0' && c <= '9':
		return r.number()
	case c == 't':
		return r.word("true")
	case c == 'f':
		return r.word("false")
	case c == 'n':
		return r.word("null")
	}
	return false
}

func (r *canonReader) word(w string) bool {
	if !strings.HasPrefix(r.s[r.i:], w) {
		return false
	}
	r.i += len(w)
	return true
}

// object reads an object whose keys are strictly increasing: encoding/json
// writes a map's keys sorted, and a repeated key would lose a member.
func (r *canonReader) object(depth int) bool {
	r.i++ // {
	if r.peek() == '}' {
		r.i++
		return true
	}
	prev, first := "", true
	for {
		if r.peek() != '"' {
			return false
		}
		key, ok := r.str()
		if !ok || (!first && key <= prev) {
			return false
		}
		prev, first = key, false
		if r.peek() != ':' {
			return false
		}
		r.i++
		if !r.value(depth + 1) {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case '}':
			r.i++
			return true
		default:
			return false
		}
	}
}

func (r *canonReader) array(depth int) bool {
	r.i++ // [
	if r.peek() == ']' {
		r.i++
		return true
	}
	for {
		if !r.value(depth + 1) {
			return false
		}
		switch r.peek() {
		case ',':
			r.i++
		case ']':
			r.i++
			return true
		default:
			return false
		}
	}
}

// str reads a string that encoding/json writes back byte for byte: no
// escapes, no control characters, valid UTF-8 without U+2028 and U+2029
// (which it escapes).
func (r *canonReader) str() (string, bool) {
	start := r.i + 1
	for j := start; j < len(r.s); {
		c := r.s[j]
		switch {
		case c == '"':
			r.i = j + 1
			return r.s[start:j], true
		case c == '\\' || c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			j++
		default:
			ru, size := utf8.DecodeRuneInString(r.s[j:])
			if ru == utf8.RuneError && size == 1 || ru == '\u2028' || ru == '\u2029' {
				return "", false
			}
			j += size
		}
	}
	return "", false
}

// number reads a JSON number: any valid one (json.Number keeps it as
// written), or with floats an integer of at most 15 digits (a float64
// holds it exactly and encoding/json prints it back the same).
func (r *canonReader) number() bool {
	s, i := r.s, r.i
	if s[i] == '-' {
		i++
	}
	digits := i
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false
	}
	if r.floats {
		r.i = i
		return i-digits <= 15 && (i == len(s) || !isNumberTail(s[i]))
	}
	if i < len(s) && s[i] == '.' {
		i++
		if i = digitsFrom(s, i); i < 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i = digitsFrom(s, i); i < 0 {
			return false
		}
	}
	r.i = i
	return true
}

// digitsFrom skips one or more digits from i; -1 when there is none.
func digitsFrom(s string, i int) int {
	start := i
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == start {
		return -1
	}
	return i
}

func isNumberTail(c byte) bool { return c == '.' || c == 'e' || c == 'E' }

// compactPlain removes the whitespace between the tokens of JSON text whose
// strings have no escapes (as canonical checked).
func compactPlain(t string) string {
	b := make([]byte, 0, len(t))
	in := false
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c == '"':
			in = !in
		case !in && (c == ' ' || c == '\t' || c == '\n' || c == '\r'):
			continue
		}
		b = append(b, c)
	}
	return string(b)
}
