package promptlayer // import "github.com/llmtrace/llmtrace/internal/promptlayer"

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/promptlayer/promptlayersim"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's block key.
const Name = "promptlayer"

// DefaultEndpoint is PromptLayer's cloud API.
const DefaultEndpoint = "https://api.promptlayer.com"

// MaxPageSize is the largest per_page the request-log search accepts.
const MaxPageSize = 25

// DefaultServiceName is the service.name of spans whose PromptLayer
// resource names no service (request logs without a trace).
const DefaultServiceName = "promptlayer"

// searchPath is the only rate-limited endpoint the receiver uses.
const searchPath = "/api/public/v2/requests/search"

// SearchLimit is PromptLayer's documented limit on request-log searches: 10
// per minute per API key. The client spaces searches 6.3 s apart rather than
// 6 s: the server's window and clock are not ours, and a request that
// arrives a few hundred milliseconds early must not be the eleventh of a
// minute.
var SearchLimit = poll.Rate{Requests: 10, Per: 63 * time.Second, Burst: 1}

// Config is the `promptlayer` block: the workspace an API key belongs to.
// The key is sent as X-API-KEY and alone selects the data, so the
// checkpoint is keyed by a hash of it. service_name, when set, replaces the
// service.name of every span; unset, spans keep their resource's, and spans
// without one get "promptlayer".
type Config struct {
	poll.Common `mapstructure:",squash"`
	// PageSize is the number of request logs per search (1..25).
	PageSize int `mapstructure:"page_size"`
	// Filter is a PromptLayer structured filter ({field, operator, value,
	// nested_key}) or filter group ({logic, filters}), added to the
	// search's time filter (both must hold). Empty reads every request
	// log.
	Filter map[string]any `mapstructure:"filter"`
}

// NewDefaultConfig returns the defaults of the block.
func NewDefaultConfig() Config {
	return Config{Common: poll.NewCommon(DefaultEndpoint), PageSize: MaxPageSize}
}

// SetDefaults resets the block to its defaults.
func (c *Config) SetDefaults() { *c = NewDefaultConfig() }

// Validate reports every problem of the block.
func (c *Config) Validate() error {
	errs := c.Check(true)
	if err := poll.CheckRange("page_size", c.PageSize, 1, MaxPageSize); err != nil {
		errs = append(errs, err)
	}
	if err := checkFilter(c.Filter, "", 0); err != nil {
		errs = append(errs, fmt.Errorf("filter: %w", err))
	}
	return errors.Join(errs...)
}

// maxFilterDepth bounds how deep filter groups nest.
const maxFilterDepth = 8

// checkFilter checks a filter against PromptLayer's types for it: a
// StructuredFilterGroup {logic: AND|OR, filters: [...]} of filters and
// groups, or a StructuredFilter with string field and operator and an
// optional string nested_key. Fields and operators are left to PromptLayer,
// whose lists grow: it refuses one it does not know, and the source
// reports that naming the key. at locates a nested filter in messages.
func checkFilter(f map[string]any, at string, depth int) error {
	if len(f) == 0 {
		if at == "" {
			return nil
		}
		return fmt.Errorf("%s: an empty filter", at)
	}
	prefix := at
	if prefix != "" {
		prefix += ": "
	}
	if items, ok := f["filters"]; ok {
		if l, ok := f["logic"]; ok && l != "AND" && l != "OR" {
			return fmt.Errorf(`%slogic must be "AND" or "OR"`, prefix)
		}
		list, ok := items.([]any)
		if !ok || len(list) == 0 || depth >= maxFilterDepth {
			return fmt.Errorf("%sfilters must be a non-empty list of filters (groups nest %d deep at most)", prefix, maxFilterDepth)
		}
		for i, it := range list {
			m, ok := it.(map[string]any)
			if !ok {
				return fmt.Errorf("%sfilters[%d] must be a filter {field, operator, value}", prefix, i)
			}
			child := fmt.Sprintf("filters[%d]", i)
			if at != "" {
				child = at + "." + child
			}
			if err := checkFilter(m, child, depth+1); err != nil {
				return err
			}
		}
		return nil
	}
	for _, k := range []string{"field", "operator"} {
		if s, ok := f[k].(string); !ok || s == "" {
			return fmt.Errorf(`%s%s must be a non-empty string (a filter is {field, operator, value, nested_key}, a group {logic, filters})`, prefix, k)
		}
	}
	if k, ok := f["nested_key"]; ok && k != nil {
		if _, ok := k.(string); !ok {
			return fmt.Errorf("%snested_key must be a string", prefix)
		}
	}
	return nil
}

// Scope is derived from the API key without revealing it: the key alone
// selects the workspace.
func (c *Config) Scope() string { return c.KeyScope() }

// Identity is the key's scope and the filter: another key, or another
// filter, is another checkpoint.
func (c *Config) Identity() []string {
	return append([]string{c.KeyScope()}, poll.FilterIdentity(filterText(c.Filter))...)
}

// filterText is the filter as JSON (keys sorted): what is sent, and the
// filter's part of the identity; "" for none.
func filterText(f map[string]any) string {
	if len(f) == 0 {
		return ""
	}
	b, err := json.Marshal(f)
	if err != nil {
		return ""
	}
	return string(b)
}

// Paging is page_size: page tokens are search page numbers of page_size
// request logs.
func (c *Config) Paging() []string { return []string{strconv.Itoa(c.PageSize)} }

// Limits limits only the request-log search (10 per minute); the
// request and trace reads document no limit.
func (c *Config) Limits() poll.Limits {
	return poll.Limits{Paths: map[string]poll.Rate{"POST " + searchPath: SearchLimit}}
}

// NewSource builds the PromptLayer source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}

// Simulator is PromptLayer's simulator part.
func (c *Config) Simulator() sim.Part { return &promptlayersim.Part{} }
