// Package langtrace polls Langtrace's POST /api/traces and converts its
// stringified spans to OpenTelemetry traces.
package langtrace // import "github.com/llmtrace/llmtrace/internal/langtrace"

import (
	"errors"
	"strconv"
	"strings"

	"github.com/llmtrace/llmtrace/internal/langtrace/langtracesim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's block key.
const Name = "langtrace"

// DefaultEndpoint is Langtrace Cloud.
const DefaultEndpoint = "https://app.langtrace.ai"

// MaxPageSize is the largest pageSize the Langtrace API accepts.
const MaxPageSize = 100

// Config is the `langtrace` block: one Langtrace project. The API key is
// the project-level key, sent as x-api-key; service_name defaults to the
// project ID.
type Config struct {
	poll.Common `mapstructure:",squash"`
	// ProjectID is the Langtrace project to poll.
	ProjectID string `mapstructure:"project_id"`
	// PageSize is the number of traces per request (1..100).
	PageSize int `mapstructure:"page_size"`
	// Filter is sent as Langtrace's `keyword`: only the spans whose
	// attributes or events contain it (case-insensitive) are read, so a
	// trace is emitted with its matching spans only. Empty reads
	// everything.
	Filter string `mapstructure:"filter"`
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
	if c.ProjectID == "" {
		errs = append(errs, errors.New("project_id: required"))
	}
	if err := poll.CheckRange("page_size", c.PageSize, 1, MaxPageSize); err != nil {
		errs = append(errs, err)
	}
	if strings.ContainsAny(c.Filter, `'\`) {
		// Langtrace writes the keyword into its ClickHouse query between
		// single quotes, escaping only % and _: a quote ends the string
		// (the query fails: HTTP 400 on every request), and a backslash
		// escapes the character after it, so the keyword would not match
		// what it says.
		errs = append(errs, errors.New(`filter: Langtrace's keyword cannot contain a single quote (') or a backslash (\)`))
	}
	return errors.Join(errs...)
}

// Scope is the project ID.
func (c *Config) Scope() string { return c.ProjectID }

// Identity is the project and the keyword, which Langtrace lowercases (a
// keyword that differs only in case selects the same spans).
func (c *Config) Identity() []string {
	return append([]string{c.ProjectID}, poll.FilterIdentity(strings.ToLower(c.Filter))...)
}

// Paging is page_size: page tokens are page numbers.
func (c *Config) Paging() []string { return []string{strconv.Itoa(c.PageSize)} }

// Limits is none: Langtrace documents no rate limit.
func (c *Config) Limits() poll.Limits { return poll.Limits{} }

// NewSource builds the Langtrace source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}

// Simulator is Langtrace's simulator part.
func (c *Config) Simulator() sim.Part { return &langtracesim.Part{} }
