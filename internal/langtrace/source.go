package langtrace

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/poll"
)

// tracesPath is the only Langtrace read endpoint an API key may use.
const tracesPath = "/api/traces"

// orderSlack bounds how far the server's ordering of traces can disagree
// with their parsed start times: it ranks traces by min(start_time) over
// the stored strings, and ISO strings of different precision ("...30Z",
// "...30.275Z", "...30.275984Z") compare out of order only within the same
// second.
const orderSlack = time.Second

// source reads one Langtrace project. Langtrace has no time filter: it
// returns traces newest first (by earliest span start) in offset pages, so
// a query reads pages from 1 until it reaches traces older than its window.
// The page token is the page number. New traces push older ones down, so a
// trace can show up again on the next page (the engine de-duplicates) but
// is never skipped, and a persisted page number stays safe to resume.
type source struct {
	projectID string
	pageSize  int
	keyword   string // the filter key, sent as Langtrace's keyword
	apiKey    string
	api       *poll.APIClient
	logger    *zap.Logger
	conv      *converter
}

func newSource(c *Config, s poll.SourceSettings) *source {
	pageSize := c.PageSize
	if pageSize < 1 || pageSize > MaxPageSize {
		pageSize = MaxPageSize
	}
	logger := s.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	return &source{
		projectID: c.ProjectID,
		pageSize:  pageSize,
		keyword:   c.Filter,
		apiKey:    string(c.APIKey),
		api:       s.API,
		logger:    logger,
		conv:      newConverter(c.ProjectID, c.ServiceNameOr(c.ProjectID), s.Warn),
	}
}

// tracesRequest is the body of POST /api/traces. Keyword (the filter key)
// narrows the rows Langtrace reads to the spans whose attributes or events
// contain it, case-insensitive; it is Langtrace's only filter for an API
// key (the route forces every other filter off), and it does not replace
// anything: the source still stops at the window's start.
type tracesRequest struct {
	ProjectID string `json:"projectId"`
	Page      int    `json:"page"`
	PageSize  int    `json:"pageSize"`
	Keyword   string `json:"keyword,omitempty"`
}

// FetchPage reads page r.Token (page 1 for "") and converts its traces.
func (s *source) FetchPage(ctx context.Context, r poll.PageRequest) (poll.Page, error) {
	page := 1
	if r.Token != "" {
		n, err := strconv.Atoi(r.Token)
		if err != nil || n < 1 {
			return poll.Page{}, fmt.Errorf("langtrace: page %q: %w", r.Token, poll.ErrInvalidToken)
		}
		page = n
	}
	q := r.Query
	body, err := json.Marshal(tracesRequest{ProjectID: s.projectID, Page: page, PageSize: s.pageSize, Keyword: s.keyword})
	if err != nil {
		return poll.Page{}, fmt.Errorf("langtrace: encoding request: %w", err)
	}
	header := http.Header{}
	header.Set("x-api-key", s.apiKey)
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodPost, Path: tracesPath, Header: header, Body: body})
	if err != nil {
		return poll.Page{}, s.apiError(err)
	}
	traces, meta, err := s.conv.page(resp.Body)
	if err != nil {
		return poll.Page{}, fmt.Errorf("langtrace: page %d: %w", page, err)
	}
	next := ""
	if !s.lastPage(page, meta, traces, q.From) {
		next = strconv.Itoa(page + 1)
	}
	// Traces before q.From may remain on the last page; the engine ignores
	// them.
	return poll.Page{Traces: traces, Next: next}, nil
}

// lastPage reports whether no later page can hold a trace of the window:
// the page is empty or the last one, or it reaches traces older than the
// window start (pages are ordered newest first).
func (s *source) lastPage(page int, meta pageMeta, traces []poll.Trace, from time.Time) bool {
	if len(traces) == 0 || (meta.TotalPages > 0 && page >= meta.TotalPages) {
		return true
	}
	if from.IsZero() {
		return false
	}
	allOlder := true
	for i := range traces {
		t := traces[i].Time
		if !t.IsZero() && t.Before(from.Add(-orderSlack)) {
			// Every trace on later pages started no later than this one.
			return true
		}
		if t.IsZero() || !t.Before(from) {
			allOlder = false
		}
	}
	return allOlder
}

// hint says which key to check for an error status.
func hint(status int, _ string) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "check api_key"
	case http.StatusNotFound:
		return "check project_id"
	}
	return ""
}

// bodyPageSize is Langtrace's answer to a pageSize over 100, its only 400
// that does not come from the query failing.
const bodyPageSize = "Page size cannot be more than 100"

// apiError turns a non-2xx answer into a poll.APIError naming the vendor's
// message ({"error": "..."}, {"message": "..."} or {"error": {"message":
// "..."}}). The body was already scrubbed of the API key by the API client.
// Langtrace answers any failure of its query with one generic 400; with a
// keyword set, the keyword is what the user can change, so the error names
// the filter key.
func (s *source) apiError(err error) error {
	var se *poll.StatusError
	if errors.As(err, &se) && s.keyword != "" && se.Status == http.StatusBadRequest {
		if msg := vendorMessage(se.Status, se.Body); msg != bodyPageSize {
			return &poll.FilterError{Block: Name, Vendor: "Langtrace", Status: se.Status, Message: msg, Err: err}
		}
	}
	return poll.NewAPIError(Name, "", err, vendorMessage, hint)
}

func vendorMessage(status int, body string) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
	}
	if json.Unmarshal([]byte(body), &v) == nil {
		var s string
		var obj struct {
			Message string `json:"message"`
		}
		switch {
		case json.Unmarshal(v.Error, &s) == nil && s != "":
			return s
		case json.Unmarshal(v.Error, &obj) == nil && obj.Message != "":
			return obj.Message
		case v.Message != "":
			return v.Message
		}
	}
	if b := strings.TrimSpace(body); b != "" {
		return b
	}
	return http.StatusText(status)
}
