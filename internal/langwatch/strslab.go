package langwatch

import "unsafe"

// The strings a trace's attributes keep (params values, the typed values'
// JSON text, the rendered messages) are copies of the answer's bytes.
// Copied one by one they were a fifth of the conversion's allocations; a
// strSlab copies the short ones of one trace into shared chunks instead.
// A chunk holds strings of one trace only, so it lives as long as the
// trace's spans do, and it is never written again where a string points.

// strSlab copies strings into chunks. It is used by one goroutine.
type strSlab struct {
	chunk []byte
}

const (
	// slabChunk is the size of a chunk (larger ones waste more of a
	// trace's last chunk than they save in allocations).
	slabChunk = 2 << 10
	// maxSlabString is the longest string copied into a chunk; longer ones
	// get an allocation of their own.
	maxSlabString = 512
)

// reset starts a new trace: its strings go into new chunks.
func (a *strSlab) reset() { a.chunk = nil }

// str returns a string with b's bytes.
func (a *strSlab) str(b []byte) string {
	switch {
	case len(b) == 0:
		return ""
	case len(b) > maxSlabString:
		return string(b)
	case cap(a.chunk)-len(a.chunk) < len(b):
		a.chunk = make([]byte, 0, slabChunk)
	}
	n := len(a.chunk)
	a.chunk = append(a.chunk, b...)
	return unsafe.String(&a.chunk[n], len(b)) //nolint:gosec // the chunk's bytes are never written again
}
