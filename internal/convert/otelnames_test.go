package convert

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

func TestSpanKindName(t *testing.T) {
	for in, want := range map[string]ptrace.SpanKind{
		"CLIENT": ptrace.SpanKindClient, "spankind.server": ptrace.SpanKindServer, "SPAN_KIND_PRODUCER": ptrace.SpanKindProducer,
		"Consumer": ptrace.SpanKindConsumer, "SpanKind.INTERNAL": ptrace.SpanKindInternal, "span_kind_unspecified": ptrace.SpanKindUnspecified,
	} {
		got, ok := SpanKindName(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "3", "CLIENTS", "Kind.CLIENT", "SPAN_KIND_"} {
		got, ok := SpanKindName(in)
		assert.False(t, ok, in)
		assert.Equal(t, ptrace.SpanKindUnspecified, got, in)
	}
}

func TestStatusCodeName(t *testing.T) {
	for in, want := range map[string]ptrace.StatusCode{
		"ERROR": ptrace.StatusCodeError, "statuscode.ok": ptrace.StatusCodeOk, "STATUS_CODE_UNSET": ptrace.StatusCodeUnset, "Error": ptrace.StatusCodeError,
	} {
		got, ok := StatusCodeName(in)
		assert.True(t, ok, in)
		assert.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "2", "FAILED", "Status.ERROR"} {
		got, ok := StatusCodeName(in)
		assert.False(t, ok, in)
		assert.Equal(t, ptrace.StatusCodeUnset, got, in)
	}
}
