package genai // import "github.com/llmtrace/llmtrace/internal/genai"

import (
	"strings"

	"go.opentelemetry.io/collector/pdata/pcommon"
	"go.opentelemetry.io/collector/pdata/ptrace"
)

// Content capture is opt-out (capture_content: false): the GenAI semantic
// conventions treat prompts, completions, messages and tool arguments and
// results as sensitive. This is the one list of the attributes that carry
// such content, whatever vendor the span came from: the GenAI names, the
// older names vendors still send, and the raw input/output each vendor's
// conversion keeps. Sizes, token counts, models and timings are not content.
var contentKeys = map[string]bool{
	InputMessages:             true,
	OutputMessages:            true,
	SystemInstructions:        true,
	ToolCallArguments:         true,
	ToolCallResult:            true,
	PromptDeprecated:          true,
	CompletionDeprecated:      true,
	"retrieval.documents":     true, // document contents
	"input.value":             true, // OpenInference
	"output.value":            true,
	"traceloop.entity.input":  true,
	"traceloop.entity.output": true,
	"langchain.inputs":        true, // Langtrace's LangChain instrumentation
	"langchain.outputs":       true,
	"db.query.text":           true, // a retrieval's query is the user's words
	"db.query":                true,
	// Vendors' raw inputs and outputs.
	"opik.input":                  true,
	"opik.output":                 true,
	"langwatch.input":             true,
	"langwatch.output":            true,
	"langwatch.contexts":          true,
	"langwatch.rag.contexts":      true,
	"langwatch.evaluation.inputs": true,
	"langsmith.inputs":            true,
	"langsmith.outputs":           true,
	// PromptLayer's SDK records a traced function's arguments and result
	// (promptlayer_mixins.py) and an evaluation's input and output
	// (evaluations/tracing.py) as span attributes.
	"function_input":  true,
	"function_output": true,
	"eval.input":      true,
	"eval.output":     true,
}

// contentPrefixes are key prefixes under which content is flattened
// (gen_ai.prompt.0.content, llm.prompts.0, ...).
var contentPrefixes = []string{
	PromptDeprecated + ".",
	CompletionDeprecated + ".",
	"llm.prompts",
	"llm.completions",
	"llm.input_messages",
	"llm.output_messages",
}

// IsContentKey reports whether the attribute key carries prompt,
// completion, message or tool content.
func IsContentKey(key string) bool {
	if contentKeys[key] {
		return true
	}
	for _, p := range contentPrefixes {
		if strings.HasPrefix(key, p) {
			return true
		}
	}
	return false
}

// RemoveContent removes every content attribute from the spans of td and
// from their events.
func RemoveContent(td ptrace.Traces) {
	drop := func(k string, _ pcommon.Value) bool { return IsContentKey(k) }
	rss := td.ResourceSpans()
	for i := 0; i < rss.Len(); i++ {
		sss := rss.At(i).ScopeSpans()
		for j := 0; j < sss.Len(); j++ {
			spans := sss.At(j).Spans()
			for k := 0; k < spans.Len(); k++ {
				s := spans.At(k)
				s.Attributes().RemoveIf(drop)
				events := s.Events()
				for e := 0; e < events.Len(); e++ {
					events.At(e).Attributes().RemoveIf(drop)
				}
			}
		}
	}
}
