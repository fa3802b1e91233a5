package langtracesim

import (
	"strconv"

	"github.com/llmtrace/llmtrace/internal/sim"
)

var _ sim.MinimumReader = (*Part)(nil)

// MinimumRequests is the fewest requests to read data. Langtrace has one
// read route, POST /api/traces, which lists the project's traces (each with
// all its spans) newest first, pageSize traces a page (at most 100), and
// says how many pages there are (total_pages): reading every trace takes
// ceil(traces / pageSize) pages. It has no time filter, so a backfill cannot
// skip traces older than it needs, but here every trace is wanted.
func (p *Part) MinimumRequests(data *sim.Dataset, block map[string]any) sim.Minimum {
	size := min(sim.BlockInt(block, "page_size", maxPageSize), maxPageSize)
	return sim.Minimum{
		Requests: map[string]int{"POST " + tracesPath: sim.Pages(data.Len(), size)},
		Rule:     "every trace listed once with its spans, " + strconv.Itoa(size) + " traces a page",
	}
}
