// Package langwatch polls LangWatch's trace search API and converts every
// LangWatch span into an OpenTelemetry span following the GenAI semantic
// conventions.
//
// # Reading
//
// Modern servers are read with POST /api/traces/search, windowed by the
// traces' update time (dateField "updated") with every trace's spans
// (includeSpans), so a trace that changes later (late spans, evaluation
// results) is read again and only its new spans are emitted. Older
// self-hosted servers, which answer that path with 404 or lack its
// incremental fields, are read with the deprecated POST /api/trace/search
// and one GET /api/trace/{id} per trace. See source.go and legacy.go.
//
// # Conversion
//
// A LangWatch trace is a tree of spans: each LangWatch span becomes one
// OTel span with its own IDs (32/16 hex digits as they are; legacy nanoids
// hashed), its attributes recovered from params (every original attribute,
// un-flattened by LangWatch), and its typed fields (type, input, output,
// metrics, error, first token) mapped to the GenAI conventions. The
// trace-level fields go on the root spans, and each finished evaluation
// becomes a span of its own. The README has the full table.
package langwatch // import "github.com/llmtrace/llmtrace/internal/langwatch"
