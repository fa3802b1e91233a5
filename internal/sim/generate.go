package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"go.opentelemetry.io/collector/pdata/pcommon"
)

// Shape limits of a generated trace.
const (
	maxDepth = 4  // the root is depth 1
	maxSpans = 30 // before the optional late span
)

// generator builds one trace from a per-trace PRNG. Spans are kept in one
// slice and addressed by index so that appending never invalidates them.
type generator struct {
	d     *Dataset
	r     *rand.Rand
	tr    Trace
	start time.Time // root start
	limit int       // span budget of this trace
	facts facts
	// block identifies the trace's group of four consecutive traces, which
	// share a conversation thread (or none).
	block uint64
	dom   *domain
	chat  *modelInfo // the application's main chat model
	small *modelInfo // its cheap model for side tasks
	// question is the user's request and answer the application's reply.
	question, answer string
}

func newGenerator(d *Dataset, r *rand.Rand, i int) *generator {
	g := &generator{d: d, r: r, start: d.StartOf(i)}
	g.tr.Index = i
	g.tr.ID = g.traceID()
	// Most traces are small; a few agents run long.
	g.limit = 3 + int(float64(maxSpans-3)*math.Pow(r.Float64(), 1.6))
	g.block = Mix(d.seedTh + uint64(i/4))
	g.dom = &domains[r.IntN(len(domains))]
	if g.threaded() { // a conversation stays with one application
		g.dom = &domains[(g.block>>16)%uint64(len(domains))]
	}
	g.chat = pickModel(r, chatModels)
	g.small = &chatModels[smallModels[r.IntN(len(smallModels))]]
	g.facts = newFacts(r, g.start)
	q := r.IntN(len(g.dom.questions))
	g.question = g.facts.fill(g.dom.questions[q])
	g.answer = g.facts.fill(g.dom.answers[q%len(g.dom.answers)])
	return g
}

func (g *generator) trace() Trace {
	g.conversation()
	g.tr.Spans = make([]Span, 0, g.limit+8)
	root := g.open(-1, 0, "", g.start)
	g.tr.Spans[root].ID = pcommon.SpanID(g.tr.ID[8:])
	g.scenario(root)
	cfg := &g.d.cfg
	if g.r.Float64() < cfg.LongRunningFraction {
		g.longRunning(root)
	}
	if g.r.Float64() < cfg.LateFraction {
		g.lateSpan(root)
	}
	return g.tr
}

// traceID is a UUIDv7 whose timestamp is the root start.
func (g *generator) traceID() pcommon.TraceID {
	var id [16]byte
	binary.BigEndian.PutUint64(id[0:8], uint64(g.start.UnixMilli())<<16|g.r.Uint64()&0xffff)
	binary.BigEndian.PutUint64(id[8:16], g.r.Uint64())
	id[6] = 0x70 | id[6]&0x0f
	id[8] = 0x80 | id[8]&0x3f
	return id
}

// spanID is 8 random bytes with the UUID variant bits (10) on top, unique in
// the trace.
func (g *generator) spanID() pcommon.SpanID {
	for {
		var id [8]byte
		binary.BigEndian.PutUint64(id[:], g.r.Uint64())
		id[0] = 0x80 | id[0]&0x3f
		unique := true
		for k := range g.tr.Spans {
			if g.tr.Spans[k].ID == id {
				unique = false
				break
			}
		}
		if unique {
			return id
		}
	}
}

// threaded reports whether the trace's block is a conversation (60%).
func (g *generator) threaded() bool { return g.block%10 < 6 }

// conversation fills the trace-level fields. Traces come in blocks of four
// consecutive turns; a block is a conversation thread or not, as a whole.
func (g *generator) conversation() {
	r := g.r
	if g.threaded() {
		g.tr.ThreadID = "thread_" + hex16(Mix(g.block))
		g.tr.UserID = users[(g.block>>8)%uint64(len(users))]
	} else if r.IntN(4) > 0 {
		g.tr.UserID = users[r.IntN(len(users))]
	}
	env := "production"
	if r.IntN(5) == 0 {
		env = "staging"
	}
	g.tr.Tags = append(g.tr.Tags, env)
	for _, t := range extraTags {
		if r.IntN(6) == 0 {
			g.tr.Tags = append(g.tr.Tags, t)
		}
	}
	g.tr.Metadata = map[string]any{
		"environment": env,
		"app_version": appVersions[r.IntN(len(appVersions))],
		"region":      regions[r.IntN(len(regions))],
		"request_id":  "req_" + hex16(r.Uint64()),
	}
	if r.IntN(3) == 0 {
		g.tr.Metadata["customer_tier"] = tiers[r.IntN(len(tiers))]
	}
}

// ---- time helpers ----

// between returns a uniformly random duration in [lo, hi] with microsecond
// resolution.
func (g *generator) between(lo, hi time.Duration) time.Duration {
	lo, hi = lo.Truncate(time.Microsecond), hi.Truncate(time.Microsecond)
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(g.r.Int64N(int64((hi-lo)/time.Microsecond)+1))*time.Microsecond
}

func (g *generator) gap() time.Duration { return g.between(50*time.Microsecond, 15*time.Millisecond) }

func (g *generator) exportDelay() time.Duration { return g.between(minExportDelay, maxExportDelay) }

func (g *generator) inBudget(t time.Time) bool { return t.Sub(g.start) < traceTimeBudget }

func (g *generator) left() int { return g.limit - len(g.tr.Spans) }

func (g *generator) fail() bool { return g.r.Float64() < g.d.cfg.ErrorFraction }

// ---- span helpers ----

func (g *generator) open(parent int, kind SpanKind, name string, start time.Time) int {
	s := Span{Kind: kind, Name: name, Start: start}
	if parent >= 0 {
		s.ID = g.spanID()
		s.ParentID = g.tr.Spans[parent].ID
	}
	g.tr.Spans = append(g.tr.Spans, s)
	return len(g.tr.Spans) - 1
}

func (g *generator) close(idx int, end time.Time) time.Time {
	s := &g.tr.Spans[idx]
	s.End = end
	s.Visible = end.Add(g.exportDelay())
	return end
}

func (g *generator) span(idx int) *Span { return &g.tr.Spans[idx] }

// ---- scenarios ----

func (g *generator) scenario(root int) {
	q := g.question
	var answer string
	var end time.Time
	var failed *ErrorInfo
	switch p := g.r.IntN(100); {
	case p < 40:
		end, answer, failed = g.agentBody(root, 1, g.dom.agent, g.dom.system, q, g.answer, g.dom.tools)
	case p < 65:
		end, answer, failed = g.ragBody(root, q)
	case p < 85:
		end, answer, failed = g.chatBody(root, q)
	default:
		end, answer, failed = g.summarizeBody(root, q)
	}
	rs := g.span(root)
	if failed != nil {
		rs.Error = failed
	} else if rs.Kind == KindAgent {
		rs.Output = map[string]any{"output": answer}
	} else {
		rs.Output = map[string]any{"answer": answer}
	}
	g.close(root, end.Add(g.gap()))
}

// agentBody turns span idx into an agent that loops LLM call -> tool calls
// until it answers. It returns its children's end, its answer and its error.
func (g *generator) agentBody(idx, depth int, name, system, question, finalAnswer string, tools []int) (time.Time, string, *ErrorInfo) {
	s := g.span(idx)
	s.Kind, s.Name, s.Operation = KindAgent, name, OpAgent
	s.Attributes = map[string]any{AttrAgentName: name}
	s.Input = map[string]any{"input": question}
	t := s.Start.Add(g.gap())
	msgs := []any{
		message("system", system),
		message("user", question),
	}
	steps := 1 + g.r.IntN(4)
	for step := 0; ; step++ {
		// The first step always calls a tool: an agent that answers
		// right away would be a plain chat.
		final := step > 0 && (step >= steps || g.left() < 4 || !g.inBudget(t))
		var calls []toolCall
		if !final {
			n := 1
			if p := g.r.IntN(20); p >= 17 {
				n = 3
			} else if p >= 12 {
				n = 2
			}
			// Keep room for this step's LLM call, its retry and the
			// final answer.
			avail := g.left() - 3
			for len(calls) < n && (len(calls) == 0 || avail > 0) {
				c := g.planCall(tools, depth, avail)
				avail -= c.cost()
				calls = append(calls, c)
			}
		}
		answer := ""
		if final {
			answer = finalAnswer
		}
		var reply map[string]any
		var failed *ErrorInfo
		t, reply, failed = g.llmWithRetry(idx, t, g.chat, msgs, calls, answer, len(tools))
		if failed != nil {
			return t, "", failed
		}
		msgs = append(msgs, reply)
		if final {
			return t, answer, nil
		}
		t = g.runCalls(idx, depth, t, calls, &msgs)
	}
}

// runCalls runs the planned tool calls of one agent step, in sequence or
// (sometimes) in parallel, appending the tool results to msgs.
func (g *generator) runCalls(parent, depth int, t time.Time, calls []toolCall, msgs *[]any) time.Time {
	parallel := len(calls) > 1 && g.r.IntN(3) == 0
	stepStart, end := t, t
	for _, c := range calls {
		start := t.Add(g.gap())
		if parallel {
			start = stepStart.Add(g.between(20*time.Microsecond, 2*time.Millisecond))
		}
		var cend time.Time
		var result any
		switch c.kind {
		case callRetrieve:
			cend, result = g.retrieveContext(parent, start, c.args["query"].(string))
		case callSubAgent:
			cend, result = g.subAgent(parent, depth+1, start, c.args["task"].(string))
		default:
			cend, result = g.tool(parent, start, c)
		}
		content, _ := json.Marshal(result)
		*msgs = append(*msgs, map[string]any{"role": "tool", "tool_call_id": c.id, "content": string(content)})
		if cend.After(end) {
			end = cend
		}
		if !parallel {
			t = cend
		}
	}
	return end
}

// subAgent runs a nested agent (depth 2 or 3) for a delegated task.
func (g *generator) subAgent(parent, depth int, start time.Time, task string) (time.Time, any) {
	idx := g.open(parent, KindAgent, "", start)
	end, answer, failed := g.agentBody(idx, depth, "web-researcher", researcherSystem, task, g.facts.fill(researcherAnswer), []int{toolSearchWeb, toolCalculator})
	s := g.span(idx)
	if failed != nil {
		s.Error = failed
		g.close(idx, end.Add(g.gap()))
		return s.End, map[string]any{"error": failed.Message}
	}
	s.Output = map[string]any{"output": answer}
	g.close(idx, end.Add(g.gap()))
	return s.End, answer
}

// retrieveContext is a chain of an embedding and a vector search, offered to
// agents at depth 1 and 2 as the knowledge-base tool.
func (g *generator) retrieveContext(parent int, start time.Time, query string) (time.Time, any) {
	idx := g.open(parent, KindChain, "retrieve_context", start)
	g.span(idx).Input = map[string]any{"query": query}
	t := g.embedding(idx, start.Add(g.gap()), query)
	t, docs := g.retrieval(idx, t.Add(g.gap()), query)
	g.span(idx).Output = map[string]any{"documents": docs}
	return g.close(idx, t.Add(g.gap())), map[string]any{"documents": docs}
}

// ragBody: [input guardrail] embedding, retrieval, LLM [output guardrail].
func (g *generator) ragBody(idx int, question string) (time.Time, string, *ErrorInfo) {
	s := g.span(idx)
	s.Kind, s.Name = KindChain, "rag_query"
	s.Input = map[string]any{"question": question}
	t := s.Start.Add(g.gap())
	if g.left() > 4 && g.r.IntN(2) == 0 {
		t = g.guardrail(idx, t.Add(g.gap()), "input_moderation", question)
	}
	t = g.embedding(idx, t.Add(g.gap()), question)
	t, docs := g.retrieval(idx, t.Add(g.gap()), question)
	ctx := "Answer using only this context:\n"
	for _, d := range docs {
		ctx += "- " + d.(map[string]any)["content"].(string) + "\n"
	}
	msgs := []any{message("system", g.dom.system+"\n"+ctx), message("user", question)}
	answer := g.answer
	t, _, failed := g.llmWithRetry(idx, t, g.chat, msgs, nil, answer, 0)
	if failed != nil {
		return t, "", failed
	}
	if g.left() > 0 && g.r.IntN(3) == 0 {
		t = g.guardrail(idx, t.Add(g.gap()), "output_toxicity", answer)
	}
	return t, answer, nil
}

// chatBody: a guardrail and a chat turn, sometimes a title generation.
func (g *generator) chatBody(idx int, question string) (time.Time, string, *ErrorInfo) {
	s := g.span(idx)
	s.Kind, s.Name = KindChain, "chat_turn"
	s.Input = map[string]any{"question": question}
	t := g.guardrail(idx, s.Start.Add(g.gap()), "pii_filter", question)
	msgs := []any{message("system", g.dom.system), message("user", question)}
	answer := g.answer
	t, _, failed := g.llmWithRetry(idx, t, g.chat, msgs, nil, answer, 0)
	if failed != nil {
		return t, "", failed
	}
	if g.left() > 0 && g.tr.ThreadID != "" && g.r.IntN(3) == 0 {
		title := g.facts.fill(g.dom.titles[g.r.IntN(len(g.dom.titles))])
		tm := []any{message("system", "Write a short title (max 6 words) for this conversation."), message("user", question)}
		var f *ErrorInfo
		t, _, f = g.llmWithRetry(idx, t, g.small, tm, nil, title, 0)
		if f != nil {
			return t, "", f
		}
	}
	return t, answer, nil
}

// summarizeBody: a map chain of chunk summaries (depth 3), then a reduce call.
func (g *generator) summarizeBody(idx int, question string) (time.Time, string, *ErrorInfo) {
	s := g.span(idx)
	s.Kind, s.Name = KindChain, "summarize_document"
	doc := g.facts.fill(g.dom.documents[g.r.IntN(len(g.dom.documents))])
	s.Input = map[string]any{"document": doc, "instructions": question}
	mapIdx := g.open(idx, KindChain, "map_chunks", s.Start.Add(g.gap()))
	chunks := max(1, min(2+g.r.IntN(7), g.left()-1))
	g.span(mapIdx).Input = map[string]any{"chunks": chunks}
	t := g.span(mapIdx).Start
	var partials []any
	for c := range chunks {
		if !g.inBudget(t) {
			break
		}
		msgs := []any{
			message("system", "Summarize this part of the document in two sentences."),
			message("user", "Part "+strconv.Itoa(c+1)+" of "+strconv.Itoa(chunks)+":\n"+doc),
		}
		sum := g.facts.fill(g.dom.answers[g.r.IntN(len(g.dom.answers))])
		var failed *ErrorInfo
		t, _, failed = g.llm(mapIdx, t, g.small, msgs, nil, sum, 0)
		if failed != nil {
			g.span(mapIdx).Error = failed
			g.close(mapIdx, t.Add(g.gap()))
			return g.span(mapIdx).End, "", failed
		}
		partials = append(partials, sum)
	}
	g.span(mapIdx).Output = map[string]any{"summaries": partials}
	t = g.close(mapIdx, t.Add(g.gap()))
	joined := ""
	for _, p := range partials {
		joined += "- " + p.(string) + "\n"
	}
	msgs := []any{message("system", "Combine the partial summaries into one answer to the user's request."), message("user", question+"\n"+joined)}
	answer := g.answer
	t, _, failed := g.llmWithRetry(idx, t, g.chat, msgs, nil, answer, 0)
	return t, answer, failed
}

// ---- leaves ----

// llmWithRetry makes an LLM call; a failed call is retried once after a
// back-off when the budget allows, otherwise its error is returned. A trace
// that would end with fewer than 3 spans always retries.
func (g *generator) llmWithRetry(parent int, t time.Time, m *modelInfo, msgs []any, calls []toolCall, answer string, nTools int) (time.Time, map[string]any, *ErrorInfo) {
	end, reply, failed := g.llm(parent, t, m, msgs, calls, answer, nTools)
	if failed == nil || (g.left() < 1 || g.r.IntN(10) < 4) && len(g.tr.Spans) >= 3 {
		return end, reply, failed
	}
	return g.llm(parent, end.Add(g.between(500*time.Millisecond, 4*time.Second)), m, msgs, calls, answer, nTools)
}

// llm adds one chat completion that answers msgs either with the planned
// tool calls or with answer.
func (g *generator) llm(parent int, t time.Time, m *modelInfo, msgs []any, calls []toolCall, answer string, nTools int) (time.Time, map[string]any, *ErrorInfo) {
	start := t.Add(g.gap())
	idx := g.open(parent, KindLLM, "chat "+m.name, start)
	s := g.span(idx)
	s.Model, s.Provider, s.Operation = m.name, m.provider, OpChat
	s.Input = msgs[:len(msgs):len(msgs)]
	attrs := map[string]any{
		AttrRequestMaxTokens: maxTokenChoices[g.r.IntN(len(maxTokenChoices))],
		AttrStreaming:        g.r.IntN(3) == 0,
	}
	if m.reasoning {
		attrs[AttrReasoningEffort] = effortChoices[g.r.IntN(len(effortChoices))]
	} else {
		attrs[AttrRequestTemperature] = temperatureChoices[g.r.IntN(len(temperatureChoices))]
		if g.r.IntN(4) == 0 {
			attrs[AttrRequestTopP] = 0.9
		}
	}
	s.Attributes = attrs
	if g.fail() {
		e := g.llmError(m)
		s.Error = &e
		return g.close(idx, start.Add(g.between(40*time.Millisecond, 8*time.Second))), nil, s.Error
	}

	in := 12
	for _, msg := range msgs {
		in += 4 + textLen(msg.(map[string]any)["content"])/4
	}
	in += nTools * 110  // tool schemas
	in += g.r.IntN(600) // formatting, few-shot examples
	if g.tr.ThreadID != "" {
		in += 300 + g.r.IntN(2200) // earlier turns of the conversation
	}
	reply := map[string]any{"role": "assistant"}
	out := 0
	finish := "stop"
	if len(calls) > 0 {
		tc := make([]any, len(calls))
		for k, c := range calls {
			args, _ := json.Marshal(c.args)
			tc[k] = map[string]any{
				"id":       c.id,
				"type":     "function",
				"function": map[string]any{"name": c.name, "arguments": string(args)},
			}
			out += 12 + len(args)/4
		}
		reply["content"] = nil
		reply["tool_calls"] = tc
		finish = "tool_calls"
	} else {
		reply["content"] = answer
		out = 3 + len(answer)/4 + g.r.IntN(40)
	}
	u := Usage{Input: in, Output: out}
	if m.reasoning {
		u.Reasoning = 64 * (1 + g.r.IntN(40))
		u.Output += u.Reasoning
	}
	if m.caching && u.Input >= 1024 && g.r.IntN(5) < 2 {
		u.CacheRead = u.Input * (50 + g.r.IntN(40)) / 100 / 128 * 128
	}
	s.Usage = u
	s.Cost = m.cost(u)
	s.Output = []any{reply}
	attrs[AttrResponseModel] = m.version
	attrs[AttrResponseID] = m.responseID(g.r)
	attrs[AttrFinishReasons] = []any{finish}

	d := g.between(150*time.Millisecond, 900*time.Millisecond) + // time to first token
		time.Duration(float64(u.Output)*m.msPerToken*(0.7+0.6*g.r.Float64())*float64(time.Millisecond))
	d = min(d, 25*time.Second).Truncate(time.Microsecond)
	return g.close(idx, start.Add(d)), reply, nil
}

func (g *generator) tool(parent int, start time.Time, c toolCall) (time.Time, any) {
	def := &tools[c.tool]
	idx := g.open(parent, KindTool, def.name, start)
	s := g.span(idx)
	s.Operation = OpTool
	s.Input = c.args
	s.Attributes = map[string]any{
		AttrToolName:        def.name,
		AttrToolCallID:      c.id,
		AttrToolType:        "function",
		AttrToolDescription: def.desc,
	}
	if g.fail() {
		e := g.toolError(def.name)
		s.Error = &e
		return g.close(idx, start.Add(g.between(5*time.Millisecond, 5*time.Second))), map[string]any{"error": e.Type + ": " + e.Message}
	}
	s.Output = def.result(g.r, &g.facts, c.args)
	return g.close(idx, start.Add(g.between(def.min, def.max))), s.Output
}

func (g *generator) retrieval(parent int, start time.Time, query string) (time.Time, []any) {
	idx := g.open(parent, KindRetrieval, "vector_search", start)
	s := g.span(idx)
	s.Operation = OpRetrieval
	k := 2 + g.r.IntN(5)
	docs := make([]any, k)
	score := 0.92 - 0.1*g.r.Float64()
	for j := range docs {
		docs[j] = map[string]any{
			"id":      "doc-" + hex16(g.r.Uint64())[:8],
			"content": g.facts.fill(g.dom.snippets[g.r.IntN(len(g.dom.snippets))]),
			"score":   math.Round(score*1e4) / 1e4,
		}
		score -= 0.02 + 0.08*g.r.Float64()
	}
	s.Input = map[string]any{"query": query, "top_k": k}
	s.Output = map[string]any{"documents": docs}
	s.Attributes = map[string]any{
		AttrDataSourceID:       g.dom.index,
		AttrRetrievalTopK:      k,
		AttrRetrievalDocuments: docs,
		AttrDBSystem:           vectorStores[g.r.IntN(len(vectorStores))],
	}
	return g.close(idx, start.Add(g.between(15*time.Millisecond, 400*time.Millisecond))), docs
}

func (g *generator) embedding(parent int, start time.Time, text string) time.Time {
	m := &embeddingModels[g.r.IntN(len(embeddingModels))]
	idx := g.open(parent, KindEmbedding, "embeddings "+m.name, start)
	s := g.span(idx)
	s.Model, s.Provider, s.Operation = m.name, m.provider, OpEmbeddings
	s.Input = []any{text}
	s.Output = map[string]any{"count": 1, "dimensions": m.dimensions}
	s.Usage = Usage{Input: 2 + len(text)/4}
	s.Cost = m.cost(s.Usage)
	s.Attributes = map[string]any{AttrEmbeddingDimension: m.dimensions, AttrResponseModel: m.version}
	return g.close(idx, start.Add(g.between(40*time.Millisecond, 350*time.Millisecond)))
}

func (g *generator) guardrail(parent int, start time.Time, name, text string) time.Time {
	idx := g.open(parent, KindGuardrail, name, start)
	s := g.span(idx)
	s.Input = map[string]any{"text": text}
	flagged := g.r.IntN(40) == 0
	out := map[string]any{"passed": !flagged, "score": math.Round(g.r.Float64()*0.3*1e3) / 1e3}
	if flagged {
		out["action"] = "redacted"
		out["categories"] = []any{"pii.email"}
	}
	s.Output = out
	s.Attributes = map[string]any{AttrGuardrailName: name}
	return g.close(idx, start.Add(g.between(5*time.Millisecond, 250*time.Millisecond)))
}

// ---- trace-level variations ----

// longRunning keeps the root open for 2 to 10 minutes; the vendor records
// the root when it starts.
func (g *generator) longRunning(root int) {
	rs := g.span(root)
	if end := rs.Start.Add(g.between(minLongRunning, maxLongRunning)); end.After(rs.End) {
		rs.End = end
	}
	rs.Visible = rs.Start.Add(g.exportDelay())
}

// lateSpan adds a background child near the root's end whose export batch
// reaches the vendor 20 to 120 s after the trace ended.
func (g *generator) lateSpan(root int) {
	rootStart, rootEnd := g.span(root).Start, g.span(root).End
	end := rootEnd.Add(-g.between(100*time.Microsecond, time.Millisecond))
	d := g.between(time.Millisecond, min(rootEnd.Sub(rootStart)/4, 2*time.Second))
	start := end.Add(-d)
	if start.Before(rootStart) {
		start = rootStart
	}
	idx := g.open(root, KindTool, "save_memory", start)
	s := g.span(idx)
	s.Operation = OpTool
	s.Input = map[string]any{"thread_id": g.tr.ThreadID, "facts": 1 + g.r.IntN(4)}
	s.Output = map[string]any{"stored": true}
	s.Attributes = map[string]any{
		AttrToolName:   "save_memory",
		AttrToolCallID: "call_" + alnum(g.r, 24),
		AttrToolType:   "function",
	}
	s.End = end
	s.Visible = rootEnd.Add(g.between(minLateDelay, maxLateDelay))
}

// ---- tool planning ----

type callKind uint8

const (
	callTool callKind = iota
	callRetrieve
	callSubAgent
)

type toolCall struct {
	kind callKind
	tool int // index into tools for callTool
	id   string
	name string
	args map[string]any
}

// cost is the number of spans a call adds at least.
func (c toolCall) cost() int {
	switch c.kind {
	case callRetrieve:
		return 3
	case callSubAgent:
		return 6
	}
	return 1
}

// planCall picks what an agent at depth calls next, given room for avail
// more spans: one of its tools, the knowledge base (a retrieval chain) or,
// for agents at depth 1 and 2, a sub-agent (so leaves stay within depth 4).
func (g *generator) planCall(toolIdx []int, depth, avail int) toolCall {
	c := toolCall{id: "call_" + alnum(g.r, 24)}
	p := g.r.IntN(10)
	switch {
	case p <= 1 && depth <= 2 && avail >= 8 && g.dom.agent == "research-agent":
		c.kind, c.name = callSubAgent, "delegate_research"
		c.args = map[string]any{"task": g.facts.fill("Find recent sources about {company} and summarize them.")}
	case p <= 3 && depth <= 2 && avail >= 3:
		c.kind, c.name = callRetrieve, "search_knowledge_base"
		c.args = map[string]any{"query": g.question}
	default:
		c.kind = callTool
		c.tool = toolIdx[g.r.IntN(len(toolIdx))]
		c.name = tools[c.tool].name
		c.args = tools[c.tool].args(g.r, &g.facts)
	}
	return c
}

// ---- small helpers ----

func message(role, content string) map[string]any {
	return map[string]any{"role": role, "content": content}
}

func textLen(v any) int {
	if s, ok := v.(string); ok {
		return len(s)
	}
	return 0
}

const hexDigits = "0123456789abcdef"

func hex16(v uint64) string {
	var b [16]byte
	for i := 15; i >= 0; i-- {
		b[i] = hexDigits[v&0xf]
		v >>= 4
	}
	return string(b[:])
}

const alnumChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"

func alnum(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = alnumChars[r.IntN(len(alnumChars))]
	}
	return string(b)
}
