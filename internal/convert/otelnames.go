package convert

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/ptrace"
)

// SpanKindName reads a span kind written as its name, as SDKs stringify the
// enum: "CLIENT", "SpanKind.CLIENT" or "SPAN_KIND_CLIENT", in any case. ok
// is false for anything else (numbers included: their meaning depends on
// the vendor's enum).
func SpanKindName(s string) (kind ptrace.SpanKind, ok bool) {
	switch strings.ToUpper(trimPrefixFold(trimPrefixFold(s, "SpanKind."), "SPAN_KIND_")) {
	case "INTERNAL":
		return ptrace.SpanKindInternal, true
	case "SERVER":
		return ptrace.SpanKindServer, true
	case "CLIENT":
		return ptrace.SpanKindClient, true
	case "PRODUCER":
		return ptrace.SpanKindProducer, true
	case "CONSUMER":
		return ptrace.SpanKindConsumer, true
	case "UNSPECIFIED":
		return ptrace.SpanKindUnspecified, true
	}
	return ptrace.SpanKindUnspecified, false
}

// StatusCodeName reads a status code written as its name: "ERROR",
// "StatusCode.ERROR" or "STATUS_CODE_ERROR", in any case. ok is false for
// anything else.
func StatusCodeName(s string) (code ptrace.StatusCode, ok bool) {
	switch strings.ToUpper(trimPrefixFold(trimPrefixFold(s, "StatusCode."), "STATUS_CODE_")) {
	case "UNSET":
		return ptrace.StatusCodeUnset, true
	case "OK":
		return ptrace.StatusCodeOk, true
	case "ERROR":
		return ptrace.StatusCodeError, true
	}
	return ptrace.StatusCodeUnset, false
}

// trimPrefixFold removes prefix from s, compared without case.
func trimPrefixFold(s, prefix string) string {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):]
	}
	return s
}
