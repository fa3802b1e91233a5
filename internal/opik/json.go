package opik

import (
	"errors"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	jsoniter "github.com/json-iterator/go"
	"go.opentelemetry.io/collector/pdata/pcommon"
)

// readValue decodes the next JSON value into dest with the typing of
// convert.PutJSON: integer literals that fit int64 → Int, other numbers →
// Double, strings → Str, booleans → Bool, null → empty, arrays → Slice,
// objects → Map. It reads from a live iterator, so a blob is decoded
// straight into attributes without an intermediate copy. Errors are left in
// it.Error.
func readValue(it *jsoniter.Iterator, dest pcommon.Value) {
	switch it.WhatIsNext() {
	case jsoniter.StringValue:
		s := it.ReadString()
		if !failed(it) {
			dest.SetStr(validUTF8(s))
		}
	case jsoniter.NumberValue:
		n := string(it.ReadNumber())
		if failed(it) {
			return
		}
		if !strings.ContainsAny(n, ".eE") {
			if i, err := strconv.ParseInt(n, 10, 64); err == nil {
				dest.SetInt(i)
				return
			}
		}
		if f, err := strconv.ParseFloat(n, 64); err == nil {
			dest.SetDouble(f)
		} else {
			dest.SetStr(n)
		}
	case jsoniter.NilValue:
		it.ReadNil()
	case jsoniter.BoolValue:
		b := it.ReadBool()
		if !failed(it) {
			dest.SetBool(b)
		}
	case jsoniter.ArrayValue:
		s := dest.SetEmptySlice()
		it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
			readValue(it, s.AppendEmpty())
			return !failed(it)
		})
	case jsoniter.ObjectValue:
		m := dest.SetEmptyMap()
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			readValue(it, m.PutEmpty(key))
			return !failed(it)
		})
	default:
		it.ReportError("readValue", "unexpected character")
	}
}

// failed reports a real decoding error (io.EOF only means the input ended).
func failed(it *jsoniter.Iterator) bool {
	return it.Error != nil && !errors.Is(it.Error, io.EOF)
}

func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}
