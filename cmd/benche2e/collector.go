package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.yaml.in/yaml/v3"
)

// collectorConfig is the collector's configuration for one run: the
// receiver with one vendor block and file_storage, the nop exporter (so
// that nothing but the receiver costs), metrics on a Prometheus endpoint
// and JSON logs (the engine's "Backfill finished" line is read from them).
func collectorConfig(storageDir string, compaction map[string]any, receiver map[string]any, metricsPort int) map[string]any {
	storage := map[string]any{"directory": storageDir, "create_directory": true}
	if compaction != nil {
		c := maps.Clone(compaction)
		c["directory"] = storageDir
		storage["compaction"] = c
	}
	return map[string]any{
		"extensions": map[string]any{"file_storage": storage},
		"receivers":  map[string]any{"llmtrace": receiver},
		"exporters":  map[string]any{"nop": map[string]any{}},
		"service": map[string]any{
			"extensions": []string{"file_storage"},
			"pipelines": map[string]any{
				"traces": map[string]any{"receivers": []string{"llmtrace"}, "exporters": []string{"nop"}},
			},
			"telemetry": map[string]any{
				"logs": map[string]any{"level": "info", "encoding": "json"},
				"metrics": map[string]any{
					"level": "normal",
					"readers": []any{map[string]any{"pull": map[string]any{"exporter": map[string]any{
						"prometheus": map[string]any{"host": "127.0.0.1", "port": metricsPort},
					}}}},
				},
			},
		},
	}
}

// exampleCompaction reads the file_storage compaction block of an example
// configuration (nil when it has none), so that the benchmark stores the
// way the examples tell users to.
func exampleCompaction(path string) (map[string]any, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		Extensions map[string]struct {
			Compaction map[string]any `yaml:"compaction"`
		} `yaml:"extensions"`
	}
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return doc.Extensions["file_storage"].Compaction, nil
}

// collector is one otelcol-llmtrace process.
type collector struct {
	cmd     *exec.Cmd
	pid     string
	log     string
	metrics string
	exited  chan struct{}
}

// startCollector runs bin with the configuration in cfgPath, its output
// into logPath.
func startCollector(bin, cfgPath, logPath string, metricsPort int) (*collector, error) {
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer func() { _ = out.Close() }()
	cmd := exec.Command(bin, "--config", cfgPath) // #nosec G204 -- the collector built by make build
	cmd.Stdout, cmd.Stderr = out, out
	// The collector dies with this process, whatever ends it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &collector{cmd: cmd, pid: strconv.Itoa(cmd.Process.Pid), log: logPath,
		metrics: "http://127.0.0.1:" + strconv.Itoa(metricsPort) + "/metrics", exited: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(c.exited)
	}()
	return c, nil
}

func (c *collector) running() bool {
	select {
	case <-c.exited:
		return false
	default:
		return true
	}
}

// stop sends SIGTERM and waits for the exit (SIGKILL after a minute).
func (c *collector) stop() {
	if !c.running() {
		return
	}
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-c.exited:
	case <-time.After(time.Minute):
		_ = c.cmd.Process.Kill()
		<-c.exited
	}
}

// metric sums the samples of one metric (name or name_total) whose labels
// hold every one of labels (as `key="value"`); false when it is absent or
// the endpoint does not answer.
func (c *collector) metric(name string, labels ...string) (float64, bool) {
	cl := http.Client{Timeout: 5 * time.Second}
	resp, err := cl.Get(c.metrics)
	if err != nil {
		return 0, false
	}
	defer func() { _ = resp.Body.Close() }()
	return sumMetric(resp.Body, name, labels...)
}

func sumMetric(r io.Reader, name string, labels ...string) (float64, bool) {
	sum, found := 0.0, false
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "#") {
			continue
		}
		metric, rest, _ := strings.Cut(line, "{")
		metric, _, _ = strings.Cut(metric, " ")
		if metric != name && metric != name+"_total" {
			continue
		}
		match := true
		for _, l := range labels {
			match = match && strings.Contains(rest, l)
		}
		fields := strings.Fields(line)
		v, err := strconv.ParseFloat(fields[len(fields)-1], 64)
		if !match || err != nil {
			continue
		}
		sum += v
		found = true
	}
	return sum, found
}

// backfillEnd is the engine's "Backfill finished" log line.
type backfillEnd struct {
	Spans    int `json:"spans_emitted"`
	Requests int `json:"requests"`
	Pages    int `json:"pages"`
	Took     any `json:"took"` // seconds, or a duration string, by the log encoder
}

// logScan reads a collector's JSON log as it grows.
type logScan struct {
	path   string
	offset int64
	// errors counts error-level lines (failed polls, storage errors).
	errors  int
	lastErr string
	end     *backfillEnd // the first "Backfill finished"
}

// scan reads the lines written since the last call.
func (l *logScan) scan() error {
	f, err := os.Open(l.path)
	if err != nil {
		return err
	}
	defer func() { _ = f.Close() }()
	if _, err := f.Seek(l.offset, io.SeekStart); err != nil {
		return err
	}
	r := bufio.NewReader(f)
	for {
		line, err := r.ReadBytes('\n')
		if err != nil { // a partial last line is read again next time
			return nil
		}
		l.offset += int64(len(line))
		l.line(line)
	}
}

func (l *logScan) line(b []byte) {
	var entry struct {
		Level string `json:"level"`
		Msg   string `json:"msg"`
		Error string `json:"error"`
		backfillEnd
	}
	if json.Unmarshal(b, &entry) != nil {
		return
	}
	switch {
	case entry.Msg == "Backfill finished" && l.end == nil:
		// The first one is the backfill's; a poll that starts right
		// after it (its interval has passed) can log another before
		// this line is read.
		end := entry.backfillEnd
		l.end = &end
	case entry.Level == "error":
		l.errors++
		l.lastErr = strings.TrimSpace(entry.Msg + ": " + entry.Error)
	}
}

// tail is the end of a file, for error messages.
func tail(path string, lines int) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	parts := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	return strings.Join(parts[max(len(parts)-lines, 0):], "\n")
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer func() { _ = l.Close() }()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// writeJSON writes v as JSON (which YAML reads) to dir/name.
func writeJSON(dir, name string, v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

var errExited = errors.New("the collector exited")
