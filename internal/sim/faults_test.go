package sim

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRule(t *testing.T) {
	cases := []struct {
		spec string
		want Rule
		err  string
	}{
		{spec: "langtrace:POST /api/traces:429-retry-after:every=5,seconds=2",
			want: Rule{Vendor: "langtrace", Method: "POST", PathPrefix: "/api/traces", Kind: Fault429RetryAfter, Every: 5, Seconds: 2}},
		{spec: "*:*:5xx:first=3,burst=2,status=502",
			want: Rule{Vendor: "*", PathPrefix: "*", Kind: Fault5xx, First: 3, Burst: 2, Status: 502}},
		{spec: "opik:/api/v1/private/spans:429-reset:p=0.25,seed=7,seconds=3",
			want: Rule{Vendor: "opik", PathPrefix: "/api/v1/private/spans", Kind: Fault429Reset, Probability: 0.25, Seed: 7, Seconds: 3}},
		{spec: "opik:get:slow:delay=45s", want: Rule{Vendor: "opik", Method: "GET", Kind: FaultSlow, Delay: 45 * time.Second}},
		{spec: "x:GET /a*:oversized:bytes=80MiB", want: Rule{Vendor: "x", Method: "GET", PathPrefix: "/a*", Kind: FaultOversized, Bytes: 80 << 20}},
		{spec: "x::reset", want: Rule{Vendor: "x", Kind: FaultReset}},
		{spec: "x:/:shift:count=3", want: Rule{Vendor: "x", PathPrefix: "/", Kind: FaultShift, Count: 3}},
		{spec: "x:/a:teapot", err: "unknown fault kind"},
		{spec: "x:/a", err: "VENDOR:PATTERN:KIND"},
		{spec: "x:GET /a b:429", err: "pattern"},
		{spec: "x:/a:429:every=2,first=3", err: "exclude each other"},
		{spec: "x:/a:429:delay=1s", err: "delay does not apply to 429"},
		{spec: "x:/a:5xx:status=404", err: "status must be 5xx"},
		{spec: "x:/a:5xx:colour=red", err: "unknown parameter"},
		{spec: "x:/a:5xx:every", err: "not KEY=VALUE"},
		{spec: "x:/a:5xx:every=two", err: "every"},
		{spec: "x:/a:malformed:p=2", err: "within [0, 1]"},
		{spec: "x:/a:oversized:bytes=lots", err: "invalid size"},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			got, err := ParseRule(c.spec)
			if c.err != "" {
				assert.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
			again, err := ParseRule(got.String())
			require.NoError(t, err, "String() = %q", got.String())
			assert.Equal(t, normalizeStars(got), normalizeStars(again), "round trip through %q", got.String())
		})
	}
}

func normalizeStars(r Rule) Rule {
	for _, p := range []*string{&r.Vendor, &r.Method, &r.PathPrefix} {
		if *p == "*" {
			*p = ""
		}
	}
	return r
}

func TestMatchPath(t *testing.T) {
	for _, c := range []struct {
		prefix, path string
		want         bool
	}{
		{"/api/traces", "/api/traces", true},
		{"/api/traces", "/api/traces/search", true},
		{"/api/traces", "/api/traces2", false},
		{"/api/trace", "/api/traces", false},
		{"/api/trace*", "/api/traces", true},
		{"/api/", "/api/x", true},
		{"", "/x", true},
		{"*", "/x", true},
		{"/", "/x", true},
		{"/b", "/a", false},
	} {
		assert.Equal(t, c.want, matchPath(c.prefix, c.path), "%q vs %q", c.prefix, c.path)
	}
}

// noReuse is a client without keep-alive, so that a reset connection is not
// silently retried on a fresh one.
var noReuse = &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}

func TestEachFaultKindIsObservable(t *testing.T) {
	cases := []struct {
		spec  string
		check func(t *testing.T, url string)
	}{
		{"alpha:GET /api/items:5xx", func(t *testing.T, url string) {
			resp, err := get(t, noReuse, url)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
		}},
		{"alpha:GET /api/items:5xx:status=500", func(t *testing.T, url string) {
			resp, err := get(t, noReuse, url)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
		}},
		{"alpha:GET /api/items:429", func(t *testing.T, url string) {
			resp, err := get(t, noReuse, url)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
			assert.Empty(t, resp.Header.Get("Retry-After"))
			assert.Empty(t, resp.Header.Get("RateLimit-Reset"))
		}},
		{"alpha:GET /api/items:429-retry-after:seconds=7", func(t *testing.T, url string) {
			resp, err := get(t, noReuse, url)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
			assert.Equal(t, "7", resp.Header.Get("Retry-After"))
		}},
		{"alpha:GET /api/items:429-reset:seconds=4", func(t *testing.T, url string) {
			resp, err := get(t, noReuse, url)
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode)
			assert.Equal(t, "4", resp.Header.Get("RateLimit-Reset"))
		}},
		{"alpha:GET /api/items:slow:delay=5s", func(t *testing.T, url string) {
			c := &http.Client{Timeout: 150 * time.Millisecond}
			start := time.Now()
			_, err := get(t, c, url)
			var ne interface{ Timeout() bool }
			require.ErrorAs(t, err, &ne)
			assert.True(t, ne.Timeout())
			assert.Less(t, time.Since(start), 2*time.Second)
		}},
		{"alpha:GET /api/items:reset", func(t *testing.T, url string) {
			_, err := get(t, noReuse, url)
			require.Error(t, err)
		}},
		{"alpha:GET /api/items:malformed", func(t *testing.T, url string) {
			resp, err := get(t, noReuse, url)
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			var v any
			assert.Error(t, json.NewDecoder(resp.Body).Decode(&v))
		}},
		{"alpha:GET /api/items:truncated", func(t *testing.T, url string) {
			resp, err := get(t, noReuse, url+"?size=20")
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Greater(t, len(body), 200)
			assert.True(t, strings.HasPrefix(string(body), `{"items":[`))
			var v any
			assert.Error(t, json.Unmarshal(body, &v))
		}},
		{"alpha:GET /api/items:oversized:bytes=3MiB", func(t *testing.T, url string) {
			resp, err := get(t, noReuse, url)
			require.NoError(t, err)
			defer func() { _ = resp.Body.Close() }()
			assert.Equal(t, http.StatusOK, resp.StatusCode)
			body, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			assert.Greater(t, len(body), 3<<20)
			assert.True(t, json.Valid(body), "valid-looking JSON")
		}},
		{"alpha:GET /api/items:redirect:to=http://127.0.0.1:9/trap", func(t *testing.T, url string) {
			c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
			resp, err := get(t, c, url+"?page=2")
			require.NoError(t, err)
			_ = resp.Body.Close()
			assert.Equal(t, http.StatusTemporaryRedirect, resp.StatusCode)
			assert.Equal(t, "http://127.0.0.1:9/trap/api/items?page=2", resp.Header.Get("Location"))
		}},
		{"alpha:GET /api/items:oversized:bytes=200MiB", func(t *testing.T, url string) {
			// A client that stops reading early does not keep the server busy.
			resp, err := get(t, noReuse, url)
			require.NoError(t, err)
			n, _ := io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
			_ = resp.Body.Close()
			assert.Equal(t, int64(1<<20), n)
		}},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			faults, err := NewFaults()
			require.NoError(t, err)
			srv := startExample(t, faults)
			url := srv.URL("alpha") + "/api/items"
			id, err := faults.AddString(c.spec)
			require.NoError(t, err)
			c.check(t, url)
			kind := faults.Rules()[0].Kind
			assert.Equal(t, 1, faults.Injected(kind))

			// Switched off, the same request works.
			assert.True(t, faults.Remove(id))
			assert.False(t, faults.Remove(id))
			getList(t, url)
			assert.Equal(t, 1, faults.Injected(kind))
			assert.Equal(t, 2, srv.Requests("alpha"), "faulted requests are counted too")
		})
	}
}

func TestFaultsMatchVendorMethodAndPath(t *testing.T) {
	faults, err := NewFaults()
	require.NoError(t, err)
	srv := startExample(t, faults)
	_, err = faults.AddString("alpha:POST /api/items:5xx")
	require.NoError(t, err)

	getList(t, srv.URL("alpha")+"/api/items") // GET does not match
	resp, err := http.Post(srv.URL("alpha")+"/api/items", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode)
	resp, err = http.Post(srv.URL("beta")+"/api/items", "application/json", strings.NewReader("{}"))
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "another vendor is not affected")

	faults.Clear()
	_, err = faults.AddString("*:GET /api/other:429")
	require.NoError(t, err)
	getList(t, srv.URL("alpha")+"/api/items")
	getList(t, srv.URL("beta")+"/api/items")
	assert.Equal(t, 0, faults.Injected(Fault429))
}

// statuses sends n GETs and returns their status codes.
func statuses(t *testing.T, url string, n int) []int {
	out := make([]int, n)
	for i := range out {
		resp, err := get(t, http.DefaultClient, url)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close()
		out[i] = resp.StatusCode
	}
	return out
}

func TestFaultSchedules(t *testing.T) {
	const ok, bad = http.StatusOK, http.StatusServiceUnavailable
	cases := []struct {
		spec string
		want []int
	}{
		{"alpha:/api/items:5xx:every=3", []int{ok, ok, bad, ok, ok, bad, ok}},
		{"alpha:/api/items:5xx:every=4,burst=2", []int{ok, ok, ok, bad, bad, ok, ok, bad, bad}},
		{"alpha:/api/items:5xx:first=2", []int{bad, bad, ok, ok, ok}},
		{"alpha:/api/items:5xx", []int{bad, bad, bad}},
	}
	for _, c := range cases {
		t.Run(c.spec, func(t *testing.T) {
			faults, err := NewFaults()
			require.NoError(t, err)
			srv := startExample(t, faults)
			_, err = faults.AddString(c.spec)
			require.NoError(t, err)
			assert.Equal(t, c.want, statuses(t, srv.URL("alpha")+"/api/items", len(c.want)))
		})
	}

	t.Run("probability is seeded", func(t *testing.T) {
		run := func() []int {
			faults, err := NewFaults()
			require.NoError(t, err)
			srv := startExample(t, faults)
			_, err = faults.AddString("alpha:/api/items:5xx:p=0.3,seed=5")
			require.NoError(t, err)
			return statuses(t, srv.URL("alpha")+"/api/items", 60)
		}
		first := run()
		assert.Equal(t, first, run(), "same seed, same faults")
		failed := 0
		for _, s := range first {
			if s == bad {
				failed++
			}
		}
		assert.InDelta(t, 18, failed, 10)
	})
}

func TestPaginationFaultsReachThePart(t *testing.T) {
	faults, err := NewFaults()
	require.NoError(t, err)
	srv := startExample(t, faults)
	url := srv.URL("alpha") + "/api/items?size=5&page="
	p1, p2 := getList(t, url+"1"), getList(t, url+"2")
	require.NotEqual(t, p1.Items[4], p2.Items[0])

	id, err := faults.AddString("alpha:GET /api/items:duplicate:count=2")
	require.NoError(t, err)
	dup := getList(t, url+"2")
	assert.Equal(t, p1.Items[3:], dup.Items[:2], "the end of page 1 repeats on page 2")
	faults.Remove(id)

	_, err = faults.AddString("alpha:GET /api/items:shift:count=1")
	require.NoError(t, err)
	shifted := getList(t, url+"2")
	assert.Equal(t, p1.Items[4], shifted.Items[0], "page 2 shifted by one")
	assert.Equal(t, 1, faults.Injected(FaultDuplicate))
	assert.Equal(t, 1, faults.Injected(FaultShift))

	ctx := context.Background()
	assert.False(t, FaultActive(ctx, FaultShift))
}

func TestFaultsAreSafeToSwitchWhileServing(t *testing.T) {
	faults, err := NewFaults()
	require.NoError(t, err)
	srv := startExample(t, faults)
	url := srv.URL("alpha") + "/api/items"
	done := make(chan error)
	go func() {
		for range 50 {
			resp, err := get(t, http.DefaultClient, url)
			if err != nil {
				done <- err
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			_ = resp.Body.Close()
			if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusTooManyRequests {
				done <- errors.New(resp.Status)
				return
			}
		}
		done <- nil
	}()
	for range 50 {
		id, err := faults.AddString("alpha:*:429:every=2")
		require.NoError(t, err)
		faults.Remove(id)
	}
	require.NoError(t, <-done)
}

func TestNewFaultsRejectsBadRules(t *testing.T) {
	_, err := NewFaults(Rule{Kind: "nope"})
	assert.ErrorContains(t, err, "unknown fault kind")
	var nilFaults *Faults
	assert.Zero(t, nilFaults.Injected(Fault5xx))
	assert.Empty(t, nilFaults.Rules())
}

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "1024": 1024, "512KiB": 512 << 10, "80MiB": 80 << 20, "1GiB": 1 << 30, "10MB": 10e6, "3KB": 3000, "7B": 7} {
		got, err := ParseSize(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "-1", "x", "1.5MiB"} {
		_, err := ParseSize(in)
		assert.Error(t, err, in)
	}
	assert.Equal(t, "80MiB", FormatSize(80<<20))
	assert.Equal(t, "1000", FormatSize(1000))
}
