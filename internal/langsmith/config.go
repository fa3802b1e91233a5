package langsmith

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	"go.opentelemetry.io/collector/confmap"

	"github.com/llmtrace/llmtrace/internal/convert"
	"github.com/llmtrace/llmtrace/internal/langsmith/langsmithsim"
	"github.com/llmtrace/llmtrace/internal/poll"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Name is the vendor's block key.
const Name = "langsmith"

// DefaultEndpoint is LangSmith Cloud (US). The EU region is
// https://eu.api.smith.langchain.com; a self-hosted LangSmith is its base URL.
const DefaultEndpoint = "https://api.smith.langchain.com"

// MaxPageSize is the largest page_size LangSmith's v2 list endpoints accept.
const MaxPageSize = 100

// Discovery modes: how the traces of a window are found.
const (
	// DiscoveryTraces lists every trace (root run) with POST
	// /api/v2/traces/query.
	DiscoveryTraces = "traces"
	// DiscoveryThreads lists the threads active in the window with POST
	// /api/v2/threads/query and their traces with GET
	// /api/v2/threads/{thread_id}/traces: traces in no thread are not seen.
	DiscoveryThreads = "threads"
)

// Config is the `langsmith` block: one LangSmith tracing project. The API key
// is sent as x-api-key and the workspace as X-Tenant-Id; service_name
// defaults to the project (its name, else its id).
type Config struct {
	poll.Common `mapstructure:",squash"`
	// WorkspaceID is sent as X-Tenant-Id; org-scoped keys require it.
	WorkspaceID string `mapstructure:"workspace_id"`
	// ProjectName or ProjectID selects the tracing project (exactly one); a
	// name is resolved to the project's id once, at the first poll.
	ProjectName string `mapstructure:"project_name"`
	ProjectID   string `mapstructure:"project_id"`
	// Discovery is "traces" (every trace) or "threads" (threaded traces only).
	Discovery string `mapstructure:"discovery"`
	// PageSize is the number of traces or threads per list request (1..100).
	PageSize int `mapstructure:"page_size"`
	// Filter is a LangSmith filter expression on each trace's root run,
	// e.g. has(tags, "production"): traces/query's trace_filter; in threads
	// mode threads/query's trace_filter and each thread's traces' filter.
	// Empty reads every trace.
	Filter string `mapstructure:"filter"`
}

// NewDefaultConfig returns the defaults of the block.
func NewDefaultConfig() Config {
	return Config{Common: poll.NewCommon(DefaultEndpoint), Discovery: DiscoveryTraces, PageSize: MaxPageSize}
}

// SetDefaults resets the block to its defaults.
func (c *Config) SetDefaults() { *c = NewDefaultConfig() }

// Unmarshal applies the user's keys and then tolerates an endpoint given
// with LangSmith's API prefix (".../api" or ".../api/v1", as the SDKs'
// LANGSMITH_ENDPOINT often is): the receiver calls <endpoint>/api/v1/... and
// <endpoint>/api/v2/..., so the prefix is removed once, here, and every
// later use (requests, checkpoint identity) sees the server base.
func (c *Config) Unmarshal(conf *confmap.Conf) error {
	if err := conf.Unmarshal(c); err != nil {
		return err
	}
	c.ClientConfig.Endpoint = NormalizeEndpoint(c.ClientConfig.Endpoint)
	return nil
}

// NormalizeEndpoint strips trailing slashes and a trailing /api or /api/v1
// from a LangSmith endpoint.
func NormalizeEndpoint(endpoint string) string {
	e := strings.TrimRight(endpoint, "/")
	for _, suffix := range []string{"/api/v1", "/api"} {
		if strings.HasSuffix(e, suffix) && len(e) > len(suffix) && !strings.HasSuffix(e[:len(e)-len(suffix)], ":/") {
			return strings.TrimRight(e[:len(e)-len(suffix)], "/")
		}
	}
	return e
}

// Validate reports every problem of the block.
func (c *Config) Validate() error {
	errs := c.Check(true)
	if c.WorkspaceID != "" && !isUUID(c.WorkspaceID) {
		errs = append(errs, errors.New("workspace_id: must be a workspace UUID"))
	}
	switch {
	case c.ProjectName == "" && c.ProjectID == "":
		errs = append(errs, errors.New("project_name: project_name or project_id is required"))
	case c.ProjectName != "" && c.ProjectID != "":
		errs = append(errs, errors.New("project_id: set project_name or project_id, not both"))
	case c.ProjectID != "" && !isUUID(c.ProjectID):
		errs = append(errs, errors.New("project_id: must be the project's UUID (or set project_name)"))
	}
	if c.Discovery != DiscoveryTraces && c.Discovery != DiscoveryThreads {
		errs = append(errs, errors.New(`discovery: must be "traces" or "threads"`))
	}
	if err := poll.CheckRange("page_size", c.PageSize, 1, MaxPageSize); err != nil {
		errs = append(errs, err)
	}
	if err := checkFilterExpression(c.Filter); err != nil {
		errs = append(errs, fmt.Errorf("filter: %w", err))
	}
	return errors.Join(errs...)
}

// checkFilterExpression catches what makes a filter expression unreadable
// to any version of LangSmith: it must be a call (comparator(...)), with
// its quotes closed and its parentheses balanced. Comparators and fields
// are left to LangSmith, which refuses one it does not know; the source
// reports that naming the key.
func checkFilterExpression(expr string) error {
	e := strings.TrimSpace(expr)
	if e == "" {
		return nil
	}
	open := strings.IndexByte(e, '(')
	if open <= 0 || strings.TrimFunc(e[:open], isIdentRune) != "" || e[len(e)-1] != ')' {
		return errors.New(`must be a LangSmith filter expression such as has(tags, "production") or and(eq(metadata_key, "environment"), eq(metadata_value, "production"))`)
	}
	depth := 0
	var quote rune
	escaped := false
	for i, r := range e {
		switch {
		case escaped:
			escaped = false
		case quote != 0 && r == '\\':
			escaped = true
		case quote != 0:
			if r == quote {
				quote = 0
			}
		case r == '"' || r == '\'':
			quote = r
		case r == '(':
			depth++
		case r == ')':
			depth--
			if depth < 0 || (depth == 0 && i != len(e)-1) {
				return fmt.Errorf("unbalanced parentheses at character %d", i+1)
			}
		}
	}
	switch {
	case quote != 0:
		return errors.New("a string is not closed")
	case depth != 0:
		return errors.New("unbalanced parentheses")
	}
	return nil
}

func isIdentRune(r rune) bool { return r == '_' || unicode.IsLetter(r) || unicode.IsDigit(r) }

func isUUID(s string) bool {
	_, ok := convert.UUIDBytes(s)
	return ok
}

// Scope is the project (id or name).
func (c *Config) Scope() string {
	if c.ProjectID != "" {
		return c.ProjectID
	}
	return c.ProjectName
}

// Identity is the workspace, the project, the discovery mode (threads mode
// sees only threaded traces: switching modes starts over) and the filter.
func (c *Config) Identity() []string {
	return append([]string{c.WorkspaceID, c.ProjectName, c.ProjectID, c.Discovery}, poll.FilterIdentity(strings.TrimSpace(c.Filter))...)
}

// Paging is the discovery mode and page_size: page tokens are the cursors
// of the discovery list, of page_size items.
func (c *Config) Paging() []string { return []string{c.Discovery, strconv.Itoa(c.PageSize)} }

// Documented limits of LangSmith Cloud, per API key: 1000 requests per 10 s
// for any request with x-api-key (the default bucket), 300 per 10 s for POST
// /api/v2/runs/query (docs.langchain.com, "API rate limits" and the SmithDB
// migration guide).
const (
	defaultBucketRequests = 1000
	runsQueryRequests     = 300
	limitPeriod           = 10 * time.Second
)

// Limits are LangSmith Cloud's documented per-key limits.
func (c *Config) Limits() poll.Limits {
	return poll.Limits{
		Rate: poll.Rate{Requests: defaultBucketRequests, Per: limitPeriod, Burst: 20},
		Paths: map[string]poll.Rate{
			"POST " + runsQueryPath: {Requests: runsQueryRequests, Per: limitPeriod, Burst: 5},
		},
	}
}

// NewSource builds the LangSmith source.
func (c *Config) NewSource(s poll.SourceSettings) (poll.Source, error) {
	return newSource(c, s), nil
}

// Simulator is LangSmith's simulator part.
func (c *Config) Simulator() sim.Part { return &langsmithsim.Part{} }
