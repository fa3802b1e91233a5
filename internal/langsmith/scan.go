package langsmith

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// scanner reads the runs answer in one pass over the body. Why not
// jsoniter alone: the conversion keeps inputs, outputs, extra, metadata and
// event kwargs as raw JSON, and jsoniter's Skip reads every key of a
// skipped object into a new string; half of the conversion's time went
// there. The scanner slices raw values out of the body without copying and
// compares keys without allocating. Blobs are then decoded by jsoniter
// (convert.ReadValue) where the conversion needs their members.
type scanner struct {
	b   []byte
	i   int
	err error
}

var errSyntax = errors.New("malformed JSON")

func (s *scanner) fail(what string) {
	if s.err == nil {
		s.err = fmt.Errorf("%w: %s at offset %d", errSyntax, what, s.i)
	}
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

// next returns the next non-space byte without consuming it (0 at the end).
func (s *scanner) next() byte {
	s.ws()
	if s.i >= len(s.b) {
		return 0
	}
	return s.b[s.i]
}

// object calls member for each member of an object, with its key's raw
// bytes (escapes left as they are: keys of interest have none); member must
// consume the value. It reports false on a syntax error.
func (s *scanner) object(member func(key []byte) bool) bool {
	if s.next() != '{' {
		s.fail("want an object")
		return false
	}
	s.i++
	if s.next() == '}' {
		s.i++
		return true
	}
	for {
		key, ok := s.rawString()
		if !ok {
			return false
		}
		if s.next() != ':' {
			s.fail("want ':'")
			return false
		}
		s.i++
		if !member(key) || s.err != nil {
			return false
		}
		switch s.next() {
		case ',':
			s.i++
		case '}':
			s.i++
			return true
		default:
			s.fail("want ',' or '}'")
			return false
		}
	}
}

// array calls elem for each element of an array; elem must consume it.
func (s *scanner) array(elem func() bool) bool {
	if s.next() != '[' {
		s.fail("want an array")
		return false
	}
	s.i++
	if s.next() == ']' {
		s.i++
		return true
	}
	for {
		if !elem() || s.err != nil {
			return false
		}
		switch s.next() {
		case ',':
			s.i++
		case ']':
			s.i++
			return true
		default:
			s.fail("want ',' or ']'")
			return false
		}
	}
}

// rawString returns a string's content between its quotes, escapes left as
// they are.
func (s *scanner) rawString() ([]byte, bool) {
	if s.next() != '"' {
		s.fail("want a string")
		return nil, false
	}
	start := s.i + 1
	end := stringEnd(s.b, start)
	if end < 0 {
		s.i = len(s.b)
		s.fail("unterminated string")
		return nil, false
	}
	s.i = end + 1
	return s.b[start:end], true
}

// stringEnd returns the index of the quote that closes the string whose
// content starts at start, -1 if none: the next quote not escaped by an odd
// run of backslashes (found with bytes.IndexByte: contents are long).
func stringEnd(b []byte, start int) int {
	for j := start; j < len(b); {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		n := 0
		for p := q - 1; p >= start && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		j = q + 1
	}
	return -1
}

// str reads a string value; null is "". Another type is kept as its JSON
// text and reported as unexpected.
func (s *scanner) str() (v string, unexpected bool) {
	switch s.next() {
	case '"':
		raw, ok := s.rawString()
		if !ok {
			return "", false
		}
		return unescape(raw), false
	case 'n':
		s.literal("null")
		return "", false
	}
	raw := s.skip()
	return string(raw), s.err == nil
}

// literal consumes true, false or null.
func (s *scanner) literal(word string) {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		s.fail("want " + word)
		return
	}
	s.i += len(word)
}

// number reads a number, or a decimal string (v1 costs); null is unset.
func (s *scanner) number() (n number, unexpected bool) {
	switch c := s.next(); {
	case c == '"':
		raw, ok := s.rawString()
		if !ok {
			return n, false
		}
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(raw), len(raw)), 64) //nolint:gosec // parsed, never kept
		return number{V: f, Set: err == nil}, err != nil
	case c == 'n':
		s.literal("null")
		return n, false
	case c == '-' || c >= '0' && c <= '9':
		raw := s.skip()
		f, err := strconv.ParseFloat(unsafe.String(unsafe.SliceData(raw), len(raw)), 64) //nolint:gosec // parsed, never kept
		return number{V: f, Set: err == nil}, err != nil
	}
	s.skip()
	return n, s.err == nil
}

// skip consumes one value and returns its raw bytes (a slice of the body).
func (s *scanner) skip() []byte {
	c := s.next()
	start := s.i
	switch {
	case c == '"':
		s.rawString()
	case c == '{' || c == '[':
		s.skipNested()
	case c == 't':
		s.literal("true")
	case c == 'f':
		s.literal("false")
	case c == 'n':
		s.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		j := s.i + 1
		for j < len(s.b) && isNumberByte(s.b[j]) {
			j++
		}
		s.i = j
	default:
		s.fail("want a value")
	}
	if s.err != nil {
		return nil
	}
	return s.b[start:s.i]
}

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-'
}

// maxDepth bounds nesting, as decoders do, so that hostile input cannot
// cost more than its length.
const maxDepth = 10000

// skipNested skips an object or array by counting brackets outside
// strings; the structure inside is checked by whoever decodes the blob.
func (s *scanner) skipNested() {
	depth := 0
	for j := s.i; j < len(s.b); j++ {
		switch s.b[j] {
		case '"':
			end := stringEnd(s.b, j+1)
			if end < 0 {
				s.i = len(s.b)
				s.fail("unterminated string")
				return
			}
			j = end
		case '{', '[':
			if depth++; depth > maxDepth {
				s.i = j
				s.fail("nesting too deep")
				return
			}
		case '}', ']':
			if depth--; depth == 0 {
				s.i = j + 1
				return
			}
		}
	}
	s.i = len(s.b)
	s.fail("unterminated object or array")
}

// unescape decodes a JSON string's content. Without escapes it is the
// bytes themselves, not a copy: see bodyString.
func unescape(raw []byte) string {
	k := 0
	for k < len(raw) && raw[k] != '\\' {
		k++
	}
	if k == len(raw) {
		return bodyString(raw)
	}
	out := make([]byte, 0, len(raw))
	out = append(out, raw[:k]...)
	for i := k; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			out = append(out, c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			out = append(out, '\n')
		case 't':
			out = append(out, '\t')
		case 'r':
			out = append(out, '\r')
		case 'b':
			out = append(out, '\b')
		case 'f':
			out = append(out, '\f')
		case 'u':
			r, n := decodeU(raw[i+1:])
			out = utf8.AppendRune(out, r)
			i += n
		default: // \" \\ \/ and anything else: the character itself
			out = append(out, raw[i])
		}
	}
	return string(out)
}

// decodeU decodes the hex of a \u escape (and a following low surrogate);
// it returns the rune and how many bytes it used.
func decodeU(b []byte) (rune, int) {
	r, ok := hex4(b)
	if !ok {
		return utf8.RuneError, 0
	}
	if utf16.IsSurrogate(r) {
		if len(b) >= 10 && b[4] == '\\' && b[5] == 'u' {
			if r2, ok := hex4(b[6:]); ok {
				if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
					return d, 10
				}
			}
		}
		return utf8.RuneError, 4
	}
	return r, 4
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		d := unhex(c)
		if d > 15 {
			return 0, false
		}
		r = r<<4 | rune(d)
	}
	return r, true
}

// bodyString returns b as a string without copying. b is part of an API
// answer's body, which nothing writes to once it has been read: the strings
// of a converted trace share its memory instead of copying every id, name,
// time and, above all, the inputs and outputs kept as JSON text. The body
// lives as long as one of them does.
func bodyString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // a read-only view, see above
}

// strValue reads a string value (the next value must be a string).
func (s *scanner) strValue() string {
	raw, ok := s.rawString()
	if !ok {
		return ""
	}
	return unescape(raw)
}
