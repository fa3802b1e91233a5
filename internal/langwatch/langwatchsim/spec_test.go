package langwatchsim

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// spec is the subset of LangWatch's OpenAPI document that describes the
// trace read API's answers (testdata/openapi-trace-reads.json).
type spec struct {
	doc map[string]any
}

func loadSpec(t *testing.T) *spec {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "openapi-trace-reads.json"))
	require.NoError(t, err)
	var doc map[string]any
	require.NoError(t, json.Unmarshal(raw, &doc))
	return &spec{doc: doc}
}

// knownErrors are the places where the specs README says the spec is wrong
// (the answer follows LangWatch's code there), as paths in the answer.
var knownErrors = map[string]string{
	"traces[].error":       "README LangWatch #2: Trace.error is an ErrorCapture object, not a string",
	"spans[].input.value":  "README LangWatch #4: a typed value's value follows its type",
	"spans[].output.value": "README LangWatch #4",
}

// check validates an answer of method path with status against the
// operation's response schema and returns the violations.
func (s *spec) check(path, method string, status int, body []byte) []string {
	op := s.doc["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	resp, ok := op["responses"].(map[string]any)[fmt.Sprint(status)].(map[string]any)
	if !ok {
		return []string{fmt.Sprintf("status %d is not documented", status)}
	}
	schema := resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var out []string
	s.validate(schema, v, "", &out)
	return out
}

// validate checks the subset of JSON Schema the document uses: $ref, type
// (with OpenAPI 3.0's nullable), properties, required, items, anyOf, enum.
// A null is accepted for any member the schema does not require (README
// LangWatch #3: the legacy schemas leave out the nulls LangWatch's types
// allow).
func (s *spec) validate(schema map[string]any, v any, at string, out *[]string) {
	if ref, ok := schema["$ref"].(string); ok {
		name := ref[strings.LastIndex(ref, "/")+1:]
		schema = s.doc["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
	}
	if _, known := knownErrors[generic(at)]; known {
		return
	}
	if alts, ok := schema["anyOf"].([]any); ok {
		for _, alt := range alts {
			var sub []string
			s.validate(alt.(map[string]any), v, at, &sub)
			if len(sub) == 0 {
				return
			}
		}
		*out = append(*out, at+": matches no anyOf alternative")
		return
	}
	if v == nil {
		return
	}
	if enum, ok := schema["enum"].([]any); ok && !slices.Contains(enum, v) {
		*out = append(*out, fmt.Sprintf("%s: %v is not one of %v", at, v, enum))
	}
	if typ, ok := schema["type"]; ok && !typeMatches(typ, v) {
		*out = append(*out, fmt.Sprintf("%s: %v is not of type %v", at, v, typ))
		return
	}
	switch x := v.(type) {
	case map[string]any:
		for _, r := range asSlice(schema["required"]) {
			if _, ok := x[r.(string)]; !ok {
				*out = append(*out, at+"."+r.(string)+": required")
			}
		}
		props, _ := schema["properties"].(map[string]any)
		for k, pv := range x {
			if ps, ok := props[k].(map[string]any); ok {
				s.validate(ps, pv, at+"."+k, out)
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for _, e := range x {
				s.validate(items, e, at+"[]", out)
			}
		}
	}
}

func typeMatches(typ any, v any) bool {
	for _, t := range asSlice(typ) {
		switch t {
		case "object":
			if _, ok := v.(map[string]any); ok {
				return true
			}
		case "array":
			if _, ok := v.([]any); ok {
				return true
			}
		case "string":
			if _, ok := v.(string); ok {
				return true
			}
		case "boolean":
			if _, ok := v.(bool); ok {
				return true
			}
		case "number":
			if _, ok := v.(float64); ok {
				return true
			}
		case "integer":
			if f, ok := v.(float64); ok && f == math.Trunc(f) {
				return true
			}
		case "null":
			return v == nil
		}
	}
	return false
}

func asSlice(v any) []any {
	switch x := v.(type) {
	case []any:
		return x
	case nil:
		return nil
	}
	return []any{v}
}

// generic turns ".traces[].spans[].input.value" into the knownErrors form.
func generic(at string) string {
	at = strings.TrimPrefix(at, ".")
	for _, root := range []string{"traces[].spans[]", "spans[]", "traces[].evaluations[]", "evaluations[]"} {
		if rest, ok := strings.CutPrefix(at, root); ok {
			return strings.TrimPrefix(root, "traces[].") + rest
		}
	}
	return at
}

// TestSpecCheckCatches makes sure the check above can fail.
func TestSpecCheckCatches(t *testing.T) {
	s := loadSpec(t)
	for _, bad := range []string{
		`{"traces":[]}`,
		`{"traces":{},"pagination":{"totalHits":1}}`,
		`{"traces":[],"pagination":{"totalHits":"many"}}`,
		`{"traces":[],"pagination":{"totalHits":1,"updatedThrough":"now"}}`,
	} {
		require.NotEmpty(t, s.check("/api/traces/search", "post", 200, []byte(bad)), bad)
	}
	require.Empty(t, s.check("/api/traces/search", "post", 200, []byte(`{"traces":[{}],"pagination":{"totalHits":1,"scrollId":"x","updatedThrough":5}}`)))
	require.NotEmpty(t, s.check("/api/traces/search", "post", 422, []byte(`{"message":"no error member"}`)))
	require.NotEmpty(t, s.check("/api/trace/{id}", "get", 200, []byte(`{"spans":[{"timestamps":{"started_at":1.5}}]}`)))
	require.NotEmpty(t, s.check("/api/trace/search", "post", 200, []byte(`{"traces":[{"timestamps":{"updated_at":"x"}}]}`)))
	require.NotEmpty(t, s.check("/api/trace/search", "post", 201, []byte(`{}`)), "undocumented status")
}
