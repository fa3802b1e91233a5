package langwatchsim

import (
	"bytes"
	"encoding/json"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// searchRequest is a parsed search body (getAllForProjectInput and the
// route's extensions).
type searchRequest struct {
	start, end    int64 // epoch ms
	pageSize      int
	sortDirection string
	scrollID      string
	dateField     string
	includeSpans  bool
	format        string
	traceIDs      []string
	filters       map[string]filterParam
	negate        bool
	// unsimulated names what the part cannot evaluate (answered 501).
	unsimulated string
}

// violation is one schema failure (the FieldViolation of LangWatch's
// validator).
type violation struct {
	field, typ, message string
	expected            any
}

// Keys the legacy route knows; it parses with .strict(), so any other key
// fails. The successor route knows these plus successorKeys, and strips
// unknown keys.
var (
	legacyKeys = []string{
		"query", "filters", "traceIds", "negateFilters", "pageOffset", "pageSize", "groupBy", "sortBy",
		"sortDirection", "updatedAt", "scrollId", "startDate", "endDate", "format", "llmMode",
	}
	filterFields = []string{
		"topics.topics", "topics.subtopics", "metadata.user_id", "metadata.thread_id", "metadata.customer_id",
		"metadata.labels", "metadata.key", "metadata.value", "metadata.prompt_ids", "traces.origin", "traces.error",
		"traces.name", "spans.type", "spans.model", "evaluations.evaluator_id", "evaluations.evaluator_id.guardrails_only",
		"evaluations.evaluator_id.has_passed", "evaluations.evaluator_id.has_score", "evaluations.evaluator_id.has_label",
		"evaluations.passed", "evaluations.score", "evaluations.state", "evaluations.label", "events.event_type",
		"events.metrics.key", "events.metrics.value", "events.event_details.key", "annotations.hasAnnotation",
	}
)

const pageOffsetMessage = "pageOffset is no longer supported — offset pagination was removed. Use the scrollId returned by the previous response to fetch the next page."

// parseSearch reads a search body. malformed is true when it is not a JSON
// object at all; otherwise the violations say what the schema rejects.
func parseSearch(body []byte, legacy bool) (req searchRequest, violations []violation, malformed bool) {
	var m map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&m); err != nil || m == nil || dec.More() {
		return req, nil, true
	}
	p := bodyParser{m: m, legacy: legacy}
	if legacy {
		p.unknownKeys()
	}
	p.dates(&req)
	p.paging(&req)
	p.stringMembers(&req)
	p.booleans(&req)
	req.dateField = "occurred"
	if !legacy {
		req.dateField = enumValue(m, "dateField", []string{"occurred", "updated"}, "occurred", p.bad)
	}
	req.format = enumValue(m, "format", []string{"digest", "json"}, "json", p.bad)
	p.others(&req)
	return req, p.violations, false
}

// bodyParser checks the members of a search body against
// getAllForProjectInput and the route's extensions.
type bodyParser struct {
	m          map[string]json.RawMessage
	legacy     bool
	violations []violation
}

func (p *bodyParser) bad(field, typ, msg string) {
	p.violations = append(p.violations, violation{field: field, typ: typ, message: msg})
}

// unknownKeys is the legacy route's .strict(): any key it does not know.
func (p *bodyParser) unknownKeys() {
	var unknown []string
	for _, k := range slices.Sorted(maps.Keys(p.m)) {
		if !slices.Contains(legacyKeys, k) {
			unknown = append(unknown, "'"+k+"'")
		}
	}
	if len(unknown) > 0 {
		p.bad("(root)", "unrecognized_keys", "Unrecognized key(s) in object: "+strings.Join(unknown, ", "))
	}
}

// dates reads startDate and endDate: required, epoch ms or a date string.
func (p *bodyParser) dates(req *searchRequest) {
	for _, f := range []struct {
		name string
		dst  *int64
	}{{"startDate", &req.start}, {"endDate", &req.end}} {
		v, err := dateValue(p.m[f.name])
		switch {
		case err == errMissing:
			p.bad(f.name, "invalid_type", "Required")
		case err != nil && p.legacy:
			p.bad(f.name, "custom", "Invalid date format for "+f.name)
		case err != nil:
			p.bad(f.name, "custom", "Invalid date format")
		default:
			*f.dst = v
		}
	}
}

// paging reads pageSize (a positive integer, clamped to 1000) and
// pageOffset (0 or absent).
func (p *bodyParser) paging(req *searchRequest) {
	req.pageSize = 1000
	if raw, ok := p.m["pageSize"]; ok && !isNull(raw) {
		n, isNum := number(raw)
		switch {
		case !isNum:
			p.bad("pageSize", "invalid_type", "Expected number, received "+jsonType(raw))
		case n != math.Trunc(n):
			p.bad("pageSize", "invalid_type", "Expected integer, received float")
		case n <= 0:
			p.bad("pageSize", "too_small", "Number must be greater than 0")
		default:
			req.pageSize = int(min(n, 1000))
		}
	}
	if raw, ok := p.m["pageOffset"]; ok && !isNull(raw) {
		if n, isNum := number(raw); !isNum {
			p.bad("pageOffset", "invalid_type", "Expected number, received "+jsonType(raw))
		} else if n != 0 {
			p.bad("pageOffset", "custom", pageOffsetMessage)
		}
	}
}

// stringMembers reads the string members; sortDirection defaults to "desc".
func (p *bodyParser) stringMembers(req *searchRequest) {
	req.sortDirection = "desc"
	for _, f := range []struct {
		name string
		dst  *string
	}{{"sortDirection", &req.sortDirection}, {"scrollId", &req.scrollID}, {"query", nil}, {"sortBy", nil}, {"groupBy", nil}} {
		raw, ok := p.m[f.name]
		if !ok || (isNull(raw) && f.name == "scrollId") {
			continue
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			p.bad(f.name, "invalid_type", "Expected string, received "+jsonType(raw))
			continue
		}
		if f.dst != nil {
			*f.dst = s
		}
	}
}

// booleans reads the boolean members (includeSpans on the successor only).
func (p *bodyParser) booleans(req *searchRequest) {
	keys := []string{"llmMode", "negateFilters"}
	if !p.legacy {
		keys = append(keys, "includeSpans")
	}
	for _, k := range keys {
		raw, ok := p.m[k]
		if !ok {
			continue
		}
		var b bool
		switch {
		case json.Unmarshal(raw, &b) != nil:
			p.bad(k, "invalid_type", "Expected boolean, received "+jsonType(raw))
		case k == "includeSpans":
			req.includeSpans = b
		case k == "negateFilters":
			req.negate = b
		}
	}
}

// others reads traceIds, updatedAt, filters and the projection.
func (p *bodyParser) others(req *searchRequest) {
	if raw, ok := p.m["traceIds"]; ok && json.Unmarshal(raw, &req.traceIDs) != nil {
		p.bad("traceIds", "invalid_type", "Expected array, received "+jsonType(raw))
	}
	if raw, ok := p.m["updatedAt"]; ok {
		if _, isNum := number(raw); !isNum {
			p.bad("updatedAt", "invalid_type", "Expected number, received "+jsonType(raw))
		}
	}
	req.filters = checkFilters(p.m["filters"], p.bad)
	for _, f := range slices.Sorted(maps.Keys(req.filters)) {
		if !slices.Contains(simulatedFilterFields, f) {
			req.unsimulated = "simulator: the filter field " + f + " is not simulated"
		}
	}
	if req.negate && len(req.filters) > 0 {
		req.unsimulated = "simulator: negateFilters is not simulated"
	}
	if raw, ok := p.m["select"]; ok && !p.legacy {
		var paths []string
		_ = json.Unmarshal(raw, &paths)
		for _, path := range paths {
			// The projection DSL is not simulated.
			p.bad("select", "unknown_path", "Unknown or unsupported select path: "+path)
		}
	}
}

func enumValue(m map[string]json.RawMessage, key string, values []string, def string, bad func(field, typ, msg string)) string {
	raw, ok := m[key]
	if !ok {
		return def
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && slices.Contains(values, s) {
		return s
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = "'" + v + "'"
	}
	bad(key, "invalid_enum_value", "Invalid enum value. Expected "+strings.Join(quoted, " | ")+", received "+strings.TrimSpace(string(raw)))
	return def
}

// checkFilters reads filters: a record of filter field -> the zod union of
// string[], {key: string[]} and {key: {subkey: string[]}}.
func checkFilters(raw json.RawMessage, bad func(field, typ, msg string)) map[string]filterParam {
	if raw == nil || isNull(raw) {
		return nil
	}
	var filters map[string]json.RawMessage
	if json.Unmarshal(raw, &filters) != nil {
		bad("filters", "invalid_type", "Expected object, received "+jsonType(raw))
		return nil
	}
	out := map[string]filterParam{}
	for _, k := range slices.Sorted(maps.Keys(filters)) {
		if !slices.Contains(filterFields, k) {
			bad("filters."+k, "invalid_enum_value", "Invalid enum value. Expected one of the filter fields, received '"+k+"'")
			continue
		}
		p, ok := parseFilterParam(filters[k], 2)
		if !ok {
			bad("filters."+k, "invalid_union", "Invalid input")
			continue
		}
		out[k] = p
	}
	return out
}

var errMissing = &dateError{"missing"}

type dateError struct{ s string }

func (e *dateError) Error() string { return e.s }

// dateValue reads a flexible date: epoch ms, or a string Date.parse takes.
func dateValue(raw json.RawMessage) (int64, error) {
	if raw == nil || isNull(raw) {
		return 0, errMissing
	}
	if n, ok := number(raw); ok {
		return int64(n), nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return 0, &dateError{"not a date"}
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UnixMilli(), nil
		}
	}
	return 0, &dateError{"not a date"}
}

func number(raw json.RawMessage) (float64, bool) {
	if jsonType(raw) != "number" {
		return 0, false
	}
	var n json.Number
	if json.Unmarshal(raw, &n) != nil {
		return 0, false
	}
	f, err := strconv.ParseFloat(n.String(), 64)
	return f, err == nil
}

func isNull(raw json.RawMessage) bool { return strings.TrimSpace(string(raw)) == "null" }

// jsonType names a JSON value's type the way zod does.
func jsonType(raw json.RawMessage) string {
	s := strings.TrimSpace(string(raw))
	switch {
	case s == "null":
		return "null"
	case s == "true" || s == "false":
		return "boolean"
	case strings.HasPrefix(s, `"`):
		return "string"
	case strings.HasPrefix(s, "["):
		return "array"
	case strings.HasPrefix(s, "{"):
		return "object"
	}
	return "number"
}

// legacyValidationBody is what fromZodError makes of the violations on the
// legacy route: one sentence, issues joined by "; ".
func legacyValidationBody(vs []violation) []byte {
	parts := make([]string, 0, len(vs))
	for _, v := range vs {
		p := v.message
		if v.field != "(root)" {
			p += ` at "` + v.field + `"`
		}
		parts = append(parts, p)
	}
	return marshal(map[string]string{"error": "Validation error: " + strings.Join(parts, "; ")})
}

// validationBody is the 422 validation_error of the successor route.
func validationBody(vs []violation) []byte {
	type meta struct {
		Field    string `json:"field"`
		Type     string `json:"type"`
		Message  string `json:"message"`
		Expected any    `json:"expected,omitempty"`
	}
	type reason struct {
		Code       string `json:"code"`
		Kind       string `json:"kind"`
		Meta       meta   `json:"meta"`
		HTTPStatus int    `json:"httpStatus"`
		Reasons    []any  `json:"reasons"`
	}
	fields := make([]string, 0, len(vs))
	reasons := make([]reason, 0, len(vs))
	for _, v := range vs {
		fields = append(fields, v.field)
		reasons = append(reasons, reason{Code: "schema_failure", Kind: "schema_failure", HTTPStatus: 422, Reasons: []any{},
			Meta: meta{Field: v.field, Type: v.typ, Message: v.message, Expected: v.expected}})
	}
	return marshal(struct {
		Error   string   `json:"error"`
		Message string   `json:"message"`
		Target  string   `json:"target"`
		Fields  []string `json:"fields"`
		Fault   string   `json:"fault"`
		Reasons []reason `json:"reasons"`
	}{"validation_error", "The request body didn't match the expected shape.", "json", fields, "customer", reasons})
}
