package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
	"github.com/llmtrace/llmtrace/internal/simvendors"
)

func TestParseStatCPU(t *testing.T) {
	// The command name may hold spaces and parentheses: fields count from
	// the last ')'. utime 250 + stime 75 ticks at USER_HZ 100.
	stat := "4242 (otel (col) x) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 75 0 0 20 0 12 0 100 0 0"
	got, err := parseStatCPU(stat)
	require.NoError(t, err)
	assert.Equal(t, 3250*time.Millisecond, got)
	_, err = parseStatCPU("4242 (short) S 1 2")
	assert.Error(t, err)
}

func TestParseStatusKB(t *testing.T) {
	status := "Name:\totelcol\nVmPeak:\t 2000000 kB\nVmHWM:\t  123456 kB\nVmRSS:\t  100000 kB\n"
	got, err := parseStatusKB(bufio.NewScanner(strings.NewReader(status)), "VmHWM")
	require.NoError(t, err)
	assert.Equal(t, int64(123456*1024), got)
	_, err = parseStatusKB(bufio.NewScanner(strings.NewReader(status)), "VmSwap")
	assert.Error(t, err)
}

func TestSumMetric(t *testing.T) {
	const text = `# HELP otelcol_llmtrace_spans_emitted_total Spans handed on.
# TYPE otelcol_llmtrace_spans_emitted_total counter
otelcol_llmtrace_spans_emitted_total{otel_scope_name="x",vendor="opik"} 1500
otelcol_llmtrace_spans_emitted_total{otel_scope_name="x",vendor="langtrace"} 20
otelcol_llmtrace_api_requests_total{status_class="2xx",vendor="opik"} 7
otelcol_llmtrace_api_requests_total{status_class="5xx",vendor="opik"} 2
otelcol_llmtrace_spans_emitted_other 99
`
	n, ok := sumMetric(strings.NewReader(text), "otelcol_llmtrace_spans_emitted")
	assert.True(t, ok)
	assert.Equal(t, 1520.0, n)
	n, _ = sumMetric(strings.NewReader(text), "otelcol_llmtrace_spans_emitted", `vendor="opik"`)
	assert.Equal(t, 1500.0, n)
	n, _ = sumMetric(strings.NewReader(text), "otelcol_llmtrace_api_requests")
	assert.Equal(t, 9.0, n)
	_, ok = sumMetric(strings.NewReader(text), "otelcol_llmtrace_conversion_warnings")
	assert.False(t, ok)
}

func TestLogScan(t *testing.T) {
	path := filepath.Join(t.TempDir(), "collector.log")
	lines := []string{
		`{"level":"info","msg":"Everything is ready. Begin running and processing data."}`,
		`{"level":"error","msg":"Poll failed; retrying at the next interval","error":"failed to fetch page: 503"}`,
		`not json`,
		`{"level":"info","msg":"Backfill finished","spans_emitted":2084,"requests":5,"pages":1,"took":0.4}`,
		`{"level":"info","msg":"Backfill fin`, // being written
	}
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines, "\n")), 0o600))
	l := &logScan{path: path}
	require.NoError(t, l.scan())
	require.NotNil(t, l.end)
	assert.Equal(t, backfillEnd{Spans: 2084, Requests: 5, Pages: 1, Took: 0.4}, *l.end)
	assert.Equal(t, 1, l.errors)
	assert.Contains(t, l.lastErr, "503")

	// The partial line is read once it is complete; nothing is read twice.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`ished","spans_emitted":7,"requests":3,"pages":1,"took":"1s"}` + "\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	require.NoError(t, l.scan())
	assert.Equal(t, 2084, l.end.Spans, "the first Backfill finished is the backfill's; the next poll's is not")
	assert.Equal(t, 1, l.errors)
}

func TestParseBench(t *testing.T) {
	out := `goos: linux
goarch: amd64
pkg: github.com/llmtrace/llmtrace/internal/langtrace
BenchmarkConvertPage-2         	     100	  10000000 ns/op	       800.0 spans/op	     12000 ns/span	  4000000 B/op	   57000 allocs/op
BenchmarkConvertPage-2         	     100	  10000000 ns/op	       800.0 spans/op	     11000 ns/span	  4000000 B/op	   57000 allocs/op
BenchmarkOTLPJSONUnmarshal     	     100	  10000000 ns/op	     14000 ns/span	     15000 cpu-ns/span
PASS
ok  	github.com/llmtrace/llmtrace/internal/langtrace	12.3s
`
	got := parseBench(strings.NewReader(out))
	assert.Equal(t, map[string]map[string][]float64{
		"BenchmarkConvertPage":       {"ns/op": {1e7, 1e7}, "spans/op": {800, 800}, "ns/span": {12000, 11000}, "B/op": {4e6, 4e6}, "allocs/op": {57000, 57000}},
		"BenchmarkOTLPJSONUnmarshal": {"ns/op": {1e7}, "ns/span": {14000}, "cpu-ns/span": {15000}},
	}, got)
	assert.Empty(t, parseBench(strings.NewReader("PASS\n")))
	assert.Equal(t, 11500.0, median([]float64{12000, 11000}))
	assert.Equal(t, 2.0, median([]float64{3, 1, 2}))
}

func TestFitSizes(t *testing.T) {
	sizes := []int{100000, 1000000}
	// 10,000 spans/s: 1M in 100 s fits 10 minutes.
	assert.Equal(t, sizes, fitSizes(sizes, 10000, 10*time.Minute))
	assert.Equal(t, sizes, fitSizes(sizes, 10, 0), "no budget")
	// 600 spans/s (LangSmith's 100 requests/s): 10 minutes hold 360k.
	assert.Equal(t, []int{36000, 360000}, fitSizes(sizes, 600, 10*time.Minute))
	// 7 spans/s (PromptLayer's 10 searches a minute): 4,200.
	assert.Equal(t, []int{420, 4200}, fitSizes(sizes, 7, 10*time.Minute))
}

func TestFitRest(t *testing.T) {
	got, changed := fitRest([]int{600, 6000}, 0, 7, 10*time.Minute)
	assert.True(t, changed)
	assert.Equal(t, []int{600, 4200}, got)
	got, changed = fitRest([]int{600, 6000}, 0, 20, 10*time.Minute)
	assert.False(t, changed)
	assert.Equal(t, []int{600, 6000}, got)
	got, _ = fitRest([]int{600, 6000}, 0, 0.5, 10*time.Minute)
	assert.Equal(t, []int{600, 600}, got, "never below the size already run")
}

func TestRoundSig(t *testing.T) {
	for in, want := range map[float64]int{357123: 360000, 4321: 4300, 99: 100, 1000000: 1000000, 12.5: 100, 1049: 1000} {
		assert.Equal(t, want, roundSig(in), "roundSig(%v)", in)
	}
}

func TestSizesFlag(t *testing.T) {
	var s sizesFlag
	require.NoError(t, s.Set("100k, 1M,2500,1.5k"))
	assert.Equal(t, sizesFlag{100000, 1000000, 2500, 1500}, s)
	assert.Error(t, s.Set("many"))
	assert.Error(t, s.Set("0"))
}

func TestCollectorConfigUsesTheExamplesCompaction(t *testing.T) {
	c, err := exampleCompaction(filepath.Join("..", "..", "examples", "jaeger.yaml"))
	require.NoError(t, err)
	require.NotNil(t, c, "examples/jaeger.yaml configures compaction")
	cfg := collectorConfig("/data/storage", c, map[string]any{"storage": "file_storage"}, 8888)
	storage := cfg["extensions"].(map[string]any)["file_storage"].(map[string]any)
	got := storage["compaction"].(map[string]any)
	assert.Equal(t, "/data/storage", got["directory"], "the example's ${env:...} directory is replaced")
	assert.Equal(t, true, got["on_start"])
	assert.NotEqual(t, "/data/storage", c["directory"], "the example's block is left as it was")
}

// TestEveryVendorStatesItsAPIMinimum: every registered vendor's simulator
// part states the API's minimum (sim.MinimumReader), by "METHOD /path",
// growing with the data.
func TestEveryVendorStatesItsAPIMinimum(t *testing.T) {
	parts := simvendors.Parts()
	require.NotEmpty(t, parts)
	creds := sim.Credentials{APIKey: "k", Workspace: "w", Project: "p"}
	for name, part := range parts {
		t.Run(name, func(t *testing.T) {
			m, ok := part.(sim.MinimumReader)
			require.True(t, ok, "%T implements sim.MinimumReader", part)
			block := part.ReceiverConfig("http://127.0.0.1:1", creds)
			small := m.MinimumRequests(sim.NewDataset(sim.DatasetConfig{Seed: 3, Traces: 50}), block)
			large := m.MinimumRequests(sim.NewDataset(sim.DatasetConfig{Seed: 3, Traces: 2000}), block)
			assert.NotEmpty(t, small.Rule)
			assert.Positive(t, small.Total())
			assert.Greater(t, large.Total(), small.Total())
			for ep := range large.Requests {
				method, path, _ := strings.Cut(ep, " ")
				assert.Contains(t, []string{"GET", "POST"}, method, ep)
				assert.True(t, strings.HasPrefix(path, "/"), ep)
			}
		})
	}
}
