package opik // import "github.com/llmtrace/llmtrace/internal/opik"

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/llmtrace/llmtrace/internal/opik/opiksim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's block key.
const Name = "opik"

// DefaultEndpoint is Opik on Comet's cloud.
const DefaultEndpoint = "https://www.comet.com/opik/api"

// MaxPageSize bounds page_size.
const MaxPageSize = 2000

// Config is the `opik` block: one Opik project. The API key is sent as
// `authorization` (no Bearer prefix) and is optional for self-hosted
// servers; service_name defaults to the project.
type Config struct {
	poll.Common `mapstructure:",squash"`
	// Workspace is sent as Comet-Workspace; required with an API key.
	Workspace string `mapstructure:"workspace"`
	// ProjectName or ProjectID selects the project (exactly one).
	ProjectName string `mapstructure:"project_name"`
	ProjectID   string `mapstructure:"project_id"`
	// PageSize is the number of items per request.
	PageSize int `mapstructure:"page_size"`
	// Filter is Opik's `filters` for the traces list: a JSON array of
	// {field, operator, key, value}, all of which a trace must pass
	// (Opik ANDs them). Empty reads every trace.
	Filter string `mapstructure:"filter"`
}

// NewDefaultConfig returns the defaults of the block.
func NewDefaultConfig() Config {
	return Config{Common: poll.NewCommon(DefaultEndpoint), PageSize: 500}
}

// SetDefaults resets the block to its defaults.
func (c *Config) SetDefaults() { *c = NewDefaultConfig() }

// Validate reports every problem of the block.
func (c *Config) Validate() error {
	errs := c.Check(false)
	if c.APIKey != "" && c.Workspace == "" {
		errs = append(errs, errors.New("workspace: required with api_key"))
	}
	switch {
	case c.ProjectName == "" && c.ProjectID == "":
		errs = append(errs, errors.New("project_name: project_name or project_id is required"))
	case c.ProjectName != "" && c.ProjectID != "":
		errs = append(errs, errors.New("project_id: set project_name or project_id, not both"))
	}
	if err := poll.CheckRange("page_size", c.PageSize, 1, MaxPageSize); err != nil {
		errs = append(errs, err)
	}
	if _, err := compactFilters(c.Filter); err != nil {
		errs = append(errs, fmt.Errorf("filter: %w", err))
	}
	return errors.Join(errs...)
}

// Scope is the project (ID or name).
func (c *Config) Scope() string {
	if c.ProjectID != "" {
		return c.ProjectID
	}
	return c.ProjectName
}

// Identity is the workspace, the project and the filter (compacted: the
// same filters written with other spacing select the same traces).
func (c *Config) Identity() []string {
	f, _ := compactFilters(c.Filter)
	return append([]string{c.Workspace, c.ProjectName, c.ProjectID}, poll.FilterIdentity(f)...)
}

// Paging is page_size: page tokens are page numbers.
func (c *Config) Paging() []string { return []string{strconv.Itoa(c.PageSize)} }

// Limits is none: Opik's limits are deployment configuration, answered
// with 429.
func (c *Config) Limits() poll.Limits { return poll.Limits{} }

// NewSource builds the Opik source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}

// Simulator is Opik's simulator part.
func (c *Config) Simulator() sim.Part { return &opiksim.Part{} }

// compactFilters checks an Opik filters parameter as far as Opik's own
// types go (FiltersFactory reads a JSON array of TraceFilter: field and
// operator strings, a required value, an optional key; a value may be a
// number or a boolean, which Opik reads as its text) and returns it
// compacted; "" for none. Field names and operators are left to Opik,
// whose lists grow: it refuses one it does not know with HTTP 400, which
// the source reports naming the key.
func compactFilters(s string) (string, error) {
	if strings.TrimSpace(s) == "" {
		return "", nil
	}
	var items []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(s), &items); err != nil {
		return "", fmt.Errorf(`not a JSON array of Opik filters such as [{"field":"tags","operator":"contains","value":"production"}]: %w`, err)
	}
	if len(items) == 0 {
		return "", errors.New("the array holds no filter; remove the key to read every trace")
	}
	for i, it := range items {
		for _, m := range []string{"field", "operator"} {
			var v string
			if json.Unmarshal(it[m], &v) != nil || v == "" {
				return "", fmt.Errorf("filter %d: %q must be a non-empty string", i+1, m)
			}
		}
		if k, ok := it["key"]; ok && !isJSON(k, '"', 'n') {
			return "", fmt.Errorf(`filter %d: "key" must be a string`, i+1)
		}
		v, ok := it["value"]
		if !ok || string(v) == "null" {
			return "", fmt.Errorf(`filter %d: "value" is required by Opik (use "" with is_empty and is_not_empty)`, i+1)
		}
		if isJSON(v, '{', '[') {
			return "", fmt.Errorf(`filter %d: "value" must be a string`, i+1)
		}
	}
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// isJSON reports whether a raw JSON value starts with one of the bytes.
func isJSON(raw json.RawMessage, first ...byte) bool {
	t := bytes.TrimSpace(raw)
	return len(t) > 0 && bytes.IndexByte(first, t[0]) >= 0
}
