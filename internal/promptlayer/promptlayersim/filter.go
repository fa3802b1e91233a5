package promptlayersim

import (
	"encoding/json"
	"slices"
	"strings"
	"time"
)

// The search's structured filters (StructuredFilter {field, operator,
// value, nested_key}), with the operators the search-request-logs reference
// lists per field type. The part evaluates the time fields, the string
// fields engine and provider_type (is, is_not, in, not_in), the array field
// tags (contains, not_contains, in, not_in, is_empty, is_not_empty: element
// matches) and the nested field metadata (key_equals, key_not_equals,
// key_contains, in, not_in on the value at nested_key; is_empty and
// is_not_empty on the key's presence). An operator the field's type does
// not have, a value of the wrong shape or a metadata filter without
// nested_key is a 400 ErrorResponse; other fields are refused with 400 as
// not simulated. The wording of those 400 messages is the part's own:
// PromptLayer documents the status and the envelope, not the text.

// cond is one condition.
type cond struct {
	field    string
	op       string
	from, to time.Time // time fields
	values   []string  // the value, or the list for in and not_in
	key      string    // nested_key
}

// fieldOperators are the operators of each simulated field.
var fieldOperators = map[string][]string{
	"request_start_time": {"is", "before", "after", "between"},
	"request_end_time":   {"is", "before", "after", "between"},
	"engine":             {"is", "is_not", "in", "not_in"},
	"provider_type":      {"is", "is_not", "in", "not_in"},
	"tags":               {"contains", "not_contains", "in", "not_in", "is_empty", "is_not_empty"},
	"metadata":           {"key_equals", "key_not_equals", "key_contains", "in", "not_in", "is_empty", "is_not_empty"},
}

// parseFilter reads a StructuredFilter {field, operator, value, nested_key}.
func parseFilter(v *validation, obj map[string]json.RawMessage, raw json.RawMessage, loc []any) (cond, badFilter) {
	if obj == nil {
		v.add("model_attributes_type", loc, "Input should be a valid dictionary or object to extract fields from", decoded(raw), nil)
		return cond{}, ""
	}
	field := enumField(v, obj, loc, "field", filterFields)
	op := enumField(v, obj, loc, "operator", filterOperators)
	for _, name := range []string{"field", "operator"} {
		if _, ok := obj[name]; !ok {
			v.add("missing", append(slices.Clone(loc), name), "Field required", decodedObject(obj), nil)
		}
	}
	if k, ok := obj["nested_key"]; ok && string(k) != "null" && json.Unmarshal(k, new(string)) != nil {
		v.add("string_type", append(slices.Clone(loc), "nested_key"), "Input should be a valid string", decoded(k), nil)
	}
	if field == "" || op == "" {
		return cond{}, ""
	}
	ops, simulated := fieldOperators[field]
	switch {
	case !simulated:
		return cond{}, badFilter("simulator: filters on " + field + " are not simulated")
	case !slices.Contains(ops, op):
		return cond{}, badFilter("Invalid operator '" + op + "' for field '" + field + "'")
	}
	c := cond{field: field, op: op}
	_ = json.Unmarshal(obj["nested_key"], &c.key)
	if field == "metadata" && c.key == "" {
		return c, badFilter("nested_key is required for field 'metadata'")
	}
	if field == "request_start_time" || field == "request_end_time" {
		return c, c.times(obj["value"])
	}
	return c, c.readValues(obj["value"])
}

// times reads a time condition's value: an ISO 8601 datetime, or a pair for
// between.
func (c *cond) times(raw json.RawMessage) badFilter {
	var ok bool
	if c.op == "between" {
		var pair []string
		if json.Unmarshal(raw, &pair) == nil && len(pair) == 2 {
			c.from, ok = parseISO(pair[0])
			if ok {
				c.to, ok = parseISO(pair[1])
			}
		}
	} else {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			c.from, ok = parseISO(s)
			c.to = c.from
		}
	}
	if !ok {
		return badFilter("Invalid value for " + c.field + ": expected an ISO 8601 datetime (between: [start, end])")
	}
	return ""
}

// readValues reads the value of a string, array or nested condition: a
// list of strings for in and not_in, nothing for is_empty and
// is_not_empty, a string otherwise.
func (c *cond) readValues(raw json.RawMessage) badFilter {
	switch c.op {
	case "is_empty", "is_not_empty":
		return ""
	case "in", "not_in":
		if json.Unmarshal(raw, &c.values) != nil || len(c.values) == 0 {
			return badFilter("Invalid value for " + c.field + ": " + c.op + " takes a non-empty list of strings")
		}
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return badFilter("Invalid value for " + c.field + ": " + c.op + " takes a string")
	}
	c.values = []string{s}
	return ""
}

// matches evaluates the condition on a request log.
func (c cond) matches(r logRef) bool {
	switch c.field {
	case "request_start_time", "request_end_time":
		t := r.log.start
		if c.field == "request_end_time" {
			t = r.log.end
		}
		switch c.op {
		case "is":
			return t.Equal(c.from)
		case "before":
			return t.Before(c.from)
		case "after":
			return t.After(c.from)
		}
		return !t.Before(c.from) && !t.After(c.to)
	case "engine", "provider_type":
		v := r.log.engine
		if c.field == "provider_type" {
			v = r.log.provider
		}
		in := slices.Contains(c.values, v)
		return in == (c.op == "is" || c.op == "in")
	case "tags":
		return c.matchesTags(r.trace.tags)
	}
	return c.matchesMetadata(r.trace.metadata)
}

func (c cond) matchesTags(tags []string) bool {
	switch c.op {
	case "is_empty":
		return len(tags) == 0
	case "is_not_empty":
		return len(tags) > 0
	}
	found := slices.ContainsFunc(tags, func(t string) bool { return slices.Contains(c.values, t) })
	return found == (c.op == "contains" || c.op == "in")
}

func (c cond) matchesMetadata(m map[string]string) bool {
	v, ok := m[c.key]
	switch c.op {
	case "is_empty":
		return !ok
	case "is_not_empty":
		return ok
	case "key_equals", "in":
		return ok && slices.Contains(c.values, v)
	case "key_not_equals", "not_in":
		return !ok || !slices.Contains(c.values, v)
	}
	return ok && strings.Contains(strings.ToLower(v), strings.ToLower(c.values[0])) // key_contains
}
