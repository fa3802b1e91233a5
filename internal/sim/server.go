package sim // import "github.com/llmtrace/llmtrace/internal/sim"

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/collector/pdata/ptrace"
	"go.uber.org/zap"
)

// Credentials are what the simulated vendors accept; parts check the headers
// their vendor uses against them (an empty field accepts anything).
type Credentials struct {
	APIKey    string
	Workspace string
	// Project is the project name (or id) the dataset belongs to.
	Project string
}

// Env is what every part serves from.
type Env struct {
	Data   *Dataset
	Clock  Clock
	Creds  Credentials
	Logger *zap.Logger
}

// Now is the simulated time.
func (e *Env) Now() time.Time { return e.Clock.Now() }

// Part simulates one vendor's API. Its handler serves the vendor's paths from
// the root of its own listener, so the receiver's endpoint for the vendor is
// the listener's URL (a part may serve under a prefix such as Opik's /api;
// the endpoint then includes it).
type Part interface {
	// Name is the vendor's name, as in the receiver's configuration.
	Name() string
	// Handler builds the part's handler; it is called once, at Start.
	Handler(env *Env) http.Handler
	// ReceiverConfig is the receiver's vendor block (its keys as in the
	// collector's YAML) that polls this part at endpoint with creds: the
	// shared tests and the end-to-end test configure the receiver with it.
	ReceiverConfig(endpoint string, creds Credentials) map[string]any
	// Scenarios are the runs of the shared exactly-once test for this
	// vendor; the first is the vendor's main run.
	Scenarios() []Scenario
}

// Scenario is one run of the shared exactly-once test: a simulated world
// (a backlog, then live traces on an accelerated clock), faults, restarts
// of the receiver, and a span-by-span comparison with the ground truth.
type Scenario struct {
	// Name names the run (a subtest); "" for the vendor's main run.
	Name string
	// Part serves the run; nil means the part itself (a variant of the
	// part, e.g. an older server, runs as its own scenario).
	Part Part
	// Config is merged over ReceiverConfig (e.g. another discovery mode).
	Config map[string]any
	// Dataset shapes the traces (Origin and Interval are set by the
	// test from Backfill and PerSecond).
	Dataset DatasetConfig
	// Backfill worth of traces exist at start; then new ones start at
	// PerSecond (vendor time) until Dataset.Traces are used up.
	Backfill  time.Duration
	PerSecond float64
	// Faults are fault rules (the grammar of Faults.AddString); every one
	// must have been injected by the end of the run.
	Faults []string
	// TimePrecision is what the vendor keeps of span times (0: exact).
	TimePrecision time.Duration
	// EndToEnd sizes the vendor's part of the end-to-end test (the main
	// scenario's is used); zero values take the test's defaults.
	EndToEnd EndToEnd
}

// EndToEnd sizes a vendor's backfill in the end-to-end test, which slows
// every request so that the collector can be killed mid-backfill: a vendor
// read per trace, or under a tight rate limit, needs fewer traces and a
// shorter delay to finish in minutes.
type EndToEnd struct {
	Traces       int
	RequestDelay time.Duration
}

// Truther is implemented by parts whose vendor cannot express everything the
// default ground truth holds (millisecond times, no status message, ...):
// Expected then returns what a perfect receiver produces from that vendor.
type Truther interface {
	Expected(tr Trace) ptrace.Traces
}

// TruthFor returns the ground-truth function for part: its own Expected if it
// is a Truther, else Expected with the resource service.name = project,
// llmtrace.vendor = part name, llmtrace.project = project.
func TruthFor(part Part, creds Credentials) func(Trace) ptrace.Traces {
	if t, ok := part.(Truther); ok {
		return t.Expected
	}
	res := Resource{ServiceName: creds.Project, Vendor: part.Name(), Project: creds.Project}
	return func(tr Trace) ptrace.Traces { return Expected(tr, res, ExpectedOptions{}) }
}

// DefaultAddr is where a part listens when no address is given: loopback, a
// free port.
const DefaultAddr = "127.0.0.1:0"

// Server hosts parts, each on its own listener.
type Server struct {
	vendors map[string]*vendorServer
	names   []string
	wg      sync.WaitGroup
}

type vendorServer struct {
	url      string
	srv      *http.Server
	requests atomic.Int64
}

// Start serves each part on addr[part name] (default DefaultAddr). Every
// request is counted, then passes through faults (which may be nil), then
// reaches the part. Clock defaults to WallClock, Logger to a no-op logger.
func Start(parts []Part, env *Env, faults *Faults, addr map[string]string) (*Server, error) {
	if env == nil || env.Data == nil {
		return nil, errors.New("sim: env.Data is required")
	}
	base := *env
	if base.Clock == nil {
		base.Clock = WallClock{}
	}
	if base.Logger == nil {
		base.Logger = zap.NewNop()
	}
	s := &Server{vendors: map[string]*vendorServer{}}
	for name := range addr {
		if !slices.ContainsFunc(parts, func(p Part) bool { return p.Name() == name }) {
			return nil, fmt.Errorf("sim: address given for %q, which is not among the parts", name)
		}
	}
	for _, p := range parts {
		name := p.Name()
		if _, dup := s.vendors[name]; dup {
			_ = s.Close()
			return nil, fmt.Errorf("sim: two parts named %q", name)
		}
		a := addr[name]
		if a == "" {
			a = DefaultAddr
		}
		ln, err := net.Listen("tcp", a)
		if err != nil {
			_ = s.Close()
			return nil, fmt.Errorf("sim: listen for %s on %s: %w", name, a, err)
		}
		penv := base
		penv.Logger = base.Logger.Named(name)
		vs := &vendorServer{url: "http://" + ln.Addr().String()}
		h := faults.Middleware(name, p.Handler(&penv))
		vs.srv = &http.Server{
			Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				vs.requests.Add(1)
				if ce := penv.Logger.Check(zap.DebugLevel, "request"); ce != nil {
					ce.Write(zap.String("method", r.Method), zap.String("uri", r.RequestURI))
				}
				h.ServeHTTP(w, r)
			}),
			ReadHeaderTimeout: 10 * time.Second,
			ErrorLog:          zap.NewStdLog(penv.Logger),
		}
		s.vendors[name] = vs
		s.names = append(s.names, name)
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if err := vs.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				penv.Logger.Error("serve", zap.Error(err))
			}
		}()
		penv.Logger.Debug("listening", zap.String("url", vs.url))
	}
	slices.Sort(s.names)
	return s, nil
}

// Vendors lists the served vendors, sorted.
func (s *Server) Vendors() []string { return append([]string(nil), s.names...) }

// URL is the base URL of vendor's listener ("" for an unknown vendor).
func (s *Server) URL(vendor string) string {
	if vs := s.vendors[vendor]; vs != nil {
		return vs.url
	}
	return ""
}

// URLs maps every vendor to its URL.
func (s *Server) URLs() map[string]string {
	m := make(map[string]string, len(s.vendors))
	for name, vs := range s.vendors {
		m[name] = vs.url
	}
	return m
}

// Requests is how many HTTP requests vendor's listener has received,
// including those answered with an injected fault.
func (s *Server) Requests(vendor string) int {
	if vs := s.vendors[vendor]; vs != nil {
		return int(vs.requests.Load())
	}
	return 0
}

// Shutdown stops accepting requests and waits for those in flight until ctx
// ends, then closes what is left.
func (s *Server) Shutdown(ctx context.Context) error {
	var errs []error
	for _, vs := range s.vendors {
		if err := vs.srv.Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = vs.srv.Close()
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}

// Close stops every listener and closes open connections at once.
func (s *Server) Close() error {
	var errs []error
	for _, vs := range s.vendors {
		if err := vs.srv.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	s.wg.Wait()
	return errors.Join(errs...)
}
