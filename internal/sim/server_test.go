package sim

import (
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// examplePart is a minimal vendor part: GET /api/items?page=N&size=M lists
// the traces the vendor holds at the simulated time, newest first, with
// offset pagination; GET /api/items/{id} returns one trace's spans. It
// honours the duplicate and shift faults the way a real part would.
type examplePart struct{ name string }

func (p examplePart) Name() string { return p.name }

func (p examplePart) ReceiverConfig(endpoint string, _ Credentials) map[string]any {
	return map[string]any{"endpoint": endpoint}
}

func (p examplePart) Scenarios() []Scenario { return nil }

type itemJSON struct {
	ID    string `json:"id"`
	Start string `json:"start"`
	Spans int    `json:"spans"`
}

func (p examplePart) Handler(env *Env) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/items", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != env.Creds.APIKey {
			http.Error(w, `{"error":"Unauthorized"}`, http.StatusUnauthorized)
			return
		}
		page, _ := strconv.Atoi(r.URL.Query().Get("page"))
		size, _ := strconv.Atoi(r.URL.Query().Get("size"))
		page, size = max(page, 1), max(size, 1)
		now := env.Now()
		offset := (page - 1) * size
		if f, ok := ActiveFault(r.Context(), FaultShift); ok {
			offset -= f.Count // new items arrived at the head since the last page
		}
		if f, ok := ActiveFault(r.Context(), FaultDuplicate); ok && page > 1 {
			offset -= f.Count // repeat the end of the previous page
		}
		items := []itemJSON{}
		skip := max(offset, 0)
		for i := env.Data.IndexAt(now) - 1; i >= 0 && len(items) < size; i-- {
			tr, ok := env.Data.View(i, now)
			if !ok {
				continue
			}
			if skip > 0 {
				skip--
				continue
			}
			items = append(items, itemJSON{ID: tr.ID.String(), Start: env.Data.StartOf(i).Format(time.RFC3339Nano), Spans: len(tr.Spans)})
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"items": items, "page": page})
	})
	mux.HandleFunc("POST /api/items", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"created":true}`)
	})
	return mux
}

type listJSON struct {
	Items []itemJSON `json:"items"`
	Page  int        `json:"page"`
}

const testKey = "k-123"

// startExample serves parts "alpha" and "beta" over a dataset whose clock
// stands one hour after its origin.
func startExample(t *testing.T, faults *Faults) *Server {
	t.Helper()
	origin := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	env := &Env{
		Data:  NewDataset(DatasetConfig{Seed: 1, Traces: 10_000, Origin: origin}),
		Clock: NewManualClock(origin.Add(time.Hour)),
		Creds: Credentials{APIKey: testKey, Project: "proj"},
	}
	srv, err := Start([]Part{examplePart{"alpha"}, examplePart{"beta"}}, env, faults, nil)
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("x-api-key", testKey)
	return c.Do(req)
}

func getList(t *testing.T, url string) listJSON {
	t.Helper()
	resp, err := get(t, http.DefaultClient, url)
	require.NoError(t, err)
	defer func() { _ = resp.Body.Close() }()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var l listJSON
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&l))
	return l
}

func TestServerServesEachPartOnItsOwnListener(t *testing.T) {
	srv := startExample(t, nil)
	assert.Equal(t, []string{"alpha", "beta"}, srv.Vendors())
	a, b := srv.URL("alpha"), srv.URL("beta")
	assert.Regexp(t, `^http://127\.0\.0\.1:\d+$`, a)
	assert.NotEqual(t, a, b)
	assert.Empty(t, srv.URL("gamma"))
	assert.Equal(t, map[string]string{"alpha": a, "beta": b}, srv.URLs())

	l := getList(t, a+"/api/items?page=1&size=10")
	require.Len(t, l.Items, 10)
	assert.Greater(t, l.Items[0].Start, l.Items[9].Start, "newest first")
	assert.Equal(t, l, getList(t, b+"/api/items?page=1&size=10"), "every part serves the same dataset")
	getList(t, a+"/api/items?page=2&size=10")

	resp, err := http.Get(a + "/api/items")
	require.NoError(t, err)
	_ = resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "credentials reach the part")

	assert.Equal(t, 3, srv.Requests("alpha"))
	assert.Equal(t, 1, srv.Requests("beta"))
	assert.Zero(t, srv.Requests("gamma"))
}

func TestServerListensWhereTold(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	env := &Env{Data: NewDataset(DatasetConfig{Traces: 10})}
	srv, err := Start([]Part{examplePart{"alpha"}}, env, nil, map[string]string{"alpha": addr})
	require.NoError(t, err)
	assert.Equal(t, "http://"+addr, srv.URL("alpha"))

	_, err = Start([]Part{examplePart{"beta"}}, env, nil, map[string]string{"beta": addr})
	assert.ErrorContains(t, err, "listen for beta")
	require.NoError(t, srv.Close())

	_, err = Start([]Part{examplePart{"alpha"}}, env, nil, map[string]string{"alpah": "127.0.0.1:0"})
	assert.ErrorContains(t, err, `"alpah"`)
	_, err = Start([]Part{examplePart{"alpha"}, examplePart{"alpha"}}, env, nil, nil)
	assert.ErrorContains(t, err, "two parts")
	_, err = Start([]Part{examplePart{"alpha"}}, &Env{}, nil, nil)
	assert.Error(t, err)
}

func TestServerCloseStopsListening(t *testing.T) {
	env := &Env{Data: NewDataset(DatasetConfig{Traces: 10})}
	srv, err := Start([]Part{examplePart{"alpha"}}, env, nil, nil)
	require.NoError(t, err)
	url := srv.URL("alpha")
	require.NoError(t, srv.Close())
	_, err = http.Get(url + "/api/items")
	assert.Error(t, err)
}
