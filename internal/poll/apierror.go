package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"errors"
	"fmt"
)

// APIError is a vendor's error answer (a status the API client does not
// retry) in the vendor's own words, taken from the scrubbed body (never the
// API key), with a hint at the key to fix when the status tells. It wraps
// the request's error, so the *StatusError stays reachable with errors.As.
// It reads "<block>: <doing>: HTTP <status>: <message>; <hint>".
type APIError struct {
	// Block is the vendor block's key, e.g. "langwatch".
	Block string
	// Doing is what the receiver was doing ("listing traces"); optional.
	Doing string
	// Status is the HTTP status of the answer.
	Status int
	// Message is what the vendor said.
	Message string
	// Hint says what to check; optional.
	Hint string
	// Err is the request's error.
	Err error
}

func (e *APIError) Error() string {
	s := e.Block + ": "
	if e.Doing != "" {
		s += e.Doing + ": "
	}
	s += fmt.Sprintf("HTTP %d: %s", e.Status, e.Message)
	if e.Hint != "" {
		s += "; " + e.Hint
	}
	return s
}

func (e *APIError) Unwrap() error { return e.Err }

// NewAPIError explains a failed request of block's source: an answer (a
// *StatusError in err) becomes an *APIError whose message and hint the
// vendor's functions read from the status and the scrubbed body (hint may
// be nil); any other error (a timeout, a refused connection) is wrapped
// with the block and what it was doing.
func NewAPIError(block, doing string, err error, message func(status int, body string) string, hint func(status int, body string) string) error {
	var se *StatusError
	if !errors.As(err, &se) {
		if doing == "" {
			return fmt.Errorf("%s: %w", block, err)
		}
		return fmt.Errorf("%s: %s: %w", block, doing, err)
	}
	e := &APIError{Block: block, Doing: doing, Status: se.Status, Message: message(se.Status, se.Body), Err: err}
	if hint != nil {
		e.Hint = hint(se.Status, se.Body)
	}
	return e
}
