package jaegertest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Query reads one of Jaeger's stores through its API v3 over HTTP
// (grpc-gateway JSON, OTLP JSON for traces).
type Query struct {
	// URL is the base URL of a jaeger_query HTTP server, e.g. http://127.0.0.1:16686.
	URL string
	// Client is the HTTP client used; nil means a client with a 10 s timeout.
	Client *http.Client
}

var defaultClient = &http.Client{Timeout: 10 * time.Second}

func (q *Query) client() *http.Client {
	if q.Client != nil {
		return q.Client
	}
	return defaultClient
}

// gatewayError is the body of a non-200 API v3 answer, e.g.
// {"error":{"httpCode":404,"message":"No traces found"}}.
type gatewayError struct {
	Error *struct {
		HTTPCode int    `json:"httpCode"`
		Message  string `json:"message"`
	} `json:"error"`
}

// get GETs path+query and returns the body of a 200 answer. A 404 that is
// the API's own "not found" (not an unknown route) gives notFound=true.
func (q *Query) get(ctx context.Context, path string, query url.Values) (body []byte, notFound bool, err error) {
	u := q.URL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, false, err
	}
	resp, err := q.client().Do(req)
	if err != nil {
		return nil, false, err
	}
	defer func() { _ = resp.Body.Close() }()
	body, err = io.ReadAll(resp.Body)
	if err != nil {
		return nil, false, fmt.Errorf("GET %s: reading body: %w", u, err)
	}
	if resp.StatusCode == http.StatusOK {
		return body, false, nil
	}
	var ge gatewayError
	if resp.StatusCode == http.StatusNotFound && json.Unmarshal(body, &ge) == nil && ge.Error != nil {
		return nil, true, nil
	}
	return nil, false, fmt.Errorf("GET %s: %s: %s", u, resp.Status, body)
}

// decodeTraces reads {"result": <OTLP JSON TracesData>}.
func decodeTraces(body []byte) (ptrace.Traces, error) {
	var wrapper struct {
		Result json.RawMessage `json:"result"`
	}
	if err := json.Unmarshal(body, &wrapper); err != nil {
		return ptrace.Traces{}, fmt.Errorf("decoding API v3 answer: %w", err)
	}
	if len(wrapper.Result) == 0 {
		return ptrace.NewTraces(), nil
	}
	var u ptrace.JSONUnmarshaler
	td, err := u.UnmarshalTraces(wrapper.Result)
	if err != nil {
		return ptrace.Traces{}, fmt.Errorf("decoding OTLP JSON: %w", err)
	}
	return td, nil
}

// Trace returns the spans stored for traceID, as stored (GET
// /api/v3/traces/{id}?raw_traces=true: Jaeger's adjusters, which among other
// things drop identical duplicate spans, are skipped). An unknown trace gives
// empty traces and no error.
//
// In the in-memory store every OTLP request that carried spans of the trace
// is one ResourceSpans of the answer, so a span delivered twice counts twice
// in SpanCount. The badger store keeps one copy per span.
func (q *Query) Trace(ctx context.Context, traceID pcommon.TraceID) (ptrace.Traces, error) {
	body, notFound, err := q.get(ctx, "/api/v3/traces/"+traceID.String(), url.Values{"raw_traces": {"true"}})
	if err != nil {
		return ptrace.Traces{}, err
	}
	if notFound {
		return ptrace.NewTraces(), nil
	}
	return decodeTraces(body)
}

// WaitForSpans polls Trace every 100 ms until the trace has at least minSpans
// spans, then returns it. On ctx's end it returns the last answer and an error.
func (q *Query) WaitForSpans(ctx context.Context, traceID pcommon.TraceID, minSpans int) (ptrace.Traces, error) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	last := ptrace.NewTraces()
	var lastErr error
	for {
		td, err := q.Trace(ctx, traceID)
		if err == nil {
			last, lastErr = td, nil
			if td.SpanCount() >= minSpans {
				return td, nil
			}
		} else {
			lastErr = err
		}
		select {
		case <-ctx.Done():
			return last, errors.Join(fmt.Errorf("trace %s: %d spans, want at least %d: %w",
				traceID, last.SpanCount(), minSpans, ctx.Err()), lastErr)
		case <-tick.C:
		}
	}
}

// FindTraces returns the raw spans of up to 1000 traces that have a span of
// service starting in [from, to] (GET /api/v3/traces?query.service_name=...
// &query.start_time_min=...&query.start_time_max=...&query.num_traces=1000
// &query.raw_traces=true). No match gives empty traces and no error.
func (q *Query) FindTraces(ctx context.Context, service string, from, to time.Time) (ptrace.Traces, error) {
	body, notFound, err := q.get(ctx, "/api/v3/traces", url.Values{
		"query.service_name":   {service},
		"query.start_time_min": {from.UTC().Format(time.RFC3339Nano)},
		"query.start_time_max": {to.UTC().Format(time.RFC3339Nano)},
		"query.num_traces":     {"1000"}, // required: 0 is refused
		"query.raw_traces":     {"true"},
	})
	if err != nil {
		return ptrace.Traces{}, err
	}
	if notFound {
		return ptrace.NewTraces(), nil
	}
	return decodeTraces(body)
}

// Services returns the sorted service names the store knows (GET /api/v3/services).
func (q *Query) Services(ctx context.Context) ([]string, error) {
	body, notFound, err := q.get(ctx, "/api/v3/services", nil)
	if err != nil {
		return nil, err
	}
	if notFound {
		return nil, fmt.Errorf("GET %s/api/v3/services: 404", q.URL)
	}
	var resp struct {
		Services []string `json:"services"`
	}
	if err := json.Unmarshal(body, &resp); err != nil {
		return nil, fmt.Errorf("decoding services: %w", err)
	}
	sort.Strings(resp.Services)
	return resp.Services, nil
}
