package promptlayer

import (
	jsoniter "github.com/json-iterator/go"
	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// events reads [{name, timestamp, attributes}]: the timestamp is an ISO
// string or an epoch number (PromptLayer's SDK exporter sent nanoseconds);
// an unreadable one is the span's start (warning).
func (c *converter) events(dst ptrace.SpanEventSlice, raw []byte, start pcommon.Timestamp) {
	it := c.reset(raw)
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.ObjectValue {
			c.warn()
			it.Skip()
			return it.Error == nil
		}
		ev := dst.AppendEmpty()
		stamped := false
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			switch key {
			case "name":
				ev.SetName(readStr(it))
			case "timestamp", "time", "time_unix_nano":
				stamped = c.timestamp(it, ev.SetTimestamp)
			case "attributes":
				c.attributes(it, ev.Attributes())
			default:
				it.Skip()
			}
			return it.Error == nil
		})
		if !stamped {
			c.warn()
			ev.SetTimestamp(start)
		}
		return it.Error == nil
	})
	if convert.Failed(it) {
		c.warn()
	}
}

// links reads [{context: {trace_id, span_id, trace_state}, attributes}]
// (the SDK exporter's shape) or [{trace_id, span_id, trace_state,
// attributes}]; ids are hex, anything else is hashed (warning).
func (c *converter) links(dst ptrace.SpanLinkSlice, raw []byte, hexID string) {
	it := c.reset(raw)
	it.ReadArrayCB(func(it *jsoniter.Iterator) bool {
		if it.WhatIsNext() != jsoniter.ObjectValue {
			c.warn()
			it.Skip()
			return it.Error == nil
		}
		var traceID, spanID, state string
		l := dst.AppendEmpty()
		read := func(it *jsoniter.Iterator, key string) bool {
			switch key {
			case "trace_id":
				traceID = readStr(it)
			case "span_id":
				spanID = readStr(it)
			case "trace_state":
				state = readStr(it)
			case "attributes":
				c.attributes(it, l.Attributes())
			default:
				it.Skip()
			}
			return it.Error == nil
		}
		it.ReadMapCB(func(it *jsoniter.Iterator, key string) bool {
			if key == "context" && it.WhatIsNext() == jsoniter.ObjectValue {
				return it.ReadMapCB(read)
			}
			return read(it, key)
		})
		c.linkIDs(l, traceID, spanID, hexID)
		if state != "" && state != "[]" {
			l.TraceState().FromRaw(state)
		}
		return it.Error == nil
	})
	if convert.Failed(it) {
		c.warn()
	}
}

func (c *converter) linkIDs(l ptrace.SpanLink, traceID, spanID, hexID string) {
	tid, err := convert.TraceID(traceID)
	if err != nil {
		c.warn()
		tid = convert.TraceIDOrHash(traceID, Name, hexID)
	}
	sid, err := convert.SpanID(spanID)
	if err != nil {
		c.warn()
		sid = convert.SpanIDOrHash(spanID, Name, hexID)
	}
	l.SetTraceID(tid)
	l.SetSpanID(sid)
}

// timestamp reads an ISO string or an epoch number and passes it to set; it
// reports whether it could.
func (c *converter) timestamp(it *jsoniter.Iterator, set func(pcommon.Timestamp)) bool {
	var text string
	switch it.WhatIsNext() {
	case jsoniter.StringValue:
		text = it.ReadString()
	case jsoniter.NumberValue:
		text = string(it.ReadNumber())
	default:
		it.Skip()
		return false
	}
	t, err := convert.ParseTime(text)
	if err != nil {
		return false
	}
	set(convert.Timestamp(t))
	return true
}

// attributes decodes a JSON object of attributes into dst with their JSON
// types; null is none, another type a warning.
func (c *converter) attributes(it *jsoniter.Iterator, dst pcommon.Map) {
	switch it.WhatIsNext() {
	case jsoniter.ObjectValue:
		if err := convert.JSONToMap(it.SkipAndReturnBytes(), dst); err != nil {
			c.warn()
		}
	case jsoniter.NilValue:
		it.ReadNil()
	default:
		c.warn()
		it.Skip()
	}
}

// reset points the converter's iterator at raw.
func (c *converter) reset(raw []byte) *jsoniter.Iterator {
	c.iter.Error = nil
	return c.iter.ResetBytes(raw)
}
