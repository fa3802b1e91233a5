package langtracesim

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// Langtrace's JSON is written by two runtimes: the server (Node) re-encodes
// every column with JSON.stringify, while the content attributes
// (gen_ai.prompt, gen_ai.completion) are strings the SDK encoded before:
// json.dumps in the python SDK (", " and ": " separators, non-ASCII as
// \uXXXX, floats always with a fraction) or JSON.stringify in the
// TypeScript SDK. jsonStyle picks one.
type jsonStyle uint8

const (
	styleJS     jsonStyle = iota // JSON.stringify
	stylePython                  // python json.dumps defaults
)

// appendValue appends v, a JSON-shaped value (string, bool, int, int64,
// float64, []any, map[string]any, nil), in the given style. Map keys are
// sorted, "role" first: the dataset's maps have no order of their own.
func appendValue(dst []byte, v any, style jsonStyle) []byte {
	switch x := v.(type) {
	case nil:
		return append(dst, "null"...)
	case string:
		return appendString(dst, x, style)
	case bool:
		return strconv.AppendBool(dst, x)
	case int:
		return strconv.AppendInt(dst, int64(x), 10)
	case int64:
		return strconv.AppendInt(dst, x, 10)
	case float64:
		return appendFloat(dst, x, style)
	case []any:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = appendSep(dst, ',', style)
			}
			dst = appendValue(dst, e, style)
		}
		return append(dst, ']')
	case []string:
		dst = append(dst, '[')
		for i, e := range x {
			if i > 0 {
				dst = appendSep(dst, ',', style)
			}
			dst = appendString(dst, e, style)
		}
		return append(dst, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		// Chat messages are built role first.
		if i := slices.Index(keys, "role"); i > 0 {
			copy(keys[1:i+1], keys[:i])
			keys[0] = "role"
		}
		dst = append(dst, '{')
		for i, k := range keys {
			if i > 0 {
				dst = appendSep(dst, ',', style)
			}
			dst = appendString(dst, k, style)
			dst = appendSep(dst, ':', style)
			dst = appendValue(dst, x[k], style)
		}
		return append(dst, '}')
	}
	// Other shapes (typed slices and maps of the dataset's tool results):
	// encoding/json writes them in the JSON.stringify layout.
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if enc.Encode(v) != nil {
		return append(dst, "null"...)
	}
	return append(dst, bytes.TrimSuffix(buf.Bytes(), []byte("\n"))...)
}

func appendSep(dst []byte, c byte, style jsonStyle) []byte {
	dst = append(dst, c)
	if style == stylePython {
		dst = append(dst, ' ')
	}
	return dst
}

// appendFloat writes a float as JSON.stringify (shortest form, integral
// values without a fraction) or as python's repr (always a fraction or an
// exponent).
func appendFloat(dst []byte, f float64, style jsonStyle) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(dst, "null"...)
	}
	abs := math.Abs(f)
	if abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		return strconv.AppendFloat(dst, f, 'e', -1, 64)
	}
	start := len(dst)
	dst = strconv.AppendFloat(dst, f, 'f', -1, 64)
	if style == stylePython && !slices.Contains(dst[start:], '.') {
		dst = append(dst, ".0"...)
	}
	return dst
}

const hexDigits = "0123456789abcdef"

// appendString writes a JSON string: quotes, backslashes and control
// characters escaped; in the python style every non-ASCII character too
// (as UTF-16 \u escapes).
func appendString(dst []byte, s string, style jsonStyle) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && (c < utf8.RuneSelf || style != stylePython) {
			i++
			continue
		}
		dst = append(dst, s[start:i]...)
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r >= 0x10000 {
				r -= 0x10000
				dst = appendU(dst, 0xd800+(r>>10))
				dst = appendU(dst, 0xdc00+(r&0x3ff))
			} else {
				dst = appendU(dst, r)
			}
			i += n
			start = i
			continue
		}
		switch c {
		case '"', '\\':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\b':
			dst = append(dst, '\\', 'b')
		case '\f':
			dst = append(dst, '\\', 'f')
		default:
			dst = appendU(dst, rune(c))
		}
		i++
		start = i
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// object writes a JSON object member by member, in insertion order (as
// JSON.stringify does for the SDKs' attribute dicts).
type object struct {
	buf   []byte
	style jsonStyle
	n     int
}

func (o *object) key(k string) {
	if o.n == 0 {
		o.buf = append(o.buf, '{')
	} else {
		o.buf = appendSep(o.buf, ',', o.style)
	}
	o.n++
	o.buf = appendString(o.buf, k, o.style)
	o.buf = appendSep(o.buf, ':', o.style)
}

// put adds a member.
func (o *object) put(k string, v any) {
	o.key(k)
	o.buf = appendValue(o.buf, v, o.style)
}

// raw adds a member whose value is already JSON.
func (o *object) raw(k string, text []byte) {
	o.key(k)
	o.buf = append(o.buf, text...)
}

// close ends the object and returns its bytes.
func (o *object) close() []byte {
	if o.n == 0 {
		o.buf = append(o.buf, '{')
	}
	return append(o.buf, '}')
}
