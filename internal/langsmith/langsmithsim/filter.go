package langsmithsim

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/llmtrace/llmtrace/internal/sim"
)

// LangSmith's filter expressions (trace query syntax): comparators over
// run fields, combined with and/or, e.g.
//
//	and(eq(metadata_key, "environment"), eq(metadata_value, "production"))
//
// The part parses the whole grammar and refuses what LangSmith refuses (a
// syntax error, an unknown comparator or field: 400 problem details). It
// evaluates and, or, eq and neq on name, run_type, status, metadata_key and
// metadata_value against root runs (traces/query trace_filter,
// threads/query trace_filter, a thread's traces' filter); an eq or neq on
// metadata_key and one on metadata_value within one and() must hold for the
// same metadata entry, as in LangSmith. Anything else LangSmith knows is
// answered 501 (not simulated), so that nothing relies on it unnoticed.

// knownComparators and knownFields are the trace query syntax's
// (docs.langchain.com trace-query-syntax, langchain-ai/docs PR #2323).
var (
	knownComparators = []string{"and", "or", "not", "eq", "neq", "gt", "gte", "lt", "lte", "has", "search", "like", "notlike", "in", "exists"}
	knownFields      = []string{
		"id", "name", "run_type", "status", "start_time", "end_time", "latency", "first_token_time", "total_tokens",
		"prompt_tokens", "completion_tokens", "total_cost", "prompt_cost", "completion_cost", "error", "execution_order",
		"tags", "metadata", "metadata_key", "metadata_value", "inputs", "outputs", "input_key", "input_value",
		"output_key", "output_value", "feedback_key", "feedback_score", "feedback_value", "trace_id", "parent_run_id",
		"is_root", "thread_id", "reference_example_id",
	}
	simulatedFields = []string{"name", "run_type", "status", "metadata_key", "metadata_value"}
)

// filterNode is a parsed expression: a call (op with args) or a literal
// (an identifier or a string, number or boolean as text).
type filterNode struct {
	op      string
	args    []*filterNode
	literal string
	ident   bool // the literal is an identifier (a field name)
}

// filterScanner tokenizes an expression.
type filterScanner struct {
	s   string
	pos int
}

var errFilterEnd = errors.New("unexpected end of expression")

func (sc *filterScanner) skipSpace() {
	for sc.pos < len(sc.s) && unicode.IsSpace(rune(sc.s[sc.pos])) {
		sc.pos++
	}
}

// parseFilterExpr parses a whole expression.
func parseFilterExpr(s string) (*filterNode, error) {
	sc := &filterScanner{s: s}
	n, err := sc.node()
	if err != nil {
		return nil, err
	}
	if sc.skipSpace(); sc.pos < len(sc.s) {
		return nil, fmt.Errorf("unexpected %q at position %d", sc.s[sc.pos:], sc.pos+1)
	}
	if n.op == "" {
		return nil, fmt.Errorf("%q is not a comparison", n.literal)
	}
	return n, nil
}

// node reads a literal or a call.
func (sc *filterScanner) node() (*filterNode, error) {
	sc.skipSpace()
	if sc.pos >= len(sc.s) {
		return nil, errFilterEnd
	}
	switch c := sc.s[sc.pos]; {
	case c == '"' || c == '\'':
		v, err := sc.quoted(c)
		return &filterNode{literal: v}, err
	case c == '-' || c == '.' || (c >= '0' && c <= '9'):
		start := sc.pos
		for sc.pos < len(sc.s) && strings.ContainsRune("+-.0123456789eE", rune(sc.s[sc.pos])) {
			sc.pos++
		}
		if _, err := strconv.ParseFloat(sc.s[start:sc.pos], 64); err != nil {
			return nil, fmt.Errorf("invalid number %q", sc.s[start:sc.pos])
		}
		return &filterNode{literal: sc.s[start:sc.pos]}, nil
	case c == '_' || unicode.IsLetter(rune(c)):
		return sc.identOrCall()
	default:
		return nil, fmt.Errorf("unexpected %q at position %d", string(c), sc.pos+1)
	}
}

// quoted reads a string in quote q, with backslash escapes.
func (sc *filterScanner) quoted(q byte) (string, error) {
	var b strings.Builder
	for sc.pos++; sc.pos < len(sc.s); sc.pos++ {
		switch c := sc.s[sc.pos]; {
		case c == '\\' && sc.pos+1 < len(sc.s):
			sc.pos++
			b.WriteByte(sc.s[sc.pos])
		case c == q:
			sc.pos++
			return b.String(), nil
		default:
			b.WriteByte(c)
		}
	}
	return "", errors.New("unterminated string")
}

// identOrCall reads an identifier, and the call it starts when a
// parenthesis follows.
func (sc *filterScanner) identOrCall() (*filterNode, error) {
	start := sc.pos
	for sc.pos < len(sc.s) && (sc.s[sc.pos] == '_' || unicode.IsLetter(rune(sc.s[sc.pos])) || unicode.IsDigit(rune(sc.s[sc.pos]))) {
		sc.pos++
	}
	name := sc.s[start:sc.pos]
	if sc.skipSpace(); sc.pos >= len(sc.s) || sc.s[sc.pos] != '(' {
		return &filterNode{literal: name, ident: true}, nil
	}
	if !slices.Contains(knownComparators, name) {
		return nil, fmt.Errorf("unknown comparator %q", name)
	}
	n := &filterNode{op: name}
	sc.pos++
	for {
		arg, err := sc.node()
		if err != nil {
			return nil, err
		}
		n.args = append(n.args, arg)
		if sc.skipSpace(); sc.pos >= len(sc.s) {
			return nil, errFilterEnd
		}
		switch sc.s[sc.pos] {
		case ',':
			sc.pos++
		case ')':
			sc.pos++
			return n, n.check()
		default:
			return nil, fmt.Errorf("expected ',' or ')' at position %d", sc.pos+1)
		}
	}
}

// check validates a call's arguments: and/or take comparisons, a
// comparator a field and a value (search a value only).
func (n *filterNode) check() error {
	switch n.op {
	case "and", "or", "not":
		for _, a := range n.args {
			if a.op == "" {
				return fmt.Errorf("%s() takes comparisons, not %q", n.op, a.literal)
			}
		}
		if n.op == "not" && len(n.args) != 1 {
			return errors.New("not() takes one comparison")
		}
		return nil
	case "search":
		if len(n.args) != 1 || n.args[0].op != "" {
			return errors.New("search() takes one value")
		}
		return nil
	}
	if len(n.args) < 2 || n.args[0].op != "" || !n.args[0].ident {
		return fmt.Errorf("%s() takes a field and a value", n.op)
	}
	if f := n.args[0].literal; !slices.Contains(knownFields, f) {
		return fmt.Errorf("unknown field %q", f)
	}
	for _, a := range n.args[1:] {
		if a.op != "" {
			return fmt.Errorf("%s() compares a field with a value, not a comparison", n.op)
		}
	}
	return nil
}

// unsimulated names the first part of the expression the part does not
// evaluate, "" when it evaluates all of it.
func (n *filterNode) unsimulated() string {
	switch n.op {
	case "and", "or":
		for _, a := range n.args {
			if u := a.unsimulated(); u != "" {
				return u
			}
		}
		return ""
	case "eq", "neq":
		if f := n.args[0].literal; !slices.Contains(simulatedFields, f) || len(n.args) != 2 {
			return n.op + "(" + f + ", ...)"
		}
		return ""
	}
	return n.op + "()"
}

// rootFacts are the root run's fields a filter is evaluated on.
type rootFacts struct {
	name, runType, status string
	metadata              map[string]any
}

func (v *runView) rootFacts() rootFacts {
	m, _ := v.metadata(0).(map[string]any)
	return rootFacts{name: v.tr.Spans[0].Name, runType: runType(v.tr.Spans[0].Kind), status: v.status(0), metadata: m}
}

// eval evaluates a simulated expression.
func (n *filterNode) eval(r *rootFacts) bool {
	switch n.op {
	case "or":
		return slices.ContainsFunc(n.args, func(a *filterNode) bool { return a.eval(r) })
	case "and":
		var pair []*filterNode // comparisons on metadata_key and metadata_value
		for _, a := range n.args {
			if f := a.args[0].literal; f == "metadata_key" || f == "metadata_value" {
				pair = append(pair, a)
			} else if !a.eval(r) {
				return false
			}
		}
		return len(pair) == 0 || r.metadataEntry(pair)
	}
	switch n.args[0].literal {
	case "metadata_key", "metadata_value":
		return r.metadataEntry([]*filterNode{n})
	case "name":
		return (r.name == n.args[1].literal) == (n.op == "eq")
	case "run_type":
		return strings.EqualFold(r.runType, n.args[1].literal) == (n.op == "eq")
	}
	return strings.EqualFold(r.status, n.args[1].literal) == (n.op == "eq")
}

// metadataEntry reports whether one metadata entry passes every comparison
// on its key and value.
func (r *rootFacts) metadataEntry(cmps []*filterNode) bool {
	for k, v := range r.metadata {
		text, ok := v.(string)
		if !ok {
			text = fmt.Sprint(v)
		}
		all := true
		for _, c := range cmps {
			got := k
			if c.args[0].literal == "metadata_value" {
				got = text
			}
			if (got == c.args[1].literal) != (c.op == "eq") {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// rootFilter is a request's filter on root runs: nil when it has none.
type rootFilter struct{ expr *filterNode }

// parseRootFilter reads the filter expression of the request parameter
// param: a syntax error, an unknown comparator or field is a 400; what the
// part does not evaluate is a 501.
func parseRootFilter(param, expr string) (*rootFilter, *badRequest) {
	if strings.TrimSpace(expr) == "" {
		return nil, nil
	}
	n, err := parseFilterExpr(expr)
	if err != nil {
		return nil, invalid("invalid " + param + ": " + err.Error())
	}
	if u := n.unsimulated(); u != "" {
		return nil, &badRequest{http.StatusNotImplemented, "Not Implemented", "the simulator does not evaluate " + u + " in filter expressions"}
	}
	return &rootFilter{expr: n}, nil
}

// matches reports whether the root run of a trace view passes the filter
// (every trace without one).
func (f *rootFilter) matches(v *runView) bool {
	if f == nil {
		return true
	}
	r := v.rootFacts()
	return f.expr.eval(&r)
}

// passes is matches for a trace of the index at now.
func (h *handler) passes(f *rootFilter, info *traceInfo, now time.Time) bool {
	return f == nil || f.matches(h.view(info, now))
}

// farFuture is after every run of any dataset has ended.
var farFuture = time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)

// completeView is a trace as LangSmith holds it once complete.
func completeView(tr *sim.Trace) *runView {
	return newRunView(tr, newTraceInfo(tr), farFuture, "")
}
