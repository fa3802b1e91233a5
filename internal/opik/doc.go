// Package opik polls Opik's traces and spans APIs and rebuilds each Opik
// trace as one OpenTelemetry span tree following the GenAI semantic
// conventions.
//
// # Reading
//
// A query is a window of trace start times (the time inside each trace's
// UUIDv7 id). Each page of it is one page of GET /v1/private/traces with
// from_time/to_time, newest first, followed by the spans of those traces,
// read in bulk with GET /v1/private/spans over the matching id-time window
// and per trace (trace_id=) only where the bulk read may miss spans; see
// source.go and spans.go. With an API key every request carries
// "authorization: <key>" (no "Bearer ") and "Comet-Workspace"; without one
// (self-hosted) neither.
//
// # Conversion
//
// An Opik trace is not a span: it becomes the root span of its tree, and
// each Opik span a child. Conversion never fails and never drops a trace or
// a span; what it cannot map is counted as a conversion warning.
//
//   - Trace id: the trace UUID's 16 bytes. Root span id: the last 8 bytes of
//     the trace UUID. Span id: the last 8 bytes of the span UUID (the random
//     part of a UUIDv7). Ids that are no UUID are hashed (warning).
//   - Parent: parent_span_id (its last 8 bytes), or the root when null. A
//     parent that is not in the data, or the span itself, makes the root the
//     parent (warning; the original id in opik.parent_span_id).
//   - Kind: llm spans CLIENT; tool, general, guardrail spans and the root
//     INTERNAL (the root is the application's own work, not a call it
//     received over the network).
//   - Times: start_time/end_time at full precision (µs or ns); duration is
//     ignored. end_time null leaves the end 0: in progress. An unreadable
//     start_time falls back to the id's time (warning).
//   - error_info: status ERROR with its message (else exception_type),
//     error.type (exception_type, else _OTHER) and an "exception" event at
//     the span's end (its start while in progress).
//   - input/output: always the JSON text under opik.input/opik.output (a
//     JSON string as the string itself; null, {} and [] are left out), and
//     also gen_ai.input.messages/gen_ai.output.messages when they hold chat
//     messages (a list of messages, {messages: [...]}, {choices: [...]}, one
//     message).
//   - Usage: every key as opik.usage.<key>; on spans (not on the root,
//     whose usage is the sum of its spans') the known keys also as
//     gen_ai.usage.*.
//   - metadata: opik.metadata.<key> with JSON types kept (objects become
//     maps); on llm spans the OpenAI-style request arguments also as
//     gen_ai.request.*, and a response object's model/id/finish reasons as
//     gen_ai.response.*.
//   - Every other field is kept as opik.<field> with its JSON type, so that
//     fields added by newer servers are not lost; project_id, project_name
//     and duration are left out.
//
// The README has the full table.
package opik // import "github.com/llmtrace/llmtrace/internal/opik"
