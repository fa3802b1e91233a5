package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os/exec"
	"slices"
	"strconv"
	"strings"
)

// The conversion-only benchmarks every vendor package has: its conversion
// of a page (BenchmarkConvert; Langtrace's was BenchmarkConvertPage before
// the names were made uniform) and the OTLP JSON decoder on the same spans.
const (
	benchConvert     = "BenchmarkConvert"
	benchConvertPage = "BenchmarkConvertPage"
	benchOTLP        = "BenchmarkOTLPJSONUnmarshal"
	benchPattern     = "^(" + benchConvert + "|" + benchConvertPage + "|" + benchOTLP + ")$"
)

// convFigures are the medians of a vendor's conversion benchmarks, per
// span: wall time, and process CPU time where the benchmark reports it
// (cpu-ns/span, GC included).
type convFigures struct {
	Benchmark string  `json:"benchmark"`
	NsPerSpan float64 `json:"ns_per_span"`
	CPUPerNs  float64 `json:"cpu_ns_per_span,omitempty"`
	OTLPNs    float64 `json:"otlp_ns_per_span"`
	OTLPCPUNs float64 `json:"otlp_cpu_ns_per_span,omitempty"`
	Runs      int     `json:"runs"`
}

// perSpan is the conversion's cost per span for the CPU ratio: CPU time
// when the benchmark reports it, else wall time (the benchmark runs on one
// goroutine).
func (c convFigures) perSpan() float64 {
	if c.CPUPerNs > 0 {
		return c.CPUPerNs
	}
	return c.NsPerSpan
}

// kind says which per-span figure perSpan is.
func (c convFigures) kind() string {
	if c.CPUPerNs > 0 {
		return "CPU"
	}
	return "wall"
}

// conversionBench runs a vendor package's conversion benchmarks count times
// (go test in the module root) and returns their medians.
func conversionBench(ctx context.Context, root, pkg string, count int, benchtime string) (convFigures, error) {
	args := []string{"test", "-run", "^$", "-bench", benchPattern, "-benchmem",
		"-count", strconv.Itoa(count), "-benchtime", benchtime, pkg}
	cmd := exec.CommandContext(ctx, "go", args...) // #nosec G204 -- go test of a package of this module
	cmd.Dir = root
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return convFigures{}, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out.String())
	}
	return parseBench(&out)
}

// parseBench reads `go test -bench` output: for each benchmark the values
// of every unit over its runs, then the medians.
func parseBench(r io.Reader) (convFigures, error) {
	runs := map[string]map[string][]float64{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
			continue
		}
		name := f[0]
		if i := strings.LastIndexByte(name, '-'); i > 0 {
			name = name[:i] // the GOMAXPROCS suffix
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
	conv := benchConvert
	if runs[conv] == nil {
		conv = benchConvertPage
	}
	c, o := runs[conv], runs[benchOTLP]
	if len(c["ns/span"]) == 0 || len(o["ns/span"]) == 0 {
		return convFigures{}, fmt.Errorf("no ns/span from %s and %s (found %v)", benchConvert, benchOTLP, slices.Sorted(maps.Keys(runs)))
	}
	return convFigures{
		Benchmark: conv,
		NsPerSpan: median(c["ns/span"]), CPUPerNs: median(c["cpu-ns/span"]),
		OTLPNs: median(o["ns/span"]), OTLPCPUNs: median(o["cpu-ns/span"]),
		Runs: len(c["ns/span"]),
	}, sc.Err()
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
