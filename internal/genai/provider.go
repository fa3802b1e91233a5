package genai

import "strings"

// Well-known values of the ProviderName attribute.
const (
	ProviderOpenAI           = "openai"
	ProviderAnthropic        = "anthropic"
	ProviderAWSBedrock       = "aws.bedrock"
	ProviderAzureAIOpenAI    = "azure.ai.openai"
	ProviderAzureAIInference = "azure.ai.inference"
	ProviderGCPGemini        = "gcp.gemini"
	ProviderGCPVertexAI      = "gcp.vertex_ai"
	ProviderGCPGenAI         = "gcp.gen_ai"
	ProviderCohere           = "cohere"
	ProviderMistralAI        = "mistral_ai"
	ProviderGroq             = "groq"
	ProviderDeepSeek         = "deepseek"
	ProviderPerplexity       = "perplexity"
	ProviderXAI              = "x_ai"
	ProviderIBMWatsonxAI     = "ibm.watsonx.ai"
)

// providerAliases maps normalised spellings (lower case, spaces and dashes
// turned into underscores) to well-known provider names.
var providerAliases = map[string]string{
	"openai": ProviderOpenAI, "open_ai": ProviderOpenAI,

	"anthropic": ProviderAnthropic, "claude": ProviderAnthropic,

	"aws.bedrock": ProviderAWSBedrock, "bedrock": ProviderAWSBedrock, "aws_bedrock": ProviderAWSBedrock,
	"amazon_bedrock": ProviderAWSBedrock, "bedrock_converse": ProviderAWSBedrock, "aws": ProviderAWSBedrock,

	"azure.ai.openai": ProviderAzureAIOpenAI, "azure": ProviderAzureAIOpenAI, "azure_openai": ProviderAzureAIOpenAI,
	"az.ai.openai": ProviderAzureAIOpenAI, "azure.openai": ProviderAzureAIOpenAI, "azureopenai": ProviderAzureAIOpenAI,
	"azure_ai_openai": ProviderAzureAIOpenAI,

	"azure.ai.inference": ProviderAzureAIInference, "az.ai.inference": ProviderAzureAIInference,
	"azure_ai_inference": ProviderAzureAIInference, "azure_inference": ProviderAzureAIInference,
	"azure_ai": ProviderAzureAIInference, "azureai": ProviderAzureAIInference,

	"gcp.gemini": ProviderGCPGemini, "google": ProviderGCPGemini, "gemini": ProviderGCPGemini,
	"google_ai": ProviderGCPGemini, "googleai": ProviderGCPGemini, "google_ai_studio": ProviderGCPGemini,
	"google_gemini": ProviderGCPGemini,

	"gcp.vertex_ai": ProviderGCPVertexAI, "vertexai": ProviderGCPVertexAI, "vertex_ai": ProviderGCPVertexAI,
	"google_vertexai": ProviderGCPVertexAI, "google_vertex_ai": ProviderGCPVertexAI, "vertex": ProviderGCPVertexAI,
	"vertex_ai_beta": ProviderGCPVertexAI, "anthropic_vertexai": ProviderGCPVertexAI,

	"gcp.gen_ai": ProviderGCPGenAI, "google_genai": ProviderGCPGenAI, "google.genai": ProviderGCPGenAI,
	"google_gen_ai": ProviderGCPGenAI,

	"cohere": ProviderCohere,

	"mistral_ai": ProviderMistralAI, "mistral": ProviderMistralAI, "mistralai": ProviderMistralAI,
	"mistral.ai": ProviderMistralAI,

	"groq": ProviderGroq,

	"deepseek": ProviderDeepSeek, "deep_seek": ProviderDeepSeek,

	"perplexity": ProviderPerplexity, "perplexityai": ProviderPerplexity, "perplexity_ai": ProviderPerplexity,
	"pplx": ProviderPerplexity,

	"x_ai": ProviderXAI, "xai": ProviderXAI, "x.ai": ProviderXAI, "grok": ProviderXAI,

	"ibm.watsonx.ai": ProviderIBMWatsonxAI, "watsonx": ProviderIBMWatsonxAI, "watsonx.ai": ProviderIBMWatsonxAI,
	"watsonx_ai": ProviderIBMWatsonxAI, "ibm_watsonx": ProviderIBMWatsonxAI, "ibm_watsonx_ai": ProviderIBMWatsonxAI,
	"ibm": ProviderIBMWatsonxAI,
}

// NormalizeProvider maps a vendor's or a legacy gen_ai.system provider
// spelling to the well-known gen_ai.provider.name value: for example
// "OpenAI" -> "openai", "Anthropic" -> "anthropic", "azure", "azure_openai",
// "az.ai.openai" -> "azure.ai.openai", "bedrock", "AWS Bedrock" ->
// "aws.bedrock", "google", "gemini", "google_ai" -> "gcp.gemini",
// "vertexai", "vertex_ai", "google_vertexai" -> "gcp.vertex_ai",
// "google_genai" -> "gcp.gen_ai", "mistral", "mistralai" -> "mistral_ai",
// "xai", "grok" -> "x_ai", "watsonx" -> "ibm.watsonx.ai". Matching ignores
// case, surrounding spaces, and treats spaces and dashes as underscores.
//
// Unknown values (e.g. "ollama", "together") are returned lower-cased but
// otherwise unchanged, so the result is never empty for a non-empty input.
// (The function is not called ProviderName because that is the attribute
// name constant.)
func NormalizeProvider(system string) string {
	key := strings.TrimSpace(system)
	if key != "" && len(key) <= 32 {
		var buf [32]byte
		b := buf[:0]
		for i := 0; i < len(key); i++ {
			c := key[i]
			switch {
			case c >= 'A' && c <= 'Z':
				c += 'a' - 'A'
			case c == ' ' || c == '-':
				c = '_'
			}
			b = append(b, c)
		}
		if v, ok := providerAliases[string(b)]; ok {
			return v
		}
	}
	return strings.ToLower(system)
}
