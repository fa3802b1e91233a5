// Package poll is the vendor-agnostic poll engine: it runs one poller per
// source on a schedule, walks the source's pages over a time window, emits
// every span exactly once when its trace has settled, and keeps a checkpoint
// in the collector's storage extension so that restarts lose and repeat
// nothing.
package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"time"

	"go.opentelemetry.io/collector/config/confighttp"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// Vendor is a configured vendor block (one project of one vendor). Each vendor
// package's Config implements it; the receiver turns every configured Vendor
// into one poller.
type Vendor interface {
	// Name is the vendor's config key, e.g. "langtrace".
	Name() string
	// Scope identifies the polled project within the vendor; together with
	// Name it forms the checkpoint key "<vendor>/<scope>".
	Scope() string
	// Fingerprint changes whenever the query changes (endpoint, project,
	// filters): a checkpoint written under another fingerprint is discarded.
	Fingerprint() string
	// HTTPClient is the block's confighttp client configuration.
	HTTPClient() *confighttp.ClientConfig
	// Limits are the vendor's request limits and the secrets to keep out of
	// logs.
	Limits() Limits
	// Problems lists configuration problems as (key, message) pairs with
	// keys relative to the vendor block, e.g. {"project_id", "required"}.
	Problems() []Problem
	// NewSource builds the source once the HTTP client exists (in Start).
	NewSource(SourceSettings) (Source, error)
}

// Problem is one configuration problem of a vendor block.
type Problem struct {
	Key string
	Msg string
}

// Limits describe what a vendor's API allows.
type Limits struct {
	// RequestsPerWindow and Window form the client-side rate limit the vendor
	// documents (e.g. 10 per minute); zero means none.
	RequestsPerWindow int
	Window            time.Duration
	// Secrets are values that must never appear in a log line or error
	// (API keys); the API client scrubs them.
	Secrets []string
}

// SourceSettings is what a source gets from the engine.
type SourceSettings struct {
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
	// FetchPage reads one page of traces for the query, starting with
	// token "". It returns the traces it found (those whose Time lies in
	// [q.From, q.To] as far as the API can filter; more are harmless) and
	// the token of the next page, "" once the query is exhausted. A token
	// may be persisted and used again after a restart.
	FetchPage(ctx context.Context, q Query, token string) (Page, error)
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
	// Time is the trace's position on the source's time axis; the
	// checkpoint does not move on while a trace of the window waits to be
	// emitted.
	Time time.Time
	// Updated is when the vendor last changed the trace, zero if the vendor
	// does not say; the trace settles settle_delay after its last change.
	Updated time.Time
	// Spans holds the trace's spans, usually one ResourceSpans with one
	// ScopeSpans. The engine takes ownership.
	Spans ptrace.Traces
}

// CheckEndpoint returns the problem of an endpoint that is not an http(s)
// URL with a host, or nil.
func CheckEndpoint(endpoint string) *Problem {
	u, err := url.Parse(endpoint)
	if endpoint == "" || err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return &Problem{Key: "endpoint", Msg: "must be an http(s) URL"}
	}
	return nil
}

// Fingerprint hashes the parts that identify a source's query (vendor,
// endpoint, project, ...) for Vendor.Fingerprint.
func Fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}
