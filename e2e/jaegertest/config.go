package jaegertest

import (
	"bytes"
	"strconv"
	"text/template"
)

// ports holds every port the Jaeger process listens on, all on 127.0.0.1.
type ports struct {
	OTLPGRPC        int
	OTLPHTTP        int
	QueryHTTP       int // jaeger_query (memory store: every copy, since the last start)
	QueryGRPC       int
	DurableHTTP     int // jaeger_query/durable (badger store: survives restarts)
	DurableGRPC     int
	HealthCheckHTTP int
}

func (p ports) all() []int {
	return []int{p.OTLPGRPC, p.OTLPHTTP, p.QueryHTTP, p.QueryGRPC, p.DurableHTTP, p.DurableGRPC, p.HealthCheckHTTP}
}

type configParams struct {
	ports
	BadgerKeys   string // already quoted for YAML
	BadgerValues string // already quoted for YAML
}

// configTemplate is a Jaeger v2 (v1.76.0) configuration: one OTLP receiver
// (gRPC and HTTP) whose pipeline writes every span to two stores:
//
//   - "raw": in-memory. Keeps every copy it receives (a span sent twice is
//     stored twice) but is empty again after a restart. Read through
//     jaeger_query.
//   - "durable": badger on disk (ephemeral: false, under the test's temp dir).
//     Survives a restart (also a SIGKILL), but stores one copy per trace ID,
//     span ID and start time, so resent duplicates are not visible there.
//     Read through jaeger_query/durable.
//
// Every listener is set explicitly on 127.0.0.1. The collector's own metrics
// are off (level: none) so nothing binds 127.0.0.1:8888, and jaeger_query's
// self-tracing (on by default, exporting to 127.0.0.1:4317) is off, so
// Jaeger never sends its own spans to whatever listens on the default OTLP
// port and stops within about 1.5 s.
var configTemplate = template.Must(template.New("jaeger").Parse(`service:
  extensions: [jaeger_storage, jaeger_query, jaeger_query/durable, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      exporters: [jaeger_storage_exporter/raw, jaeger_storage_exporter/durable]
  telemetry:
    metrics:
      level: none
    logs:
      level: info

extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:{{.HealthCheckHTTP}}

  jaeger_query:
    enable_tracing: false
    storage:
      traces: raw
    http:
      endpoint: 127.0.0.1:{{.QueryHTTP}}
    grpc:
      endpoint: 127.0.0.1:{{.QueryGRPC}}

  jaeger_query/durable:
    enable_tracing: false
    storage:
      traces: durable
    http:
      endpoint: 127.0.0.1:{{.DurableHTTP}}
    grpc:
      endpoint: 127.0.0.1:{{.DurableGRPC}}

  jaeger_storage:
    backends:
      raw:
        memory:
          max_traces: 100000
      durable:
        badger:
          ephemeral: false
          consistency: true
          directories:
            keys: {{.BadgerKeys}}
            values: {{.BadgerValues}}
          ttl:
            spans: 24h

receivers:
  otlp:
    protocols:
      grpc:
        endpoint: 127.0.0.1:{{.OTLPGRPC}}
      http:
        endpoint: 127.0.0.1:{{.OTLPHTTP}}

exporters:
  jaeger_storage_exporter/raw:
    trace_storage: raw
  jaeger_storage_exporter/durable:
    trace_storage: durable
`))

func renderConfig(p ports, badgerKeys, badgerValues string) ([]byte, error) {
	var buf bytes.Buffer
	err := configTemplate.Execute(&buf, configParams{
		ports: p,
		// A YAML double-quoted scalar accepts Go's quoting of a path.
		BadgerKeys:   strconv.Quote(badgerKeys),
		BadgerValues: strconv.Quote(badgerValues),
	})
	return buf.Bytes(), err
}
