package convert

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Scanner is a pull parser over one JSON document held in a byte slice. It
// is the decoder behind PutJSON and JSONToMap, and vendors whose answers
// nest JSON documents in strings, or mix structure and attribute values, use
// it to read an answer in one pass:
//
//   - structure is walked without allocating: member keys and strings
//     without escapes are slices of the input; escapes are decoded with bulk
//     copies into a buffer reused from read to read;
//   - Value and Members decode straight into pdata with PutJSON's typing;
//     member keys are interned (they repeat from span to span), so a
//     conversion allocates each key once.
//
// After an error every read returns a zero value and loops end; Err reports
// the first error. A Scanner is used by one goroutine; Reset points it at
// the next document and keeps its buffers and interned keys.
type Scanner struct {
	// Strict applies encoding/json's rules, as PutJSON does: a control
	// character in a string and a number beyond the float64 range are
	// errors, and each invalid UTF-8 byte becomes U+FFFD. Otherwise (the
	// rules of Langtrace's reader) control characters are kept, a number
	// beyond float64 is kept as its literal text (Str), and each run of
	// invalid bytes becomes one U+FFFD.
	Strict bool
	// MaxDepth bounds nesting (0: 10000, as encoding/json and jsoniter).
	MaxDepth int
	// Strings, when set, makes the strings of Str and Value (attribute
	// values), so that they share allocations.
	Strings *Strings

	buf   []byte
	pos   int
	depth int
	// first is set by Open and cleared by the first call to More: every
	// container is read to its end before its parent's next More, so one
	// flag serves all levels.
	first bool
	err   error
	// scratch receives unescaped strings that are only looked at (keys,
	// timestamps) or copied at once; the bytes are valid until the next
	// read.
	scratch []byte
	keys    map[string]string
}

// Kind is the type of the next JSON value.
type Kind uint8

// The kinds of JSON values; KindInvalid is anything else (or the end).
const (
	KindInvalid Kind = iota
	KindString
	KindNumber
	KindObject
	KindArray
	KindBool
	KindNull
)

// maxDepth bounds nesting, as encoding/json and jsoniter do.
const maxDepth = 10000

// maxReusedBuffer bounds the buffers kept from one document to the next,
// so that one huge value does not pin its memory.
const maxReusedBuffer = 1 << 20

// Interning bounds: keys are data, so the table stops growing.
const (
	maxInterned    = 4096
	maxInternedLen = 128
)

// Reset points s at the document b, keeping its settings (Strict,
// MaxDepth, Strings), the reused buffer and the interned keys.
func (s *Scanner) Reset(b []byte) {
	*s = Scanner{Strict: s.Strict, MaxDepth: s.MaxDepth, Strings: s.Strings, buf: b, scratch: Reuse(s.scratch), keys: s.keys}
}

// Reuse empties a buffer for the next document, or drops it when it grew
// large.
func Reuse(b []byte) []byte {
	if cap(b) > maxReusedBuffer {
		return nil
	}
	return b[:0]
}

// Pos is the offset of the next byte to read.
func (s *Scanner) Pos() int { return s.pos }

// Err is the first error of the scan.
func (s *Scanner) Err() error { return s.err }

// Fail records an error (the first one is kept) and ends the scan.
func (s *Scanner) Fail(format string, args ...any) {
	if s.err == nil {
		s.err = fmt.Errorf("offset %d: "+format, append([]any{s.pos}, args...)...)
	}
	s.pos = len(s.buf)
}

// ws skips whitespace and returns the next byte, 0 at the end.
func (s *Scanner) ws() byte {
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

// Peek returns the kind of the next value without reading it.
func (s *Scanner) Peek() Kind {
	switch c := s.ws(); {
	case c == '"':
		return KindString
	case c == '{':
		return KindObject
	case c == '[':
		return KindArray
	case c == 't' || c == 'f':
		return KindBool
	case c == 'n':
		return KindNull
	case c == '-' || (c >= '0' && c <= '9'):
		return KindNumber
	}
	return KindInvalid
}

// Done reports the scan's error, or an error when anything but whitespace
// follows the top-level value.
func (s *Scanner) Done() error {
	if s.err != nil {
		return s.err
	}
	if s.ws() != 0 || s.pos < len(s.buf) {
		s.Fail("data after the top-level value")
		return s.err
	}
	return nil
}

// Open enters an object ('{') or array ('['). A null is read and gives
// false without error; anything else is an error.
func (s *Scanner) Open(c byte) bool {
	switch s.ws() {
	case c:
		s.depth++
		if limit := cmp.Or(s.MaxDepth, maxDepth); s.depth > limit {
			s.Fail("nesting deeper than %d", limit)
			return false
		}
		s.pos++
		s.first = true
		return true
	case 'n':
		s.Null()
		return false
	}
	if s.err == nil {
		s.Fail("expected %q", c)
	}
	return false
}

// More reports whether the container entered with Open has another element
// (for objects: member); it consumes the separator or the closing byte.
func (s *Scanner) More(closing byte) bool {
	c := s.ws()
	if s.first {
		s.first = false
		switch {
		case c == closing:
			s.pos++
			s.depth--
			return false
		case s.pos >= len(s.buf):
			s.Fail("unexpected end of input")
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
		s.Fail("expected ',' or %q", closing)
	}
	return false
}

// Key reads an object member's key and the colon after it. The bytes are
// valid until the next read.
func (s *Scanner) Key() []byte {
	k := s.Bytes()
	if s.ws() != ':' {
		if s.err == nil {
			s.Fail("expected ':'")
		}
		return nil
	}
	s.pos++
	return k
}

// Bytes reads a string value that is only looked at: the bytes are valid
// until the next read.
func (s *Scanner) Bytes() []byte {
	out, buf := s.readString(s.scratch[:0])
	s.scratch = buf
	return out
}

// Str reads a string value into a new string (from Strings when set).
func (s *Scanner) Str() string {
	out, buf := s.readString(s.scratch[:0])
	s.scratch = buf
	if s.Strings != nil {
		return s.Strings.String(out)
	}
	return string(out)
}

// Text reads a string value. The bytes alias the input or a new buffer and
// stay valid as long as the input does; they must not be modified.
func (s *Scanner) Text() []byte {
	out, _ := s.readString(nil)
	return out
}

// TextInto reads a string value, unescaping into *arena when needed (by
// appending: earlier results stay valid). The bytes must not be modified.
func (s *Scanner) TextInto(arena *[]byte) []byte {
	out, buf := s.readString(*arena)
	*arena = buf
	return out
}

// readString reads a string value in one pass. Content without escapes is
// returned as a slice of the input; escaped content is unescaped and
// appended to dst, and out is the appended part of the returned buf.
// Invalid UTF-8 is replaced in a new buffer.
func (s *Scanner) readString(dst []byte) (out, buf []byte) {
	if s.ws() != '"' {
		if s.err == nil {
			s.Fail("expected a string")
		}
		return nil, dst
	}
	b := s.buf
	start := s.pos + 1
	i, ascii := stringSpecial(b, start, s.Strict)
	if i < len(b) && b[i] == '"' {
		s.pos = i + 1
		return s.validUTF8(b[start:i], ascii), dst
	}
	return s.unescape(dst, start, i, ascii)
}

// unescape is readString for content with escapes (or control
// characters): b[i] is the first special byte after start. It unescapes
// run by run; the escapes of nested JSON (\" and \\) come every few
// bytes and are handled inline.
func (s *Scanner) unescape(dst []byte, start, i int, ascii bool) (out, buf []byte) {
	b := s.buf
	from := len(dst)
	dst = append(dst, b[start:i]...)
	for i < len(b) {
		switch c := b[i]; {
		case c == '"':
			s.pos = i + 1
			return s.validUTF8(dst[from:], ascii), dst
		case c != '\\': // a control character
			if s.Strict {
				s.pos = i
				s.Fail("control character %#02x in string", c)
				return nil, dst
			}
			dst = append(dst, c)
			i++
		case i+1 < len(b) && (b[i+1] == '"' || b[i+1] == '\\'):
			dst = append(dst, b[i+1])
			i += 2
		default:
			n, ok := 0, false
			dst, n, ok = appendEscape(dst, b[i:])
			if !ok {
				s.Fail("invalid escape in string")
				return nil, dst
			}
			i += n
		}
		j, a := stringSpecial(b, i, s.Strict)
		ascii = ascii && a
		dst = append(dst, b[i:j]...)
		i = j
	}
	if s.err == nil {
		s.Fail("unterminated string")
	}
	return nil, dst
}

// SWAR constants: one bit or byte value in every byte of a word.
const (
	lsbs = 0x0101010101010101
	msbs = 0x8080808080808080
)

// stringSpecial returns the index of the first byte of b at or after i that
// ends a run of plain string content, a quote or a backslash (len(b) when
// there is none), and whether the bytes before it are all ASCII (false may
// also mean "not known"). It stops at control characters too when ctl is
// set, and may stop at them otherwise.
//
// It tests eight bytes at a time: the escapes of nested JSON come every few
// bytes, where calling bytes.IndexByte twice per run costs more than the
// run. Runs longer than 64 bytes switch to IndexByte.
func stringSpecial(b []byte, i int, ctl bool) (int, bool) {
	ascii := true
	for n := 0; i+8 <= len(b); i, n = i+8, n+1 {
		if n == 8 {
			return longSpecial(b, i, ctl)
		}
		x := binary.LittleEndian.Uint64(b[i:])
		q := x ^ (lsbs * '"')
		e := x ^ (lsbs * '\\')
		// A byte is flagged when it is 0 in q or e, or below 0x20 in x;
		// the lowest flag is exact (borrows only run upwards).
		m := ((q - lsbs) &^ q) | ((e - lsbs) &^ e) | ((x - lsbs*0x20) &^ x)
		m &= msbs
		if x&msbs != 0 {
			ascii = false
		}
		if m != 0 {
			return i + bits.TrailingZeros64(m)/8, ascii
		}
	}
	for ; i < len(b); i++ {
		switch c := b[i]; {
		case c == '"' || c == '\\' || c < 0x20:
			return i, ascii
		case c >= 0x80:
			ascii = false
		}
	}
	return len(b), ascii
}

// longSpecial is stringSpecial for a long run: the next quote and the next
// backslash are found with bytes.IndexByte, control characters before them
// eight bytes at a time.
func longSpecial(b []byte, i int, ctl bool) (int, bool) {
	q := bytes.IndexByte(b[i:], '"')
	if q < 0 {
		q = len(b)
	} else {
		q += i
	}
	run := b[i:q]
	if e := bytes.IndexByte(run, '\\'); e >= 0 {
		run = run[:e]
	}
	if ctl {
		if k := controlIndex(run); k >= 0 {
			return i + k, false
		}
	}
	return i + len(run), false
}

// controlIndex is the index of the first byte below 0x20 in b, or -1.
func controlIndex(b []byte) int {
	i := 0
	for ; i+8 <= len(b); i += 8 {
		x := binary.LittleEndian.Uint64(b[i:])
		if m := (x - lsbs*0x20) &^ x & msbs; m != 0 {
			return i + bits.TrailingZeros64(m)/8
		}
	}
	for ; i < len(b); i++ {
		if b[i] < 0x20 {
			return i
		}
	}
	return -1
}

// validUTF8 returns b, or a copy with invalid UTF-8 replaced by U+FFFD: each
// invalid byte in strict mode, each run of them otherwise.
func (s *Scanner) validUTF8(b []byte, ascii bool) []byte {
	if ascii || utf8.Valid(b) {
		return b
	}
	if !s.Strict {
		return bytes.ToValidUTF8(b, []byte("\uFFFD"))
	}
	out := make([]byte, 0, len(b)+8)
	for i := 0; i < len(b); {
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			out = append(out, "\uFFFD"...)
		} else {
			out = append(out, b[i:i+size]...)
		}
		i += size
	}
	return out
}

// appendEscape decodes the escape sequence at the start of e (which starts
// with a backslash), appends it to dst and reports its length. A \u escape
// of a UTF-16 surrogate pair takes both halves; a lone surrogate becomes
// U+FFFD (as in encoding/json).
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

// Unquote decodes the content of a JSON string (the bytes between its
// quotes, escapes not decoded) with encoding/json's rules: escapes decoded,
// each invalid UTF-8 byte replaced by U+FFFD. It returns false for an
// invalid escape, a control character or an unescaped quote.
func Unquote(raw []byte) (string, bool) {
	i, ascii := stringSpecial(raw, 0, true)
	if i == len(raw) {
		if ascii || utf8.Valid(raw) {
			return string(raw), true
		}
		return string(validBytes(raw)), true
	}
	buf := make([]byte, 0, len(raw))
	buf = append(buf, raw[:i]...)
	for i < len(raw) {
		if raw[i] != '\\' {
			return "", false
		}
		n, ok := 0, false
		buf, n, ok = appendEscape(buf, raw[i:])
		if !ok {
			return "", false
		}
		i += n
		j, a := stringSpecial(raw, i, true)
		ascii = ascii && a
		buf = append(buf, raw[i:j]...)
		i = j
	}
	if ascii || utf8.Valid(buf) {
		return unsafeString(buf), true
	}
	return string(validBytes(buf)), true
}

// validBytes replaces each invalid UTF-8 byte of b by U+FFFD.
func validBytes(b []byte) []byte {
	s := Scanner{Strict: true}
	return s.validUTF8(b, false)
}

// Num reads a number literal; the bytes alias the input. It is not checked
// against the JSON grammar (SetNumber does that).
func (s *Scanner) Num() []byte {
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
		s.Fail("expected a number")
		return nil
	}
	return s.buf[start:s.pos]
}

func (s *Scanner) literal(word string) bool {
	if !bytes.HasPrefix(s.buf[s.pos:], []byte(word)) {
		s.Fail("invalid literal")
		return false
	}
	s.pos += len(word)
	return true
}

// Bool reads true or false.
func (s *Scanner) Bool() bool {
	if s.ws() == 't' {
		return s.literal("true")
	}
	s.literal("false")
	return false
}

// Null reads null.
func (s *Scanner) Null() {
	s.ws()
	s.literal("null")
}

// Skip reads and discards the next value. Not strict, it checks the
// structure only, not the content of strings and numbers; strict, it
// rejects what Value rejects.
func (s *Scanner) Skip() {
	switch s.Peek() {
	case KindString:
		s.skipString()
	case KindNumber:
		s.skipNumber()
	case KindBool:
		s.Bool()
	case KindNull:
		s.Null()
	case KindObject:
		if s.Open('{') {
			for s.More('}') {
				s.skipKey()
				s.Skip()
			}
		}
	case KindArray:
		if s.Open('[') {
			for s.More(']') {
				s.Skip()
			}
		}
	default:
		if s.err == nil {
			if s.pos >= len(s.buf) {
				s.Fail("unexpected end of input")
			} else {
				s.Fail("unexpected character %q", s.buf[s.pos])
			}
		}
	}
}

// skipKey skips a member's key and the colon after it. Strict, the key is
// checked, not decoded; otherwise it is decoded (an invalid escape is an
// error, as Langtrace's reader always had it).
func (s *Scanner) skipKey() {
	if !s.Strict {
		s.Key()
		return
	}
	if s.ws() != '"' {
		if s.err == nil {
			s.Fail("expected a string")
		}
		return
	}
	s.skipString()
	if s.ws() != ':' {
		if s.err == nil {
			s.Fail("expected ':'")
		}
		return
	}
	s.pos++
}

// skipNumber skips a number; in strict mode it is checked as Float checks
// it, parsing only literals that could be beyond the float64 range.
func (s *Scanner) skipNumber() {
	lit := s.Num()
	if !s.Strict || s.err != nil {
		return
	}
	isInt, ok := scanNumber(unsafeString(lit))
	switch {
	case !ok:
		s.Fail("invalid number %q", lit)
	case isInt && len(lit) <= 300:
		// Up to 300 digits, an integer is within the float64 range.
	default:
		if _, err := strconv.ParseFloat(unsafeString(lit), 64); err != nil {
			s.Fail("number %q beyond the float64 range", lit)
		}
	}
}

// skipString skips the string at the cursor; in strict mode its escapes and
// control characters are checked.
func (s *Scanner) skipString() {
	if !s.Strict {
		end, ok := stringEnd(s.buf, s.pos+1)
		if !ok {
			s.Fail("unterminated string")
			return
		}
		s.pos = end + 1
		return
	}
	b := s.buf
	for i := s.pos + 1; ; {
		j, _ := stringSpecial(b, i, true)
		switch {
		case j >= len(b):
			s.Fail("unterminated string")
			return
		case b[j] == '"':
			s.pos = j + 1
			return
		case b[j] < 0x20:
			s.pos = j
			s.Fail("control character %#02x in string", b[j])
			return
		}
		n, ok := escapeLen(b[j:])
		if !ok {
			s.Fail("invalid escape in string")
			return
		}
		i = j + n
	}
}

// escapeLen is the length of the valid escape sequence at the start of e,
// which starts with a backslash.
func escapeLen(e []byte) (int, bool) {
	if len(e) < 2 {
		return 0, false
	}
	switch e[1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, true
	case 'u':
		_, ok := hex4(e[2:])
		return 6, ok
	}
	return 0, false
}

// Raw reads the next value and returns its JSON text (a slice of the
// input).
func (s *Scanner) Raw() []byte {
	s.ws()
	start := s.pos
	s.Skip()
	if s.err != nil {
		return nil
	}
	return s.buf[start:s.pos]
}

// Value decodes the next value into dest (a freshly emptied value) with
// PutJSON's typing: integer literals that fit int64 are Int, other numbers
// Double, strings Str, booleans Bool, null empty, arrays Slice and objects
// Map in document order (a repeated key keeps its last value). On an error
// dest holds what was decoded before it.
func (s *Scanner) Value(dest pcommon.Value) {
	switch s.Peek() {
	case KindString:
		dest.SetStr(s.Str())
	case KindNumber:
		s.number(dest)
	case KindBool:
		dest.SetBool(s.Bool())
	case KindNull:
		s.Null()
	case KindArray:
		sl := dest.SetEmptySlice()
		if s.Open('[') {
			for s.More(']') {
				s.Value(sl.AppendEmpty())
			}
		}
	case KindObject:
		s.Members(dest.SetEmptyMap())
	default:
		s.Skip() // records the error
	}
}

// Members decodes the object at the scanner into dest, member by member (a
// member overwrites an attribute of the same key). On an error the member
// being decoded is removed and the ones before it are kept. A null is no
// member.
func (s *Scanner) Members(dest pcommon.Map) {
	if !s.Open('{') {
		return
	}
	for s.More('}') {
		kb := s.Key()
		if s.err != nil {
			return
		}
		k := s.Intern(kb)
		s.Value(dest.PutEmpty(k))
		if s.err != nil {
			dest.Remove(k)
			return
		}
	}
}

// number reads a number literal into dest, checking it against the JSON
// grammar.
func (s *Scanner) number(dest pcommon.Value) {
	lit := s.Num()
	if s.err != nil {
		return
	}
	isInt, ok := scanNumber(unsafeString(lit))
	if !ok {
		s.Fail("invalid number %q", lit)
		return
	}
	if isInt {
		if v, err := strconv.ParseInt(unsafeString(lit), 10, 64); err == nil {
			dest.SetInt(v)
			return
		}
	}
	f, err := strconv.ParseFloat(unsafeString(lit), 64)
	switch {
	case err == nil:
		dest.SetDouble(f)
	case s.Strict:
		s.Fail("number %q beyond the float64 range", lit)
	default:
		dest.SetStr(string(lit))
	}
}

// Float reads a number into a float64; an invalid number or one beyond
// the float64 range is an error.
func (s *Scanner) Float() float64 {
	lit := s.Num()
	if s.err != nil {
		return 0
	}
	if _, ok := scanNumber(unsafeString(lit)); !ok {
		s.Fail("invalid number %q", lit)
		return 0
	}
	f, err := strconv.ParseFloat(unsafeString(lit), 64)
	if err != nil {
		s.Fail("number %q beyond the float64 range", lit)
		return 0
	}
	return f
}

// Intern returns a string with the bytes of b, shared by every call with
// the same bytes (up to a bound): attribute keys repeat on every span.
func (s *Scanner) Intern(b []byte) string {
	if k, ok := s.keys[unsafeString(b)]; ok {
		return k
	}
	k := string(b)
	if s.keys == nil {
		s.keys = make(map[string]string)
	}
	if len(s.keys) < maxInterned && len(k) <= maxInternedLen {
		s.keys[k] = k
	}
	return k
}

// unsafeString views b as a string without copying, for lookups and
// parsing that do not keep it. b must not be modified while it is used.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // read-only view, see above
}

// stringEnd finds the closing quote of the string whose content starts at
// start: the first quote preceded by an even number of backslashes.
func stringEnd(b []byte, start int) (int, bool) {
	i := start
	for {
		j := bytes.IndexByte(b[i:], '"')
		if j < 0 {
			return 0, false
		}
		q := i + j
		n := 0
		for k := q - 1; k >= start && b[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return q, true
		}
		i = q + 1
	}
}
