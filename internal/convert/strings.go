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
// trace. Strings longer than a quarter chunk get an allocation of their
// own. The zero value is ready to use; an arena is used by one goroutine.
type Strings struct {
	buf []byte
}

const (
	stringsChunk     = 4 << 10
	maxArenaString   = stringsChunk / 4
	stringsChunkRoom = 32 // below this, a chunk is not worth keeping
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
		a.buf = make([]byte, 0, stringsChunk)
	}
	start := len(a.buf)
	a.buf = append(a.buf, b...)
	return unsafe.String(&a.buf[start], len(b)) //nolint:gosec // the bytes are never written again, see above
}

// Reset starts a new chunk for the next strings, unless the current one is
// still empty.
func (a *Strings) Reset() {
	if len(a.buf) > 0 {
		a.buf = nil
	}
}
