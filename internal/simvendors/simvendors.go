// Package simvendors lists the simulator part of every vendor the receiver
// registers (one vendor block field in the receiver's Config): cmd/vendorsim
// and the end-to-end tests serve whatever Parts returns.
package simvendors // import "github.com/llmtrace/llmtrace/internal/simvendors"

import (
	llmtracereceiver "github.com/llmtrace/llmtrace"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// simulated is implemented by every vendor config: its simulator part.
type simulated interface {
	Simulator() sim.Part
}

// Parts returns the simulator part of every registered vendor, keyed by
// vendor name (the block's key, equal to the part's Name).
func Parts() map[string]sim.Part {
	parts := map[string]sim.Part{}
	for _, b := range poll.Blocks(&llmtracereceiver.Config{}) {
		parts[b.Name] = b.New().(simulated).Simulator()
	}
	return parts
}
