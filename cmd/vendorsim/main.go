// Command vendorsim serves simulated LLM-observability vendor APIs (the parts
// registered in internal/simvendors) on loopback, from a deterministic
// dataset of LLM-application traces that keeps growing as time passes. Run
// it with --help for the flags.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/llmtrace/llmtrace/internal/sim"
	"github.com/llmtrace/llmtrace/internal/simvendors"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], simvendors.Parts(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

const usageHeader = `vendorsim serves simulated LLM-observability vendor APIs on 127.0.0.1, so the
receiver can be run and tested without the vendors. Every vendor serves the
same deterministic dataset of LLM-application traces (agents, chains, LLM,
tool, retrieval, embedding and guardrail spans) in its own API format.

Live mode: when it starts, --backfill worth of traces already exist (at
--rate traces per second); new traces keep starting at that rate until
--traces are used up; traces become visible when their spans end (plus an
export delay), long-running traces show an in-progress root, and late span
batches arrive up to two minutes after their trace ended. --speed runs the
simulated time faster than the real one.

It prints "VENDOR URL" for each vendor on stdout (the URL is the receiver's
endpoint for that vendor) and runs until SIGINT or SIGTERM.

Usage: vendorsim [flags]
`

type config struct {
	vendors      string
	listen       listenFlag
	seed         uint64
	traces       int
	rate         float64
	backfill     time.Duration
	speed        float64
	apiKey       string
	workspace    string
	project      string
	faults       faultFlag
	lateFrac     float64
	longFrac     float64
	readyFile    string
	receiverFile string
	truthFile    string
	verbose      bool
	shutdownWait time.Duration
}

func newFlagSet(cfg *config, parts map[string]sim.Part, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("vendorsim", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.vendors, "vendors", "", "comma-separated `list` of vendors to serve (default: all registered)")
	fs.Var(&cfg.listen, "listen", "listen address per vendor, as `vendor=host:port,...` (default 127.0.0.1:0 each, a free port)")
	fs.Uint64Var(&cfg.seed, "seed", 1, "dataset seed: the same seed gives the same traces")
	fs.IntVar(&cfg.traces, "traces", 100000, "dataset size in traces (the last one starts at about now - backfill + traces/rate)")
	fs.Float64Var(&cfg.rate, "rate", 1, "new traces per simulated second")
	fs.DurationVar(&cfg.backfill, "backfill", time.Hour, "history that already exists at start (traces started before now)")
	fs.Float64Var(&cfg.speed, "speed", 1, "simulated seconds per real second")
	fs.StringVar(&cfg.apiKey, "api-key", "sim-api-key", "API key the vendors accept")
	fs.StringVar(&cfg.workspace, "workspace", "sim-workspace", "workspace (tenant) the vendors accept, for vendors that have one")
	fs.StringVar(&cfg.project, "project", "sim-project", "project name the dataset belongs to")
	fs.Var(&cfg.faults, "fault", "inject a fault `rule` (repeatable); grammar below")
	fs.Float64Var(&cfg.lateFrac, "late-fraction", sim.DefaultLateFraction, "fraction of traces with a late span batch (arriving 20-120 s after the trace ended)")
	fs.Float64Var(&cfg.longFrac, "long-running-fraction", sim.DefaultLongRunningFraction, "fraction of traces whose root stays in progress for 2-10 minutes")
	fs.StringVar(&cfg.readyFile, "ready-file", "", "once listening, write the JSON object {vendor: url} to this `file`")
	fs.StringVar(&cfg.receiverFile, "receiver-config", "", "once listening, write the llmtrace receiver's vendor blocks that poll every served vendor\n(receivers: llmtrace: <vendor>: {...}) to this `file`, to pass to the collector as a second --config")
	fs.StringVar(&cfg.truthFile, "truth", "", "before listening, write the ground truth of the whole dataset to this `file` as OTLP JSON,\none trace per line, for each vendor in turn; a {vendor} in the name writes one file per vendor")
	fs.BoolVar(&cfg.verbose, "verbose", false, "log every request on stderr")
	fs.DurationVar(&cfg.shutdownWait, "shutdown-timeout", 5*time.Second, "how long to let requests in flight finish on SIGINT/SIGTERM")
	fs.Usage = func() {
		fmt.Fprint(out, usageHeader)
		names := sortedNames(parts)
		if len(names) == 0 {
			fmt.Fprintln(out, "\nRegistered vendors: none yet (register parts in internal/simvendors)")
		} else {
			fmt.Fprintln(out, "\nRegistered vendors: "+strings.Join(names, ", "))
		}
		fmt.Fprintln(out, "\nFlags:")
		fs.PrintDefaults()
		fmt.Fprintln(out, "\nFault rules (--fault):\n  "+strings.ReplaceAll(sim.FaultGrammar, "\n", "\n  "))
	}
	return fs
}

// run is main without the process: it returns the exit code.
func run(ctx context.Context, args []string, parts map[string]sim.Part, stdout, stderr io.Writer) int {
	var cfg config
	fs := newFlagSet(&cfg, parts, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "vendorsim: unexpected arguments %q\n", fs.Args())
		return 2
	}
	if len(parts) == 0 {
		fmt.Fprintln(stderr, "vendorsim: no vendor simulator is registered (add parts in internal/simvendors)")
		return 1
	}
	if err := serve(ctx, &cfg, parts, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "vendorsim: "+err.Error())
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg *config, all map[string]sim.Part, stdout, stderr io.Writer) error {
	parts, err := selectParts(cfg.vendors, all)
	if err != nil {
		return err
	}
	if err := cfg.validate(); err != nil {
		return err
	}
	faults, err := cfg.faults.build(parts)
	if err != nil {
		return err
	}

	now := time.Now().UTC()
	dc := sim.DatasetConfig{
		Seed:                cfg.seed,
		Traces:              cfg.traces,
		LateFraction:        noneIfZero(cfg.lateFrac),
		LongRunningFraction: noneIfZero(cfg.longFrac),
	}
	dc.PlaceLive(now, cfg.backfill, cfg.rate)
	env := &sim.Env{
		Data:   sim.NewDataset(dc),
		Clock:  sim.NewLiveClock(now, cfg.speed),
		Creds:  sim.Credentials{APIKey: cfg.apiKey, Workspace: cfg.workspace, Project: cfg.project},
		Logger: newLogger(stderr, cfg.verbose),
	}
	defer func() { _ = env.Logger.Sync() }()

	if cfg.truthFile != "" {
		if err := writeTruth(ctx, cfg.truthFile, parts, env); err != nil {
			return err
		}
	}

	srv, err := sim.Start(parts, env, faults, cfg.listen)
	if err != nil {
		return err
	}
	for _, v := range srv.Vendors() {
		fmt.Fprintf(stdout, "%s %s\n", v, srv.URL(v))
	}
	if cfg.receiverFile != "" {
		blocks := map[string]any{}
		for _, p := range parts {
			blocks[p.Name()] = p.ReceiverConfig(srv.URL(p.Name()), env.Creds)
		}
		doc := map[string]any{"receivers": map[string]any{"llmtrace": blocks}}
		if err := writeJSONFile(cfg.receiverFile, "--receiver-config", doc); err != nil {
			_ = srv.Close()
			return err
		}
	}
	if cfg.readyFile != "" {
		if err := writeJSONFile(cfg.readyFile, "--ready-file", srv.URLs()); err != nil {
			_ = srv.Close()
			return err
		}
	}
	env.Logger.Info("serving",
		zap.Strings("vendors", srv.Vendors()),
		zap.Int("traces", dc.Traces),
		zap.Int("started_traces", env.Data.IndexAt(env.Clock.Now())),
		zap.Int("faults", len(faults.Rules())))

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownWait)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		env.Logger.Warn("shutdown", zap.Error(err))
	}
	return nil
}

func (cfg *config) validate() error {
	var errs []error
	if cfg.traces <= 0 {
		errs = append(errs, errors.New("--traces must be positive"))
	}
	if !(cfg.rate > 0) {
		errs = append(errs, errors.New("--rate must be positive"))
	}
	if cfg.backfill < 0 {
		errs = append(errs, errors.New("--backfill must not be negative"))
	}
	if !(cfg.speed > 0) {
		errs = append(errs, errors.New("--speed must be positive"))
	}
	for name, f := range map[string]float64{"--late-fraction": cfg.lateFrac, "--long-running-fraction": cfg.longFrac} {
		if !(f >= 0 && f <= 1) {
			errs = append(errs, fmt.Errorf("%s must be within [0, 1]", name))
		}
	}
	return errors.Join(errs...)
}

// noneIfZero maps a flag's 0 (none) to DatasetConfig's "none" (negative);
// DatasetConfig reads 0 as "default".
func noneIfZero(f float64) float64 {
	if f == 0 {
		return -1
	}
	return f
}

func selectParts(list string, all map[string]sim.Part) ([]sim.Part, error) {
	names := sortedNames(all)
	if strings.TrimSpace(list) != "" {
		names = nil
		for _, n := range strings.Split(list, ",") {
			n = strings.TrimSpace(n)
			if n == "" || slices.Contains(names, n) {
				continue
			}
			if _, ok := all[n]; !ok {
				return nil, fmt.Errorf("--vendors: unknown vendor %q (registered: %s)", n, strings.Join(sortedNames(all), ", "))
			}
			names = append(names, n)
		}
	}
	parts := make([]sim.Part, len(names))
	for i, n := range names {
		if got := all[n].Name(); got != n {
			return nil, fmt.Errorf("part registered as %q names itself %q", n, got)
		}
		parts[i] = all[n]
	}
	return parts, nil
}

func sortedNames(parts map[string]sim.Part) []string {
	names := make([]string, 0, len(parts))
	for n := range parts {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func newLogger(w io.Writer, verbose bool) *zap.Logger {
	level := zapcore.InfoLevel
	if verbose {
		level = zapcore.DebugLevel
	}
	enc := zap.NewDevelopmentEncoderConfig()
	core := zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), level)
	return zap.New(core)
}

// writeTruth writes the expected OTLP JSON of every trace, per vendor.
func writeTruth(ctx context.Context, name string, parts []sim.Part, env *sim.Env) error {
	var marshaler ptrace.JSONMarshaler
	perVendor := strings.Contains(name, "{vendor}")
	var out *os.File
	var w *bufio.Writer
	open := func(path string) error {
		f, err := os.Create(path)
		if err != nil {
			return fmt.Errorf("--truth: %w", err)
		}
		out, w = f, bufio.NewWriterSize(f, 1<<20)
		return nil
	}
	finish := func() error {
		if err := w.Flush(); err != nil {
			_ = out.Close()
			return fmt.Errorf("--truth: %w", err)
		}
		if err := out.Close(); err != nil {
			return fmt.Errorf("--truth: %w", err)
		}
		return nil
	}
	if !perVendor {
		if err := open(name); err != nil {
			return err
		}
	}
	start := time.Now()
	for _, p := range parts {
		if perVendor {
			if err := open(strings.ReplaceAll(name, "{vendor}", p.Name())); err != nil {
				return err
			}
		}
		truth := sim.TruthFor(p, env.Creds)
		for i := range env.Data.Len() {
			if i%1024 == 0 && ctx.Err() != nil {
				_ = out.Close()
				return ctx.Err()
			}
			b, err := marshaler.MarshalTraces(truth(env.Data.Trace(i)))
			if err != nil {
				_ = out.Close()
				return fmt.Errorf("--truth: trace %d: %w", i, err)
			}
			_, _ = w.Write(b)
			if err := w.WriteByte('\n'); err != nil {
				_ = out.Close()
				return fmt.Errorf("--truth: %w", err)
			}
		}
		if perVendor {
			if err := finish(); err != nil {
				return err
			}
		}
	}
	if !perVendor {
		if err := finish(); err != nil {
			return err
		}
	}
	env.Logger.Info("ground truth written", zap.String("file", name), zap.Int("traces", env.Data.Len()),
		zap.Duration("took", time.Since(start)))
	return nil
}

// writeJSONFile writes v as JSON (which is YAML too) atomically, so a
// reader never sees half a file; flag names the option in errors.
func writeJSONFile(path, flag string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".vendorsim-*")
	if err != nil {
		return fmt.Errorf("%s: %w", flag, err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		_ = tmp.Close()
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", flag, err)
	}
	if err := tmp.Close(); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", flag, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		_ = os.Remove(tmp.Name())
		return fmt.Errorf("%s: %w", flag, err)
	}
	return nil
}

// listenFlag is --listen vendor=host:port,...
type listenFlag map[string]string

func (l *listenFlag) String() string {
	if l == nil || len(*l) == 0 {
		return ""
	}
	var ps []string
	for k, v := range *l {
		ps = append(ps, k+"="+v)
	}
	slices.Sort(ps)
	return strings.Join(ps, ",")
}

func (l *listenFlag) Set(s string) error {
	if *l == nil {
		*l = listenFlag{}
	}
	for _, kv := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || k == "" || v == "" {
			return fmt.Errorf("%q is not vendor=host:port", kv)
		}
		(*l)[k] = v
	}
	return nil
}

// faultFlag collects --fault rules, parsed as they come.
type faultFlag []sim.Rule

func (f *faultFlag) String() string {
	if f == nil {
		return ""
	}
	s := make([]string, len(*f))
	for i, r := range *f {
		s[i] = r.String()
	}
	return strings.Join(s, " ")
}

func (f *faultFlag) Set(s string) error {
	r, err := sim.ParseRule(s)
	if err != nil {
		return err
	}
	*f = append(*f, r)
	return nil
}

// build checks that every rule names a served vendor and returns the set.
func (f faultFlag) build(parts []sim.Part) (*sim.Faults, error) {
	for _, r := range f {
		if r.Vendor == "" || r.Vendor == "*" {
			continue
		}
		if !slices.ContainsFunc(parts, func(p sim.Part) bool { return p.Name() == r.Vendor }) {
			return nil, fmt.Errorf("--fault %s: vendor %q is not served", r, r.Vendor)
		}
	}
	return sim.NewFaults(f...)
}
