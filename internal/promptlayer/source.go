package promptlayer

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// API paths, relative to the endpoint.
const (
	requestPathPrefix = "/api/public/v2/requests/"
	tracePathPrefix   = "/api/public/v2/traces/"
)

// timeLayout is how query bounds are sent: ISO 8601, UTC, microseconds.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// source reads the request logs of one PromptLayer workspace (the API key's)
// and the traces they belong to. PromptLayer documents no endpoint that
// lists traces, so each page of a query is a chain:
//
//  1. POST /api/public/v2/requests/search: one page of the request logs
//     whose request_start_time lies in the query's window (filter_group
//     "between"), oldest first; the page token is the search page number.
//     This is the only rate-limited call (10 per minute), kept to by the API
//     client (Config.Limits).
//  2. GET /api/public/v2/requests/{id} for each request log: its trace_id
//     (or null), model, provider, tokens, price and prompt template. A
//     request log does not change once priced, so details are cached across
//     queries; one still without a price is read again by the next query.
//  3. GET /api/public/v2/traces/{trace_id} once per distinct trace of the
//     query: a trace already read by an earlier page of the same query
//     costs nothing more. Every query reads its traces again, since an open
//     trace may still gain spans; the engine emits each span once. The
//     request logs its spans name are read (step 2) to enrich them.
//
// A request log without a trace becomes a one-span trace of its own.
//
// Offset pages shift when request logs are inserted into the window while
// it is read (late exports): an item then shows up twice, which is
// harmless, but none is skipped; a page number stays valid after a restart.
type source struct {
	api      *poll.APIClient
	logger   *zap.Logger
	conv     *converter
	warn     func()
	header   http.Header
	pageSize int
	filter   json.RawMessage // the filter key, ANDed with the time filter; nil for none
	logs     logCache
	query    *queryState
}

// queryState is what a query's pages share while they follow each other.
type queryState struct {
	q    poll.Query
	read map[string]struct{} // trace ids read by this query
}

func newSource(c *Config, s poll.SourceSettings) *source {
	header := http.Header{}
	header.Set("X-API-KEY", string(c.APIKey))
	logger := s.Logger
	if logger == nil {
		logger = zap.NewNop()
	}
	warn := s.Warn
	if warn == nil {
		warn = func() {}
	}
	pageSize := c.PageSize
	if pageSize < 1 || pageSize > MaxPageSize {
		pageSize = MaxPageSize
	}
	var filter json.RawMessage
	if f := filterText(c.Filter); f != "" {
		filter = json.RawMessage(f)
	}
	return &source{
		api:      s.API,
		logger:   logger,
		conv:     newConverter(c.Scope(), c.ServiceName, warn),
		warn:     warn,
		header:   header,
		pageSize: pageSize,
		filter:   filter,
		logs:     logCache{m: map[int64]*cachedLog{}},
	}
}

// FetchPage reads one search page of the window, the request logs on it and
// the traces they belong to.
func (s *source) FetchPage(ctx context.Context, r poll.PageRequest) (poll.Page, error) {
	page := 1
	if r.Token != "" {
		n, err := strconv.Atoi(r.Token)
		if err != nil || n < 1 {
			return poll.Page{}, fmt.Errorf("promptlayer: page %q: %w", r.Token, poll.ErrInvalidToken)
		}
		page = n
	}
	if !r.Continued || s.query == nil || s.query.q != r.Query {
		s.query = &queryState{q: r.Query, read: map[string]struct{}{}}
		s.logs.evict(r.From.Add(-logCacheSlack))
	}
	sp, err := s.search(ctx, r.Query, page)
	if err != nil {
		return poll.Page{}, err
	}
	for range sp.Skipped {
		s.warn()
	}
	traces, err := s.tracesOf(ctx, sp.Items)
	if err != nil {
		return poll.Page{}, err
	}
	out := poll.Page{Traces: traces}
	if sp.HasNext && len(sp.Items)+sp.Skipped > 0 {
		out.Next = strconv.Itoa(page + 1)
	}
	s.logger.Debug("Read PromptLayer request logs", zap.Int("page", page), zap.Int("request_logs", len(sp.Items)),
		zap.Int("traces", len(traces)), zap.Int("cached_request_logs", len(s.logs.m)))
	return out, nil
}

// tracesOf reads the request logs of a page and the traces they belong to,
// each trace once per query.
func (s *source) tracesOf(ctx context.Context, items []searchItem) ([]poll.Trace, error) {
	var out []poll.Trace
	for i := range items {
		log, err := s.requestLog(ctx, items[i].ID, &items[i])
		if err != nil {
			return nil, err
		}
		if log == nil {
			continue
		}
		if log.TraceID == "" {
			out = append(out, s.conv.logTrace(log))
			continue
		}
		if _, done := s.query.read[log.TraceID]; done {
			continue
		}
		tr, ok, err := s.trace(ctx, log)
		if err != nil {
			return nil, err
		}
		s.query.read[log.TraceID] = struct{}{}
		if ok {
			out = append(out, tr)
		}
	}
	return out, nil
}

// trace reads the trace a request log belongs to, then the request logs its
// spans name, and converts it. Its Time is the latest request_start_time of
// those request logs: a later query finds the trace only through one of
// them, and must find it where the engine still remembers what it emitted.
func (s *source) trace(ctx context.Context, found *requestLog) (poll.Trace, bool, error) {
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodGet, Path: tracePathPrefix + url.PathEscape(found.TraceID), Header: s.header})
	var se *poll.StatusError
	if errors.As(err, &se) && se.Status == http.StatusNotFound {
		// The request log is there before its trace is readable, or the
		// trace was deleted: a later query of the overlap tries again.
		s.logger.Info("PromptLayer has no trace (yet) for a request log; it is read again by the next poll",
			zap.String("trace_id", found.TraceID), zap.Int64("request_id", found.ID))
		return poll.Trace{}, false, nil
	}
	if err != nil {
		return poll.Trace{}, false, apiError("reading trace "+found.TraceID, err)
	}
	id, err := convert.TraceID(found.TraceID)
	if err != nil {
		s.warn()
		id = convert.TraceIDOrHash(found.TraceID, Name)
	}
	dt, err := s.conv.decode(id, resp.Body)
	if err != nil {
		return poll.Trace{}, false, fmt.Errorf("promptlayer: reading trace %s: %w", found.TraceID, err)
	}
	if len(dt.spans) == 0 {
		return poll.Trace{}, false, nil
	}
	// A request log whose start could not be read still places its trace
	// in the window.
	at := found.placed()
	if at.IsZero() {
		at = s.query.q.From
	}
	for _, rid := range dt.requestLogIDs() {
		log, err := s.requestLog(ctx, rid, nil)
		if err != nil {
			return poll.Trace{}, false, err
		}
		if log == nil {
			s.warn() // the span stays without its request log's attributes
			continue
		}
		if t := log.placed(); t.After(at) {
			at = t
		}
	}
	td := s.conv.finish(dt, s.logs.lookup, found.Start)
	return poll.Trace{ID: id, Time: at, Spans: td}, true, nil
}

// requestLog returns a request log's detail: from the cache, or read with
// GET /api/public/v2/requests/{id}. A search item, when given, adds its
// prompt name, status and error, and its price when the detail has none
// yet. It returns nil for a request log PromptLayer does not have (404).
func (s *source) requestLog(ctx context.Context, id int64, item *searchItem) (*requestLog, error) {
	e := s.logs.m[id]
	if e != nil && item != nil {
		// The search may have the price a cached detail lacked.
		e.log.merge(item)
	}
	if e == nil || (!e.log.HasPrice && e.read != s.query) {
		resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodGet, Path: requestPathPrefix + strconv.FormatInt(id, 10), Header: s.header})
		var se *poll.StatusError
		if errors.As(err, &se) && se.Status == http.StatusNotFound {
			s.logger.Info("PromptLayer has no request log with this id", zap.Int64("request_id", id))
			return nil, nil
		}
		if err != nil {
			return nil, apiError("reading request log "+strconv.FormatInt(id, 10), err)
		}
		log, err := decodeRequest(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("promptlayer: reading request log %d: %w", id, err)
		}
		for range log.Problems {
			s.warn()
		}
		log.ID = id
		if e != nil {
			// Keep what only the search item said.
			log.PromptName, log.Status, log.ErrorMessage, log.Listed = e.log.PromptName, e.log.Status, e.log.ErrorMessage, e.log.Listed
		}
		e = s.logs.put(log, s.query)
	}
	if item != nil {
		e.log.merge(item)
	}
	return e.log, nil
}

// merge adds what a search item says about the request log.
func (r *requestLog) merge(item *searchItem) {
	r.PromptName = nonEmpty(item.PromptName, r.PromptName)
	r.Status = nonEmpty(item.Status, r.Status)
	r.ErrorMessage = nonEmpty(item.ErrorMessage, r.ErrorMessage)
	if !r.HasPrice && item.HasPrice {
		r.Price, r.HasPrice = item.Price, true
	}
	if !item.Start.IsZero() {
		r.Listed = item.Start
	}
	if r.Start.IsZero() {
		r.Start = item.Start
	}
}

// placed is where the request log sits on the query axis: the later of its
// request_start_time and where the search listed it.
func (r *requestLog) placed() time.Time {
	if r.Listed.After(r.Start) {
		return r.Listed
	}
	return r.Start
}

// searchRequest is the body of POST /api/public/v2/requests/search.
type searchRequest struct {
	FilterGroup       filterGroup `json:"filter_group"`
	SortBy            string      `json:"sort_by"`
	SortOrder         string      `json:"sort_order"`
	Page              int         `json:"page"`
	PerPage           int         `json:"per_page"`
	IncludePromptName bool        `json:"include_prompt_name"`
}

type filterGroup struct {
	Logic   string `json:"logic"`
	Filters []any  `json:"filters"`
}

type filter struct {
	Field    string `json:"field"`
	Operator string `json:"operator"`
	Value    any    `json:"value"`
}

// search reads one page of the request logs whose request_start_time lies
// in the window (and that pass the filter key, the group's second member),
// oldest first.
func (s *source) search(ctx context.Context, q poll.Query, page int) (searchPage, error) {
	filters := []any{filter{
		Field:    "request_start_time",
		Operator: "between",
		Value:    []string{q.From.UTC().Format(timeLayout), q.To.UTC().Format(timeLayout)},
	}}
	if s.filter != nil {
		filters = append(filters, s.filter)
	}
	body, err := json.Marshal(searchRequest{
		FilterGroup:       filterGroup{Logic: "AND", Filters: filters},
		SortBy:            "request_start_time",
		SortOrder:         "asc",
		Page:              page,
		PerPage:           s.pageSize,
		IncludePromptName: true,
	})
	if err != nil {
		return searchPage{}, fmt.Errorf("promptlayer: encoding search: %w", err)
	}
	resp, err := s.api.Do(ctx, poll.Request{Method: http.MethodPost, Path: searchPath, Header: s.header, Body: body})
	if err != nil {
		if fe := s.filterError(err); fe != nil {
			return searchPage{}, fe
		}
		return searchPage{}, apiError(fmt.Sprintf("searching request logs (page %d)", page), err)
	}
	sp, err := decodeSearch(resp.Body, s.pageSize)
	if err != nil {
		return searchPage{}, fmt.Errorf("promptlayer: searching request logs (page %d): %w", page, err)
	}
	return sp, nil
}

// filterError is PromptLayer's refusal of the filter key, or nil: a 400
// ("Invalid filter or search parameters": the rest of the search is the
// receiver's own and valid), or a 422 whose validation errors point into
// the filter (loc body.filter_group.filters.1...).
func (s *source) filterError(err error) error {
	var se *poll.StatusError
	if s.filter == nil || !errors.As(err, &se) {
		return nil
	}
	switch se.Status {
	case http.StatusBadRequest:
	case http.StatusUnprocessableEntity:
		if !slices.ContainsFunc(validationErrors(se.Body), validationDetail.inFilter) {
			return nil
		}
	default:
		return nil
	}
	return &poll.FilterError{Block: Name, Vendor: "PromptLayer", Status: se.Status, Message: vendorMessage(se.Status, se.Body), Err: err}
}

// validationDetail is one of FastAPI's validation errors: where, and what.
type validationDetail struct {
	Loc []string
	Msg string
}

// inFilter reports whether the error is in the filter key: the search
// group's second member.
func (d validationDetail) inFilter() bool {
	l := d.Loc
	return len(l) >= 4 && l[0] == "body" && l[1] == "filter_group" && l[2] == "filters" && l[3] == "1"
}

// detailPattern finds a validation error's loc and msg in a body that does
// not parse: error bodies are quoted at most 512 bytes, and pydantic's enum
// errors are longer. FastAPI writes type, loc and msg first.
var detailPattern = regexp.MustCompile(`"loc":\s*\[([^\]]*)\],\s*"msg":\s*"((?:[^"\\]|\\.)*)"`)

// validationErrors reads FastAPI's {"detail": [{loc, msg, ...}]}, from a
// whole body or a cut one.
func validationErrors(body string) []validationDetail {
	var v struct {
		Detail []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		} `json:"detail"`
	}
	var out []validationDetail
	if json.Unmarshal([]byte(body), &v) == nil {
		for _, d := range v.Detail {
			loc := make([]string, len(d.Loc))
			for i, l := range d.Loc {
				loc[i] = fmt.Sprint(l)
			}
			out = append(out, validationDetail{Loc: loc, Msg: d.Msg})
		}
		return out
	}
	for _, m := range detailPattern.FindAllStringSubmatch(body, -1) {
		var loc []string
		for _, part := range strings.Split(m[1], ",") {
			loc = append(loc, strings.Trim(strings.TrimSpace(part), `"`))
		}
		var msg string
		if json.Unmarshal([]byte(`"`+m[2]+`"`), &msg) != nil {
			msg = m[2]
		}
		out = append(out, validationDetail{Loc: loc, Msg: msg})
	}
	return out
}

// hint says what to check for an error status.
func hint(status int, _ string) string {
	switch status {
	case http.StatusUnauthorized, http.StatusForbidden:
		return "check api_key"
	case http.StatusTooManyRequests:
		return "the request-log search allows 10 requests per minute"
	}
	return ""
}

// apiError turns a non-2xx answer into a poll.APIError naming the vendor's
// message. The body was already scrubbed of the API key by the API client.
func apiError(doing string, err error) error {
	return poll.NewAPIError(Name, doing, err, vendorMessage, hint)
}

// vendorMessage reads PromptLayer's error shapes: {"success": false,
// "message": ...}, {"error": ...}, FastAPI's {"detail": "..."} and its
// validation errors {"detail": [{"loc": [...], "msg": ...}]}.
func vendorMessage(status int, body string) string {
	var v struct {
		Message string          `json:"message"`
		Error   string          `json:"error"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal([]byte(body), &v) == nil {
		switch {
		case v.Message != "":
			return v.Message
		case v.Error != "":
			return v.Error
		}
		var detail string
		var items []struct {
			Loc []any  `json:"loc"`
			Msg string `json:"msg"`
		}
		switch {
		case json.Unmarshal(v.Detail, &detail) == nil && detail != "":
			return detail
		case json.Unmarshal(v.Detail, &items) == nil && len(items) > 0:
			msgs := make([]string, 0, len(items))
			for _, it := range items {
				loc := make([]string, 0, len(it.Loc))
				for _, l := range it.Loc {
					loc = append(loc, fmt.Sprint(l))
				}
				msgs = append(msgs, strings.Join(loc, ".")+": "+it.Msg)
			}
			return strings.Join(msgs, "; ")
		}
	}
	if ds := validationErrors(body); len(ds) > 0 {
		// A validation answer cut short: what could be read of it.
		msgs := make([]string, 0, len(ds))
		for _, d := range ds {
			msgs = append(msgs, strings.Join(d.Loc, ".")+": "+d.Msg)
		}
		return strings.Join(msgs, "; ") + " (answer cut)"
	}
	if b := strings.TrimSpace(body); b != "" {
		return b
	}
	return http.StatusText(status)
}

// logCacheSlack is how long before a query's window cached request logs are
// kept: traces in the window may name request logs that started earlier.
const logCacheSlack = time.Hour

// maxCachedLogs bounds the request-log cache.
const maxCachedLogs = 50000

// logCache keeps request-log details across queries.
type logCache struct {
	m map[int64]*cachedLog
}

type cachedLog struct {
	log *requestLog
	// read is the query that read it: one still without a price is read
	// again by a later query, not by the same one.
	read *queryState
}

func (c *logCache) lookup(id int64) *requestLog {
	if e := c.m[id]; e != nil {
		return e.log
	}
	return nil
}

func (c *logCache) put(log *requestLog, q *queryState) *cachedLog {
	if len(c.m) >= maxCachedLogs {
		c.evict(q.q.From)
		if len(c.m) >= maxCachedLogs {
			clear(c.m)
		}
	}
	e := &cachedLog{log: log, read: q}
	c.m[log.ID] = e
	return e
}

// evict forgets the request logs that started before t.
func (c *logCache) evict(t time.Time) {
	for id, e := range c.m {
		if e.log.Start.Before(t) {
			delete(c.m, id)
		}
	}
}
