package promptlayersim

import (
	"encoding/hex"
	"net/http"
	"slices"
	"time"

	"github.com/llmtrace/llmtrace/internal/genai"
	"github.com/llmtrace/llmtrace/internal/sim"
)

// Spellings of kinds and status codes per shape and ingest path: the
// serializer stores Python's str() of the SDK enums (the SDK exporter sent
// str(span.kind)), the newer shape the OTLP enum names (OTLP ingest) or the
// bare names (PromptLayer's SDK).
func kindText(k sim.SpanKind, shape Shape, path ingest) string {
	name := "INTERNAL"
	switch k {
	case sim.KindLLM, sim.KindEmbedding, sim.KindRetrieval:
		name = "CLIENT"
	}
	switch {
	case shape == ShapeSerializer:
		return "SpanKind." + name
	case path == ingestOTel:
		return "SPAN_KIND_" + name
	}
	return name
}

func statusText(failed bool, shape Shape, path ingest) string {
	name := "UNSET"
	if failed {
		name = "ERROR"
	}
	switch {
	case shape == ShapeSerializer:
		return "StatusCode." + name
	case path == ingestOTel:
		return "STATUS_CODE_" + name
	}
	return name
}

type statusJSON struct {
	StatusCode  string  `json:"status_code"`
	Description *string `json:"description"`
}

type resourceJSON struct {
	Attributes map[string]any `json:"attributes"`
	SchemaURL  string         `json:"schema_url"`
}

type contextJSON struct {
	TraceID    string `json:"trace_id"`
	SpanID     string `json:"span_id"`
	TraceState string `json:"trace_state"`
}

type eventJSON struct {
	Name       string         `json:"name"`
	Timestamp  any            `json:"timestamp"`
	Attributes map[string]any `json:"attributes"`
}

// serializerSpan is a span of the first spec's serializer.
type serializerSpan struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	TraceID      string         `json:"trace_id"`
	SpanID       string         `json:"span_id"`
	ParentID     *string        `json:"parent_id"`
	Start        string         `json:"start"`
	End          *string        `json:"end"`
	Attributes   map[string]any `json:"attributes"`
	Resource     resourceJSON   `json:"resource"`
	Context      contextJSON    `json:"context"`
	Kind         string         `json:"kind"`
	Status       statusJSON     `json:"status"`
	Events       []eventJSON    `json:"events"`
	Links        []any          `json:"links"`
	RequestLogID *int64         `json:"request_log_id"`
}

// exampleSpan is a span of the current spec's example, with the members the
// example leaves out.
type exampleSpan struct {
	ID           int64          `json:"id"`
	Name         string         `json:"name"`
	SpanID       string         `json:"span_id"`
	ParentID     *string        `json:"parent_id"`
	RequestLogID *int64         `json:"request_log_id"`
	StartTime    string         `json:"start_time"`
	EndTime      *string        `json:"end_time"`
	Kind         string         `json:"kind"`
	Status       statusJSON     `json:"status"`
	Attributes   map[string]any `json:"attributes"`
	Resource     resourceJSON   `json:"resource"`
	Events       []eventJSON    `json:"events"`
	Links        []any          `json:"links"`
}

// trace answers GET /api/public/v2/traces/{trace_id}: the spans PromptLayer
// holds at now, in the order they arrived.
func (h *handler) trace(w http.ResponseWriter, idText string) {
	var id [16]byte
	if n, err := hex.Decode(id[:], []byte(idText)); err != nil || n != 16 || len(idText) != 32 {
		writeJSON(w, http.StatusNotFound, []byte(bodyTraceNotFound))
		return
	}
	now := h.env.Now()
	info, ok := h.index.trace(id, now)
	if !ok {
		writeJSON(w, http.StatusNotFound, []byte(bodyTraceNotFound))
		return
	}
	tr := h.env.Data.Trace(info.i)
	res := h.part.resource(&tr)
	order := make([]int, 0, len(tr.Spans))
	for k := range tr.Spans {
		if !info.appear[k].After(now) {
			order = append(order, k)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return info.appear[a].Compare(info.appear[b]) })
	hexID := hex.EncodeToString(tr.ID[:])
	if info.shape == ShapeSerializer {
		spans := make([]serializerSpan, 0, len(order))
		for _, k := range order {
			spans = append(spans, serializer(&tr, info, k, hexID, res))
		}
		writeJSON(w, http.StatusOK, marshal(map[string]any{"success": true, "spans": spans}))
		return
	}
	spans := make([]exampleSpan, 0, len(order))
	for _, k := range order {
		spans = append(spans, example(&tr, info, k, res))
	}
	writeJSON(w, http.StatusOK, marshal(map[string]any{"success": true, "trace_id": hexID, "spans": spans}))
}

func serializer(tr *sim.Trace, info *traceInfo, k int, hexID string, res resourceJSON) serializerSpan {
	s := &tr.Spans[k]
	spanID := hex.EncodeToString(s.ID[:])
	end := pyISO(s.End)
	out := serializerSpan{
		ID: spanRowBase + int64(tr.Index)*idStride + int64(k), Name: s.Name, TraceID: hexID, SpanID: spanID,
		ParentID: parentText(s), Start: pyISO(s.Start), End: &end,
		Attributes: attributes(s, info.ingest), Resource: res,
		Context: contextJSON{TraceID: hexID, SpanID: spanID, TraceState: "[]"},
		Kind:    kindText(s.Kind, ShapeSerializer, info.ingest),
		Status:  status(s, ShapeSerializer, info.ingest),
		Events:  events(s, func(t time.Time) any { return t.UnixNano() }),
		Links:   []any{},
	}
	if l := info.log(k); l != nil {
		out.RequestLogID = &l.id
	}
	return out
}

func example(tr *sim.Trace, info *traceInfo, k int, res resourceJSON) exampleSpan {
	s := &tr.Spans[k]
	end := s.End.UTC().Format(isoZ)
	out := exampleSpan{
		ID: spanRowBase + int64(tr.Index)*idStride + int64(k), Name: s.Name, SpanID: hex.EncodeToString(s.ID[:]),
		ParentID: parentText(s), StartTime: s.Start.UTC().Format(isoZ), EndTime: &end,
		Kind:       kindText(s.Kind, ShapeExample, info.ingest),
		Status:     status(s, ShapeExample, info.ingest),
		Attributes: attributes(s, info.ingest), Resource: res,
		Events: events(s, func(t time.Time) any { return t.UTC().Format(isoZ) }),
		Links:  []any{},
	}
	if l := info.log(k); l != nil {
		out.RequestLogID = &l.id
	}
	return out
}

func parentText(s *sim.Span) *string {
	if s.ParentID.IsEmpty() {
		return nil
	}
	p := hex.EncodeToString(s.ParentID[:])
	return &p
}

func status(s *sim.Span, shape Shape, path ingest) statusJSON {
	st := statusJSON{StatusCode: statusText(s.Error != nil, shape, path)}
	if s.Error != nil {
		st.Description = &s.Error.Message
	}
	return st
}

// events are the exception event an SDK records for a failed span.
func events(s *sim.Span, stamp func(time.Time) any) []eventJSON {
	if s.Error == nil {
		return []eventJSON{}
	}
	return []eventJSON{{
		Name:      genai.ExceptionEventName,
		Timestamp: stamp(s.End),
		Attributes: map[string]any{
			genai.ExceptionType:       s.Error.Type,
			genai.ExceptionMessage:    s.Error.Message,
			genai.ExceptionStacktrace: s.Error.Stacktrace,
			"exception.escaped":       "False",
		},
	}}
}

// attributes are what the span's instrumentation recorded: GenAI
// attributes and messages (OpenTelemetry instrumentation), or PromptLayer's
// SDK's function_* attributes.
func attributes(s *sim.Span, path ingest) map[string]any {
	a := map[string]any{}
	if path == ingestSDK {
		a["function_name"] = s.Name
		a["function_input"] = jsonText(s.Input)
		if s.Output != nil {
			a["function_output"] = jsonText(s.Output)
		}
		if s.Kind == sim.KindLLM || s.Kind == sim.KindEmbedding {
			a["node_type"] = "LLM_CALL"
			a["provider"] = providerType(s.Provider)
		}
	} else {
		for k, v := range s.Attributes {
			a[k] = attributeValue(v)
		}
		putNonEmpty(a, genai.OperationName, s.Operation)
		putNonEmpty(a, genai.ProviderName, s.Provider)
		putNonEmpty(a, genai.RequestModel, s.Model)
		if s.Usage.Input > 0 {
			a[genai.UsageInputTokens] = s.Usage.Input
		}
		if s.Usage.Output > 0 {
			a[genai.UsageOutputTokens] = s.Usage.Output
		}
		if s.Kind == sim.KindLLM {
			if msgs, ok := genai.ChatMessages(s.Input); ok {
				a[genai.InputMessages] = genai.MessagesJSON(msgs)
			}
			if msgs, ok := genai.ChatMessages(s.Output); ok {
				a[genai.OutputMessages] = genai.MessagesJSON(msgs)
			}
		}
	}
	if s.Error != nil {
		a[genai.ErrorType] = s.Error.Type
	}
	return a
}

func putNonEmpty(m map[string]any, k, v string) {
	if v != "" {
		m[k] = v
	}
}

// resource is the resource of a traced trace's spans: the application's
// service (the project of the credentials) and its OpenTelemetry SDK.
func (p *Part) resource(tr *sim.Trace) resourceJSON {
	return resourceJSON{Attributes: resourceAttributes(tr, p.credentials().Project), SchemaURL: ""}
}

func resourceAttributes(tr *sim.Trace, service string) map[string]any {
	a := map[string]any{
		"service.name":           service,
		"telemetry.sdk.language": "python",
		"telemetry.sdk.name":     "opentelemetry",
		"telemetry.sdk.version":  "1.38.0",
	}
	if v, ok := tr.Metadata["app_version"].(string); ok {
		a["service.version"] = v
	}
	if v, ok := tr.Metadata["environment"].(string); ok {
		a["deployment.environment.name"] = v
	}
	return a
}
