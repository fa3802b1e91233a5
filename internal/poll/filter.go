package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"fmt"
	"strings"
)

// FilterError is a vendor's refusal of the filter a block passes through
// (the block's `filter` key, in the vendor's own syntax). It names the key
// to fix and carries the vendor's own message, taken from the scrubbed
// answer (never the API key). It wraps the request's error, so the
// *StatusError stays reachable with errors.As.
type FilterError struct {
	// Block is the vendor block's key, e.g. "opik".
	Block string
	// Vendor is the vendor's name as users know it, e.g. "Opik".
	Vendor string
	// Status is the HTTP status of the refusal.
	Status int
	// Message is what the vendor said.
	Message string
	// Err is the request's error.
	Err error
}

func (e *FilterError) Error() string {
	msg := strings.TrimSpace(e.Message)
	if msg == "" {
		msg = "no reason given"
	}
	return fmt.Sprintf("%s: filter rejected by %s (HTTP %d): %s: check %s.filter", e.Block, e.Vendor, e.Status, msg, e.Block)
}

func (e *FilterError) Unwrap() error { return e.Err }

// FilterIdentity is the part of a block's Identity that a filter adds: none
// for no filter (so that the checkpoints written before the key existed
// stay valid), else the filter in a canonical form. A changed filter
// selects other data, so its checkpoint is discarded.
func FilterIdentity(canonical string) []string {
	if canonical == "" {
		return nil
	}
	return []string{"filter", canonical}
}
