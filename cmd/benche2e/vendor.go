package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"time"

	"go.uber.org/zap"

	"github.com/llmtrace/llmtrace/internal/sim"
	"github.com/llmtrace/llmtrace/internal/simvendors"
)

// vendorResult is everything measured for one vendor.
type vendorResult struct {
	Vendor     string       `json:"vendor"`
	Package    string       `json:"package"`
	Conversion convFigures  `json:"conversion"`
	Sizes      []int        `json:"sizes"` // the sizes run, in spans asked for
	Runs       []*runResult `json:"runs"`
	Notes      []string     `json:"notes,omitempty"`
	Error      string       `json:"error,omitempty"`
}

// benchVendor runs the conversion benchmarks, then the backfills of every
// size (each --repeat times). The first run probes the pace: when the
// largest size would take longer than --max-run, every size is scaled down
// by one factor and the runs start again.
func benchVendor(ctx context.Context, o *options, vendor string, log io.Writer) *vendorResult {
	vr := &vendorResult{Vendor: vendor, Package: vendorPackages()[vendor]}
	logf := func(format string, a ...any) {
		_, _ = fmt.Fprintf(log, "%s %s: %s\n", time.Now().Format("15:04:05"), vendor, fmt.Sprintf(format, a...))
	}
	logf("conversion benchmarks of %s (%d runs)", vr.Package, o.benchCount)
	conv, err := conversionBench(ctx, o, vendor, vr.Package)
	if err != nil {
		vr.Error = err.Error()
		return vr
	}
	vr.Conversion = conv
	logf("%s %s; OTLP decode %s", conv.Benchmark, perSpanText(conv.NsPerSpan, conv.CPUNs), perSpanText(conv.OTLPNs, conv.OTLPCPUNs))

	perTrace := spansPerTrace(vendor, o.seed)
	sizes := append([]int(nil), o.sizes...)
	probing := o.maxRun > 0
	for i := 0; i < len(sizes); i++ {
		for rep := 0; rep < o.repeat; rep++ {
			spec := runSpec{vendor: vendor, target: sizes[i], traces: tracesFor(sizes[i], perTrace), opts: o}
			var pr probeResult
			if probing {
				probing = false
				spec.probe = probe(o, sizes, &pr)
			}
			logf("backfill of about %d spans (%d traces)", spec.target, spec.traces)
			res, err := backfill(ctx, spec)
			if errors.Is(err, errProbed) {
				note := fmt.Sprintf("The first %.0f s of the %d-span run emitted %d spans (%.0f/s): the %d-span run would take longer than --max-run %s; sizes scaled to %v",
					pr.elapsed.Seconds(), sizes[0], pr.emitted, float64(pr.emitted)/pr.elapsed.Seconds(), sizes[len(sizes)-1], o.maxRun, pr.sizes)
				vr.Notes = append(vr.Notes, note)
				logf("%s", note)
				sizes, i, rep = pr.sizes, -1, o.repeat
				continue
			}
			if res != nil && err == nil {
				vr.Runs = append(vr.Runs, res)
				logf("%s", res.summary())
			}
			if err != nil {
				vr.Error = fmt.Sprintf("%d spans: %v", spec.target, err)
				logf("failed: %v", err)
				vr.Sizes = sizes
				return vr
			}
			if rest, note := fitRest(sizes, i, float64(res.Emitted)/res.Wall, o.maxRun); note {
				vr.Notes = append(vr.Notes, fmt.Sprintf("At %.0f spans/s the larger sizes would take longer than --max-run %s: %v instead of %v", float64(res.Emitted)/res.Wall, o.maxRun, rest, sizes))
				sizes = rest
			}
		}
	}
	vr.Sizes = sizes
	return vr
}

// probeResult is what a probe saw and decided.
type probeResult struct {
	elapsed time.Duration
	emitted int
	sizes   []int // the scaled sizes
}

// probe decides once, probeAfter into the first run, whether the sizes fit
// --max-run at the pace so far; when they do not it stores the scaled sizes
// in pr and ends the run.
func probe(o *options, sizes []int, pr *probeResult) func(time.Duration, int) bool {
	decided := false
	return func(elapsed time.Duration, emitted int) bool {
		if decided || elapsed < o.probeAfter || emitted == 0 {
			return false
		}
		decided = true
		fit := fitSizes(sizes, float64(emitted)/elapsed.Seconds(), o.maxRun)
		if fit[0] >= sizes[0]*95/100 {
			return false
		}
		*pr = probeResult{elapsed: elapsed, emitted: emitted, sizes: fit}
		return true
	}
}

// fitSizes scales sizes (ascending, in spans) down by one factor so that
// the largest takes at most budget at rate spans per second; sizes that fit
// come back unchanged. Scaled sizes keep two significant digits.
func fitSizes(sizes []int, rate float64, budget time.Duration) []int {
	largest := float64(sizes[len(sizes)-1])
	if budget <= 0 || rate <= 0 || largest/rate <= budget.Seconds() {
		return sizes
	}
	f := budget.Seconds() * rate / largest
	out := make([]int, len(sizes))
	for i, s := range sizes {
		out[i] = roundSig(float64(s) * f)
	}
	return out
}

// fitRest caps the sizes after done at what budget allows at rate, once a
// run has shown the pace; it reports whether anything changed.
func fitRest(sizes []int, done int, rate float64, budget time.Duration) ([]int, bool) {
	if budget <= 0 || rate <= 0 || math.IsInf(rate, 0) {
		return sizes, false
	}
	out := append([]int(nil), sizes...)
	changed := false
	for j := done + 1; j < len(out); j++ {
		if float64(out[j])/rate > budget.Seconds() {
			out[j] = max(roundSig(budget.Seconds()*rate), out[done])
			changed = true
		}
	}
	return out, changed
}

// roundSig rounds to two significant digits, at least 100.
func roundSig(v float64) int {
	if v < 100 {
		return 100
	}
	p := math.Pow(10, math.Floor(math.Log10(v))-1)
	return int(math.Round(v/p) * p)
}

// tracesFor is the number of traces that make about spans spans.
func tracesFor(spans int, perTrace float64) int {
	return max(int(math.Round(float64(spans)/perTrace)), 1)
}

// spansPerTrace estimates the spans the vendor's ground truth has per trace
// from the first 1000 traces of the seed.
func spansPerTrace(vendor string, seed uint64) float64 {
	const n = 1000
	part := simvendors.Parts()[vendor]
	data := sim.NewDataset(sim.DatasetConfig{Seed: seed, Traces: n})
	creds := sim.Credentials{APIKey: "bench-" + vendor + "-key", Workspace: "bench-workspace", Project: "bench-" + vendor}
	part.Handler(&sim.Env{Data: data, Clock: sim.WallClock{}, Creds: creds, Logger: zap.NewNop()}) // parts learn the project here
	truth := sim.TruthFor(part, creds)
	spans := 0
	for i := range n {
		spans += truth(data.Trace(i)).SpanCount()
	}
	return max(float64(spans)/n, 0.01)
}

// summary is one line about a finished run.
func (r *runResult) summary() string {
	return fmt.Sprintf("%d of %d spans in %.1f s (%.0f spans/s), collector CPU %.1f s (%.1f µs/span), peak RSS %.0f MB, storage %.1f MB, %d requests (minimum %d); other load %.2f cores",
		r.Emitted, r.Spans, r.Wall, float64(r.Emitted)/r.Wall, r.CPU, 1e6*r.CPU/float64(max(r.Emitted, 1)),
		float64(r.PeakRSS)/1e6, float64(r.Storage)/1e6, r.Requests, total(r.Minimum), r.OtherCores)
}

func total(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}
