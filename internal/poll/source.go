// Package poll is the vendor-agnostic poll engine: it runs one poller per
// source on a schedule, walks the source's pages over a time window, emits
// every span exactly once when its trace has settled, and keeps a checkpoint
// in the collector's storage extension so that restarts lose and repeat
// nothing.
package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"errors"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// SourceSettings is what a source gets from the engine.
type SourceSettings struct {
	// Vendor is the block's name, e.g. "langtrace" (the llmtrace.vendor
	// resource attribute).
	Vendor string
	Logger *zap.Logger
	// API performs HTTP requests with retries, rate limits, body caps and
	// secret scrubbing.
	API *APIClient
	// Warn counts a conversion warning (data that was only partly
	// converted); the span is still emitted.
	Warn func()
	// Clock is the engine's clock; sources that reason about "now" use it
	// rather than the wall clock.
	Clock Clock
}

// Source reads one vendor project. It is called from a single goroutine.
type Source interface {
	// FetchPage reads one page of traces of r.Query, starting with token
	// "". It returns the traces it found (those whose Time lies in
	// [From, To] as far as the API can filter; more are harmless) and the
	// token of the next page, "" once the query is exhausted. A token may
	// be persisted and used again after a restart; a source that cannot
	// use a token it is given returns an error wrapping ErrInvalidToken,
	// and the engine restarts the query from its first page.
	FetchPage(ctx context.Context, r PageRequest) (Page, error)
}

// Refresher is implemented by sources that can read given traces again by
// their vendor IDs. The engine then keeps the traces still pending (running,
// or not settled) by ID, refreshes those the next window no longer covers,
// and moves its watermark on to the newest trace instead of holding it at
// the oldest pending one: a long-running trace costs a read of itself, not a
// re-read of everything behind it.
type Refresher interface {
	// Refresh reads the traces refs name again, whole; a trace the vendor
	// no longer has is left out of the result.
	Refresh(ctx context.Context, refs []TraceRef) ([]Trace, error)
}

// TraceRef names a trace to refresh.
type TraceRef struct {
	ID pcommon.TraceID
	// Key is the Trace.Key the source gave.
	Key string
	// Time is the trace's last known position on the source's time axis.
	Time time.Time
}

// ErrInvalidToken is wrapped by a source's error for a page token it cannot
// use (malformed, or expired on the vendor's side).
var ErrInvalidToken = errors.New("invalid page token")

// PageRequest asks a source for one page.
type PageRequest struct {
	Query
	// Token is the page to read; "" is the first page.
	Token string
	// Continued is true when this page directly follows the previous
	// FetchPage of the same query in this process, which succeeded: state
	// a source keeps between the pages of a query (a cursor cache, a
	// sweep) is valid. It is false for the first page, for a query
	// resumed after a restart, and for a page read again after an error.
	Continued bool
}

// Query is one scan of a source over a window of its time axis (start time
// for most vendors, update time where the vendor windows by it).
type Query struct {
	From time.Time
	To   time.Time
}

// Page is one page of a query.
type Page struct {
	Traces []Trace
	// Next is the token of the next page; "" when the query is complete.
	Next string
}

// Trace is everything a source currently knows about one trace, already
// converted. Spans without an end time (EndTimestamp 0) are in progress.
type Trace struct {
	ID pcommon.TraceID
	// Key is the vendor's own ID of the trace when the source can read a
	// trace again by it (see Refresher); "" otherwise.
	Key string
	// Time is the trace's position on the source's time axis; the
	// checkpoint does not move on while a trace of the window waits to be
	// emitted (unless the source is a Refresher).
	Time time.Time
	// Updated is when the vendor last changed the trace, zero if the vendor
	// does not say; the trace settles settle_delay after its last change.
	Updated time.Time
	// Spans holds the trace's spans, usually one ResourceSpans with one
	// ScopeSpans. The engine takes ownership.
	Spans ptrace.Traces
}
