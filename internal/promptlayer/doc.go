// Package promptlayer polls PromptLayer's public API and rebuilds its traces
// as OpenTelemetry spans following the GenAI semantic conventions.
//
// # Reading
//
// PromptLayer documents no endpoint that lists traces (a POST
// /api/public/v2/traces/search was announced in June 2026 but its request and
// answer are documented nowhere; it is not used). The way in is the request
// log: POST /api/public/v2/requests/search (filter_group "between" on
// request_start_time, oldest first, 25 per page, 10 searches a minute per
// key) -> GET /api/public/v2/requests/{id} (trace_id, or null) -> GET
// /api/public/v2/traces/{trace_id}, once per distinct trace and query (see
// source.go). A query's window is the request logs' start times; a trace sits
// on it at the latest start of its request logs.
//
// # Conversion
//
// Both span shapes of PromptLayer's documents are read (start/end with
// context, kind, status, resource, events, links; start_time/end_time with a
// top-level trace_id). Conversion never fails and never drops a span; what it
// cannot map is counted as a conversion warning.
//
//   - IDs: 32/16 hex digits are exactly those bytes; anything else is hashed
//     (warning). parent_id null is a root; a parent not (yet) read is kept.
//   - Times at full precision (ISO, or an epoch number); end null: in
//     progress.
//   - kind SpanKind.X, SPAN_KIND_X or X in any case (or the OTLP number);
//     status StatusCode.X, STATUS_CODE_X or X, ERROR with its description.
//   - attributes, events and links with their JSON types; each distinct
//     resource is its own ResourceSpans, its attributes kept; service.name is
//     the configured service_name, else the resource's, else "promptlayer".
//   - A span with request_log_id gets from its request log what it lacks:
//     gen_ai.request.model, gen_ai.provider.name, gen_ai.usage.*,
//     gen_ai.operation.name, gen_ai.prompt.name, the template's chat
//     messages as gen_ai.input.messages; and promptlayer.price (left out
//     while PromptLayer has not priced the request) and
//     promptlayer.request_log_id.
//   - A request log without a trace becomes a one-span CLIENT trace whose IDs
//     are the first 16 and 8 bytes of SHA-256("promptlayer" 0x00
//     "request_log" 0x00 <request id>).
//
// The README has the full table.
package promptlayer
