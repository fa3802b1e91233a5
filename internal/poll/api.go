package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/cenkalti/backoff/v5"
	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
	"golang.org/x/time/rate"
)

// maxRateLimitRetries bounds how often one request is retried after 429
// answers before the poll gives up (the wait itself is what the server asks).
const maxRateLimitRetries = 8

// maxRateLimitWait caps what a 429 may ask to wait (a Retry-After of 1e10
// seconds would overflow a time.Duration).
const maxRateLimitWait = time.Hour

// maxErrorBody is how much of an error answer's body an error quotes.
const maxErrorBody = 512

// defaultRateLimitWait is used when a 429 carries neither Retry-After nor
// RateLimit-Reset.
const defaultRateLimitWait = 10 * time.Second

// ErrForeignHost is returned for a request (usually a pagination link) that
// points at another host than the configured endpoint.
var ErrForeignHost = errors.New("refusing a request to another host than the configured endpoint")

// ErrBodyTooLarge is returned when a response body exceeds max_response_bytes.
var ErrBodyTooLarge = errors.New("response body exceeds max_response_bytes")

// StatusError is a non-2xx answer that was not retried (or retried in vain).
type StatusError struct {
	Method string
	Path   string
	Status int
	// Body is the start of the response body, scrubbed of secrets.
	Body string
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("%s %s: HTTP %d: %s", e.Method, e.Path, e.Status, e.Body)
}

// Request is one API call, relative to the configured endpoint.
type Request struct {
	Method string
	// Path is appended to the endpoint's path; an absolute URL (a
	// pagination link) is used as is but must point at the endpoint's host.
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// Response is a 2xx answer with its body read in full.
type Response struct {
	Status int
	Header http.Header
	Body   []byte
}

// APIClient performs a source's HTTP requests. It spaces requests to the
// vendor's documented rate limit, honours 429 answers (Retry-After,
// RateLimit-Reset), retries 5xx, timeouts and connection errors per
// retry_on_failure, caps response bodies, refuses other hosts and keeps
// secrets out of every error it returns.
type APIClient struct {
	client  *http.Client
	base    *url.URL
	maxBody int64
	retry   configretry.BackOffConfig
	clock   Clock
	logger  *zap.Logger
	tel     *telemetry
	scrub   *strings.Replacer

	// limiter is the vendor's limit on every request (nil: none); paths
	// are the limits of some paths on top of it.
	limiter *rate.Limiter
	paths   []pathLimit

	mu        sync.Mutex
	notBefore time.Time // a 429 asked to wait until then

	requests atomic.Int64
}

// Requests is how many HTTP requests the client has sent.
func (c *APIClient) Requests() int64 { return c.requests.Load() }

// pathLimit is the client-side limit of the requests whose "METHOD /path"
// starts with prefix.
type pathLimit struct {
	prefix  string
	per     time.Duration
	limiter *rate.Limiter
}

func newLimiter(r Rate) *rate.Limiter {
	return rate.NewLimiter(rate.Every(r.Per/time.Duration(r.Requests)), max(r.Burst, 1))
}

// APIClientSettings configure an APIClient.
type APIClientSettings struct {
	Client           *http.Client
	Endpoint         string
	MaxResponseBytes int64
	Retry            configretry.BackOffConfig
	Limits           Limits
	// Secrets are values that must never appear in a log line or error
	// (API keys, header values); the client scrubs them.
	Secrets   []string
	Clock     Clock
	Logger    *zap.Logger
	telemetry *telemetry
}

// NewAPIClient builds a client for one source.
func NewAPIClient(s APIClientSettings) (*APIClient, error) {
	base, err := url.Parse(strings.TrimRight(s.Endpoint, "/"))
	if err != nil || base.Host == "" || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("endpoint %q is not an http(s) URL", s.Endpoint)
	}
	if s.Clock == nil {
		s.Clock = RealClock{}
	}
	if s.Logger == nil {
		s.Logger = zap.NewNop()
	}
	var pairs []string
	for _, sec := range s.Secrets {
		if sec != "" {
			pairs = append(pairs, sec, "[REDACTED]")
		}
	}
	// The client is copied so that its redirect policy is this source's:
	// a redirect to another scheme, host or port would carry the API key
	// (Go re-sends custom headers to another port of the same host).
	client := *s.Client
	client.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Scheme != base.Scheme || req.URL.Host != base.Host {
			return fmt.Errorf("%w: a redirect to %s://%s", ErrForeignHost, req.URL.Scheme, req.URL.Host)
		}
		if len(via) >= 10 {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	c := &APIClient{
		client:  &client,
		base:    base,
		maxBody: s.MaxResponseBytes,
		retry:   s.Retry,
		clock:   s.Clock,
		logger:  s.Logger,
		tel:     s.telemetry,
		scrub:   strings.NewReplacer(pairs...),
	}
	if !s.Limits.Rate.IsZero() {
		c.limiter = newLimiter(s.Limits.Rate)
	}
	for prefix, r := range s.Limits.Paths {
		if !r.IsZero() {
			c.paths = append(c.paths, pathLimit{prefix: prefix, per: r.Per, limiter: newLimiter(r)})
		}
	}
	return c, nil
}

// Scrub removes the configured secrets from s.
func (c *APIClient) Scrub(s string) string { return c.scrub.Replace(s) }

// Snippet is what an error may quote of a vendor's answer: the body
// scrubbed of secrets first, then cut to maxErrorBody bytes (cutting first
// could leave the start of a key that straddles the cut).
func (c *APIClient) Snippet(body []byte) string {
	s := c.Scrub(string(body))
	if len(s) <= maxErrorBody {
		return s
	}
	cut := maxErrorBody
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}

// Do performs the request and returns the 2xx response, retrying as
// configured. Non-2xx answers that are not retried come back as
// *StatusError.
func (c *APIClient) Do(ctx context.Context, r Request) (*Response, error) {
	u, err := c.resolve(r)
	if err != nil {
		return nil, err
	}
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
	limits := c.limitsOf(method + " " + r.Path)
	start := c.clock.Now()
	retries := newBackoff(c.retry)
	rateLimited := 0
	for {
		if err := c.waitTurn(ctx, limits); err != nil {
			return nil, err
		}
		resp, err := c.once(ctx, method, r, u)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var wait time.Duration
		var se *StatusError
		switch {
		case errors.As(err, &se) && se.Status == http.StatusTooManyRequests:
			// The wait applies to every later request too: waitTurn honours it.
			wait := c.rateLimitWait(resp, limits)
			c.mu.Lock()
			c.notBefore = c.clock.Now().Add(wait)
			c.mu.Unlock()
			if rateLimited++; rateLimited > maxRateLimitRetries {
				return nil, err
			}
			c.tel.rateLimitWait(ctx, "server")
			c.logger.Info("Vendor API rate limit reached; waiting", zap.String("path", r.Path), zap.Duration("wait", wait))
			continue
		case retryable(err):
			if !c.retry.Enabled {
				return nil, err
			}
			wait = retries.NextBackOff()
			if c.retry.MaxElapsedTime > 0 && c.clock.Now().Add(wait).Sub(start) > c.retry.MaxElapsedTime {
				return nil, err
			}
			c.logger.Debug("Vendor API request failed; retrying", zap.String("path", r.Path), zap.Duration("backoff", wait), zap.String("error", err.Error()))
		default:
			return nil, err
		}
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return nil, err
		}
	}
}

// limitsOf returns the path limits that apply to "METHOD /path".
func (c *APIClient) limitsOf(call string) []pathLimit {
	var out []pathLimit
	for _, p := range c.paths {
		if strings.HasPrefix(call, p.prefix) {
			out = append(out, p)
		}
	}
	return out
}

// resolve builds the request URL and refuses other hosts.
func (c *APIClient) resolve(r Request) (*url.URL, error) {
	var u *url.URL
	if strings.HasPrefix(r.Path, "http://") || strings.HasPrefix(r.Path, "https://") {
		parsed, err := url.Parse(r.Path)
		if err != nil {
			return nil, fmt.Errorf("invalid URL: %w", err)
		}
		if parsed.Scheme != c.base.Scheme || parsed.Host != c.base.Host {
			return nil, fmt.Errorf("%w: %s", ErrForeignHost, parsed.Host)
		}
		u = parsed
	} else {
		cp := *c.base
		cp.Path = c.base.Path + r.Path
		cp.RawPath = ""
		u = &cp
	}
	if len(r.Query) > 0 {
		q := u.Query()
		for k, vs := range r.Query {
			q[k] = vs
		}
		u.RawQuery = q.Encode()
	}
	return u, nil
}

// waitTurn blocks until the client-side rate limits and any server-imposed
// wait allow the next request. The limiters are read at the engine's clock,
// so tests and accelerated simulations need no real time.
func (c *APIClient) waitTurn(ctx context.Context, paths []pathLimit) error {
	now := c.clock.Now()
	var client time.Duration
	var reservations []*rate.Reservation
	reserve := func(l *rate.Limiter) {
		r := l.ReserveN(now, 1)
		reservations = append(reservations, r)
		client = max(client, r.DelayFrom(now))
	}
	if c.limiter != nil {
		reserve(c.limiter)
	}
	for _, p := range paths {
		reserve(p.limiter)
	}
	c.mu.Lock()
	server := c.notBefore.Sub(now)
	c.mu.Unlock()
	wait := max(client, server)
	if wait <= 0 {
		return ctx.Err()
	}
	if client >= server {
		c.tel.rateLimitWait(ctx, "client")
	}
	if err := c.clock.Sleep(ctx, wait); err != nil {
		for _, r := range reservations {
			r.CancelAt(c.clock.Now())
		}
		return err
	}
	return nil
}

// once sends one request. On a non-2xx answer it returns the response (for
// its headers) together with a *StatusError.
func (c *APIClient) once(ctx context.Context, method string, r Request, u *url.URL) (*Response, error) {
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u.String(), body)
	if err != nil {
		return nil, c.scrubErr(err)
	}
	for k, vs := range r.Header {
		req.Header[k] = vs
	}
	if r.Body != nil && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("Accept", "application/json")
	c.requests.Add(1)
	resp, err := c.client.Do(req)
	if err != nil {
		c.tel.apiRequest(ctx, 0)
		return nil, c.scrubErr(err)
	}
	defer func() { _ = resp.Body.Close() }()
	c.tel.apiRequest(ctx, resp.StatusCode)
	data, err := c.readBody(resp.Body)
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Body: data}
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			return nil, fmt.Errorf("%s %s: %w (%d bytes)", method, r.Path, err, c.maxBody)
		}
		return nil, c.scrubErr(fmt.Errorf("%s %s: reading response: %w", method, r.Path, err))
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return out, &StatusError{Method: method, Path: r.Path, Status: resp.StatusCode, Body: c.Snippet(data)}
	}
	return out, nil
}

func (c *APIClient) readBody(body io.Reader) ([]byte, error) {
	if c.maxBody <= 0 {
		return io.ReadAll(body)
	}
	data, err := io.ReadAll(io.LimitReader(body, c.maxBody+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > c.maxBody {
		return nil, ErrBodyTooLarge
	}
	return data, nil
}

// rateLimitWait reads how long a 429 asks to wait: Retry-After (seconds or
// an HTTP date), else RateLimit-Reset (seconds), else the whole period of
// the request's path limit, else a default; never more than
// maxRateLimitWait.
func (c *APIClient) rateLimitWait(resp *Response, paths []pathLimit) time.Duration {
	wait, asked := defaultRateLimitWait, false
	if resp != nil {
		wait, asked = c.askedWait(resp.Header)
	}
	if !asked {
		for _, p := range paths {
			wait = max(wait, p.per)
		}
	}
	if wait > maxRateLimitWait {
		c.logger.Warn("Vendor asked to wait longer than the receiver waits; waiting the maximum", zap.Duration("max", maxRateLimitWait))
		return maxRateLimitWait
	}
	return wait
}

// askedWait reads Retry-After and RateLimit-Reset; asked is false when the
// answer carries neither.
func (c *APIClient) askedWait(h http.Header) (wait time.Duration, asked bool) {
	if v := strings.TrimSpace(h.Get("Retry-After")); v != "" {
		if secs, ok := parseSeconds(v); ok {
			return seconds(secs), true
		}
		if at, err := http.ParseTime(v); err == nil {
			return max(at.Sub(c.clock.Now()), 0), true
		}
	}
	if v := strings.TrimSpace(h.Get("RateLimit-Reset")); v != "" {
		if secs, ok := parseSeconds(v); ok {
			return seconds(secs), true
		}
	}
	return defaultRateLimitWait, false
}

// parseSeconds reads a non-negative number of seconds; one too large for a
// float64 ("1e400") reads as +Inf.
func parseSeconds(v string) (float64, bool) {
	secs, err := strconv.ParseFloat(v, 64)
	if err != nil && !errors.Is(err, strconv.ErrRange) {
		return 0, false
	}
	return secs, secs >= 0
}

// seconds converts a number of seconds to a Duration, saturating instead of
// overflowing (and +Inf, from "1e400", saturates too).
func seconds(secs float64) time.Duration {
	if secs >= float64(math.MaxInt64)/float64(time.Second) {
		return math.MaxInt64
	}
	return time.Duration(secs * float64(time.Second))
}

// ScrubError keeps secrets out of an error message while preserving the
// error chain for errors.Is checks. Every error a source builds from a
// vendor's answer (a decoding error quotes the body) goes through it; the
// engine scrubs every source error once more before it logs or reports it.
func (c *APIClient) ScrubError(err error) error { return c.scrubErr(err) }

func (c *APIClient) scrubErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := c.Scrub(msg); clean != msg {
		return &scrubbedError{msg: clean, err: err}
	}
	return err
}

type scrubbedError struct {
	msg string
	err error
}

func (e *scrubbedError) Error() string { return e.msg }
func (e *scrubbedError) Unwrap() error { return e.err }

// retryable reports whether a failed request may succeed when repeated:
// 5xx and 408 answers, and transport errors (timeouts, resets, refused
// connections, truncated bodies).
func retryable(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		return se.Status >= 500 || se.Status == http.StatusRequestTimeout
	}
	return !errors.Is(err, ErrForeignHost) && !errors.Is(err, ErrBodyTooLarge)
}

// newBackoff returns the exponential backoff of retry_on_failure; the
// caller applies its max_elapsed_time on the engine's clock.
func newBackoff(cfg configretry.BackOffConfig) *backoff.ExponentialBackOff {
	b := &backoff.ExponentialBackOff{
		InitialInterval:     cfg.InitialInterval,
		RandomizationFactor: cfg.RandomizationFactor,
		Multiplier:          max(cfg.Multiplier, 1),
		MaxInterval:         cfg.MaxInterval,
	}
	if b.InitialInterval <= 0 {
		b.InitialInterval = time.Second
	}
	if b.MaxInterval <= 0 {
		b.MaxInterval = math.MaxInt64
	}
	b.Reset()
	return b
}
