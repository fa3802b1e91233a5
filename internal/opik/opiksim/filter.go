package opiksim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// The traces list's `filters` query parameter: a JSON array of
// {field, operator, key, value}, all of them ANDed (Opik's FiltersFactory
// and FilterQueryBuilder). The part evaluates the trace fields that are
// fixed when the trace is created: name, tags, metadata and thread_id.
// Other fields Opik knows are answered 501 (not simulated: answering as if
// they matched would hide a receiver that relies on them); a field or an
// operator Opik does not know fails Jackson's parsing of the parameter,
// which Opik answers 400 "Invalid filters query parameter '<param>'". The
// checks that follow parsing are Opik's, with its messages: an operator the
// field's type has no SQL for, a value or key the type requires.

// fieldType is Opik's FieldType of a simulated field.
type fieldType string

const (
	typeString     fieldType = "STRING"
	typeList       fieldType = "LIST"
	typeDictionary fieldType = "DICTIONARY"
)

// simulatedFields are the trace fields the part evaluates.
var simulatedFields = map[string]fieldType{
	"name": typeString, "thread_id": typeString, "tags": typeList, "metadata": typeDictionary,
}

// otherTraceFields are the other TraceField values of Opik's backend
// (TraceField.java): valid, not simulated.
var otherTraceFields = []string{
	"id", "start_time", "end_time", "input", "output", "input_json", "output_json", "total_estimated_cost",
	"llm_span_count", "usage.completion_tokens", "usage.prompt_tokens", "usage.total_tokens", "feedback_scores",
	"span_feedback_scores", "duration", "ttft", "guardrails", "visibility_mode", "error_info", "error_type",
	"annotation_queue_ids", "experiment_id", "experiment_ids", "created_at", "last_updated_at", "source",
	"environment", "custom",
}

// operators are Opik's Operator values.
var operators = []string{
	"contains", "not_contains", "starts_with", "ends_with", "=", "!=", ">", ">=", "<", "<=",
	"is_empty", "is_not_empty", "in", "not_in",
}

// supportedOperators are the operators FilterQueryBuilder has SQL for, per
// simulated type (ANALYTICS_DB_OPERATOR_MAP).
var supportedOperators = map[fieldType][]string{
	typeString:     {"contains", "not_contains", "starts_with", "ends_with", "=", "!=", ">", "<"},
	typeList:       {"contains", "not_contains", "=", "!=", "is_empty", "is_not_empty"},
	typeDictionary: {"contains", "not_contains", "starts_with", "ends_with", "=", "!=", ">", "<", "is_empty", "is_not_empty"},
}

// traceFilter is one parsed filter.
type traceFilter struct {
	field    string
	typ      fieldType
	operator string
	key      string
	value    string
}

// filterFields are what a trace's filters are evaluated on; they do not
// change after the trace is created.
type filterFields struct {
	name, thread string
	tags         []string
	metadata     map[string]any
}

func newFilterFields(tr *sim.Trace) filterFields {
	return filterFields{name: tr.Spans[0].Name, thread: tr.ThreadID, tags: tr.Tags, metadata: traceMetadata(tr)}
}

// parseFilters reads the filters parameter; status 0 means it is valid.
func parseFilters(param string) ([]traceFilter, int, string) {
	if strings.TrimSpace(param) == "" {
		return nil, 0, ""
	}
	invalid := fmt.Sprintf(`{"code":400,"message":%s}`, jsonString("Invalid filters query parameter '"+param+"'"))
	var raw []map[string]json.RawMessage
	dec := json.NewDecoder(strings.NewReader(param))
	if err := dec.Decode(&raw); err != nil || dec.More() {
		return nil, http.StatusBadRequest, invalid
	}
	var out []traceFilter
	for _, m := range raw {
		var f traceFilter
		field, ok1 := stringMember(m, "field", true)
		op, ok2 := stringMember(m, "operator", true)
		value, ok3 := stringMember(m, "value", true) // value is required, a string (numbers coerced)
		key, ok4 := stringMember(m, "key", false)
		if !ok1 || !ok2 || !ok3 || !ok4 || !slices.Contains(operators, op) {
			return nil, http.StatusBadRequest, invalid
		}
		f.field, f.operator, f.key, f.value = field, op, key, value
		typ, simulated := simulatedFields[field]
		switch {
		case !simulated && slices.Contains(otherTraceFields, field):
			return nil, http.StatusNotImplemented, `{"code":501,"message":"simulator: filters on the trace field '` + jsonEscape(field) + `' are not simulated"}`
		case !simulated:
			return nil, http.StatusBadRequest, invalid
		}
		f.typ = typ
		if status, body := f.check(); status != 0 {
			return nil, status, body
		}
		out = append(out, f)
	}
	return out, 0, ""
}

// check is FiltersFactory.toValidAndDecoded: LIST and DICTIONARY values are
// URL-decoded, then the operator must have SQL for the type and the value
// and key must suit it.
func (f *traceFilter) check() (int, string) {
	noValue := f.operator == "is_empty" || f.operator == "is_not_empty"
	if f.typ != typeString && !noValue {
		v, err := url.QueryUnescape(f.value)
		if err != nil {
			return http.StatusBadRequest, `{"code":400,"message":` + jsonString("Invalid filter '"+f.value+"'") + `}`
		}
		f.value = v
	}
	if !slices.Contains(supportedOperators[f.typ], f.operator) {
		return http.StatusBadRequest, `{"code":400,"message":` + jsonString(fmt.Sprintf("Invalid operator '%s' for field '%s' of type '%s'", f.operator, f.field, f.typ)) + `}`
	}
	var ok bool
	switch f.typ {
	case typeString:
		ok = strings.TrimSpace(f.value) != ""
	case typeList:
		ok = noValue || strings.TrimSpace(f.value) != ""
	case typeDictionary:
		ok = strings.TrimSpace(f.key) != ""
	}
	if !ok {
		return http.StatusBadRequest, `{"code":400,"message":` + jsonString(fmt.Sprintf("Invalid value '%s' or key '%s' for field '%s' of type '%s'", f.value, f.key, f.field, f.typ)) + `}`
	}
	return 0, ""
}

// stringMember reads a member that Jackson binds to a String: a string, or
// a number or boolean coerced to its text; null or absent is missing.
func stringMember(m map[string]json.RawMessage, name string, required bool) (string, bool) {
	raw, ok := m[name]
	if !ok || string(raw) == "null" {
		return "", !required
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s, true
	}
	t := string(bytes.TrimSpace(raw))
	if t == "true" || t == "false" {
		return t, true
	}
	if _, err := strconv.ParseFloat(t, 64); err == nil {
		return t, true
	}
	return "", false
}

// matches reports whether a trace passes every filter.
func matches(fs []traceFilter, tf *filterFields) bool {
	for i := range fs {
		if !fs[i].matches(tf) {
			return false
		}
	}
	return true
}

func (f *traceFilter) matches(tf *filterFields) bool {
	switch f.field {
	case "name":
		return compareString(f.operator, tf.name, f.value)
	case "thread_id":
		return compareString(f.operator, tf.thread, f.value)
	case "tags":
		return f.matchesTags(tf.tags)
	}
	// JSON_VALUE answers '' for a path that is absent or not a scalar.
	v, ok := metadataValue(tf.metadata, f.key)
	switch f.operator {
	case "is_empty":
		return !ok || v == "" || v == "null"
	case "is_not_empty":
		return ok && v != "" && v != "null"
	case ">", "<":
		a, err1 := strconv.ParseFloat(v, 64)
		b, err2 := strconv.ParseFloat(f.value, 64)
		if err1 != nil || err2 != nil {
			return false
		}
		return (f.operator == ">" && a > b) || (f.operator == "<" && a < b)
	}
	return compareString(f.operator, v, f.value)
}

// compareString is the STRING operators: case-insensitive.
func compareString(op, field, value string) bool {
	a, b := strings.ToLower(field), strings.ToLower(value)
	switch op {
	case "contains":
		return strings.Contains(a, b)
	case "not_contains":
		return !strings.Contains(a, b)
	case "starts_with":
		return strings.HasPrefix(a, b)
	case "ends_with":
		return strings.HasSuffix(a, b)
	case "=":
		return a == b
	case "!=":
		return a != b
	case ">":
		return a > b
	case "<":
		return a < b
	}
	return false
}

// matchesTags is the LIST operators: contains is a case-insensitive
// substring of some tag, = an exact tag.
func (f *traceFilter) matchesTags(tags []string) bool {
	switch f.operator {
	case "is_empty":
		return len(tags) == 0
	case "is_not_empty":
		return len(tags) > 0
	case "=":
		return slices.Contains(tags, f.value)
	case "!=":
		return !slices.Contains(tags, f.value)
	}
	found := slices.ContainsFunc(tags, func(t string) bool { return strings.Contains(strings.ToLower(t), strings.ToLower(f.value)) })
	return found == (f.operator == "contains")
}

// metadataValue is JSON_VALUE(metadata, '$.<key>'): the scalar at the path
// as text, false when there is none (absent, an object or an array).
func metadataValue(m map[string]any, key string) (string, bool) {
	path := strings.TrimPrefix(strings.TrimPrefix(key, "$"), ".")
	var v any = m
	for part := range strings.SplitSeq(path, ".") {
		obj, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		if v, ok = obj[part]; !ok {
			return "", false
		}
	}
	switch x := v.(type) {
	case string:
		return x, true
	case nil:
		return "null", true
	case map[string]any, []any:
		return "", false
	default:
		return fmt.Sprint(x), true
	}
}

// jsonString is s as a JSON string, as Jackson writes it (no HTML
// escaping).
func jsonString(s string) string { return string(marshal(s)) }
