package poll

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/component/componenttest"
	"go.opentelemetry.io/collector/config/configretry"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/llmtrace/llmtrace/internal/metadata"
	"github.com/llmtrace/llmtrace/internal/metadatatest"
)

const secret = "sk-very-secret-key"

type apiFixture struct {
	client *APIClient
	clock  *fakeClock
	tel    *componenttest.Telemetry
	calls  *atomic.Int32
	srv    *httptest.Server
}

// newAPI serves handler on 127.0.0.1 and returns a client for it with a
// fake clock. answer is called with the 0-based request number.
func newAPI(t *testing.T, limits Limits, retry configretry.BackOffConfig, answer func(n int, w http.ResponseWriter, r *http.Request)) *apiFixture {
	calls := new(atomic.Int32)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		answer(int(calls.Add(1))-1, w, r)
	}))
	t.Cleanup(srv.Close)
	tt := componenttest.NewTelemetry()
	t.Cleanup(func() { require.NoError(t, tt.Shutdown(context.Background())) })
	tb, err := metadata.NewTelemetryBuilder(metadatatest.NewSettings(tt).TelemetrySettings)
	require.NoError(t, err)
	clock := newFakeClock()
	c, err := NewAPIClient(APIClientSettings{
		Client:           srv.Client(),
		Endpoint:         srv.URL + "/base",
		MaxResponseBytes: 1024,
		Retry:            retry,
		Limits:           limits,
		Secrets:          []string{secret},
		Clock:            clock,
		telemetry:        newTelemetry(tb, "fake"),
	})
	require.NoError(t, err)
	return &apiFixture{client: c, clock: clock, tel: tt, calls: calls, srv: srv}
}

func noRetry() configretry.BackOffConfig { return configretry.BackOffConfig{} }

func TestAPIRateLimitRetryAfterUnderFakeClock(t *testing.T) {
	f := newAPI(t, Limits{}, noRetry(), func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{"ok":true}`))
	})
	resp, err := f.client.Do(context.Background(), Request{Path: "/x"})
	require.NoError(t, err)
	assert.JSONEq(t, `{"ok":true}`, string(resp.Body))
	assert.Equal(t, []time.Duration{7 * time.Second}, f.clock.sleeps)
	metadatatest.AssertEqualLlmtraceRateLimitWaits(t, f.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("vendor", "fake"), attribute.String("wait_source", "server"))},
	}, metricdatatest.IgnoreTimestamp())
	metadatatest.AssertEqualLlmtraceAPIRequests(t, f.tel, []metricdata.DataPoint[int64]{
		{Value: 1, Attributes: attribute.NewSet(attribute.String("vendor", "fake"), attribute.String("status_class", "2xx"))},
		{Value: 1, Attributes: attribute.NewSet(attribute.String("vendor", "fake"), attribute.String("status_class", "4xx"))},
	}, metricdatatest.IgnoreTimestamp())
}

func TestAPIRateLimitRetryAfterHTTPDate(t *testing.T) {
	var f *apiFixture
	f = newAPI(t, Limits{}, noRetry(), func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			w.Header().Set("Retry-After", f.clock.Now().Add(90*time.Second).UTC().Format(http.TimeFormat))
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{90 * time.Second}, f.clock.sleeps)
}

func TestAPIRateLimitResetUnderFakeClock(t *testing.T) {
	f := newAPI(t, Limits{}, noRetry(), func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < 2 {
			w.Header().Set("RateLimit-Reset", "3")
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"errors":["Too Many Requests"]}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{3 * time.Second, 3 * time.Second}, f.clock.sleeps)
	assert.Equal(t, int32(3), f.calls.Load())
}

func TestAPIRateLimitWaitCarriesToTheNextRequest(t *testing.T) {
	f := newAPI(t, Limits{}, noRetry(), func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < maxRateLimitRetries+1 {
			w.Header().Set("RateLimit-Reset", "60")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	var se *StatusError
	require.ErrorAs(t, err, &se, "gives up after %d rate-limited attempts", maxRateLimitRetries)
	assert.Equal(t, http.StatusTooManyRequests, se.Status)
	before := len(f.clock.sleeps)
	_, err = f.client.Do(context.Background(), Request{Path: "/x"})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{time.Minute}, f.clock.sleeps[before:], "the next request still waits for the reset")
}

func TestAPIClientSideRateLimit(t *testing.T) {
	f := newAPI(t, Limits{Rate: Rate{Requests: 10, Per: time.Minute}}, noRetry(), func(_ int, w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	})
	for range 3 {
		_, err := f.client.Do(context.Background(), Request{Path: "/x"})
		require.NoError(t, err)
	}
	assert.Equal(t, []time.Duration{6 * time.Second, 6 * time.Second}, f.clock.sleeps)
}

func TestAPIRetries5xxPerRetryOnFailure(t *testing.T) {
	retry := configretry.BackOffConfig{Enabled: true, InitialInterval: time.Second, Multiplier: 2, MaxInterval: 10 * time.Second, MaxElapsedTime: time.Minute}
	f := newAPI(t, Limits{}, retry, func(n int, w http.ResponseWriter, _ *http.Request) {
		if n < 3 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{time.Second, 2 * time.Second, 4 * time.Second}, f.clock.sleeps)
}

func TestAPIGivesUpAfterMaxElapsedTime(t *testing.T) {
	retry := configretry.BackOffConfig{Enabled: true, InitialInterval: 10 * time.Second, Multiplier: 2, MaxInterval: time.Minute, MaxElapsedTime: 25 * time.Second}
	f := newAPI(t, Limits{}, retry, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadGateway)
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusBadGateway, se.Status)
	assert.Equal(t, []time.Duration{10 * time.Second}, f.clock.sleeps, "10s, then 10+20 would pass 25s")
}

func TestAPINoRetryWhenDisabled(t *testing.T) {
	f := newAPI(t, Limits{}, noRetry(), func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	require.Error(t, err)
	assert.Equal(t, int32(1), f.calls.Load())
}

func TestAPIClientErrorsAreNotRetried(t *testing.T) {
	retry := configretry.NewDefaultBackOffConfig()
	f := newAPI(t, Limits{}, retry, func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusUnauthorized)
		_, _ = w.Write([]byte(`{"error":"Unauthorized. Invalid API key"}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.Equal(t, http.StatusUnauthorized, se.Status)
	assert.Contains(t, err.Error(), "Invalid API key")
	assert.Equal(t, int32(1), f.calls.Load())
}

func TestAPIBodyOverTheCap(t *testing.T) {
	f := newAPI(t, Limits{}, configretry.NewDefaultBackOffConfig(), func(_ int, w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{"data":"` + strings.Repeat("x", 2000) + `"}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	require.ErrorIs(t, err, ErrBodyTooLarge)
	assert.Contains(t, err.Error(), "max_response_bytes")
	assert.Equal(t, int32(1), f.calls.Load(), "an oversized body is not retried")
}

func TestAPIRefusesForeignHostPaginationLink(t *testing.T) {
	f := newAPI(t, Limits{}, noRetry(), func(_ int, w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "http://203.0.113.9/base/next?page=2"})
	require.ErrorIs(t, err, ErrForeignHost)
	assert.Equal(t, int32(0), f.calls.Load(), "no request may leave for another host")

	// A link to the endpoint's own host is followed.
	resp, err := f.client.Do(context.Background(), Request{Path: f.srv.URL + "/base/next?page=2"})
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.Status)
}

func TestAPIJoinsEndpointPathAndQuery(t *testing.T) {
	var got string
	f := newAPI(t, Limits{}, noRetry(), func(_ int, w http.ResponseWriter, r *http.Request) {
		got = r.URL.RequestURI()
		_, _ = w.Write([]byte(`{}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/v1/private/traces", Query: map[string][]string{"page": {"2"}}})
	require.NoError(t, err)
	assert.Equal(t, "/base/v1/private/traces?page=2", got)
}

func TestAPISecretsNeverInErrors(t *testing.T) {
	f := newAPI(t, Limits{}, noRetry(), func(_ int, w http.ResponseWriter, r *http.Request) {
		// A server that echoes the key it was sent.
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`{"error":"key ` + r.Header.Get("x-api-key") + ` has no access"}`))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x", Header: http.Header{"X-Api-Key": {secret}}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
	assert.Contains(t, err.Error(), "[REDACTED]")

	// Transport errors carry the URL; a key placed in it is scrubbed too.
	f.srv.Close()
	_, err = f.client.Do(context.Background(), Request{Path: "/x", Query: map[string][]string{"key": {secret}}})
	require.Error(t, err)
	assert.NotContains(t, err.Error(), secret)
}

func TestAPIShutdownDuringRateLimitWait(t *testing.T) {
	f := newAPI(t, Limits{}, noRetry(), func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	})
	f.client.clock = RealClock{}
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	_, err := f.client.Do(ctx, Request{Path: "/x"})
	require.ErrorIs(t, err, context.DeadlineExceeded)
}

func TestAPIKeyNeverFollowsARedirectToAnotherHost(t *testing.T) {
	var leaked atomic.Value
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaked.Store(r.Header.Get("x-api-key") + r.Header.Get("Authorization"))
		_, _ = w.Write([]byte(`{}`))
	}))
	defer other.Close()
	f := newAPI(t, Limits{}, noRetry(), func(_ int, w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/base/same" {
			_, _ = w.Write([]byte(`{"same":true}`))
			return
		}
		if r.URL.Path == "/base/local" {
			http.Redirect(w, r, "/base/same", http.StatusTemporaryRedirect)
			return
		}
		// Another port on the same host: Go's client would re-send custom
		// headers there.
		http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
	})
	header := http.Header{"X-Api-Key": {secret}, "Authorization": {secret}}
	_, err := f.client.Do(context.Background(), Request{Path: "/x", Header: header})
	require.ErrorIs(t, err, ErrForeignHost)
	assert.NotContains(t, err.Error(), secret)
	assert.Nil(t, leaked.Load(), "the other host received no request")

	// A redirect within the endpoint's own scheme, host and port is followed.
	resp, err := f.client.Do(context.Background(), Request{Path: "/local", Header: header})
	require.NoError(t, err)
	assert.JSONEq(t, `{"same":true}`, string(resp.Body))
}

func TestAPIKeyStraddlingTheErrorCutIsScrubbed(t *testing.T) {
	f := newAPI(t, Limits{}, noRetry(), func(_ int, w http.ResponseWriter, _ *http.Request) {
		w.WriteHeader(http.StatusBadRequest)
		// The key starts just before byte 512 of the body.
		_, _ = w.Write([]byte(strings.Repeat("x", 505) + secret + " trailing"))
	})
	_, err := f.client.Do(context.Background(), Request{Path: "/x"})
	var se *StatusError
	require.ErrorAs(t, err, &se)
	assert.NotContains(t, se.Body, secret[:4], "no part of the key survives the cut")
	assert.True(t, strings.HasPrefix(se.Body, strings.Repeat("x", 505)+"[REDACT"), "the scrubbed body is cut")
	assert.LessOrEqual(t, len(se.Body), maxErrorBody)
}

func TestAPIRetryAfterBeyondAnyDurationIsCapped(t *testing.T) {
	for _, v := range []string{"1e10", "99999999999999999999", "1e400"} {
		f := newAPI(t, Limits{}, noRetry(), func(n int, w http.ResponseWriter, _ *http.Request) {
			if n == 0 {
				w.Header().Set("Retry-After", v)
				w.WriteHeader(http.StatusTooManyRequests)
				return
			}
			_, _ = w.Write([]byte(`{}`))
		})
		_, err := f.client.Do(context.Background(), Request{Path: "/x"})
		require.NoError(t, err)
		assert.Equal(t, []time.Duration{maxRateLimitWait}, f.clock.sleeps, "Retry-After %s", v)
	}
}

func TestAPIPathLimitSpacesOnlyItsRequests(t *testing.T) {
	limits := Limits{Paths: map[string]Rate{"POST /search": {Requests: 10, Per: time.Minute}}}
	f := newAPI(t, limits, noRetry(), func(_ int, w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte(`{}`))
	})
	do := func(method, path string) {
		_, err := f.client.Do(context.Background(), Request{Method: method, Path: path})
		require.NoError(t, err)
	}
	do(http.MethodPost, "/search")
	do(http.MethodGet, "/requests/1")
	do(http.MethodGet, "/requests/2")
	assert.Empty(t, f.clock.sleeps, "other paths are not held back")
	do(http.MethodPost, "/search")
	do(http.MethodPost, "/search")
	assert.Equal(t, []time.Duration{6 * time.Second, 6 * time.Second}, f.clock.sleeps)
}

func TestAPIPathLimit429WithoutHeadersWaitsTheWholeWindow(t *testing.T) {
	limits := Limits{Paths: map[string]Rate{"POST /search": {Requests: 10, Per: time.Minute}}}
	f := newAPI(t, limits, noRetry(), func(n int, w http.ResponseWriter, _ *http.Request) {
		if n == 0 {
			w.WriteHeader(http.StatusTooManyRequests)
			_, _ = w.Write([]byte(`{"success":false,"message":"Rate limit exceeded. Please retry later."}`))
			return
		}
		_, _ = w.Write([]byte(`{}`))
	})
	_, err := f.client.Do(context.Background(), Request{Method: http.MethodPost, Path: "/search"})
	require.NoError(t, err)
	assert.Equal(t, []time.Duration{time.Minute}, f.clock.sleeps)
}
