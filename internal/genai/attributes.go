// Package genai holds the OpenTelemetry GenAI semantic convention names the
// receiver emits (open-telemetry/semantic-conventions-genai, Development
// status; the collector's semconv Go packages lag behind, so the names are
// defined here), the deprecated names vendors still send, provider-name
// normalisation, and builders for the structured gen_ai.input.messages /
// gen_ai.output.messages JSON.
package genai

// Span attribute names of the current GenAI semantic conventions.
const (
	// ProviderName is the GenAI provider ("openai", "aws.bedrock", ...); see
	// NormalizeProvider. Replaces SystemDeprecated.
	ProviderName = "gen_ai.provider.name"
	// OperationName is the operation performed; one of the Op* values.
	OperationName = "gen_ai.operation.name"
	// RequestModel is the model name requested by the client.
	RequestModel = "gen_ai.request.model"
	// ResponseModel is the model name that produced the response.
	ResponseModel = "gen_ai.response.model"
	// ResponseID is the provider's completion id (e.g. "chatcmpl-123").
	ResponseID = "gen_ai.response.id"
	// ResponseFinishReasons is a string array, one reason per choice.
	ResponseFinishReasons = "gen_ai.response.finish_reasons"
	// ResponseTimeToFirstChunk is the streaming time to first chunk, seconds (double).
	ResponseTimeToFirstChunk = "gen_ai.response.time_to_first_chunk"
	// OutputType is the requested output modality ("text", "json", "image", ...).
	OutputType = "gen_ai.output.type"

	// UsageInputTokens is the input (prompt) token count, cached tokens included.
	UsageInputTokens = "gen_ai.usage.input_tokens"
	// UsageOutputTokens is the output token count, reasoning tokens included.
	UsageOutputTokens = "gen_ai.usage.output_tokens"
	// UsageCacheReadInputTokens is the number of input tokens served from a provider cache.
	UsageCacheReadInputTokens = "gen_ai.usage.cache_read.input_tokens"
	// UsageCacheWriteInputTokens is the number of input tokens written to a
	// provider cache (renamed from UsageCacheCreationInputTokensDeprecated).
	UsageCacheWriteInputTokens = "gen_ai.usage.cache_write.input_tokens"
	// UsageReasoningOutputTokens is the number of output tokens spent on reasoning.
	UsageReasoningOutputTokens = "gen_ai.usage.reasoning.output_tokens"

	// RequestTemperature is the sampling temperature (double).
	RequestTemperature = "gen_ai.request.temperature"
	// RequestTopP is the nucleus sampling setting (double).
	RequestTopP = "gen_ai.request.top_p"
	// RequestTopK is the top-k sampling setting.
	RequestTopK = "gen_ai.request.top_k"
	// RequestMaxTokens is the maximum number of tokens to generate (int).
	RequestMaxTokens = "gen_ai.request.max_tokens"
	// RequestFrequencyPenalty is the frequency penalty (double).
	RequestFrequencyPenalty = "gen_ai.request.frequency_penalty"
	// RequestPresencePenalty is the presence penalty (double).
	RequestPresencePenalty = "gen_ai.request.presence_penalty"
	// RequestStopSequences is a string array of stop sequences.
	RequestStopSequences = "gen_ai.request.stop_sequences"
	// RequestSeed is the sampling seed (int).
	RequestSeed = "gen_ai.request.seed"
	// RequestStream tells whether the request was streamed (bool).
	RequestStream = "gen_ai.request.stream"
	// RequestChoiceCount is the number of candidate completions requested (int).
	RequestChoiceCount = "gen_ai.request.choice.count"

	// ConversationID identifies the conversation (session, thread).
	ConversationID = "gen_ai.conversation.id"
	// InputMessages is the chat history sent to the model (structured JSON; see MessagesJSON).
	InputMessages = "gen_ai.input.messages"
	// OutputMessages is the messages returned by the model, one per choice.
	OutputMessages = "gen_ai.output.messages"
	// SystemInstructions is the system prompt given separately from the chat
	// history: a JSON array of parts (see PartsJSON).
	SystemInstructions = "gen_ai.system_instructions"
	// ToolDefinitions is the list of tool definitions available to the model.
	ToolDefinitions = "gen_ai.tool.definitions"
	// PromptName is the name of a managed prompt template.
	PromptName = "gen_ai.prompt.name"

	// ToolName is the name of the tool executed (execute_tool spans).
	ToolName = "gen_ai.tool.name"
	// ToolCallID is the tool call id.
	ToolCallID = "gen_ai.tool.call.id"
	// ToolType is the tool type ("function", "extension", "datastore").
	ToolType = "gen_ai.tool.type"
	// ToolDescription is the tool description.
	ToolDescription = "gen_ai.tool.description"
	// ToolCallArguments is the parameters passed to the tool (object, or JSON string).
	ToolCallArguments = "gen_ai.tool.call.arguments"
	// ToolCallResult is the tool's result (object, or JSON string).
	ToolCallResult = "gen_ai.tool.call.result"

	// AgentName is the human-readable agent name.
	AgentName = "gen_ai.agent.name"
	// AgentID is the agent's unique id.
	AgentID = "gen_ai.agent.id"
	// AgentDescription is the agent's free-form description.
	AgentDescription = "gen_ai.agent.description"
	// AgentVersion is the agent's version.
	AgentVersion = "gen_ai.agent.version"
	// DataSourceID identifies the data source of a retrieval span.
	DataSourceID = "gen_ai.data_source.id"

	// ErrorType is the low-cardinality error class on failed operations.
	ErrorType = "error.type"
	// ErrorTypeOther is the ErrorType fallback value when no class is known.
	ErrorTypeOther = "_OTHER"
	// UserID is the end user's id.
	UserID = "user.id"
	// ServerAddress is the GenAI server host name.
	ServerAddress = "server.address"
	// ServerPort is the GenAI server port.
	ServerPort = "server.port"
)

// Deprecated or non-standard names that vendors still send. Translators read
// them and emit the current names instead (except UsageTotalTokens, which
// has no current equivalent and is kept as-is).
const (
	// SystemDeprecated is the deprecated provider attribute; use ProviderName.
	SystemDeprecated = "gen_ai.system"
	// UsagePromptTokensDeprecated is the old name of UsageInputTokens.
	UsagePromptTokensDeprecated = "gen_ai.usage.prompt_tokens"
	// UsageCompletionTokensDeprecated is the old name of UsageOutputTokens.
	UsageCompletionTokensDeprecated = "gen_ai.usage.completion_tokens"
	// UsageCacheCreationInputTokensDeprecated is the old name of UsageCacheWriteInputTokens.
	UsageCacheCreationInputTokensDeprecated = "gen_ai.usage.cache_creation.input_tokens"
	// UsageTotalTokens is not in the conventions but widely sent; kept as-is.
	UsageTotalTokens = "gen_ai.usage.total_tokens"
	// PromptDeprecated carried the prompt (often a JSON string of chat messages); removed.
	PromptDeprecated = "gen_ai.prompt"
	// CompletionDeprecated carried the completion (often a JSON string of chat messages); removed.
	CompletionDeprecated = "gen_ai.completion"
	// OpenAIRequestSeedDeprecated is the old name of RequestSeed.
	OpenAIRequestSeedDeprecated = "gen_ai.openai.request.seed"
)

// Well-known values of OperationName.
const (
	// OpChat is a chat completion (span name "chat {model}").
	OpChat = "chat"
	// OpTextCompletion is a legacy text completion.
	OpTextCompletion = "text_completion"
	// OpGenerateContent is a multimodal content generation (Gemini style).
	OpGenerateContent = "generate_content"
	// OpEmbeddings is an embeddings request.
	OpEmbeddings = "embeddings"
	// OpRetrieval is a retrieval from a data source.
	OpRetrieval = "retrieval"
	// OpExecuteTool is a tool execution (span name "execute_tool {tool}").
	OpExecuteTool = "execute_tool"
	// OpCreateAgent is an agent creation.
	OpCreateAgent = "create_agent"
	// OpInvokeAgent is an agent invocation (span name "invoke_agent {agent}").
	OpInvokeAgent = "invoke_agent"
	// OpInvokeWorkflow is a workflow invocation.
	OpInvokeWorkflow = "invoke_workflow"
)

// Exception attributes and event name used to record errors on spans.
const (
	// ExceptionEventName is the span event name for a recorded exception.
	ExceptionEventName = "exception"
	// ExceptionType is the exception class name.
	ExceptionType = "exception.type"
	// ExceptionMessage is the exception message.
	ExceptionMessage = "exception.message"
	// ExceptionStacktrace is the exception stack trace as a string.
	ExceptionStacktrace = "exception.stacktrace"
)
