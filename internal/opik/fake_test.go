package opik

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/zap/zaptest"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/poll"
)

// fakeOpik serves GET /v1/private/traces and /v1/private/spans from memory
// the way Opik does: project_name or project_id required, from_time/to_time
// on the time inside the UUIDv7 id (inclusive, millisecond), trace_id and
// page/size offset pagination over newest id first, {page,size,total,content}
// answers where size is the number of items returned.
type fakeOpik struct {
	t         *testing.T
	project   string
	key       string // expected authorization header; "" accepts anything
	workspace string

	mu       sync.Mutex
	traces   []*fakeItem // newest id first
	spans    []*fakeItem
	spanAts  map[string][]time.Time // span id times per trace
	requests []*http.Request
	// now, when set, hides what does not exist yet: items minted later,
	// end times later (null: in progress) and span_count counts the spans
	// that exist.
	now func() time.Time
	// before, when set, may answer a request itself (status != 0).
	before func(r *http.Request, n int) (status int, header http.Header, body string)
}

type fakeItem struct {
	id, traceID string
	at          time.Time // UUIDv7 time of the id
	m           map[string]any
	raw         []byte // m as JSON, nil when m changed
}

func newFakeOpik(t *testing.T, project string) *fakeOpik {
	return &fakeOpik{t: t, project: project}
}

func (f *fakeOpik) add(d *dataset) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.traces = addItems(f.traces, d.traces)
	f.spans = addItems(f.spans, d.spans)
	f.spanAts = map[string][]time.Time{}
	for _, it := range f.spans {
		f.spanAts[it.traceID] = append(f.spanAts[it.traceID], it.at)
	}
}

func addItems(list []*fakeItem, ms []map[string]any) []*fakeItem {
	for _, m := range ms {
		it := &fakeItem{id: m["id"].(string), m: m}
		it.traceID, _ = m["trace_id"].(string)
		it.at, _ = convert.UUIDv7Time(it.id)
		list = append(list, it)
	}
	slices.SortFunc(list, func(a, b *fakeItem) int { return cmp.Compare(b.id, a.id) })
	return list
}

// update changes a stored trace or span in place.
func (f *fakeOpik) update(id string, change func(map[string]any)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, list := range [][]*fakeItem{f.traces, f.spans} {
		for _, it := range list {
			if it.id == id {
				change(it.m)
				it.raw = nil
				return
			}
		}
	}
	f.t.Fatalf("no record %s", id)
}

func (f *fakeOpik) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, r := range f.requests {
		if path == "" || r.URL.Path == path {
			n++
		}
	}
	return n
}

func (f *fakeOpik) request(i int) *http.Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests[i]
}

func (f *fakeOpik) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests = append(f.requests, r)
	n := len(f.requests)
	before := f.before
	f.mu.Unlock()
	if before != nil {
		if status, header, body := before(r, n); status != 0 {
			for k, v := range header {
				w.Header()[k] = v
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(body))
			return
		}
	}
	if f.key != "" && (r.Header.Get("Authorization") != f.key || r.Header.Get("Comet-Workspace") != f.workspace) {
		http.Error(w, `{"code":401,"message":"User not allowed to access workspace"}`, http.StatusUnauthorized)
		return
	}
	q := r.URL.Query()
	if q.Get("project_name") == "" && q.Get("project_id") == "" {
		http.Error(w, `{"errors":["Either 'project_name' or 'project_id' query params must be provided"]}`, http.StatusBadRequest)
		return
	}
	if q.Get("project_name") != f.project && q.Get("project_id") != f.project {
		http.Error(w, `{"code":404,"message":"Project not found"}`, http.StatusNotFound)
		return
	}
	from, to, err := timeRange(q)
	if err != nil {
		http.Error(w, fmt.Sprintf(`{"errors":[%q]}`, err.Error()), http.StatusBadRequest)
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	var list []*fakeItem
	switch r.URL.Path {
	case "/v1/private/traces":
		list = f.traces
	case "/v1/private/spans":
		list = f.spans
	default:
		http.NotFound(w, r)
		return
	}
	// Newest first: the window is a contiguous run.
	var now time.Time
	if f.now != nil {
		now = f.now()
		if to.IsZero() || now.Before(to) {
			to = now
		}
	}
	if !to.IsZero() {
		list = list[sort.Search(len(list), func(i int) bool { return !list[i].at.After(to) }):]
	}
	if !from.IsZero() {
		from = from.Truncate(time.Millisecond)
		list = list[:sort.Search(len(list), func(i int) bool { return list[i].at.Before(from) })]
	}
	if id := q.Get("trace_id"); id != "" {
		var mine []*fakeItem
		for _, it := range list {
			if it.traceID == id {
				mine = append(mine, it)
			}
		}
		list = mine
	}
	page, _ := strconv.Atoi(cmp.Or(q.Get("page"), "1"))
	size, _ := strconv.Atoi(cmp.Or(q.Get("size"), "10"))
	lo := min((page-1)*size, len(list))
	hi := min(lo+size, len(list))
	body := fmt.Appendf(nil, `{"page":%d,"size":%d,"total":%d,"content":[`, page, hi-lo, len(list))
	for i, it := range list[lo:hi] {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, f.render(it, now)...)
	}
	body = append(body, `],"sortableBy":["id","name"]}`...)
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// render is an item's JSON as of now (zero: as stored).
func (f *fakeOpik) render(it *fakeItem, now time.Time) []byte {
	if !now.IsZero() {
		end, _ := it.m["end_time"].(string)
		endAt, _ := time.Parse(time.RFC3339Nano, end)
		_, isTrace := it.m["span_count"]
		if end != "" && endAt.After(now) || isTrace {
			m := maps.Clone(it.m)
			if end != "" && endAt.After(now) {
				m["end_time"] = nil
			}
			if isTrace {
				n := 0
				for _, at := range f.spanAts[it.id] {
					if !at.After(now) {
						n++
					}
				}
				m["span_count"] = n
			}
			b, err := json.Marshal(m)
			require.NoError(f.t, err)
			return b
		}
	}
	if it.raw == nil {
		var err error
		it.raw, err = json.Marshal(it.m)
		require.NoError(f.t, err)
	}
	return it.raw
}

func timeRange(q url.Values) (from, to time.Time, err error) {
	if v := q.Get("from_time"); v != "" {
		if from, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return
		}
	}
	if v := q.Get("to_time"); v != "" {
		if to, err = time.Parse(time.RFC3339Nano, v); err != nil {
			return
		}
	}
	if !from.IsZero() && !to.IsZero() && !from.Before(to) {
		err = fmt.Errorf("Parameter 'from_time' must be before 'to_time'")
	}
	return
}

// fakeClock is a poll.Clock whose Sleep records the wait and moves the
// clock instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	ahead  time.Duration
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Add(c.ahead)
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if d > 0 {
		c.sleeps = append(c.sleeps, d)
		c.ahead += d
	}
	return ctx.Err()
}

type testSource struct {
	*source
	srv   *httptest.Server
	fake  *fakeOpik
	clock *fakeClock
	warns int
}

// startSource serves fake behind a loopback server and builds a source
// for cfg (endpoint filled in) through the real APIClient.
func startSource(t *testing.T, fake *fakeOpik, cfg Config) *testSource {
	return startSourceWith(t, fake, cfg, 1<<20)
}

func startSourceWith(t *testing.T, fake *fakeOpik, cfg Config, maxBody int64) *testSource {
	srv := httptest.NewServer(fake)
	t.Cleanup(srv.Close)
	cfg.ClientConfig.Endpoint = srv.URL
	clock := &fakeClock{}
	api, err := poll.NewAPIClient(poll.APIClientSettings{
		Client:           srv.Client(),
		Endpoint:         srv.URL,
		MaxResponseBytes: maxBody,
		Secrets:          []string{string(cfg.APIKey)},
		Clock:            clock,
	})
	require.NoError(t, err)
	ts := &testSource{srv: srv, fake: fake, clock: clock}
	src, err := cfg.NewSource(poll.SourceSettings{Logger: zaptest.NewLogger(t), API: api, Warn: func() { ts.warns++ }})
	require.NoError(t, err)
	ts.source = src.(*source)
	return ts
}

func testConfig(project string) Config {
	cfg := NewDefaultConfig()
	cfg.ProjectName = project
	return cfg
}

// fetchAll runs a whole query and returns its traces in order.
func (ts *testSource) fetchAll(t *testing.T, q poll.Query) ([]poll.Trace, []string) {
	t.Helper()
	var all []poll.Trace
	var tokens []string
	token := ""
	for range 10000 {
		page, err := ts.FetchPage(context.Background(), poll.PageRequest{Query: q, Token: token, Continued: token != ""})
		require.NoError(t, err)
		all = append(all, page.Traces...)
		tokens = append(tokens, page.Next)
		if page.Next == "" {
			return all, tokens
		}
		token = page.Next
	}
	t.Fatal("query did not end")
	return nil, nil
}

// dataset is Opik data as the API returns it.
type dataset struct {
	traces []map[string]any
	spans  []map[string]any
}

// genOptions shape a generated dataset.
type genOptions struct {
	start  time.Time
	traces int
	every  time.Duration // mean gap between trace starts
	seed   uint64
}

// genDataset generates realistic Opik traces: an agent trace with 3 to 13
// spans (llm calls with chat messages and usage, tool calls under them,
// general steps); most traces last seconds, 5% minutes; a fifth of the
// traces of the last two minutes are still running.
func genDataset(o genOptions) *dataset {
	rng := rand.New(rand.NewPCG(o.seed, o.seed^0x9e3779b97f4a7c15))
	d := &dataset{}
	at := o.start
	recent := o.start.Add(time.Duration(o.traces)*o.every - 2*time.Minute)
	for i := range o.traces {
		at = at.Add(time.Duration(rng.Int64N(int64(2*o.every) + 1)))
		var dur time.Duration
		switch p := rng.IntN(100); {
		case p < 70:
			dur = time.Second + time.Duration(rng.Int64N(int64(9*time.Second)))
		case p < 95:
			dur = 10*time.Second + time.Duration(rng.Int64N(int64(50*time.Second)))
		default:
			dur = 2*time.Minute + time.Duration(rng.Int64N(int64(8*time.Minute)))
		}
		running := at.After(recent) && rng.IntN(5) == 0
		tr, spans := genTrace(rng, i, at, dur, 3+rng.IntN(11), running)
		d.traces = append(d.traces, tr)
		d.spans = append(d.spans, spans...)
	}
	return d
}

func genTrace(rng *rand.Rand, n int, start time.Time, dur time.Duration, nspans int, running bool) (map[string]any, []map[string]any) {
	id := uuidV7(rng, start)
	end := start.Add(dur)
	tr := map[string]any{
		"id":                   id,
		"project_id":           "0194690a-1f2e-7c3d-8e4f-5a6b7c8d9e0f",
		"name":                 "support-agent",
		"start_time":           isoTime(start),
		"input":                map[string]any{"messages": []any{map[string]any{"role": "user", "content": fmt.Sprintf("Question %d: where is my order #%d?", n, 10000+n)}}},
		"output":               map[string]any{"role": "assistant", "content": "Your order ships tomorrow and arrives within 3 business days."},
		"metadata":             map[string]any{"app_version": "2.3.1", "user_tier": "pro", "region": "eu-west-1"},
		"tags":                 []string{"production", "support"},
		"usage":                map[string]any{"prompt_tokens": 820, "completion_tokens": 96, "total_tokens": 916},
		"created_at":           isoTime(end),
		"last_updated_at":      isoTime(end.Add(50 * time.Millisecond)),
		"created_by":           "svc-support@example.com",
		"last_updated_by":      "svc-support@example.com",
		"feedback_scores":      []any{map[string]any{"name": "helpfulness", "value": 0.8, "source": "online_scoring", "reason": "Resolved"}},
		"total_estimated_cost": 0.00412,
		"span_count":           nspans,
		"duration":             float64(dur.Microseconds()) / 1000,
		"thread_id":            fmt.Sprintf("thread-%d", n/3),
		"llm_span_count":       (nspans + 2) / 3,
		"has_tool_spans":       true,
		"providers":            []string{"openai"},
		"source":               "sdk",
		"environment":          "production",
	}
	if !running {
		tr["end_time"] = isoTime(end)
	} else {
		tr["end_time"] = nil
	}
	spans := make([]map[string]any, 0, nspans)
	var lastLLM string
	step := dur / time.Duration(nspans+1)
	for j := range nspans {
		st := start.Add(time.Duration(j)*step + time.Duration(rng.Int64N(int64(step/4)+1)))
		en := st.Add(step / 2)
		sid := uuidV7(rng, st)
		sp := map[string]any{
			"id":              sid,
			"project_id":      tr["project_id"],
			"trace_id":        id,
			"parent_span_id":  nil,
			"start_time":      isoTime(st),
			"end_time":        isoTime(en),
			"created_at":      isoTime(en),
			"last_updated_at": isoTime(en.Add(20 * time.Millisecond)),
			"created_by":      "svc-support@example.com",
			"last_updated_by": "svc-support@example.com",
			"duration":        float64(en.Sub(st).Microseconds()) / 1000,
		}
		switch j % 4 {
		case 0, 3:
			sp["type"] = "llm"
			sp["name"] = "chat_completion"
			sp["model"] = "gpt-4o-mini-2024-07-18"
			sp["provider"] = "openai"
			sp["input"] = map[string]any{"messages": []any{
				map[string]any{"role": "system", "content": "You are a helpful support agent for an online shop. Answer briefly and politely, and use the tools to look up orders."},
				map[string]any{"role": "user", "content": fmt.Sprintf("Where is my order #%d? It was supposed to arrive yesterday.", 10000+n)},
			}}
			sp["output"] = map[string]any{"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
				"message": map[string]any{"role": "assistant", "content": "Your order ships tomorrow and arrives within 3 business days. Sorry for the delay!"}}}}
			sp["metadata"] = map[string]any{"created_from": "openai", "type": "openai_chat", "model": "gpt-4o-mini-2024-07-18",
				"temperature": 0.3, "max_tokens": 400, "object": "chat.completion", "id": fmt.Sprintf("chatcmpl-%d-%d", n, j)}
			sp["usage"] = map[string]any{"prompt_tokens": 410, "completion_tokens": 48, "total_tokens": 458,
				"original_usage.prompt_tokens": 410, "original_usage.completion_tokens": 48, "original_usage.total_tokens": 458,
				"original_usage.prompt_tokens_details.cached_tokens": 256, "original_usage.completion_tokens_details.reasoning_tokens": 0}
			sp["total_estimated_cost"] = 0.000206
			sp["tags"] = []string{"llm"}
			lastLLM = sid
		case 1:
			sp["type"] = "tool"
			sp["name"] = "lookup_order"
			sp["parent_span_id"] = lastLLM
			sp["input"] = map[string]any{"order_id": 10000 + n}
			sp["output"] = map[string]any{"status": "shipped", "eta_days": 3, "carrier": "DHL"}
			sp["metadata"] = map[string]any{"cache_hit": false}
		case 2:
			sp["type"] = "general"
			sp["name"] = "format_reply"
			sp["input"] = map[string]any{"status": "shipped", "eta_days": 3}
			sp["output"] = map[string]any{"text": "Your order ships tomorrow and arrives within 3 business days."}
		}
		if running && j == nspans-1 {
			sp["end_time"] = nil
		}
		spans = append(spans, sp)
	}
	return tr, spans
}

func isoTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000000Z") }

// uuidV7 makes a version 7 UUID for time t.
func uuidV7(rng *rand.Rand, t time.Time) string {
	var b [16]byte
	ms := uint64(t.UnixMilli())
	for i := range 6 {
		b[i] = byte(ms >> (40 - 8*i))
	}
	r1, r2 := rng.Uint64(), rng.Uint64()
	b[6] = 0x70 | byte(r1>>60)&0x0f
	b[7] = byte(r1 >> 52)
	b[8] = 0x80 | byte(r2>>56)&0x3f
	for i := 9; i < 16; i++ {
		b[i] = byte(r2 >> (8 * (15 - i)))
	}
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// pageJSON renders records as one list answer, with the fields in Opik's
// order (page, size, total, content).
func pageJSON(t testing.TB, content []map[string]any) []byte {
	b, err := json.Marshal(content)
	require.NoError(t, err)
	return fmt.Appendf(nil, `{"page":1,"size":%d,"total":%d,"content":%s}`, len(content), len(content), b)
}
