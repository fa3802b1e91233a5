package promptlayer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/poll"
)

const (
	searchRoute = "POST /api/public/v2/requests/search"
	traceA      = "4bf92f3577b34da6a3ce929d0e0e4736"
	traceB      = "0af7651916cd43dd8448eb211c80319c"
)

// searchBody is a search answer listing request ids (started a second
// apart from 14:00:00) with has_next.
func searchBody(hasNext bool, ids ...int) string {
	items := make([]string, len(ids))
	for i, id := range ids {
		items[i] = fmt.Sprintf(`{"id":%d,"request_start_time":"2026-03-20T14:00:%02dZ","price":null}`, id, id%60)
	}
	return fmt.Sprintf(`{"success":true,"items":[%s],"has_next":%t}`, strings.Join(items, ","), hasNext)
}

// requestBody is a request log answer: its trace ("" for none) and price.
func requestBody(id int, trace string, price string) string {
	tid := "null"
	if trace != "" {
		tid = `"` + trace + `"`
	}
	return fmt.Sprintf(`{"success":true,"prompt_blueprint":{},"request_id":%d,"model":"gpt-4o","provider":"openai","price":%s,
		"request_start_time":"2026-03-20T14:00:%02dZ","request_end_time":"2026-03-20T14:00:%02d.5Z","trace_id":%s}`, id, price, id%60, id%60, tid)
}

// traceBody is a trace answer whose spans made the given request logs.
func traceBody(trace string, logs ...int) string {
	spans := []string{`{"span_id":"00000000000000aa","name":"root","start_time":"2026-03-20T14:00:00Z","end_time":"2026-03-20T14:01:00Z","request_log_id":null}`}
	for i, id := range logs {
		spans = append(spans, fmt.Sprintf(`{"span_id":"00000000000000%02x","parent_id":"00000000000000aa","name":"llm","start_time":"2026-03-20T14:00:%02dZ","end_time":"2026-03-20T14:00:%02d.5Z","request_log_id":%d}`, i+1, id%60, id%60, id))
	}
	return `{"success":true,"trace_id":"` + trace + `","spans":[` + strings.Join(spans, ",") + `]}`
}

var minute = query("2026-03-20T14:00:00Z", "2026-03-20T14:01:00Z")

func TestPageTokens(t *testing.T) {
	f := newFakePL(t)
	f.answer(searchRoute, http.StatusOK, searchBody(true))
	src := newFakeSource(t, f, nil)
	for _, bad := range []string{"x", "0", "-2"} {
		_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute, Token: bad})
		assert.ErrorIs(t, err, poll.ErrInvalidToken, bad)
	}
	page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute, Token: "4"})
	require.NoError(t, err)
	assert.Empty(t, page.Next, "an empty page ends the query even with has_next")
	assert.Contains(t, f.requests()[0].body, `"page":4`)
}

func TestHasNextWhenTheAnswerLacksIt(t *testing.T) {
	for _, tc := range []struct {
		body string
		next string
	}{
		{`{"items":[{"id":1}],"page":1,"pages":2}`, "2"},
		{`{"items":[{"id":1}],"page":2,"pages":2}`, ""},
		{`{"items":[{"id":1},{"id":2}]}`, "2"}, // a full page of page_size 2
		{`{"items":[{"id":1}]}`, ""},
	} {
		f := newFakePL(t)
		f.answer(searchRoute, http.StatusOK, tc.body)
		for _, id := range []int{1, 2} {
			f.answer(fmt.Sprintf("GET /api/public/v2/requests/%d", id), http.StatusOK, requestBody(id, "", "0.1"))
		}
		src := newFakeSource(t, f, func(c *Config) { c.PageSize = 2 })
		page, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
		require.NoError(t, err)
		assert.Equal(t, tc.next, page.Next, tc.body)
	}
}

// TestTraceReadOncePerQuery: request logs of one trace on two pages cost
// one trace read in a query; the next query reads it again (an open trace
// may have gained spans).
func TestTraceReadOncePerQuery(t *testing.T) {
	f := newFakePL(t)
	for _, id := range []int{1, 2, 3} {
		f.answer(fmt.Sprintf("GET /api/public/v2/requests/%d", id), http.StatusOK, requestBody(id, traceA, "0.01"))
	}
	f.answer("GET /api/public/v2/traces/"+traceA, http.StatusOK, traceBody(traceA, 1, 2, 3))
	src := newFakeSource(t, f, nil)

	f.answer(searchRoute, http.StatusOK, searchBody(true, 1, 2))
	p1, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
	require.NoError(t, err)
	require.Len(t, p1.Traces, 1)
	assert.Equal(t, time.Date(2026, 3, 20, 14, 0, 3, 0, time.UTC), p1.Traces[0].Time,
		"the latest start of the trace's request logs, also of one not listed yet")
	assert.Equal(t, 4, p1.Traces[0].Spans.SpanCount())

	f.answer(searchRoute, http.StatusOK, searchBody(false, 3))
	p2, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute, Token: p1.Next, Continued: true})
	require.NoError(t, err)
	assert.Empty(t, p2.Traces, "its trace was read by page 1")
	assert.Equal(t, 1, f.count("GET /api/public/v2/traces/"+traceA))
	assert.Equal(t, 1, f.count("GET /api/public/v2/requests/3"), "read once, for the trace; the search did not read it again")

	// The same page again after a restart does not continue: read again.
	_, err = src.FetchPage(context.Background(), poll.PageRequest{Query: minute, Token: p1.Next})
	require.NoError(t, err)
	assert.Equal(t, 2, f.count("GET /api/public/v2/traces/"+traceA))

	// A new query reads it again; priced request logs are not read again.
	next := poll.Query{From: minute.From.Add(30 * time.Second), To: minute.To.Add(30 * time.Second)}
	f.answer(searchRoute, http.StatusOK, searchBody(false, 1, 2, 3))
	p3, err := src.FetchPage(context.Background(), poll.PageRequest{Query: next})
	require.NoError(t, err)
	require.Len(t, p3.Traces, 1)
	assert.Equal(t, 3, f.count("GET /api/public/v2/traces/"+traceA))
	for _, id := range []int{1, 2, 3} {
		assert.Equal(t, 1, f.count(fmt.Sprintf("GET /api/public/v2/requests/%d", id)), "request log %d", id)
	}
}

// TestPriceFilledInLater: a request log read before PromptLayer priced it is
// read again by the next query (not by the same one); a search that lists
// its price spares the read.
func TestPriceFilledInLater(t *testing.T) {
	f := newFakePL(t)
	f.answer("GET /api/public/v2/requests/1", http.StatusOK, requestBody(1, "", "null"))
	f.answer("GET /api/public/v2/requests/2", http.StatusOK, requestBody(2, "", "null"))
	f.answer(searchRoute, http.StatusOK, searchBody(false, 1, 2))
	src := newFakeSource(t, f, nil)
	price := func(tr poll.Trace) any {
		return tr.Spans.ResourceSpans().At(0).ScopeSpans().At(0).Spans().At(0).Attributes().AsRaw()["promptlayer.price"]
	}

	p, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
	require.NoError(t, err)
	require.Len(t, p.Traces, 2)
	assert.Nil(t, price(p.Traces[0]), "no price yet: left out")

	f.answer("GET /api/public/v2/requests/1", http.StatusOK, requestBody(1, "", "0.0042"))
	f.answer(searchRoute, http.StatusOK, `{"items":[{"id":1,"price":null},{"id":2,"price":0.5}],"has_next":false}`)
	p, err = src.FetchPage(context.Background(), poll.PageRequest{Query: query("2026-03-20T14:00:20Z", "2026-03-20T14:01:20Z")})
	require.NoError(t, err)
	require.Len(t, p.Traces, 2)
	assert.Equal(t, 0.0042, price(p.Traces[0]))
	assert.Equal(t, 0.5, price(p.Traces[1]), "the search's price")
	assert.Equal(t, 2, f.count("GET /api/public/v2/requests/1"))
	assert.Equal(t, 1, f.count("GET /api/public/v2/requests/2"))
}

func TestMissingTraceAndRequestLog(t *testing.T) {
	f := newFakePL(t)
	f.answer(searchRoute, http.StatusOK, searchBody(false, 1, 2))
	f.answer("GET /api/public/v2/requests/1", http.StatusNotFound, `{"success":false,"message":"Request not found."}`)
	f.answer("GET /api/public/v2/requests/2", http.StatusOK, requestBody(2, traceB, "0.1"))
	f.answer("GET /api/public/v2/traces/"+traceB, http.StatusNotFound, `{"success":false,"message":"Trace not found."}`)
	src := newFakeSource(t, f, nil)
	p, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
	require.NoError(t, err, "a request log or trace PromptLayer does not have (yet) is no error")
	assert.Empty(t, p.Traces)
	assert.Zero(t, src.warns)

	// A span naming a request log that is gone keeps its own attributes.
	f.answer(searchRoute, http.StatusOK, searchBody(false, 2))
	f.answer("GET /api/public/v2/traces/"+traceB, http.StatusOK, traceBody(traceB, 2, 9))
	f.answer("GET /api/public/v2/requests/9", http.StatusNotFound, `{"success":false,"message":"Request not found."}`)
	p, err = src.FetchPage(context.Background(), poll.PageRequest{Query: query("2026-03-20T14:00:30Z", "2026-03-20T14:01:30Z")})
	require.NoError(t, err)
	require.Len(t, p.Traces, 1)
	assert.Equal(t, 3, p.Traces[0].Spans.SpanCount())
	assert.Equal(t, 1, src.warns)
}

// TestAPIErrors: the vendor's message, a hint, never the key.
func TestAPIErrors(t *testing.T) {
	for _, tc := range []struct {
		status int
		body   string
		want   string
	}{
		{401, `{"success":false,"message":"Authentication failed. key ` + testKey + `"}`, "HTTP 401: Authentication failed. key [REDACTED]; check api_key"},
		{422, `{"detail":[{"type":"less_than_equal","loc":["body","per_page"],"msg":"Input should be less than or equal to 25","input":30,"ctx":{"le":25}}]}`,
			"HTTP 422: body.per_page: Input should be less than or equal to 25"},
		{422, `{"detail":[{"type":"value_error","loc":["body"],"msg":"Value error, sort_order must be provided together with sort_by"}]}`,
			"HTTP 422: body: Value error, sort_order must be provided together with sort_by"},
		{404, `{"detail":"Not Found"}`, "HTTP 404: Not Found"},
		{400, `{"success":false,"error":"Invalid filter"}`, "HTTP 400: Invalid filter"},
		{403, ``, "HTTP 403: Forbidden; check api_key"},
	} {
		f := newFakePL(t)
		f.answer(searchRoute, tc.status, tc.body)
		src := newFakeSource(t, f, nil)
		_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
		require.Error(t, err)
		assert.Contains(t, err.Error(), "promptlayer: searching request logs (page 1): "+tc.want)
		assert.NotContains(t, err.Error(), testKey)
		var apiErr *poll.APIError
		assert.True(t, errors.As(err, &apiErr))
	}
}

func TestMalformedAnswers(t *testing.T) {
	f := newFakePL(t)
	f.answer(searchRoute, http.StatusOK, `<html>`)
	src := newFakeSource(t, f, nil)
	_, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
	assert.ErrorContains(t, err, "unexpected answer")

	f.answer(searchRoute, http.StatusOK, searchBody(false, 1))
	f.answer("GET /api/public/v2/requests/1", http.StatusOK, requestBody(1, traceA, "1"))
	f.answer("GET /api/public/v2/traces/"+traceA, http.StatusOK, `{"success":true,"spans":[{"span_id":`)
	_, err = src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
	assert.ErrorContains(t, err, "reading trace "+traceA)

	// Items without an id are skipped and counted.
	f.answer(searchRoute, http.StatusOK, `{"items":[{"id":null},"x",{"id":"abc"}],"has_next":false}`)
	p, err := src.FetchPage(context.Background(), poll.PageRequest{Query: minute})
	require.NoError(t, err)
	assert.Empty(t, p.Traces)
	assert.Equal(t, 3, src.warns)
}
