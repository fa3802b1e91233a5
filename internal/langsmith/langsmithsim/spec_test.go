package langsmithsim

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/llmtrace/llmtrace/internal/convert"
)

// specPath is LangSmith's served OpenAPI document (../shared/specs).
var specPath = filepath.Join("..", "..", "..", "..", "shared", "specs", "langsmith-platform-openapi.json")

var (
	specOnce sync.Once
	spec     map[string]any
	specErr  error
)

func loadSpec(t *testing.T) map[string]any {
	t.Helper()
	specOnce.Do(func() {
		var b []byte
		if b, specErr = os.ReadFile(specPath); specErr == nil {
			specErr = json.Unmarshal(b, &spec)
		}
	})
	if os.IsNotExist(specErr) {
		t.Skipf("the spec is not at %s", specPath)
	}
	require.NoError(t, specErr)
	return spec
}

// specExceptions are where the spec is wrong (specs/README.md): end_time is
// JSON null while a run or trace is in progress (1), a thread id is any
// string (2), v1 TracerSession times are naive ISO (3).
var specExceptions = map[string]string{
	"query.RunResponse.end_time":             "nullable",
	"threads.ThreadTraceListItem.end_time":   "nullable",
	"query.RunResponse.thread_id":            "any-string",
	"threads.ThreadListItem.thread_id":       "any-string",
	"threads.ThreadTraceListItem.thread_id":  "any-string",
	"TracerSession.start_time":               "naive",
	"TracerSession.last_run_start_time":      "naive",
	"TracerSession.end_time":                 "naive",
	"TracerSession.last_run_start_time_live": "naive",
}

// validator checks a decoded JSON value against a schema of the spec: $ref,
// type, properties, required, additionalProperties, items, enum, format
// (uuid, date-time), allOf, anyOf, minimum and maximum. Patterns are not
// checked (the spec's use lookaheads, which Go's regexp lacks).
type validator struct {
	spec  map[string]any
	diffs []string
}

func (v *validator) bad(path, format string, args ...any) {
	v.diffs = append(v.diffs, path+": "+fmt.Sprintf(format, args...))
}

func (v *validator) resolve(s map[string]any) (map[string]any, string) {
	name := ""
	for s["$ref"] != nil {
		ref := s["$ref"].(string)
		name = strings.TrimPrefix(ref, "#/components/schemas/")
		s = v.spec["components"].(map[string]any)["schemas"].(map[string]any)[name].(map[string]any)
	}
	return s, name
}

func (v *validator) check(val any, schema map[string]any, owner, path string) {
	schema, name := v.resolve(schema)
	if name != "" {
		owner = name
	}
	for _, sub := range list(schema["allOf"]) {
		v.check(val, sub.(map[string]any), owner, path)
	}
	if alts := list(schema["anyOf"]); len(alts) > 0 {
		ok := false
		for _, sub := range alts {
			w := &validator{spec: v.spec}
			w.check(val, sub.(map[string]any), owner, path)
			if len(w.diffs) == 0 {
				ok = true
				break
			}
		}
		if !ok {
			v.bad(path, "matches no anyOf alternative: %v", short(val))
		}
	}
	if !v.checkType(val, schema, path) {
		return
	}
	if enum := list(schema["enum"]); len(enum) > 0 && !slices.Contains(enum, val) {
		v.bad(path, "%v is not one of the enum", val)
	}
	v.checkFormat(val, schema, owner, path)
	v.checkNumber(val, schema, path)
	switch x := val.(type) {
	case map[string]any:
		v.checkObject(x, schema, owner, path)
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, e := range x {
				v.check(e, items, owner, fmt.Sprintf("%s[%d]", path, i))
			}
		}
	}
}

// checkType reports whether val has the schema's type (no type: any).
func (v *validator) checkType(val any, schema map[string]any, path string) bool {
	var types []string
	switch t := schema["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, e := range t {
			types = append(types, e.(string))
		}
	}
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		if hasType(val, t) {
			return true
		}
	}
	v.bad(path, "want %v, got %v", types, short(val))
	return false
}

func hasType(val any, t string) bool {
	switch t {
	case "string":
		_, ok := val.(string)
		return ok
	case "number":
		_, ok := val.(float64)
		return ok
	case "integer":
		f, ok := val.(float64)
		return ok && f == math.Trunc(f)
	case "boolean":
		_, ok := val.(bool)
		return ok
	case "array":
		_, ok := val.([]any)
		return ok
	case "object":
		_, ok := val.(map[string]any)
		return ok
	case "null":
		return val == nil
	}
	return false
}

func (v *validator) checkFormat(val any, schema map[string]any, owner, path string) {
	s, ok := val.(string)
	if !ok {
		return
	}
	exception := specExceptions[owner+"."+lastKey(path)]
	switch schema["format"] {
	case "uuid":
		if _, ok := convert.UUIDBytes(s); !ok && exception != "any-string" {
			v.bad(path, "%q is not a uuid", s)
		}
	case "date-time":
		if _, err := time.Parse(time.RFC3339Nano, s); err != nil {
			if _, err := time.Parse("2006-01-02T15:04:05.999999", s); err != nil || exception != "naive" {
				v.bad(path, "%q is not an RFC 3339 date-time", s)
			}
		}
	}
}

func (v *validator) checkNumber(val any, schema map[string]any, path string) {
	f, ok := val.(float64)
	if !ok {
		return
	}
	if lo, ok := schema["minimum"].(float64); ok && f < lo {
		v.bad(path, "%v below the minimum %v", f, lo)
	}
	if hi, ok := schema["maximum"].(float64); ok && f > hi {
		v.bad(path, "%v above the maximum %v", f, hi)
	}
}

func (v *validator) checkObject(x map[string]any, schema map[string]any, owner, path string) {
	props, _ := schema["properties"].(map[string]any)
	for _, r := range list(schema["required"]) {
		if _, ok := x[r.(string)]; !ok {
			v.bad(path, "required %q missing", r)
		}
	}
	for k, e := range x {
		p := path + "." + k
		if ps, ok := props[k].(map[string]any); ok {
			if e == nil && specExceptions[owner+"."+k] == "nullable" {
				continue
			}
			v.check(e, ps, owner, p)
			continue
		}
		switch ap := schema["additionalProperties"].(type) {
		case map[string]any:
			v.check(e, ap, owner, p)
		case bool:
			if !ap {
				v.bad(p, "not allowed")
			}
		default:
			if props != nil {
				v.bad(p, "not a property of %s", owner)
			}
		}
	}
}

func list(v any) []any {
	l, _ := v.([]any)
	return l
}

func lastKey(path string) string {
	return path[strings.LastIndexByte(path, '.')+1:]
}

func short(v any) string {
	b, _ := json.Marshal(v)
	if len(b) > 80 {
		b = append(b[:80], "..."...)
	}
	return string(b)
}

// responseSchema is the schema of a path's answer with a status.
func responseSchema(t *testing.T, path, method string, status int) map[string]any {
	t.Helper()
	s := loadSpec(t)
	op := s["paths"].(map[string]any)[path].(map[string]any)[method].(map[string]any)
	resp := op["responses"].(map[string]any)[fmt.Sprint(status)].(map[string]any)
	return resp["content"].(map[string]any)["application/json"].(map[string]any)["schema"].(map[string]any)
}

// conform checks an answer body against the spec.
func conform(t *testing.T, body []byte, path, method string, status int) {
	t.Helper()
	var val any
	require.NoError(t, json.Unmarshal(body, &val))
	v := &validator{spec: loadSpec(t)}
	v.check(val, responseSchema(t, path, method, status), "", "$")
	require.Empty(t, v.diffs, "%s %s %d does not conform:\n%s", method, path, status, strings.Join(v.diffs[:min(len(v.diffs), 20)], "\n"))
}

// TestAnswersConformToTheSpec requests every endpoint with every field
// selected, at a time when some runs are pending, some ended, some failed,
// and checks the answers (and the errors) against LangSmith's spec.
func TestAnswersConformToTheSpec(t *testing.T) {
	w := newWorld(t, &Part{})
	w.clock.Set(w.data.StartOf(60).Add(2 * time.Second))
	all := slices.Collect(func(yield func(string) bool) {
		for f := range runSelectFields {
			if !yield(f) {
				return
			}
		}
	})
	tt := slices.Collect(func(yield func(string) bool) {
		for f := range threadTraceSelectFields {
			if !yield(f) {
				return
			}
		}
	})
	pid := ProjectID(testCreds.Project)
	status, body := w.post(tracesQueryPath, map[string]any{"project_id": pid, "selects": all, "min_start_time": timeText(w.data.StartOf(0)), "page_size": 100})
	require.Equal(t, 200, status, string(body))
	conform(t, body, tracesQueryPath, "post", 200)

	states := map[string]int{}
	for i := range 60 {
		id := uuidString(w.idx().info(i).id)
		status, body := w.get(tracesPrefix+id+"/runs", "project_id", pid, "selects", all)
		require.Equal(t, 200, status)
		conform(t, body, "/api/v2/traces/{trace_id}/runs", "get", 200)
		for _, s := range []string{`"PENDING"`, `"ERROR"`, `"SUCCESS"`} {
			states[s] += strings.Count(string(body), `"status":`+s)
		}
	}
	require.Positive(t, states[`"PENDING"`], "some runs pending")
	require.Positive(t, states[`"ERROR"`], "some runs failed")

	status, body = w.post(threadsQueryPath, map[string]any{"project_id": pid, "min_start_time": timeText(w.data.StartOf(0)), "page_size": 100})
	require.Equal(t, 200, status, string(body))
	conform(t, body, threadsQueryPath, "post", 200)
	var threads struct {
		Items []struct {
			ThreadID string `json:"thread_id"`
		}
	}
	require.NoError(t, json.Unmarshal(body, &threads))
	require.NotEmpty(t, threads.Items)
	for _, th := range threads.Items {
		status, body := w.get(threadsPrefix+pathEscape(th.ThreadID)+"/traces", "project_id", pid, "selects", tt)
		require.Equal(t, 200, status, string(body))
		conform(t, body, "/api/v2/threads/{thread_id}/traces", "get", 200)
	}

	status, body = w.post(runsQueryPath, map[string]any{"project_ids": []string{pid}, "selects": all, "min_start_time": timeText(w.data.StartOf(0)), "page_size": 1000})
	require.Equal(t, 200, status, string(body))
	conform(t, body, runsQueryPath, "post", 200)

	status, body = w.get(sessionsPath, "name", testCreds.Project)
	require.Equal(t, 200, status)
	conform(t, body, sessionsPath, "get", 200)

	for _, c := range []struct {
		path   string
		status int
		body   map[string]any
	}{
		{tracesQueryPath, 400, map[string]any{}},
		{tracesQueryPath, 422, map[string]any{"project_id": "not-a-uuid"}},
		{tracesQueryPath, 404, map[string]any{"project_id": ProjectID("other")}},
		{threadsQueryPath, 400, map[string]any{"project_id": pid, "page_size": 101}},
		{runsQueryPath, 400, map[string]any{"project_ids": []string{pid}, "selects": []string{"NOPE"}}},
	} {
		status, body := w.post(c.path, c.body)
		require.Equal(t, c.status, status, string(body))
		conform(t, body, c.path, "post", c.status)
	}
	status, body = w.get(tracesPrefix+uuidString(w.idx().info(0).id)+"/runs", "project_id", pid, "min_start_time", timeText(w.data.StartOf(0)))
	require.Equal(t, 422, status)
	conform(t, body, "/api/v2/traces/{trace_id}/runs", "get", 422)
}
