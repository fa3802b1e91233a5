// Package jaegertest runs a real Jaeger v2 (built from the e2e/jaeger module)
// for end-to-end tests: on free 127.0.0.1 ports, with its files in the test's
// temp dir, stopped when the test ends.
//
// Jaeger is given two stores, both fed by the same OTLP receiver:
//
//   - Raw (in memory; QueryURL, Jaeger.Trace and friends): every copy of every
//     span received since Jaeger last (re)started; a span delivered twice
//     counts twice. Empty again after Restart.
//   - Durable (badger on disk; DurableQueryURL, Jaeger.Durable): survives
//     Restart and even a kill, but keeps one copy per span (trace ID, span ID,
//     start time), so duplicates are not visible there.
//
// A test of a backend outage therefore checks completeness on Durable (spans
// sent before, during and after the outage are all there) and counts
// duplicates on Raw (copies delivered since the restart).
//
// Typical use:
//
//	bin := jaegertest.Build(t) // minutes the first time, then cached
//	j := jaegertest.Start(t, bin)
//	// point the collector under test at j.OTLPGRPC or j.OTLPHTTP ...
//	td, err := j.WaitForSpans(ctx, traceID, 3)
package jaegertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

const (
	// StartTimeout bounds how long Start and Restart wait for Jaeger to be ready.
	StartTimeout = 60 * time.Second
	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	StopTimeout = 20 * time.Second
	// portsFreeTimeout bounds how long Stop waits for the ports to be free.
	portsFreeTimeout = 10 * time.Second
)

// Jaeger is a running (or stopped) Jaeger process.
type Jaeger struct {
	// OTLPGRPC is the OTLP/gRPC receiver's address, 127.0.0.1:port (plaintext).
	OTLPGRPC string
	// OTLPHTTP is the OTLP/HTTP receiver's base URL, http://127.0.0.1:port;
	// traces go to OTLPHTTP + "/v1/traces".
	OTLPHTTP string
	// QueryURL is the base URL of the query API (API v3 and the classic /api)
	// over the raw in-memory store.
	QueryURL string
	// DurableQueryURL is the base URL of the query API over the badger store.
	DurableQueryURL string
	// HealthURL is the health check (200 when Jaeger is ready).
	HealthURL string

	// Raw reads the in-memory store (every copy since the last start).
	Raw *Query
	// Durable reads the badger store (one copy per span, survives Restart).
	Durable *Query

	// Dir is Jaeger's directory (config, log, badger data) in the test's temp dir.
	Dir string
	// ConfigPath is the configuration Jaeger runs with.
	ConfigPath string
	// LogPath is Jaeger's stdout and stderr, appended to across restarts.
	LogPath string

	bin   string
	ports ports
	t     testing.TB

	mu      sync.Mutex
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error
	logFile *os.File
}

// Start starts the Jaeger binary bin (see Build) on free 127.0.0.1 ports and
// waits until it is ready (at most StartTimeout). The test's cleanup stops it
// and, if the test failed, logs the end of Jaeger's log.
func Start(t testing.TB, bin string) *Jaeger {
	t.Helper()
	if !isExecutable(bin) {
		t.Fatalf("jaegertest: %q is not an executable (use jaegertest.Build)", bin)
	}
	dir := t.TempDir()
	p, err := freePorts(7)
	if err != nil {
		t.Fatalf("jaegertest: picking free ports: %v", err)
	}
	ps := ports{
		OTLPGRPC: p[0], OTLPHTTP: p[1],
		QueryHTTP: p[2], QueryGRPC: p[3],
		DurableHTTP: p[4], DurableGRPC: p[5],
		HealthCheckHTTP: p[6],
	}
	keys := filepath.Join(dir, "badger", "keys")
	values := filepath.Join(dir, "badger", "values")
	for _, d := range []string{keys, values} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatalf("jaegertest: %v", err)
		}
	}
	cfg, err := renderConfig(ps, keys, values)
	if err != nil {
		t.Fatalf("jaegertest: rendering config: %v", err)
	}
	cfgPath := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfgPath, cfg, 0o644); err != nil {
		t.Fatalf("jaegertest: %v", err)
	}

	addr := func(port int) string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(port)) }
	j := &Jaeger{
		OTLPGRPC:        addr(ps.OTLPGRPC),
		OTLPHTTP:        "http://" + addr(ps.OTLPHTTP),
		QueryURL:        "http://" + addr(ps.QueryHTTP),
		DurableQueryURL: "http://" + addr(ps.DurableHTTP),
		HealthURL:       "http://" + addr(ps.HealthCheckHTTP) + "/status",
		Dir:             dir,
		ConfigPath:      cfgPath,
		LogPath:         filepath.Join(dir, "jaeger.log"),
		bin:             bin,
		ports:           ps,
		t:               t,
	}
	j.Raw = &Query{URL: j.QueryURL}
	j.Durable = &Query{URL: j.DurableQueryURL}
	t.Cleanup(func() {
		j.Stop()
		if t.Failed() {
			t.Logf("jaegertest: end of %s:\n%s", j.LogPath, j.logTail(60))
		}
	})
	j.start(t)
	return j
}

// Restart stops Jaeger (SIGTERM) and starts it again on the same ports with
// the same data directory, waiting until it is ready. Use it to simulate a
// backend outage: the raw in-memory store is empty afterwards, the durable
// badger store keeps its spans. Restart also starts a stopped Jaeger.
func (j *Jaeger) Restart(t testing.TB) {
	t.Helper()
	j.Stop()
	j.start(t)
}

// Stop stops Jaeger: SIGTERM, SIGKILL after StopTimeout, then waits until its
// ports are free. Calling it on a stopped Jaeger does nothing. The test's
// cleanup calls it.
func (j *Jaeger) Stop() {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cmd == nil {
		return
	}
	start := time.Now()
	_ = j.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-j.exited:
	case <-time.After(StopTimeout):
		j.t.Logf("jaegertest: Jaeger did not stop within %s of SIGTERM, killing it", StopTimeout)
		_ = j.cmd.Process.Kill()
		<-j.exited
	}
	j.cmd = nil
	_ = j.logFile.Close()
	if err := waitPortsFree(j.ports.all(), portsFreeTimeout); err != nil {
		j.t.Logf("jaegertest: %v", err)
	}
	j.t.Logf("jaegertest: Jaeger stopped in %s (%v)", time.Since(start).Round(time.Millisecond), exitText(j.waitErr))
}

// Running reports whether the Jaeger process is running.
func (j *Jaeger) Running() bool {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cmd == nil {
		return false
	}
	select {
	case <-j.exited:
		return false
	default:
		return true
	}
}

// Trace reads traceID from the raw store: every copy received since the last
// (re)start, duplicates included. Unknown trace: empty traces, no error.
func (j *Jaeger) Trace(ctx context.Context, traceID pcommon.TraceID) (ptrace.Traces, error) {
	return j.Raw.Trace(ctx, traceID)
}

// WaitForSpans polls the raw store until traceID has at least minSpans spans.
func (j *Jaeger) WaitForSpans(ctx context.Context, traceID pcommon.TraceID, minSpans int) (ptrace.Traces, error) {
	return j.Raw.WaitForSpans(ctx, traceID, minSpans)
}

// FindTraces searches the raw store for traces of service started in [from, to].
func (j *Jaeger) FindTraces(ctx context.Context, service string, from, to time.Time) (ptrace.Traces, error) {
	return j.Raw.FindTraces(ctx, service, from, to)
}

// Services lists the services in the raw store (seen since the last (re)start).
func (j *Jaeger) Services(ctx context.Context) ([]string, error) {
	return j.Raw.Services(ctx)
}

func (j *Jaeger) start(t testing.TB) {
	t.Helper()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.cmd != nil {
		t.Fatalf("jaegertest: Jaeger is already running")
	}
	lf, err := os.OpenFile(j.LogPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatalf("jaegertest: %v", err)
	}
	fmt.Fprintf(lf, "=== jaegertest: starting %s --config %s at %s\n", j.bin, j.ConfigPath, time.Now().Format(time.RFC3339Nano))
	cmd := exec.Command(j.bin, "--config", j.ConfigPath)
	cmd.Dir = j.Dir
	cmd.Stdout = lf
	cmd.Stderr = lf
	setProcAttrs(cmd)
	begin := time.Now()
	if err := cmd.Start(); err != nil {
		_ = lf.Close()
		t.Fatalf("jaegertest: starting %s: %v", j.bin, err)
	}
	exited := make(chan struct{})
	j.cmd, j.exited, j.logFile, j.waitErr = cmd, exited, lf, nil
	go func() {
		j.waitErr = cmd.Wait() // read only after exited is closed
		close(exited)
	}()

	if err := j.waitReady(exited, StartTimeout); err != nil {
		select {
		case <-exited:
		default:
			_ = cmd.Process.Kill()
			<-exited
		}
		j.cmd = nil
		_ = lf.Close()
		t.Fatalf("jaegertest: %v (log: %s; the test's cleanup prints its end)", err, j.LogPath)
	}
	t.Logf("jaegertest: Jaeger (pid %d) ready in %s: OTLP gRPC %s, OTLP HTTP %s, query %s, durable query %s",
		cmd.Process.Pid, time.Since(begin).Round(time.Millisecond), j.OTLPGRPC, j.OTLPHTTP, j.QueryURL, j.DurableQueryURL)
}

// waitReady polls the health check, both query APIs and both OTLP ports.
func (j *Jaeger) waitReady(exited <-chan struct{}, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: 2 * time.Second}
	var lastErr error
	for {
		select {
		case <-exited:
			return fmt.Errorf("jaeger exited while starting: %v", exitText(j.waitErr))
		default:
		}
		lastErr = j.probe(client)
		if lastErr == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("jaeger not ready within %s: %v", timeout, lastErr)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (j *Jaeger) probe(client *http.Client) error {
	for _, u := range []string{j.HealthURL, j.QueryURL + "/api/v3/services", j.DurableQueryURL + "/api/v3/services"} {
		resp, err := client.Get(u)
		if err != nil {
			return err
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("GET %s: %s", u, resp.Status)
		}
	}
	for _, a := range []string{j.OTLPGRPC, j.OTLPHTTP[len("http://"):]} {
		c, err := net.DialTimeout("tcp", a, time.Second)
		if err != nil {
			return err
		}
		_ = c.Close()
	}
	return nil
}

func (j *Jaeger) logTail(lines int) string {
	b, err := os.ReadFile(j.LogPath)
	if err != nil {
		return err.Error()
	}
	b = bytes.TrimRight(b, "\n")
	for i, n := len(b)-1, 0; i >= 0; i-- {
		if b[i] == '\n' {
			if n++; n == lines {
				return string(b[i+1:])
			}
		}
	}
	return string(b)
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// freePorts returns n distinct ports that were free on 127.0.0.1 a moment ago.
func freePorts(n int) ([]int, error) {
	ls := make([]net.Listener, 0, n)
	defer func() {
		for _, l := range ls {
			_ = l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// waitPortsFree waits until every port can be listened on again.
func waitPortsFree(ports []int, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		var busy []error
		for _, p := range ports {
			l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(p)))
			if err != nil {
				busy = append(busy, err)
				continue
			}
			_ = l.Close()
		}
		if len(busy) == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("ports still busy %s after Jaeger stopped: %w", timeout, errors.Join(busy...))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
