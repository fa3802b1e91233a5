package genai

import (
	"testing"
	"unicode/utf8"
)

// appendStringByByte is appendString without the 8-byte fast path: the
// reference the fast path must match.
func appendStringByByte(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, `\u202`...)
			b = append(b, hexDigits[r&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

var stringSamples = []string{
	"", "a", "plain ascii text, longer than eight bytes",
	"12345678", "1234567\"", "\"1234567", "abcdefg\\", "abc\x1fdefgh", "abcdefgh\x7f",
	"tab\there and\nnewline\r\n", "caf\u00e9 and more text", "\u2028 line\u2029 sep", "bad \xff utf8 \xc3",
	"\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09", "!#$%&'()*+,-./0123456789:;<=>?@[]^_`{|}~ ",
}

func TestAppendStringMatchesByteByByte(t *testing.T) {
	for _, s := range stringSamples {
		if got, want := string(appendString(nil, s)), string(appendStringByByte(nil, s)); got != want {
			t.Errorf("%q: got %s, want %s", s, got, want)
		}
	}
	// Every byte at every position of an 8-byte word.
	for c := 0; c < 256; c++ {
		for pos := 0; pos < 8; pos++ {
			w := []byte("abcdefghijklmnop")
			w[pos] = byte(c)
			if got, want := string(appendString(nil, string(w))), string(appendStringByByte(nil, string(w))); got != want {
				t.Fatalf("byte %#x at %d: got %s, want %s", c, pos, got, want)
			}
		}
	}
}

func FuzzAppendString(f *testing.F) {
	for _, s := range stringSamples {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := string(appendString(nil, s)), string(appendStringByByte(nil, s)); got != want {
			t.Fatalf("%q: got %s, want %s", s, got, want)
		}
	})
}

func BenchmarkAppendString(b *testing.B) {
	s := "You are a helpful customer-support assistant for Acme Cloud. Be concise, never invent order data, and always use the tools to look orders up.\nAnswer using only this context:\n"
	buf := make([]byte, 0, 512)
	b.SetBytes(int64(len(s)))
	for b.Loop() {
		buf = appendString(buf[:0], s)
	}
}
