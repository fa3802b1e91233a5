# llmtrace: build, test, demo. `make help` lists the targets.
SHELL := /bin/bash
GO ?= go
OCB_VERSION := v0.165.0
BIN := $(CURDIR)/bin
OCB := $(BIN)/ocb-$(OCB_VERSION)
DIST := $(CURDIR)/_build/otelcol-llmtrace

.PHONY: help build test test-short test-e2e bench bench-e2e demo demo-note generate lint tools clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*##' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(OCB):
	mkdir -p $(BIN)
	GOBIN=$(BIN) $(GO) install go.opentelemetry.io/collector/cmd/builder@$(OCB_VERSION)
	mv $(BIN)/builder $(OCB)

tools: $(OCB) ## install ocb at the pinned version

build: $(OCB) ## build the otelcol-llmtrace distribution into _build/
	$(OCB) --config builder-config.yaml

# mdatagen and golangci-lint are Go tools of their own module
# (internal/tools), so that their dependencies never pin the receiver's.
TOOL := $(GO) -C internal/tools tool

generate: ## regenerate mdatagen output (metadata.yaml), mdatagen v0.159.0
	$(TOOL) mdatagen $(CURDIR)/metadata.yaml
	sed -i 's/^package main$$/package llmtracereceiver/' generated_component_test.go generated_package_test.go
	gofmt -w generated_component_test.go generated_package_test.go

lint: $(BIN)/golangci-lint ## gofmt, go vet and golangci-lint (.golangci.yml)
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); exit 1; }
	$(GO) vet ./...
	$(LINT) run ./...

# golangci-lint is built from source at the version internal/tools pins (no
# binary download).
LINT := $(BIN)/golangci-lint
$(LINT): internal/tools/go.mod
	mkdir -p $(BIN)
	$(GO) -C internal/tools build -o $(LINT) github.com/golangci/golangci-lint/v2/cmd/golangci-lint

test-e2e: ## only the end-to-end tests (collector + simulators + Jaeger)
	$(GO) test -count=1 -timeout 20m -v ./e2e/

test-short: ## the fast unit tests
	$(GO) test -short ./...

test: lint ## everything: unit, simulator and end-to-end tests
	$(GO) test -count=1 -timeout 20m $$($(GO) list ./... | grep -v /e2e$$)
	@# The end-to-end tests run alone: a loaded machine slows Jaeger down.
	$(GO) test -count=1 -timeout 20m -v ./e2e/

bench: ## benchmarks: vendor conversion next to the OTLP JSON decoder
	$(GO) test -run '^$$' -bench . -benchmem ./internal/...

# Backfills of about 100k and 1M spans per registered vendor through the
# built distribution (file_storage, nop exporter), next to the conversion
# benchmarks and the APIs' minimum; results in _build/bench-e2e.md and .json.
# Options: BENCH_E2E_FLAGS='--vendors opik --max-run 30m' (go run ./cmd/benche2e --help).
bench-e2e: build ## backfill ~100k and ~1M spans per vendor through the collector and report the cost (about 40 min; not in make test)
	set -o pipefail; $(GO) run ./cmd/benche2e --collector $(DIST) --json _build/bench-e2e.json $(BENCH_E2E_FLAGS) | tee _build/bench-e2e.md

bin/vendorsim: $(shell find cmd internal -name '*.go')
	$(GO) build -o $@ ./cmd/vendorsim

demo: demo-note build bin/vendorsim ## run the simulators and print the polled traces (Ctrl-C stops)
	scripts/demo.sh

demo-note:
	@echo "make demo: building the otelcol-llmtrace distribution and the simulators first; the first build takes a few minutes."

clean: ## remove build output
	rm -rf _build bin
