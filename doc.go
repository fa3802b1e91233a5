//go:generate go tool mdatagen metadata.yaml

// Package llmtracereceiver polls the trace APIs of LLM-observability vendors
// and emits every span they hold, exactly once, as OpenTelemetry traces that
// follow the GenAI semantic conventions.
package llmtracereceiver // import "github.com/llmtrace/llmtrace"
