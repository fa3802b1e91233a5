package langwatch

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	jsoniter "github.com/json-iterator/go"
)

// A search answer with spans is mostly values the receiver keeps as they
// are (typed inputs and outputs as JSON text) or reads member by member
// (params). jsoniter's strict Skip parses every key it skips into a new
// string, which made skipping those values the largest cost of a page.
// scanner is a small pull reader over one JSON document that walks its
// structure without allocating: member keys come as byte slices into the
// document, values are skipped by a byte scan, and raw values are
// sub-slices of the document. Leaf values with escapes go through jsoniter;
// attribute values through convert.ReadValue.

// kind is the type of the next JSON value.
type kind uint8

const (
	kindInvalid kind = iota
	kindString
	kindNumber
	kindObject
	kindArray
	kindBool
	kindNull
)

// maxScanDepth bounds nesting.
const maxScanDepth = 10000

// errEnd is the error of a document that ends early.
var errEnd = errors.New("unexpected end of JSON input")

// scanner reads one JSON document. After an error every read returns a
// zero value and loops end; err is the first error.
type scanner struct {
	b     []byte
	i     int
	depth int
	err   error
	// stack holds the closers of the containers skip is inside.
	stack []byte
	iter  *jsoniter.Iterator // for strings with escapes
}

func (s *scanner) reset(b []byte) {
	s.b, s.i, s.depth, s.err = b, 0, 0, nil
}

func (s *scanner) fail(err error) {
	if s.err == nil {
		s.err = fmt.Errorf("offset %d: %w", s.i, err)
	}
	s.i = len(s.b)
}

func (s *scanner) failf(format string, args ...any) { s.fail(fmt.Errorf(format, args...)) }

// ws skips whitespace and returns the next byte, 0 at the end.
func (s *scanner) ws() byte {
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

// next is the kind of the next value.
func (s *scanner) next() kind {
	switch c := s.ws(); {
	case c == '"':
		return kindString
	case c == '{':
		return kindObject
	case c == '[':
		return kindArray
	case c == 't' || c == 'f':
		return kindBool
	case c == 'n':
		return kindNull
	case c == '-' || (c >= '0' && c <= '9'):
		return kindNumber
	}
	return kindInvalid
}

// finish checks that nothing but whitespace follows the document.
func (s *scanner) finish() error {
	if s.err == nil && s.ws() != 0 {
		s.failf("data after the top-level value")
	}
	return s.err
}

// object calls fn for each member of the object at the scanner, with the
// member's key (valid until the next read; keys with escapes come
// unescaped); fn must read or skip the value. A false return from fn stops
// at once (the rest of the object is not read).
func (s *scanner) object(fn func(key []byte) bool) {
	if s.ws() != '{' {
		s.failf("want an object")
		return
	}
	if s.depth++; s.depth > maxScanDepth {
		s.failf("nested too deep")
		return
	}
	s.members(fn)
	s.depth--
}

// members is object's loop, from its opening brace.
func (s *scanner) members(fn func(key []byte) bool) {
	s.i++
	if s.ws() == '}' {
		s.i++
		return
	}
	for s.err == nil {
		key := s.key()
		if s.ws() != ':' {
			s.failf("want ':' after an object key")
			return
		}
		s.i++
		if !fn(key) || s.err != nil {
			return
		}
		switch s.ws() {
		case ',':
			s.i++
		case '}':
			s.i++
			return
		case 0:
			s.fail(errEnd)
		default:
			s.failf("want ',' or '}' in an object")
		}
	}
}

// key reads a member key.
func (s *scanner) key() []byte {
	if s.ws() != '"' {
		s.failf("want an object key")
		return nil
	}
	start, end, escaped := s.stringEnd()
	if s.err != nil {
		return nil
	}
	if !escaped {
		return s.b[start:end]
	}
	return []byte(s.unescape(start, end))
}

// array calls fn for each element of the array at the scanner; fn must
// read or skip the element. A false return from fn stops at once.
func (s *scanner) array(fn func() bool) {
	if s.ws() != '[' {
		s.failf("want an array")
		return
	}
	if s.depth++; s.depth > maxScanDepth {
		s.failf("nested too deep")
		return
	}
	s.elements(fn)
	s.depth--
}

// elements is array's loop, from its opening bracket.
func (s *scanner) elements(fn func() bool) {
	s.i++
	if s.ws() == ']' {
		s.i++
		return
	}
	for s.err == nil {
		if !fn() || s.err != nil {
			return
		}
		switch s.ws() {
		case ',':
			s.i++
		case ']':
			s.i++
			return
		case 0:
			s.fail(errEnd)
		default:
			s.failf("want ',' or ']' in an array")
		}
	}
}

// stringEnd finds the string at s.i (at its opening quote): its content is
// b[start:end]; the scanner moves past the closing quote.
func (s *scanner) stringEnd() (start, end int, escaped bool) {
	start, end, escaped, _ = s.stringEndASCII()
	return start, end, escaped
}

// stringEndASCII is stringEnd that also tells a content known to be ASCII
// (see scanString).
func (s *scanner) stringEndASCII() (start, end int, escaped, ascii bool) {
	start = s.i + 1
	q, escaped, ascii := scanString(s.b, start)
	if q < 0 {
		s.fail(errEnd)
		return start, start, false, false
	}
	s.i = q + 1
	return start, q, escaped, ascii
}

// skipString moves past the string at s.i (at its opening quote).
func (s *scanner) skipString() {
	q := closingQuote(s.b, s.i+1)
	if q < 0 {
		s.fail(errEnd)
		return
	}
	s.i = q + 1
}

// unescape decodes the string content b[start:end] that has escapes.
func (s *scanner) unescape(start, end int) string {
	if s.iter == nil {
		s.iter = jsoniter.NewIterator(jsonAPI)
	}
	s.iter.ResetBytes(s.b[start-1 : end+1])
	s.iter.Error = nil
	v := s.iter.ReadString()
	if s.iter.Error != nil && s.iter.Error.Error() != "EOF" {
		s.failf("invalid string: %v", s.iter.Error)
		return ""
	}
	return v
}

// str reads a string; null is "" (ok true); another type is skipped and
// gives its JSON text with ok false.
func (s *scanner) str() (v string, ok bool) { return s.readString(false) }

// view is str without a copy for a string without escapes: the value
// shares the document's memory, so it must not outlive the document (ids
// that are only hashed, text that is rendered again at once, keys of
// lookups).
func (s *scanner) view() (v string, ok bool) { return s.readString(true) }

func (s *scanner) readString(shared bool) (v string, ok bool) {
	switch s.next() {
	case kindString:
		start, end, escaped, ascii := s.stringEndASCII()
		if s.err != nil {
			return "", false
		}
		switch {
		case escaped:
			v = s.unescape(start, end)
		case shared:
			v = bytesView(s.b[start:end])
		default:
			v = string(s.b[start:end])
		}
		if !ascii && !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		return v, true
	case kindNull:
		s.skip()
		return "", true
	}
	return string(s.raw()), false
}

// ref locates a string the decoder read: in the answer, or (its value
// once unescaped) in the decoder's text slab. Offsets, not pointers: the
// garbage collector need not look at the thousands an answer has, and
// they stay valid when the slab grows.
type ref struct {
	start, end uint32
	inText     bool
}

// textRef reads the string at the scanner (the caller checked its kind)
// as str reads it, as a ref: a string without escapes that is valid UTF-8
// is where it is in the answer; any other is unescaped into text.
func (s *scanner) textRef(text *[]byte) ref {
	at := s.i
	start, end, escaped, ascii := s.stringEndASCII()
	switch {
	case s.err != nil:
		return ref{}
	case !escaped && (ascii || utf8.Valid(s.b[start:end])):
		return ref{start: uint32(start), end: uint32(end)} //nolint:gosec // an answer is far below 4 GiB
	case escaped:
		n := len(*text)
		if b, ok := appendUnescaped(*text, s.b[start:end]); ok && utf8.Valid(b[n:]) {
			*text = b
			return ref{start: uint32(n), end: uint32(len(b)), inText: true} //nolint:gosec // as above
		}
	}
	s.i = at // the general reading: jsoniter's unescaping, invalid UTF-8 replaced
	v, _ := s.view()
	n := len(*text)
	*text = append(*text, v...)
	return ref{start: uint32(n), end: uint32(len(*text)), inText: true} //nolint:gosec // as above
}

// appendUnescaped appends the value of a JSON string's content with the
// usual escapes; false for an escape whose reading jsoniter may differ on
// (a surrogate, a malformed escape), left to unescape.
func appendUnescaped(dst, raw []byte) ([]byte, bool) {
	for i := 0; i < len(raw); {
		k := bytes.IndexByte(raw[i:], '\\')
		if k < 0 {
			return append(dst, raw[i:]...), true
		}
		dst = append(dst, raw[i:i+k]...)
		i += k
		if i+1 >= len(raw) {
			return dst, false
		}
		switch c := raw[i+1]; c {
		case '"', '\\', '/':
			dst = append(dst, c)
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(raw[i+2:])
			if !ok || utf16.IsSurrogate(r) {
				return dst, false
			}
			dst = utf8.AppendRune(dst, r)
			i += 6
			continue
		default:
			return dst, false
		}
		i += 2
	}
	return dst, true
}

// hex4 reads the 4 hex digits of a \u escape.
func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range b[:4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// bytesView is b as a string without a copy; see view.
func bytesView(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // a read-only view of the document, see view
}

// number reads a number; ok is false for null and for another type (which
// is skipped; bad tells the two apart).
func (s *scanner) number() (v float64, ok, bad bool) {
	switch s.next() {
	case kindNumber:
		raw := s.raw()
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return 0, false, true
		}
		return f, true, false
	case kindNull:
		s.skip()
		return 0, false, false
	}
	s.skip()
	return 0, false, true
}

// boolean reads true or false; ok and bad as for number.
func (s *scanner) boolean() (v, ok, bad bool) {
	switch s.next() {
	case kindBool:
		raw := s.raw()
		return string(raw) == "true", true, false
	case kindNull:
		s.skip()
		return false, false, false
	}
	s.skip()
	return false, false, true
}

// raw skips the next value and returns its bytes (a sub-slice of the
// document).
func (s *scanner) raw() []byte {
	s.ws()
	start := s.i
	s.skip()
	if s.err != nil {
		return nil
	}
	return s.b[start:s.i]
}

// skip moves past the next value. Containers are matched bracket by bracket
// and strings to their closing quote; literals and numbers run to the next
// delimiter (what they contain is not checked here: only values the
// receiver reads are decoded, and that decoding checks them).
func (s *scanner) skip() {
	switch c := s.ws(); c {
	case 0:
		s.fail(errEnd)
		return
	case '"':
		s.skipString()
		return
	case '{', '[':
		s.skipContainer()
	case '}', ']', ',', ':':
		s.failf("unexpected %q", c)
	default:
		s.literal()
	}
}

// skipStop marks the bytes skipContainer stops at; it passes over every
// other byte (commas, colons, literals, whitespace) in a tight loop.
var skipStop = [256]bool{'"': true, '{': true, '}': true, '[': true, ']': true}

// skipContainer moves past the object or array at s.i.
func (s *scanner) skipContainer() {
	b, i := s.b, s.i
	stack := s.stack[:0]
	defer func() { s.stack = stack }()
	for i < len(b) {
		c := b[i]
		if !skipStop[c] {
			i++
			continue
		}
		switch c {
		case '"':
			q := closingQuote(b, i+1)
			if q < 0 {
				s.i = i
				s.fail(errEnd)
				return
			}
			i = q + 1
			continue
		case '{':
			stack = append(stack, '}')
		case '[':
			stack = append(stack, ']')
		default: // '}', ']'
			if len(stack) == 0 || stack[len(stack)-1] != c {
				s.i = i
				s.failf("unexpected %q", c)
				return
			}
			stack = stack[:len(stack)-1]
			if len(stack) == 0 {
				s.i = i + 1
				return
			}
		}
		if len(stack) > maxScanDepth {
			s.i = i
			s.failf("nested too deep")
			return
		}
		i++
	}
	s.i = i
	s.fail(errEnd)
}

// literal moves past a number, true, false or null.
func (s *scanner) literal() {
	start := s.i
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ',', '}', ']', ' ', '\t', '\n', '\r', ':', '"', '{', '[':
			if s.i == start {
				s.failf("unexpected %q", s.b[s.i])
			}
			return
		}
		s.i++
	}
	if s.i == start {
		s.fail(errEnd)
	}
}
