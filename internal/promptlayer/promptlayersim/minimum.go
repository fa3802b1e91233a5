package promptlayersim

import (
	"strconv"

	"github.com/llmtrace/llmtrace/internal/sim"
)

var _ sim.MinimumReader = (*Part)(nil)

// MinimumRequests is the fewest requests to read data. PromptLayer's only
// listing is the request-log search (per_page at most 25, with the total); a
// search item is a summary, so each request log is read once with GET
// /api/public/v2/requests/{id}, and each traced trace once, complete, with
// GET /api/public/v2/traces/{trace_id} (a trace's spans come only from
// there). Traces without an LLM call have no request log and cannot be found
// (the ground truth leaves them out).
func (p *Part) MinimumRequests(data *sim.Dataset, block map[string]any) sim.Minimum {
	size := min(sim.BlockInt(block, "page_size", maxPerPage), maxPerPage)
	c := p.Census(data)
	return sim.Minimum{
		Requests: map[string]int{
			"POST " + searchPath:                sim.Pages(c.RequestLogs, size),
			"GET " + requestPrefix + "{id}":     c.RequestLogs,
			"GET " + tracePrefix + "{trace_id}": c.Traces,
		},
		Rule: "every request log searched once (" + strconv.Itoa(size) + " a page) and read once, every traced trace read once when complete",
	}
}
