package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

// The conversion-only benchmarks every vendor package has: its conversion
// of a page (BenchmarkConvert; Langtrace's was BenchmarkConvertPage before
// the names were made uniform) and the OTLP JSON decoder on the same spans.
const (
	benchConvert     = "BenchmarkConvert"
	benchConvertPage = "BenchmarkConvertPage"
	benchOTLP        = "BenchmarkOTLPJSONUnmarshal"
)

// convFigures are a vendor's conversion benchmarks, per span, medians over
// the runs: the wall time the benchmark reports (ns/span), and the
// process's CPU time (user + system, GC included, as the collector's is
// measured) by difference between two runs of different lengths, which
// leaves out the set-up and is little changed by other load on the machine.
type convFigures struct {
	Benchmark string  `json:"benchmark"`
	NsPerSpan float64 `json:"ns_per_span"`
	CPUNs     float64 `json:"cpu_ns_per_span"`
	OTLPNs    float64 `json:"otlp_ns_per_span"`
	OTLPCPUNs float64 `json:"otlp_cpu_ns_per_span"`
	Runs      int     `json:"runs"`
}

// perSpan is the conversion's cost per span for the CPU ratio.
func (c convFigures) perSpan() float64 { return c.CPUNs }

// conversionBench compiles a vendor package's tests and measures its
// conversion benchmark and the OTLP decoder count times each, interleaved.
func conversionBench(ctx context.Context, o *options, vendor, pkg string) (convFigures, error) {
	bin := filepath.Join(o.workDir, vendor+".test")
	if out, err := exec.CommandContext(ctx, "go", "test", "-c", "-o", bin, pkg).CombinedOutput(); err != nil { // #nosec G204 -- a package of this module
		return convFigures{}, fmt.Errorf("go test -c %s: %w\n%s", pkg, err, out)
	}
	dirOut, err := exec.CommandContext(ctx, "go", "list", "-f", "{{.Dir}}", pkg).Output() // #nosec G204 -- a package of this module
	if err != nil {
		return convFigures{}, fmt.Errorf("go list %s: %w", pkg, err)
	}
	b := benchBinary{path: bin, dir: strings.TrimSpace(string(dirOut))}
	names, err := b.list(ctx)
	if err != nil {
		return convFigures{}, err
	}
	conv := benchConvert
	if !slices.Contains(names, conv) {
		conv = benchConvertPage
	}
	if !slices.Contains(names, conv) || !slices.Contains(names, benchOTLP) {
		return convFigures{}, fmt.Errorf("%s has no %s and %s (it has %v)", pkg, benchConvert, benchOTLP, names)
	}
	var cw, cc, ow, oc []float64
	for range o.benchCount {
		for _, m := range []struct {
			name      string
			wall, cpu *[]float64
		}{{conv, &cw, &cc}, {benchOTLP, &ow, &oc}} {
			wall, cpu, err := b.perSpan(ctx, m.name, o.benchTime)
			if err != nil {
				return convFigures{}, err
			}
			*m.wall, *m.cpu = append(*m.wall, wall), append(*m.cpu, cpu)
		}
	}
	return convFigures{Benchmark: conv, NsPerSpan: median(cw), CPUNs: median(cc), OTLPNs: median(ow), OTLPCPUNs: median(oc), Runs: len(cw)}, nil
}

// benchBinary is a compiled test binary and its package directory (tests
// read testdata from there).
type benchBinary struct{ path, dir string }

// run runs one benchmark for n iterations and returns its output and the
// process's CPU time.
func (b benchBinary) run(ctx context.Context, name string, n int) (map[string]float64, time.Duration, error) {
	cmd := exec.CommandContext(ctx, b.path, "-test.run", "^$", "-test.bench", "^"+name+"$", // #nosec G204 -- the test binary built above
		"-test.benchtime", strconv.Itoa(n)+"x", "-test.count", "1")
	cmd.Dir = b.dir
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return nil, 0, fmt.Errorf("%s -test.bench %s: %w\n%s", filepath.Base(b.path), name, err, out.String())
	}
	runs := parseBench(&out)[name]
	if len(runs["ns/op"]) == 0 || len(runs["ns/span"]) == 0 {
		return nil, 0, fmt.Errorf("%s reports no ns/op and ns/span:\n%s", name, out.String())
	}
	vals := map[string]float64{}
	for unit, vs := range runs {
		vals[unit] = vs[len(vs)-1]
	}
	ps := cmd.ProcessState
	return vals, ps.UserTime() + ps.SystemTime(), nil
}

// perSpan measures one benchmark: a short run shows the time per
// iteration; a run of 30 more iterations and of enough for about
// benchtime more gives the CPU per span by difference (the set-up is the
// same in both).
func (b benchBinary) perSpan(ctx context.Context, name, benchtime string) (wallNs, cpuNs float64, err error) {
	d, err := time.ParseDuration(benchtime)
	if err != nil {
		return 0, 0, err
	}
	const lo = 10
	short, cpuShort, err := b.run(ctx, name, lo)
	if err != nil {
		return 0, 0, err
	}
	extra := max(int(float64(d)/short["ns/op"]), 30)
	long, cpuLong, err := b.run(ctx, name, lo+extra)
	if err != nil {
		return 0, 0, err
	}
	spans := long["ns/op"] / long["ns/span"] // spans per iteration
	return long["ns/span"], float64(cpuLong-cpuShort) / float64(extra) / spans, nil
}

// list names the package's benchmarks.
func (b benchBinary) list(ctx context.Context) ([]string, error) {
	cmd := exec.CommandContext(ctx, b.path, "-test.list", "^Benchmark") // #nosec G204 -- the test binary built above
	cmd.Dir = b.dir
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("%s -test.list: %w", filepath.Base(b.path), err)
	}
	return strings.Fields(string(out)), nil
}

// parseBench reads `go test -bench` output: for each benchmark (without
// its GOMAXPROCS suffix) the values of every unit over its runs.
func parseBench(r io.Reader) map[string]map[string][]float64 {
	runs := map[string]map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i]
		}
		if runs[name] == nil {
			runs[name] = map[string][]float64{}
		}
		for i := 2; i+1 < len(f); i += 2 {
			if v, err := strconv.ParseFloat(f[i], 64); err == nil {
				runs[name][f[i+1]] = append(runs[name][f[i+1]], v)
			}
		}
	}
	return runs
}

// median of vs; 0 for none.
func median(vs []float64) float64 {
	if len(vs) == 0 {
		return 0
	}
	s := slices.Sorted(slices.Values(vs))
	if n := len(s); n%2 == 0 {
		return (s[n/2-1] + s[n/2]) / 2
	}
	return s[len(s)/2]
}
