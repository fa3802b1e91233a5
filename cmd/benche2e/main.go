// Command benche2e measures backfills through the whole collector: for
// every registered vendor it serves about 100k and 1M complete spans from
// the vendor's simulator and lets the built otelcol-llmtrace distribution
// (file_storage as the examples configure it, the nop exporter) read them
// all, then reports spans per second, collector CPU per span next to the
// vendor's conversion-only benchmark run in the same session, peak RSS,
// the file_storage size (at the end, after a stop, after a restart that
// compacts) and requests per 1000 spans next to the API's minimum for the
// same data. `make bench-e2e` builds the distribution and runs it; see
// --help.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	llmtracereceiver "github.com/llmtrace/llmtrace"
	"github.com/llmtrace/llmtrace/internal/poll"
)

type options struct {
	root         string
	collector    string
	examples     string
	vendors      string
	sizes        sizesFlag
	maxRun       time.Duration
	probeAfter   time.Duration
	stall        time.Duration
	rate         float64
	pollInterval time.Duration
	seed         uint64
	benchCount   int
	benchTime    string
	repeat       int
	jsonOut      string
	workDir      string
	keep         bool
	// compaction is the example's file_storage compaction block.
	compaction map[string]any
}

const usage = `benche2e backfills every registered vendor's simulator through the built
otelcol-llmtrace distribution and reports what it cost. Run it from the module
root after make build (make bench-e2e does both).

Each run: a simulator serving N complete traces (about the asked number of
spans, traces started --rate per second, the newest one more than 13 minutes
old), a collector with file_storage (compaction as examples/jaeger.yaml
configures it), the nop exporter and the vendor's block from the simulator,
initial_lookback covering the dataset; measured from the simulator's first
request to the engine's "Backfill finished" log line. Then the collector is
stopped, and started again once to measure the storage after compaction on
start.

Usage: benche2e [flags]
`

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{sizes: sizesFlag{100000, 1000000}}
	fs := flag.NewFlagSet("benche2e", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.collector, "collector", "_build/otelcol-llmtrace", "the otelcol-llmtrace `binary` (make build)")
	fs.StringVar(&o.examples, "examples", "examples/jaeger.yaml", "example `config` whose file_storage compaction block the runs use")
	fs.StringVar(&o.vendors, "vendors", "", "comma-separated `list` of vendors (default: every registered vendor)")
	fs.Var(&o.sizes, "sizes", "backfill sizes in spans, comma-separated")
	fs.DurationVar(&o.maxRun, "max-run", 10*time.Minute, "the longest one backfill may take: when the first run of a vendor shows that its\nlargest size would take longer (a vendor read per trace or under a tight rate limit),\nevery size is scaled down by one factor; 0 never scales")
	fs.DurationVar(&o.probeAfter, "probe-after", 20*time.Second, "how long the first run of a vendor reads before its pace decides the sizes")
	fs.DurationVar(&o.stall, "stall", 3*time.Minute, "a run fails when the simulator gets no request for this long")
	fs.Float64Var(&o.rate, "rate", 2, "traces per second of the simulated history (1M spans is about a day at 2)")
	fs.DurationVar(&o.pollInterval, "poll-interval", 5*time.Minute, "the receiver's poll_interval: a backfill reads page after page without waiting for it;\nthe interval only keeps the next poll (a re-read of the overlap) out of the figures")
	fs.Uint64Var(&o.seed, "seed", 1, "dataset seed")
	fs.IntVar(&o.benchCount, "bench-count", 5, "measurements of each conversion benchmark, interleaved (medians are reported)")
	fs.StringVar(&o.benchTime, "bench-time", "2s", "how long the longer run of a conversion benchmark measurement lasts beyond the shorter")
	fs.IntVar(&o.repeat, "repeat", 1, "runs of each vendor and size (medians are reported)")
	fs.StringVar(&o.jsonOut, "json", "", "also write every figure of every run as JSON to this `file`")
	fs.StringVar(&o.workDir, "work", "", "`directory` for the runs' storage, configurations and logs (default: a temporary one)")
	fs.BoolVar(&o.keep, "keep", false, "keep the runs' directories (logs, configurations, storage)")
	fs.Usage = func() {
		_, _ = fmt.Fprint(stderr, usage+"\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if len(o.sizes) == 0 || o.rate <= 0 || o.repeat < 1 || o.benchCount < 1 || o.pollInterval <= 0 {
		return nil, errors.New("--sizes, --rate, --repeat, --bench-count and --poll-interval must be positive")
	}
	slices.Sort(o.sizes)
	return o, nil
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil {
		err = o.prepare()
	}
	if err != nil {
		_, _ = fmt.Fprintln(stderr, "benche2e: "+err.Error())
		return 2
	}
	if o.workDir == "" {
		if o.workDir, err = os.MkdirTemp("", "benche2e-"); err != nil {
			_, _ = fmt.Fprintln(stderr, "benche2e: "+err.Error())
			return 1
		}
		if !o.keep {
			defer func() { _ = os.RemoveAll(o.workDir) }()
		}
	}
	started := time.Now()
	var results []*vendorResult
	failed := false
	for _, v := range o.selected() {
		vr := benchVendor(ctx, o, v, stderr)
		results = append(results, vr)
		failed = failed || vr.Error != ""
		if ctx.Err() != nil {
			break
		}
	}
	rep := report{opts: o, vendors: results, took: time.Since(started), args: args}
	_, _ = io.WriteString(stdout, rep.markdown())
	if o.jsonOut != "" {
		if err := writeResults(o.jsonOut, results); err != nil {
			_, _ = fmt.Fprintln(stderr, "benche2e: "+err.Error())
			return 1
		}
	}
	if failed || ctx.Err() != nil {
		return 1
	}
	return 0
}

// prepare checks the paths and reads the example's compaction block.
func (o *options) prepare() error {
	var err error
	if o.root, err = os.Getwd(); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(o.root, "go.mod")); err != nil {
		return errors.New("run it from the module root (the conversion benchmarks run with go test there)")
	}
	if o.collector, err = filepath.Abs(o.collector); err != nil {
		return err
	}
	if _, err := os.Stat(o.collector); err != nil {
		return fmt.Errorf("--collector: %w (make build makes it)", err)
	}
	o.compaction, err = exampleCompaction(o.examples)
	if err != nil {
		return err
	}
	for _, v := range strings.Split(o.vendors, ",") {
		if v = strings.TrimSpace(v); v != "" && vendorPackages()[v] == "" {
			return fmt.Errorf("--vendors: %q is not registered (registered: %s)", v, strings.Join(slices.Sorted(maps.Keys(vendorPackages())), ", "))
		}
	}
	return nil
}

// vendorPackages maps every registered vendor (a block of the receiver's
// Config) to the Go package of its block, where its conversion benchmarks
// live.
func vendorPackages() map[string]string {
	pkgs := map[string]string{}
	for _, b := range poll.Blocks(&llmtracereceiver.Config{}) {
		pkgs[b.Name] = reflect.TypeOf(b.New()).Elem().PkgPath()
	}
	return pkgs
}

// selected lists the vendors to run, sorted.
func (o *options) selected() []string {
	all := slices.Sorted(maps.Keys(vendorPackages()))
	if strings.TrimSpace(o.vendors) == "" {
		return all
	}
	var out []string
	for _, v := range strings.Split(o.vendors, ",") {
		if v = strings.TrimSpace(v); v != "" && !slices.Contains(out, v) {
			out = append(out, v)
		}
	}
	slices.Sort(out)
	return out
}

func writeResults(path string, results []*vendorResult) error {
	b, err := json.MarshalIndent(results, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o600)
}

// sizesFlag is --sizes: spans, comma-separated (100000, 100k, 1M).
type sizesFlag []int

func (s *sizesFlag) String() string {
	if s == nil {
		return ""
	}
	parts := make([]string, len(*s))
	for i, n := range *s {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

func (s *sizesFlag) Set(v string) error {
	*s = nil
	for _, p := range strings.Split(v, ",") {
		p = strings.TrimSpace(strings.ToLower(p))
		mult := 1
		switch {
		case strings.HasSuffix(p, "k"):
			mult, p = 1000, strings.TrimSuffix(p, "k")
		case strings.HasSuffix(p, "m"):
			mult, p = 1000000, strings.TrimSuffix(p, "m")
		}
		n, err := strconv.ParseFloat(p, 64)
		if err != nil || n*float64(mult) < 1 {
			return fmt.Errorf("%q is not a number of spans", p)
		}
		*s = append(*s, int(n*float64(mult)))
	}
	return nil
}
