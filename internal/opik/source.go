package opik

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// API paths, relative to the endpoint.
const (
	tracesPath = "/v1/private/traces"
	spansPath  = "/v1/private/spans"
)

// source reads one Opik project.
//
// Each page of the query is one page of GET /v1/private/traces over the
// query's window (from_time/to_time filter on the time inside the trace's
// UUIDv7 id; answers are newest id first). The spans of the page's traces
// are then read in bulk with GET /v1/private/spans over the matching
// UUIDv7 window and grouped by trace_id; a trace that may have spans outside
// that window (it runs past it) or that has fewer spans than its span_count
// is read again with GET /v1/private/spans?trace_id= (see spans.go).
//
// The page token is the traces page number. Offset pagination over newest
// ids shifts when traces are inserted into the window while it is read:
// to_time is fixed for the whole query, so traces created after the query
// started never enter it; traces flushed late with older ids push items
// towards later pages, so an item may be read twice (the engine dedupes by
// span id) but is never skipped. Reading spans again is idempotent, so a
// token reused after a restart resumes correctly.
type source struct {
	api       *poll.APIClient
	logger    *zap.Logger
	conv      *converter
	header    http.Header
	workspace string
	project   url.Values
	filters   string // the filter key, compacted; "" for none
	pageSize  int
	now       func() time.Time
	sweep     *sweep
	settled   settledCache
}

func newSource(c *Config, s poll.SourceSettings) *source {
	header := http.Header{}
	if c.APIKey != "" {
		// Opik takes the bare key, without "Bearer ".
		header.Set("Authorization", string(c.APIKey))
		header.Set("Comet-Workspace", c.Workspace)
	}
	project := url.Values{}
	if c.ProjectID != "" {
		project.Set("project_id", c.ProjectID)
	} else {
		project.Set("project_name", c.ProjectName)
	}
	logger := s.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	now := time.Now
	if s.Clock != nil {
		now = s.Clock.Now
	}
	pageSize := c.PageSize
	if pageSize <= 0 {
		pageSize = 500
	}
	filters, _ := compactFilters(c.Filter) // Validate refused a malformed one
	return &source{
		api:       s.API,
		logger:    logger,
		conv:      newConverter(c.Scope(), c.ServiceNameOr(c.Scope()), s.Warn),
		header:    header,
		workspace: c.Workspace,
		project:   project,
		filters:   filters,
		pageSize:  min(pageSize, MaxPageSize),
		now:       now,
	}
}

// FetchPage reads one page of traces of the window and all their spans.
func (s *source) FetchPage(ctx context.Context, r poll.PageRequest) (poll.Page, error) {
	page, err := parseToken(r.Token)
	if err != nil {
		return poll.Page{}, err
	}
	q := r.Query
	if !r.Continued {
		s.sweep = nil
	}
	from, to := q.From.UTC(), q.To.UTC()
	if !from.Before(to) {
		// Opik rejects from_time >= to_time.
		to = from.Add(time.Millisecond)
	}
	params := s.window(from, to)
	if s.filters != "" {
		// The filter narrows the traces of the window; it does not
		// replace it. Spans are read by window or by trace id, and
		// only those of the listed traces are kept.
		params.Set("filters", s.filters)
	}
	traces, err := s.list(ctx, tracesPath, "traces", page, params)
	if err != nil {
		return poll.Page{}, err
	}
	var out poll.Page
	if len(traces.Content) > 0 {
		spans, err := s.spansOf(ctx, q, page, traces.Content)
		if err != nil {
			return poll.Page{}, err
		}
		out.Traces = make([]poll.Trace, 0, len(traces.Content))
		for i := range traces.Content {
			tr := &traces.Content[i]
			out.Traces = append(out.Traces, s.conv.trace(tr, spans[tr.ID]))
			out.Traces[len(out.Traces)-1].Key = tr.ID // for Refresh
		}
	}
	if more(page, s.pageSize, traces) {
		out.Next = strconv.Itoa(page + 1)
	} else {
		s.sweep = nil
	}
	return out, nil
}

// parseToken reads a page token: "" is the first page.
func parseToken(token string) (int, error) {
	if token == "" {
		return 1, nil
	}
	n, err := strconv.Atoi(token)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("opik: page %q: %w", token, poll.ErrInvalidToken)
	}
	return n, nil
}

// more reports whether a list has pages after this one. Opik's total counts
// the filtered rows: while it says more rows exist, a short page (a server
// that caps the page below the requested size) does not end the list. Without
// a total, a short page ends it; an empty page always does.
func more(page, size int, p listPage) bool {
	n := len(p.Content)
	if n == 0 {
		return false
	}
	if p.Total >= 0 {
		return int64(page-1)*int64(size)+int64(n) < p.Total
	}
	return n >= size
}

// window returns the query parameters of a UUIDv7 time window.
func (s *source) window(from, to time.Time) url.Values {
	return url.Values{
		"from_time": {from.Format(time.RFC3339Nano)},
		"to_time":   {to.Format(time.RFC3339Nano)},
	}
}

// list reads one page of a list endpoint.
func (s *source) list(ctx context.Context, path, what string, page int, params url.Values) (listPage, error) {
	q := url.Values{}
	for k, v := range s.project {
		q[k] = v
	}
	for k, v := range params {
		q[k] = v
	}
	q.Set("page", strconv.Itoa(page))
	q.Set("size", strconv.Itoa(s.pageSize))
	q.Set("truncate", "false")
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodGet, Path: path, Query: q, Header: s.header})
	if err != nil {
		return listPage{}, s.explain(fmt.Sprintf("listing %s (page %d)", what, page), err)
	}
	p, err := decodePage(resp.Body)
	if err != nil {
		return listPage{}, fmt.Errorf("opik: listing %s (page %d): %w", what, page, s.api.ScrubError(err))
	}
	return p, nil
}

// listAll reads every page of a span list.
func (s *source) listAll(ctx context.Context, what string, params url.Values, each func(*record)) error {
	for page := 1; ; page++ {
		p, err := s.list(ctx, spansPath, what, page, params)
		if err != nil {
			return err
		}
		for i := range p.Content {
			each(&p.Content[i])
		}
		if !more(page, s.pageSize, p) {
			return nil
		}
	}
}

// explain turns API errors into messages that say what to fix. The key
// never appears: the API client scrubs it from every error.
func (s *source) explain(doing string, err error) error {
	var se *poll.StatusError
	if !errors.As(err, &se) {
		return fmt.Errorf("opik: %s: %w", doing, err)
	}
	if s.filters != "" && se.Status == http.StatusBadRequest {
		if msg := errorMessage(se.Body); isFilterRefusal(msg) {
			return &poll.FilterError{Block: Name, Vendor: "Opik", Status: se.Status, Message: msg, Err: err}
		}
	}
	var hint string
	switch se.Status {
	case http.StatusUnauthorized:
		hint = "authentication failed: check api_key (sent without \"Bearer \") and workspace"
	case http.StatusForbidden:
		hint = fmt.Sprintf("access denied: check that the api_key may read workspace %q", s.workspace)
	case http.StatusNotFound:
		hint = fmt.Sprintf("project %s not found: check project_name/project_id, workspace and endpoint (it must end with /api for self-hosted Opik)", s.projectLabel())
	case http.StatusBadRequest:
		hint = "request rejected"
	case http.StatusTooManyRequests:
		hint = "rate limited"
	default:
		return fmt.Errorf("opik: %s: %w", doing, err)
	}
	return fmt.Errorf("opik: %s: %s: %w", doing, hint, err)
}

func (s *source) projectLabel() string {
	if id := s.project.Get("project_id"); id != "" {
		return "id " + strconv.Quote(id)
	}
	return strconv.Quote(s.project.Get("project_name"))
}

// errorMessage is the message of an Opik error body: Dropwizard's
// {"code", "message"} or bean validation's {"errors": [...]}; the body
// itself otherwise.
func errorMessage(body string) string {
	var v struct {
		Message string   `json:"message"`
		Errors  []string `json:"errors"`
	}
	if json.Unmarshal([]byte(body), &v) == nil {
		switch {
		case v.Message != "":
			return v.Message
		case len(v.Errors) > 0:
			return strings.Join(v.Errors, "; ")
		}
	}
	return strings.TrimSpace(body)
}

// isFilterRefusal reports whether Opik's message refuses the filters
// parameter: FiltersFactory's "Invalid filters query parameter '...'",
// "Invalid filter '...'", "Invalid operator '...' for field ...", "Invalid
// value '...' or key '...' for field ...", and the custom-filter messages.
func isFilterRefusal(msg string) bool {
	for _, p := range []string{"Invalid filter", "Invalid operator", "Invalid value", "Invalid key", "Custom key"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}
