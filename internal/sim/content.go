package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/llmtrace/llmtrace/internal/genai"
)

// This file holds the vocabulary the generator draws from: models with their
// prices, the application domains with their prompts and answers, tools, and
// the errors real SDKs raise.

type modelInfo struct {
	provider, name, version string
	in, out                 float64 // USD per million tokens
	reasoning, caching      bool
	msPerToken              float64
	dimensions              int // embedding models
	weight                  int
}

func (m *modelInfo) cost(u Usage) float64 {
	c := (float64(u.Input-u.CacheRead)*m.in + float64(u.CacheRead)*m.in/2 + float64(u.Output)*m.out) / 1e6
	return math.Round(c*1e9) / 1e9
}

func (m *modelInfo) responseID(r *rand.Rand) string {
	switch m.provider {
	case genai.ProviderOpenAI:
		return "chatcmpl-" + alnum(r, 29)
	case genai.ProviderAnthropic:
		return "msg_01" + alnum(r, 22)
	case genai.ProviderAWSBedrock:
		return hex16(r.Uint64())[:8] + "-" + hex16(r.Uint64())[:4] + "-" + hex16(r.Uint64())[:4]
	}
	return hex16(r.Uint64()) + hex16(r.Uint64())
}

var chatModels = []modelInfo{
	{provider: genai.ProviderOpenAI, name: "gpt-4o", version: "gpt-4o-2024-08-06", in: 2.5, out: 10, caching: true, msPerToken: 12, weight: 6},
	{provider: genai.ProviderOpenAI, name: "gpt-4o-mini", version: "gpt-4o-mini-2024-07-18", in: 0.15, out: 0.6, caching: true, msPerToken: 8, weight: 6},
	{provider: genai.ProviderOpenAI, name: "o3-mini", version: "o3-mini-2025-01-31", in: 1.1, out: 4.4, reasoning: true, caching: true, msPerToken: 6, weight: 2},
	{provider: genai.ProviderAnthropic, name: "claude-sonnet-4", version: "claude-sonnet-4-20250514", in: 3, out: 15, caching: true, msPerToken: 14, weight: 4},
	{provider: genai.ProviderAnthropic, name: "claude-3-5-haiku", version: "claude-3-5-haiku-20241022", in: 0.8, out: 4, caching: true, msPerToken: 7, weight: 2},
	{provider: genai.ProviderGCPGemini, name: "gemini-2.0-flash", version: "gemini-2.0-flash-001", in: 0.1, out: 0.4, msPerToken: 5, weight: 3},
	{provider: genai.ProviderMistralAI, name: "mistral-large-latest", version: "mistral-large-2411", in: 2, out: 6, msPerToken: 11, weight: 1},
	{provider: genai.ProviderAWSBedrock, name: "anthropic.claude-3-5-sonnet-20241022-v2:0", version: "anthropic.claude-3-5-sonnet-20241022-v2:0", in: 3, out: 15, msPerToken: 14, weight: 1},
	{provider: genai.ProviderCohere, name: "command-r-plus", version: "command-r-plus-08-2024", in: 2.5, out: 10, msPerToken: 12, weight: 1},
}

// smallModels index chatModels: the cheap models applications use for side
// tasks (titles, chunk summaries).
var smallModels = []int{1, 4, 5}

var embeddingModels = []modelInfo{
	{provider: genai.ProviderOpenAI, name: "text-embedding-3-small", version: "text-embedding-3-small", in: 0.02, dimensions: 1536},
	{provider: genai.ProviderOpenAI, name: "text-embedding-3-large", version: "text-embedding-3-large", in: 0.13, dimensions: 3072},
	{provider: genai.ProviderCohere, name: "embed-english-v3.0", version: "embed-english-v3.0", in: 0.1, dimensions: 1024},
	{provider: genai.ProviderGCPGemini, name: "text-embedding-004", version: "text-embedding-004", in: 0.025, dimensions: 768},
	{provider: genai.ProviderMistralAI, name: "mistral-embed", version: "mistral-embed", in: 0.1, dimensions: 1024},
	{provider: genai.ProviderAWSBedrock, name: "amazon.titan-embed-text-v2:0", version: "amazon.titan-embed-text-v2:0", in: 0.02, dimensions: 1024},
}

func pickModel(r *rand.Rand, models []modelInfo) *modelInfo {
	total := 0
	for i := range models {
		total += models[i].weight
	}
	n := r.IntN(total)
	for i := range models {
		if n -= models[i].weight; n < 0 {
			return &models[i]
		}
	}
	return &models[0]
}

var (
	maxTokenChoices    = []any{256, 512, 1024, 4096}
	temperatureChoices = []any{0.0, 0.2, 0.7, 1.0}
	effortChoices      = []any{"low", "medium", "high"}
	vectorStores       = []string{"pinecone", "qdrant", "chroma", "pgvector", "weaviate"}
	extraTags          = []string{"beta", "mobile", "web", "experiment-42", "priority"}
	appVersions        = []string{"1.8.3", "1.9.0", "2.0.0-rc.1"}
	regions            = []string{"eu-west-1", "us-east-1", "ap-southeast-2"}
	tiers              = []string{"free", "pro", "enterprise"}
	users              = func() []string {
		names := []string{"alice", "bob", "carla", "dmitri", "eva", "farid", "grace", "hiro", "ines", "jonas",
			"kemal", "lena", "marco", "nadia", "omar", "priya", "quentin", "rosa", "sven", "tara"}
		out := make([]string, 0, 2*len(names))
		for i, n := range names {
			out = append(out, "user_"+n, n+"."+strconv.Itoa(1000+i*37)+"@example.com")
		}
		return out
	}()
)

// facts are the per-trace values placeholders in the texts stand for, so a
// question, the tool arguments and the answer talk about the same things.
type facts struct {
	city, city2, iata, iata2, order, company, company2, symbol, month, date, email string
}

var (
	cities    = []string{"Lisbon", "Berlin", "Osaka", "Toronto", "Nairobi", "Lyon", "Austin", "Krakow"}
	iataCodes = []string{"LIS", "BER", "KIX", "YYZ", "NBO", "LYS", "AUS", "KRK"}
	companies = []string{"Acme Robotics", "Globex", "Initech", "Umbrella Health", "Stark Solar", "Wayne Logistics"}
	symbols   = []string{"ACMR", "GLBX", "INTC2", "UMBH", "STSL", "WAYL"}
)

func newFacts(r *rand.Rand, now time.Time) facts {
	c1 := r.IntN(len(cities))
	c2 := (c1 + 1 + r.IntN(len(cities)-1)) % len(cities)
	k1 := r.IntN(len(companies))
	k2 := (k1 + 1 + r.IntN(len(companies)-1)) % len(companies)
	return facts{
		city: cities[c1], city2: cities[c2], iata: iataCodes[c1], iata2: iataCodes[c2],
		order:   "A-" + strconv.Itoa(10000+r.IntN(90000)),
		company: companies[k1], company2: companies[k2], symbol: symbols[k1],
		month: now.AddDate(0, -1-r.IntN(3), 0).Month().String(),
		date:  now.AddDate(0, 0, 1+r.IntN(14)).Format(time.DateOnly),
		email: users[1+2*r.IntN(len(users)/2)],
	}
}

// fill replaces the {placeholders} of s; unknown ones stay as they are.
func (f *facts) fill(s string) string {
	i := strings.IndexByte(s, '{')
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 32)
	for i >= 0 {
		b.WriteString(s[:i])
		s = s[i:]
		j := strings.IndexByte(s, '}')
		if j < 0 {
			break
		}
		if v, ok := f.lookup(s[1:j]); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[:j+1])
		}
		s = s[j+1:]
		i = strings.IndexByte(s, '{')
	}
	b.WriteString(s)
	return b.String()
}

func (f *facts) lookup(key string) (string, bool) {
	switch key {
	case "city":
		return f.city, true
	case "city2":
		return f.city2, true
	case "iata":
		return f.iata, true
	case "iata2":
		return f.iata2, true
	case "order":
		return f.order, true
	case "company":
		return f.company, true
	case "company2":
		return f.company2, true
	case "symbol":
		return f.symbol, true
	case "month":
		return f.month, true
	case "date":
		return f.date, true
	case "email":
		return f.email, true
	}
	return "", false
}

// domain is one kind of LLM application.
type domain struct {
	agent, system, index                            string
	questions, answers, titles, documents, snippets []string
	tools                                           []int
}

const (
	researcherSystem = "You are a research sub-agent. Search the web, read the results and return a short summary with source URLs."
	researcherAnswer = "Three recent articles cover {company}: it raised its guidance, launched a product line and hired a new CFO (reuters.com, ft.com, techcrunch.com)."
)

var domains = []domain{
	{
		agent:  "support-agent",
		system: "You are a helpful customer-support assistant for Acme Cloud. Be concise, never invent order data, and always use the tools to look orders up.",
		index:  "kb-support-articles",
		questions: []string{
			"Where is my order {order}?",
			"I was charged twice for order {order}, can you refund one of the payments?",
			"How do I rotate my API key?",
			"Can I change the shipping address of order {order} to our {city} office?",
		},
		answers: []string{
			"Your order {order} shipped and is expected to arrive on {date}. I have emailed the tracking link to {email}.",
			"I found a duplicate payment for order {order} and opened a refund request; you will see the money back within 5 business days.",
			"Go to Settings > API keys, click \"Rotate\", update your clients with the new key, then revoke the old one.",
			"The shipping address of {order} now points to the {city} office; the delivery date stays {date}.",
		},
		titles: []string{"Order {order} status", "Refund for {order}", "API key rotation"},
		documents: []string{
			"Refund policy: duplicate charges are refunded automatically within 5 business days once a ticket is opened. Orders shipped to {city} use our regional carrier.",
		},
		snippets: []string{
			"Refunds for duplicate charges are processed within 5 business days.",
			"Shipping addresses can be changed until the order leaves the warehouse.",
			"API keys can be rotated in Settings > API keys; old keys stay valid for 24 hours.",
			"Orders to {city} are delivered by our regional carrier within 3 days.",
		},
		tools: []int{toolLookupOrder, toolCreateTicket, toolSendEmail},
	},
	{
		agent:  "travel-planner",
		system: "You plan trips. Check flights, the weather and the user's calendar with the tools before you answer.",
		index:  "kb-travel-guides",
		questions: []string{
			"Find me a flight from {city} to {city2} on {date} and tell me what the weather will be.",
			"Is {date} a good day to visit {city2}? I only have that day free.",
			"Plan a two-day trip from {city} to {city2} next month.",
		},
		answers: []string{
			"The best option is the 08:15 flight from {iata} to {iata2} on {date} (189 EUR). Expect around 18°C and light clouds in {city2}.",
			"{date} looks good: your calendar is free after 10:00 and {city2} should be sunny.",
			"Day 1: morning flight {iata}→{iata2}, old town walk. Day 2: museum and the evening flight back.",
		},
		titles:    []string{"Trip to {city2}", "Flights {iata}-{iata2}"},
		documents: []string{"{city2} travel guide: the old town is walkable, museums close on Mondays, the airport train takes 25 minutes."},
		snippets: []string{
			"{city2}'s airport is connected to the centre by a 25-minute train.",
			"Most museums in {city2} are closed on Mondays.",
			"The best season to visit {city2} is late spring.",
		},
		tools: []int{toolSearchFlights, toolGetWeather, toolGetCalendar},
	},
	{
		agent:  "sql-agent",
		system: "You answer analytics questions by writing SQL for the warehouse (tables: users, orders, events, products). Never modify data.",
		index:  "kb-schema-docs",
		questions: []string{
			"How many users signed up last week?",
			"What was the revenue per region in {month}?",
			"Which 5 products had the most returns this quarter?",
		},
		answers: []string{
			"1,284 users signed up last week, 12% more than the week before.",
			"Revenue in {month}: EMEA 1.2M USD, NA 2.4M USD, APAC 0.8M USD.",
			"The products with the most returns are: Widget Pro, Gizmo 2, Sprocket XL, Flux Cap and Hover Pad.",
		},
		titles:    []string{"Signups last week", "Revenue {month}"},
		documents: []string{"Quarterly analytics report: revenue grew 8% in {month}, returns concentrated on five products, signups up 12%."},
		snippets: []string{
			"The orders table has columns id, user_id, region, total_usd, created_at.",
			"Returns are recorded in events with type = 'return'.",
			"Signups are users.created_at; test accounts have is_internal = true.",
		},
		tools: []int{toolRunSQL, toolCalculator},
	},
	{
		agent:  "research-agent",
		system: "You are a financial research assistant. Use the tools, delegate web research when needed, and cite your sources.",
		index:  "kb-research-notes",
		questions: []string{
			"Summarize the latest news about {company}.",
			"Compare {company} and {company2} quarterly results.",
			"Is {company} ({symbol}) stock up this month, and why?",
		},
		answers: []string{
			"{company} announced a new product line and raised its guidance; the stock ({symbol}) is up 4% this month. Sources: reuters.com, ft.com.",
			"{company} grew revenue 12% year over year while {company2} grew 5%; {company} has the higher margin.",
			"{symbol} closed at 142.30 USD, up 6% since the start of {month}, after strong quarterly results.",
		},
		titles:    []string{"{company} news", "{company} vs {company2}"},
		documents: []string{"{company} quarterly report: revenue 1.4B USD (+12%), operating margin 18%, guidance raised. {company2} revenue grew 5%."},
		snippets: []string{
			"{company} raised its full-year guidance in the last earnings call.",
			"{company2} reported flat margins and 5% revenue growth.",
			"Analysts expect {company} to expand into new markets next year.",
		},
		tools: []int{toolSearchWeb, toolGetStockPrice, toolCalculator},
	},
}

// Indices into tools.
const (
	toolGetWeather = iota
	toolLookupOrder
	toolCreateTicket
	toolSendEmail
	toolSearchFlights
	toolGetCalendar
	toolRunSQL
	toolCalculator
	toolSearchWeb
	toolGetStockPrice
)

type toolDef struct {
	name, desc string
	min, max   time.Duration
	args       func(r *rand.Rand, f *facts) map[string]any
	result     func(r *rand.Rand, f *facts, args map[string]any) any
}

var tools = []toolDef{
	toolGetWeather: {
		name: "get_weather", desc: "Get the weather forecast for a city and date.",
		min: 80 * time.Millisecond, max: 900 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any {
			return map[string]any{"city": f.city2, "date": f.date, "unit": "celsius"}
		},
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			return map[string]any{"city": f.city2, "temperature_c": 3 + r.IntN(28),
				"condition": []string{"sunny", "cloudy", "light rain", "windy"}[r.IntN(4)], "humidity": 40 + r.IntN(50)}
		},
	},
	toolLookupOrder: {
		name: "lookup_order", desc: "Look up an order by its id.",
		min: 20 * time.Millisecond, max: 300 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any { return map[string]any{"order_id": f.order} },
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			return map[string]any{"order_id": f.order, "status": []string{"processing", "shipped", "delivered"}[r.IntN(3)],
				"carrier": []string{"UPS", "DHL", "FedEx"}[r.IntN(3)], "eta": f.date, "total_usd": float64(1000+r.IntN(50000)) / 100}
		},
	},
	toolCreateTicket: {
		name: "create_ticket", desc: "Open a support ticket.",
		min: 50 * time.Millisecond, max: 600 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any {
			return map[string]any{"title": "Customer request about " + f.order, "priority": []string{"low", "normal", "high"}[r.IntN(3)]}
		},
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			return map[string]any{"ticket_id": "SUP-" + strconv.Itoa(1000+r.IntN(9000)), "status": "open"}
		},
	},
	toolSendEmail: {
		name: "send_email", desc: "Send an email to the customer.",
		min: 100 * time.Millisecond, max: 1500 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any {
			return map[string]any{"to": f.email, "subject": "About your order " + f.order}
		},
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			return map[string]any{"message_id": "<" + hex16(r.Uint64()) + "@mail.acme.dev>", "queued": true}
		},
	},
	toolSearchFlights: {
		name: "search_flights", desc: "Search flights between two airports on a date.",
		min: 300 * time.Millisecond, max: 2500 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any {
			return map[string]any{"origin": f.iata, "destination": f.iata2, "date": f.date}
		},
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			n := 1 + r.IntN(3)
			fl := make([]any, n)
			for i := range fl {
				fl[i] = map[string]any{"flight": []string{"LH", "TP", "AF", "KL"}[r.IntN(4)] + " " + strconv.Itoa(100+r.IntN(9000)),
					"depart": strconv.Itoa(6+r.IntN(14)) + ":" + []string{"05", "15", "40", "55"}[r.IntN(4)], "price_eur": 80 + r.IntN(400)}
			}
			return map[string]any{"flights": fl}
		},
	},
	toolGetCalendar: {
		name: "get_calendar", desc: "List the user's calendar events on a date.",
		min: 30 * time.Millisecond, max: 400 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any { return map[string]any{"date": f.date} },
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			return map[string]any{"events": []any{map[string]any{"title": "Team sync", "start": "09:00", "end": "09:30"}}}
		},
	},
	toolRunSQL: {
		name: "run_sql", desc: "Run a read-only SQL query on the analytics warehouse.",
		min: 150 * time.Millisecond, max: 3 * time.Second,
		args: func(r *rand.Rand, f *facts) map[string]any {
			q := []string{
				"SELECT count(*) FROM users WHERE created_at >= now() - interval '7 days' AND NOT is_internal",
				"SELECT region, sum(total_usd) FROM orders WHERE date_trunc('month', created_at) = '" + f.month + "' GROUP BY region",
				"SELECT product_id, count(*) AS returns FROM events WHERE type = 'return' GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
			}[r.IntN(3)]
			return map[string]any{"query": q}
		},
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			return map[string]any{"columns": []any{"key", "value"}, "rows": []any{[]any{"EMEA", 1200000}, []any{"NA", 2400000}}, "row_count": 2}
		},
	},
	toolCalculator: {
		name: "calculator", desc: "Evaluate an arithmetic expression.",
		min: 1 * time.Millisecond, max: 20 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any {
			a, b := 100+r.IntN(9000), 2+r.IntN(90)
			return map[string]any{"expression": strconv.Itoa(a) + " / " + strconv.Itoa(b)}
		},
		result: func(r *rand.Rand, f *facts, args map[string]any) any {
			var a, b float64
			if parts := strings.Split(args["expression"].(string), " / "); len(parts) == 2 {
				a, _ = strconv.ParseFloat(parts[0], 64)
				b, _ = strconv.ParseFloat(parts[1], 64)
			}
			return map[string]any{"result": math.Round(a/b*1e4) / 1e4}
		},
	},
	toolSearchWeb: {
		name: "search_web", desc: "Search the web.",
		min: 400 * time.Millisecond, max: 2500 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any {
			return map[string]any{"query": f.company + " news " + f.month, "max_results": 5}
		},
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			n := 2 + r.IntN(3)
			res := make([]any, n)
			for i := range res {
				site := []string{"reuters.com", "ft.com", "bloomberg.com", "techcrunch.com"}[r.IntN(4)]
				res[i] = map[string]any{"title": f.company + " " + []string{"raises guidance", "launches product", "quarterly results", "hires CFO"}[r.IntN(4)],
					"url": "https://www." + site + "/" + hex16(r.Uint64())[:10], "snippet": f.company + " said on Tuesday that..."}
			}
			return map[string]any{"results": res}
		},
	},
	toolGetStockPrice: {
		name: "get_stock_price", desc: "Get the latest stock price for a ticker symbol.",
		min: 50 * time.Millisecond, max: 500 * time.Millisecond,
		args: func(r *rand.Rand, f *facts) map[string]any { return map[string]any{"symbol": f.symbol} },
		result: func(r *rand.Rand, f *facts, _ map[string]any) any {
			return map[string]any{"symbol": f.symbol, "price": float64(5000+r.IntN(20000)) / 100, "currency": "USD"}
		},
	},
}

// ---- errors ----

type errorDef struct{ typ, msg, frame, raise string }

var providerErrors = map[string][]errorDef{
	genai.ProviderOpenAI: {
		{"openai.RateLimitError", "Error code: 429 - {'error': {'message': 'Rate limit reached for {model} in organization org-3kd9 on tokens per min (TPM): Limit 30000, Used 29870, Requested 1200.', 'type': 'tokens', 'code': 'rate_limit_exceeded'}}", "openai/_base_client.py", "raise self._make_status_error_from_response(err.response) from None"},
		{"openai.APITimeoutError", "Request timed out.", "openai/_base_client.py", "raise APITimeoutError(request=request) from err"},
		{"openai.BadRequestError", "Error code: 400 - {'error': {'message': \"This model's maximum context length is 128000 tokens. However, your messages resulted in 131072 tokens.\", 'type': 'invalid_request_error', 'code': 'context_length_exceeded'}}", "openai/_base_client.py", "raise self._make_status_error_from_response(err.response) from None"},
	},
	genai.ProviderAnthropic: {
		{"anthropic.OverloadedError", "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}}", "anthropic/_base_client.py", "raise self._make_status_error_from_response(err.response) from None"},
		{"anthropic.RateLimitError", "Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'Number of request tokens has exceeded your per-minute rate limit'}}", "anthropic/_base_client.py", "raise self._make_status_error_from_response(err.response) from None"},
	},
	"": {
		{"httpx.ReadTimeout", "The read operation timed out", "httpx/_transports/default.py", "raise mapped_exc(message) from exc"},
		{"google.api_core.exceptions.ResourceExhausted", "429 Resource has been exhausted (e.g. check quota).", "google/api_core/grpc_helpers.py", "raise exceptions.from_grpc_error(exc) from exc"},
		{"botocore.errorfactory.ThrottlingException", "An error occurred (ThrottlingException) when calling the InvokeModel operation: Too many requests, please wait before trying again.", "botocore/client.py", "raise error_class(parsed_response, operation_name)"},
	},
}

var toolErrors = []errorDef{
	{"requests.exceptions.HTTPError", "502 Server Error: Bad Gateway for url: https://internal-api.acme.dev/v1/{tool}", "requests/models.py", "raise HTTPError(http_error_msg, response=self)"},
	{"TimeoutError", "{tool} did not answer within 5 seconds", "asyncio/timeouts.py", "raise TimeoutError from exc_val"},
	{"ValueError", "invalid arguments for {tool}: missing required field", "app/tools/{tool}.py", "raise ValueError(f\"invalid arguments for {name}: missing required field\")"},
	{"psycopg.errors.QueryCanceled", "canceling statement due to statement timeout", "psycopg/cursor.py", "raise ex.with_traceback(None)"},
}

func (g *generator) llmError(m *modelInfo) ErrorInfo {
	list, ok := providerErrors[m.provider]
	if !ok {
		list = providerErrors[""]
	}
	e := list[g.r.IntN(len(list))]
	msg := strings.ReplaceAll(e.msg, "{model}", m.name)
	return ErrorInfo{Type: e.typ, Message: msg, Stacktrace: g.traceback(e, msg, "llm.invoke(messages)")}
}

func (g *generator) toolError(name string) ErrorInfo {
	e := toolErrors[g.r.IntN(len(toolErrors))]
	msg := strings.ReplaceAll(e.msg, "{tool}", name)
	e.frame = strings.ReplaceAll(e.frame, "{tool}", name)
	return ErrorInfo{Type: e.typ, Message: msg, Stacktrace: g.traceback(e, msg, "tool.invoke(call.arguments)")}
}

// traceback renders a Python traceback that ends in the error.
func (g *generator) traceback(e errorDef, msg, call string) string {
	var b strings.Builder
	b.WriteString("Traceback (most recent call last):\n")
	b.WriteString("  File \"/app/agent/runner.py\", line " + strconv.Itoa(80+g.r.IntN(200)) + ", in run_step\n")
	b.WriteString("    result = await " + call + "\n")
	b.WriteString("  File \"/usr/local/lib/python3.12/site-packages/langchain_core/runnables/base.py\", line " + strconv.Itoa(3000+g.r.IntN(2000)) + ", in invoke\n")
	b.WriteString("    return self._call_with_config(self._invoke, input, config)\n")
	b.WriteString("  File \"/usr/local/lib/python3.12/site-packages/" + e.frame + "\", line " + strconv.Itoa(100+g.r.IntN(1800)) + ", in _request\n")
	b.WriteString("    " + e.raise + "\n")
	b.WriteString(e.typ + ": " + msg + "\n")
	return b.String()
}
