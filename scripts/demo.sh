#!/usr/bin/env bash
# make demo: start the vendor simulators in live mode and run otelcol-llmtrace
# with examples/demo.yaml, which prints every polled trace through the debug
# exporter. Stops on Ctrl-C, or after DEMO_DURATION seconds if set.
set -euo pipefail
cd "$(dirname "$0")/.."
work=$(mktemp -d)
sim_pid=""
col_pid=""
cleanup() {
  [ -n "$col_pid" ] && kill "$col_pid" 2>/dev/null || true
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

bin/vendorsim --traces 100000 --rate 2 --backfill 10m \
  --api-key demo-key --workspace demo --project demo \
  --receiver-config "$work/vendors.yaml" \
  --ready-file "$work/ready.json" >"$work/vendors.txt" 2>"$work/vendorsim.log" &
sim_pid=$!
for _ in $(seq 1 100); do [ -s "$work/ready.json" ] && break; sleep 0.1; done
[ -s "$work/ready.json" ] || { echo "vendorsim did not start:"; cat "$work/vendorsim.log"; exit 1; }
echo "Simulated vendors:"
sed 's/^/  /' "$work/vendors.txt"

# Every simulated vendor's block comes from the simulator (a second config
# merged over examples/demo.yaml).
_build/otelcol-llmtrace --config examples/demo.yaml --config "$work/vendors.yaml" &
col_pid=$!
if [ -n "${DEMO_DURATION:-}" ]; then
  sleep "$DEMO_DURATION"
  kill "$col_pid" 2>/dev/null || true
  wait "$col_pid" 2>/dev/null || true
else
  wait "$col_pid"
fi
cat <<'EOF'

That was the simulators. To poll your real vendors, see the README:
  - Configuration: one block per vendor (Langtrace, Opik, LangWatch, LangSmith, PromptLayer)
  - Examples: examples/jaeger.yaml and examples/tempo.yaml ship the traces to Jaeger or Tempo
  - Build it into your collector: add the receiver to your ocb manifest
EOF
