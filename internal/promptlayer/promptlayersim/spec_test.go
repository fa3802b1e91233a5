package promptlayersim

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// specPath is PromptLayer's OpenAPI document, kept next to the repository
// (../shared/specs, see its README).
var specPath = filepath.Join("..", "..", "..", "..", "shared", "specs", "promptlayer-openapi.json")

// schemaChecker validates JSON values against the OpenAPI 3.1 schemas of
// the spec: $ref, type (and nullable), enum, const, properties, required,
// additionalProperties, items, allOf, anyOf, oneOf, minimum, maximum and
// format date-time. oneOf is checked as anyOf: the spec's 422 answer is
// oneOf [HTTPValidationError, ErrorResponse], and ErrorResponse (nothing
// required, additional properties allowed) matches every FastAPI body too.
type schemaChecker struct {
	spec map[string]any
	// nullable names members that the vendor serves as null although the
	// spec types them otherwise (specs README, PromptLayer error 1: price).
	nullable map[string]bool
	// optional names required members the vendor's older shape lacks
	// (specs README, PromptLayer error 2: the serializer has no top-level
	// trace_id).
	optional map[string]bool
}

func loadSpec(t *testing.T) *schemaChecker {
	t.Helper()
	raw, err := os.ReadFile(specPath)
	if os.IsNotExist(err) {
		t.Skipf("PromptLayer's OpenAPI document is not at %s", specPath)
	}
	require.NoError(t, err)
	c := &schemaChecker{nullable: map[string]bool{"price": true}, optional: map[string]bool{}}
	require.NoError(t, json.Unmarshal(raw, &c.spec))
	return c
}

// response returns the schema of an answer.
func (c *schemaChecker) response(path, method string, status int) (any, error) {
	op, ok := dig(c.spec, "paths", path, strings.ToLower(method)).(map[string]any)
	if !ok {
		return nil, fmt.Errorf("no operation %s %s", method, path)
	}
	resp := dig(op, "responses", strconv.Itoa(status))
	if resp == nil {
		return nil, fmt.Errorf("%s %s: status %d is not documented", method, path, status)
	}
	resp = c.resolve(resp)
	schema := dig(resp, "content", "application/json", "schema")
	if schema == nil {
		return nil, fmt.Errorf("%s %s %d: no JSON schema", method, path, status)
	}
	return schema, nil
}

func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

func (c *schemaChecker) resolve(s any) any {
	for range 10 {
		m, ok := s.(map[string]any)
		if !ok {
			return s
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return s
		}
		parts := strings.Split(strings.TrimPrefix(ref, "#/"), "/")
		s = dig(c.spec, parts...)
	}
	return s
}

// check returns every violation of value against schema, at path.
func (c *schemaChecker) check(schema, value any, path string) []string {
	s, _ := c.resolve(schema).(map[string]any)
	if s == nil {
		return nil
	}
	var errs []string
	fail := func(format string, args ...any) { errs = append(errs, path+": "+fmt.Sprintf(format, args...)) }
	name := path[strings.LastIndexByte(path, '.')+1:]
	if value == nil && (s["nullable"] == true || c.nullable[name]) {
		return nil
	}
	if t, ok := s["type"]; ok && !typeMatches(t, value) {
		fail("type %v, got %T %v", t, value, value)
		return errs
	}
	if e, ok := s["enum"].([]any); ok && !slices.ContainsFunc(e, func(x any) bool { return x == value }) && (value != nil || !slices.Contains(e, nil)) {
		fail("not in enum %v: %v", e, value)
	}
	if cv, ok := s["const"]; ok && cv != value {
		fail("want const %v, got %v", cv, value)
	}
	errs = append(errs, c.checkNumber(s, value, path)...)
	if f, _ := s["format"].(string); f == "date-time" {
		if str, ok := value.(string); ok {
			if _, err := time.Parse(time.RFC3339Nano, str); err != nil {
				fail("not an RFC 3339 date-time: %q", str)
			}
		}
	}
	for _, sub := range anyList(s["allOf"]) {
		errs = append(errs, c.check(sub, value, path)...)
	}
	for _, key := range []string{"anyOf", "oneOf"} {
		if alts := anyList(s[key]); len(alts) > 0 && !slices.ContainsFunc(alts, func(a any) bool { return len(c.check(a, value, path)) == 0 }) {
			fail("matches none of %s", key)
		}
	}
	switch v := value.(type) {
	case map[string]any:
		errs = append(errs, c.checkObject(s, v, path)...)
	case []any:
		if items, ok := s["items"]; ok {
			for i, e := range v {
				errs = append(errs, c.check(items, e, path+"["+strconv.Itoa(i)+"]")...)
			}
		}
	}
	return errs
}

func (c *schemaChecker) checkNumber(s map[string]any, value any, path string) []string {
	f, ok := value.(float64)
	if !ok {
		return nil
	}
	var errs []string
	if lo, ok := s["minimum"].(float64); ok && f < lo {
		errs = append(errs, fmt.Sprintf("%s: %v below minimum %v", path, f, lo))
	}
	if hi, ok := s["maximum"].(float64); ok && f > hi {
		errs = append(errs, fmt.Sprintf("%s: %v above maximum %v", path, f, hi))
	}
	return errs
}

func (c *schemaChecker) checkObject(s map[string]any, v map[string]any, path string) []string {
	var errs []string
	props, _ := s["properties"].(map[string]any)
	for _, r := range anyList(s["required"]) {
		k := r.(string)
		if _, ok := v[k]; !ok && !c.optional[k] {
			errs = append(errs, path+": missing required "+k)
		}
	}
	for k, val := range v {
		if ps, ok := props[k]; ok {
			errs = append(errs, c.check(ps, val, path+"."+k)...)
			continue
		}
		switch ap := s["additionalProperties"].(type) {
		case bool:
			if !ap {
				errs = append(errs, path+": unexpected member "+k)
			}
		case map[string]any:
			errs = append(errs, c.check(ap, val, path+"."+k)...)
		}
	}
	return errs
}

func anyList(v any) []any {
	l, _ := v.([]any)
	return l
}

func typeMatches(t, value any) bool {
	if list, ok := t.([]any); ok {
		return slices.ContainsFunc(list, func(x any) bool { return typeMatches(x, value) })
	}
	switch t {
	case "string":
		_, ok := value.(string)
		return ok
	case "number":
		_, ok := value.(float64)
		return ok
	case "integer":
		f, ok := value.(float64)
		return ok && f == math.Trunc(f)
	case "boolean":
		_, ok := value.(bool)
		return ok
	case "array":
		_, ok := value.([]any)
		return ok
	case "object":
		_, ok := value.(map[string]any)
		return ok
	case "null":
		return value == nil
	}
	return true
}

// TestAnswersValidateAgainstTheSpec: every kind of answer the part gives
// validates against PromptLayer's OpenAPI document, except where the specs
// README says the document is wrong (price null; no top-level trace_id in
// the older trace shape).
func TestAnswersValidateAgainstTheSpec(t *testing.T) {
	spec := loadSpec(t)
	w := newWorld(t, sim.DatasetConfig{Seed: 11, Traces: 40, Interval: 10 * time.Second, Origin: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)}, &Part{SearchLimit: 12})
	checked := 0
	expect := func(specPath, method, path, body string, status int) {
		t.Helper()
		got, _, ans := w.do(method, path, body)
		require.Equal(t, status, got, "%s %s: %s", method, path, ans)
		schema, err := spec.response(specPath, method, status)
		require.NoError(t, err)
		var v any
		require.NoError(t, json.Unmarshal([]byte(ans), &v))
		assert.Empty(t, spec.check(schema, v, "$"), "%s %s %d", method, path, status)
		checked++
	}
	const search, request, trace = "/api/public/v2/requests/search", "/api/public/v2/requests/{request_id}", "/api/public/v2/traces/{trace_id}"

	// Right after the last trace's spans arrived, recent prices are null.
	last := w.data.Trace(w.data.Len() - 1)
	info := w.part.newTraceInfo(&last)
	w.clock.Set(info.logs[len(info.logs)-1].visible)
	for n := 1; n <= 5; n++ {
		expect(search, "POST", searchPath, between(w.data.StartOf(0), w.clock.Now(), "desc", n, 25), 200)
	}
	expect(search, "POST", searchPath, `{}`, 200)
	for i := range w.data.Len() {
		tr := w.data.Trace(i)
		info := w.part.newTraceInfo(&tr)
		for _, l := range info.logs {
			if !l.visible.After(w.clock.Now()) {
				expect(request, "GET", fmt.Sprintf("/api/public/v2/requests/%d", l.id), "", 200)
			}
		}
		if info.untraced {
			continue
		}
		spec.optional["trace_id"] = info.shape == ShapeSerializer
		expect(trace, "GET", "/api/public/v2/traces/"+hex.EncodeToString(tr.ID[:]), "", 200)
		spec.optional["trace_id"] = false
	}
	expect(search, "POST", searchPath, `{"per_page":26}`, 422)
	expect(search, "POST", searchPath, `{"sort_order":"desc"}`, 422)
	expect(search, "POST", searchPath, `{"filter_group":{"filters":[{"field":"tags","operator":"key_equals","value":"x"}]}}`, 400)
	expect(request, "GET", "/api/public/v2/requests/abc", "", 422)
	expect(request, "GET", "/api/public/v2/requests/5", "", 404)
	expect(trace, "GET", "/api/public/v2/traces/"+strings.Repeat("ab", 16), "", 404)
	for range 12 {
		if got, _, _ := w.do("POST", searchPath, `{}`); got == http.StatusTooManyRequests {
			break
		}
	}
	expect(search, "POST", searchPath, `{}`, 429)
	status, _, ans := w.do("POST", searchPath, `{}`, "bad-key")
	require.Equal(t, 401, status)
	schema, err := spec.response(search, "POST", 401)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal([]byte(ans), &v))
	assert.Empty(t, spec.check(schema, v, "$"))
	t.Logf("%d answers validated", checked+1)
	assert.Greater(t, checked, 100)
}

// TestSchemaCheckerFails: the checker is no rubber stamp.
func TestSchemaCheckerFails(t *testing.T) {
	spec := loadSpec(t)
	schema, err := spec.response("/api/public/v2/requests/{request_id}", "GET", 200)
	require.NoError(t, err)
	for _, bad := range []string{
		`{"success":true,"request_id":1}`,                         // prompt_blueprint missing
		`{"success":false,"prompt_blueprint":{},"request_id":1}`,  // success must be true
		`{"success":true,"prompt_blueprint":{},"request_id":1.5}`, // not an integer
		`{"success":true,"prompt_blueprint":[],"request_id":1}`,   // not an object
		`{"success":true,"prompt_blueprint":{},"request_id":1,"request_start_time":"noon"}`,
	} {
		var v any
		require.NoError(t, json.Unmarshal([]byte(bad), &v))
		assert.NotEmpty(t, spec.check(schema, v, "$"), bad)
	}
	schema, err = spec.response("/api/public/v2/requests/search", "POST", 200)
	require.NoError(t, err)
	var v any
	require.NoError(t, json.Unmarshal([]byte(`{"items":[{"id":"7","tags_array":[1]}],"has_next":"no"}`), &v))
	assert.Len(t, spec.check(schema, v, "$"), 3)
}
