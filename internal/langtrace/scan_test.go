package langtrace

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// scanValue decodes doc with the scanner.
func scanValue(doc []byte) (pcommon.Map, error) {
	var s scanner
	s.Reset(doc)
	m := pcommon.NewMap()
	s.Value(m.PutEmpty("v"))
	return m, s.Done()
}

// The scanner must type values exactly as convert.PutJSON does (the
// reference decoder every vendor shares).
func assertMatchesPutJSON(t *testing.T, doc []byte) {
	t.Helper()
	got, err := scanValue(doc)
	want := pcommon.NewMap()
	wantErr := convert.PutJSON(want, "v", doc)
	if wantErr != nil {
		assert.Error(t, err, "convert.PutJSON rejects %q", doc)
		return
	}
	require.NoError(t, err, "%q", doc)
	assert.Equal(t, want.AsRaw(), got.AsRaw(), "%q", doc)
}

func TestScannerMatchesPutJSON(t *testing.T) {
	for _, doc := range scannerCorpus {
		t.Run(doc, func(t *testing.T) { assertMatchesPutJSON(t, []byte(doc)) })
	}
}

var scannerCorpus = []string{
	`null`, `true`, `false`, `0`, `-0`, `42`, `-7`, `9223372036854775807`, `9223372036854775808`, `-9223372036854775809`,
	`1.5`, `-0.25`, `1e3`, `1E-3`, `2.5e+10`,
	`""`, `"plain"`, `"tab\tnew\nline"`, `"quote\" backslash\\ slash\/"`, `"\b\f\r"`,
	`"\u00e9\u4e2d\uD83D\uDE00"`, `"lone \ud800 surrogate"`, `"lone low \udc00"`, `"\ud83d\u0041"`,
	`"trailing backslash pair \\\\"`, `"\\\""`, `"é 😀 direct"`,
	`[]`, `[1,"a",null,true,[2,[3]],{"k":"v"}]`, `{}`, `{"a":1,"b":{"c":[1,2,{"d":null}]},"e":""}`,
	`{"a":1,"a":2,"b":3}`, `{"k\"ey":1,"\u006b":2}`, ` { "spaced" : [ 1 , 2 ] } `,
	`{"nested":"{\"inner\":\"[\\\"deep\\\"]\"}"}`,
	// Malformed: both must fail.
	`{`, `[1,`, `{"a"}`, `{"a":}`, `[1 2]`, `{"a":1,}`, `[,1]`, `"unterminated`, `"bad \x escape"`, `"\u12"`, `tru`, `nul`,
	`01`, `1.`, `-`, `1e`, `{"a":1}}`, `[1]]`, `{1:2}`, `"a" "b"`, ``, `   `,
}

func FuzzScannerMatchesPutJSON(f *testing.F) {
	for _, doc := range scannerCorpus {
		f.Add([]byte(doc))
	}
	f.Fuzz(func(t *testing.T, doc []byte) {
		got, err := scanValue(doc) // must never panic
		if !json.Valid(doc) || !utf8.Valid(doc) {
			return
		}
		require.NoError(t, err, "%q", doc)
		want := pcommon.NewMap()
		if convert.PutJSON(want, "v", doc) != nil {
			// convert.PutJSON rejects numbers beyond float64 (see
			// TestNumberBeyondFloat64), which the scanner keeps as text.
			v, _ := got.Get("v")
			require.True(t, hasHugeNumber(v), "%q", doc)
			return
		}
		assert.Equal(t, want.AsRaw(), got.AsRaw(), "%q", doc)
	})
}

// hasHugeNumber reports whether v holds a number literal beyond float64 as
// a Str.
func hasHugeNumber(v pcommon.Value) bool {
	switch v.Type() {
	case pcommon.ValueTypeStr:
		_, err := strconv.ParseFloat(v.Str(), 64)
		return errors.Is(err, strconv.ErrRange)
	case pcommon.ValueTypeSlice:
		for _, e := range v.Slice().All() {
			if hasHugeNumber(e) {
				return true
			}
		}
	case pcommon.ValueTypeMap:
		for _, e := range v.Map().All() {
			if hasHugeNumber(e) {
				return true
			}
		}
	}
	return false
}

// A number beyond the float64 range is kept as its literal text, the rule
// convert.PutJSON documents (its jsoniter path rejects the number instead).
func TestNumberBeyondFloat64(t *testing.T) {
	for _, doc := range []string{`1e400`, `-1e400`, `[1e999]`} {
		got, err := scanValue([]byte(doc))
		require.NoError(t, err)
		raw, _ := got.Get("v")
		if raw.Type() == pcommon.ValueTypeSlice {
			raw = raw.Slice().At(0)
		}
		assert.Equal(t, pcommon.ValueTypeStr, raw.Type())
		assert.Equal(t, strings.Trim(doc, "[]"), raw.Str())
	}
}
