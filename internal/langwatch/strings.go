package langwatch

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Finding where a JSON string ends is most of reading an answer: an
// answer is mostly keys and short values (ids, types, names), with the
// message texts in between. Short strings are read a 64-bit word at a
// time (a byte's high bit marks a quote, a backslash, or a byte that is
// not ASCII); long ones, past a few words, with bytes.IndexByte.

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
	// wordsBeforeIndexByte is how many words a string is read word by
	// word before bytes.IndexByte takes over.
	wordsBeforeIndexByte = 4
)

// quoteOrBackslash marks (high bit) the bytes of x that are '"' or '\\'.
// Only the lowest mark is exact (a borrow may mark a higher byte too),
// which is the one the scans use.
func quoteOrBackslash(x uint64) uint64 {
	q, bs := x^('"'*ones), x^('\\'*ones)
	return ((q-ones)&^q | (bs-ones)&^bs) & highs
}

// scanString finds the quote that closes the string whose content starts
// at start: its index, -1 if none. escaped tells whether the content has
// a backslash; ascii that it has only ASCII bytes (false may also mean
// "not looked at": a long string's content is checked by its reader).
func scanString(b []byte, start int) (q int, escaped, ascii bool) {
	i := start
	wide := uint64(0)
	for n := 0; n < wordsBeforeIndexByte && i+8 <= len(b); n++ {
		x := binary.LittleEndian.Uint64(b[i:])
		m := quoteOrBackslash(x)
		if m == 0 {
			wide |= x
			i += 8
			continue
		}
		k := bits.TrailingZeros64(m) >> 3
		wide |= x & (1<<(8*k) - 1) // the bytes before the mark
		if b[i+k] == '"' {
			return i + k, false, wide&highs == 0
		}
		return quoteFrom(b, start, i+k), true, false
	}
	q = quoteFrom(b, start, i)
	if q < 0 {
		return -1, false, false
	}
	return q, bytes.IndexByte(b[i:q], '\\') >= 0, false
}

// closingQuote is the index of the quote that closes the string whose
// content starts at start, -1 if none.
func closingQuote(b []byte, start int) int {
	i := start
	for n := 0; n < wordsBeforeIndexByte && i+8 <= len(b); n++ {
		m := quoteOrBackslash(binary.LittleEndian.Uint64(b[i:]))
		if m == 0 {
			i += 8
			continue
		}
		k := i + bits.TrailingZeros64(m)>>3
		if b[k] == '"' {
			return k
		}
		return quoteFrom(b, start, k)
	}
	return quoteFrom(b, start, i)
}

// quoteFrom finds the closing quote of the string whose content starts at
// start, searching from j: the next quote not escaped by an odd run of
// backslashes.
func quoteFrom(b []byte, start, j int) int {
	for j <= len(b) {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return -1
		}
		q := j + k
		if q == start || b[q-1] != '\\' {
			return q
		}
		bs := 0
		for p := q - 1; p >= start && b[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q
		}
		j = q + 1
	}
	return -1
}
