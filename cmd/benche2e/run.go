package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
	"github.com/llmtrace/llmtrace/internal/simvendors"
)

// runSpec is one backfill: a vendor's simulator serving traces complete
// traces, and the collector reading them all from an empty checkpoint.
type runSpec struct {
	vendor string
	traces int
	target int // the spans asked for; the dataset has about as many
	opts   *options
	// probe, when set, is called about once a second with the time since
	// the first request and the spans emitted so far; true ends the run
	// (errProbed).
	probe func(elapsed time.Duration, emitted int) bool
}

var errProbed = errors.New("ended by the probe")

// runResult is what one backfill measured. Durations are in seconds,
// sizes in bytes.
type runResult struct {
	Vendor      string         `json:"vendor"`
	Target      int            `json:"target_spans"`
	Traces      int            `json:"traces"`
	Spans       int            `json:"spans"` // the ground truth's
	Emitted     int            `json:"spans_emitted"`
	Requests    int            `json:"requests"`     // the engine's count for the backfill query
	SimRequests int            `json:"sim_requests"` // what the simulator answered by then
	APIRequests int            `json:"api_requests_metric"`
	Minimum     map[string]int `json:"api_minimum"`
	MinimumRule string         `json:"api_minimum_rule"`
	Wall        float64        `json:"wall_s"` // first request to backfill finished
	CPU         float64        `json:"cpu_s"`  // the collector's user+system over Wall
	StartupCPU  float64        `json:"startup_cpu_s"`
	TotalCPU    float64        `json:"total_cpu_s"` // over the collector's whole life (rusage)
	PeakRSS     int64          `json:"peak_rss"`    // VmHWM at the end of the backfill
	Storage     int64          `json:"storage_end"`
	StorageDisk int64          `json:"storage_end_allocated"`
	Stopped     int64          `json:"storage_stopped"`
	Restarted   int64          `json:"storage_after_restart"` // -1: no compaction on_start in the example
	RestartDisk int64          `json:"storage_after_restart_allocated"`
	RestartWait float64        `json:"restart_to_first_request_s"`
	SimCPU      float64        `json:"simulator_cpu_s"` // this process (the simulator) over Wall
	OtherCores  float64        `json:"other_cores"`     // CPU used by everything else, in cores, over Wall
	Load        [2]float64     `json:"load1"`           // load average at the first request and at the end
	LogErrors   int            `json:"log_errors"`
	LastError   string         `json:"last_log_error,omitempty"`
}

// counters are the clocks a run is measured with, read at one moment.
type counters struct {
	at    time.Time
	cpu   time.Duration // the collector's user + system
	self  time.Duration // this process's (the simulator's)
	total time.Duration // every CPU's busy time
	load  float64
}

func readCounters(pid string) counters {
	c := counters{at: time.Now(), load: loadAvg()}
	c.cpu, _ = procCPU(pid)
	c.self, _ = procCPU("self")
	c.total, _ = machineCPU()
	return c
}

// firstRequest records the counters when the simulator sees its first
// request: the collector's start-up is not part of the backfill.
type firstRequest struct {
	once sync.Once
	mu   sync.Mutex
	pid  string
	c    counters
}

func (f *firstRequest) setPID(pid string) { f.mu.Lock(); f.pid = pid; f.mu.Unlock() }

func (f *firstRequest) record() {
	f.once.Do(func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.c = readCounters(f.pid)
	})
}

// get returns the counters of the first request (zero before it).
func (f *firstRequest) get() counters {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.c
}

// hookedPart is a simulator part that tells first about every request.
type hookedPart struct {
	sim.Part
	first *firstRequest
}

func (p hookedPart) Handler(env *sim.Env) http.Handler {
	h := p.Part.Handler(env)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.first.record()
		h.ServeHTTP(w, r)
	})
}

// world is a run's simulator and what it serves.
type world struct {
	part  sim.Part
	data  *sim.Dataset
	creds sim.Credentials
	srv   *sim.Server
	first *firstRequest
	// lookback reaches back past the dataset's first trace.
	lookback time.Duration
}

// newWorld serves traces complete traces of the vendor: they started rate
// per second, the last one longer than sim.MaxTraceLag ago, so that every
// one is complete and settled when the collector starts.
func newWorld(spec runSpec) (*world, error) {
	part := simvendors.Parts()[spec.vendor]
	if part == nil {
		return nil, fmt.Errorf("no simulator part for %q", spec.vendor)
	}
	now := time.Now().UTC()
	interval := time.Duration(float64(time.Second) / spec.opts.rate)
	origin := now.Add(-time.Duration(spec.traces)*interval - sim.MaxTraceLag - 2*time.Minute)
	data := sim.NewDataset(sim.DatasetConfig{Seed: spec.opts.seed, Traces: spec.traces, Origin: origin, Interval: interval})
	creds := sim.Credentials{APIKey: "bench-" + spec.vendor + "-key", Workspace: "bench-workspace", Project: "bench-" + spec.vendor}
	first := &firstRequest{}
	srv, err := sim.Start([]sim.Part{hookedPart{Part: part, first: first}}, &sim.Env{Data: data, Clock: sim.WallClock{}, Creds: creds}, nil, nil)
	if err != nil {
		return nil, err
	}
	lookback := now.Sub(origin) + 30*time.Minute
	return &world{part: part, data: data, creds: creds, srv: srv, first: first, lookback: lookback.Truncate(time.Minute)}, nil
}

// expectedSpans is the ground truth's span count: what a perfect receiver
// emits from the whole dataset.
func (w *world) expectedSpans() int {
	truth := sim.TruthFor(w.part, w.creds)
	n := 0
	for i := range w.data.Len() {
		n += truth(w.data.Trace(i)).SpanCount()
	}
	return n
}

// backfill runs one backfill and measures it.
func backfill(ctx context.Context, spec runSpec) (*runResult, error) {
	w, err := newWorld(spec)
	if err != nil {
		return nil, err
	}
	defer func() { _ = w.srv.Close() }()
	res := &runResult{Vendor: spec.vendor, Target: spec.target, Traces: spec.traces, Spans: w.expectedSpans(), Restarted: -1, RestartDisk: -1}
	block := w.part.ReceiverConfig(w.srv.URL(spec.vendor), w.creds)
	if m, ok := w.part.(sim.MinimumReader); ok {
		min := m.MinimumRequests(w.data, block)
		res.Minimum, res.MinimumRule = min.Requests, min.Rule
	}
	dir, err := os.MkdirTemp(spec.opts.workDir, spec.vendor+"-"+strconv.Itoa(spec.target)+"-")
	if err != nil {
		return nil, err
	}
	if !spec.opts.keep {
		defer func() { _ = os.RemoveAll(dir) }()
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	storage := filepath.Join(dir, "storage")
	receiver := map[string]any{
		"poll_interval":    spec.opts.pollInterval.String(),
		"initial_lookback": w.lookback.String(),
		"storage":          "file_storage",
		spec.vendor:        block,
	}
	cfg, err := writeJSON(dir, "collector.yaml", collectorConfig(storage, spec.opts.compaction, receiver, port))
	if err != nil {
		return nil, err
	}
	r := &backfillRun{spec: spec, w: w, res: res, dir: dir, cfg: cfg, storage: storage, port: port}
	if err := r.measure(ctx); err != nil {
		return res, err
	}
	return res, r.restart(ctx)
}

// backfillRun is one backfill in progress.
type backfillRun struct {
	spec              runSpec
	w                 *world
	res               *runResult
	dir, cfg, storage string
	port              int
	col               *collector
	logs              *logScan
}

// measure starts the collector, waits for the end of the backfill, takes
// the figures and stops the collector.
func (r *backfillRun) measure(ctx context.Context) error {
	col, err := startCollector(r.spec.opts.collector, r.cfg, filepath.Join(r.dir, "collector.log"), r.port)
	if err != nil {
		return err
	}
	r.col = col
	defer col.stop()
	r.w.first.setPID(col.pid)
	r.logs = &logScan{path: col.log}
	if err := r.await(ctx); err != nil {
		return err
	}
	r.takeFigures()
	col.stop()
	if ps := col.cmd.ProcessState; ps != nil {
		r.res.TotalCPU = (ps.UserTime() + ps.SystemTime()).Seconds()
	}
	var err2 error
	r.res.Stopped, _, err2 = dirSize(r.storage)
	return err2
}

// await waits for the engine's "Backfill finished" line.
func (r *backfillRun) await(ctx context.Context) error {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var lastProbe time.Time
	lastReq, lastChange := -1, time.Now()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-r.col.exited:
			return fmt.Errorf("%w; its log ends:\n%s", errExited, tail(r.col.log, 20))
		case <-tick.C:
		}
		if err := r.logs.scan(); err != nil {
			return err
		}
		if r.logs.end != nil {
			return nil
		}
		if n := r.w.srv.Requests(r.spec.vendor); n != lastReq {
			lastReq, lastChange = n, time.Now()
		} else if time.Since(lastChange) > r.spec.opts.stall {
			return fmt.Errorf("no request for %s (last log error: %q); log: %s", r.spec.opts.stall, r.logs.lastErr, r.col.log)
		}
		first := r.w.first.get().at
		if r.spec.probe == nil || first.IsZero() || time.Since(lastProbe) < time.Second {
			continue
		}
		lastProbe = time.Now()
		if emitted, ok := r.col.metric("otelcol_llmtrace_spans_emitted"); ok && r.spec.probe(time.Since(first), int(emitted)) {
			return errProbed
		}
	}
}

// takeFigures reads the collector's figures at the end of the backfill.
func (r *backfillRun) takeFigures() {
	end := readCounters(r.col.pid)
	res, c := r.res, r.col
	res.PeakRSS, _ = procStatusKB(c.pid, "VmHWM")
	res.Storage, res.StorageDisk, _ = dirSize(r.storage)
	emitted, _ := c.metric("otelcol_llmtrace_spans_emitted")
	api, _ := c.metric("otelcol_llmtrace_api_requests")
	res.Emitted, res.APIRequests = int(emitted), int(api)
	res.SimRequests = r.w.srv.Requests(r.spec.vendor)
	res.Requests = r.logs.end.Requests
	res.LogErrors, res.LastError = r.logs.errors, r.logs.lastErr

	start := r.w.first.get()
	wall := end.at.Sub(start.at)
	res.Wall = wall.Seconds()
	res.CPU = (end.cpu - start.cpu).Seconds()
	res.StartupCPU = start.cpu.Seconds()
	res.SimCPU = (end.self - start.self).Seconds()
	if wall > 0 {
		res.OtherCores = ((end.total - start.total) - (end.cpu - start.cpu) - (end.self - start.self)).Seconds() / wall.Seconds()
	}
	res.Load = [2]float64{start.load, end.load}
}

// restart starts the collector again on the same storage when the example
// compacts on start, and measures the storage once the restarted collector
// has made its first request (compaction runs before the receiver starts).
func (r *backfillRun) restart(ctx context.Context) error {
	if on, _ := r.spec.opts.compaction["on_start"].(bool); !on {
		return nil
	}
	before := r.w.srv.Requests(r.spec.vendor)
	start := time.Now()
	col, err := startCollector(r.spec.opts.collector, r.cfg, filepath.Join(r.dir, "restart.log"), r.port)
	if err != nil {
		return err
	}
	defer col.stop()
	deadline := time.After(5 * time.Minute)
	for r.w.srv.Requests(r.spec.vendor) == before {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-col.exited:
			return fmt.Errorf("restart: %w; its log ends:\n%s", errExited, tail(col.log, 20))
		case <-deadline:
			return fmt.Errorf("restart: no request within 5 minutes; log: %s", col.log)
		case <-time.After(50 * time.Millisecond):
		}
	}
	r.res.RestartWait = time.Since(start).Seconds()
	col.stop()
	r.res.Restarted, r.res.RestartDisk, err = dirSize(r.storage)
	return err
}
