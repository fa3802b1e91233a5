package opiksim

import (
	"strconv"

	"github.com/llmtrace/llmtrace/internal/sim"
)

var _ sim.MinimumReader = (*Part)(nil)

// blockPageSize is the opik block's default page_size (opik.NewDefaultConfig).
const blockPageSize = 500

// MinimumRequests is the fewest requests to read data. An Opik trace is a
// record of GET /v1/private/traces and each of its other spans one of GET
// /v1/private/spans; both list a whole project's window in pages of size
// records with the total count, so the minimum is ceil(traces / size) +
// ceil(spans / size), the root of each dataset trace being the Opik trace
// and not a span.
func (p *Part) MinimumRequests(data *sim.Dataset, block map[string]any) sim.Minimum {
	size := sim.BlockInt(block, "page_size", blockPageSize)
	spans := 0
	for i := range data.Len() {
		spans += len(data.Trace(i).Spans) - 1
	}
	return sim.Minimum{
		Requests: map[string]int{
			"GET " + tracesPath: sim.Pages(data.Len(), size),
			"GET " + spansPath:  sim.Pages(spans, size),
		},
		Rule: "every trace and every span listed once over the whole window, " + strconv.Itoa(size) + " a page",
	}
}
