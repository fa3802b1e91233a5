package langtrace

import (
	"unsafe"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// Langtrace nests JSON documents inside JSON strings two and three levels
// deep (the events column holds prompts that are JSON strings again), so
// most of the bytes of a response are escaped string content. The answers
// are read with convert's Scanner, a pull parser that unescapes with bulk
// copies, hands out unescaped strings without copying where it can, and
// decodes values straight into pcommon; not strict (Langtrace's rules):
// control characters are kept, a number beyond float64 is kept as its
// literal text, a run of invalid UTF-8 becomes one U+FFFD.
type scanner = convert.Scanner

// maxAttrHints bounds the span names whose attribute count is remembered.
const maxAttrHints = 4096

// unsafeString views b as a string without copying. b must never be
// modified afterwards.
func unsafeString(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b)) //nolint:gosec // read-only view, see above
}
