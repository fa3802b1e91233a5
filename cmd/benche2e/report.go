package main

import (
	"fmt"
	"maps"
	"runtime"
	"slices"
	"strings"
	"time"
)

// report renders the results as Markdown.
type report struct {
	opts    *options
	vendors []*vendorResult
	took    time.Duration
	args    []string
}

// row is one vendor and size: the medians of its runs.
type row struct {
	vendor               string
	target, traces       int
	spans, n             int
	spansPerSec          float64
	cpuPerSpan           float64 // ns
	conv                 float64 // ns, the conversion benchmark's
	rss                  float64 // bytes
	storage, restarted   float64 // bytes; restarted < 0: not measured
	disk, restartDisk    float64 // bytes the files take on disk
	req, min             float64 // per 1000 spans
	otherCores, load     float64
	wall                 float64
	requests, minimumAll float64
}

func (rep *report) rows(v *vendorResult) []row {
	var out []row
	for _, size := range v.Sizes {
		var runs []*runResult
		for _, r := range v.Runs {
			if r.Target == size {
				runs = append(runs, r)
			}
		}
		if len(runs) == 0 {
			continue
		}
		m := func(f func(r *runResult) float64) float64 {
			vs := make([]float64, len(runs))
			for i, r := range runs {
				vs[i] = f(r)
			}
			return median(vs)
		}
		per1000 := func(n float64, r *runResult) float64 { return 1000 * n / float64(max(r.Emitted, 1)) }
		out = append(out, row{
			vendor: v.Vendor, target: size, traces: runs[0].Traces, spans: runs[0].Spans, n: len(runs),
			spansPerSec: m(func(r *runResult) float64 { return float64(r.Emitted) / r.Wall }),
			cpuPerSpan:  m(func(r *runResult) float64 { return 1e9 * r.CPU / float64(max(r.Emitted, 1)) }),
			conv:        v.Conversion.perSpan(),
			rss:         m(func(r *runResult) float64 { return float64(r.PeakRSS) }),
			storage:     m(func(r *runResult) float64 { return float64(r.Storage) }),
			restarted:   m(func(r *runResult) float64 { return float64(r.Restarted) }),
			disk:        m(func(r *runResult) float64 { return float64(r.StorageDisk) }),
			restartDisk: m(func(r *runResult) float64 { return float64(r.RestartDisk) }),
			req:         m(func(r *runResult) float64 { return per1000(float64(r.Requests), r) }),
			min:         m(func(r *runResult) float64 { return per1000(float64(total(r.Minimum)), r) }),
			otherCores:  m(func(r *runResult) float64 { return r.OtherCores }),
			load:        m(func(r *runResult) float64 { return r.Load[1] }),
			wall:        m(func(r *runResult) float64 { return r.Wall }),
			requests:    m(func(r *runResult) float64 { return float64(r.Requests) }),
			minimumAll:  m(func(r *runResult) float64 { return float64(total(r.Minimum)) }),
		})
	}
	return out
}

func (rep *report) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, "# make bench-e2e\n\n`go run ./cmd/benche2e %s` on %d CPUs, %s, took %s.\n\n",
		strings.Join(rep.args, " "), runtime.NumCPU(), time.Now().Format("2006-01-02 15:04"), rep.took.Round(time.Second))
	b.WriteString("| Vendor | Spans (traces) | Spans/s | Collector CPU/span | Conversion/span | CPU ÷ conversion | Peak RSS | Storage at the end (on disk) | After restart (on disk) | Requests / 1000 spans | API minimum / 1000 spans | Requests ÷ minimum | Other load |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, v := range rep.vendors {
		for _, r := range rep.rows(v) {
			fmt.Fprintf(&b, "| %s | %s (%s) | %.0f | %.1f µs | %.1f µs | %.2f | %.0f MB | %s (%s) | %s (%s) | %.1f | %.1f | %.2f | %.2f cores |\n",
				r.vendor, count(r.spans), count(r.traces), r.spansPerSec, r.cpuPerSpan/1e3, r.conv/1e3, r.cpuPerSpan/r.conv,
				r.rss/1e6, mb(r.storage), mb(r.disk), mb(r.restarted), mb(r.restartDisk), r.req, r.min, r.req/r.min, r.otherCores)
		}
	}
	b.WriteString("\nRatios between the sizes (the issue's table): the larger run ÷ the smaller.\n\n")
	b.WriteString("| Vendor | Sizes | Size ratio | Peak RSS | Storage at the end | Storage after restart | CPU ÷ conversion (small, large) | Requests ÷ minimum (small, large) |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|\n")
	for _, v := range rep.vendors {
		rows := rep.rows(v)
		if len(rows) < 2 {
			continue
		}
		s, l := rows[0], rows[len(rows)-1]
		fmt.Fprintf(&b, "| %s | %s, %s | %.1f | %.2f | %.2f | %s | %.2f, %.2f | %.2f, %.2f |\n",
			v.Vendor, count(s.spans), count(l.spans), float64(l.spans)/float64(s.spans), l.rss/s.rss, l.storage/s.storage,
			ratio(l.restarted, s.restarted), s.cpuPerSpan/s.conv, l.cpuPerSpan/l.conv, s.req/s.min, l.req/l.min)
	}
	b.WriteString("\nCollector CPU: user + system time of the collector process (/proc) from the simulator's first request to the engine's " +
		"\"Backfill finished\" line; Conversion: the CPU time per span of the vendor's conversion benchmark in the same session " +
		"(the test process's user + system time, GC included, by difference between a short and a long run); Requests: the engine's count for the backfill query; Other load: CPU the rest of the machine used meanwhile " +
		"(the simulator not included), in cores.\n")
	rep.details(&b)
	return b.String()
}

// details lists per vendor the conversion benchmark, the API minimum's
// rule, the notes and errors.
func (rep *report) details(b *strings.Builder) {
	b.WriteString("\nPer vendor:\n\n")
	for _, v := range rep.vendors {
		c := v.Conversion
		fmt.Fprintf(b, "- **%s** (`%s`): %s %s; OTLP decode (BenchmarkOTLPJSONUnmarshal) %s (medians of %d).",
			v.Vendor, v.Package, c.Benchmark, perSpanText(c.NsPerSpan, c.CPUNs), perSpanText(c.OTLPNs, c.OTLPCPUNs), c.Runs)
		if len(v.Runs) > 0 {
			r := v.Runs[len(v.Runs)-1]
			keys := slices.Sorted(maps.Keys(r.Minimum))
			parts := make([]string, len(keys))
			for i, k := range keys {
				parts[i] = fmt.Sprintf("%s %d", k, r.Minimum[k])
			}
			fmt.Fprintf(b, " API minimum for %s spans: %s (%s); the receiver made %d requests.", count(r.Spans), strings.Join(parts, ", "), r.MinimumRule, r.Requests)
		}
		for _, n := range v.Notes {
			b.WriteString(" " + n + ".")
		}
		if v.Error != "" {
			b.WriteString(" **Failed:** " + v.Error)
		}
		b.WriteString("\n")
	}
}

// perSpanText is "12.3 µs/span wall, 11.0 µs/span CPU" (CPU when known).
func perSpanText(wall, cpu float64) string {
	s := fmt.Sprintf("%.1f µs/span wall", wall/1e3)
	if cpu > 0 {
		s += fmt.Sprintf(", %.1f µs/span CPU", cpu/1e3)
	}
	return s
}

func count(n int) string {
	switch {
	case n >= 1e6:
		return fmt.Sprintf("%.2fM", float64(n)/1e6)
	case n >= 1e4:
		return fmt.Sprintf("%.0fk", float64(n)/1e3)
	case n >= 1e3:
		return fmt.Sprintf("%.1fk", float64(n)/1e3)
	}
	return fmt.Sprint(n)
}

func mb(v float64) string {
	if v < 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f MB", v/1e6)
}

func ratio(a, b float64) string {
	if a < 0 || b <= 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.2f", a/b)
}
