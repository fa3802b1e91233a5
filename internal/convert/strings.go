package convert

import "unsafe"

// Strings makes strings from byte slices, many of them per allocation. A
// conversion makes a dozen small strings per span (ids, times, names,
// attribute values), each an allocation of its own otherwise.
//
// The strings view chunks that are only ever appended to: the bytes of a
// string are never written again, so it stays valid and immutable. A chunk
// stays in memory as long as any of its strings does, so one arena serves
// strings that live and die together: a converter calls Reset when it
// starts a trace, so that the spans of a trace share chunks with no other
// trace. The first chunk after Reset is sized after what the previous
// trace used, so that a trace usually takes one chunk with little room
// left over. Strings longer than maxArenaString get an allocation of their
// own. The zero value is ready to use; an arena is used by one goroutine.
type Strings struct {
	buf []byte
	// used counts the bytes since Reset; last is what the previous scope
	// used.
	used, last int
}

const (
	minStringsChunk = 256
	maxStringsChunk = 16 << 10
	maxArenaString  = 1 << 10
)

// String returns a string with the bytes of b.
func (a *Strings) String(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if len(b) > maxArenaString {
		return string(b)
	}
	if cap(a.buf)-len(a.buf) < len(b) {
		size := maxArenaString // the estimate was short: a chunk for the rest
		if a.used == 0 {
			size = min(max(a.last+a.last/8, minStringsChunk), maxStringsChunk)
		}
		a.buf = make([]byte, 0, max(size, len(b)))
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	a.used += len(b)
	return unsafe.String(&a.buf[start], len(b)) //nolint:gosec // the bytes are never written again, see above
}

// Reset starts a new chunk for the next strings, unless none were made
// since the last Reset.
func (a *Strings) Reset() {
	if a.used > 0 {
		a.buf, a.last, a.used = nil, a.used, 0
	}
}
