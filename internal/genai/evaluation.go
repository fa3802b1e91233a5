package genai

// Attributes of the GenAI evaluation result (the gen_ai.evaluation.result
// event of the GenAI semantic conventions; receivers that turn a vendor's
// evaluation into a span put them on that span).
const (
	// EvaluationName is the name of the evaluation metric ("Relevance", "faithfulness", ...).
	EvaluationName = "gen_ai.evaluation.name"
	// EvaluationScoreValue is the evaluation score (double).
	EvaluationScoreValue = "gen_ai.evaluation.score.value"
	// EvaluationScoreLabel is the human-readable result ("pass", "fail", "relevant", ...).
	EvaluationScoreLabel = "gen_ai.evaluation.score.label"
	// EvaluationExplanation is the evaluator's free-form explanation of the score.
	EvaluationExplanation = "gen_ai.evaluation.explanation"
)
