package langsmithsim

import (
	"fmt"

	"github.com/llmtrace/llmtrace/internal/sim"
)

var _ sim.MinimumReader = (*Part)(nil)

// runsQueryMaxPage is the largest page_size of POST /api/v2/runs/query.
const runsQueryMaxPage = 1000

// MinimumRequests is the fewest requests to read data: POST
// /api/v2/runs/query lists a project's runs over a start-time window with
// every select (inputs, outputs, events, ...), up to 1000 a page, so every
// run of the data takes ceil(runs / 1000) requests, plus one GET
// /api/v1/sessions when the block names the project rather than giving its
// id. Reading trace by trace (the traces listed page_size a page, then GET
// /api/v2/traces/{id}/runs each) takes far more; the rule gives that count
// too.
func (p *Part) MinimumRequests(data *sim.Dataset, block map[string]any) sim.Minimum {
	runs := 0
	for i := range data.Len() {
		runs += len(data.Trace(i).Spans)
	}
	req := map[string]int{"POST " + runsQueryPath: sim.Pages(runs, runsQueryMaxPage)}
	lookup := 0
	if id, _ := block["project_id"].(string); id == "" {
		lookup = 1
		req["GET "+sessionsPath] = 1
	}
	size := min(sim.BlockInt(block, "page_size", 100), 100)
	perTrace := lookup + sim.Pages(data.Len(), size) + data.Len()
	return sim.Minimum{
		Requests: req,
		Rule: fmt.Sprintf("every run read once with every select by runs/query over the whole window, %d a page (the API's maximum), "+
			"after resolving the project name; listing the traces %d a page and reading each with GET /api/v2/traces/{id}/runs takes %d",
			runsQueryMaxPage, size, perTrace),
	}
}
