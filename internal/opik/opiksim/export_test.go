package opiksim

import (
	"testing"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// newOpikSource builds the receiver's Opik source pointed at the simulator.
// The opik package imports this one (it provides its simulator), so these
// tests reach it through this hook, which source_link_test.go (package
// opiksim_test) sets.
var newOpikSource func(t *testing.T, endpoint string, creds sim.Credentials, pageSize int) poll.Source

// SetSourceFactory sets newOpikSource.
func SetSourceFactory(f func(t *testing.T, endpoint string, creds sim.Credentials, pageSize int) poll.Source) {
	newOpikSource = f
}
