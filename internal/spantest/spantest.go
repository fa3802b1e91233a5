// Package spantest has the assertions the vendors' conversion tests share.
// It is imported by tests only.
package spantest

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// SpansByName maps the spans of td's first scope of its first resource by
// name (the last one wins).
func SpansByName(td ptrace.Traces) map[string]ptrace.Span {
	out := map[string]ptrace.Span{}
	ss := td.ResourceSpans().At(0).ScopeSpans().At(0).Spans()
	for i := range ss.Len() {
		out[ss.At(i).Name()] = ss.At(i)
	}
	return out
}

// AssertAttrs checks that m holds each of want's attributes with its value
// (other attributes may be there too).
func AssertAttrs(t *testing.T, m pcommon.Map, want map[string]any) {
	t.Helper()
	for k, v := range want {
		got, ok := m.Get(k)
		if assert.True(t, ok, "attribute %s missing", k) {
			assert.Equal(t, v, got.AsRaw(), "attribute %s", k)
		}
	}
}

// AssertNoAttrs checks that m holds none of keys.
func AssertNoAttrs(t *testing.T, m pcommon.Map, keys ...string) {
	t.Helper()
	for _, k := range keys {
		_, ok := m.Get(k)
		assert.False(t, ok, "attribute %s must be absent", k)
	}
}
