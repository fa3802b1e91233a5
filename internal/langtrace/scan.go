package langtrace

import (
	"bytes"
	"fmt"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// Langtrace nests JSON documents inside JSON strings two and three levels
// deep (the events column holds prompts that are JSON strings again), so
// most of the bytes of a response are escaped string content. scanner is a
// small pull parser over a byte slice that finds string ends and unescapes
// with bulk copies, hands out unescaped strings without copying where it
// can, and decodes values straight into pcommon.

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

// maxDepth bounds nesting, as encoding/json does.
const maxDepth = 10000

// scanner reads one JSON document. After an error every read returns a
// zero value and loops end; err reports the first error.
type scanner struct {
	buf   []byte
	pos   int
	depth int
	// first is set by open and cleared by the first call to more: every
	// container is read to its end before its parent's next more, so one
	// flag serves all levels.
	first bool
	err   error
	// scratch receives unescaped strings that are only looked at (keys,
	// timestamps) or copied at once; the bytes are valid until the next
	// read.
	scratch []byte
}

func (s *scanner) reset(b []byte) {
	*s = scanner{buf: b, scratch: reuse(s.scratch)}
}

// maxReusedBuffer bounds the buffers kept from one read to the next, so that
// one huge value does not pin its memory.
const maxReusedBuffer = 1 << 20

// reuse empties a buffer for the next read, or drops it when it grew large.
func reuse(b []byte) []byte {
	if cap(b) > maxReusedBuffer {
		return nil
	}
	return b[:0]
}

// fail records the first error and stops the scan.
func (s *scanner) fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("offset %d: "+format, append([]any{s.pos}, args...)...)
	}
	s.pos = len(s.buf)
}

// ws skips whitespace and returns the next byte, 0 at the end.
func (s *scanner) ws() byte {
	for s.pos < len(s.buf) {
		switch c := s.buf[s.pos]; c {
		case ' ', '\t', '\n', '\r':
			s.pos++
		default:
			return c
		}
	}
	return 0
}

// peek returns the kind of the next value without reading it.
func (s *scanner) peek() kind {
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

// done reports whether only whitespace is left after a complete value.
func (s *scanner) done() error {
	if s.err != nil {
		return s.err
	}
	if s.ws() != 0 {
		s.fail("data after the top-level value")
		return s.err
	}
	return nil
}

// open enters an object ('{') or array ('['). A null is read and gives
// false without error; anything else is an error.
func (s *scanner) open(c byte) bool {
	switch s.ws() {
	case c:
		s.depth++
		if s.depth > maxDepth {
			s.fail("nesting deeper than %d", maxDepth)
			return false
		}
		s.pos++
		s.first = true
		return true
	case 'n':
		s.null()
		return false
	}
	if s.err == nil {
		s.fail("expected %q", c)
	}
	return false
}

// more reports whether the container opened with open has another element
// (for objects: member); it consumes the separator or the closing byte.
func (s *scanner) more(closing byte) bool {
	c := s.ws()
	if s.first {
		s.first = false
		switch {
		case c == closing:
			s.pos++
			s.depth--
			return false
		case s.pos >= len(s.buf):
			s.fail("unexpected end of input")
			return false
		}
		return s.err == nil
	}
	switch c {
	case ',':
		s.pos++
		return true
	case closing:
		s.pos++
		s.depth--
		return false
	}
	if s.err == nil {
		s.fail("expected ',' or %q", closing)
	}
	return false
}

// key reads an object member's key and the colon after it. The bytes are
// valid until the next read.
func (s *scanner) key() []byte {
	k := s.scratchString()
	if s.ws() != ':' {
		if s.err == nil {
			s.fail("expected ':'")
		}
		return nil
	}
	s.pos++
	return k
}

// scratchString reads a string value that is only looked at: the bytes are
// valid until the next read.
func (s *scanner) scratchString() []byte {
	out, buf := s.readString(s.scratch[:0])
	s.scratch = buf
	return out
}

// str reads a string value into a new string.
func (s *scanner) str() string {
	out, buf := s.readString(s.scratch[:0])
	s.scratch = buf
	return string(out)
}

// text reads a string value. The bytes alias the input or a new buffer and
// stay valid as long as the input does; they must not be modified.
func (s *scanner) text() []byte {
	out, _ := s.readString(nil)
	return out
}

// textInto reads a string value, unescaping into *arena when needed (by
// appending: earlier results stay valid). The bytes must not be modified.
func (s *scanner) textInto(arena *[]byte) []byte {
	out, buf := s.readString(*arena)
	*arena = buf
	return out
}

// readString reads a string value in one pass. Content without escapes is
// returned as a slice of the input; escaped content is unescaped and
// appended to dst, and out is the appended part of the returned buf.
// Invalid UTF-8 is replaced by U+FFFD in a new buffer.
func (s *scanner) readString(dst []byte) (out, buf []byte) {
	if s.ws() != '"' {
		if s.err == nil {
			s.fail("expected a string")
		}
		return nil, dst
	}
	b := s.buf
	start := s.pos + 1
	q := bytes.IndexByte(b[start:], '"')
	if q < 0 {
		s.fail("unterminated string")
		return nil, dst
	}
	q += start
	i := bytes.IndexByte(b[start:q], '\\')
	if i < 0 {
		s.pos = q + 1
		return validUTF8(b[start:q]), dst
	}
	from := len(dst)
	dst = append(dst, b[start:start+i]...)
	i += start
	for {
		// b[i] is a backslash.
		n, ok := 0, false
		dst, n, ok = appendEscape(dst, b[i:])
		if !ok {
			s.fail("invalid escape in string")
			return nil, dst
		}
		i += n
		if q < i { // that quote was escaped
			j := bytes.IndexByte(b[i:], '"')
			if j < 0 {
				s.fail("unterminated string")
				return nil, dst
			}
			q = i + j
		}
		j := bytes.IndexByte(b[i:q], '\\')
		if j < 0 {
			dst = append(dst, b[i:q]...)
			s.pos = q + 1
			return validUTF8(dst[from:]), dst
		}
		dst = append(dst, b[i:i+j]...)
		i += j
	}
}

// validUTF8 returns b, or a copy with invalid UTF-8 replaced by U+FFFD.
func validUTF8(b []byte) []byte {
	if utf8.Valid(b) {
		return b
	}
	return bytes.ToValidUTF8(b, []byte("\uFFFD"))
}

// stringEnd finds the closing quote of the string whose content starts at
// start, and whether the content has escapes.
func stringEnd(b []byte, start int) (end int, escaped, ok bool) {
	i := start
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, false, false
		}
		q := i + j
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for k := q - 1; k >= start && b[k] == '\\'; k-- {
			n++
		}
		if n > 0 {
			escaped = true
		}
		if n%2 == 0 {
			if !escaped && bytes.IndexByte(b[start:q], '\\') >= 0 {
				escaped = true
			}
			return q, escaped, true
		}
		i = q + 1
	}
}

// appendEscape decodes the escape sequence at the start of e (which starts
// with a backslash), appends it to dst and reports its length. A \u escape
// of a UTF-16 surrogate pair takes both halves; a lone surrogate becomes
// U+FFFD.
func appendEscape(dst, e []byte) ([]byte, int, bool) {
	if len(e) < 2 {
		return dst, 0, false
	}
	switch c := e[1]; c {
	case '"', '\\', '/':
		return append(dst, c), 2, true
	case 'b':
		return append(dst, '\b'), 2, true
	case 'f':
		return append(dst, '\f'), 2, true
	case 'n':
		return append(dst, '\n'), 2, true
	case 'r':
		return append(dst, '\r'), 2, true
	case 't':
		return append(dst, '\t'), 2, true
	case 'u':
		r, ok := hex4(e[2:])
		if !ok {
			return dst, 0, false
		}
		n := 6
		if utf16.IsSurrogate(r) {
			r2, ok2 := rune(-1), false
			if len(e) >= 12 && e[6] == '\\' && e[7] == 'u' {
				r2, ok2 = hex4(e[8:])
			}
			if dec := utf16.DecodeRune(r, r2); ok2 && dec != utf8.RuneError {
				r, n = dec, 12
			} else {
				r = utf8.RuneError
			}
		}
		return utf8.AppendRune(dst, r), n, true
	}
	return dst, 0, false
}

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
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// num reads a number literal; the bytes alias the input.
func (s *scanner) num() []byte {
	s.ws()
	start := s.pos
	for s.pos < len(s.buf) {
		c := s.buf[s.pos]
		if (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E' {
			s.pos++
			continue
		}
		break
	}
	if s.pos == start {
		s.fail("expected a number")
		return nil
	}
	return s.buf[start:s.pos]
}

func (s *scanner) literal(word string) bool {
	if !bytes.HasPrefix(s.buf[s.pos:], []byte(word)) {
		s.fail("invalid literal")
		return false
	}
	s.pos += len(word)
	return true
}

func (s *scanner) boolean() bool {
	if s.ws() == 't' {
		return s.literal("true")
	}
	s.literal("false")
	return false
}

func (s *scanner) null() {
	s.ws()
	s.literal("null")
}

// skip reads and discards the next value.
func (s *scanner) skip() {
	switch s.peek() {
	case kindString:
		s.ws()
		end, _, ok := stringEnd(s.buf, s.pos+1)
		if !ok {
			s.fail("unterminated string")
			return
		}
		s.pos = end + 1
	case kindNumber:
		s.num()
	case kindBool:
		s.boolean()
	case kindNull:
		s.null()
	case kindObject:
		if s.open('{') {
			for s.more('}') {
				s.key()
				s.skip()
			}
		}
	case kindArray:
		if s.open('[') {
			for s.more(']') {
				s.skip()
			}
		}
	default:
		if s.err == nil {
			if s.pos >= len(s.buf) {
				s.fail("unexpected end of input")
			} else {
				s.fail("unexpected character %q", s.buf[s.pos])
			}
		}
	}
}

// value decodes the next value into dest with convert.PutJSON's typing:
// integer literals that fit int64 are Int, other numbers Double (the
// literal as Str beyond float64), strings Str, booleans Bool, null empty,
// arrays Slice and objects Map in document order (a repeated key keeps its
// last value).
func (s *scanner) value(dest pcommon.Value, keys *interner) {
	switch s.peek() {
	case kindString:
		dest.SetStr(s.str())
	case kindNumber:
		setNumber(dest, s.num(), s)
	case kindBool:
		dest.SetBool(s.boolean())
	case kindNull:
		s.null()
	case kindArray:
		sl := dest.SetEmptySlice()
		if s.open('[') {
			for s.more(']') {
				s.value(sl.AppendEmpty(), keys)
			}
		}
	case kindObject:
		s.members(dest.SetEmptyMap(), keys)
	default:
		s.skip() // records the error
	}
}

// members decodes the object at the scanner into dest, member by member.
// On an error the member being decoded is removed and the ones before it
// are kept.
func (s *scanner) members(dest pcommon.Map, keys *interner) {
	if !s.open('{') {
		return
	}
	for s.more('}') {
		kb := s.key()
		if s.err != nil {
			return
		}
		k := keys.get(kb)
		s.value(dest.PutEmpty(k), keys)
		if s.err != nil {
			dest.Remove(k)
			return
		}
	}
}

// setNumber stores the number literal lit in dest.
func setNumber(dest pcommon.Value, lit []byte, s *scanner) {
	if !convert.SetNumber(dest, lit) {
		s.fail("invalid number %q", lit)
	}
}

// interner returns one shared string per distinct attribute key: keys
// repeat on every span, so the conversion allocates each once. It stops
// growing at maxInterned keys.
type interner struct {
	m map[string]string
}

const (
	maxInterned    = 4096
	maxInternedLen = 128
)

func (in *interner) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok {
		return s
	}
	s := string(b)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < maxInterned && len(s) <= maxInternedLen {
		in.m[s] = s
	}
	return s
}

// unsafeString views b as a string without copying. b must never be
// modified afterwards.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // read-only view, see above
}
