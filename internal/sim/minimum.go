package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"math"
	"strconv"
)

// MinimumReader is implemented by parts that state the least their vendor's
// API needs to read a dataset: the fewest requests, by endpoint, that fetch
// every trace and span of it in full, once all of them are complete (a
// backfill), following the API's documented rules (page limits, what an
// answer holds, which endpoints batch), at the page size of a receiver
// block. The end-to-end backfill benchmark (cmd/benche2e) puts the
// receiver's requests next to it; every registered part implements it.
type MinimumReader interface {
	// MinimumRequests is the minimum for every trace of data, with block
	// (the part's ReceiverConfig, possibly changed) choosing the page size.
	MinimumRequests(data *Dataset, block map[string]any) Minimum
}

// Minimum is the fewest requests a vendor's API needs for some data.
type Minimum struct {
	// Requests counts them by endpoint: "METHOD /path" as the vendor
	// documents it, path parameters as {name}.
	Requests map[string]int
	// Rule says how they are counted, in a sentence or two.
	Rule string
}

// Total is the number of requests over every endpoint.
func (m Minimum) Total() int {
	n := 0
	for _, r := range m.Requests {
		n += r
	}
	return n
}

// Pages is how many pages of size items a list of n items takes: at least
// one, since a client has to ask once to learn that there is nothing. A size
// below one counts as one.
func Pages(n, size int) int {
	size = max(size, 1)
	return max((n+size-1)/size, 1)
}

// BlockInt reads the integer key of a receiver block (as ReceiverConfig
// returns it, or as it comes back from JSON or YAML), def when the key is
// absent or not a whole number.
func BlockInt(block map[string]any, key string, def int) int {
	switch v := block[key].(type) {
	case int:
		return v
	case int64:
		return int(v)
	case float64:
		if v == math.Trunc(v) && math.Abs(v) < 1<<53 {
			return int(v)
		}
	case string:
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}
