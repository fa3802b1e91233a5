package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind is a way a vendor API misbehaves.
type FaultKind string

// The fault kinds. Duplicate and Shift are about pagination and only the
// vendor part can produce them: the middleware marks the request (see
// FaultActive) and the part acts on it.
const (
	Fault5xx           FaultKind = "5xx"             // a 5xx status (default 503), Burst in a row
	Fault429           FaultKind = "429"             // 429 without any header
	Fault429RetryAfter FaultKind = "429-retry-after" // 429 with Retry-After: Seconds
	Fault429Reset      FaultKind = "429-reset"       // 429 with RateLimit-Reset: Seconds (Opik)
	FaultSlow          FaultKind = "slow"            // wait Delay before answering normally
	FaultReset         FaultKind = "reset"           // close the connection without answering
	FaultMalformed     FaultKind = "malformed"       // 200 with a body that is not JSON
	FaultTruncated     FaultKind = "truncated"       // the real answer with its body cut in half
	FaultOversized     FaultKind = "oversized"       // 200 with a JSON body larger than Bytes
	FaultDuplicate     FaultKind = "duplicate"       // the part repeats Count items across pages
	FaultShift         FaultKind = "shift"           // the part shifts pages by Count items
	FaultRedirect      FaultKind = "redirect"        // 307 to To (another host or port) plus the request's path and query
)

// FaultKinds lists every kind.
var FaultKinds = []FaultKind{
	Fault5xx, Fault429, Fault429RetryAfter, Fault429Reset, FaultSlow, FaultReset,
	FaultMalformed, FaultTruncated, FaultOversized, FaultDuplicate, FaultShift, FaultRedirect,
}

// Parameter defaults.
const (
	DefaultFaultStatus  = http.StatusServiceUnavailable
	DefaultFaultSeconds = 1
	DefaultFaultDelay   = 30 * time.Second
	DefaultFaultBytes   = 80 << 20
)

// Rule injects one kind of fault into the matching requests of a schedule.
//
// A request matches when its vendor, method and path match. The schedule
// counts matching requests (1, 2, 3, ...) and triggers on every Every-th
// one, on the first First ones, or on each with Probability (a PRNG seeded
// with Seed); with none of them set it triggers on every matching request.
// Each trigger affects Burst consecutive matching requests (default 1).
type Rule struct {
	// Vendor is the part's name; "" or "*" matches every vendor.
	Vendor string
	// Method is an HTTP method (any case); "" or "*" matches every method.
	Method string
	// PathPrefix matches the request path segment-wise: "/api/traces"
	// matches "/api/traces" and "/api/traces/search" but not
	// "/api/traces2"; a trailing "*" makes it a plain string prefix; "",
	// "/" and "*" match every path.
	PathPrefix string
	Kind       FaultKind

	Every       int
	First       int
	Probability float64
	Seed        uint64
	Burst       int

	Status  int           // 5xx only: the status code, default 503
	Seconds int           // 429-retry-after and 429-reset only: the header value, default 1
	Delay   time.Duration // slow only: default 30s
	Bytes   int64         // oversized only: the body exceeds it, default 80 MiB
	Count   int           // duplicate and shift only: how many items, default 1
	To      string        // redirect only: the base URL redirected to (required)
}

// Validate reports what is wrong with the rule.
func (r Rule) Validate() error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if !slices.Contains(FaultKinds, r.Kind) {
		bad("unknown fault kind %q (want one of %s)", r.Kind, kindList())
	}
	schedules := 0
	for _, set := range []bool{r.Every != 0, r.First != 0, r.Probability != 0} {
		if set {
			schedules++
		}
	}
	if schedules > 1 {
		bad("every, first and p exclude each other")
	}
	if r.Every < 0 || r.First < 0 || r.Burst < 0 || r.Seconds < 0 || r.Delay < 0 || r.Bytes < 0 || r.Count < 0 {
		bad("negative parameter")
	}
	if r.Probability < 0 || r.Probability > 1 {
		bad("p must be within [0, 1], got %v", r.Probability)
	}
	if r.Seed != 0 && r.Probability == 0 {
		bad("seed needs p")
	}
	only := func(set bool, name string, kinds ...FaultKind) {
		if set && !slices.Contains(kinds, r.Kind) {
			bad("%s does not apply to %s", name, r.Kind)
		}
	}
	only(r.Status != 0, "status", Fault5xx)
	if r.Status != 0 && (r.Status < 500 || r.Status > 599) {
		bad("status must be 5xx, got %d", r.Status)
	}
	only(r.Seconds != 0, "seconds", Fault429RetryAfter, Fault429Reset)
	only(r.Delay != 0, "delay", FaultSlow)
	only(r.Bytes != 0, "bytes", FaultOversized)
	only(r.Count != 0, "count", FaultDuplicate, FaultShift)
	only(r.To != "", "to", FaultRedirect)
	if r.Kind == FaultRedirect && r.To == "" {
		bad("redirect needs to=URL")
	}
	return errors.Join(errs...)
}

func kindList() string {
	s := make([]string, len(FaultKinds))
	for i, k := range FaultKinds {
		s[i] = string(k)
	}
	return strings.Join(s, ", ")
}

// withDefaults fills the kind's parameters.
func (r Rule) withDefaults() Rule {
	r.Burst = max(r.Burst, 1)
	switch r.Kind {
	case Fault5xx:
		if r.Status == 0 {
			r.Status = DefaultFaultStatus
		}
	case Fault429RetryAfter, Fault429Reset:
		if r.Seconds == 0 {
			r.Seconds = DefaultFaultSeconds
		}
	case FaultSlow:
		if r.Delay == 0 {
			r.Delay = DefaultFaultDelay
		}
	case FaultOversized:
		if r.Bytes == 0 {
			r.Bytes = DefaultFaultBytes
		}
	case FaultDuplicate, FaultShift:
		r.Count = max(r.Count, 1)
	}
	return r
}

func (r *Rule) matches(vendor string, req *http.Request) bool {
	if r.Vendor != "" && r.Vendor != "*" && r.Vendor != vendor {
		return false
	}
	if r.Method != "" && r.Method != "*" && !strings.EqualFold(r.Method, req.Method) {
		return false
	}
	return matchPath(r.PathPrefix, req.URL.Path)
}

func matchPath(prefix, path string) bool {
	switch {
	case prefix == "" || prefix == "/" || prefix == "*":
		return true
	case strings.HasSuffix(prefix, "*"):
		return strings.HasPrefix(path, prefix[:len(prefix)-1])
	case !strings.HasPrefix(path, prefix):
		return false
	}
	return len(path) == len(prefix) || strings.HasSuffix(prefix, "/") || path[len(prefix)] == '/'
}

// FaultGrammar documents the rule syntax ParseRule reads.
const FaultGrammar = `VENDOR:PATTERN:KIND[:PARAM=VALUE,...]
  VENDOR   a vendor name, or * for all
  PATTERN  [METHOD ]PATH-PREFIX, METHOD alone, or * for all requests; the
           prefix matches whole path segments (/api/traces matches
           /api/traces/search), a trailing * makes it a plain prefix
  KIND     5xx | 429 | 429-retry-after | 429-reset | slow | reset | malformed |
           truncated | oversized | duplicate | shift | redirect
  PARAM    schedule (at most one; none = every matching request):
             every=N   every Nth matching request
             first=N   the first N matching requests
             p=F       each matching request with probability F (seed=N, default 1)
           burst=N     each trigger affects N consecutive matching requests
           status=N    5xx: the status code (default 503)
           seconds=N   429-retry-after, 429-reset: the header value (default 1)
           delay=D     slow: how long to wait, e.g. 45s (default 30s)
           bytes=SIZE  oversized: body size to exceed, e.g. 80MiB (default 80MiB)
           count=N     duplicate, shift: items repeated or shifted (default 1)
           to=URL      redirect: where to (required), e.g. to=http://127.0.0.1:9
  e.g. langtrace:POST /api/traces:429-retry-after:every=5,seconds=2`

// ParseRule reads a rule written as FaultGrammar describes.
func ParseRule(spec string) (Rule, error) {
	fields := strings.SplitN(spec, ":", 4)
	if len(fields) < 3 {
		return Rule{}, fmt.Errorf("fault %q: want VENDOR:PATTERN:KIND[:PARAMS]", spec)
	}
	r := Rule{Vendor: strings.TrimSpace(fields[0]), Kind: FaultKind(strings.TrimSpace(fields[2]))}
	switch pat := strings.Fields(fields[1]); len(pat) {
	case 0:
	case 1:
		if strings.HasPrefix(pat[0], "/") || pat[0] == "*" {
			r.PathPrefix = pat[0]
		} else {
			r.Method = pat[0]
		}
	case 2:
		r.Method, r.PathPrefix = pat[0], pat[1]
	default:
		return Rule{}, fmt.Errorf("fault %q: pattern %q is not [METHOD ]PATH", spec, fields[1])
	}
	if r.Method != "" && r.Method != "*" {
		r.Method = strings.ToUpper(r.Method)
	}
	if len(fields) == 4 && strings.TrimSpace(fields[3]) != "" {
		for _, kv := range strings.Split(fields[3], ",") {
			k, v, ok := strings.Cut(strings.TrimSpace(kv), "=")
			if !ok {
				return Rule{}, fmt.Errorf("fault %q: parameter %q is not KEY=VALUE", spec, kv)
			}
			if err := r.set(k, v); err != nil {
				return Rule{}, fmt.Errorf("fault %q: %s: %w", spec, k, err)
			}
		}
	}
	if err := r.Validate(); err != nil {
		return Rule{}, fmt.Errorf("fault %q: %w", spec, err)
	}
	return r, nil
}

func (r *Rule) set(k, v string) error {
	var err error
	atoi := func(dst *int) {
		var n int
		if n, err = strconv.Atoi(v); err == nil {
			*dst = n
		}
	}
	switch k {
	case "every":
		atoi(&r.Every)
	case "first":
		atoi(&r.First)
	case "p", "prob", "probability":
		r.Probability, err = strconv.ParseFloat(v, 64)
	case "seed":
		r.Seed, err = strconv.ParseUint(v, 10, 64)
	case "burst":
		atoi(&r.Burst)
	case "status":
		atoi(&r.Status)
	case "seconds":
		atoi(&r.Seconds)
	case "delay":
		r.Delay, err = time.ParseDuration(v)
	case "bytes":
		r.Bytes, err = ParseSize(v)
	case "count":
		atoi(&r.Count)
	case "to":
		r.To = v
	default:
		return errors.New("unknown parameter")
	}
	return err
}

// String writes the rule in the FaultGrammar syntax.
func (r Rule) String() string {
	var b strings.Builder
	b.WriteString(orStar(r.Vendor))
	b.WriteByte(':')
	switch {
	case r.Method != "" && r.Method != "*":
		b.WriteString(r.Method + " " + orStar(r.PathPrefix))
	default:
		b.WriteString(orStar(r.PathPrefix))
	}
	b.WriteString(":" + string(r.Kind))
	var ps []string
	add := func(set bool, k, v string) {
		if set {
			ps = append(ps, k+"="+v)
		}
	}
	add(r.Every != 0, "every", strconv.Itoa(r.Every))
	add(r.First != 0, "first", strconv.Itoa(r.First))
	add(r.Probability != 0, "p", strconv.FormatFloat(r.Probability, 'g', -1, 64))
	add(r.Seed != 0, "seed", strconv.FormatUint(r.Seed, 10))
	add(r.Burst != 0, "burst", strconv.Itoa(r.Burst))
	add(r.Status != 0, "status", strconv.Itoa(r.Status))
	add(r.Seconds != 0, "seconds", strconv.Itoa(r.Seconds))
	add(r.Delay != 0, "delay", r.Delay.String())
	add(r.Bytes != 0, "bytes", FormatSize(r.Bytes))
	add(r.Count != 0, "count", strconv.Itoa(r.Count))
	add(r.To != "", "to", r.To)
	if len(ps) > 0 {
		b.WriteString(":" + strings.Join(ps, ","))
	}
	return b.String()
}

func orStar(s string) string {
	if s == "" {
		return "*"
	}
	return s
}

var sizeUnits = []struct {
	suffix string
	mult   int64
}{{"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"GB", 1e9}, {"MB", 1e6}, {"KB", 1e3}, {"B", 1}}

// ParseSize reads a byte count with an optional unit: 1024, 512KiB, 80MiB,
// 1GiB, 10MB (KB, MB, GB are powers of 1000).
func ParseSize(s string) (int64, error) {
	s = strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range sizeUnits {
		if strings.HasSuffix(s, u.suffix) {
			s, mult = strings.TrimSpace(strings.TrimSuffix(s, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("invalid size %q", s)
	}
	return n * mult, nil
}

// FormatSize writes n in the largest binary unit that divides it.
func FormatSize(n int64) string {
	for _, u := range sizeUnits[:3] {
		if n != 0 && n%u.mult == 0 {
			return strconv.FormatInt(n/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}

// Faults is a switchable set of rules shared by all vendors of a server.
// Rules can be added and removed while requests are served. A nil *Faults
// injects nothing.
type Faults struct {
	mu       sync.Mutex
	rules    []*ruleState
	nextID   int
	injected map[FaultKind]int
}

type ruleState struct {
	id    int
	rule  Rule // with defaults
	seen  int  // matching requests so far
	burst int  // requests left in the current burst
	rng   *rand.Rand
}

// NewFaults returns a Faults holding rules.
func NewFaults(rules ...Rule) (*Faults, error) {
	f := &Faults{}
	for _, r := range rules {
		if _, err := f.Add(r); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// Add switches a rule on and returns its id for Remove. Rules apply in the
// order they were added.
func (f *Faults) Add(r Rule) (int, error) {
	if err := r.Validate(); err != nil {
		return 0, fmt.Errorf("fault %s: %w", r, err)
	}
	seed := r.Seed
	if seed == 0 {
		seed = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.nextID++
	f.rules = append(f.rules, &ruleState{
		id:   f.nextID,
		rule: r.withDefaults(),
		rng:  rand.New(rand.NewPCG(seed, 0x6c8e9cf570932bd5)),
	})
	return f.nextID, nil
}

// AddString parses a rule (FaultGrammar) and adds it.
func (f *Faults) AddString(spec string) (int, error) {
	r, err := ParseRule(spec)
	if err != nil {
		return 0, err
	}
	return f.Add(r)
}

// Remove switches the rule with that id off; it reports whether it was on.
func (f *Faults) Remove(id int) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, rs := range f.rules {
		if rs.id == id {
			f.rules = slices.Delete(f.rules, i, i+1)
			return true
		}
	}
	return false
}

// Clear switches every rule off.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.rules = nil
	f.mu.Unlock()
}

// Rules returns the rules that are on, in order, with defaults filled in.
func (f *Faults) Rules() []Rule {
	if f == nil {
		return nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]Rule, len(f.rules))
	for i, rs := range f.rules {
		out[i] = rs.rule
	}
	return out
}

// Injected is how many requests got a fault of kind so far. Duplicate and
// shift count when the request is handed to the part marked with them.
func (f *Faults) Injected(kind FaultKind) int {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.injected[kind]
}

// decide advances the schedules of the rules matching the request and
// returns those that trigger, in rule order.
func (f *Faults) decide(vendor string, req *http.Request) []Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	var hit []Rule
	for _, rs := range f.rules {
		if !rs.rule.matches(vendor, req) {
			continue
		}
		rs.seen++
		trigger := rs.burst > 0
		if trigger {
			rs.burst--
		} else if trigger = rs.scheduled(); trigger {
			rs.burst = rs.rule.Burst - 1
		}
		if trigger {
			hit = append(hit, rs.rule)
		}
	}
	return hit
}

func (rs *ruleState) scheduled() bool {
	r := &rs.rule
	switch {
	case r.Every > 0:
		return rs.seen%r.Every == 0
	case r.First > 0:
		return rs.seen <= r.First
	case r.Probability > 0:
		return rs.rng.Float64() < r.Probability
	}
	return true
}

func (f *Faults) count(kind FaultKind) {
	f.mu.Lock()
	if f.injected == nil {
		f.injected = map[FaultKind]int{}
	}
	f.injected[kind]++
	f.mu.Unlock()
}

// Middleware injects the faults of vendor's rules into next.
func (f *Faults) Middleware(vendor string, next http.Handler) http.Handler {
	if f == nil {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		hit := f.decide(vendor, req)
		if len(hit) == 0 {
			next.ServeHTTP(w, req)
			return
		}
		var marks []Rule
		var truncate, terminal *Rule
		for i := range hit {
			switch r := &hit[i]; r.Kind {
			case FaultSlow:
				f.count(FaultSlow)
				t := time.NewTimer(r.Delay)
				select {
				case <-req.Context().Done():
					t.Stop()
					return
				case <-t.C:
				}
			case FaultDuplicate, FaultShift:
				marks = append(marks, *r)
			case FaultTruncated:
				if truncate == nil {
					truncate = r
				}
			default:
				if terminal == nil {
					terminal = r
				}
			}
		}
		if terminal != nil {
			f.count(terminal.Kind)
			respondFault(w, req, *terminal)
			return
		}
		if len(marks) > 0 {
			for _, m := range marks {
				f.count(m.Kind)
			}
			req = req.WithContext(context.WithValue(req.Context(), faultsKey{}, marks))
		}
		if truncate != nil {
			f.count(FaultTruncated)
			bw := &bufferedWriter{header: w.Header()}
			next.ServeHTTP(bw, req)
			half := bw.buf.Bytes()[:bw.buf.Len()/2]
			w.Header().Set("Content-Length", strconv.Itoa(len(half)))
			w.WriteHeader(orDefault(bw.status, http.StatusOK))
			_, _ = w.Write(half)
			return
		}
		next.ServeHTTP(w, req)
	})
}

func orDefault(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

type faultsKey struct{}

// FaultActive reports whether the request whose context is ctx is marked
// with a fault of kind (used by parts for duplicate and shift).
func FaultActive(ctx context.Context, kind FaultKind) bool {
	_, ok := ActiveFault(ctx, kind)
	return ok
}

// ActiveFault returns the rule that marked the request with kind, for its
// parameters (Count).
func ActiveFault(ctx context.Context, kind FaultKind) (Rule, bool) {
	marks, _ := ctx.Value(faultsKey{}).([]Rule)
	for _, r := range marks {
		if r.Kind == kind {
			return r, true
		}
	}
	return Rule{}, false
}

// malformedBody looks like the start of a JSON answer but is not JSON.
const malformedBody = `{"data":[{"id":"0194e0f6-7a2b-7c3d-9e4f-0a1b2c3d4e5f","name":"chat gpt-4o","input":{"messages":[{"role":"user",` +
	`"content":"hello"}]},]"output":<!-- upstream proxy error -->`

func respondFault(w http.ResponseWriter, req *http.Request, r Rule) {
	h := w.Header()
	switch r.Kind {
	case Fault5xx:
		writeJSON(w, r.Status, `{"error":"`+http.StatusText(r.Status)+` (injected fault)"}`)
	case Fault429:
		writeJSON(w, http.StatusTooManyRequests, `{"error":"Too Many Requests (injected fault)"}`)
	case Fault429RetryAfter:
		h.Set("Retry-After", strconv.Itoa(r.Seconds))
		writeJSON(w, http.StatusTooManyRequests, `{"error":"Too Many Requests (injected fault)"}`)
	case Fault429Reset:
		h.Set("RateLimit-Reset", strconv.Itoa(r.Seconds))
		writeJSON(w, http.StatusTooManyRequests, `{"code":429,"message":"Too Many Requests: injected fault"}`)
	case FaultMalformed:
		writeJSON(w, http.StatusOK, malformedBody)
	case FaultOversized:
		writeOversized(w, req, r.Bytes)
	case FaultReset:
		resetConn(w)
	case FaultRedirect:
		http.Redirect(w, req, strings.TrimRight(r.To, "/")+req.URL.RequestURI(), http.StatusTemporaryRedirect)
	}
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write([]byte(body))
}

// oversizedChunk is a run of valid JSON array items, each followed by a comma.
var oversizedChunk = func() []byte {
	item := `{"id":"0194e0f6-7a2b-7c3d-9e4f-0a1b2c3d4e5f","name":"padding","output":"` + strings.Repeat("x", 900) + `"},`
	return bytes.Repeat([]byte(item), 64<<10/len(item))
}()

// writeOversized streams a valid JSON object longer than limit bytes
// (chunked, no Content-Length), stopping when the client goes away.
func writeOversized(w http.ResponseWriter, req *http.Request, limit int64) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	n, err := w.Write([]byte(`{"items":[`))
	written := int64(n)
	for err == nil && written <= limit && req.Context().Err() == nil {
		n, err = w.Write(oversizedChunk)
		written += int64(n)
	}
	if err == nil {
		_, _ = w.Write([]byte(`{"id":"end"}]}`))
	}
}

// resetConn closes the connection without an answer, with a TCP RST when
// possible.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// bufferedWriter keeps a handler's answer so that it can be cut.
type bufferedWriter struct {
	header http.Header
	status int
	buf    bytes.Buffer
}

func (b *bufferedWriter) Header() http.Header { return b.header }

func (b *bufferedWriter) WriteHeader(status int) {
	if b.status == 0 {
		b.status = status
	}
}

func (b *bufferedWriter) Write(p []byte) (int, error) {
	if b.status == 0 {
		b.status = http.StatusOK
	}
	return b.buf.Write(p)
}

// Flush lets streaming parts run unchanged; the body is sent at the end.
func (b *bufferedWriter) Flush() {}

var _ http.Flusher = (*bufferedWriter)(nil)
