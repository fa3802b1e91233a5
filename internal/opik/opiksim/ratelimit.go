package opiksim

import (
	"net/http"
	"strconv"
	"sync"
	"time"
)

// limiter is Opik Cloud's per-endpoint rate limiting (RateLimitInterceptor
// and RateLimitResponseFilter): a budget per fixed window, the remaining
// budget in Opik-<name>-* headers, 429 with RateLimit-Reset once it is spent.
type limiter struct {
	limit  RateLimit
	mu     sync.Mutex
	traces bucket
	spans  bucket
}

type bucket struct {
	name   string // the bucket, e.g. "get_traces"
	header string // its part of the header names, e.g. "Get-Traces"
	window int64  // index of the current window
	used   int
}

func newLimiter(limit RateLimit) *limiter {
	return &limiter{
		limit:  limit,
		traces: bucket{name: "get_traces", header: "Get-Traces"},
		spans:  bucket{name: "get_spans", header: "Get-Spans"},
	}
}

// allow counts a request to b at now and sets the rate-limit headers; it
// reports false when the budget is spent.
func (l *limiter) allow(b *bucket, now time.Time, h http.Header) bool {
	if l.limit.Requests <= 0 || l.limit.Window <= 0 {
		return true
	}
	win := int64(l.limit.Window)
	at := now.UnixNano()
	idx := at / win
	ttl := time.Duration((idx+1)*win - at)

	l.mu.Lock()
	if b.window != idx {
		b.window, b.used = idx, 0
	}
	ok := b.used < l.limit.Requests
	if ok {
		b.used++
	}
	remaining := l.limit.Requests - b.used
	l.mu.Unlock()

	h.Set("Opik-"+b.header+"-Limit", b.name)
	h.Set("Opik-"+b.header+"-Remaining-Limit", strconv.Itoa(remaining))
	h.Set("Opik-"+b.header+"-Remaining-Limit-TTL-Millis", strconv.FormatInt(ttl.Milliseconds(), 10))
	if !ok {
		h.Set("RateLimit-Reset", strconv.FormatInt(int64((ttl+time.Second-1)/time.Second), 10))
	}
	return ok
}
