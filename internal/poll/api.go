package poll // import "github.com/llmtrace/llmtrace/internal/poll"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/collector/config/configretry"
	"go.uber.org/zap"
)

// maxRateLimitRetries bounds how often one request is retried after 429
// answers before the poll gives up (the wait itself is what the server asks).
const maxRateLimitRetries = 8

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

	// minGap is the spacing the client-side rate limit imposes.
	minGap time.Duration

	mu        sync.Mutex
	last      time.Time // when the previous request was sent
	notBefore time.Time // a 429 asked to wait until then
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
	c := &APIClient{
		client:  s.Client,
		base:    base,
		maxBody: s.MaxResponseBytes,
		retry:   s.Retry,
		clock:   s.Clock,
		logger:  s.Logger,
		tel:     s.telemetry,
		scrub:   strings.NewReplacer(pairs...),
	}
	if !s.Limits.Rate.IsZero() {
		c.minGap = s.Limits.Rate.Per / time.Duration(s.Limits.Rate.Requests)
	}
	return c, nil
}

// Scrub removes the configured secrets from s.
func (c *APIClient) Scrub(s string) string { return c.scrub.Replace(s) }

// Do performs the request and returns the 2xx response, retrying as
// configured. Non-2xx answers that are not retried come back as
// *StatusError.
func (c *APIClient) Do(ctx context.Context, r Request) (*Response, error) {
	u, err := c.resolve(r)
	if err != nil {
		return nil, err
	}
	start := c.clock.Now()
	backoff := newBackoff(c.retry)
	rateLimited := 0
	for {
		if err := c.waitTurn(ctx); err != nil {
			return nil, err
		}
		resp, err := c.once(ctx, r, u)
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
			wait := c.rateLimitWait(resp)
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
			wait = backoff.next()
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

// waitTurn blocks until the client-side rate limit and any server-imposed
// wait allow the next request.
func (c *APIClient) waitTurn(ctx context.Context) error {
	c.mu.Lock()
	now := c.clock.Now()
	at := now
	source := ""
	if c.minGap > 0 && !c.last.IsZero() && c.last.Add(c.minGap).After(at) {
		at = c.last.Add(c.minGap)
		source = "client"
	}
	if c.notBefore.After(at) {
		at = c.notBefore
		source = "server"
	}
	c.last = at
	c.mu.Unlock()
	if wait := at.Sub(now); wait > 0 {
		if source == "client" {
			c.tel.rateLimitWait(ctx, source)
		}
		return c.clock.Sleep(ctx, wait)
	}
	return ctx.Err()
}

// once sends one request. On a non-2xx answer it returns the response (for
// its headers) together with a *StatusError.
func (c *APIClient) once(ctx context.Context, r Request, u *url.URL) (*Response, error) {
	method := r.Method
	if method == "" {
		method = http.MethodGet
	}
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
	resp, err := c.client.Do(req)
	if err != nil {
		c.tel.apiRequest(ctx, 0)
		return nil, c.scrubErr(err)
	}
	defer resp.Body.Close()
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
		snippet := data
		if len(snippet) > 512 {
			snippet = snippet[:512]
		}
		return out, &StatusError{Method: method, Path: r.Path, Status: resp.StatusCode, Body: c.Scrub(string(snippet))}
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
// an HTTP date), else RateLimit-Reset (seconds), else a default.
func (c *APIClient) rateLimitWait(resp *Response) time.Duration {
	if resp == nil {
		return defaultRateLimitWait
	}
	if v := strings.TrimSpace(resp.Header.Get("Retry-After")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			return time.Duration(secs * float64(time.Second))
		}
		if at, err := http.ParseTime(v); err == nil {
			if d := at.Sub(c.clock.Now()); d > 0 {
				return d
			}
			return 0
		}
	}
	if v := strings.TrimSpace(resp.Header.Get("RateLimit-Reset")); v != "" {
		if secs, err := strconv.ParseFloat(v, 64); err == nil && secs >= 0 {
			return time.Duration(secs * float64(time.Second))
		}
	}
	return defaultRateLimitWait
}

// scrubErr keeps secrets out of an error message while preserving the
// error chain for errors.Is checks.
func (c *APIClient) scrubErr(err error) error {
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

// backoff yields exponentially growing, randomized intervals per
// configretry.BackOffConfig.
type backoff struct {
	next func() time.Duration
}

func newBackoff(cfg configretry.BackOffConfig) *backoff {
	cur := cfg.InitialInterval
	if cur <= 0 {
		cur = time.Second
	}
	mult := max(cfg.Multiplier, 1)
	return &backoff{next: func() time.Duration {
		d := cur
		if r := cfg.RandomizationFactor; r > 0 {
			delta := r * float64(d)
			d = time.Duration(float64(d) - delta + rand.Float64()*2*delta) //nolint:gosec // jitter only
		}
		cur = time.Duration(float64(cur) * mult)
		if cfg.MaxInterval > 0 && cur > cfg.MaxInterval {
			cur = cfg.MaxInterval
		}
		return d
	}}
}
