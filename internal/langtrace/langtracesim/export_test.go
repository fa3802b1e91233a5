package langtracesim

import (
	"testing"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// newLangtraceSource builds the receiver's Langtrace source pointed at the
// simulator. The langtrace package imports this one (it provides its
// simulator), so these tests reach it through this hook, which
// source_link_test.go (package langtracesim_test) sets.
var newLangtraceSource func(t *testing.T, endpoint, apiKey, project string, pageSize int, warn func()) poll.Source

// SetSourceFactory sets newLangtraceSource.
func SetSourceFactory(f func(t *testing.T, endpoint, apiKey, project string, pageSize int, warn func()) poll.Source) {
	newLangtraceSource = f
}
