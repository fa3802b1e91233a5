package convert

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// PutJSON decodes the single JSON value raw and stores it in dest under key,
// preserving its JSON type:
//
//   - integer numbers (no fraction, no exponent) -> Int when they fit int64,
//     otherwise Double;
//   - other numbers -> Double (a number outside the float64 range, such as
//     1e400, is malformed input, as with encoding/json);
//   - strings -> Str (each invalid UTF-8 byte replaced by U+FFFD, in
//     keys too);
//   - true/false -> Bool;
//   - null -> an empty value (pcommon.ValueTypeEmpty);
//   - arrays -> Slice and objects -> Map, recursively, in document order
//     (a repeated object key keeps its last value, as encoding/json does).
//
// Malformed input (including trailing non-space data) returns an error and
// leaves dest untouched: an existing value under key is kept. Nesting deeper
// than 10000 levels is an error.
//
// Cost: pdata maps have no constant-time insert (each key is checked against
// the keys already present), so an object with n keys costs O(n²) string
// compares: negligible for attribute-sized objects, ~2 ms for 1 000 keys,
// ~0.1 s for 10 000.
func PutJSON(dest pcommon.Map, key string, raw []byte) error {
	tmp := pcommon.NewValueEmpty()
	if err := decodeValue(raw, tmp); err != nil {
		return err
	}
	tmp.MoveTo(dest.PutEmpty(key))
	return nil
}

// JSONToMap decodes the JSON object raw into dest: every top-level member
// becomes an attribute under its key (overwriting an existing one), typed as
// described on PutJSON, in document order. A JSON null is an empty object
// (nothing is added, no error).
//
// If raw is not a JSON object, an error is returned and dest is untouched.
// If the object is malformed part-way, the members decoded before the error
// are kept in dest, the member being decoded is not stored (removed if it
// existed), and an error is returned: callers can count a warning and keep
// the span.
func JSONToMap(raw []byte, dest pcommon.Map) error {
	s := borrowScanner(raw)
	defer returnScanner(s)
	switch k := s.Peek(); k {
	case KindObject:
	case KindNull:
		s.Null()
		return malformed(s.Done())
	case KindInvalid:
		if s.pos >= len(raw) {
			return errors.New("convert: malformed JSON: empty input")
		}
		return fmt.Errorf("convert: malformed JSON: unexpected %q at start", quoteLimit(string(raw[s.pos:min(len(raw), s.pos+16)])))
	default:
		return fmt.Errorf("convert: JSON value is %s, want an object", kindName(k))
	}
	s.Members(dest)
	return malformed(s.Done())
}

// decodeValue decodes the single JSON value raw into dest.
func decodeValue(raw []byte, dest pcommon.Value) error {
	s := borrowScanner(raw)
	defer returnScanner(s)
	s.Value(dest)
	return malformed(s.Done())
}

// scanners are strict Scanners for PutJSON and JSONToMap; each keeps its
// interned keys, which repeat from call to call.
var scanners = sync.Pool{New: func() any { return &Scanner{Strict: true} }}

func borrowScanner(raw []byte) *Scanner {
	s := scanners.Get().(*Scanner)
	s.Reset(raw)
	return s
}

func returnScanner(s *Scanner) {
	s.Reset(nil) // do not pin the document
	scanners.Put(s)
}

// malformed wraps a scan error.
func malformed(err error) error {
	if err != nil {
		return fmt.Errorf("convert: malformed JSON: %w", err)
	}
	return nil
}

func kindName(k Kind) string {
	switch k {
	case KindString:
		return "a string"
	case KindNumber:
		return "a number"
	case KindNull:
		return "null"
	case KindBool:
		return "a boolean"
	case KindArray:
		return "an array"
	case KindObject:
		return "an object"
	default:
		return "invalid"
	}
}

// failed reports a real decoding error (io.EOF only means the input ended).
func failed(iter *jsoniter.Iterator) bool {
	return iter.Error != nil && iter.Error != io.EOF
}

// ReadValue decodes the next JSON value of a live iterator into dest (a
// freshly emptied value) with the typing of PutJSON, so a blob inside a
// larger document is decoded straight into attributes without a copy.
// Errors are recorded in iter.Error (see Failed).
func ReadValue(iter *jsoniter.Iterator, dest pcommon.Value) { readValue(iter, dest) }

// Failed reports a real decoding error of iter (io.EOF only means the input
// ended).
func Failed(iter *jsoniter.Iterator) bool { return failed(iter) }

// readValue decodes the next JSON value into dest (a freshly emptied value).
// Errors are recorded in iter.Error.
func readValue(iter *jsoniter.Iterator, dest pcommon.Value) {
	switch iter.WhatIsNext() {
	case jsoniter.StringValue:
		s := iter.ReadString()
		if !failed(iter) {
			dest.SetStr(validUTF8(s))
		}
	case jsoniter.NumberValue:
		// SkipAndAppendBytes into a reused scratch buffer avoids the
		// per-number allocation of ReadNumber.
		sc := scratchPool.Get().(*scratch)
		n := iter.SkipAndAppendBytes(sc.buf[:0])
		if !failed(iter) && !setNumberBytes(dest, n) {
			iter.ReportError("readValue", "invalid number "+quoteLimit(string(n)))
		}
		if cap(n) <= 1024 { // don't keep huge literals' buffers alive
			sc.buf = n[:0]
		}
		scratchPool.Put(sc)
	case jsoniter.NilValue:
		iter.ReadNil()
	case jsoniter.BoolValue:
		b := iter.ReadBool()
		if !failed(iter) {
			dest.SetBool(b)
		}
	case jsoniter.ArrayValue:
		s := dest.SetEmptySlice()
		iter.ReadArrayCB(func(it *jsoniter.Iterator) bool {
			readValue(it, s.AppendEmpty())
			return !failed(it)
		})
	case jsoniter.ObjectValue:
		m := dest.SetEmptyMap()
		iter.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			readValue(it, m.PutEmpty(validUTF8(key)))
			return !failed(it)
		})
	default:
		if iter.Error == io.EOF {
			iter.ReportError("readValue", "unexpected end of input")
		} else {
			iter.ReportError("readValue", "unexpected character")
		}
	}
}

// validUTF8 replaces each invalid UTF-8 byte of s with U+FFFD, as
// encoding/json does.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b.WriteString("\uFFFD")
		} else {
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// scanNumber validates s against the JSON number grammar
// -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? and reports whether it is
// an integer literal (no fraction, no exponent).
func scanNumber(s string) (isInt, ok bool) {
	i := 0
	if i < len(s) && s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && s[i] >= '1' && s[i] <= '9':
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
	default:
		return false, false
	}
	isInt = true
	if i < len(s) && s[i] == '.' {
		isInt = false
		i++
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false, false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		isInt = false
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		start := i
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == start {
			return false, false
		}
	}
	return isInt, i == len(s)
}

// scratch is a reusable buffer for number literals.
type scratch struct{ buf []byte }

var scratchPool = sync.Pool{New: func() any { return &scratch{buf: make([]byte, 0, 64)} }}

// SetNumber stores the JSON number literal b in dest with the typing of
// PutJSON (an integer literal that fits int64 -> Int, else Double); it
// returns false when b is not a JSON number. Scanners of their own (the
// Langtrace one) share it.
func SetNumber(dest pcommon.Value, b []byte) bool { return setNumberBytes(dest, b) }

// setNumberBytes is setNumber for a byte slice; the short string
// conversions below do not escape and so do not allocate.
func setNumberBytes(dest pcommon.Value, b []byte) bool {
	if len(b) > 32 {
		return setNumber(dest, string(b))
	}
	isInt, ok := scanNumber(string(b))
	if !ok {
		return false
	}
	if isInt {
		if v, err := strconv.ParseInt(string(b), 10, 64); err == nil {
			dest.SetInt(v)
			return true
		}
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		dest.SetStr(string(b))
		return true
	}
	dest.SetDouble(f)
	return true
}

// setNumber stores the JSON number literal s in dest following the PutJSON
// typing rules. It returns false when s is not a JSON number.
func setNumber(dest pcommon.Value, s string) bool {
	isInt, ok := scanNumber(s)
	if !ok {
		return false
	}
	if isInt {
		if v, err := strconv.ParseInt(s, 10, 64); err == nil {
			dest.SetInt(v)
			return true
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		// Only ErrRange is possible after scanNumber: keep the literal.
		dest.SetStr(s)
		return true
	}
	dest.SetDouble(f)
	return true
}

// SetValue stores an already-decoded Go value in dest with the same typing
// as PutJSON:
//
//   - nil -> empty; string -> Str; bool -> Bool;
//   - float64, float32 -> Double (encoding/json decodes every number to
//     float64 unless UseNumber is set, so decode with UseNumber to keep
//     integers as Int);
//   - json.Number -> Int when it is an integer literal that fits int64,
//     otherwise Double (non-numeric text -> Str);
//   - int, int8..int64, uint8..uint32 -> Int; uint, uint64 -> Int, or Double
//     above math.MaxInt64;
//   - []byte -> Bytes; json.RawMessage -> decoded as by PutJSON (Str of the
//     raw text if malformed); time.Time -> Str in RFC 3339 with nanoseconds,
//     UTC;
//   - map[string]any, map[string]string -> Map (keys sorted, so the result
//     is deterministic); []any, []string -> Slice; recursively;
//   - pcommon.Value, pcommon.Map, pcommon.Slice -> copied;
//   - anything else -> JSON-marshalled with encoding/json and decoded as by
//     PutJSON, or Str of fmt.Sprint when marshalling fails.
//
// dest's previous content is replaced.
func SetValue(dest pcommon.Value, v any) {
	switch x := v.(type) {
	case nil:
		_ = dest.FromRaw(nil)
	case string:
		dest.SetStr(x)
	case bool:
		dest.SetBool(x)
	case float64:
		dest.SetDouble(x)
	case float32:
		dest.SetDouble(float64(x))
	case json.Number:
		if !setNumber(dest, string(x)) {
			dest.SetStr(string(x))
		}
	case int:
		dest.SetInt(int64(x))
	case int8:
		dest.SetInt(int64(x))
	case int16:
		dest.SetInt(int64(x))
	case int32:
		dest.SetInt(int64(x))
	case int64:
		dest.SetInt(x)
	case uint8:
		dest.SetInt(int64(x))
	case uint16:
		dest.SetInt(int64(x))
	case uint32:
		dest.SetInt(int64(x))
	case uint:
		setUint(dest, uint64(x))
	case uint64:
		setUint(dest, x)
	case []byte:
		dest.SetEmptyBytes().FromRaw(x)
	case json.RawMessage:
		if err := decodeValue(x, dest); err != nil {
			dest.SetStr(string(x))
		}
	case time.Time:
		dest.SetStr(x.UTC().Format(time.RFC3339Nano))
	case map[string]any:
		m := dest.SetEmptyMap()
		m.EnsureCapacity(len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			SetValue(m.PutEmpty(k), x[k])
		}
	case map[string]string:
		m := dest.SetEmptyMap()
		m.EnsureCapacity(len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			m.PutStr(k, x[k])
		}
	case []any:
		s := dest.SetEmptySlice()
		s.EnsureCapacity(len(x))
		for _, e := range x {
			SetValue(s.AppendEmpty(), e)
		}
	case []string:
		s := dest.SetEmptySlice()
		s.EnsureCapacity(len(x))
		for _, e := range x {
			s.AppendEmpty().SetStr(e)
		}
	case pcommon.Value:
		x.CopyTo(dest)
	case pcommon.Map:
		x.CopyTo(dest.SetEmptyMap())
	case pcommon.Slice:
		x.CopyTo(dest.SetEmptySlice())
	default:
		b, err := json.Marshal(x)
		if err == nil && decodeValue(b, dest) == nil {
			return
		}
		dest.SetStr(fmt.Sprint(x))
	}
}

func setUint(dest pcommon.Value, v uint64) {
	if v > math.MaxInt64 {
		dest.SetDouble(float64(v))
		return
	}
	dest.SetInt(int64(v))
}
