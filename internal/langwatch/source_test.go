package langwatch

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/llmtrace/llmtrace/internal/langwatch/langwatchsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// everything is a query over the whole simulated history.
func (w *world) everything() poll.Query {
	return poll.Query{From: w.data.StartOf(0).Add(-time.Hour), To: w.clock.Now()}
}

func TestSourceReadsEverySpanOnce(t *testing.T) {
	for _, tc := range []struct {
		name   string
		part   *langwatchsim.Part
		size   int
		legacy bool
	}{
		{"successor", &langwatchsim.Part{}, 50, false},
		{"legacy", &langwatchsim.Part{LegacyOnly: true}, 50, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w := newWorld(t, sim.DatasetConfig{Seed: 7, Traces: 300, Interval: 2 * time.Second}, tc.part)
			src := w.source(func(c *Config) { c.PageSize = tc.size })
			traces, pages := query(t, src, w.everything())
			got := union(traces)
			diffs := sim.Compare(w.truth(w.data.Len()), got, sim.CompareOptions{TimePrecision: time.Millisecond, MaxDiffs: 20})
			assert.Empty(t, diffs, strings.Join(diffs, "\n"))
			assert.Zero(t, w.warns, "conversion warnings")
			t.Logf("%d pages, %d traces read, %d requests", pages, len(traces), w.srv.Requests(Name))
			if tc.legacy {
				assert.Equal(t, modeLegacy, src.mode)
			} else {
				assert.Equal(t, modeSearch, src.mode)
			}
		})
	}
}
