package langwatchsim

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// The search's `filters`: a record of filter field -> string[] | {key:
// string[]} | {key: {subkey: string[]}} (sharedFiltersInputSchema; keys from
// filterFieldsEnum). LangWatch turns each field into a condition on the
// trace summary (server/filters/clickhouse/filter-conditions.ts): the
// fields are ANDed, the values of one field ORed (IN), the keys of a nested
// field ORed; an empty list adds no condition; a field that needs a key and
// has none matches nothing. The summary holds what had arrived at the
// version read: the trace-level attributes (labels, user, thread, custom
// metadata) come with the root span, span types and models with their
// spans. The part evaluates the fields below; the other valid fields are
// answered 501 (not simulated), as is negateFilters with filters.

// filterParam is one field's (or key's) parameter.
type filterParam struct {
	values []string               // a leaf: the values
	nested map[string]filterParam // else the keys
}

// simulatedFilterFields are the filter fields the part evaluates.
var simulatedFilterFields = []string{
	"metadata.user_id", "metadata.thread_id", "metadata.labels", "metadata.key", "metadata.value",
	"traces.error", "spans.type", "spans.model",
}

// parseFilterParam reads a field's value per the zod union, depth levels
// of keys at most; false when it fits none of its members.
func parseFilterParam(raw json.RawMessage, depth int) (filterParam, bool) {
	var values []string
	if json.Unmarshal(raw, &values) == nil && values != nil {
		return filterParam{values: values}, true
	}
	var obj map[string]json.RawMessage
	if depth == 0 || json.Unmarshal(raw, &obj) != nil || obj == nil {
		return filterParam{}, false
	}
	p := filterParam{nested: map[string]filterParam{}}
	for k, v := range obj {
		sub, ok := parseFilterParam(v, depth-1)
		if !ok {
			return filterParam{}, false
		}
		p.nested[k] = sub
	}
	return p, true
}

// filterFacts are what the filters are evaluated on, per trace.
type filterFacts struct {
	user, thread string
	labels       []string
	metadata     map[string]string // custom keys, as strings
	types        []string          // each span's langwatch.span.type
	models       []string          // each llm span's model ("" for the others)
	errored      []bool            // each span's error status
}

func newFilterFacts(tr *sim.Trace, legacy bool) filterFacts {
	f := filterFacts{user: tr.UserID, thread: tr.ThreadID, labels: tr.Tags, metadata: map[string]string{}}
	for k, v := range tr.Metadata {
		f.metadata[k] = fmt.Sprint(v)
	}
	for k := range tr.Spans {
		s := &tr.Spans[k]
		typ, model := spanType(s.Kind), ""
		if typ == typeLLM {
			model = s.Model
			if rm, ok := s.Attributes[sim.AttrResponseModel].(string); ok && !legacy {
				model = rm
			}
		}
		f.types, f.models, f.errored = append(f.types, typ), append(f.models, model), append(f.errored, s.Error != nil)
	}
	return f
}

// filtersMatch reports whether trace x, as the summary holds it at t,
// passes every field of fs.
func (x *traceInfo) filtersMatch(fs map[string]filterParam, t time.Time) bool {
	for _, field := range slices.Sorted(maps.Keys(fs)) {
		if ok, some := x.paramMatches(field, fs[field], nil, t); some && !ok {
			return false
		}
	}
	return true
}

// paramMatches evaluates a field's parameter; some is false when it adds
// no condition (only empty lists).
func (x *traceInfo) paramMatches(field string, p filterParam, keys []string, t time.Time) (ok, some bool) {
	if p.nested == nil {
		if len(p.values) == 0 {
			return false, false
		}
		return x.condition(field, p.values, keys, t), true
	}
	for _, k := range slices.Sorted(maps.Keys(p.nested)) {
		m, a := x.paramMatches(field, p.nested[k], append(slices.Clone(keys), k), t)
		if a {
			some = true
			if m {
				return true, true
			}
		}
	}
	return false, some
}

// condition is one field's condition on the summary at t.
func (x *traceInfo) condition(field string, values, keys []string, t time.Time) bool {
	f := &x.facts
	root := !x.arrival[0].After(t)
	key := func() string {
		if len(keys) == 0 {
			return ""
		}
		return strings.ReplaceAll(keys[0], "·", ".")
	}
	switch field {
	case "metadata.user_id":
		return root && f.user != "" && slices.Contains(values, f.user)
	case "metadata.thread_id":
		return root && f.thread != "" && slices.Contains(values, f.thread)
	case "metadata.labels":
		return root && slices.ContainsFunc(f.labels, func(l string) bool { return slices.Contains(values, l) })
	case "metadata.key":
		return root && slices.ContainsFunc(values, func(k string) bool { _, ok := f.metadata[strings.ReplaceAll(k, "·", ".")]; return ok })
	case "metadata.value":
		v, ok := f.metadata[key()]
		return root && key() != "" && ok && slices.Contains(values, v)
	case "traces.error":
		failed := false
		for k := range f.errored {
			failed = failed || (f.errored[k] && !x.arrival[k].After(t))
		}
		return (failed && slices.Contains(values, "true")) || (!failed && slices.Contains(values, "false"))
	case "spans.type", "spans.model":
		have := f.types
		if field == "spans.model" {
			have = f.models
		}
		for k, v := range have {
			if v != "" && !x.arrival[k].After(t) && slices.Contains(values, v) {
				return true
			}
		}
	}
	return false
}
