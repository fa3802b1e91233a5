// Package benchspan measures a benchmark's timed loop per span, so that a
// vendor's conversion and the OTLP JSON decoder compare whatever their page
// sizes. It is imported by the vendors' benchmarks only.
package benchspan

import (
	"runtime"
	"syscall"
	"testing"
	"time"
)

// Meter holds the process's CPU time and heap allocation count at the start
// of a timed loop.
type Meter struct {
	cpu    time.Duration
	allocs uint64
}

// Start starts measuring; call it right before the b.Loop loop.
func Start() Meter {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return Meter{cpu: cpuTime(), allocs: ms.Mallocs}
}

// Report reports, for a loop that converted spans spans per iteration:
// spans/op, wall time (ns/span), the process's CPU time (cpu-ns/span: on a
// shared machine the wall clock also counts the time other processes hold
// the CPU, the CPU time only this process's work, its GC included) and heap
// allocations (allocs/span). Call it right after the loop.
func (m Meter) Report(b *testing.B, spans int) {
	cpu := cpuTime() - m.cpu
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	if spans == 0 || b.N == 0 {
		b.Fatal("benchspan: no spans")
	}
	n := float64(b.N) * float64(spans)
	b.ReportMetric(float64(spans), "spans/op")
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/n, "ns/span")
	b.ReportMetric(float64(cpu.Nanoseconds())/n, "cpu-ns/span")
	b.ReportMetric(float64(ms.Mallocs-m.allocs)/n, "allocs/span")
}

// cpuTime is the process's user and system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
