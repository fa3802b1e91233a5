// Package e2e runs the built otelcol-llmtrace distribution against the
// vendor simulators and a real Jaeger, through collector crashes and a
// backend outage, and checks what Jaeger holds against the simulators'
// ground truth. It is skipped by `go test -short`.
package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/e2e/jaegertest"
	"github.com/llmtrace/llmtrace/internal/sim"
	"github.com/llmtrace/llmtrace/internal/simvendors"
)

// kills is how often the collector is SIGKILLed during the backfill
// (LLMTRACE_E2E_KILLS overrides it).
var kills = envInt("LLMTRACE_E2E_KILLS", 4)

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil {
		return n
	}
	return def
}

const (
	// tracesPerVendor is the size of each vendor's backfill.
	tracesPerVendor = 1500
	// traceInterval spaces the traces' starts.
	traceInterval = 200 * time.Millisecond
	// apiDelay slows every vendor request, so that a backfill takes a while
	// and the test can kill the collector while each poller waits on its
	// vendor.
	apiDelay = 700 * time.Millisecond
	// outage is how long Jaeger is down in the outage test.
	outage = 20 * time.Second
)

func TestCollectorIntoJaeger(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: builds the collector and Jaeger and runs them")
	}
	began := time.Now()
	root := repoRoot(t)
	colBin := buildCollector(t, root)
	j := jaegertest.Start(t, jaegertest.Build(t))
	t.Logf("collector and Jaeger built and started in %s", time.Since(began).Round(time.Second))

	t.Run("crash safety", func(t *testing.T) {
		start := time.Now()
		worlds := startWorlds(t, 1000, "crash")
		col := newCollector(t, root, colBin, j, worlds)
		col.start(t)
		for k := 1; k <= kills; k++ {
			waitForSafeKillPoint(t, worlds, col, 3)
			col.kill(t)
			t.Logf("kill %d: SIGKILL at %s (%d vendor requests so far)", k, time.Since(start).Round(time.Millisecond), totalRequests(worlds))
			col.start(t)
		}
		expected, spans := expectedTraces(worlds)
		actual := waitForAllSpans(t, j.Raw, expected, spans)
		col.stop(t)
		// The receiver's own count: every span handed to the pipeline
		// exactly once over all the collector's lives.
		require.Equal(t, spans, col.emitted, "spans the receiver emitted over %d restarts", kills)
		requireGroundTruth(t, worlds, actual)
		t.Logf("crash safety: %d traces, %d spans in Jaeger exactly once after %d SIGKILLs, in %s",
			expected.ResourceSpans().Len(), spans, kills, time.Since(start).Round(time.Second))
	})

	t.Run("backend outage", func(t *testing.T) {
		start := time.Now()
		worlds := startWorlds(t, 2000, "outage")
		col := newCollector(t, root, colBin, j, worlds)
		// A small export queue: while Jaeger is down it fills, and the
		// receiver must wait (backpressure) rather than lose or drop data.
		col.env = append(col.env, "LLMTRACE_QUEUE_SIZE=4")
		col.start(t)
		// Let the backfill flow into Jaeger, then take Jaeger away while
		// the receiver keeps polling.
		waitForSafeKillPoint(t, worlds, col, 4)
		j.Stop()
		down, before := time.Now(), totalRequests(worlds)
		time.Sleep(outage / 2)
		mid := totalRequests(worlds)
		time.Sleep(outage / 2)
		stalled := totalRequests(worlds) - mid
		j.Restart(t)
		t.Logf("Jaeger was down for %s; vendor requests in its first half: %d, in its second half: %d (the full queue holds the receiver back)",
			time.Since(down).Round(time.Second), mid-before, stalled)

		expected, spans := expectedTraces(worlds)
		// The badger store survived the restart: every span must be there.
		durable := waitForAllSpans(t, j.Durable, expected, spans)
		col.stop(t)
		assert.Equal(t, spans, col.emitted, "spans the receiver emitted")
		requireGroundTruth(t, worlds, durable)
		// The memory store holds every copy received since the restart:
		// none may be a second copy.
		raw := fetchAll(t, j.Raw, traceIDs(expected))
		require.Empty(t, duplicates(raw), "spans received twice after the outage")
		t.Logf("backend outage: %d traces, %d spans in Jaeger after a %s outage (%d of them arrived after it, none twice), in %s",
			expected.ResourceSpans().Len(), spans, outage, raw.SpanCount(), time.Since(start).Round(time.Second))
	})
	t.Logf("end-to-end part took %s", time.Since(began).Round(time.Second))
}

// world is one vendor's simulator with its own dataset.
type world struct {
	vendor string
	part   sim.Part
	data   *sim.Dataset
	creds  sim.Credentials
	srv    *sim.Server
	gate   *gate
}

// startWorlds starts one simulator per registered vendor. Each vendor gets
// its own seed: two vendors serving one dataset would send the same trace
// and span IDs into one Jaeger. Every trace is complete before the test
// starts (a backfill).
func startWorlds(t *testing.T, seed uint64, label string) []*world {
	parts := simvendors.Parts()
	require.NotEmpty(t, parts, "no vendor simulator is registered")
	now := time.Now().UTC()
	var worlds []*world
	for i, name := range slices.Sorted(maps.Keys(parts)) {
		traces, delay := tracesPerVendor, apiDelay
		if scs := parts[name].Scenarios(); len(scs) > 0 {
			if e := scs[0].EndToEnd; e.Traces > 0 {
				traces, delay = e.Traces, e.RequestDelay
			}
		}
		data := sim.NewDataset(sim.DatasetConfig{
			Seed:     seed + uint64(i),
			Traces:   traces,
			Interval: traceInterval,
			Origin:   now.Add(-time.Duration(traces)*traceInterval - sim.MaxTraceLag - time.Minute),
		})
		creds := sim.Credentials{
			APIKey:    "e2e-" + label + "-" + name + "-key-7d1c", // one key per world: a key selects the data
			Workspace: "e2e-workspace",
			Project:   "e2e-" + label + "-" + name,
		}
		g := &gate{delay: delay, waiting: map[int]bool{}, last: time.Now()}
		srv, err := sim.Start([]sim.Part{gatedPart{Part: parts[name], gate: g}}, &sim.Env{Data: data, Clock: sim.WallClock{}, Creds: creds}, nil, nil)
		require.NoError(t, err)
		t.Cleanup(func() { _ = srv.Close() })
		worlds = append(worlds, &world{vendor: name, part: parts[name], data: data, creds: creds, srv: srv, gate: g})
	}
	return worlds
}

func expectedTraces(worlds []*world) (ptrace.Traces, int) {
	all := ptrace.NewTraces()
	for _, w := range worlds {
		exp := sim.ExpectedRange(w.data, 0, w.data.Len(), sim.TruthFor(w.part, w.creds))
		exp.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	return all, all.SpanCount()
}

func totalRequests(worlds []*world) int {
	n := 0
	for _, w := range worlds {
		n += w.srv.Requests(w.vendor)
	}
	return n
}

// gate delays every vendor request and tracks which are waiting, so the
// test knows when each poller is blocked on its vendor.
type gate struct {
	delay   time.Duration
	mu      sync.Mutex
	seq     int
	waiting map[int]bool
	// answered counts requests whose answer has started: after that the
	// poller may consume what it got.
	answered int
	last     time.Time // when the last answer started
}

type gatedPart struct {
	sim.Part
	gate *gate
}

func (p gatedPart) Handler(env *sim.Env) http.Handler {
	inner := p.Part.Handler(env)
	g := p.gate
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.seq++
		id := g.seq
		g.waiting[id] = true
		g.mu.Unlock()
		select {
		case <-time.After(g.delay):
		case <-r.Context().Done():
		}
		g.mu.Lock()
		delete(g.waiting, id)
		g.answered++
		g.last = time.Now()
		g.mu.Unlock()
		if r.Context().Err() == nil {
			inner.ServeHTTP(w, r)
		}
	})
}

// gateState is what a gate shows at one moment.
type gateState struct {
	answered int
	blocked  bool // the poller waits on its vendor, or has been idle a while
}

func (g *gate) state(now time.Time) gateState {
	g.mu.Lock()
	defer g.mu.Unlock()
	return gateState{answered: g.answered, blocked: len(g.waiting) > 0 || now.Sub(g.last) >= 300*time.Millisecond}
}

func (g *gate) requests() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.answered
}

// waitForSafeKillPoint waits until every vendor has answered at least
// minRequests more requests and then for a moment when no poller can be
// between a consume and its checkpoint, and the exporter has acknowledged
// everything it was handed: each poller waits on its vendor (no answer
// starts meanwhile) while the collector reports an empty export queue. The
// persistent queue counts items it has dispatched but not yet seen
// exported, so an empty queue means nothing will be sent again after a
// crash: any duplicate left is the receiver's.
func waitForSafeKillPoint(t *testing.T, worlds []*world, c *collector, minRequests int) {
	t.Helper()
	base := make([]int, len(worlds))
	for i, w := range worlds {
		base[i] = w.gate.requests()
	}
	deadline := time.Now().Add(2 * time.Minute)
	for ; time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		before := make([]gateState, len(worlds))
		ready := true
		for i, w := range worlds {
			before[i] = w.gate.state(time.Now())
			ready = ready && before[i].blocked && before[i].answered-base[i] >= minRequests
		}
		if !ready || c.queueSize(t) != 0 {
			continue
		}
		for i, w := range worlds {
			after := w.gate.state(time.Now())
			ready = ready && after.answered == before[i].answered && after.blocked
		}
		if ready {
			return
		}
	}
	t.Fatal("never found the pollers waiting on their vendors with the export queue empty")
}

// collector runs otelcol-llmtrace with examples/jaeger.yaml.
type collector struct {
	bin, logPath, health, metrics string
	configs                       []string
	env                           []string
	cmd                           *exec.Cmd
	exited                        chan struct{}
	// emitted sums the receiver's otelcol_llmtrace_spans_emitted over
	// every run of the collector (read before each kill and stop).
	emitted int
}

func newCollector(t *testing.T, root, bin string, j *jaegertest.Jaeger, worlds []*world) *collector {
	dir := t.TempDir()
	health := freeAddr(t)
	metricsPort := freePort(t)
	env := []string{
		"JAEGER_OTLP_ENDPOINT=" + j.OTLPGRPC,
		"LLMTRACE_STORAGE_DIR=" + filepath.Join(dir, "storage"),
		"LLMTRACE_HEALTH_ENDPOINT=" + health,
		"LLMTRACE_METRICS_LEVEL=normal",
		"LLMTRACE_METRICS_PORT=" + strconv.Itoa(metricsPort),
		"LLMTRACE_POLL_INTERVAL=1s",
		// An export that times out is sent again and Jaeger may then hold
		// its spans twice (OTLP is at least once): on a loaded CI machine a
		// stalled Jaeger must not turn into duplicates the receiver never
		// emitted.
		"LLMTRACE_EXPORT_TIMEOUT=3m",
		"LLMTRACE_SETTLE_DELAY=2s",
		"LLMTRACE_INITIAL_LOOKBACK=" + (tracesPerVendor*traceInterval + sim.MaxTraceLag + 10*time.Minute).String(),
	}
	// Every registered vendor's block, as its simulator gives it, goes
	// into a second config file merged over the example (the collector
	// merges --config files in order): a new vendor is covered by
	// registering it, whether or not the example lists it yet.
	vendors := map[string]any{}
	for _, w := range worlds {
		vendors[w.vendor] = w.part.ReceiverConfig(w.srv.URL(w.vendor), w.creds)
	}
	overlay, err := json.Marshal(map[string]any{"receivers": map[string]any{"llmtrace": vendors}})
	require.NoError(t, err)
	overlayPath := filepath.Join(dir, "vendors.yaml") // JSON is YAML
	require.NoError(t, os.WriteFile(overlayPath, overlay, 0o600))
	c := &collector{
		bin: bin, configs: []string{filepath.Join(root, "examples", "jaeger.yaml"), overlayPath}, logPath: filepath.Join(dir, "collector.log"),
		health: health, metrics: "http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/metrics", env: env,
	}
	t.Cleanup(func() {
		c.stop(t)
		if t.Failed() {
			if b, err := os.ReadFile(c.logPath); err == nil {
				t.Logf("collector log: %d export timeouts, %d failed exports; end:\n%s",
					strings.Count(string(b), "DeadlineExceeded"), strings.Count(string(b), "Exporting failed"), tail(string(b), 30))
				for _, line := range strings.Split(string(b), "\n") {
					if strings.Contains(line, "dispatch") || strings.Contains(line, "Resuming") || strings.Contains(line, "requeue") {
						t.Log(line)
					}
				}
			}
		}
	})
	return c
}

func (c *collector) start(t *testing.T) {
	t.Helper()
	log, err := os.OpenFile(c.logPath, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	require.NoError(t, err)
	defer func() { _ = log.Close() }()
	var args []string
	for _, cfg := range c.configs {
		args = append(args, "--config", cfg)
	}
	cmd := exec.Command(c.bin, args...)
	cmd.Env = append(os.Environ(), c.env...)
	cmd.Stdout, cmd.Stderr = log, log
	setPdeathsig(cmd)
	require.NoError(t, cmd.Start())
	c.cmd = cmd
	c.exited = make(chan struct{})
	go func(exited chan struct{}) {
		_ = cmd.Wait()
		close(exited)
	}(c.exited)
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-c.exited:
			t.Fatalf("collector exited at start; log: %s", c.logPath)
		default:
		}
		if resp, err := http.Get("http://" + c.health + "/"); err == nil {
			_ = resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatal("collector did not become healthy")
}

func (c *collector) kill(t *testing.T) {
	t.Helper()
	c.emitted += c.spansEmitted(t)
	require.NoError(t, c.cmd.Process.Signal(syscall.SIGKILL))
	<-c.exited
	c.cmd = nil
}

func (c *collector) stop(t *testing.T) {
	if c.cmd == nil {
		return
	}
	c.emitted += c.spansEmitted(t)
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(20 * time.Second):
		t.Log("collector ignored SIGTERM; killing it")
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
	c.cmd = nil
}

// queueSize is the exporter's queue size: requests not yet read plus those
// dispatched but not yet acknowledged. -1 when unknown.
func (c *collector) queueSize(t *testing.T) int {
	n, ok := c.metric(t, "otelcol_exporter_queue_size")
	if !ok {
		return -1
	}
	return n
}

// spansEmitted reads the receiver's own count of spans it handed to the
// pipeline in this run of the collector.
func (c *collector) spansEmitted(t *testing.T) int {
	n, _ := c.metric(t, "otelcol_llmtrace_spans_emitted")
	return n
}

// metric sums the samples of one metric the collector exposes.
func (c *collector) metric(t *testing.T, name string) (int, bool) {
	resp, err := http.Get(c.metrics)
	if err != nil {
		t.Logf("reading collector metrics: %v", err)
		return 0, false
	}
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	n, found := 0, false
	for _, line := range strings.Split(string(body), "\n") {
		metric, _, _ := strings.Cut(line, "{")
		metric, _, _ = strings.Cut(metric, " ")
		if metric != name && metric != name+"_total" {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		require.NoError(t, err, line)
		n += int(v)
		found = true
	}
	return n, found
}

// waitForAllSpans polls Jaeger until it holds as many spans of the worlds'
// traces as expected (more is reported by the comparison), and returns
// them.
func waitForAllSpans(t *testing.T, q *jaegertest.Query, expected ptrace.Traces, want int) ptrace.Traces {
	t.Helper()
	ids := traceIDs(expected)
	var got ptrace.Traces
	last, lastChange := -1, time.Now()
	for {
		got = fetchAll(t, q, ids)
		n := got.SpanCount()
		if n >= want {
			return got
		}
		if n != last {
			last, lastChange = n, time.Now()
		}
		if time.Since(lastChange) > 90*time.Second {
			t.Logf("Jaeger holds %d of %d spans and stopped growing", n, want)
			return got
		}
		time.Sleep(time.Second)
	}
}

// traceIDs lists the trace IDs of td: the ground truth's, which are not
// always the dataset's (a vendor that hashes its own IDs).
func traceIDs(td ptrace.Traces) []pcommon.TraceID {
	seen := map[pcommon.TraceID]bool{}
	var ids []pcommon.TraceID
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				if id := spans.At(k).TraceID(); !seen[id] {
					seen[id] = true
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// requireGroundTruth compares what Jaeger holds with every vendor's ground
// truth, each at the time precision its vendor keeps.
func requireGroundTruth(t *testing.T, worlds []*world, actual ptrace.Traces) {
	t.Helper()
	var diffs []string
	for _, w := range worlds {
		want := sim.ExpectedRange(w.data, 0, w.data.Len(), sim.TruthFor(w.part, w.creds))
		got := ptrace.NewTraces()
		rss := actual.ResourceSpans()
		for i := 0; i < rss.Len(); i++ {
			if v, ok := rss.At(i).Resource().Attributes().Get("llmtrace.vendor"); ok && v.Str() == w.vendor {
				rss.At(i).CopyTo(got.ResourceSpans().AppendEmpty())
			}
		}
		var precision time.Duration
		if scs := w.part.Scenarios(); len(scs) > 0 {
			precision = scs[0].TimePrecision
		}
		for _, d := range sim.Compare(want, got, sim.CompareOptions{TimePrecision: precision, MaxDiffs: 10}) {
			diffs = append(diffs, w.vendor+": "+d)
		}
	}
	require.Empty(t, diffs, "Jaeger differs from the ground truth:\n%s", strings.Join(diffs, "\n"))
}

// fetchAll reads the traces ids from Jaeger, four at a time.
func fetchAll(t *testing.T, q *jaegertest.Query, ids []pcommon.TraceID) ptrace.Traces {
	t.Helper()
	results := make([]ptrace.Traces, len(ids))
	errs := make([]error, len(ids))
	var wg sync.WaitGroup
	next := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range next {
				results[i], errs[i] = q.Trace(context.Background(), ids[i])
			}
		})
	}
	for i := range ids {
		next <- i
	}
	close(next)
	wg.Wait()
	all := ptrace.NewTraces()
	for i, td := range results {
		require.NoError(t, errs[i])
		td.ResourceSpans().MoveAndAppendTo(all.ResourceSpans())
	}
	return all
}

func duplicates(td ptrace.Traces) []string {
	seen := map[[24]byte]int{}
	var dups []string
	rss := td.ResourceSpans()
	for i := range rss.Len() {
		sss := rss.At(i).ScopeSpans()
		for j := range sss.Len() {
			spans := sss.At(j).Spans()
			for k := range spans.Len() {
				s := spans.At(k)
				var key [24]byte
				tid, sid := s.TraceID(), s.SpanID()
				copy(key[:16], tid[:])
				copy(key[16:], sid[:])
				if seen[key]++; seen[key] == 2 {
					dups = append(dups, fmt.Sprintf("%s/%s %q", tid, sid, s.Name()))
				}
			}
		}
	}
	return dups
}

func repoRoot(t *testing.T) string {
	_, file, _, ok := runtime.Caller(0)
	require.True(t, ok)
	return filepath.Dir(filepath.Dir(file))
}

// buildCollector builds the distribution with ocb through the Makefile.
func buildCollector(t *testing.T, root string) string {
	t.Helper()
	start := time.Now()
	cmd := exec.Command("make", "build")
	cmd.Dir = root
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "make build:\n%s", tail(string(out), 40))
	t.Logf("make build took %s", time.Since(start).Round(time.Second))
	return filepath.Join(root, "_build", "otelcol-llmtrace")
}

func freePort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port
}

func freeAddr(t *testing.T) string { return "127.0.0.1:" + strconv.Itoa(freePort(t)) }

func tail(s string, lines int) string {
	parts := strings.Split(s, "\n")
	if len(parts) > lines {
		parts = parts[len(parts)-lines:]
	}
	return strings.Join(parts, "\n")
}
