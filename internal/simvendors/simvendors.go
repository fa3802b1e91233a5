// Package simvendors is the one place vendor simulator parts are registered:
// cmd/vendorsim and the end-to-end tests serve whatever Parts returns.
package simvendors // import "github.com/llmtrace/llmtrace/internal/simvendors"

import (
	"github.com/llmtrace/llmtrace/internal/langtrace/langtracesim"
	"github.com/llmtrace/llmtrace/internal/opik/opiksim"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Parts returns every registered vendor simulator part, keyed by vendor name
// (the name the receiver's configuration uses, equal to the part's Name).
func Parts() map[string]sim.Part {
	return map[string]sim.Part{
		// Each vendor adds one line (and its import), e.g.:
		//	"<vendor>": &<vendor>sim.Part{},
		"langtrace": &langtracesim.Part{},
		"opik":      &opiksim.Part{},
	}
}
