package promptlayer

import (
	"bytes"
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// scanner walks the envelope of a trace answer (the spans array, each
// span's members, its context, status, events and links) in place, without
// decoding it: member names are compared as bytes and values are handed
// out as raw slices of the answer. Values that become attributes go to the
// shared decoder (convert.JSONToMap, convert.PutJSON); the scanner only
// reads strings, numbers and the structure. That keeps the per-span cost
// low: every span repeats its resource, which is only compared as bytes.
type scanner struct {
	b     []byte
	i     int
	depth int
	err   error
	// strs, when set, makes the strings of text.
	strs *convert.Strings
}

// maxDepth bounds nesting, so that hostile input cannot exhaust the stack.
const maxDepth = 1000

func (s *scanner) fail(msg string) {
	if s.err == nil {
		s.err = errors.New(msg + " at offset " + strconv.Itoa(s.i))
	}
	s.i = len(s.b)
}

func (s *scanner) ok() bool { return s.err == nil }

// peek returns the next non-space byte, 0 at the end.
func (s *scanner) peek() byte {
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return c
		}
	}
	return 0
}

// expect consumes byte c.
func (s *scanner) expect(c byte) bool {
	if s.peek() != c {
		s.fail("expected " + strconv.QuoteRune(rune(c)))
		return false
	}
	s.i++
	return true
}

// object calls fn for each member of the object at the cursor with the raw
// member name (escapes not decoded); fn consumes the value.
func (s *scanner) object(fn func(key []byte) bool) {
	if !s.enter('{') {
		return
	}
	defer s.leave()
	if s.peek() == '}' {
		s.i++
		return
	}
	for s.ok() {
		key, _ := s.rawString()
		if !s.expect(':') || !fn(key) || !s.ok() {
			return
		}
		switch s.peek() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		default:
			s.fail("expected , or }")
		}
	}
}

// array calls fn for each element of the array at the cursor; fn consumes
// the element.
func (s *scanner) array(fn func() bool) {
	if !s.enter('[') {
		return
	}
	defer s.leave()
	if s.peek() == ']' {
		s.i++
		return
	}
	for s.ok() {
		if !fn() || !s.ok() {
			return
		}
		switch s.peek() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		default:
			s.fail("expected , or ]")
		}
	}
}

func (s *scanner) enter(open byte) bool {
	if !s.expect(open) {
		return false
	}
	if s.depth++; s.depth > maxDepth {
		s.fail("nested too deeply")
		return false
	}
	return true
}

func (s *scanner) leave() { s.depth-- }

// value skips the value at the cursor and returns its raw text.
func (s *scanner) value() []byte {
	start := s.peekIndex()
	switch c := s.peek(); {
	case c == '"':
		s.rawString()
	case c == '{' || c == '[':
		s.skipComposite()
	case c == '-' || (c >= '0' && c <= '9'):
		for s.i < len(s.b) && strings.IndexByte("+-.eE0123456789", s.b[s.i]) >= 0 {
			s.i++
		}
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	default:
		s.fail("unexpected character")
	}
	if !s.ok() {
		return nil
	}
	return s.b[start:s.i]
}

// skipComposite skips the object or array at the cursor in one tight loop:
// brackets are counted and strings jumped over; the structure is not
// checked (the values handed out raw are checked by the decoder that reads
// them, and the envelope by object and array).
func (s *scanner) skipComposite() {
	depth := 0
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case '"':
			if !s.skipString() {
				return
			}
			continue
		case '{', '[':
			if depth++; depth > maxDepth {
				s.fail("nested too deeply")
				return
			}
		case '}', ']':
			if depth--; depth == 0 {
				s.i++
				return
			}
		}
		s.i++
	}
	s.fail("unterminated object or array")
}

func (s *scanner) peekIndex() int {
	s.peek()
	return s.i
}

func (s *scanner) literal(word string) {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		s.fail("invalid literal")
		return
	}
	s.i += len(word)
}

// rawString consumes the string at the cursor and returns its content
// between the quotes, escapes not decoded, and whether it has any. It jumps
// from quote to quote: a quote preceded by an odd number of backslashes is
// escaped.
func (s *scanner) rawString() ([]byte, bool) {
	if !s.expect('"') {
		return nil, false
	}
	start := s.i
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			s.fail("unterminated string")
			return nil, false
		}
		end := s.i + j
		k := end
		for k > start && s.b[k-1] == '\\' {
			k--
		}
		s.i = end + 1
		if (end-k)%2 == 0 {
			raw := s.b[start:end]
			return raw, bytes.IndexByte(raw, '\\') >= 0
		}
	}
}

// skipString consumes the string at the cursor, like rawString without
// looking for escapes.
func (s *scanner) skipString() bool {
	s.i++ // the opening quote
	start := s.i
	for {
		j := bytes.IndexByte(s.b[s.i:], '"')
		if j < 0 {
			s.fail("unterminated string")
			return false
		}
		end := s.i + j
		k := end
		for k > start && s.b[k-1] == '\\' {
			k--
		}
		s.i = end + 1
		if (end-k)%2 == 0 {
			return true
		}
	}
}

// text reads a string value (escapes decoded, invalid UTF-8 replaced) or
// the raw text of a number; null is "" and true. Any other value is skipped
// with false.
func (s *scanner) text() (string, bool) {
	switch c := s.peek(); {
	case c == '"':
		raw, escaped := s.rawString()
		if !s.ok() {
			return "", false
		}
		if !escaped {
			if utf8.Valid(raw) {
				if s.strs != nil {
					return s.strs.String(raw), true
				}
				return string(raw), true
			}
			return strings.ToValidUTF8(string(raw), "\uFFFD"), true
		}
		return convert.Unquote(raw)
	case c == '-' || (c >= '0' && c <= '9'):
		return string(s.value()), true
	case c == 'n':
		s.literal("null")
		return "", s.ok()
	}
	s.value()
	return "", false
}

// raw is a string member as it stands in the answer: the bytes between its
// quotes (or the text of a number), decoded only when needed, so that IDs
// and times cost no allocation on their common path.
type raw struct {
	b       []byte
	escaped bool
}

func (r raw) empty() bool { return len(r.b) == 0 }

// String decodes the member: escapes, and invalid UTF-8 replaced.
func (r raw) String() string {
	if !r.escaped {
		if utf8.Valid(r.b) {
			return string(r.b)
		}
		return strings.ToValidUTF8(string(r.b), "\uFFFD")
	}
	if out, ok := convert.Unquote(r.b); ok {
		return out
	}
	return strings.ToValidUTF8(string(r.b), "\uFFFD")
}

// rawText reads a string or a number member as raw; null is empty and true.
// Any other value is skipped with false.
func (s *scanner) rawText() (raw, bool) {
	switch c := s.peek(); {
	case c == '"':
		b, escaped := s.rawString()
		return raw{b, escaped}, s.ok()
	case c == '-' || (c >= '0' && c <= '9'):
		return raw{b: s.value()}, s.ok()
	case c == 'n':
		s.literal("null")
		return raw{}, s.ok()
	}
	s.value()
	return raw{}, false
}

// isNull reports whether raw is the literal null.
func isNull(raw []byte) bool { return string(raw) == "null" }
