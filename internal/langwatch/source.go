package langwatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// API paths, relative to the endpoint.
const (
	searchPath       = "/api/traces/search"
	legacySearchPath = "/api/trace/search"
	legacyTracePath  = "/api/trace/"
)

// sortAscending is the sortDirection sent: oldest first, so that an
// interrupted query has read the old end of its window. LangWatch sorts
// ascending for any value but "desc" and rejects a cursor minted for
// another value.
const sortAscending = "asc"

// mode is which search API the server has.
type mode uint8

const (
	modeUnknown mode = iota
	modeSearch       // POST /api/traces/search with includeSpans and dateField "updated"
	modeLegacy       // POST /api/trace/search + GET /api/trace/{id}
)

// errNoSuccessor means the server cannot serve the successor search as the
// source needs it; the source falls back to the legacy API.
var errNoSuccessor = errors.New("no incremental POST /api/traces/search")

// source reads one LangWatch project.
//
// Modern servers (2026-08 and later) are read with POST /api/traces/search,
// windowed by update time (dateField "updated", inclusive both ends, epoch
// ms), oldest update first, with every trace's spans (includeSpans) and
// LangWatch's keyset scroll: a new scrollId comes only when a page is full,
// and is valid only with the same pageSize, sortDirection and dateField
// (else the server silently restarts at page 1, so the source refuses to
// send a mismatched one). A trace that changes later moves on this axis and
// is read again; the engine emits only its new spans. The answer's
// updatedThrough tells up to where the scroll's snapshot reached: when the
// server's clock lags and it is before the window's end, the query goes on
// with a new scroll from there (see continuation).
//
// Older servers answer 404 to that path, or lack updatedThrough: they are
// read with the legacy API (legacy.go).
type source struct {
	api      *poll.APIClient
	logger   *zap.Logger
	conv     *converter
	dec      decoder
	header   http.Header
	pageSize int
	filters  json.RawMessage // the filter key, sent with every search; nil for none
	clock    poll.Clock
	mode     mode
	cache    traceCache
}

func newSource(c *Config, s poll.SourceSettings) *source {
	header := http.Header{}
	header.Set("X-Auth-Token", string(c.APIKey))
	if c.ProjectID != "" {
		header.Set("X-Project-Id", c.ProjectID)
	}
	logger := s.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	clock := s.Clock
	if clock == nil {
		clock = poll.RealClock{}
	}
	pageSize := c.PageSize
	if pageSize < 1 || pageSize > MaxPageSize {
		pageSize = MaxPageSize
	}
	var filters json.RawMessage
	if f := filtersText(c.Filter); f != "" {
		filters = json.RawMessage(f)
	}
	return &source{
		api:      s.API,
		logger:   logger,
		conv:     newConverter(c.ProjectID, c.ServiceName, s.Warn, clock.Now),
		header:   header,
		pageSize: pageSize,
		filters:  filters,
		clock:    clock,
		cache:    traceCache{entries: map[string]*cachedTrace{}},
	}
}

// FetchPage reads one page of the query in the server's mode, which the
// first request finds out.
func (s *source) FetchPage(ctx context.Context, r poll.PageRequest) (poll.Page, error) {
	tok, err := parseToken(r.Token)
	if err != nil {
		return poll.Page{}, err
	}
	if tok.kind == tokWindow {
		// A legacy query (resumed after a restart, perhaps) ends as one.
		return s.legacyPage(ctx, r.Query, tok)
	}
	if s.mode == modeLegacy {
		if tok.kind != tokFirst {
			return poll.Page{}, fmt.Errorf("langwatch: a page token of POST %s, which this server does not have: %w", searchPath, poll.ErrInvalidToken)
		}
		return s.legacyPage(ctx, r.Query, tok)
	}
	page, err := s.searchPage(ctx, r.Query, tok)
	if errors.Is(err, errNoSuccessor) {
		s.mode = modeLegacy
		s.logger.Warn("LangWatch server without the incremental trace search; reading with the deprecated POST "+legacySearchPath+
			" and one GET "+legacyTracePath+"{id} per trace", zap.String("reason", err.Error()))
		if tok.kind != tokFirst {
			return poll.Page{}, fmt.Errorf("langwatch: %w: %w", err, poll.ErrInvalidToken)
		}
		return s.legacyPage(ctx, r.Query, tok)
	}
	return page, err
}

// searchBody is the body of POST /api/traces/search. Filters (the filter
// key) narrows the traces of the window; it does not replace it.
type searchBody struct {
	StartDate     int64           `json:"startDate"`
	EndDate       int64           `json:"endDate"`
	PageSize      int             `json:"pageSize"`
	SortDirection string          `json:"sortDirection"`
	DateField     string          `json:"dateField"`
	IncludeSpans  bool            `json:"includeSpans"`
	Format        string          `json:"format"`
	ScrollID      string          `json:"scrollId,omitempty"`
	Filters       json.RawMessage `json:"filters,omitempty"`
}

// searchPage reads one page of POST /api/traces/search.
func (s *source) searchPage(ctx context.Context, q poll.Query, tok token) (poll.Page, error) {
	from, to := q.From.UnixMilli(), q.To.UnixMilli()
	if tok.kind == tokContinue {
		if err := s.clock.Sleep(ctx, time.UnixMilli(tok.notBefore).Sub(s.clock.Now())); err != nil {
			return poll.Page{}, err
		}
		from = max(from, tok.start)
	}
	if tok.kind == tokScroll {
		if err := checkCursor(tok.scroll, s.pageSize); err != nil {
			return poll.Page{}, err
		}
	}
	body, err := json.Marshal(searchBody{
		StartDate: from, EndDate: max(to, from), PageSize: s.pageSize, SortDirection: sortAscending,
		DateField: "updated", IncludeSpans: true, Format: "json", ScrollID: tok.scroll, Filters: s.filters,
	})
	if err != nil {
		return poll.Page{}, fmt.Errorf("langwatch: encoding request: %w", err)
	}
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodPost, Path: searchPath, Header: s.header, Body: body})
	if err != nil {
		var se *poll.StatusError
		if errors.As(err, &se) && se.Status == http.StatusNotFound {
			return poll.Page{}, fmt.Errorf("%w: the server answered 404", errNoSuccessor)
		}
		return poll.Page{}, s.searchError("searching traces", err)
	}
	page, err := s.dec.decodeSearch(resp.Body)
	if err != nil {
		return poll.Page{}, fmt.Errorf("langwatch: searching traces: %w", err)
	}
	if !page.HasThrough {
		// Servers before 2026-08 have no updatedThrough, and before 2026-06
		// no dateField (silently ignored: they would window by start).
		return poll.Page{}, fmt.Errorf("%w: the answer has no pagination.updatedThrough (a server older than 2026-08)", errNoSuccessor)
	}
	if s.mode == modeUnknown {
		s.mode = modeSearch
		s.logger.Info("Reading LangWatch with POST " + searchPath + ", incrementally by update time")
	}
	s.skipped(page.Skipped)
	out := poll.Page{Traces: make([]poll.Trace, 0, len(page.Traces))}
	for i := range page.Traces {
		out.Traces = append(out.Traces, s.conv.trace(&page.Traces[i], byUpdate))
	}
	switch {
	case page.ScrollID != "":
		if err := checkProgress(tok.scroll, page.ScrollID); err != nil {
			return poll.Page{}, err
		}
		out.Next = scrollToken(page.ScrollID)
	case page.UpdatedThrough < to:
		out.Next = s.continuation(page.UpdatedThrough, to)
	}
	return out, nil
}

// continuation is the token that goes on with a new scroll from through
// (inclusive) when a scroll's snapshot ended before the window's end to:
// the server's clock was behind the receiver's, and what it writes until
// its clock reaches to belongs to this window. The new scroll waits until
// the server's clock has had the time to get there.
func (s *source) continuation(through, to int64) string {
	lag := time.Duration(to-through) * time.Millisecond
	s.logger.Warn("LangWatch's clock is behind the receiver's: its scroll covered the window only up to updatedThrough; "+
		"reading the rest once the server has caught up",
		zap.Time("updated_through", time.UnixMilli(through).UTC()), zap.Duration("lag", lag))
	return continueToken(through, s.clock.Now().Add(lag).UnixMilli())
}

// skipped reports traces the server failed to serialize (they are missing
// from the page; each is a conversion warning).
func (s *source) skipped(n int64) {
	if n <= 0 {
		return
	}
	s.logger.Warn("LangWatch left out traces it could not serialize", zap.Int64("traces", n))
	for range n {
		s.conv.warn()
	}
}

// searchError explains a failed search: a refusal of the filters (the
// validation error names them: fields "filters..." on the successor route,
// `at "filters..."` in the legacy route's message) names the filter key;
// anything else is an APIError.
func (s *source) searchError(doing string, err error) error {
	var se *poll.StatusError
	if s.filters != nil && errors.As(err, &se) && (se.Status == http.StatusBadRequest || se.Status == http.StatusUnprocessableEntity) {
		var v struct {
			Error  any      `json:"error"`
			Fields []string `json:"fields"`
		}
		_ = json.Unmarshal([]byte(se.Body), &v)
		msg, _ := v.Error.(string)
		if slices.ContainsFunc(v.Fields, func(f string) bool { return strings.HasPrefix(f, "filters") }) || strings.Contains(msg, `"filters`) {
			return &poll.FilterError{Block: Name, Vendor: "LangWatch", Status: se.Status, Message: vendorMessage(se.Status, se.Body), Err: err}
		}
	}
	return apiError(doing, err)
}

// hint says what to check for an error status.
func hint(status int, _ string) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "check api_key (a project key, sent as X-Auth-Token) and project_id"
	case http.StatusNotFound:
		return "check endpoint"
	}
	return ""
}

// apiError turns a non-2xx answer into a poll.APIError naming the vendor's
// message and, for a validation error, its reasons. The body was already
// scrubbed of the API key by the API client.
func apiError(doing string, err error) error {
	return poll.NewAPIError(Name, doing, err, vendorMessage, hint)
}
