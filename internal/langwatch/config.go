package langwatch

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strconv"

	"github.com/llmtrace/llmtrace/internal/langwatch/langwatchsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's block key.
const Name = "langwatch"

// DefaultEndpoint is LangWatch Cloud; self-hosted servers listen on
// http://localhost:5560 by default.
const DefaultEndpoint = "https://app.langwatch.ai"

// MaxPageSize is the largest pageSize LangWatch honours (larger ones are
// silently clamped to it, which would break its scroll cursors).
const MaxPageSize = 1000

// Config is the `langwatch` block: one LangWatch project. The API key is
// the project's key (sk-lw-...), sent as X-Auth-Token; it selects the
// project. project_id is optional: it is sent as X-Project-Id and names
// the checkpoint; without it the checkpoint scope is derived from the key.
type Config struct {
	poll.Common `mapstructure:",squash"`
	// ProjectID is the LangWatch project; optional with a project key.
	ProjectID string `mapstructure:"project_id"`
	// PageSize is the number of traces per request (1..1000).
	PageSize int `mapstructure:"page_size"`
	// Filter is LangWatch's `filters` record, sent with every search:
	// filter field -> list of values, or -> key -> list of values (or one
	// level of keys deeper), e.g. {"metadata.labels": ["production"]}.
	// Empty reads every trace.
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
	if _, err := normalizeFilters(c.Filter); err != nil {
		errs = append(errs, fmt.Errorf("filter: %w", err))
	}
	return errors.Join(errs...)
}

// Scope is the project ID, or a short hash of the API key when no project
// is configured (the key alone selects the project).
func (c *Config) Scope() string {
	if c.ProjectID != "" {
		return c.ProjectID
	}
	return c.KeyScope()
}

// Identity is the project and the filter; without a project the scope (the
// key's hash) already tells projects apart.
func (c *Config) Identity() []string {
	return append([]string{c.ProjectID}, poll.FilterIdentity(filtersText(c.Filter))...)
}

// Paging is page_size: LangWatch's scroll cursors carry the page size and are ignored by
// the server when it differs.
func (c *Config) Paging() []string { return []string{strconv.Itoa(c.PageSize)} }

// Limits is none: LangWatch documents no rate limit for its trace read API.
func (c *Config) Limits() poll.Limits { return poll.Limits{} }

// NewSource builds the LangWatch source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}

// Simulator is LangWatch's simulator part.
func (c *Config) Simulator() sim.Part { return &langwatchsim.Part{} }

// normalizeFilters checks a filter against LangWatch's type for filters
// (a record of filter field -> string[] | {key: string[]} | {key: {subkey:
// string[]}}) and returns it with every value a string: YAML reads
// `[true]` or `[3]` as a boolean or a number, which LangWatch wants as
// "true" and "3". Field names are left to LangWatch, whose list grows: it
// refuses one it does not know, and the source reports that naming the
// key. nil for no filter.
func normalizeFilters(m map[string]any) (map[string]any, error) {
	if len(m) == 0 {
		return nil, nil
	}
	out := make(map[string]any, len(m))
	for _, field := range slices.Sorted(maps.Keys(m)) {
		if field == "" {
			return nil, errors.New("a filter field name is empty")
		}
		v, err := filterValue(m[field], 2)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", field, err)
		}
		out[field] = v
	}
	return out, nil
}

// filterValue normalizes a list of values, or a map of keys to them with
// depth levels of keys at most.
func filterValue(v any, depth int) (any, error) {
	switch x := v.(type) {
	case []any:
		values := make([]string, 0, len(x))
		for _, e := range x {
			switch e.(type) {
			case string, bool, int, int64, uint64, float64:
				values = append(values, fmt.Sprint(e))
			default:
				return nil, errors.New("values must be strings (or numbers, booleans)")
			}
		}
		return values, nil
	case []string:
		return x, nil
	case map[string]any:
		if depth == 0 {
			return nil, errors.New("keys nest two levels at most (field: {key: {subkey: [values]}})")
		}
		out := make(map[string]any, len(x))
		for _, k := range slices.Sorted(maps.Keys(x)) {
			sub, err := filterValue(x[k], depth-1)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", k, err)
			}
			out[k] = sub
		}
		return out, nil
	}
	return nil, fmt.Errorf("must be a list of values (e.g. [production]) or a map of keys to lists (e.g. {environment: [production]}), not %T", v)
}

// filtersText is the normalized filter as JSON (keys sorted): what is sent,
// and the filter's part of the identity. "" for none (or an invalid one,
// which Validate refuses).
func filtersText(m map[string]any) string {
	n, err := normalizeFilters(m)
	if err != nil || n == nil {
		return ""
	}
	b, err := json.Marshal(n)
	if err != nil {
		return ""
	}
	return string(b)
}
