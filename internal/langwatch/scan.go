package langwatch

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

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
	defer func() { s.depth-- }()
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
	defer func() { s.depth-- }()
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
	start = s.i + 1
	for j := start; ; {
		k := bytes.IndexByte(s.b[j:], '"')
		if k < 0 {
			s.fail(errEnd)
			return start, start, false
		}
		q := j + k
		bs := 0
		for p := q - 1; p >= start && s.b[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			escaped = escaped || bytes.IndexByte(s.b[start:q], '\\') >= 0
			s.i = q + 1
			return start, q, escaped
		}
		escaped = true
		j = q + 1
	}
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
func (s *scanner) str() (v string, ok bool) {
	switch s.next() {
	case kindString:
		start, end, escaped := s.stringEnd()
		if s.err != nil {
			return "", false
		}
		if escaped {
			v = s.unescape(start, end)
		} else {
			v = string(s.b[start:end])
		}
		if !utf8.ValidString(v) {
			v = strings.ToValidUTF8(v, "\uFFFD")
		}
		return v, true
	case kindNull:
		s.skip()
		return "", true
	}
	return string(s.raw()), false
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
		s.stringEnd()
		return
	case '{', '[':
	case '}', ']', ',', ':':
		s.failf("unexpected %q", c)
		return
	default:
		s.literal()
		return
	}
	s.stack = s.stack[:0]
	for s.i < len(s.b) {
		switch c := s.b[s.i]; c {
		case '"':
			s.stringEnd()
			if s.err != nil {
				return
			}
			continue
		case '{':
			s.stack = append(s.stack, '}')
		case '[':
			s.stack = append(s.stack, ']')
		case '}', ']':
			if len(s.stack) == 0 || s.stack[len(s.stack)-1] != c {
				s.failf("unexpected %q", c)
				return
			}
			s.stack = s.stack[:len(s.stack)-1]
			if len(s.stack) == 0 {
				s.i++
				return
			}
		}
		if len(s.stack) > maxScanDepth {
			s.failf("nested too deep")
			return
		}
		s.i++
	}
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
