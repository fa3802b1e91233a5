package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// SpanKind is what a span does in an LLM application.
type SpanKind uint8

// The span kinds of the dataset.
const (
	KindAgent     SpanKind = iota + 1 // an agent run: a loop of LLM calls and tool calls
	KindChain                         // a pipeline step that groups other spans
	KindLLM                           // one chat completion request to a model provider
	KindTool                          // one tool (function) call
	KindRetrieval                     // a vector-store or search-index query
	KindEmbedding                     // one embeddings request to a model provider
	KindGuardrail                     // an input or output check (moderation, PII, ...)
)

var kindNames = [...]string{
	KindAgent:     "agent",
	KindChain:     "chain",
	KindLLM:       "llm",
	KindTool:      "tool",
	KindRetrieval: "retrieval",
	KindEmbedding: "embedding",
	KindGuardrail: "guardrail",
}

// String returns the kind's lower-case name ("llm", "tool", ...).
func (k SpanKind) String() string {
	if int(k) < len(kindNames) && kindNames[k] != "" {
		return kindNames[k]
	}
	return "unknown"
}

// GenAI operation names the dataset uses in Span.Operation.
const (
	OpChat       = genai.OpChat
	OpEmbeddings = genai.OpEmbeddings
	OpRetrieval  = genai.OpRetrieval
	OpTool       = genai.OpExecuteTool
	OpAgent      = genai.OpInvokeAgent
)

// Keys of Span.Attributes. They are the GenAI semantic-convention names where
// one exists, so parts of OTel-native vendors can store them as they are.
// Values are JSON-shaped: string, int, float64, bool, []any, map[string]any.
const (
	AttrRequestTemperature = genai.RequestTemperature            // float64
	AttrRequestMaxTokens   = genai.RequestMaxTokens              // int
	AttrRequestTopP        = genai.RequestTopP                   // float64
	AttrStreaming          = genai.RequestStream                 // bool
	AttrResponseID         = genai.ResponseID                    // string
	AttrResponseModel      = genai.ResponseModel                 // string, the dated model version
	AttrFinishReasons      = genai.ResponseFinishReasons         // []any of string
	AttrToolName           = genai.ToolName                      // string
	AttrToolCallID         = genai.ToolCallID                    // string
	AttrToolType           = genai.ToolType                      // string, "function"
	AttrToolDescription    = genai.ToolDescription               // string
	AttrAgentName          = genai.AgentName                     // string
	AttrDataSourceID       = genai.DataSourceID                  // string, the retrieval index
	AttrReasoningEffort    = "openai.request.reasoning_effort"   // string, o-series models only
	AttrRetrievalTopK      = "retrieval.top_k"                   // int
	AttrRetrievalDocuments = "retrieval.documents"               // []any of {id, content, score}, also in Output
	AttrEmbeddingDimension = "gen_ai.embeddings.dimension.count" // int
	AttrGuardrailName      = "guardrail.name"                    // string
	AttrDBSystem           = "db.system.name"                    // string, the vector store
)

// Trace is one LLM-application trace as the application produced it.
//
// ID is a valid UUIDv7 (RFC 9562): its first 48 bits are the root span's start
// in Unix milliseconds, the version nibble is 7 and the variant bits are 10.
// Vendors that key traces by UUID use it as is; vendors that use OTel ids use
// its 16 bytes. IDs are deterministic from the dataset's seed and the index.
type Trace struct {
	ID pcommon.TraceID
	// Index is the trace's position in its dataset; traces are ordered by
	// root start time.
	Index int
	// ThreadID groups the turns of a conversation ("" when the trace is not
	// part of one); several consecutive traces share it.
	ThreadID string
	// UserID is the application's end user ("" when unknown).
	UserID   string
	Tags     []string
	Metadata map[string]any
	// Spans holds the root first (Trace(i) always; a View only when the root
	// is visible), then its descendants in depth-first creation order.
	// Maps and slices inside spans (Input, Output, Attributes) may be shared
	// between spans of the trace: treat them as read-only.
	Spans []Span
}

// Root returns the root span, or nil when the trace holds no root (a View
// taken before the vendor received the root).
func (tr *Trace) Root() *Span {
	if len(tr.Spans) > 0 && tr.Spans[0].ParentID.IsEmpty() {
		return &tr.Spans[0]
	}
	return nil
}

// CompleteAt is the instant from which the vendor holds the whole trace: every
// span visible and ended. From then on View returns the full trace.
func (tr *Trace) CompleteAt() time.Time {
	var at time.Time
	for i := range tr.Spans {
		s := &tr.Spans[i]
		if s.Visible.After(at) {
			at = s.Visible
		}
		if s.End.After(at) {
			at = s.End
		}
	}
	return at
}

// Span is one operation of a trace.
//
// ID rules: the root span's ID is the last 8 bytes of the trace ID; every other
// span ID is 8 random bytes whose first byte has its top two bits set to 10, so
// any span ID can serve as the last 8 bytes of a UUIDv7 (the Opik simulator
// builds span UUIDs as 48-bit ms of the span start + version 7 + 12 random
// bits + the span ID). Span IDs are unique within a trace.
type Span struct {
	ID pcommon.SpanID
	// ParentID is empty for the root span.
	ParentID pcommon.SpanID
	Name     string
	Kind     SpanKind
	// Start and End have microsecond precision. Children lie within their
	// parent's [Start, End]. In a View, End is zero while the span is still
	// in progress.
	Start, End time.Time
	// Visible is when the vendor has received the span: normally End plus an
	// export delay; for the root of a long-running trace its Start plus a
	// delay (the vendor records the start and learns the end at End).
	Visible time.Time
	// Error is set when the span failed.
	Error *ErrorInfo
	// Model and Provider are set on LLM and embedding spans. Provider uses
	// the gen_ai.provider.name values (openai, anthropic, gcp.gemini,
	// mistral_ai, aws.bedrock, cohere).
	Model, Provider string
	// Operation is the gen_ai.operation.name (Op* constants); empty for
	// chain and guardrail spans, which have none.
	Operation string
	Usage     Usage
	// Cost is the request's price in USD (LLM and embedding spans).
	Cost float64
	// Input and Output are JSON-shaped: for LLM spans []any of chat messages
	// map[string]any{"role", "content"[, "tool_calls", "tool_call_id"]} in
	// the OpenAI format (tool_calls: [{id, type:"function", function:{name,
	// arguments (a JSON string)}}]); for other spans a map[string]any or a
	// string. Output is nil when the span failed.
	Input, Output any
	// Attributes holds the extra request and response details (Attr*
	// constants).
	Attributes map[string]any
}

// Usage is the token usage of an LLM or embedding request.
type Usage struct {
	Input  int // prompt tokens, CacheRead included
	Output int // completion tokens, Reasoning included
	// CacheRead are prompt tokens served from the provider's prompt cache.
	CacheRead int
	// Reasoning are completion tokens spent on hidden reasoning.
	Reasoning int
}

// Total is Input + Output.
func (u Usage) Total() int { return u.Input + u.Output }

// ErrorInfo describes why a span failed.
type ErrorInfo struct {
	Type       string // exception type, e.g. "openai.RateLimitError"
	Message    string
	Stacktrace string // a Python traceback
}

// IsRoot reports whether s is its trace's root.
func (s *Span) IsRoot() bool { return s.ParentID.IsEmpty() }

// VisibleAt reports whether the vendor has received the span at t.
func (s *Span) VisibleAt(t time.Time) bool { return !s.Visible.IsZero() && !s.Visible.After(t) }

// EndedAt reports whether the span has ended at t.
func (s *Span) EndedAt(t time.Time) bool { return !s.End.IsZero() && !s.End.After(t) }
