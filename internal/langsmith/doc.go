// Package langsmith polls one LangSmith tracing project through the v2
// ("SmithDB") read API and rebuilds each trace's runs as OpenTelemetry spans
// following the GenAI semantic conventions.
//
// # Reading
//
// A query is a window of root-run start times. Its pages are the pages of
// the discovery list: POST /api/v2/traces/query (discovery: traces, every
// trace) or POST /api/v2/threads/query and, per thread, the seed endpoint GET
// /api/v2/threads/{thread_id}/traces (discovery: threads, threaded traces
// only). The runs of each listed trace come from GET
// /api/v2/traces/{trace_id}/runs with a repeated selects for every field the
// conversion uses and both start-time bounds. A census of the window's runs
// (POST /api/v2/runs/query, ids and end states only) at the start of each
// query lets unchanged traces be answered from a cache (census.go).
// Requests carry x-api-key and, with workspace_id, X-Tenant-Id; project_name
// is resolved once with GET /api/v1/sessions?name=.
//
// # Conversion
//
// One span per run; conversion never fails and never drops a run; what it
// cannot map is counted as a conversion warning. Trace id: the trace UUID's
// 16 bytes. Span id: metadata OTEL_SPAN_ID when present, else the run UUID's
// last 8 bytes (for OTel-ingested runs, 8 zero bytes and the span id, that
// is the original span id). Parent: the last of parent_run_ids, else the
// penultimate segment of dotted_order. The README has the full table.
package langsmith // import "github.com/llmtrace/llmtrace/internal/langsmith"
