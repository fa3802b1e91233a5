package langwatchsim

import (
	"strconv"

	"github.com/llmtrace/llmtrace/internal/sim"
)

var _ sim.MinimumReader = (*Part)(nil)

// maxPageSize is where the search clamps pageSize.
const maxPageSize = 1000

// MinimumRequests is the fewest requests to read data: POST
// /api/traces/search with includeSpans answers whole traces, each with all
// its spans (evaluations included), pageSize traces a page (clamped to
// 1000), with totalHits: reading every trace takes ceil(traces / pageSize)
// searches. A client that stops on totalHits needs no empty last page.
func (p *Part) MinimumRequests(data *sim.Dataset, block map[string]any) sim.Minimum {
	size := min(sim.BlockInt(block, "page_size", maxPageSize), maxPageSize)
	return sim.Minimum{
		Requests: map[string]int{"POST " + searchPath: sim.Pages(data.Len(), size)},
		Rule:     "every trace searched once with its spans (includeSpans), " + strconv.Itoa(size) + " traces a page",
	}
}
