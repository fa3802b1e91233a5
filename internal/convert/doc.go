// Package convert holds the small, allocation-light helpers every vendor
// translator needs when turning vendor JSON into OpenTelemetry pdata:
//
//   - trace and span id parsing (hex, 0x-hex, UUID, base64) and deterministic
//     id hashing for vendors whose ids cannot be parsed (ids.go);
//   - timestamp and duration parsing (ISO-8601 / RFC 3339, epoch numbers in
//     any unit, hrtime pairs) (time.go);
//   - decoding JSON values into pcommon.Map / pcommon.Value while keeping the
//     JSON type (integers stay Int, objects become Map, ...) (json.go).
//
// Every function here is safe for concurrent use and never panics on bad
// input; parse failures are reported as errors.
package convert
